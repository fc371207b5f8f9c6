// The pages' few behaviours, from data attributes: the Content-Security-Policy allows no
// inline script, so nothing in a template may carry its own.
(function () {
  "use strict";
  // <select data-submit-on-change>: choosing an option submits its form (the language).
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // <button data-print>: prints the page (receipts, notices, checklists).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // <form data-disable-on-submit="button-id">: one click, one submission.
  document.querySelectorAll("form[data-disable-on-submit]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = document.getElementById(form.getAttribute("data-disable-on-submit"));
      if (button) { button.disabled = true; }
    });
  });
})();
