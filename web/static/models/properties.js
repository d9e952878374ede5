// The properties form beside the canvas: shows what Oversite needs of the selected element
// (lane role, form key, due expression, the enterprise a task is for, service operation and
// parameters, timers, signals, messages) and writes changes through bpmn-js modeling, so they
// are undoable and saved with the diagram. The form itself is rendered by the server (labels, choices, hints).

import { DUE_IN, ENTERPRISE_CODE, Extensions, FORM_KEY, eventDefinition, is } from "./extensions.js";
import { format, typeLabel } from "./common.js";

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function byId(id) {
  return document.getElementById(id);
}

function processOf(bo) {
  if (is(bo, "bpmn:Process")) {
    return bo;
  }
  if (is(bo, "bpmn:Participant")) {
    return bo.processRef || null;
  }
  if (is(bo, "bpmn:Collaboration")) {
    const participants = bo.get("participants").filter((p) => p.processRef);
    const executable = participants.find((p) => p.processRef.isExecutable);
    return (executable || participants[0] || {}).processRef || null;
  }
  return null;
}

function isBranchingFlow(bo) {
  return is(bo, "bpmn:SequenceFlow") && (is(bo.sourceRef, "bpmn:ExclusiveGateway") || is(bo.sourceRef, "bpmn:InclusiveGateway"));
}

// Put `value` in a <select>, adding a marked option when the value is not among the choices
// (e.g. a form key that is no longer registered): the model stays as it is until changed.
function selectValue(select, value, unknownLabel) {
  select.querySelectorAll("option[data-unknown]").forEach((o) => o.remove());
  if (value && ![...select.options].some((o) => o.value === value)) {
    const option = new Option(format(unknownLabel, { name: value }), value);
    option.dataset.unknown = "true";
    select.add(option);
  }
  select.value = value || "";
}

export class PropertiesPanel {
  constructor(modeler, { messages, types }) {
    this.modeler = modeler;
    this.ext = new Extensions(modeler);
    this.modeling = modeler.get("modeling");
    this.moddle = modeler.get("moddle");
    this.canvas = modeler.get("canvas");
    this.registry = modeler.get("elementRegistry");
    this.selection = modeler.get("selection");
    this.messages = messages;
    this.types = types;
    this.element = null;
    this.picker = byId("element-picker");
    this.form = byId("properties-form");
    this.rowTemplate = byId("parameter-row");
    this.parameterBody = byId("prop-parameters").querySelector("tbody");
    this.bind();
    const eventBus = modeler.get("eventBus");
    eventBus.on("selection.changed", (event) => {
      this.show(event.newSelection.length === 1 ? event.newSelection[0] : null);
    });
    eventBus.on("elements.changed", () => this.scheduleRefresh());
  }

  get bo() {
    return this.element.businessObject;
  }

  show(element) {
    this.element = element && element.type !== "label" ? element : (element && element.labelTarget) || this.canvas.getRootElement();
    this.refresh();
  }

  scheduleRefresh() {
    if (this.pending) {
      return;
    }
    this.pending = requestAnimationFrame(() => {
      this.pending = null;
      if (this.element && !this.registry.get(this.element.id)) {
        this.element = this.canvas.getRootElement();
      }
      this.refresh(true);
    });
  }

  // --- rendering ------------------------------------------------------------------------

