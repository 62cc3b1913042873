/* Training run progress: poll the run's API resource (and its epochs) every two seconds and
   update the page until the run ends, then reload it for the evaluation. Without
   JavaScript the page reloads itself while the run lasts. */
(function () {
  "use strict";
  var panel = document.getElementById("run-progress");
  if (!panel || !window.fetch) { return; }
  var ACTIVE = ["queued", "running"];
  if (ACTIVE.indexOf(panel.dataset.status) === -1) { return; }
  var LABELS = { queued: "Queued", running: "Running", succeeded: "Succeeded", failed: "Failed", cancelled: "Cancelled" };
  var shownEpochs = -1;

  function field(name) { return document.querySelector('[data-field="' + name + '"]'); }
  function set(name, value) { var el = field(name); if (el) { el.textContent = value; } }
  function get(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); });
  }
  function numbers(values, digits) {
    return Object.keys(values || {}).map(function (key) {
      var value = values[key];
      return key + " " + (value === null ? "—" : Number(value).toFixed(digits));
    }).join(", ");
  }
  function cell(text, numeric) {
    var td = document.createElement("td");
    if (numeric) { td.className = "num"; }
    td.textContent = text;
    return td;
  }

  function showEpochs() {
    get(panel.dataset.progressUrl).then(function (events) {
      var body = field("epochs-table");
      body.textContent = "";
      events.forEach(function (event) {
        var row = document.createElement("tr");
        [[event.epoch, true], [event.step, true], [numbers(event.losses, 4)], [numbers(event.val, 3)], [Number(event.elapsed_seconds).toFixed(1), true]]
          .forEach(function (spec) { row.appendChild(cell(String(spec[0]), spec[1])); });
        body.appendChild(row);
      });
    }).catch(function () {});
  }

  function poll() {
    get(panel.dataset.statusUrl).then(function (run) {
      var progress = run.progress || {};
      var badge = field("status");
      badge.textContent = LABELS[run.status] || run.status;
      badge.className = "badge badge--" + run.status;
      set("stage", progress.stage || "");
      set("epoch", progress.epoch || 0);
      if (progress.epochs) { set("epochs", progress.epochs); }
      set("step", progress.step || 0);
      if (progress.total_steps) { set("total_steps", progress.total_steps); }
      set("eta", progress.eta_seconds ? "about " + Math.round(progress.eta_seconds) + " s of training" : "—");
      set("error", run.error || "");
      set("log", run.log_tail || "");
      var bar = field("bar");
      bar.max = Math.max(1, progress.total_steps || 1);
      bar.value = progress.step || 0;
      if ((progress.epoch || 0) !== shownEpochs) { shownEpochs = progress.epoch || 0; showEpochs(); }
      if (ACTIVE.indexOf(run.status) === -1) {
        window.location.reload();
      } else {
        window.setTimeout(poll, 2000);
      }
    }).catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 500);
}());
