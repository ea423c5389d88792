// Behaviour for the prediction feature (progressive enhancement; the page works without it).
// A character counter under the prediction box. The visible count changes on every key; the
// screen-reader announcement (aria-live="polite") only speaks when the text nears the limit,
// so it does not chatter while the student types.
(function () {
  "use strict";
  // Remaining-character bands: an announcement is made only when the text moves into a closer band.
  var BANDS = [300, 100, 0];

  function band(left) {
    var index = 0;
    BANDS.forEach(function (limit, i) {
      if (left <= limit) {
        index = i + 1;
      }
    });
    return index;
  }

  function setUp(textarea) {
    if (textarea.dataset.counterReady) {
      return;
    }
    textarea.dataset.counterReady = "1";
    var max = parseInt(textarea.getAttribute("maxlength"), 10);
    var counter = document.getElementById(textarea.dataset.charCounter);
    var live = document.getElementById(textarea.dataset.charCounterLive);
    if (!max || !counter) {
      return;
    }
    var lastBand = band(max - textarea.value.length);

    function update() {
      var left = max - textarea.value.length;
      counter.textContent = textarea.value.length + " of " + max + " used.";
      counter.hidden = false;
      var now = band(left);
      if (live && now > lastBand) {
        live.textContent = left <= 0 ? "Character limit reached." : left + " characters left.";
      }
      lastBand = now;
    }

    textarea.addEventListener("input", update);
    update();
  }

  function setUpAll(root) {
    root.querySelectorAll("textarea[data-char-counter]").forEach(setUp);
  }

  if (window.htmx) {
    htmx.onLoad(setUpAll); // the first page load and every swapped-in fragment
  } else {
    setUpAll(document);
  }
})();
