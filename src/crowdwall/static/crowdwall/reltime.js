/* crowdwall relative times: a post's <time datetime> reads "2 minutes ago" in the given
   language; the absolute time the server wrote moves to the title (hover) and stays in
   datetime for machines. Used by the big screen (screen.js) and the wall page (wall.js).
   Plain ES2017, no build step. */
(function () {
  "use strict";

  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];

  /* An update function for the posts' times in ``scope`` (the document by default); a
     browser without Intl.RelativeTimeFormat keeps the absolute times. */
  window.crowdwallRelativeTimes = function (locale, scope) {
    var format;
    try { format = new Intl.RelativeTimeFormat(locale, { numeric: "auto" }); } catch (e) {
      try { format = new Intl.RelativeTimeFormat("en", { numeric: "auto" }); } catch (e2) { return function () {}; }
    }
    function label(ms) {
      var seconds = Math.round((ms - Date.now()) / 1000);
      for (var i = 0; i < UNITS.length; i++) {
        if (Math.abs(seconds) >= UNITS[i][1]) { return format.format(Math.round(seconds / UNITS[i][1]), UNITS[i][0]); }
      }
      return format.format(0, "second"); // "now"
    }
    return function update() {
      (scope || document).querySelectorAll(".post time[datetime]").forEach(function (node) {
        var ms = Date.parse(node.getAttribute("datetime"));
        if (isNaN(ms)) { return; }
        var text = label(ms);
        if (!node.title) { node.title = node.textContent; }
        if (node.textContent !== text) { node.textContent = text; } // no change, no mutation
      });
    };
  };
})();
