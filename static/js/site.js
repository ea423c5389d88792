// Site-wide behaviour that htmx does not do by itself. No inline scripts: our CSP forbids them.
(function () {
  "use strict";
  // Things that only work with JavaScript (keyboard shortcuts) are hidden in the HTML and shown here.
  function showJsOnly() {
    document.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showJsOnly);
  } else {
    showJsOnly();
  }
  // Sign-up: send the browser's time zone, so the new student's study day rolls over at their 4 am.
  document.querySelectorAll("[data-browser-zone-input]").forEach(function (input) {
    if (window.Intl && !input.value) {
      input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    }
  });
  if (!window.htmx) {
    return;
  }
  // After a swap, move focus into the new content so keyboard and screen-reader users follow it.
  htmx.on("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id === "alerts") {
      return;
    }
    var swapped = document.getElementById(target.id) || target;
    var focusable = swapped.querySelector("[data-focus-after-swap]");
    if (focusable) {
      focusable.focus();
    }
  });
  // A successful request clears an earlier error message.
  htmx.on("htmx:beforeRequest", function () {
    var alerts = document.getElementById("alerts");
    if (alerts) {
      alerts.querySelectorAll(".message-error").forEach(function (el) { el.remove(); });
    }
  });
})();
