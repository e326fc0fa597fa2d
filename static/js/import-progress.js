// While a large import is checked or written in the background, poll its job and update
// the bar and the row count; reload once it settles, to show the preview or the result.
(function () {
  const box = document.getElementById("import-job");
  if (!box) return;
  const bar = box.querySelector(".progress");
  function show(percent) {
    // Set from script (CSSOM), not an inline style attribute, which the CSP refuses.
    bar.firstElementChild.style.width = percent + "%";
    bar.setAttribute("aria-valuenow", percent);
  }
  show(Number(bar.getAttribute("aria-valuenow")) || 0);
  if (!box.dataset.running) return;
  async function poll() {
    const response = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const job = await response.json();
    show(job.percent);
    document.getElementById("import-rows").textContent = job.rows_done + "/" + job.rows_total;
    if (job.settled) {
      window.location.reload();
      return;
    }
    setTimeout(poll, 1000);
  }
  poll();
})();
