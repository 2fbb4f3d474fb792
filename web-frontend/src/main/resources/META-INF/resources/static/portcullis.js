// Portcullis web UI: the little behaviour the server-rendered pages need. Every page works without it
// (forms post, links navigate); with it, htmx swaps pages in place, countdowns tick and the replay player runs.
(function () {
  "use strict";

  if (window.htmx) {
    // Swap error pages too (a 422 form with its field errors, a 403 naming the group), not only 2xx.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[2345]..", swap: true, error: false }
    ];
    // A boosted request that cannot finish in place (the sign-in expired and Keycloak answers on another
    // origin) becomes a plain navigation.
    document.addEventListener("htmx:sendError", function (e) {
      var path = e.detail && e.detail.pathInfo && e.detail.pathInfo.requestPath;
      window.location.assign(path || window.location.href);
    });
  }

  // The inbox and My access refresh themselves, but never under someone's hands: not while a deny form is
  // open, a field has the focus, or the tab is hidden.
  window.portcullisIdle = function () {
    if (document.hidden) return false;
    if (document.querySelector("#live details[open]")) return false;
    var active = document.activeElement;
    return !(active && active.closest && active.closest("#live") && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName));
  };

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function remaining(ms) {
    if (ms <= 0) return "ended";
    var s = Math.floor(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h > 0 ? h + " h " : "") + pad(m) + " min " + pad(s % 60) + " s left";
  }

  function tickCountdowns() {
    document.querySelectorAll(".countdown[data-ends-at]").forEach(function (el) {
      var end = Date.parse(el.getAttribute("data-ends-at"));
      if (isNaN(end)) return;
      var ms = end - Date.now();
      var text = el.querySelector(".countdown-text") || el;
      text.textContent = remaining(ms);
      el.classList.toggle("ending", ms < 5 * 60 * 1000);
      el.setAttribute("title", "ends " + new Date(end).toISOString());
    });
  }
  setInterval(tickCountdowns, 1000);

  function describeRule(select) {
    var out = document.getElementById("rule-summary");
    var option = select.options[select.selectedIndex];
    var duration = document.getElementById("duration");
    var reasonOptional = document.getElementById("reason-optional");
    var ticketOptional = document.getElementById("ticket-optional");
    if (!option || !option.value) { if (out) out.textContent = ""; return; }
    var max = option.getAttribute("data-max-minutes");
    if (duration && max) duration.setAttribute("max", max);
    var reason = option.getAttribute("data-reason-required") === "true";
    var ticket = option.getAttribute("data-ticket-required") === "true";
    if (reasonOptional) reasonOptional.textContent = reason ? "(required)" : "(optional for this rule)";
    if (ticketOptional) ticketOptional.textContent = ticket ? "(required, " + option.getAttribute("data-ticket-pattern") + ")" : "(optional for this rule)";
    if (out) {
      out.textContent = "At most " + option.getAttribute("data-max") + " (" + max + " minutes); needs " + option.getAttribute("data-approvals")
        + " approval(s) from " + option.getAttribute("data-approvers") + (reason ? "; a reason" : "") + (ticket ? "; a ticket" : "") + ".";
    }
  }

  // ---- replay
  var player = null;

  // The player reads the recording by time range (asciinema-player's segmented source): an index, then the range
  // it plays and the next one, or the range a seek lands in, never the whole .cast.
  function replayUrl(el) { return el.getAttribute("data-replay-url"); }

  function createPlayer(at) {
    var el = document.getElementById("player");
    if (!el || !window.AsciinemaPlayer) return;
    if (player) { try { player.dispose(); } catch (e) { /* already gone */ } el.innerHTML = ""; }
    var speed = parseFloat((document.getElementById("speed") || {}).value || "1");
    var opts = { speed: speed, preload: true, fit: "width", terminalFontSize: "small" };
    player = AsciinemaPlayer.create({ url: replayUrl(el), format: "segmented" }, el, opts);
    window.portcullisPlayer = player;
    if (at) player.seek(at);
  }

  function currentTime() {
    if (!player) return Promise.resolve(0);
    return Promise.resolve(player.getCurrentTime());
  }

  function init(root) {
    tickCountdowns();
    var select = document.getElementById("access");
    if (select && !select.dataset.wired) {
      select.dataset.wired = "1";
      select.addEventListener("change", function () { describeRule(select); });
      describeRule(select);
    }
    (root || document).querySelectorAll("button.copy[data-copy]").forEach(function (b) {
      if (b.dataset.wired) return;
      b.dataset.wired = "1";
      b.addEventListener("click", function () {
        var input = document.getElementById(b.getAttribute("data-copy"));
        input.select();
        (navigator.clipboard ? navigator.clipboard.writeText(input.value) : Promise.reject()).then(
          function () { b.textContent = "Copied"; }, function () { document.execCommand("copy"); b.textContent = "Copied"; });
      });
    });
    (root || document).querySelectorAll("form[data-confirm]").forEach(function (f) {
      if (f.dataset.wired) return;
      f.dataset.wired = "1";
      f.addEventListener("submit", function (e) { if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault(); });
    });
    var el = document.getElementById("player");
    if (el && !el.dataset.wired) {
      el.dataset.wired = "1";
      // ?t=SECONDS (a search hit's link): start there
      var start = parseFloat(el.getAttribute("data-start") || "0");
      createPlayer(start > 0 ? start : 0);
      ["speed"].forEach(function (id) {
        var c = document.getElementById(id);
        if (c) c.addEventListener("change", function () { currentTime().then(function (t) { createPlayer(t); }); });
      });
      document.querySelectorAll("button.seek[data-seek]").forEach(function (b) {
        b.addEventListener("click", function () {
          if (player) player.seek(parseFloat(b.getAttribute("data-seek")));
        });
      });
      var out = document.getElementById("position");
      setInterval(function () {
        currentTime().then(function (t) { if (out && typeof t === "number") out.textContent = t.toFixed(1); });
      }, 250);
    }
  }

  if (window.htmx) {
    htmx.onLoad(function (root) { init(root); });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
