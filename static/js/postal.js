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
// The log form: the fields that create an unknown dossier show only while the code is unknown.
document.addEventListener("dossier-lookup", function (evt) {
  var fields = document.getElementById("new-dossier");
  if (fields) { fields.hidden = !(evt.detail && evt.detail.unknown); }
});
