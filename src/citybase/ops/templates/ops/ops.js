// 一网统管 pages: a click on the city map sets lon/lat, Enter submits the call-taker's form,
// a suggested category fills the category field, select-all for bulk dispatch, device
// location for grid workers. Served from /ops/assets/ops.js (the CSP allows 'self' only).
(function () {
  "use strict";

  function mapClick(event) {
    var box = event.target.closest("[data-map-click]");
    if (!box) return;
    var svg = box.querySelector("svg");
    if (!svg) return;
    event.preventDefault();
    var pt = svg.createSVGPoint();
    pt.x = event.clientX;
    pt.y = event.clientY;
    var p = pt.matrixTransform(svg.getScreenCTM().inverse());
    var d = box.dataset;
    var pad = parseFloat(d.pad), k = parseFloat(d.k), scale = parseFloat(d.scale);
    var lon = parseFloat(d.minx) + (p.x - pad) / (k * scale);
    var lat = parseFloat(d.maxy) - (p.y - pad) / scale;
    var form = document.getElementById(d.form);
    if (!form) return;
    var lonIn = form.querySelector("[name=lon]"), latIn = form.querySelector("[name=lat]");
    lonIn.value = lon.toFixed(6);
    latIn.value = lat.toFixed(6);
    var marker = svg.querySelector("circle.picked");
    if (!marker) {
      marker = document.createElementNS("http://www.w3.org/2000/svg", "circle");
      marker.setAttribute("class", "picked");
      marker.setAttribute("r", "7");
      marker.setAttribute("fill", "#b42318");
      marker.setAttribute("stroke", "#ffffff");
      marker.setAttribute("stroke-width", "2");
      marker.setAttribute("pointer-events", "none");
      svg.appendChild(marker);
    }
    marker.setAttribute("cx", p.x.toFixed(1));
    marker.setAttribute("cy", p.y.toFixed(1));
    lonIn.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var pick = event.target.closest("[data-pick-category]");
    if (pick) {
      var select = document.querySelector("select[name=category]");
      if (select) {
        select.value = pick.dataset.pickCategory;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      event.preventDefault();
      return;
    }
    var all = event.target.closest("[data-select-all]");
    if (all) {
      document.querySelectorAll("input[name=case_id]").forEach(function (box) {
        box.checked = all.checked;
      });
      return;
    }
    var geo = event.target.closest("[data-geolocate]");
    if (geo && navigator.geolocation) {
      event.preventDefault();
      navigator.geolocation.getCurrentPosition(function (pos) {
        var form = geo.closest("form");
        form.querySelector("[name=lon]").value = pos.coords.longitude.toFixed(6);
        form.querySelector("[name=lat]").value = pos.coords.latitude.toFixed(6);
      });
      return;
    }
    mapClick(event);
  });

  document.addEventListener("keydown", function (event) {
    var area = event.target.closest && event.target.closest("[data-enter-submits]");
    if (area && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      area.form.requestSubmit();
    }
  });
})();
