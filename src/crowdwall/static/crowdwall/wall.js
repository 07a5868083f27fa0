/* crowdwall wall page: never shifts what the reader is reading. While the reader is scrolled
   down (or has pressed Pause), new posts wait behind an "N new posts" button instead of going
   in above; the button shows them and scrolls back up. Removals still apply to held posts.
   j / k (or the arrow keys on a focused post) step the focus through the posts.
   Works with live.js's hooks on the [data-live-root] ("crowdwall:incoming", "crowdwall:removed",
   "crowdwall:release"). Plain ES2017, no build step. */
(function () {
  "use strict";

  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");

  function calm() { return !!(reducedMotion && reducedMotion.matches); }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function typing(target) {
    return !!(target && target.closest && target.closest("input, textarea, select, [contenteditable]"));
  }

  class HeldPosts {
    constructor(root, bar) {
      this.root = root;
      this.bar = bar;
      this.held = new Map(); // post id -> node, in arrival order
      this.pause = bar.querySelector("[data-live-pause]");
      this.button = bar.querySelector("[data-new-posts]");
      this.paused = false;
      bar.hidden = false;
      this.pause.hidden = false;
      root.addEventListener("crowdwall:incoming", this.incoming.bind(this));
      root.addEventListener("crowdwall:removed", this.removed.bind(this));
      this.pause.addEventListener("click", this.toggle.bind(this));
      this.button.addEventListener("click", this.show.bind(this));
    }

    /* Scrolled down: the top of the list has gone up behind the (sticky) bar. */
    reading() {
      return this.root.getBoundingClientRect().top < this.bar.getBoundingClientRect().bottom - 1;
    }

    incoming(event) {
      var id = String(event.detail.id);
      // Once one post waits, later ones wait too: they must not jump ahead of it.
      if (this.paused || this.held.size || this.reading()) {
        event.preventDefault();
        this.held.set(id, event.detail.node); // an edit of a held post replaces it
        // Bounded like the list itself (live.js keeps data-max-posts): a reader away for hours
        // on a busy wall gets the newest ones; the older ones are in the archive.
        var max = Number(this.root.getAttribute("data-max-posts")) || 200;
        while (this.held.size > max) { this.held.delete(this.held.keys().next().value); }
        this.update();
      }
    }

    removed(event) {
      if (this.held.delete(String(event.detail.id))) { this.update(); }
    }

    toggle() {
      this.paused = !this.paused;
      this.pause.setAttribute("aria-pressed", String(this.paused));
      if (!this.paused && this.held.size && !this.reading()) { this.release(); }
      this.update();
    }

    release() {
      var nodes = Array.from(this.held.values());
      this.held.clear();
      this.root.dispatchEvent(new CustomEvent("crowdwall:release", { detail: { nodes: nodes } }));
      return nodes;
    }

    show() {
      var nodes = this.release();
      this.update();
      window.scrollTo({ top: 0, behavior: calm() ? "auto" : "smooth" });
      // The button is gone: the keyboard goes on from the newest post.
      var first = this.root.querySelector(":scope > article.post[data-post-id]");
      if (nodes.length && first) { first.focus({ preventScroll: true }); }
    }

    update() {
      var n = this.held.size;
      this.button.hidden = n === 0;
      this.button.textContent = n ? "Show " + plural(n, "new post", "new posts") : "";
      this.bar.classList.toggle("has-new", n > 0);
    }
  }

  /* j / k: next / previous post of the page's lists, from the focused one (or the first in view). */
  function stepper(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
    var onPost = event.target.matches && event.target.matches("article.post");
    var step = { j: 1, k: -1 }[event.key];
    if (!step && onPost) { step = { ArrowDown: 1, ArrowUp: -1 }[event.key]; }
    if (!step) { return; }
    var posts = Array.from(document.querySelectorAll("main article.post[tabindex]"))
      .filter(function (n) { return n.offsetParent !== null; }); // skip hidden ones (boosts)
    if (!posts.length) { return; }
    var at = posts.indexOf(event.target.closest ? event.target.closest("article.post") : null);
    if (at < 0) {
      at = posts.findIndex(function (n) { return n.getBoundingClientRect().bottom > 0; });
      at = at < 0 ? 0 : at - step; // the first step lands on the first post in view
    }
    var next = posts[Math.min(posts.length - 1, Math.max(0, at + step))];
    event.preventDefault();
    next.focus({ preventScroll: true });
    next.scrollIntoView({ block: "nearest", behavior: calm() ? "auto" : "smooth" });
  }

  function init() {
    var bar = document.querySelector("[data-live-bar]");
    var root = document.querySelector("#wall-posts[data-live-root]");
    if (bar && root && "WebSocket" in window) { root._held = new HeldPosts(root, bar); }
    document.addEventListener("keydown", stepper);
    relativeTimes();
  }

  /* "2 minutes ago" (reltime.js) on every post of the page, the side lists' too, refreshed
     every 30 s and as soon as live.js adds or replaces a post. */
  function relativeTimes() {
    if (!window.crowdwallRelativeTimes) { return; }
    var times = window.crowdwallRelativeTimes(document.documentElement.lang || "en");
    var pending = false;
    times();
    setInterval(times, 30000);
    new MutationObserver(function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; times(); });
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
