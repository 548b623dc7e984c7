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
})();
