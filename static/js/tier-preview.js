// Ask the server for the tier whenever the clerk changes an input, so the tier shown is
// decided by the same rule (and the same Annex 2 rows) as on save.
(function () {
  const box = document.getElementById("tier-box");
  const form = document.getElementById("project-form");
  if (!box || !form) return;
  let timer = null;
  async function refresh() {
    const params = new URLSearchParams(new FormData(form));
    params.delete("csrfmiddlewaretoken");
    const response = await fetch(box.dataset.url + "?" + params.toString(), {
      headers: { Accept: "application/json" },
    });
    if (!response.ok) return;
    const result = await response.json();
    document.getElementById("tier-label").textContent = result.label || "—";
    document.getElementById("tier-reason").textContent = result.reason || "";
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  form.addEventListener("change", refresh);
})();
