// Ordering exercise: drag (SortableJS, by the handle), Move up / Move down buttons and a polite
// live region. Progressive enhancement: without this file the position selects do the same job.
(function () {
  "use strict";

  function announce(form, text) {
    var live = form.querySelector("[data-ordering-live]");
    if (live) {
      live.textContent = text;
    }
  }

  function moved(form, list, item) {
    form.querySelector("[data-ordering-moved]").value = "1";
    var items = Array.prototype.slice.call(list.children);
    announce(form, "Stage " + item.dataset.label + " moved to position " + (items.indexOf(item) + 1) + " of " + items.length);
  }

  function move(form, list, button) {
    var item = button.closest("li");
    var up = button.dataset.move === "up";
    var neighbour = up ? item.previousElementSibling : item.nextElementSibling;
    if (!neighbour) {
      announce(form, "Stage " + item.dataset.label + " is already " + (up ? "first" : "last"));
      return;
    }
    list.insertBefore(up ? item : neighbour, up ? neighbour : item);
    moved(form, list, item);
    button.focus(); // moving the node can drop focus in some browsers: keep it on the button just used
  }

  function setUp(form) {
    if (form.dataset.orderingReady) {
      return;
    }
    form.dataset.orderingReady = "1";
    var list = form.querySelector("[data-ordering-list]");
    // With JavaScript the list order is the answer: the selects would only disagree with it.
    form.querySelectorAll("[data-ordering-position]").forEach(function (wrapper) {
      wrapper.hidden = true;
      wrapper.querySelector("select").disabled = true;
    });
    form.querySelectorAll("[data-ordering-nojs]").forEach(function (el) { el.hidden = true; });
    form.querySelectorAll("[data-ordering-js], [data-ordering-handle], [data-move]").forEach(function (el) {
      el.hidden = false;
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-move]");
      if (button) {
        move(form, list, button);
      }
    });
    if (window.Sortable) {
      Sortable.create(list, {
        handle: "[data-ordering-handle]",
        animation: 150,
        forceFallback: true, // the same pointer-driven drag for mouse and touch (and for Playwright)
        fallbackTolerance: 3,
        onEnd: function (event) {
          if (event.oldIndex !== event.newIndex) {
            moved(form, list, event.item);
          }
        },
      });
    }
  }

  function init(root) {
    if (root.matches && root.matches("[data-ordering-form]")) {
      setUp(root);
    }
    root.querySelectorAll("[data-ordering-form]").forEach(setUp);
  }

  if (window.htmx) {
    htmx.onLoad(init); // the page on load, and every fragment htmx swaps in
  } else {
    init(document);
  }
})();
