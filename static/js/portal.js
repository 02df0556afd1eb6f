/* Small behaviours every page may use, kept out of the HTML so the Content-Security-Policy
   needs no inline script or style attribute:
   - data-vars="row:3 span:4": numbers drawn by the server (calendar grid, room lane, progress)
     become CSS custom properties (--row, --span) through the CSSOM, which the policy allows;
   - data-autosubmit on a <select>: choosing an option submits its form (a Show button stays
     for keyboards and for pages without JavaScript);
   - data-select-on-focus on an input: focusing it selects its text, ready to copy. */
(function () {
  "use strict";
  var NAME = /^[a-z][a-z-]*$/;
  var NUMBER = /^-?\d+(\.\d+)?$/;

  function place(root) {
    var found = root.querySelectorAll ? root.querySelectorAll("[data-vars]") : [];
    var all = root.matches && root.matches("[data-vars]") ? [root].concat(Array.from(found)) : found;
    Array.prototype.forEach.call(all, function (el) {
      el.dataset.vars.split(/\s+/).forEach(function (pair) {
        var at = pair.indexOf(":");
        var name = pair.slice(0, at);
        var value = pair.slice(at + 1);
        if (at > 0 && NAME.test(name) && NUMBER.test(value)) {
          el.style.setProperty("--" + name, value);
        }
      });
    });
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) {
      el.form.requestSubmit();
    }
  });
  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (el.matches && el.matches("input[data-select-on-focus]")) {
      el.select();
    }
  });
  // Content swapped in by htmx is placed too.
  document.addEventListener("htmx:load", function (event) { place(event.target); });
  place(document);
})();
