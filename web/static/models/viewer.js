// A deployed version, read-only: bpmn-js NavigatedViewer (pan and zoom, no editing).

import { bpmnJS, format, pageData, spiffworkflowDescriptor } from "./common.js";

async function main() {
  const data = pageData();
  const container = document.getElementById("canvas");
  const status = document.getElementById("model-status");
  try {
    const Viewer = bpmnJS();
    const viewer = new Viewer({ container, moddleExtensions: { spiffworkflow: await spiffworkflowDescriptor() } });
    window.oversite = { viewer };
    await viewer.importXML(data.xml);
    viewer.get("canvas").zoom("fit-viewport", "auto");
  } catch (err) {
    status.textContent = format(data.messages.loadFailed, { message: err.message });
    return;
  }
  container.dataset.ready = "true";
}

main();
