/* Photograph page: replace the still preview with an OpenSeadragon deep-zoom viewer fed by
   the photograph's IIIF image service. Without JavaScript (or if the viewer cannot start)
   the preview image stays. */
(function () {
  "use strict";
  var container = document.getElementById("deepzoom");
  if (!container || !window.OpenSeadragon) { return; }
  var fallback = container.querySelector(".viewer__fallback");

  var viewer = window.OpenSeadragon({
    element: container,
    prefixUrl: container.dataset.prefixUrl,
    tileSources: container.dataset.infoUrl,
    showNavigator: true,
    navigatorPosition: "BOTTOM_RIGHT",
    showRotationControl: true,
    gestureSettingsMouse: { clickToZoom: false },
    visibilityRatio: 0.8,
    maxZoomPixelRatio: 3,
    crossOriginPolicy: false
  });
  container.classList.add("viewer__canvas--live");
  viewer.addOnceHandler("open", function () {
    if (fallback) { fallback.remove(); }
    container.dataset.state = "open";
  });
  viewer.addOnceHandler("open-failed", function () {
    container.classList.remove("viewer__canvas--live");
    container.dataset.state = "failed";
    viewer.destroy();
  });
}());
