// The analytics page: re-fetch the figures fragment every few seconds while the tab is visible.
// Without JavaScript the page is complete; it just does not move until reloaded.
(function () {
  "use strict";
  var box = document.getElementById("an-figures");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-poll-url");
  var seconds = Number(box.getAttribute("data-poll-seconds")) || 5;
  var busy = false;

  function poll() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        box.innerHTML = html;
        box.removeAttribute("data-stale");
      })
      .catch(function () {
        box.setAttribute("data-stale", "true"); // shown as is; the next poll may succeed
      })
      .finally(function () {
        busy = false;
      });
  }

  window.setInterval(poll, seconds * 1000);
  document.addEventListener("visibilitychange", poll);
})();
