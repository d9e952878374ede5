// Shared by the model pages: page data, message formatting, the CSRF header, the API calls.

export function pageData() {
  return JSON.parse(document.getElementById("page-data").textContent);
}

// Texts come translated from the server with {name} placeholders.
export function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

let descriptor = null;

// The moddle descriptor of the spiffworkflow namespace, so its extension elements round-trip.
export function spiffworkflowDescriptor() {
  if (!descriptor) {
    descriptor = fetch(new URL("./spiffworkflow.json", import.meta.url)).then((response) => {
      if (!response.ok) {
        throw new Error(`spiffworkflow.json: HTTP ${response.status}`);
      }
      return response.json();
    });
  }
  return descriptor;
}

// The UMD bundle of bpmn-js (Modeler or NavigatedViewer, whichever the page loaded).
export function bpmnJS() {
  if (!window.BpmnJS) {
    throw new Error("bpmn-js did not load");
  }
  return window.BpmnJS;
}

// The translated name of a BPMN type ("bpmn:UserTask"), given the type or a business object.
export function typeLabel(types, boOrType) {
  const type = typeof boOrType === "string" ? boOrType : boOrType.$type;
  return types[type] || type.replace(/^bpmn:/, "");
}

// POST a diagram as the multipart upload the process-model API expects.
export async function postModel(url, key, xml) {
  const form = new FormData();
  form.append("file", new Blob([xml], { type: "application/xml" }), `${key}.bpmn`);
  const response = await fetch(url, {
    method: "POST",
    body: form,
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
  });
  let body = null;
  try {
    body = await response.json();
  } catch (err) {
    body = null;
  }
  return { status: response.status, ok: response.ok, body };
}
