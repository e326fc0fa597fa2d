// Behaviour shared by every page. No inline scripts or handlers anywhere: the
// Content-Security-Policy allows scripts from our own static files only.
(function () {
  // A <select data-autosubmit> submits its form when changed (the language switch).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
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
