// What changed between two versions of a model, computed by bpmn-js-differ.
//
// The differ reports added and removed flow elements well, but changes nested below an
// element (its extension elements: form key, operation, parameters; a timer's expression)
// reach its handler without the owning element, and modified values arrive as (old, new)
// in parameters named (newValue, oldValue). This handler (the differ's extension point)
// attributes every nested change to the element that owns it, keeps the values in order, and
// also tracks the named root elements processes share (messages, signals, correlation).

import { ChangeHandler, diff } from "bpmn-js-differ";

const SHARED_ROOTS = ["bpmn:Message", "bpmn:Signal", "bpmn:CorrelationProperty", "bpmn:Error", "bpmn:Escalation"];

function is(element, type) {
  return Boolean(element && element.$instanceOf && element.$instanceOf(type));
}

function isDiagramInterchange(element) {
  return Boolean(element && element.$type && /^(bpmndi|di|dc):/.test(element.$type));
}

// The name under which `child` hangs in `parent` ("extensionElements", "values[0]"…).
function propertyName(parent, child) {
  for (const property of (parent.$descriptor && parent.$descriptor.properties) || []) {
    const value = parent[property.name];
    if (value === child) {
      return property.name;
    }
    if (Array.isArray(value) && value.includes(child)) {
      return `${property.name}[${value.indexOf(child)}]`;
    }
  }
  return "?";
}

class OwnedChanges extends ChangeHandler {
  constructor() {
    super();
    this.details = {};
  }

  _isTracked(element) {
    const tracked = super._isTracked(element);
    if (tracked) {
      return tracked;
    }
    return SHARED_ROOTS.some((type) => is(element, type)) ? { element, property: "" } : undefined;
  }

  changed(model, property, oldValue, newValue) {
    this._note(model, property, oldValue, newValue);
  }

  added(model, property, element, index) {
    const tracked = this._isTracked(element);
    if (tracked) {
      const id = this._computeChangeId(tracked.element);
      this._added[id] = this._added[id] || element;
      return;
    }
    this._note(model, `${property}[${index}]`, undefined, element);
  }

  removed(model, property, element, index) {
    const tracked = this._isTracked(element);
    if (tracked) {
      const id = this._computeChangeId(tracked.element);
      this._removed[id] = this._removed[id] || element;
      return;
    }
    this._note(model, `${property}[${index}]`, element, undefined);
  }

  _note(model, property, oldValue, newValue) {
    const owner = this._owner(model);
    if (!owner) {
      return;
    }
    if (owner.layout) {
      this._layoutChanged[owner.layout.id] = owner.layout;
      return;
    }
    const id = this._computeChangeId(owner.element);
    this._changed[id] = this._changed[id] || { model: owner.element, attrs: {} };
    if (oldValue === undefined && newValue === undefined) {
      return;
    }
    const path = owner.path ? `${owner.path}.${property}` : property;
    this._changed[id].attrs[path] = { oldValue, newValue };
    (this.details[id] = this.details[id] || []).push({ path, oldValue, newValue });
  }

  // The tracked element a nested model element belongs to, and the path from it.
  _owner(model) {
    const path = [];
    let node = model;
    while (node) {
      if (isDiagramInterchange(node)) {
        while (node && !is(node, "bpmndi:BPMNShape") && !is(node, "bpmndi:BPMNEdge")) {
          node = node.$parent;
        }
        return node && node.bpmnElement ? { layout: node.bpmnElement } : null;
      }
      const tracked = this._isTracked(node);
      if (tracked) {
        return { element: tracked.element, path: (tracked.property + path.join(".")).replace(/\.$/, "") };
      }
      if (!node.$parent) {
        return null;
      }
      path.unshift(propertyName(node.$parent, node));
      node = node.$parent;
    }
    return null;
  }
}

// A short human reading of a value found in a change (a moddle element, a reference, text).
export function describe(value) {
  if (value === undefined || value === null || value === "") {
    return "";
  }
  if (typeof value === "string") {
    return value.startsWith("#ref:") ? value.slice(5) : value;
  }
  if (typeof value !== "object") {
    return String(value);
  }
  if (Array.isArray(value)) {
    return value.map(describe).filter(Boolean).join("; ");
  }
  if (!value.$type) {
    return JSON.stringify(value);
  }
  if (is(value, "bpmn:FormalExpression")) {
    return value.body || "";
  }
  if (is(value, "spiffworkflow:Property")) {
    return `${value.name} = ${value.value}`;
  }
  if (is(value, "spiffworkflow:Parameter")) {
    return `${value.id} = ${value.value}`;
  }
  if (is(value, "spiffworkflow:ServiceTaskOperator")) {
    return [value.id, describe(value.parameterList)].filter(Boolean).join(": ");
  }
  if (is(value, "bpmn:TimerEventDefinition")) {
    const kind = ["timeDuration", "timeDate", "timeCycle"].find((k) => value[k]);
    return kind ? `${kind} ${describe(value[kind])}` : "timer";
  }
  const nested = ["values", "properties", "parameters", "body", "value", "name", "id"]
    .map((k) => value[k]).find((v) => v !== undefined && v !== null && v !== "");
  const type = value.$type.replace(/^\w+:/, "");
  const text = describe(nested);
  return text ? (typeof nested === "object" ? text : `${type} ${text}`) : type;
}

function summary(element) {
  return { id: element.id, type: element.$type, name: element.name || "" };
}

// Pair the removal and the addition at one path into one change (old → new).
function mergeDetails(details) {
  const byPath = new Map();
  for (const { path, oldValue, newValue } of details) {
    const entry = byPath.get(path) || { path, oldValue: undefined, newValue: undefined };
    if (oldValue !== undefined) {
      entry.oldValue = oldValue;
    }
    if (newValue !== undefined) {
      entry.newValue = newValue;
    }
    byPath.set(path, entry);
  }
  return [...byPath.values()]
    .map((d) => ({ path: d.path, old: describe(d.oldValue), new: describe(d.newValue) }))
    .filter((d) => d.old !== d.new);
}

// The changes from definitions `a` (older) to `b` (newer), as plain lists for the page.
export function compare(a, b) {
  const handler = diff(a, b, new OwnedChanges());
  const added = Object.values(handler._added).map(summary);
  const removed = Object.values(handler._removed).map(summary);
  const changed = Object.entries(handler._changed).map(([id, change]) => ({
    ...summary(change.model), id, details: mergeDetails(handler.details[id] || []),
  }));
  const changedIds = new Set(changed.map((c) => c.id));
  const layout = Object.values(handler._layoutChanged).filter((e) => !changedIds.has(e.id)).map(summary);
  return { added, removed, changed, layout };
}
