/* "Live now" badges on the conference list and landing pages, kept current without a reload.
   Polls a tiny JSON answer shared by every visitor (see conferences/views.py live_status for why
   polling, not an event stream); skips its turn while the tab is hidden. Without JavaScript the
   page shows the state of the moment it was loaded. */
(function () {
  "use strict";

  var boxes = document.querySelectorAll("[data-live-slug]");
  if (!boxes.length || !window.fetch) return;
  var url = boxes[0].getAttribute("data-live-url");
  var every = (parseFloat(boxes[0].getAttribute("data-live-poll-seconds")) || 20) * 1000;

  function apply(live) {
    boxes.forEach(function (box) {
      var now = box.querySelector(".conference-live-now");
      if (now) now.hidden = live.indexOf(box.getAttribute("data-live-slug")) === -1;
    });
  }

  function poll() {
    if (document.hidden) {
      window.setTimeout(poll, every);
      return;
    }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && Array.isArray(data.live)) apply(data.live); })
      .catch(function () { /* offline for a moment: keep what is shown, ask again later */ })
      .then(function () { window.setTimeout(poll, every); });
  }

  window.setTimeout(poll, every);
})();
