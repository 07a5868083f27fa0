/* crowdwall boost switch: hide every [data-boost="1"] element (posts the live script adds
   later too) by a class on <html>, remembered in localStorage. Plain JS, no build step. */
(function () {
  "use strict";
  var KEY = "crowdwall.hideBoosts";
  var CLASS = "cw-hide-boosts";

  function load() {
    try { return window.localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  }

  function save(hide) {
    // Storage may be unavailable (private mode, blocked cookies): the switch still works.
    try { window.localStorage.setItem(KEY, hide ? "1" : "0"); } catch (e) { /* not remembered */ }
  }

  function apply(hide) {
    document.documentElement.classList.toggle(CLASS, hide);
    var boxes = document.querySelectorAll("[data-boost-switch] input[type=checkbox]");
    for (var i = 0; i < boxes.length; i++) { boxes[i].checked = hide; }
  }

  apply(load()); // before first paint of the posts where possible

  function init() {
    var switches = document.querySelectorAll("[data-boost-switch]");
    for (var i = 0; i < switches.length; i++) {
      var box = switches[i].querySelector("input[type=checkbox]");
      if (!box) { continue; }
      switches[i].hidden = false; // shown only when this script runs
      box.addEventListener("change", function (event) {
        save(event.target.checked);
        apply(event.target.checked);
      });
    }
    apply(load());
  }

  // Another tab changed the preference.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) { apply(event.newValue === "1"); }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
