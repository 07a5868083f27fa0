/* crowdwall big screen: re-shows older posts when the wall is quiet, and scrolls gently through
   what overflows. Works on [data-live-root] elements with data-quiet-seconds / data-auto-scroll
   ="1"; live.js adds the posts and fires "crowdwall:post" on the root for each new one.
   Plain ES2017, no build step. */
(function () {
  "use strict";

  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");

  function calm() { return !!(reducedMotion && reducedMotion.matches); }

  function postsIn(root) { return root.querySelectorAll(":scope > article.post[data-post-id]"); }

  /* When nothing new arrives for data-quiet-seconds, bring the oldest shown post back to the
     top, highlighted (class is-reshown; live.js still places new posts above it). Each re-shown
     post goes to the top, so they cycle. */
  function quietMode(root, toTop) {
    var quiet = Number(root.getAttribute("data-quiet-seconds")) || 0;
    if (quiet <= 0) { return; }
    var lastArrival = Date.now();
    root.addEventListener("crowdwall:post", function () { lastArrival = Date.now(); });
    setInterval(function () {
      var posts = postsIn(root);
      if (posts.length < 2 || Date.now() - lastArrival < quiet * 1000) { return; }
      var node = posts[posts.length - 1];
      node.classList.add("is-reshown");
      root.insertBefore(node, root.firstElementChild);
      if (!calm()) {
        node.classList.add("is-new");
        setTimeout(function () { node.classList.remove("is-new"); }, 2500);
      }
      lastArrival = Date.now();
      toTop();
    }, 1000);
  }

  /* Scroll the [data-scroll-box] around the root gently (~30 px/s), resting at both ends and
     while the pointer is over it; new posts bring it back to the top. Reduced motion: page by
     page instead of gliding. */
  function autoScroll(root) {
    var box = root.closest("[data-scroll-box]") || root;
    var hovered = false, pauseUntil = Date.now() + 5000, last = 0, pos = 0;
    function toTop() {
      if (hovered) { return; }
      box.scrollTop = 0;
      pos = 0;
      pauseUntil = Date.now() + 5000;
    }
    if (root.getAttribute("data-auto-scroll") !== "1") { return function () {}; }
    box.addEventListener("mouseenter", function () { hovered = true; });
    box.addEventListener("mouseleave", function () { hovered = false; });
    root.addEventListener("crowdwall:post", toTop);
    function step(now) {
      var dt = last ? now - last : 0, room = box.scrollHeight - box.clientHeight;
      last = now;
      if (!hovered && room > 2 && Date.now() >= pauseUntil) {
        if (box.scrollTop >= room - 1) { // at the bottom: rest, then back to the top
          pauseUntil = Date.now() + 5000;
          setTimeout(function () { box.scrollTop = 0; pos = 0; }, 4000);
        } else if (calm()) {
          box.scrollTop = Math.min(room, box.scrollTop + box.clientHeight * 0.9);
          pauseUntil = Date.now() + 10000;
        } else {
          pos = Math.max(pos, box.scrollTop) + dt * 0.03;
          box.scrollTop = pos;
        }
      }
      window.requestAnimationFrame(step);
    }
    window.requestAnimationFrame(step);
    return toTop;
  }

  function init() {
    document.querySelectorAll("[data-live-root]").forEach(function (root) {
      quietMode(root, autoScroll(root));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