  // keepEditing: a refresh after a model change (one frame later) must not undo what is being
  // typed in another field, which would be lost when that field commits on "change".
  refresh(keepEditing = false) {
    // Selection events also fire while a diagram is being cleared or imported, when the
    // root is still bpmn-js' implicit root (no business object): nothing to show yet.
    if (!this.element || !this.element.businessObject) {
      return;
    }
    const editing = keepEditing && this.form.contains(document.activeElement) ? document.activeElement : null;
    const typed = editing ? { value: editing.value, checked: editing.checked } : null;
    const bo = this.bo;
    const process = processOf(bo);
    const timer = eventDefinition(bo, "bpmn:TimerEventDefinition");
    const signal = eventDefinition(bo, "bpmn:SignalEventDefinition");
    const message = eventDefinition(bo, "bpmn:MessageEventDefinition");
    const sections = {
      general: true,
      process: Boolean(process),
      lane: is(bo, "bpmn:Lane"),
      "user-task": is(bo, "bpmn:UserTask"),
      "service-task": is(bo, "bpmn:ServiceTask"),
      "script-task": is(bo, "bpmn:ScriptTask"),
      condition: isBranchingFlow(bo),
      timer: Boolean(timer),
      signal: Boolean(signal),
      message: Boolean(message),
    };
    for (const fieldset of this.form.querySelectorAll("fieldset[data-section]")) {
      fieldset.hidden = !sections[fieldset.dataset.section];
    }
    byId("element-type").textContent = `${typeLabel(this.types, bo)} · ${bo.id}`;
    byId("prop-id").value = bo.id || "";
    byId("prop-name").value = bo.name || "";
    this.form.querySelector('[data-part="name"]').hidden = sections.lane;
    if (process) {
      byId("prop-key").value = process.id || "";
      byId("prop-executable").checked = Boolean(process.isExecutable);
    }
    if (sections.lane) {
      selectValue(byId("prop-role"), bo.name || "", this.messages.notARole);
    }
    if (sections["user-task"]) {
      selectValue(byId("prop-form"), this.ext.getProperty(bo, FORM_KEY), this.messages.unknownChoice);
      byId("prop-due").value = this.ext.getProperty(bo, DUE_IN);
      byId("prop-enterprise").value = this.ext.getProperty(bo, ENTERPRISE_CODE);
    }
    if (sections["service-task"]) {
      this.renderOperator(this.ext.getOperator(bo), editing);
    }
    if (sections["script-task"]) {
      byId("prop-script").value = bo.script || "";
    }
    if (sections.condition) {
      byId("prop-condition").value = bo.conditionExpression ? bo.conditionExpression.body || "" : "";
      byId("prop-default").checked = bo.sourceRef.default === bo;
    }
    if (timer) {
      const { kind, expression } = this.ext.getTimer(timer);
      byId("prop-timer-kind").value = kind;
      byId("prop-timer-expression").value = expression;
    }
    if (signal) {
      const ref = signal.signalRef;
      byId("prop-signal-name").value = ref ? ref.name || "" : "";
      byId("prop-signal-variable").value = ref ? this.ext.getBody(ref, "spiffworkflow:VariableName") : "";
      byId("prop-signal-variable").disabled = !ref;
      this.fillNames("signal-names", "bpmn:Signal");
    }
    if (message) {
      const ref = message.messageRef;
      const corr = this.ext.getCorrelation(message);
      byId("prop-message-name").value = ref ? ref.name || "" : "";
      byId("prop-message-variable").value = this.ext.getBody(message, "spiffworkflow:MessageVariable");
      byId("prop-correlation-property").value = corr.propertyId;
      byId("prop-correlation-expression").value = corr.expression;
      this.fillNames("message-names", "bpmn:Message");
    }
    for (const input of this.form.querySelectorAll("[aria-invalid]")) {
      input.removeAttribute("aria-invalid");
    }
    this.fillPicker();
    if (editing && editing.isConnected) {
      editing.value = typed.value;
      if (editing.type === "checkbox") {
        editing.checked = typed.checked;
      }
    }
  }

  renderOperator(operator, editing = null) {
    const select = byId("prop-operation");
    selectValue(select, operator.name, this.messages.unknownChoice);
    const option = select.selectedOptions[0];
    byId("prop-operation-help").textContent = option && option.dataset.description ? option.dataset.description : "";
    byId("prop-result").value = operator.resultVariable;
    byId("prop-result").disabled = !operator.name;
    byId("add-parameter").disabled = !operator.name;
    if (!(editing && this.parameterBody.contains(editing))) {  // rows being typed in stay as they are
      this.parameterBody.replaceChildren(...operator.parameters.map((p) => this.parameterRow(p)));
    }
  }

  parameterRow(parameter) {
    const row = this.rowTemplate.content.firstElementChild.cloneNode(true);
    row.querySelector('[data-param="id"]').value = parameter.id;
    row.querySelector('[data-param="type"]').value = parameter.type || "any";
    row.querySelector('[data-param="value"]').value = parameter.value;
    return row;
  }

  fillNames(listId, type) {
    const names = this.modeler.getDefinitions().get("rootElements")
      .filter((e) => is(e, type) && e.name).map((e) => e.name);
    byId(listId).replaceChildren(...[...new Set(names)].sort().map((n) => new Option(n)));
  }

  fillPicker() {
    const root = this.canvas.getRootElement();
    const elements = this.registry.filter((e) => e !== root && e.type !== "label" && e.businessObject && e.businessObject.id
      && !e.id.endsWith("_plane"));
    const describe = (e) => `${typeLabel(this.types, e.businessObject)} · ${e.businessObject.name || this.messages.noElement} (${e.id})`;
    elements.sort((a, b) => describe(a).localeCompare(describe(b)));
    const options = [new Option(`${typeLabel(this.types, root.businessObject)} · ${root.businessObject.name || root.id}`, root.id)];
    options.push(...elements.map((e) => new Option(describe(e), e.id)));
    this.picker.replaceChildren(...options);
    this.picker.value = this.element ? this.element.id : root.id;
  }

  // --- editing --------------------------------------------------------------------------

  select(id) {
    const element = this.registry.get(id);
    const root = this.canvas.getRootElement();
    if (!element || element === root) {
      this.selection.select([]);
      this.show(null);
      return Boolean(element);
    }
    this.selection.select(element);
    this.canvas.scrollToElement(element);
    return true;
  }

