/* Search results and collection pages: count the photographs ticked for a batch
   colorization and offer "select every photograph on this page". Without JavaScript the
   checkboxes still belong to the form (form="batch-colorize") and the count is not shown. */
(function () {
  "use strict";
  var form = document.getElementById("batch-colorize");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[type="checkbox"][name="photograph"][form="batch-colorize"]'));
  var count = form.querySelector("[data-selected-count]");
  var all = form.querySelector("[data-select-all]");
  var allBox = all ? all.querySelector("input") : null;

  function update() {
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    count.textContent = " (" + ticked + ")";
    count.hidden = false;
    if (allBox) {
      allBox.checked = ticked > 0 && ticked === boxes.length;
      allBox.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  }

  boxes.forEach(function (box) { box.addEventListener("change", update); });
  if (allBox && boxes.length) {
    all.hidden = false;
    allBox.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = allBox.checked; });
      update();
    });
  }
  update();
}());
