// Poll the export job until it is done or failed, updating the bar and the download link.
(function () {
  const box = document.getElementById("export");
  if (!box) return;
  const bar = box.querySelector(".progress");
  async function poll() {
    const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const job = await response.json();
    bar.firstElementChild.style.width = job.percent + "%";
    bar.setAttribute("aria-valuenow", job.percent);
    document.getElementById("export-rows").textContent = job.rows_done + "/" + job.rows_total;
    document.getElementById("export-error").textContent = job.error || "";
    if (job.download) {
      document.getElementById("export-download").hidden = false;
      return;
    }
    if (job.status !== "FAILED") setTimeout(poll, 1000);
  }
  poll();
})();
