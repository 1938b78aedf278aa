/* citybase live events: a tiny helper over EventSource (no dependencies).
 *   const sub = citybaseEvents.subscribe(["jobs.JobProgress"], (data, msg) => { ... });
 *   sub.close();
 * The browser's session cookie authenticates the stream; EventSource reconnects by itself
 * and sends Last-Event-ID, so no event is lost across a dropped connection. */
(function (global) {
  "use strict";
  function subscribe(types, onEvent, options) {
    const opts = options || {};
    const url = opts.url || "/api/events/stream";
    const source = new EventSource(url, { withCredentials: true });
    const handler = function (msg) {
      let data = null;
      try { data = JSON.parse(msg.data); } catch (e) { return; }
      onEvent(data, msg);
    };
    (types || []).forEach(function (t) { source.addEventListener(t, handler); });
    if (opts.onError) { source.onerror = opts.onError; }
    return { source: source, close: function () { source.close(); } };
  }
  global.citybaseEvents = { subscribe: subscribe };
})(window);
