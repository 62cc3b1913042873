/* Compare seeds: one OpenSeadragon viewer per cell of the grid (the original and each
   variant, from the IIIF image service), zoomed and panned together. The variants have the
   original's pixel size, so one viewport state (zoom, centre) means the same view in every
   cell: whichever viewer moves leads, the others are set to its state at once, frame by frame.
   The grid records that state for the tests and for anyone curious: data-view="zoom,x,y" on
   the grid and on each cell, data-moving while the leader animates. Without JavaScript (or
   if a viewer cannot open) each cell keeps its still image. */
(function () {
  "use strict";
  var grid = document.getElementById("compare-grid");
  if (!grid || !window.OpenSeadragon) { return; }
  var OSD = window.OpenSeadragon;
  var cells = Array.prototype.slice.call(grid.querySelectorAll("[data-info-url]"));
  var viewers = [];
  var state = null;  // {zoom, x, y}: the view every cell shows
  var leader = null;
  var opened = 0;
  var ZOOM_STEP = 1.5;

  function read(viewer) {
    var center = viewer.viewport.getCenter(true);
    return { zoom: viewer.viewport.getZoom(true), x: center.x, y: center.y };
  }

  function same(a, b) {
    var close = function (p, q) { return Math.abs(p - q) <= 1e-9 * Math.max(1, Math.abs(p), Math.abs(q)); };
    return !!a && !!b && close(a.zoom, b.zoom) && close(a.x, b.x) && close(a.y, b.y);
  }

  function label(view) {
    return [view.zoom.toFixed(3), view.x.toFixed(3), view.y.toFixed(3)].join(",");
  }

  function record() {
    grid.dataset.view = label(state);
    viewers.forEach(function (viewer, index) { cells[index].dataset.view = label(read(viewer)); });
  }

  function follow(source) {
    var view = read(source);
    if (same(view, state)) { return; }  // a follower showing what it was told to
    state = view;
    leader = source;
    viewers.forEach(function (viewer) {
      if (viewer !== source && viewer.world.getItemCount()) {
        viewer.viewport.zoomTo(view.zoom, null, true);
        viewer.viewport.panTo(new OSD.Point(view.x, view.y), true);
      }
    });
    grid.dataset.moving = "true";
    record();
  }

  function settle(source) {
    if (source !== leader || !state) { return; }
    follow(source);
    grid.dataset.moving = "false";
    record();
  }

  cells.forEach(function (cell) {
    var canvas = cell.querySelector(".compare-cell__canvas");
    var viewer = OSD({
      element: canvas,
      prefixUrl: grid.dataset.prefixUrl,
      tileSources: cell.dataset.infoUrl,
      showNavigator: false,
      showFullPageControl: false,
      showRotationControl: false,
      keyboardNavEnabled: false,  // the page's own shortcuts (review_keys.js) zoom every cell
      gestureSettingsMouse: { clickToZoom: false },
      visibilityRatio: 0.8,
      maxZoomPixelRatio: 3,
      crossOriginPolicy: false
    });
    viewers.push(viewer);
    viewer.addOnceHandler("open", function () {
      var still = canvas.querySelector(".compare-cell__still");
      if (still) { still.remove(); }
      cell.dataset.state = "open";
      opened += 1;
      if (opened === cells.length) {
        state = read(viewers[0]);
        viewers.forEach(function (other) {
          other.viewport.zoomTo(state.zoom, null, true);
          other.viewport.panTo(new OSD.Point(state.x, state.y), true);
        });
        grid.dataset.moving = "false";
        record();
        grid.dataset.state = "open";
      }
    });
    viewer.addOnceHandler("open-failed", function () {
      cell.dataset.state = "failed";
      grid.dataset.state = "failed";
    });
    viewer.addHandler("viewport-change", function () {
      if (grid.dataset.state === "open") { follow(viewer); }
    });
    viewer.addHandler("animation-finish", function () { settle(viewer); });
    cell.addEventListener("compare:zoom", function (event) {
      if (grid.dataset.state !== "open") { return; }
      if (event.detail === "home") {
        viewer.viewport.goHome();
      } else {
        viewer.viewport.zoomBy(event.detail === "in" ? ZOOM_STEP : 1 / ZOOM_STEP);
        viewer.viewport.applyConstraints();
      }
    });
  });
}());
