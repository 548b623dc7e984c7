/* Information package: chapter links and "answered live at" links seek the page's own player.
   Without JavaScript they open the video file at that moment (media fragment #t=seconds). */
(function () {
  "use strict";

  document.querySelectorAll("a[data-seek][data-video]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var video = document.getElementById(link.getAttribute("data-video"));
      var seconds = parseFloat(link.getAttribute("data-seek"));
      if (!video || isNaN(seconds)) return;
      event.preventDefault();
      video.currentTime = seconds;
      video.scrollIntoView({ block: "center" });
      // Focus the player so Space/Enter plays from the chapter; nothing plays by itself.
      video.focus();
    });
  });

  // A search hit links to ?t=SECONDS#recording-ID: put that recording's player at the moment
  // (paused: nothing plays by itself). Without JavaScript the page opens at the recording.
  var target = /^#recording-(\d+)$/.exec(window.location.hash);
  var start = parseFloat(new URLSearchParams(window.location.search).get("t"));
  var player = target && document.getElementById("video-" + target[1]);
  if (player && !isNaN(start) && start >= 0) {
    var seek = function () { player.currentTime = start; };
    if (player.readyState >= 1) seek();
    else player.addEventListener("loadedmetadata", seek, { once: true });
  }
})();
