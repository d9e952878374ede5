// Two versions side by side: bpmn-js-differ's changes listed and marked on both diagrams
// (added in the newer one, removed in the older one, changed and moved in both).

import { bpmnJS, format, pageData, spiffworkflowDescriptor, typeLabel } from "./common.js";
import { compare } from "./changes.js";

const KINDS = {
  added: { marker: "diff-added", badge: "+", sides: ["b"] },
  removed: { marker: "diff-removed", badge: "−", sides: ["a"] },
  changed: { marker: "diff-changed", badge: "~", sides: ["a", "b"] },
  layout: { marker: "diff-layout", badge: "↔", sides: ["a", "b"] },
};

function byId(id) {
  return document.getElementById(id);
}

async function viewer(id, xml, descriptor) {
  const Viewer = bpmnJS();
  const instance = new Viewer({ container: byId(id), moddleExtensions: { spiffworkflow: descriptor } });
  await instance.importXML(xml);
  instance.get("canvas").zoom("fit-viewport", "auto");
  return instance;
}

function mark(viewers, kind, item) {
  for (const side of KINDS[kind].sides) {
    const registry = viewers[side].get("elementRegistry");
    if (!registry.get(item.id)) {
      continue;
    }
    viewers[side].get("canvas").addMarker(item.id, KINDS[kind].marker);
    const badge = document.createElement("span");
    badge.className = `diff-badge ${KINDS[kind].marker}`;
    badge.textContent = KINDS[kind].badge;
    badge.setAttribute("aria-hidden", "true");
    viewers[side].get("overlays").add(item.id, "diff", { position: { top: -12, left: -12 }, html: badge });
  }
}

function reveal(viewers, id) {
  for (const side of ["a", "b"]) {
    const element = viewers[side].get("elementRegistry").get(id);
    const selection = viewers[side].get("selection");
    if (element) {
      selection.select(element);
      viewers[side].get("canvas").scrollToElement(element);
    } else {
      selection.select([]);
    }
  }
}

function listItem(viewers, data, kind, item) {
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link-button";
  button.textContent = `${typeLabel(data.types, item.type)} · ${item.name ? `${item.name} (${item.id})` : item.id}`;
  button.addEventListener("click", () => reveal(viewers, item.id));
  li.append(button);
  if (kind === "changed" && item.details.length) {
    const dl = document.createElement("dl");
    dl.className = "diff-details";
    for (const detail of item.details) {
      const dt = document.createElement("dt");
      dt.textContent = detail.path;
      const dd = document.createElement("dd");
      const before = document.createElement("del");
      before.textContent = detail.old || data.messages.empty;
      const after = document.createElement("ins");
      after.textContent = detail.new || data.messages.empty;
      dd.append(before, " → ", after);
      dl.append(dt, dd);
    }
    li.append(dl);
  }
  return li;
}

async function main() {
  const data = pageData();
  const status = byId("diff-status");
  status.textContent = data.messages.loading;
  let viewers;
  try {
    const descriptor = await spiffworkflowDescriptor();
    viewers = { a: await viewer("canvas-a", data.a.xml, descriptor), b: await viewer("canvas-b", data.b.xml, descriptor) };
  } catch (err) {
    status.textContent = format(data.messages.loadFailed, { message: err.message });
    return;
  }
  const result = compare(viewers.a.getDefinitions(), viewers.b.getDefinitions());
  window.oversite = { viewers, result };
  let total = 0;
  for (const kind of Object.keys(KINDS)) {
    const items = result[kind];
    total += items.length;
    byId(`diff-${kind}-count`).textContent = String(items.length);
    byId(`diff-${kind}`).replaceChildren(...items.map((item) => listItem(viewers, data, kind, item)));
    byId(`diff-${kind}-section`).hidden = items.length === 0;
    items.forEach((item) => mark(viewers, kind, item));
  }
  status.textContent = total ? "" : data.messages.none;
  byId("model-diff").dataset.ready = "true";
}

main();
