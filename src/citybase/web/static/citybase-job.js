/* The job page: follow jobs.JobProgress events for this job and update the bar. */
(function () {
  "use strict";
  const box = document.getElementById("job");
  if (!box || !window.citybaseEvents) { return; }
  const id = Number(box.dataset.jobId);
  const terminal = ["succeeded", "failed", "cancelled"];
  if (terminal.indexOf(box.dataset.status) >= 0) { return; }
  const bar = box.querySelector("[data-testid=job-progress]");
  const pct = box.querySelector("[data-testid=job-percent]");
  const msg = box.querySelector("[data-testid=job-message]");
  const url = "/api/events/stream?after=" + encodeURIComponent(box.dataset.after || "0");
  const sub = window.citybaseEvents.subscribe(["jobs.JobProgress"], function (ev) {
    const d = ev.data || {};
    if (d.job_id !== id) { return; }
    if (d.percent !== null && d.percent !== undefined) {
      bar.value = d.percent; pct.textContent = d.percent + "%";
    }
    if (d.message) { msg.textContent = d.message; }
    box.dataset.status = d.status;
    if (terminal.indexOf(d.status) >= 0) { sub.close(); window.location.reload(); }
  }, { url: url });
})();
