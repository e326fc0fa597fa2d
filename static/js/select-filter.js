// A search box over a long <select> (the project form's industry list): the markup is
// `<div class="select-filter" hidden><input data-filter-for="<select id>"> <span
// aria-live data-count-template="__N__ …"></span></div>`, rendered by the server and shown
// here, so without this script the plain select still works.
// Typing keeps the options whose text (code or name) contains every word typed; one match
// is chosen at once; Enter chooses the first match (instead of submitting the form) and
// ArrowDown moves to the list. The select stays a native, keyboard-usable control.
(function () {
  document.querySelectorAll("input[data-filter-for]").forEach(function (input) {
    const select = document.getElementById(input.dataset.filterFor);
    if (!select) return;
    const wrapper = input.closest(".select-filter");
    const count = wrapper && wrapper.querySelector("[data-count-template]");
    if (wrapper) wrapper.hidden = false;

    function matches() {
      return Array.from(select.options).filter(function (option) {
        return option.value && !option.hidden;
      });
    }

    function choose(option) {
      if (!option || option.selected) return;
      option.selected = true;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function filter() {
      const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      Array.from(select.options).forEach(function (option) {
        const text = option.textContent.toLowerCase();
        option.hidden = Boolean(option.value) && !words.every((w) => text.includes(w));
      });
      Array.from(select.querySelectorAll("optgroup")).forEach(function (group) {
        group.hidden = !Array.from(group.children).some((option) => !option.hidden);
      });
      const found = matches();
      if (count) {
        count.textContent = words.length
          ? count.dataset.countTemplate.replace("__N__", String(found.length))
          : "";
      }
      if (found.length === 1) choose(found[0]);
    }

    input.addEventListener("input", filter);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        choose(matches()[0]);
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      }
    });
  });
})();
