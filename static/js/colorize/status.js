/* Live status of colorization requests: polls each [data-status-url] (the API resource) while
   the request is queued or running and rewrites its [data-field] parts in place, adding the
   variants' thumbnails when it succeeds and counting them in the page's [data-variant-count].
   Without JavaScript the page shows the status as of its last load (the request page
   refreshes itself). */
(function () {
  "use strict";
  var POLL_MS = 1500;
  var ACTIVE = { queued: true, running: true };
  var LABELS = { queued: "Queued", running: "Running", succeeded: "Succeeded", failed: "Failed", cancelled: "Cancelled" };

  function duration(seconds) {
    if (seconds === null || seconds === undefined) { return "—"; }
    seconds = Math.round(seconds);
    if (seconds < 60) { return seconds + " s"; }
    var minutes = Math.floor(seconds / 60);
    var rest = String(seconds % 60).padStart(2, "0");
    return minutes + " min " + rest + " s";
  }

  function timing(data) {
    var parts = [];
    if (data.queue_position) { parts.push("number " + data.queue_position + " in the queue"); }
    if (data.started_at) {
      parts.push("started " + new Date(data.started_at).toLocaleTimeString() + ", " + duration(data.elapsed_seconds));
    } else {
      parts.push("waiting " + duration(data.waited_seconds));
    }
    if (data.attempts > 1) { parts.push("attempt " + data.attempts + " of " + data.max_attempts); }
    return "· " + parts.join(" · ");
  }

  function variantItem(variant) {
    var item = document.createElement("li");
    var link = document.createElement("a");
    link.href = variant.page;
    var image = document.createElement("img");
    image.src = variant.thumbnail;
    image.alt = "Variant with seed " + variant.seed;
    var caption = document.createElement("span");
    caption.textContent = "seed " + variant.seed;
    link.append(image, caption);
    item.append(link);
    return item;
  }

  function render(box, data) {
    var field = function (name) { return box.querySelector('[data-field="' + name + '"]'); };
    var badge = field("status");
    badge.textContent = LABELS[data.status] || data.status;
    badge.className = "badge badge--" + data.status;
    field("stage").textContent = data.stage;
    field("progress").value = data.progress;
    field("timing").textContent = timing(data);
    var error = field("error");
    error.textContent = data.error;
    error.hidden = !data.error;
    var strip = field("variants");
    if (data.status === "succeeded" && !strip.children.length) {
      data.variants.forEach(function (variant) { strip.append(variantItem(variant)); });
      // The page's variant counts ("All variants (n)") now include this request's.
      document.querySelectorAll("[data-variant-count]").forEach(function (count) {
        count.textContent = String(Number(count.textContent) + data.variants.length);
      });
    }
    box.dataset.status = data.status;
  }

  function poll(box) {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        render(box, data);
        if (ACTIVE[data.status]) { window.setTimeout(poll, POLL_MS, box); }
      })
      .catch(function () { window.setTimeout(poll, POLL_MS * 4, box); });
  }

  document.querySelectorAll("[data-status-url]").forEach(function (box) {
    if (ACTIVE[box.dataset.status]) { poll(box); }
  });
}());
