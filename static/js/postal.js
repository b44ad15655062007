// The postal log and the import pages: upload progress, and a tracking number tidied as typed.
// Every page works without this file (the server normalises and reports everything itself).
(function () {
  "use strict";
  // An upload posted by htmx shows how much of the file has been sent, then that the server works.
  document.addEventListener("htmx:xhr:progress", function (evt) {
    var form = evt.target.closest ? evt.target.closest(".upload-form") : null;
    if (!form || !evt.detail.lengthComputable) { return; }
    var bar = form.querySelector(".upload-progress");
    var stage = form.querySelector(".upload-stage");
    var pct = Math.round(evt.detail.loaded * 100 / evt.detail.total);
    if (bar) { bar.value = pct; }
    if (stage) { stage.textContent = pct < 100 ? stage.dataset.sending + " " + pct + "%" : stage.dataset.working; }
  });
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var form = evt.target.closest ? evt.target.closest(".upload-form") : null;
    if (!form) { return; }
    var bar = form.querySelector(".upload-progress");
    var stage = form.querySelector(".upload-stage");
    if (bar) { bar.value = 0; }
    if (stage) { stage.textContent = stage.dataset.sending; }
  });
  // A tracking number is stored without spaces and in capitals: show it that way on leaving.
  document.addEventListener("change", function (evt) {
    if (evt.target.matches && evt.target.matches("input[data-tracking-number]")) {
      evt.target.value = evt.target.value.replace(/\s+/g, "").toUpperCase();
    }
  }, true);
})();
// The log form at the counter, for the keyboard and for barcode scanners (which type the number
// and press Enter). Without this file the form is a plain form: Enter sends it.
(function () {
  "use strict";
  var waiting = null;  // the field whose Enter waits for its check before moving on

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return !el.disabled && el.type !== "hidden" && el.tagName !== "BUTTON" && el.type !== "submit"
        && el.tagName !== "FIELDSET" && el.offsetParent !== null;
    });
  }

  function next(el) {
    var fields = fieldsOf(el.form);
    var i = fields.indexOf(el);
    // Radio buttons of one group are one stop, as Tab treats them.
    while (i + 1 < fields.length && el.type === "radio" && fields[i + 1].name === el.name) { i += 1; }
    return fields[i + 1] || null;
  }

  function advance(el) {
    var target = next(el);
    if (target) { target.focus(); if (target.select && target.type === "text") { target.select(); } }
  }

  // Enter in a field that is not the form's last checks it (the tracking number, the dossier
  // code) and moves to the next field; it sends nothing. The last field and the button send.
  document.addEventListener("keydown", function (evt) {
    var el = evt.target;
    if (evt.key !== "Enter" || evt.isComposing || !el.form || !el.form.hasAttribute("data-enter-moves")) { return; }
    if (el.tagName === "TEXTAREA" || el.tagName === "BUTTON" || el.type === "submit") { return; }
    var fields = fieldsOf(el.form);
    if (el === fields[fields.length - 1]) { return; }
    evt.preventDefault();
    if (el.hasAttribute("data-enter-checks")) {
      el.dispatchEvent(new Event("change", {bubbles: true}));
    }
    if (el.dataset.enterWaits && window.htmx) {
      // The dossier code: an unknown one opens the fields that create it, which come next.
      waiting = el;
      window.setTimeout(function () { if (waiting === el) { waiting = null; advance(el); } }, 3000);
      return;
    }
    advance(el);
  });

  // The fields that create an unknown dossier show only while the code is unknown. An answer for
  // what the field held before (the start of the code, while it was being typed) is not the
  // answer for the code: it changes nothing, and Enter waits on.
  document.addEventListener("dossier-lookup", function (evt) {
    var code = document.querySelector("#log-form [name=dossier_code]");
    if (code && evt.detail && typeof evt.detail.typed === "string" && evt.detail.typed !== code.value.slice(0, 100)) { return; }
    var fields = document.getElementById("new-dossier");
    if (fields) { fields.hidden = !(evt.detail && evt.detail.unknown); }
    if (waiting) { var el = waiting; waiting = null; advance(el); }
  });

  // Saved: the answer swapped only the notice and the new row. Empty the item's fields, keep
  // direction, date and fee, and go back to the tracking number for the next item.
  document.addEventListener("shipment-logged", function () {
    var form = document.getElementById("log-form");
    if (!form) { return; }
    form.querySelectorAll("[data-item]").forEach(function (el) { el.value = ""; });
    form.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
    form.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    var fields = document.getElementById("new-dossier");
    if (fields) { fields.hidden = true; }
    var first = form.querySelector("[data-tracking-number]");
    if (first) { first.focus(); }
  });
})();
