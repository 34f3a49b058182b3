// Yiri: a save that cannot reach the server keeps what was typed, says so and offers to
// try again. Without this file the forms post as usual.
//
// * htmx forms (sections, rows, notes, flags): on htmx:sendError / htmx:timeout /
//   htmx:responseError the form stays as it is (htmx swaps nothing) and a message with a
//   "Réessayer" button appears just after it.
// * plain forms marked data-fetch-submit (registration): sent with fetch, so a dropped
//   link never replaces the page by the browser's "no internet" page; the answer (the new
//   record, or the form with its errors) replaces <main>, as a page load would.
// * while a save is under way the form has aria-busy="true"; the message is in a
//   role="alert" element, so screen readers announce it.
// Nothing typed is written to localStorage or sessionStorage: the PC may be shared.
// The messages come translated from the page (<template id="save-failed">, base.html).
(function () {
  "use strict";
  var submitters = new WeakMap();

  // Remember which button sent each form, to send the same one again ("Supprimer la
  // ligne" and "Enregistrer" share a form).
  document.addEventListener("submit", function (e) {
    if (e.submitter) submitters.set(e.target, e.submitter);
  }, true);

  function submitterOf(form) {
    var s = submitters.get(form);
    if (s && form.contains(s)) return s;
    return form.querySelector('button:not([type]), button[type=submit], input[type=submit]');
  }

  function failureBox(elt) {
    var box = elt.nextElementSibling;
    if (box && box.classList.contains("save-failed")) return box;
    var tpl = document.getElementById("save-failed");
    if (!tpl) return null;
    box = tpl.content.firstElementChild.cloneNode(true);
    elt.after(box);  // the live region exists, empty, before the message is put in it
    box.querySelector("[data-retry]").addEventListener("click", function () {
      retry(elt);
    });
    return box;
  }

  function showFailure(elt, why) {
    var box = failureBox(elt);
    if (!box) return;
    var tpl = document.getElementById("save-failed");
    var text = tpl.getAttribute("data-" + why) || tpl.getAttribute("data-network");
    box.hidden = false;
    var msg = box.querySelector("[role=alert]");
    // Emptied first and filled on the next frame, so the same message is announced again
    // after a second failure.
    msg.textContent = "";
    window.setTimeout(function () {
      msg.textContent = text;
    }, 50);
  }

  function clearFailure(elt) {
    var box = elt.nextElementSibling;
    if (box && box.classList.contains("save-failed")) {
      box.hidden = true;
      box.querySelector("[role=alert]").textContent = "";
    }
  }

  function retry(elt) {
    if (elt.tagName !== "FORM") { elt.click(); return; }
    var button = submitterOf(elt);
    // Clicking the same button again lets htmx (or the fetch path) send exactly what the
    // first attempt sent, with the values as they are now.
    if (button) button.click();
    else if (elt.requestSubmit) elt.requestSubmit();
  }

  function setBusy(form, busy) {
    if (busy) form.setAttribute("aria-busy", "true");
    else form.removeAttribute("aria-busy");
  }

  // ---------------------------------------------------------------- htmx forms and links
  function watched(elt) {
    // Forms and the links/buttons that open them; not the place autocomplete, which
    // fails quietly (the datalist just stays as it was).
    return elt && (elt.tagName === "FORM" || elt.tagName === "A" || elt.tagName === "BUTTON");
  }
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt;
    if (!watched(elt)) return;
    clearFailure(elt);
    if (elt.tagName === "FORM") setBusy(elt, true);
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt;
    if (watched(elt) && elt.tagName === "FORM") setBusy(elt, false);
  });
  document.addEventListener("htmx:sendError", function (e) {
    if (watched(e.detail.elt)) showFailure(e.detail.elt, "network");
  });
  document.addEventListener("htmx:timeout", function (e) {
    if (watched(e.detail.elt)) showFailure(e.detail.elt, "timeout");
  });
  document.addEventListener("htmx:responseError", function (e) {
    if (watched(e.detail.elt)) showFailure(e.detail.elt, "server");
  });

  // ---------------------------------------------------------------- plain forms by fetch
  function formData(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    return data;
  }

  // Put the answer in place of <main>, as if the browser had loaded it: the new record's
  // page after a redirect (its address replaces the form's in the history, so Back goes
  // where it went before), or the form again with its errors.
  function showPage(html, url, redirected) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("main");
    var main = document.getElementById("main");
    if (!fresh || !main) {  // not one of Yiri's pages: let the browser show it
      window.location.replace(url);
      return;
    }
    document.title = doc.title;
    if (redirected) window.history.replaceState(null, "", url);
    main.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    fresh.dispatchEvent(new CustomEvent("yiri:content", {bubbles: true}));
    var target = fresh.querySelector("[aria-invalid=true]") || fresh;
    if (target === fresh) window.scrollTo(0, 0);
    target.focus();
  }

  function fetchSubmit(form, submitter) {
    if (form.getAttribute("aria-busy") === "true") return;  // already on its way
    clearFailure(form);
    setBusy(form, true);
    form.classList.add("htmx-request");  // the same faded look as an htmx save
    var done = function () {
      setBusy(form, false);
      form.classList.remove("htmx-request");
    };
    window.fetch(form.action, {
      method: "POST", body: formData(form, submitter), credentials: "same-origin",
      headers: {"Accept": "text/html"},
    }).then(function (response) {
      // 422: refused answers, shown next to their fields as a normal post shows them.
      if (!response.ok && response.status !== 422) return {failed: "server"};
      return response.text().then(function (html) {
        return {html: html, url: response.url, redirected: response.redirected};
      });
    }).then(function (answer) {
      done();
      if (answer.failed) showFailure(form, answer.failed);
      else showPage(answer.html, answer.url, answer.redirected);
    }, function () {  // the request or its answer never made it across
      done();
      showFailure(form, "network");
    });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || !form.hasAttribute("data-fetch-submit") || !window.fetch) return;
    e.preventDefault();
    fetchSubmit(form, e.submitter || submitterOf(form));
  });
})();
