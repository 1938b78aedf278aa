/* citybase 一屏总览: draws a layout's widgets with ECharts (vendored, no CDN), keeps them live
 * over the platform's event stream, and rotates layouts in carousel mode.
 *   - first paint: GET /api/dashboard/{layout}/data (every widget, and last_event_id)
 *   - live: EventSource /api/events/stream?after=last_event_id; an event refetches only the
 *     widgets whose refresh_on matches it, debounced; EventSource resends Last-Event-ID on
 *     reconnect, so nothing is missed while the connection was down.
 */
(function () {
  "use strict";
  var def = JSON.parse(document.getElementById("dash-definition").textContent);
  var msg = JSON.parse(document.getElementById("dash-messages").textContent);
  var grid = document.getElementById("dash-grid");
  var live = document.querySelector("[data-testid=dash-live]");
  var charts = {};          // placement widget key -> echarts instance
  var results = {};         // widget key -> {data|error}
  var hoursShown = 24;      // the map's time slider
  var DEBOUNCE_MS = 250;
  var COLORS = ["#3fb1e3", "#6be6c1", "#f5c26b", "#f46d6d", "#a0a7e6", "#96dee8", "#c4ebad"];

  function rem() { return parseFloat(getComputedStyle(document.documentElement).fontSize) || 16; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined) { return "—"; }
    if (typeof v === "number") {
      if (Math.abs(v) < 1 && v !== 0) { return (v * 100).toFixed(1) + "%"; }
      return v.toLocaleString(def.locale === "en" ? "en" : "zh-CN");
    }
    return String(v);
  }
  function hourLabel(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return String(iso); }
    if (/T\d\d:/.test(iso)) { return ("0" + d.getHours()).slice(-2) + ":00"; }
    return (d.getMonth() + 1) + "/" + d.getDate();
  }
  function open(url) { if (url) { window.location.href = url; } }

  // --- drawing ---------------------------------------------------------------------------
  function chartFor(key, body) {
    if (!charts[key]) { charts[key] = window.echarts.init(body, null, { renderer: "canvas" }); }
    return charts[key];
  }
  var axisStyle = function () {
    return { axisLine: { lineStyle: { color: "#3a5b80" } }, axisLabel: { color: "#9fc3e7", fontSize: rem() * 0.7 },
             splitLine: { lineStyle: { color: "rgba(80,130,190,0.15)" } } };
  };

  function drawNumber(w, body, data) {
    body.textContent = "";
    var v = el("div", "value", fmt(data.value) + (data.at_least ? "+" : ""));
    v.setAttribute("data-testid", "value-" + w.key);
    if (w.unit) { v.appendChild(el("small", "unit", w.unit)); }
    body.appendChild(v);
    var notes = [];
    if (data.target !== undefined && data.target !== null) { notes.push(msg.target + " " + fmt(data.target)); }
    if (data.note) { notes.push(data.note); }
    if (notes.length) { body.appendChild(el("div", "note", notes.join(" · "))); }
    if (data.target !== undefined && data.target !== null && typeof data.value === "number") {
      body.classList.toggle("below", data.value < data.target);
    }
  }

  function drawTrend(w, body, data) {
    var c = chartFor(w.key, body), a = axisStyle();
    var series = (data.series || []).map(function (s, i) {
      var out = { type: "line", name: s.name, data: s.values, smooth: true, showSymbol: false,
                  lineStyle: { width: 2 }, areaStyle: { opacity: i === 0 ? 0.18 : 0.05 } };
      if (i === 0 && data.target !== undefined && data.target !== null) {
        out.markLine = { symbol: "none", data: [{ yAxis: data.target }], lineStyle: { color: "#f5c26b", type: "dashed" },
                         label: { color: "#f5c26b", formatter: msg.target + " {c}" } };
      }
      return out;
    });
    c.setOption({
      color: COLORS, animation: false,
      grid: { left: "9%", right: "4%", top: (data.series || []).length > 1 ? "16%" : "8%", bottom: "14%" },
      legend: (data.series || []).length > 1 ? { textStyle: { color: "#9fc3e7", fontSize: rem() * 0.7 }, top: 0 } : { show: false },
      tooltip: { trigger: "axis" },
      xAxis: Object.assign({ type: "category", data: (data.x || []).map(hourLabel), boundaryGap: false }, a),
      yAxis: Object.assign({ type: "value", minInterval: 1 }, a),
      series: series
    }, true);
  }

  function drawBar(w, body, data) {
    var c = chartFor(w.key, body), a = axisStyle();
    var items = (data.items || []).slice(0, 10).reverse();
    c.setOption({
      color: COLORS, animation: false,
      grid: { left: "34%", right: "10%", top: "4%", bottom: "4%" },
      tooltip: { trigger: "item" },
      xAxis: Object.assign({ type: "value", show: false }, {}),
      yAxis: Object.assign({ type: "category", data: items.map(function (i) { return i.name; }) }, a,
                           { axisLabel: { color: "#cfe3f7", fontSize: rem() * 0.72, width: rem() * 9, overflow: "truncate" } }),
      series: [{ type: "bar", data: items.map(function (i) { return { value: i.value, url: i.url }; }), barMaxWidth: rem() * 1.1,
                 label: { show: true, position: "right", color: "#e6f1ff", fontSize: rem() * 0.7 },
                 itemStyle: { color: new window.echarts.graphic.LinearGradient(0, 0, 1, 0, [
                   { offset: 0, color: "#1d5fa8" }, { offset: 1, color: "#3fb1e3" }]) } }]
    }, true);
    c.off("click");
    c.on("click", function (p) { open(p.data && p.data.url); });
  }

  function drawTriangle(w, body, data) {
    if (data.index === null || data.index === undefined) {
      body.textContent = ""; body.appendChild(el("div", "empty", msg.no_data)); return;
    }
    var c = chartFor(w.key, body);
    c.setOption({
      animation: false,
      title: { text: msg.index + " " + data.index.toFixed(3), subtext: (data.city || "") + " " + (data.period || ""),
               left: "right", top: 0, textStyle: { color: "#6be6c1", fontSize: rem() * 1.1 },
               subtextStyle: { color: "#9fc3e7", fontSize: rem() * 0.65 } },
      radar: { indicator: [{ name: "B", max: 1 }, { name: "T", max: 1 }, { name: "E", max: 1 }],
               radius: "62%", center: ["42%", "56%"], splitNumber: 4,
               axisName: { color: "#cfe3f7", fontSize: rem() * 0.8 },
               splitLine: { lineStyle: { color: "rgba(80,130,190,0.35)" } }, splitArea: { show: false } },
      series: [{ type: "radar", data: [{ value: [data.b, data.t, data.e], name: "BTE" }],
                 areaStyle: { color: "rgba(107,230,193,0.3)" }, lineStyle: { color: "#6be6c1" },
                 itemStyle: { color: "#6be6c1" },
                 label: { show: true, color: "#e6f1ff", fontSize: rem() * 0.65,
                          formatter: function (p) { return p.value.toFixed(2); } } }]
    }, true);
    c.off("click");
    c.on("click", function () { open(data.url || w.url); });
  }

  function drawTicker(w, body, data) {
    body.textContent = "";
    var list = el("ul", "ticker");
    (data.items || []).forEach(function (it) {
      var li = el("li");
      var d = new Date(it.at);
      li.appendChild(el("time", null, isNaN(d) ? "" : d.toLocaleTimeString(def.locale === "en" ? "en-GB" : "zh-CN", { hour12: false })));
      li.appendChild(el("b", null, it.type || ""));
      li.appendChild(el("span", null, it.text || ""));
      if (it.url) { li.classList.add("link"); li.addEventListener("click", function () { open(it.url); }); }
      list.appendChild(li);
    });
    if (!(data.items || []).length) { list.appendChild(el("li", "empty", msg.no_data)); }
    body.appendChild(list);
  }

  function drawFigures(w, body, data) {
    if (data.value !== undefined) { drawNumber(w, body, data); return; }
    body.textContent = "";
    var list = el("dl", "figures");
    Object.keys(data).forEach(function (k) {
      var v = data[k];
      if (typeof v !== "number" && typeof v !== "string") { return; }
      list.appendChild(el("dt", null, k));
      var dd = el("dd", null, fmt(v));
      dd.setAttribute("data-testid", "figure-" + w.key + "-" + k);
      list.appendChild(dd);
    });
    body.appendChild(list);
  }

  window.citybaseDashboard = { def: def, results: results, charts: charts,
                               draw: {}, el: el, rem: rem, open: open, fmt: fmt };
  var draw = window.citybaseDashboard.draw;
  draw.number = drawNumber; draw.trend = drawTrend; draw.bar = drawBar;
  draw.triangle = drawTriangle; draw.ticker = drawTicker; draw.figures = drawFigures;

  function render(p) {
    var w = def.widgets[p.widget], box = document.querySelector('[data-widget="' + p.widget + '"]');
    if (!box) { return; }
    var body = box.querySelector(".body"), got = results[p.widget];
    if (!got) { return; }
    box.classList.toggle("failed", !!got.error);
    if (got.error) {
      if (charts[w.key]) { charts[w.key].dispose(); delete charts[w.key]; }
      body.textContent = msg.error; body.title = got.error; return;
    }
    if (got.data && got.data.url) { box.setAttribute("data-url", got.data.url); }
    var fn = draw[w.kind];
    if (fn) { fn(w, body, got.data, p); }
  }

  function build() {
    grid.style.gridTemplateColumns = "repeat(" + def.columns + ", 1fr)";
    grid.style.gridTemplateRows = "repeat(" + def.rows + ", 1fr)";
    def.placements.forEach(function (p) {
      var w = def.widgets[p.widget];
      var box = el("section", "w w-" + w.kind);
      box.setAttribute("data-widget", w.key);
      box.setAttribute("data-testid", "widget-" + w.key);
      box.style.gridColumn = (p.x + 1) + " / span " + p.w;
      box.style.gridRow = (p.y + 1) + " / span " + p.h;
      var head = el("h2", null, w.title);
      if (w.description) { head.title = w.description; }
      box.appendChild(head);
      box.appendChild(el("div", "body"));
      if (w.kind !== "map" && w.kind !== "bar" && w.kind !== "ticker") {  // tiles open their page
        box.addEventListener("click", function () { open(box.getAttribute("data-url") || w.url); });
        if (w.url) { box.classList.add("link"); }
      }
      grid.appendChild(box);
    });
  }

  // --- data ------------------------------------------------------------------------------
  var base = "/api/dashboard/" + encodeURIComponent(def.key) + "/data?lang=" + encodeURIComponent(def.locale);
  function fetchWidgets(keys) {
    var url = base + (keys ? "&widgets=" + keys.map(encodeURIComponent).join(",") : "");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (body) {
        Object.keys(body.widgets).forEach(function (k) { results[k] = body.widgets[k]; });
        def.placements.forEach(function (p) {
          var touched = !keys || keys.indexOf(p.widget) >= 0 ||
            p.layers.some(function (l) { return keys.indexOf(l) >= 0; });
          if (touched) { render(p); }
        });
        document.body.setAttribute("data-updated", String(Date.now()));
        return body;
      });
  }

  var dirty = {}, timer = null;
  function refresh(keys) {
    keys.forEach(function (k) { dirty[k] = true; });
    if (timer) { return; }
    timer = setTimeout(function () {
      var ks = Object.keys(dirty); dirty = {}; timer = null;
      if (ks.length) { fetchWidgets(ks).catch(function () { ks.forEach(function (k) { dirty[k] = true; }); }); }
    }, DEBOUNCE_MS);
  }

  function matches(rule, ev) {
    if (rule.type !== "*" && rule.type !== ev.type) { return false; }
    return Object.keys(rule.where || {}).every(function (f) {
      return ev.data && String(ev.data[f]) === rule.where[f];
    });
  }

  var lastSeen = 0;
  function listen(after) {
    var types = {}, any = false;
    Object.keys(def.widgets).forEach(function (k) {
      def.widgets[k].refresh_on.forEach(function (r) { if (r.type === "*") { any = true; } else { types[r.type] = true; } });
    });
    if (any) { def.event_types.forEach(function (t) { types[t] = true; }); }
    var names = Object.keys(types);
    lastSeen = after;
    if (!names.length) { live.setAttribute("data-state", "live"); live.textContent = msg.live; return; }
    var source = new EventSource("/api/events/stream?after=" + after, { withCredentials: true });
    var hadError = false;
    source.onopen = function () {
      live.setAttribute("data-state", "live"); live.textContent = msg.live;
      if (hadError) { hadError = false; refresh(Object.keys(def.widgets)); }
    };
    source.onerror = function () { hadError = true; live.setAttribute("data-state", "offline"); live.textContent = msg.offline; };
    var onEvent = function (m) {
      var id = Number(m.lastEventId);
      if (id > lastSeen) { lastSeen = id; document.body.setAttribute("data-last-event-id", String(id)); }
      var ev; try { ev = JSON.parse(m.data); } catch (e) { return; }
      var keys = Object.keys(def.widgets).filter(function (k) {
        return def.widgets[k].refresh_on.some(function (r) { return matches(r, ev); });
      });
      if (keys.length) { refresh(keys); }
    };
    names.forEach(function (t) { source.addEventListener(t, onEvent); });
    window.citybaseDashboard.source = source;
  }

  // EventSource reconnects by itself after a dropped connection (sending Last-Event-ID), but
  // gives up for good when the server answers an error (a restart, a 503): then reopen the
  // stream after the last event seen, so the screen catches up on what it missed.
  window.citybaseDashboard.reconnects = 0;
  function watchdog() {
    setInterval(function () {
      var src = window.citybaseDashboard.source;
      if (src && src.readyState === 2) {
        window.citybaseDashboard.reconnects += 1;
        live.setAttribute("data-state", "offline"); live.textContent = msg.offline;
        listen(lastSeen);
      }
    }, 1000);
  }

  function periodic() {
    Object.keys(def.widgets).forEach(function (k) {
      var s = def.widgets[k].refresh_seconds;
      if (s > 0) { setInterval(function () { refresh([k]); }, s * 1000); }
    });
  }

  function carousel() {
    var keys = def.carousel || [];
    if (keys.length < 2) { return; }
    var next = keys[(keys.indexOf(def.key) + 1) % keys.length];
    var q = new URLSearchParams(window.location.search);
    setTimeout(function () { window.location.href = "/dashboard/" + encodeURIComponent(next) + "?" + q.toString(); },
               def.carousel_seconds * 1000);
  }

  function clock() {
    var c = document.querySelector("[data-testid=dash-clock]");
    var tick = function () { c.textContent = new Date().toLocaleString(def.locale === "en" ? "en-GB" : "zh-CN", { hour12: false }); };
    tick(); setInterval(tick, 1000);
  }

  window.citybaseDashboard.setHours = function (h) {
    hoursShown = h;
    def.placements.forEach(function (p) { if (def.widgets[p.widget].kind === "map") { render(p); } });
  };
  window.citybaseDashboard.hoursShown = function () { return hoursShown; };

  function start() {
    build();
    clock();
    fetchWidgets(null).then(function (body) { listen(body.last_event_id); watchdog(); periodic(); carousel(); })
      .catch(function (e) { live.setAttribute("data-state", "offline"); live.textContent = msg.offline + " (" + e.message + ")"; });
    var resizeTimer = null;
    window.addEventListener("resize", function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); }, 120);
    });
  }
  document.addEventListener("DOMContentLoaded", start);  // after dashboard-map.js (deferred too)
})();
