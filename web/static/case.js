// The case page's BPMN diagram: bpmn-js's NavigatedViewer (a global "BpmnJS" from the vendor
// bundle) draws the instance's model version and marks its completed and active tasks.
// A separate file because the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";

  function showError(container, text) {
    var p = document.createElement("p");
    p.className = "notice notice-error";
    p.textContent = text;
    container.replaceChildren(p);
  }

  function mark(viewer, marks) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    [["completed", "oversite-completed"], ["active", "oversite-active"], ["cancelled", "oversite-cancelled"]]
      .forEach(function (pair) {
        (marks[pair[0]] || []).forEach(function (id) {
          if (registry.get(id)) {
            canvas.addMarker(id, pair[1]);
          }
        });
      });
  }

  function draw(container) {
    if (typeof window.BpmnJS !== "function") {
      showError(container, container.dataset.error);
      return;
    }
    var marks = JSON.parse(container.dataset.marks || "{}");
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.dataset.xmlUrl, { credentials: "same-origin", headers: { Accept: "application/xml" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (xml) {
        return viewer.importXML(xml);
      })
      .then(function () {
        viewer.get("canvas").zoom("fit-viewport", "auto");
        mark(viewer, marks);
        container.dataset.ready = "true";
      })
      .catch(function (err) {
        showError(container, container.dataset.error + " (" + err.message + ")");
        container.dataset.ready = "error";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".bpmn-canvas[data-xml-url]").forEach(draw);
  });
})();
