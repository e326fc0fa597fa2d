// The project form (reductions/templates/reductions/project_form.html):
// - shows only the type parameters and the amounts the chosen type needs. The server
//   decided them and wrote them on each type's <option> (data-fields, data-pollutants);
//   a hidden field is disabled too, so it is not posted;
// - asks the server for the tier whenever the clerk changes an input, so the tier shown is
//   decided by the same rule (and the same Annex 2 rows) as on save. Before any amount is
//   entered it claims no tier: the rule answers "key project" for a project without amounts,
//   which is not what the clerk is entering.
(function () {
  const box = document.getElementById("tier-box");
  const form = document.getElementById("project-form");
  if (!box || !form) return;
  const typeSelect = form.elements.namedItem("project_type");
  const hint = document.getElementById("amounts-hint");
  const tierLabel = document.getElementById("tier-label");
  const tierReason = document.getElementById("tier-reason");
  let timer = null;
  let asked = 0;

  function words(value) {
    return (value || "").split(/\s+/).filter(Boolean);
  }

  function show(wrapper, visible) {
    // A field with an error stays in view: the clerk must see what to correct.
    if (!visible && wrapper.classList.contains("has-error")) visible = true;
    wrapper.hidden = !visible;
    wrapper.querySelectorAll("input, select, textarea").forEach(function (input) {
      input.disabled = !visible;
    });
  }

  function applyType() {
    const option = typeSelect && typeSelect.selectedOptions[0];
    const chosen = Boolean(option && option.value);
    const fields = chosen ? words(option.dataset.fields) : [];
    const pollutants = chosen ? words(option.dataset.pollutants) : [];
    form.querySelectorAll("[data-type-parameter]").forEach(function (wrapper) {
      show(wrapper, fields.includes(wrapper.dataset.typeParameter));
    });
    form.querySelectorAll("[data-pollutant]").forEach(function (wrapper) {
      show(wrapper, pollutants.includes(wrapper.dataset.pollutant));
    });
    if (hint) hint.hidden = chosen;
  }

  function anyAmount() {
    return Array.from(form.querySelectorAll("input[data-amount]")).some(function (input) {
      return !input.disabled && Number(input.value) > 0;
    });
  }

  function showPending() {
    tierLabel.textContent = box.dataset.pendingLabel || "—";
    tierReason.textContent = box.dataset.pendingReason || "";
  }

  async function refresh() {
    const params = new URLSearchParams(new FormData(form));
    params.delete("csrfmiddlewaretoken");
    const entered = anyAmount();
    const number = ++asked;
    const response = await fetch(box.dataset.url + "?" + params.toString(), {
      headers: { Accept: "application/json" },
    });
    if (!response.ok || number !== asked) return; // a later answer is on its way
    const result = await response.json();
    if (!entered && (result.tier === "KEY" || !params.get("project_type"))) {
      showPending();
      return;
    }
    tierLabel.textContent = result.label || "—";
    tierReason.textContent = result.reason || "";
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  form.addEventListener("input", function (event) {
    if (event.target.name) later();
  });
  form.addEventListener("change", function (event) {
    if (!event.target.name) return;
    if (event.target === typeSelect) applyType();
    clearTimeout(timer);
    refresh();
  });
  applyType();
  // A form shown again with the clerk's input (after an error) shows that input's tier.
  if (typeSelect && typeSelect.value && anyAmount()) refresh();
  else if (!anyAmount() && !(typeSelect && typeSelect.value)) showPending();
})();
