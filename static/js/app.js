// Behaviour shared by every page. No inline scripts or handlers anywhere: the
// Content-Security-Policy allows scripts from our own static files only.
(function () {
  // A <select data-autosubmit> submits its form when changed (the language switch).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });

  // A checkbox with data-select-all="<name>" ticks every checkbox of that name in its form
  // (shown as partly ticked when some are). A submit button's data-confirm-count is its
  // confirmation text with {n} replaced by how many are ticked; with none ticked it asks
  // nothing and the server says to choose.
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var form = all.form;
    var boxes = function () {
      return form.querySelectorAll('input[type="checkbox"][name="' + all.dataset.selectAll + '"]');
    };
    var sync = function () {
      var ticked = 0;
      var total = 0;
      boxes().forEach(function (box) {
        total += 1;
        if (box.checked) ticked += 1;
      });
      all.checked = total > 0 && ticked === total;
      all.indeterminate = ticked > 0 && ticked < total;
      form.querySelectorAll("[data-confirm-count]").forEach(function (button) {
        if (ticked) button.dataset.confirm = button.dataset.confirmCount.split("{n}").join(ticked);
        else delete button.dataset.confirm;
      });
    };
    all.addEventListener("change", function () {
      boxes().forEach(function (box) {
        box.checked = all.checked;
      });
      sync();
    });
    form.addEventListener("change", function (event) {
      if (event.target !== all) sync();
    });
    sync();
  });

  // A submit button's data-confirm-template is its confirmation with {field} where the value
  // of that field of its form goes (an amount in tonnes, 3 decimals): the confirmation names
  // the amounts as typed, not as the page was loaded. An empty amount keeps the one shown.
  document.querySelectorAll("button[data-confirm-template]").forEach(function (button) {
    var form = button.form;
    if (!form) return;
    var fill = function () {
      button.dataset.confirm = button.dataset.confirmTemplate.replace(
        /\{(\w+)\}/g,
        function (whole, name) {
          var field = form.elements.namedItem(name);
          if (!field) return whole;
          var typed = field.value.trim() === "" ? field.defaultValue : field.value.trim();
          var amount = Number(typed);
          return (typed !== "" && isFinite(amount) ? amount.toFixed(3) : typed) + " t";
        }
      );
    };
    form.addEventListener("input", fill);
    fill();
  });

  // A submit button or form with data-confirm asks once, in the page's own dialog, saying
  // what will happen; the form is submitted (by the same button) only on 确认.
  var dialog = document.getElementById("confirm-dialog");
  if (dialog) {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var button = event.submitter;
      var message = (button && button.dataset.confirm) || form.dataset.confirm;
      if (!message || form.dataset.confirmed) return;
      event.preventDefault();
      dialog.querySelector(".confirm-text").textContent = message;
      dialog.returnValue = "";
      dialog.onclose = function () {
        if (dialog.returnValue !== "ok") return;
        form.dataset.confirmed = "1";
        if (button && button.form === form) form.requestSubmit(button);
        else form.requestSubmit();
        delete form.dataset.confirmed;
      };
      dialog.showModal();
    });
  }
})();
