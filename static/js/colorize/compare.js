/* Swipe comparison at full resolution: the original and the variant as two IIIF tiled images
   in one OpenSeadragon world, the variant clipped to the right of a divider the range input
   moves. Without JavaScript (or if the viewer cannot start) the side-by-side images stay. */
(function () {
  "use strict";
  var box = document.getElementById("compare");
  if (!box || !window.OpenSeadragon) { return; }
  var swipe = document.getElementById("swipe");
  var canvas = document.getElementById("compare-canvas");
  box.hidden = false;

  var viewer = window.OpenSeadragon({
    element: canvas,
    prefixUrl: box.dataset.prefixUrl,
    tileSources: [box.dataset.originalInfo, box.dataset.variantInfo],
    sequenceMode: false,
    showNavigator: true,
    navigatorPosition: "BOTTOM_RIGHT",
    gestureSettingsMouse: { clickToZoom: false },
    visibilityRatio: 0.8,
    maxZoomPixelRatio: 3,
    crossOriginPolicy: false
  });
  var divider = document.createElement("div");
  divider.className = "compare__divider";
  divider.setAttribute("aria-hidden", "true");
  canvas.append(divider);

  function variantImage() { return viewer.world.getItemCount() > 1 ? viewer.world.getItemAt(1) : null; }

  function update() {
    var image = variantImage();
    if (!image) { return; }
    var size = image.getContentSize();
    var split = Number(swipe.value) / 100;
    var left = size.x * split;
    image.setClip(new window.OpenSeadragon.Rect(left, 0, size.x - left, size.y));
    var point = image.imageToViewerElementCoordinates(new window.OpenSeadragon.Point(left, 0));
    divider.style.left = point.x + "px";
    box.dataset.split = swipe.value;
  }

  viewer.world.addHandler("add-item", function () {
    if (viewer.world.getItemCount() === 2) {
      box.dataset.state = "open";
      update();
    }
  });
  viewer.addHandler("update-viewport", function () {
    var image = variantImage();
    if (image) {
      var size = image.getContentSize();
      var point = image.imageToViewerElementCoordinates(new window.OpenSeadragon.Point(size.x * Number(swipe.value) / 100, 0));
      divider.style.left = point.x + "px";
    }
  });
  viewer.addOnceHandler("open-failed", function () {
    box.hidden = true;
    box.dataset.state = "failed";
    viewer.destroy();
  });
  swipe.addEventListener("input", update);
}());
