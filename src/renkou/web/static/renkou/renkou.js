/* Renkou's own script, loaded from the site itself (the Content-Security-Policy allows no inline
   script): behaviour is bound to data attributes, and every page works without it. */
(function () {
  "use strict";
  function bind(root) {
    // <button type="button" data-print>: open the browser's print dialog (the print stylesheet
    // hides navigation and buttons).
    root.querySelectorAll("[data-print]").forEach(function (el) {
      if (el.dataset.printBound) { return; }
      el.dataset.printBound = "1";
      el.addEventListener("click", function (ev) {
        ev.preventDefault();
        window.print();
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { bind(document); });
  } else {
    bind(document);
  }
}());
