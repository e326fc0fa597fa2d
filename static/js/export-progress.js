// Poll the export job until it is done, failed or expired, updating the bar and the link.
(function () {
  const box = document.getElementById("export");
  if (!box) return;
  const bar = box.querySelector(".progress");
  function show(percent) {
    // Set from script (CSSOM), not an inline style attribute, which the CSP refuses.
    bar.firstElementChild.style.width = percent + "%";
    bar.setAttribute("aria-valuenow", percent);
  }
  show(Number(bar.getAttribute("aria-valuenow")) || 0);
  async function poll() {
    const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const job = await response.json();
    show(job.percent);
    document.getElementById("export-rows").textContent = job.rows_done + "/" + job.rows_total;
    document.getElementById("export-error").textContent = job.error || "";
    if (job.download) {
      document.getElementById("export-download").hidden = false;
      return;
    }
    if (job.status === "PENDING" || job.status === "RUNNING") setTimeout(poll, 1000);
  }
  poll();
})();