  // Each input commits on "change" (leaving the field or Enter), one undoable command each.
  on(id, handler) {
    byId(id).addEventListener("change", (event) => {
      if (this.element) {
        handler(event.target.type === "checkbox" ? event.target.checked : event.target.value.trim(), event.target);
      }
    });
  }

  checkName(input, value) {
    const ok = !value || NAME_PATTERN.test(value);
    input.setAttribute("aria-invalid", ok ? "false" : "true");
    return ok;
  }

  bind() {
    this.form.addEventListener("submit", (event) => event.preventDefault());
    this.picker.addEventListener("change", () => this.select(this.picker.value));
    this.on("prop-name", (value) => this.modeling.updateProperties(this.element, { name: value || undefined }));
    this.on("prop-key", (value, input) => {
      const process = processOf(this.bo);
      if (!value || !this.checkName(input, value) || !process || value === process.id) {
        return;
      }
      if (process === this.canvas.getRootElement().businessObject) {
        this.modeling.updateProperties(this.canvas.getRootElement(), { id: value });
      } else {
        this.ext.update(this.element, process, { id: value });
      }
    });
    this.on("prop-executable", (checked) => this.ext.update(this.element, processOf(this.bo), { isExecutable: checked }));
    this.on("prop-role", (value) => this.modeling.updateProperties(this.element, { name: value || undefined }));
    this.on("prop-form", (value) => this.ext.setProperty(this.element, this.bo, FORM_KEY, value));
    this.on("prop-due", (value) => this.ext.setProperty(this.element, this.bo, DUE_IN, value));
    this.on("prop-enterprise", (value) => this.ext.setProperty(this.element, this.bo, ENTERPRISE_CODE, value));
    this.on("prop-operation", (value) => this.ext.setOperatorName(this.element, this.bo, value));
    this.on("prop-result", (value) => this.ext.setResultVariable(this.element, this.bo, value));
    this.on("prop-script", (value) => this.modeling.updateProperties(this.element, { script: value || undefined }));
    this.on("prop-condition", (value) => {
      const expression = value ? this.moddle.create("bpmn:FormalExpression", { body: value }) : undefined;
      this.modeling.updateProperties(this.element, { conditionExpression: expression });
    });
    this.on("prop-default", (checked) => {
      const gateway = this.registry.get(this.bo.sourceRef.id);
      this.modeling.updateProperties(gateway, { default: checked ? this.bo : undefined });
    });
    const timer = () => eventDefinition(this.bo, "bpmn:TimerEventDefinition");
    const setTimer = () => this.ext.setTimer(this.element, timer(), byId("prop-timer-kind").value,
      byId("prop-timer-expression").value.trim());
    this.on("prop-timer-kind", setTimer);
    this.on("prop-timer-expression", setTimer);
    const signal = () => eventDefinition(this.bo, "bpmn:SignalEventDefinition");
    this.on("prop-signal-name", (value) => this.ext.setSignalName(this.element, signal(), value));
    this.on("prop-signal-variable", (value) => {
      const ref = signal().signalRef;
      if (ref) {
        this.ext.setBody(this.element, ref, "spiffworkflow:VariableName", value);
      }
    });
    const message = () => eventDefinition(this.bo, "bpmn:MessageEventDefinition");
    this.on("prop-message-name", (value) => this.ext.setMessageName(this.element, message(), value));
    this.on("prop-message-variable", (value) => this.ext.setBody(this.element, message(), "spiffworkflow:MessageVariable", value));
    const setCorrelation = () => {
      const input = byId("prop-correlation-property");
      const property = input.value.trim();
      if (this.checkName(input, property)) {
        this.ext.setCorrelation(this.element, message(), property, byId("prop-correlation-expression").value.trim());
      }
    };
    this.on("prop-correlation-property", setCorrelation);
    this.on("prop-correlation-expression", setCorrelation);
    this.bindParameters();
  }

  bindParameters() {
    const commit = () => {
      const rows = [...this.parameterBody.rows].map((row) => ({
        id: row.querySelector('[data-param="id"]').value.trim(),
        type: row.querySelector('[data-param="type"]').value,
        value: row.querySelector('[data-param="value"]').value.trim(),
      })).filter((p) => p.id);
      // A row without a name is still being filled in: keep it on screen, change nothing.
      if (JSON.stringify(rows) !== JSON.stringify(this.ext.getOperator(this.bo).parameters)) {
        this.ext.setParameters(this.element, this.bo, rows);
      }
    };
    this.parameterBody.addEventListener("change", commit);
    this.parameterBody.addEventListener("click", (event) => {
      const button = event.target.closest('[data-param="remove"]');
      if (button) {
        button.closest("tr").remove();
        commit();
      }
    });
    byId("add-parameter").addEventListener("click", () => {
      const row = this.parameterRow({ id: "", type: "any", value: "" });
      this.parameterBody.append(row);
      row.querySelector('[data-param="id"]').focus();
    });
  }
}
