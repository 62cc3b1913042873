/* Keyboard shortcuts of the review queue and the comparison grid. The page marks what can be
   reviewed: [data-review-keys] holds [data-review-item] elements (one per variant, grouped
   in [data-review-group] on the queue), each with its own controls: [data-action="approve"],
   "reject", "annotate" (a <details> with a remark field, or a link), "compare" (on a group).
   The shortcuts only press those controls, so every one of them is also a plain button or
   link, reachable with Tab and working without JavaScript. "?" opens the list (#shortcuts). */
(function () {
  "use strict";
  var root = document.querySelector("[data-review-keys]");
  var help = document.getElementById("shortcuts");
  if (!root) { return; }
  var items = Array.prototype.slice.call(root.querySelectorAll("[data-review-item]"));
  var current = -1;

  function mark(index, focus) {
    if (!items.length) { return; }
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach(function (item, position) {
      item.classList.toggle("is-current", position === current);
      if (position === current) { item.setAttribute("aria-current", "true"); } else { item.removeAttribute("aria-current"); }
    });
    var item = items[current];
    root.dataset.currentVariant = item.dataset.variant;
    if (focus) { item.focus(); }
  }

  function control(name) {
    return current >= 0 ? items[current].querySelector('[data-action="' + name + '"]') : null;
  }

  function press(name) {
    var target = control(name);
    if (target && !target.disabled) { target.click(); }
  }

  function annotate() {
    var target = control("annotate");
    if (!target) { return; }
    if (target.tagName === "DETAILS") {
      target.open = true;
      var field = target.querySelector("textarea, input:not([type=hidden])");
      if (field) { field.focus(); }
    } else {
      window.location.href = target.href;
    }
  }

  function group(of) { return of.closest("[data-review-group]"); }

  function nextPhotograph(step) {
    if (current >= 0 && group(items[current])) {
      var here = group(items[current]);
      var index = current;
      while (items[index] && group(items[index]) === here) { index += step; }
      if (!items[index]) {
        var away = document.querySelector('.pagination a[rel="' + (step > 0 ? "next" : "prev") + '"]');
        if (away) { window.location.href = away.href; }
        return;
      }
      if (step < 0) {  // to the first variant of the previous photograph
        var start = group(items[index]);
        while (items[index - 1] && group(items[index - 1]) === start) { index -= 1; }
      }
      mark(index, true);
      return;
    }
    var link = document.querySelector('[data-shortcut="' + (step > 0 ? "next-photograph" : "previous-photograph") + '"]');
    if (link) { window.location.href = link.href; }
  }

  function openComparison() {
    var item = current >= 0 ? items[current] : null;
    var link = item && group(item) ? group(item).querySelector('[data-action="compare"]') : null;
    if (link) { window.location.href = link.href; }
  }

  function zoom(how) {
    if (current >= 0) { items[current].dispatchEvent(new CustomEvent("compare:zoom", { detail: how })); }
  }

  function toggleHelp() {
    if (!help) { return; }
    if (help.open) { help.close(); } else { help.showModal(); }
  }

  var KEYS = {
    j: function () { mark(current + 1, true); },
    ArrowRight: function () { mark(current + 1, true); },
    k: function () { mark(current - 1, true); },
    ArrowLeft: function () { mark(current - 1, true); },
    a: function () { press("approve"); },
    r: function () { press("reject"); },
    c: annotate,
    n: function () { nextPhotograph(1); },
    p: function () { nextPhotograph(-1); },
    o: openComparison,
    "+": function () { zoom("in"); },
    "=": function () { zoom("in"); },
    "-": function () { zoom("out"); },
    "0": function () { zoom("home"); },
    "?": toggleHelp
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) { return; }  // typing
    var action = KEYS[event.key];
    if (!action) { return; }
    if (help && help.open && event.key !== "?") { return; }
    event.preventDefault();
    action();
  });

  document.querySelectorAll("[data-shortcuts-open]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", toggleHelp);
  });
  if (help) {
    help.querySelectorAll("[data-shortcuts-close]").forEach(function (button) {
      button.addEventListener("click", function () { help.close(); });
    });
  }
  items.forEach(function (item, index) {
    item.addEventListener("focusin", function () { if (index !== current) { mark(index, false); } });
  });

  var wanted = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  var start = wanted ? items.indexOf(wanted) : -1;
  mark(start >= 0 ? start : 0, start >= 0);
  root.dataset.keys = "on";
}());
