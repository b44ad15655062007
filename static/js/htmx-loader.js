// Loads htmx from the CDN (with its SRI hash) without holding the page: the page renders at once
// and works as plain links and forms until htmx arrives. When the CDN has not answered after a
// few seconds (a hanging request never fires `onerror`), or fails, the vendored copy is loaded
// instead; the CDN request is aborted then, so htmx never runs twice.
(function () {
  "use strict";
  var me = document.currentScript;
  var cdn = me.dataset.cdn, local = me.dataset.local, integrity = me.dataset.integrity;
  var wait = parseInt(me.dataset.wait, 10) || 3000;
  var settled = false, domReady = false;
  document.addEventListener("DOMContentLoaded", function (evt) { if (evt.isTrusted) { domReady = true; } });

  // htmx starts on DOMContentLoaded; one that arrives after it gets that event again.
  function started() {
    if (domReady) { document.dispatchEvent(new Event("DOMContentLoaded")); }
  }

  function fromLocal() {
    if (settled) { return; }
    settled = true;
    var script = document.createElement("script");
    script.src = local;
    script.integrity = integrity;
    script.onload = started;
    document.head.appendChild(script);
  }

  if (!cdn || !window.fetch || !window.AbortController) { fromLocal(); return; }
  var control = new AbortController();
  var timer = window.setTimeout(function () { control.abort(); fromLocal(); }, wait);
  fetch(cdn, {integrity: integrity, mode: "cors", credentials: "omit", signal: control.signal})
    .then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text();
    })
    .then(function (code) {
      if (settled) { return; }
      settled = true;
      window.clearTimeout(timer);
      var script = document.createElement("script");
      script.nonce = me.nonce;
      script.textContent = code;  // checked against the SRI hash by fetch
      document.head.appendChild(script);
      started();
    })
    .catch(function () { window.clearTimeout(timer); fromLocal(); });
})();
