/* Upload page: drag-and-drop and file picker, one request per file with a progress bar and
   the archive's answer (stored / duplicate / refused) for each. Without JavaScript the form
   posts all files at once and the page lists the same results. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var dropzone = document.getElementById("dropzone");
  if (!form || !dropzone || !window.FormData || !window.XMLHttpRequest) { return; }
  var input = form.querySelector('input[type="file"]');
  var collection = form.querySelector('select[name="collection"]');
  var list = document.getElementById("upload-results");
  var summary = document.getElementById("upload-summary");
  var token = form.querySelector('input[name="csrfmiddlewaretoken"]').value;
  var PARALLEL = 3;
  var queue = [];
  var running = 0;
  var counts = { stored: 0, duplicate: 0, refused: 0 };

  form.classList.add("upload-form--live");
  dropzone.classList.add("dropzone--live");

  ["dragenter", "dragover"].forEach(function (type) {
    dropzone.addEventListener(type, function (event) {
      event.preventDefault();
      dropzone.classList.add("dropzone--over");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    dropzone.addEventListener(type, function (event) {
      event.preventDefault();
      dropzone.classList.remove("dropzone--over");
    });
  });
  dropzone.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files) { enqueue(event.dataTransfer.files); }
  });
  input.addEventListener("change", function () {
    enqueue(input.files);
    input.value = "";
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });

  function enqueue(files) {
    Array.prototype.forEach.call(files, function (file) {
      queue.push({ file: file, collection: collection.value, row: addRow(file) });
    });
    pump();
  }

  function pump() {
    while (running < PARALLEL && queue.length) {
      running += 1;
      send(queue.shift());
    }
  }

  function addRow(file) {
    var row = document.createElement("li");
    row.className = "upload-result upload-result--pending";
    row.innerHTML = '<span class="upload-result__name"></span><span class="badge">waiting</span>' +
      '<progress class="upload-result__progress" max="100" value="0"></progress><span class="upload-result__message"></span>';
    row.querySelector(".upload-result__name").textContent = file.name;
    if (window.URL && /^image\/(jpeg|png|webp)$/.test(file.type)) {
      var preview = document.createElement("img");
      preview.className = "upload-result__preview";
      preview.alt = "";
      preview.src = URL.createObjectURL(file);
      preview.addEventListener("load", function () { URL.revokeObjectURL(preview.src); });
      preview.addEventListener("error", function () { preview.remove(); row.classList.remove("upload-result--preview"); });
      row.classList.add("upload-result--preview");
      row.insertBefore(preview, row.firstChild);
    }
    row.querySelector(".upload-result__message").textContent = formatSize(file.size);
    list.insertBefore(row, list.firstChild);
    return row;
  }

  function send(item) {
    var data = new FormData();
    data.append("collection", item.collection);
    data.append("files", item.file, item.file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.pathname);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", token);
    setBadge(item.row, "uploading", "");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        item.row.querySelector("progress").value = Math.round(100 * event.loaded / event.total);
      }
    });
    xhr.upload.addEventListener("load", function () { setBadge(item.row, "checking", ""); });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (error) { body = null; }
      if (xhr.status === 200 && body && body.results && body.results.length) {
        show(item.row, body.results[0]);
      } else {
        show(item.row, { status: "refused", message: errorMessage(xhr, body) });
      }
      done();
    });
    xhr.addEventListener("error", function () {
      show(item.row, { status: "refused", message: "The upload was interrupted; try again." });
      done();
    });
    xhr.send(data);
  }

  function done() {
    running -= 1;
    pump();
  }

  function errorMessage(xhr, body) {
    if (body && body.errors) {
      return Object.keys(body.errors).map(function (field) {
        return body.errors[field].map(function (error) { return error.message; }).join(" ");
      }).join(" ");
    }
    if (xhr.status === 403) { return "You may not upload to this collection."; }
    if (xhr.status === 413) { return "The file is too large for the server."; }
    return "The server answered " + xhr.status + ".";
  }

  function show(row, result) {
    var status = result.status in counts ? result.status : "refused";
    counts[status] += 1;
    row.classList.remove("upload-result--pending");
    row.classList.add("upload-result--" + status);
    row.querySelector("progress").value = 100;
    setBadge(row, status, result.message || "");
    if (result.photograph_url) {
      var link = document.createElement("a");
      link.href = result.photograph_url;
      link.textContent = result.photograph_title || "open";
      var message = row.querySelector(".upload-result__message");
      message.appendChild(document.createTextNode(" "));
      message.appendChild(link);
    }
    summary.textContent = counts.stored + " stored · " + counts.duplicate + " duplicate" +
      (counts.duplicate === 1 ? "" : "s") + " · " + counts.refused + " refused";
  }

  function setBadge(row, label, message) {
    var badge = row.querySelector(".badge");
    var tone = { stored: "ok", duplicate: "warn", refused: "danger" }[label];
    badge.className = "badge" + (tone ? " badge--" + tone : "");
    badge.textContent = label;
    if (message) { row.querySelector(".upload-result__message").textContent = message; }
  }

  function formatSize(bytes) {
    if (bytes >= 1048576) { return (bytes / 1048576).toFixed(1) + " MB"; }
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }
}());
