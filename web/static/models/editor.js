// The process model editor: bpmn-js Modeler, the properties form, Validate and Deploy.
// Validate and Deploy post the diagram to /api/v1/process-models (session cookie and the
// X-CSRFToken header); problems come back with element ids and select those elements.

import { bpmnJS, format, pageData, postModel, spiffworkflowDescriptor } from "./common.js";
import { PropertiesPanel } from "./properties.js";

const PROBLEM_MARKER = "has-problem";

function byId(id) {
  return document.getElementById(id);
}

class Editor {
  constructor(modeler, data) {
    this.modeler = modeler;
    this.data = data;
    this.messages = data.messages;
    this.canvas = modeler.get("canvas");
    this.registry = modeler.get("elementRegistry");
    this.panel = new PropertiesPanel(modeler, data);
    this.status = byId("model-status");
    this.problemIds = [];
    this.dirty = false;
    this.busy = false;
    modeler.get("eventBus").on("commandStack.changed", () => {
      this.dirty = true;
    });
    window.addEventListener("beforeunload", (event) => {
      if (this.dirty) {
        event.preventDefault();
        event.returnValue = this.messages.unsaved;
      }
    });
    byId("validate-button").addEventListener("click", () => this.validate());
    byId("deploy-button").addEventListener("click", () => this.deploy());
  }

  say(text, kind = "info", link = null) {
    this.status.replaceChildren(text);
    this.status.dataset.kind = kind;
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      this.status.append(" ", a);
    }
  }

  setBusy(busy) {
    this.busy = busy;
    byId("validate-button").disabled = busy;
    byId("deploy-button").disabled = busy;
    byId("model-editor").setAttribute("aria-busy", busy ? "true" : "false");
  }

  // The key the API will deploy under: the id of the (first executable) process.
  processKey() {
    const root = this.canvas.getRootElement().businessObject;
    if (root.$instanceOf("bpmn:Process")) {
      return root.id;
    }
    const participants = (root.get("participants") || []).filter((p) => p.processRef);
    const executable = participants.find((p) => p.processRef.isExecutable) || participants[0];
    return executable ? executable.processRef.id : root.id;
  }

  async xml() {
    const { xml } = await this.modeler.saveXML({ format: true });
    return xml;
  }

  async load(xml) {
    try {
      const { warnings } = await this.modeler.importXML(xml);
      if (warnings.length) {
        const details = warnings.map((w) => w.message.split("\n")[0]).join("; ");
        this.say(format(this.messages.importWarnings, { details }), "warning");
      }
    } catch (err) {
      this.say(format(this.messages.importFailed, { message: err.message }), "error");
      return false;
    }
    this.canvas.zoom("fit-viewport", "auto");
    this.panel.show(null);
    this.dirty = false;
    byId("validate-button").disabled = false;
    byId("deploy-button").disabled = false;
    return true;
  }

  async call(url) {
    const key = this.processKey();
    this.setBusy(true);
    try {
      return { key, response: await postModel(url, key, await this.xml()) };
    } catch (err) {
      this.say(format(this.messages.failed, { status: "-", message: err.message }), "error");
      return { key, response: null };
    } finally {
      this.setBusy(false);
    }
  }

  failed(response) {
    const body = response.body || {};
    this.say(format(this.messages.failed, { status: response.status, message: body.message || "" }), "error");
  }

  async validate() {
    this.say(this.messages.validating);
    const { response } = await this.call(this.data.urls.validate);
    if (!response) {
      return;
    }
    if (!response.ok) {
      this.failed(response);
      return;
    }
    this.showProblems(response.body.problems);
    if (response.body.valid) {
      this.say(this.messages.valid, "ok");
    } else {
      this.say(format(this.messages.problems, { count: response.body.problems.length }), "error");
    }
  }

  async deploy() {
    this.say(this.messages.deploying);
    const { key, response } = await this.call(this.data.urls.deploy);
    if (!response) {
      return;
    }
    const body = response.body || {};
    if (response.status === 400 && body.error === "invalid_model") {
      this.showProblems(body.details || []);
      this.say(this.messages.refused, "error");
      return;
    }
    if (!response.ok) {
      this.failed(response);
      return;
    }
    this.showProblems([]);
    this.dirty = false;
    const text = format(body.created ? this.messages.deployed : this.messages.unchanged,
      { key: body.key, version: body.version });
    const href = `${this.data.urls.models}/${encodeURIComponent(body.key)}/versions/${body.version}`;
    this.say(text, "ok", { href, text: this.messages.openVersion });
    const editUrl = `${this.data.urls.models}/${encodeURIComponent(key)}/edit`;
    if (window.location.pathname !== editUrl) {
      window.history.replaceState(null, "", editUrl);
    }
  }

  showProblems(problems) {
    for (const id of this.problemIds) {
      if (this.registry.get(id)) {
        this.canvas.removeMarker(id, PROBLEM_MARKER);
      }
    }
    this.problemIds = [];
    const list = byId("problem-list");
    list.replaceChildren();
    for (const problem of problems) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "problem";
      const where = [problem.element_id, problem.line ? format(this.messages.line, { line: problem.line }) : ""]
        .filter(Boolean).join(" · ");
      const message = document.createElement("span");
      message.textContent = problem.message;
      button.append(message);
      if (where) {
        const location = document.createElement("span");
        location.className = "where";
        location.textContent = where;
        button.append(location);
      }
      const id = problem.element_id;
      if (id && this.registry.get(id)) {
        this.problemIds.push(id);
        this.canvas.addMarker(id, PROBLEM_MARKER);
      }
      button.dataset.elementId = id || "";
      button.addEventListener("click", () => {
        if (id && !this.panel.select(id)) {
          this.say(`${id} ${this.messages.notInDiagram}`, "warning");
        }
      });
      item.append(button);
      list.append(item);
    }
    byId("problems").hidden = problems.length === 0;
  }
}

async function main() {
  const data = pageData();
  let modeler;
  try {
    const BpmnJS = bpmnJS();
    modeler = new BpmnJS({
      container: byId("canvas"),
      moddleExtensions: { spiffworkflow: await spiffworkflowDescriptor() },
    });
  } catch (err) {
    byId("model-status").textContent = format(data.messages.importFailed, { message: err.message });
    return;
  }
  const editor = new Editor(modeler, data);
  // Scripted access (browser tests, the console): the modeler and the editor.
  window.oversite = { modeler, editor };
  await editor.load(data.xml);
  byId("model-editor").dataset.ready = "true";
}

main();
