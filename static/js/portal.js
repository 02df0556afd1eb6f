/* Small behaviours every page may use, kept out of the HTML so the Content-Security-Policy
   needs no inline script or style attribute:
   - data-vars="row:3 span:4": numbers drawn by the server (calendar grid, room lane, progress)
     become CSS custom properties (--row, --span) through the CSSOM, which the policy allows;
   - data-autosubmit on a <select>: choosing an option submits its form (a Show button stays
     for keyboards and for pages without JavaScript);
   - data-select-on-focus on an input: focusing it selects its text, ready to copy;
   - #idle-warning (team members only): the warning before the idle limit signs them out. */
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

  // The team's idle limit (WCAG 2.2.1): warn two minutes before it signs someone out, with
  // one button to stay; once it has, say so, so nobody types on into a page that cannot save.
  var dialog = document.getElementById("idle-warning");
  if (dialog && typeof dialog.showModal === "function") {
    var limit = Number(dialog.dataset.idleMinutes) * 60000;
    // The server counts from its last note of activity, which may be up to a minute before
    // this page loaded (it notes at most once a minute): count from a minute earlier.
    var SLACK = 60000;
    var warnBefore = Math.min(120000, limit / 2);
    var stay = dialog.querySelector("[data-idle-stay]");
    var timers = [];
    var ended = false;
    var arm = function () {
      timers.forEach(clearTimeout);
      timers = [
        setTimeout(warn, limit - SLACK - warnBefore),
        setTimeout(signedOut, limit - SLACK)
      ];
    };
    var warn = function () {
      if (!dialog.open) { dialog.showModal(); }
      stay.focus();
    };
    var signedOut = function () {
      ended = true;
      timers.forEach(clearTimeout);
      dialog.querySelector("[data-idle-title]").textContent = "You have been signed out";
      dialog.querySelector("[data-idle-text]").hidden = true;
      dialog.querySelector("[data-idle-gone]").hidden = false;
      dialog.setAttribute("aria-describedby", "idle-warning-gone");
      stay.hidden = true;
      var signIn = dialog.querySelector("[data-idle-sign-in]");
      signIn.hidden = false;
      // Not modal now: the page stays usable, so what was typed can still be copied.
      if (dialog.open) { dialog.close(); }
      dialog.show();
      signIn.focus();
    };
    stay.addEventListener("click", function () {
      fetch(dialog.dataset.stillHere, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 204) { dialog.close(); arm(); } else { signedOut(); }
        })
        .catch(signedOut);
    });
    // Escape closes a modal dialog: treat it as "stay" while there is still time.
    dialog.addEventListener("cancel", function (event) {
      event.preventDefault();
      if (!ended) { stay.click(); }
    });
    // An htmx request is activity the server counts too.
    document.addEventListener("htmx:afterRequest", function () { if (!ended) { arm(); } });
    arm();
  }
})();
