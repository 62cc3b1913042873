/* CSV import progress: poll the import's API resource and update the counts until it is
   done, then reload the page for the full report. Without JavaScript the page refreshes
   itself while the import runs. */
(function () {
  "use strict";
  var panel = document.getElementById("csv-progress");
  if (!panel || !window.fetch) { return; }
  var FINISHED = ["succeeded", "failed"];
  if (FINISHED.indexOf(panel.dataset.status) !== -1) { return; }
  var LABELS = { queued: "Queued", running: "Running", succeeded: "Succeeded", failed: "Failed" };

  function field(name) { return panel.querySelector('[data-field="' + name + '"]'); }

  function poll() {
    fetch(panel.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (state) {
        ["processed_rows", "total_rows", "created_count", "updated_count", "unchanged_count", "error_count", "error_message"].forEach(function (name) {
          if (name in state && field(name)) { field(name).textContent = state[name]; }
        });
        var progress = field("progress");
        progress.max = Math.max(1, state.total_rows || 0);
        progress.value = state.processed_rows || 0;
        var badge = field("status");
        badge.textContent = LABELS[state.status] || state.status;
        badge.className = "badge badge--" + state.status;
        if (FINISHED.indexOf(state.status) !== -1) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 500);
}());
