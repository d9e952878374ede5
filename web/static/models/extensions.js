// Oversite's BPMN conventions on a bpmn-js business object, read and written through the
// modeler's `modeling` service (every change is one undoable command) and its moddle (with the
// spiffworkflow descriptor registered, so the extension elements serialize like the engine
// expects them: see engine/model_check.py and tests/fixtures/bpmn.py).

export const FORM_KEY = "formKey";
export const DUE_IN = "dueIn";
export const ENTERPRISE_CODE = "enterpriseCode";
export const TIMER_KINDS = ["timeDuration", "timeDate", "timeCycle"];

export function is(bo, type) {
  return Boolean(bo && bo.$instanceOf && bo.$instanceOf(type));
}

export function eventDefinition(bo, type) {
  return ((bo && bo.get && bo.get("eventDefinitions")) || []).find((d) => is(d, type));
}

export class Extensions {
  constructor(modeler) {
    this.modeler = modeler;
    this.modeling = modeler.get("modeling");
    this.moddle = modeler.get("moddle");
    this.bpmnFactory = modeler.get("bpmnFactory");
  }

  update(element, target, properties) {
    this.modeling.updateModdleProperties(element, target, properties);
  }

  create(type, attrs, parent) {
    const created = this.moddle.create(type, attrs);
    if (parent) {
      created.$parent = parent;
    }
    return created;
  }

  // --- extensionElements --------------------------------------------------------------

  find(bo, type) {
    const ext = bo && bo.get("extensionElements");
    return ext ? ext.get("values").find((v) => is(v, type)) : undefined;
  }

  ensure(element, bo, type, attrs) {
    const found = this.find(bo, type);
    if (found) {
      return found;
    }
    let ext = bo.get("extensionElements");
    if (!ext) {
      ext = this.create("bpmn:ExtensionElements", { values: [] }, bo);
      this.update(element, bo, { extensionElements: ext });
    }
    const created = this.create(type, attrs || {}, ext);
    this.update(element, ext, { values: [...ext.get("values"), created] });
    return created;
  }

  remove(element, bo, type) {
    const ext = bo && bo.get("extensionElements");
    if (!ext) {
      return;
    }
    const values = ext.get("values").filter((v) => !is(v, type));
    if (values.length === ext.get("values").length) {
      return;
    }
    if (values.length) {
      this.update(element, ext, { values });
    } else {
      this.update(element, bo, { extensionElements: undefined });
    }
  }

  // <spiffworkflow:properties><spiffworkflow:property name=… value=…/> (formKey, dueIn, enterpriseCode)
  getProperty(bo, name) {
    const props = this.find(bo, "spiffworkflow:Properties");
    const prop = props && props.get("properties").find((p) => p.name === name);
    return prop ? prop.value || "" : "";
  }

  setProperty(element, bo, name, value) {
    const props = this.find(bo, "spiffworkflow:Properties");
    const list = props ? props.get("properties") : [];
    const existing = list.find((p) => p.name === name);
    if (!value) {
      if (!existing) {
        return;
      }
      const rest = list.filter((p) => p !== existing);
      if (rest.length) {
        this.update(element, props, { properties: rest });
      } else {
        this.remove(element, bo, "spiffworkflow:Properties");
      }
      return;
    }
    if (existing) {
      this.update(element, existing, { value });
      return;
    }
    const container = props || this.ensure(element, bo, "spiffworkflow:Properties", { properties: [] });
    const created = this.create("spiffworkflow:Property", { name, value }, container);
    this.update(element, container, { properties: [...container.get("properties"), created] });
  }

  // Single text-bodied extension elements: variableName, messageVariable.
  getBody(bo, type) {
    const found = this.find(bo, type);
    return found ? found.value || "" : "";
  }

  setBody(element, bo, type, value) {
    if (!value) {
      this.remove(element, bo, type);
      return;
    }
    const found = this.find(bo, type);
    if (found) {
      this.update(element, found, { value });
    } else {
      this.ensure(element, bo, type, { value });
    }
  }

  // --- service tasks: <spiffworkflow:serviceTaskOperator id=… resultVariable=…> -------------

  getOperator(bo) {
    const op = this.find(bo, "spiffworkflow:ServiceTaskOperator");
    if (!op) {
      return { name: "", resultVariable: "", parameters: [] };
    }
    const list = op.get("parameterList");
    return {
      name: op.get("id") || "",
      resultVariable: op.get("resultVariable") || "",
      parameters: (list ? list.get("parameters") : []).map((p) => ({
        id: p.get("id") || "", type: p.get("type") || "any", value: p.get("value") || "",
      })),
    };
  }

