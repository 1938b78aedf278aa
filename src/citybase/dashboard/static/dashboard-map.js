/* citybase 一屏总览: the city map widget (kind "map") — districts, streets and grids from the
 * geo domain drawn offline by ECharts (no tile server), heat by grid and live points from
 * the placement's map_layer widgets, and a 24-hour time slider over the points. */
(function () {
  "use strict";
  var D = window.citybaseDashboard, def = D.def, msg = JSON.parse(document.getElementById("dash-messages").textContent);
  var registered = {};
  var POINT_COLORS = ["#ff5b5b", "#ffd166", "#6be6c1", "#a0a7e6"];

  function rings(geometry) {
    if (geometry.type === "Polygon") { return geometry.coordinates; }
    var out = [];
    geometry.coordinates.forEach(function (poly) { poly.forEach(function (r) { out.push(r); }); });
    return out;
  }

  function frame(box, body) {
    if (body.querySelector(".map-canvas")) { return body.querySelector(".map-canvas"); }
    body.textContent = "";
    var canvas = D.el("div", "map-canvas");
    body.appendChild(canvas);
    var bar = D.el("div", "slider");
    var input = document.createElement("input");
    input.type = "range"; input.min = "1"; input.max = "24"; input.step = "1"; input.value = String(D.hoursShown());
    input.setAttribute("data-testid", "time-slider");
    var label = D.el("span", null, msg.last_hours.replace("{n}", input.value));
    input.addEventListener("input", function () {
      label.textContent = msg.last_hours.replace("{n}", input.value);
      D.setHours(parseInt(input.value, 10));
    });
    bar.appendChild(input); bar.appendChild(label);
    body.appendChild(bar);
    var legend = D.el("div", "map-legend");
    legend.setAttribute("data-testid", "map-legend");
    body.appendChild(legend);
    return canvas;
  }

  function drawMap(w, body, data, p) {
    var box = body.parentNode, canvas = frame(box, body);
    var levels = data.geojson || {};
    var base = ["grid", "street", "district"].filter(function (l) {
      return levels[l] && levels[l].features.length;
    })[0];
    if (!base) { canvas.textContent = msg.no_data; return; }
    var name = "citybase-" + def.key + "-" + w.key;
    var names = {};
    levels[base].features.forEach(function (f) { names[f.properties.code] = f.properties.name; });
    if (!registered[name]) { window.echarts.registerMap(name, levels[base]); registered[name] = true; }

    var heat = {}, points = [], layerNames = [];
    var since = Date.now() - D.hoursShown() * 3600 * 1000;
    (p.layers || []).forEach(function (key, i) {
      var got = D.results[key];
      if (!got || !got.data) { return; }
      var lw = def.widgets[key];
      Object.keys(got.data.heat || {}).forEach(function (code) { heat[code] = (heat[code] || 0) + got.data.heat[code]; });
      var pts = (got.data.points || []).filter(function (pt) { return !pt.at || Date.parse(pt.at) >= since; });
      if (got.data.points) {
        layerNames.push(lw.title + " " + pts.length);
        points.push({ key: key, title: lw.title, color: POINT_COLORS[i % POINT_COLORS.length], data: pts });
      } else if (got.data.heat) {
        layerNames.push(lw.title);
      }
    });
    var top = 0;
    Object.keys(heat).forEach(function (k) { top = Math.max(top, heat[k]); });
    var outlines = [];
    ["district", "street"].forEach(function (level) {
      if (level === base || !levels[level]) { return; }
      levels[level].features.forEach(function (f) {
        rings(f.geometry).forEach(function (r) {
          outlines.push({ coords: r, lineStyle: { width: level === "district" ? 2.2 : 0.8,
                                                  color: level === "district" ? "#4fc3ff" : "rgba(79,195,255,0.45)" } });
        });
      });
    });
    var series = [{
      type: "map", map: name, geoIndex: 0, name: "heat",
      data: Object.keys(names).map(function (code) { return { name: code, value: heat[code] || 0 }; })
    }];
    if (outlines.length) {
      series.push({ type: "lines", coordinateSystem: "geo", polyline: true, silent: true, data: outlines, zlevel: 1 });
    }
    points.forEach(function (layer) {
      series.push({
        type: "effectScatter", coordinateSystem: "geo", name: layer.title, zlevel: 2,
        symbolSize: D.rem() * 0.55, rippleEffect: { scale: 3, brushType: "stroke" },
        itemStyle: { color: layer.color },
        data: layer.data.map(function (pt) { return { name: pt.name || "", value: [pt.lon, pt.lat, pt.value || 1], url: pt.url, at: pt.at }; })
      });
    });
    var chart = D.charts[w.key] || (D.charts[w.key] = window.echarts.init(canvas, null, { renderer: "canvas" }));
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: function (q) {
        if (q.seriesType === "map") { return (names[q.name] || q.name) + (top ? "：" + (q.value || 0) : ""); }
        return q.name || q.seriesName;
      } },
      visualMap: top ? { type: "continuous", min: 0, max: top, seriesIndex: 0, left: "2%", bottom: "12%",
                         itemHeight: D.rem() * 6, textStyle: { color: "#9fc3e7", fontSize: D.rem() * 0.65 },
                         inRange: { color: ["#0d2c4f", "#124b7c", "#1a6fa8", "#2696c9", "#4fd0e6"] } } : undefined,
      geo: { map: name, nameProperty: "code", roam: true, layoutSize: "96%", zoom: 1,
             itemStyle: { areaColor: "#0d2c4f", borderColor: "rgba(79,195,255,0.35)", borderWidth: 0.5 },
             emphasis: { itemStyle: { areaColor: "#1f6fb2" }, label: { show: false } }, label: { show: false } },
      series: series
    }, true);
    chart.off("click");
    chart.on("click", function (q) {
      if (q.data && q.data.url) { D.open(q.data.url); return; }
      if (q.seriesType === "map" && q.name) { D.open("/geo/areas/" + encodeURIComponent(q.name)); }
    });
    var legend = body.querySelector(".map-legend");
    legend.textContent = layerNames.join(" · ");
    canvas.setAttribute("data-points", String(points.reduce(function (n, l) { return n + l.data.length; }, 0)));
  }

  D.draw.map = drawMap;
})();
