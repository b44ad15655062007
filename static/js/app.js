// Small behaviours on top of htmx. Every page works without this file.
(function () {
  "use strict";
  // htmx does not swap error responses other than 409/422 (see the htmx-config meta tag):
  // show the server's translated message in the page's message region instead.
  document.addEventListener("htmx:responseError", function (evt) {
    var region = document.getElementById("messages");
    if (!region) { return; }
    var box = document.createElement("div");
    var xhr = evt.detail.xhr;
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/html") === 0) {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var fragment = doc.querySelector(".error-fragment") || doc.querySelector(".error-page");
      box.className = "alert alert-danger";
      box.setAttribute("role", "alert");
      box.textContent = fragment ? fragment.textContent.replace(/\s+/g, " ").trim() : String(xhr.status);
    } else {
      box.className = "alert alert-danger";
      box.textContent = String(xhr.status);
    }
    region.replaceChildren(box);
  });
  document.addEventListener("htmx:sendError", function () {
    var region = document.getElementById("messages");
    if (region) {
      var box = document.createElement("div");
      box.className = "alert alert-warning";
      box.textContent = document.documentElement.lang === "en"
        ? "The server could not be reached. Check the connection and try again."
        : "Không kết nối được tới máy chủ. Kiểm tra kết nối và thử lại.";
      region.replaceChildren(box);
    }
  });
  // The main menu's drop-downs: one open at a time; a click elsewhere or Escape closes it.
  function closeMenus(except) {
    document.querySelectorAll(".app-menu details[open]").forEach(function (d) {
      if (d !== except) { d.removeAttribute("open"); }
    });
  }
  document.addEventListener("click", function (evt) {
    closeMenus(evt.target.closest ? evt.target.closest(".app-menu details") : null);
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape") { closeMenus(null); }
  });
  // File fields in the interface's language: the chosen file's name beside the button.
  document.addEventListener("change", function (evt) {
    var input = evt.target;
    if (!input.classList || !input.classList.contains("file-picker-input")) { return; }
    var name = document.getElementById(input.id + "-name");
    if (name) {
      name.textContent = input.files && input.files.length
        ? Array.prototype.map.call(input.files, function (f) { return f.name; }).join(", ")
        : name.dataset.empty;
    }
  });
})();