  setOperatorName(element, bo, name) {
    if (!name) {
      this.remove(element, bo, "spiffworkflow:ServiceTaskOperator");
      return;
    }
    const op = this.find(bo, "spiffworkflow:ServiceTaskOperator");
    if (op) {
      this.update(element, op, { id: name });
    } else {
      this.ensure(element, bo, "spiffworkflow:ServiceTaskOperator", { id: name });
    }
  }

  setResultVariable(element, bo, value) {
    const op = this.find(bo, "spiffworkflow:ServiceTaskOperator");
    if (op) {
      this.update(element, op, { resultVariable: value || undefined });
    }
  }

  setParameters(element, bo, parameters) {
    const op = this.find(bo, "spiffworkflow:ServiceTaskOperator");
    if (!op) {
      return;
    }
    const rows = parameters.filter((p) => p.id);
    if (!rows.length) {
      this.update(element, op, { parameterList: undefined });
      return;
    }
    const list = this.create("spiffworkflow:Parameters", {}, op);
    list.set("parameters", rows.map((p) => this.create("spiffworkflow:Parameter",
      { id: p.id, type: p.type || "any", value: p.value }, list)));
    this.update(element, op, { parameterList: list });
  }

  // --- timers: <bpmn:timeDuration|timeDate|timeCycle>expression</…> ----------------------

  getTimer(def) {
    const kind = TIMER_KINDS.find((k) => def.get(k)) || "timeDuration";
    const expr = def.get(kind);
    return { kind, expression: expr ? expr.get("body") || "" : "" };
  }

  setTimer(element, def, kind, expression) {
    const props = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
    if (expression) {
      props[kind] = this.create("bpmn:FormalExpression", { body: expression }, def);
    }
    this.update(element, def, props);
  }

  // --- signals and messages: named root elements shared by events ------------------------

  definitions() {
    return this.modeler.getDefinitions();
  }

  namedRoot(element, type, name) {
    const defs = this.definitions();
    const existing = defs.get("rootElements").find((e) => is(e, type) && e.name === name);
    if (existing) {
      return existing;
    }
    const created = this.bpmnFactory.create(type, { name });
    created.$parent = defs;
    this.update(element, defs, { rootElements: [...defs.get("rootElements"), created] });
    return created;
  }

  setSignalName(element, def, name) {
    this.update(element, def, { signalRef: name ? this.namedRoot(element, "bpmn:Signal", name) : undefined });
  }

  setMessageName(element, def, name) {
    this.update(element, def, { messageRef: name ? this.namedRoot(element, "bpmn:Message", name) : undefined });
    const corr = this.getCorrelation(def);
    if (name && corr.propertyId) {
      this.ensureCorrelationProperty(element, corr.propertyId, def.get("messageRef"));
    }
  }

  getCorrelation(def) {
    const found = this.find(def, "spiffworkflow:ProcessVariableCorrelation");
    return { propertyId: found ? found.get("propertyId") || "" : "", expression: found ? found.get("expression") || "" : "" };
  }

  // The engine correlates a message by a bpmn:correlationProperty whose retrieval expression
  // reads the value from the message payload, and the waiting instance's expression
  // (spiffworkflow:processVariableCorrelation) gives the value it waits for.
  setCorrelation(element, def, propertyId, expression) {
    if (!propertyId) {
      this.remove(element, def, "spiffworkflow:ProcessVariableCorrelation");
      return;
    }
    const found = this.find(def, "spiffworkflow:ProcessVariableCorrelation");
    const props = { propertyId, expression: expression || propertyId };
    if (found) {
      this.update(element, found, props);
    } else {
      this.ensure(element, def, "spiffworkflow:ProcessVariableCorrelation", props);
    }
    const message = def.get("messageRef");
    if (message) {
      this.ensureCorrelationProperty(element, propertyId, message);
    }
  }

  ensureCorrelationProperty(element, propertyId, message) {
    const defs = this.definitions();
    let prop = defs.get("rootElements").find((e) => is(e, "bpmn:CorrelationProperty") && e.id === propertyId);
    if (!prop) {
      prop = this.bpmnFactory.create("bpmn:CorrelationProperty", { id: propertyId, name: propertyId });
      prop.$parent = defs;
      this.update(element, defs, { rootElements: [...defs.get("rootElements"), prop] });
    }
    const expressions = prop.get("correlationPropertyRetrievalExpression");
    if (expressions.some((r) => r.messageRef === message)) {
      return;
    }
    const retrieval = this.create("bpmn:CorrelationPropertyRetrievalExpression", { messageRef: message }, prop);
    retrieval.set("messagePath", this.create("bpmn:FormalExpression", { body: propertyId }, retrieval));
    this.update(element, prop, { correlationPropertyRetrievalExpression: [...expressions, retrieval] });
  }
}
