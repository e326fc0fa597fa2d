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
