/* A batch's page: polls the batch's API resource while any of its requests is queued or
   running and rewrites the summary (progress, counts) and the rows of this page's requests
   in place. Without JavaScript the page refreshes itself until the batch is finished. */
(function () {
  "use strict";
  var POLL_MS = 2000;
  var LABELS = { queued: "Queued", running: "Running", succeeded: "Succeeded", failed: "Failed", cancelled: "Cancelled" };
  var summary = document.getElementById("batch-summary");
  if (!summary || summary.dataset.finished === "true") { return; }

  function field(box, name) { return box.querySelector('[data-field="' + name + '"]'); }

  function renderRow(row, data) {
    var badge = field(row, "status");
    badge.textContent = LABELS[data.status] || data.status;
    badge.className = "badge badge--" + data.status;
    field(row, "stage").textContent = data.stage;
    field(row, "progress").value = data.progress;
    var variants = field(row, "variants");
    if (data.status === "succeeded" && !variants.querySelector("a")) {
      var link = document.createElement("a");
      link.href = row.dataset.compareUrl;
      link.textContent = "Compare " + data.variants + " seed" + (data.variants === 1 ? "" : "s");
      variants.replaceChildren(link);
    }
  }

  function render(data) {
    field(summary, "progress").value = data.progress;
    field(summary, "done").textContent = data.done;
    field(summary, "variants").textContent = data.variants;
    Object.keys(data.counts).forEach(function (status) {
      var count = summary.querySelector('[data-count="' + status + '"]');
      if (count) { count.textContent = data.counts[status]; }
    });
    var state = field(summary, "state");
    state.textContent = data.finished ? "Finished" : "Working";
    state.className = "badge badge--" + (data.finished ? "succeeded" : "running");
    data.requests.forEach(function (request) {
      var row = document.querySelector('tr[data-request="' + request.id + '"]');
      if (row) { renderRow(row, request); }
    });
    summary.dataset.finished = data.finished ? "true" : "false";
  }

  function poll() {
    fetch(summary.dataset.batchUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        render(data);
        if (!data.finished) { window.setTimeout(poll, POLL_MS); }
      })
      .catch(function () { window.setTimeout(poll, POLL_MS * 4); });
  }

  poll();
}());
