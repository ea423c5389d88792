// Behaviour for the flashcards feature (progressive enhancement; the page works without it).
// No inline scripts or handlers: our CSP forbids them.
(function () {
  "use strict";

  // Review keys on /review/: Space or Enter reveals, 1-4 rate, u undoes. Each key clicks the
  // button carrying the matching data-flashcard-key, so it takes exactly the path a click takes.
  function isTyping(target) {
    if (!target || !target.closest) {
      return false;
    }
    return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']"));
  }

  function keyName(event) {
    if (event.key === " " || event.key === "Spacebar" || event.key === "Enter") {
      return "reveal";
    }
    if (["1", "2", "3", "4"].indexOf(event.key) !== -1) {
      return event.key;
    }
    if (event.key === "u" || event.key === "U") {
      return "undo";
    }
    return null;
  }

  document.addEventListener("keydown", function (event) {
    var session = document.querySelector("[data-review-keys]");
    if (!session || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.repeat) {
      return;
    }
    if (isTyping(event.target)) {
      return;
    }
    var name = keyName(event);
    if (!name) {
      return;
    }
    var active = document.activeElement;
    // Enter and Space on a focused button or link already activate it natively.
    if (name === "reveal" && active && active.closest && active.closest("button, a, summary")) {
      return;
    }
    var button = session.querySelector('[data-flashcard-key="' + name + '"]');
    if (!button || button.disabled) {
      return;
    }
    event.preventDefault();
    button.click();
  });

  // The print layout's Print button (hidden in the HTML: without JavaScript it could not print).
  function showPrintButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showPrintButtons);
  } else {
    showPrintButtons();
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-print]");
    if (target) {
      window.print();
    }
  });

  // Settings: offer the browser's own time zone when it differs from the chosen one.
  function offerBrowserZone() {
    var box = document.querySelector("[data-browser-zone]");
    var select = document.getElementById("id_time_zone");
    if (!box || !select || !window.Intl) {
      return;
    }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || select.value === zone || !select.querySelector('option[value="' + zone + '"]')) {
      return;
    }
    var button = box.querySelector("[data-use-browser-zone]");
    button.textContent = "Use my browser's time zone (" + zone.replace(/_/g, " ") + ")";
    button.addEventListener("click", function () {
      select.value = zone;
      select.focus();
    });
    box.hidden = false;
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", offerBrowserZone);
  } else {
    offerBrowserZone();
  }
})();
