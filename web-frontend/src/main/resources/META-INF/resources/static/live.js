// The live view: asciinema-player's eventsource driver reads the broker's stream of the session (never a bastion's),
// showing output as soon as it arrives (no buffering); the stream ends when the session does.
(function () {
  "use strict";

  function start() {
    var el = document.getElementById("live-player");
    if (!el || el.dataset.wired || !window.AsciinemaPlayer) return;
    el.dataset.wired = "1";
    var state = document.querySelector("[data-testid=live-state]");
    var player = AsciinemaPlayer.create({ driver: "eventsource", url: el.getAttribute("data-live-url"), bufferTime: 0 }, el,
      { autoPlay: true, fit: "width", terminalFontSize: "small" });
    window.portcullisLivePlayer = player;
    player.addEventListener("playing", function () { if (state) state.textContent = "Live."; });
    player.addEventListener("ended", function () { if (state) state.textContent = "The session has ended."; });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
