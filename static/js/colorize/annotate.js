/* Draw a rectangle on the variant to say where a remark applies: dragging fills the form's
   x, y, w, h (fractions of the image). Without JavaScript the numbers can be typed. */
(function () {
  "use strict";
  var box = document.getElementById("annotate");
  var form = document.getElementById("annotation-form");
  if (!box || !form) { return; }
  var draft = document.createElement("span");
  draft.className = "annotate__box annotate__box--draft";
  draft.hidden = true;
  box.append(draft);
  box.classList.add("annotate--live");
  var start = null;

  function point(event) {
    var rect = box.getBoundingClientRect();
    return {
      x: Math.min(Math.max((event.clientX - rect.left) / rect.width, 0), 1),
      y: Math.min(Math.max((event.clientY - rect.top) / rect.height, 0), 1)
    };
  }

  function region(a, b) {
    return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y) };
  }

  function show(r) {
    draft.hidden = false;
    draft.style.left = r.x * 100 + "%";
    draft.style.top = r.y * 100 + "%";
    draft.style.width = r.w * 100 + "%";
    draft.style.height = r.h * 100 + "%";
  }

  function fill(r) {
    ["x", "y", "w", "h"].forEach(function (key) {
      form.elements[key].value = r ? r[key].toFixed(4) : "";
    });
  }

  box.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) { return; }
    event.preventDefault();
    box.setPointerCapture(event.pointerId);
    start = point(event);
    show(region(start, start));
  });
  box.addEventListener("pointermove", function (event) {
    if (start) { show(region(start, point(event))); }
  });
  box.addEventListener("pointerup", function (event) {
    if (!start) { return; }
    var r = region(start, point(event));
    start = null;
    if (r.w < 0.01 || r.h < 0.01) {  // a click, not a drag: no region
      draft.hidden = true;
      fill(null);
      return;
    }
    show(r);
    fill(r);
    form.elements.text.focus();
  });
}());
