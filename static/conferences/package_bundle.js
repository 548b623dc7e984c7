/* The information package file: follow its preparation (conferences/package_bundle/*.html).
 * Polls the status address every 2 s while the file is queued or being built. The public page
 * then shows the download link (never starts a download by itself); the staff page reloads. */
(function () {
  "use strict";
  var box = document.querySelector("[data-bundle-status-url]");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-bundle-status-url");
  var label = box.querySelector("[data-bundle-label]");
  var bar = box.querySelector("progress");
  var ready = box.querySelector("[data-bundle-ready]");
  var reload = box.hasAttribute("data-bundle-reload");
  var said = "";
  var delay = 2000;

  function show(data) {
    var text = data.label + (data.step ? ": " + data.step : "");
    if (label && text !== said) {
      label.textContent = text; // a live region: announced when the step changes
      said = text;
    }
    if (bar) {
      bar.value = data.progress;
      bar.textContent = data.progress + " %";
    }
    if (data.status === "queued" || data.status === "building") {
      return false;
    }
    if (data.ready && ready && !reload) {
      ready.hidden = false;
      if (bar) {
        bar.value = 100;
      }
      return true;
    }
    window.location.reload();
    return true;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        if (!show(data)) {
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        window.setTimeout(poll, delay * 3);
      });
  }

  window.setTimeout(poll, delay);
})();
