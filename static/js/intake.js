/* Intake form helpers: show conditional questions, report autosave, and keep a copy of
   what was typed in this tab if autosave fails (e.g. signed out), restoring it on return. */
(function () {
  "use strict";
  var form = document.querySelector("form.intake-form");
  if (!form) return;
  var status = document.getElementById("autosave-status");
  var key = "intake-backup:" + form.dataset.draft;
  var unsaved = false;  // the last autosave failed: keep the copy through a submit too

  function checkedValues(name) {
    return Array.prototype.map.call(
      form.querySelectorAll('[name="' + name + '"]:checked'), function (el) { return el.value; });
  }
  function applyConditions() {
    form.querySelectorAll("[data-show-if]").forEach(function (el) {
      var shown = checkedValues(el.dataset.showIf).indexOf(el.dataset.showValue) !== -1;
      el.hidden = !shown;
    });
  }
  // "None of these" stands alone: ticking it clears the other boxes of its question, and
  // ticking another box clears it, so the patient never meets the server's error for both.
  function keepExclusiveAlone(event) {
    var box = event.target;
    var group = box.closest && box.closest("[data-exclusive]");
    if (!group || box.type !== "checkbox" || !box.checked) return false;
    var alone = group.dataset.exclusive.split(" ");
    var boxIsAlone = alone.indexOf(box.value) !== -1;
    var cleared = false;
    group.querySelectorAll('input[type="checkbox"]:checked').forEach(function (other) {
      if (other !== box && (boxIsAlone || alone.indexOf(other.value) !== -1)) {
        other.checked = false;
        cleared = true;
      }
    });
    return cleared;
  }
  function snapshot() {
    var data = {};
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;
      (data[name] = data[name] || []).push(value);
    });
    return data;
  }
  function restore(data) {
    form.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "hidden") return;
      var values = data[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") el.checked = values.indexOf(el.value) !== -1;
      else if (values.length) el.value = values[0];
    });
  }

  try {
    var saved = sessionStorage.getItem(key);
    if (saved) {
      restore(JSON.parse(saved));
      unsaved = true;
      status.textContent = "We put back what you typed before you were signed out. Press Save to keep it.";
    }
  } catch (e) { /* storage unavailable: the server copy is still there */ }

  function backup() {
    try { sessionStorage.setItem(key, JSON.stringify(snapshot())); } catch (e) { /* ignore */ }
  }

  form.addEventListener("input", backup);
  form.addEventListener("change", function (event) {
    if (keepExclusiveAlone(event)) backup();
  });
  form.addEventListener("change", applyConditions);
  form.addEventListener("htmx:beforeRequest", function () { status.textContent = "Saving…"; });
  form.addEventListener("htmx:afterRequest", function (event) {
    unsaved = !event.detail.successful;
    if (event.detail.successful) {
      try { sessionStorage.removeItem(key); } catch (e) { /* ignore */ }
    } else {
      var xhr = event.detail.xhr;
      status.textContent = (xhr && xhr.status && xhr.responseText) ||
        "Not saved just now (no connection?). Keep going: we will try again.";
    }
  });
  form.addEventListener("submit", function () {
    if (unsaved) return;
    try { sessionStorage.removeItem(key); } catch (e) { /* ignore */ }
  });
  applyConditions();
})();
