// Send the CSRF token with every htmx request (session-authenticated API and form posts).
// This file exists because the Content-Security-Policy forbids inline scripts.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.content;
  }
});

// On a phone the inbox opens on its tasks: the filters fold away unless some are set.
document.addEventListener("DOMContentLoaded", function () {
  var panel = document.querySelector("details.filters-panel[data-fold-on-phone]");
  if (panel && window.matchMedia("(max-width: 36rem)").matches) {
    panel.open = false;
  }
});
