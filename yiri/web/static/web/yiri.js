// Yiri: small enhancements only; every page works without this file.
(function () {
  "use strict";
  // Show a field only when the answer it depends on has the expected value (visible_if).
  function valueOf(form, name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    var values = [];
    inputs.forEach(function (el) {
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      values.push(el.value);
    });
    return values;
  }
  function applyConditions(root) {
    (root || document).querySelectorAll("form").forEach(function (form) {
      form.querySelectorAll("[data-show-if]").forEach(function (box) {
        var want = box.getAttribute("data-show-value");
        var show = valueOf(form, box.getAttribute("data-show-if")).indexOf(want) !== -1;
        box.hidden = !show;
      });
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target.form) applyConditions(e.target.form.parentNode);
  });
  document.addEventListener("DOMContentLoaded", function () { applyConditions(document); });
  // Filling in the box of an option (a conflict's new value) chooses that option.
  function chooseOption(e) {
    var box = e.target.closest && e.target.closest("[data-choose]");
    var option = box && document.getElementById(box.getAttribute("data-choose"));
    if (option) option.checked = true;
  }
  document.addEventListener("input", chooseOption);
  document.addEventListener("change", chooseOption);
  // Content put in place by saves.js (a form sent by fetch) is set up like a loaded page.
  document.addEventListener("yiri:content", function (e) { applyConditions(e.target); });
  // After htmx swaps a section in, move focus to the first error, else the first input,
  // else the section heading, so keyboard and screen-reader users land where they work.
  document.addEventListener("htmx:afterSwap", function (e) {
    var el = e.detail.target;
    if (!el || !el.querySelector || el.tagName === "DATALIST") return;
    var section = document.getElementById(el.id) || el;
    applyConditions(section);
    var target = section.querySelector("[aria-invalid=true]") ||
      section.querySelector("form input:not([type=hidden]), form select, form textarea") ||
      section.querySelector("h2");
    if (target) {
      if (target.tagName === "H2") target.setAttribute("tabindex", "-1");
      target.focus();
    }
  });
})();
