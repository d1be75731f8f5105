// Polls a running round's status and reloads the page once the proposal is ready.
// No inline script: the element carries the status URL in data-round-status.
(function () {
  "use strict";
  var panel = document.querySelector("[data-round-status]");
  if (!panel || !window.fetch) {
    return;
  }
  var url = panel.getAttribute("data-round-status");
  var bar = panel.querySelector("[data-round-progress]");
  var percent = panel.querySelector("[data-round-percent]");
  var message = panel.querySelector("[data-round-message]");
  var delay = 800;

  function show(data) {
    if (bar) { bar.value = data.progress; bar.textContent = data.progress + "%"; }
    if (percent) { percent.textContent = data.progress; }
    if (message) { message.textContent = data.message; }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.status === "ready" || data.status === "failed" || data.status === "approved") {
          window.location.assign(data.url);
          return;
        }
        delay = Math.min(delay * 1.3, 4000);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 10000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
