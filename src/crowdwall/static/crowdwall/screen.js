/* crowdwall big screen and overlay: what live.js does not (live.js adds the posts and fires
   "crowdwall:post" on the [data-live-root] for each new one). Here: relative times in the wall's
   language, the fade on clamped posts, reloading when the wall's screen settings change, cards gliding to their new places when a post arrives,
   slides between the posts, the spotlight's rotation, the ticker's pace, and re-showing older
   posts when the wall is quiet. Configured by the root's data-layout, data-locale,
   data-quiet-seconds, data-spotlight-seconds and the [data-slides] element. Remote control
   (screen-remote.js): html.is-paused stops the rotation, "crowdwall:next" on the root moves it
   on, and while html.is-offline the columns re-show a post every data-spotlight-seconds, so a
   screen cut off from the server keeps changing. Plain ES2017. */
(function () {
  "use strict";

  var TIME_EVERY_MS = 30000;
  var TICKER_PX_PER_S = 7; // crawl speed, in root font sizes per second
  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");

  function calm() { return !!(reducedMotion && reducedMotion.matches); }

  function paused() { return document.documentElement.classList.contains("is-paused"); }

  function offline() { return document.documentElement.classList.contains("is-offline"); }

  function postsIn(root) { return root.querySelectorAll(":scope > article.post[data-post-id]"); }

  function arrive(node) {
    if (calm()) { return; }
    node.classList.add("is-new");
    setTimeout(function () { node.classList.remove("is-new"); }, 2500);
  }

  /* "2 minutes ago" in the wall's language (reltime.js, loaded before this file). */
  function relativeTimes(locale) {
    return window.crowdwallRelativeTimes ? window.crowdwallRelativeTimes(locale) : function () {};
  }

  function markClamped(scope) {
    scope.querySelectorAll(".post .content").forEach(function (node) {
      node.classList.toggle("is-clamped", node.scrollHeight > node.clientHeight + 2);
    });
  }

  /* Cards glide from where they were to where the new post pushed them (FLIP), instead of
     the whole screen jumping. Positions are remembered after every change. */
  function glide(root) {
    var last = new Map();
    function remember() {
      last = new Map();
      postsIn(root).forEach(function (node) { last.set(node, node.getBoundingClientRect()); });
    }
    function play() {
      if (calm()) { remember(); return; }
      postsIn(root).forEach(function (node) {
        var before = last.get(node);
        if (!before) { return; }
        var now = node.getBoundingClientRect();
        var dx = before.left - now.left, dy = before.top - now.top;
        if (!dx && !dy) { return; }
        node.style.transition = "none";
        node.style.transform = "translate(" + dx + "px," + dy + "px)";
        node.getBoundingClientRect(); // apply the start position before transitioning away from it
        node.style.transition = "transform .7s cubic-bezier(.2, .8, .2, 1)";
        node.style.transform = "";
      });
      remember();
    }
    var queued = false;
    function later() { // pictures loading and windows resizing move cards without a post
      if (queued) { return; }
      queued = true;
      window.requestAnimationFrame(function () { queued = false; remember(); });
    }
    remember();
    window.addEventListener("resize", later);
    root.addEventListener("load", later, true); // img and video load events do not bubble
    return play;
  }

  /* A copy of the next slide after every data-every posts (columns, media grid), counted in
     the order the posts show: the media grid puts posts with pictures first (CSS order), and
     a slide takes the order of the post it follows. */
  function interleave(root, slides, every) {
    root.querySelectorAll(":scope > .slide").forEach(function (node) { node.remove(); });
    if (!slides.length) { return; }
    var posts = Array.prototype.slice.call(postsIn(root)).map(function (post, index) {
      return { post: post, index: index, order: Number(getComputedStyle(post).order) || 0 };
    });
    posts.sort(function (a, b) { return a.order - b.order || a.index - b.index; });
    posts.forEach(function (item, index) {
      if ((index + 1) % every === 0) {
        var copy = slides[Math.floor(index / every) % slides.length].cloneNode(true);
        copy.style.order = String(item.order);
        item.post.after(copy);
      }
    });
  }

  /* Spotlight: one post at a time, newest first; a pinned post every third turn and a slide
     after every data-every posts. A new post takes the stage at once. */
  function spotlight(root, slides, every) {
    var seconds = Number(root.getAttribute("data-spotlight-seconds")) || 8;
    var pinned = document.querySelector("[data-pinned]");
    var current = null, turns = 0, pinTurn = 0, slideTurn = 0, shownPosts = 0, timer = null;
    root.setAttribute("data-spotlight", "");
    function show(node) {
      if (current && current !== node) {
        current.classList.remove("is-spotlit");
        if (current.hasAttribute("data-guest")) { current.remove(); }
      }
      current = node;
      if (!node) { return; }
      node.classList.add("is-spotlit");
      markClamped(root);
      arrive(node);
    }
    function guest(node) { // a copy of a pinned post or a slide, on stage for one turn
      var copy = node.cloneNode(true);
      copy.removeAttribute("id");
      copy.removeAttribute("data-post-id");
      copy.setAttribute("data-guest", "");
      root.insertBefore(copy, root.firstChild);
      return copy;
    }
    function nextPost() {
      var posts = Array.prototype.slice.call(postsIn(root));
      if (!posts.length) { return null; }
      var at = posts.indexOf(current);
      return posts[(at + 1) % posts.length];
    }
    function advance() {
      turns += 1;
      var pins = pinned ? pinned.querySelectorAll(":scope > article.post") : [];
      if (slides.length && every && shownPosts >= every) {
        shownPosts = 0;
        show(guest(slides[slideTurn++ % slides.length]));
      } else if (pins.length && turns % 3 === 0) {
        show(guest(pins[pinTurn++ % pins.length]));
      } else {
        var post = current && current.hasAttribute("data-guest") ? (root._lastPost || null) : current;
        // A guest's turn is over: take it off the stage (show() only retires what is current).
        if (post !== current) { show(null); }
        current = post;
        post = nextPost();
        root._lastPost = post;
        shownPosts += 1;
        show(post);
      }
    }
    function restart() {
      clearInterval(timer);
      timer = setInterval(function () { if (!paused()) { advance(); } }, seconds * 1000);
    }
    root.addEventListener("crowdwall:next", function () { advance(); restart(); });
    // live.js replaces an updated post and removes a rejected one: keep the stage filled.
    new MutationObserver(function () {
      if (current && !current.isConnected) {
        var id = current.getAttribute("data-post-id");
        var twin = id && root.querySelector(':scope > article.post[data-post-id="' + id + '"]');
        current = null;
        if (twin) { show(twin); } else { advance(); }
      }
    }).observe(root, { childList: true });
    root.addEventListener("crowdwall:post", function (event) {
      var node = root.querySelector(':scope > article.post[data-post-id="' + event.detail.id + '"]');
      if (node) { root._lastPost = node; shownPosts += 1; show(node); restart(); }
    });
    root._lastPost = postsIn(root)[0] || null;
    show(root._lastPost);
    restart();
  }

  /* Ticker: the band starts full (the newest post first, just after the label) and crawls at a
     constant, readable speed. Copies of the items (aria-hidden, no ids) follow the originals,
     as many as it takes to fill the band once more, and a lap moves the line by exactly the
     originals' length, so a lap ends where the next begins: the loop never jumps. New posts
     join the line when a lap ends; a post taken off or edited changes its copies at once
     (nothing rejected stays on screen). Reduced motion: no crawl, no copies; the first item
     goes to the end every few seconds. */
  function ticker(root, slides) {
    root.setAttribute("data-ticker", "");
    var label = root.parentNode.querySelector(".ticker-label");
    var stale = false;
    function items(copies) {
      return Array.prototype.filter.call(root.querySelectorAll(":scope > article.post, :scope > .slide"), function (node) {
        return node.hasAttribute("data-ticker-copy") === copies;
      });
    }
    function copyOf(node) {
      var twin = node.cloneNode(true);
      twin.removeAttribute("id");
      twin.removeAttribute("data-post-id");
      twin.querySelectorAll("[id]").forEach(function (inner) { inner.removeAttribute("id"); });
      twin.classList.remove("is-new");
      twin.setAttribute("data-ticker-copy", "");
      twin.setAttribute("aria-hidden", "true");
      // Hidden from assistive technology, so nothing in it may take the focus either.
      twin.inert = true;
      twin.querySelectorAll("a[href], button, input, [tabindex]").forEach(function (el) {
        el.setAttribute("tabindex", "-1");
      });
      return twin;
    }
    var lapPx = 0, lapMs = 0;
    function crawl() {
      var all = root.getAnimations ? root.getAnimations() : [];
      return all.filter(function (a) { return a.animationName === "cw-ticker"; })[0] || null;
    }
    function layout() {
      stale = false;
      var running = crawl(), offset = 0; // px into the lap: a relayout mid-lap keeps the place
      if (running && lapPx && lapMs && running.currentTime !== null) {
        offset = (running.currentTime % lapMs) / lapMs * lapPx;
      }
      items(true).forEach(function (node) { node.remove(); });
      var em = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
      var start = (label ? label.offsetWidth : 0) + em;
      root.style.setProperty("--ticker-start", start + "px");
      var originals = items(false);
      if (calm() || !originals.length) { root.style.removeProperty("--ticker-lap"); return; }
      var sets = 0, lap = 0;
      // Copies until the band is full again one lap on (a short line needs several sets).
      while (sets < 40 && (!lap || root.scrollWidth < start + lap + window.innerWidth + em)) {
        originals.forEach(function (node) { root.appendChild(copyOf(node)); });
        sets += 1;
        if (!lap) { lap = items(true)[0].offsetLeft - originals[0].offsetLeft; }
        if (lap <= 0) { break; }
      }
      var seconds = Math.round(Math.max(10, lap / (em * TICKER_PX_PER_S)) * 10) / 10;
      root.style.setProperty("--ticker-lap", lap + "px");
      root.style.setProperty("--ticker-seconds", seconds + "s");
      lapPx = lap;
      lapMs = seconds * 1000;
      getComputedStyle(root).animationDuration; // apply the new lap before placing the crawl in it
      running = crawl();
      if (running && lap > 0) { running.currentTime = Math.min(offset, lap) / lap * lapMs; }
    }
    slides.forEach(function (slide) { root.appendChild(slide.cloneNode(true)); });
    new MutationObserver(function (records) {
      var now = false;
      records.forEach(function (record) {
        record.removedNodes.forEach(function (node) { if (node.nodeType === 1 && !node.hasAttribute("data-ticker-copy")) { now = true; } });
        record.addedNodes.forEach(function (node) { if (node.nodeType === 1 && !node.hasAttribute("data-ticker-copy")) { stale = true; } });
      });
      if (now) { layout(); }
    }).observe(root, { childList: true });
    root.addEventListener("animationiteration", function (event) {
      if (event.target === root && stale) { layout(); }
    });
    window.addEventListener("resize", layout);
    layout();
    if (document.fonts && document.fonts.ready) { document.fonts.ready.then(layout); }
    function next() {
      var originals = items(false);
      if (originals.length) { root.insertBefore(originals[0], originals[originals.length - 1].nextSibling); }
    }
    root.addEventListener("crowdwall:next", next);
    if (calm()) {
      setInterval(function () { if (!paused()) { next(); } }, 6000);
    }
  }

  /* When nothing new arrives for data-quiet-seconds, bring the oldest shown post back to the
     top, highlighted (class is-reshown; live.js still places new posts above it). */
  function quietMode(root, moved) {
    var quiet = Number(root.getAttribute("data-quiet-seconds")) || 0;
    var outage = Number(root.getAttribute("data-spotlight-seconds")) || 8;
    var lastArrival = Date.now();
    function reshow() {
      var posts = postsIn(root);
      if (posts.length < 2) { return; }
      var node = posts[posts.length - 1];
      node.classList.add("is-reshown");
      root.insertBefore(node, root.firstElementChild);
      arrive(node);
      lastArrival = Date.now();
      moved();
    }
    root.addEventListener("crowdwall:next", reshow);
    root.addEventListener("crowdwall:post", function () { lastArrival = Date.now(); });
    setInterval(function () {
      var wait = offline() ? outage : quiet; // cut off: nothing new will come, keep it moving
      if (paused() || wait <= 0 || Date.now() - lastArrival < wait * 1000) { return; }
      reshow();
    }, 1000);
  }

  /* A kiosk nobody touches still picks up a new layout, theme or slides: every
     data-settings-seconds it fetches its own (cached) page and reloads when the wall's
     settings version (data-settings) has changed. */
  function followSettings(root) {
    var version = root.getAttribute("data-settings");
    var seconds = Number(root.getAttribute("data-settings-seconds")) || 0;
    if (!version || seconds <= 0) { return; }
    setInterval(function () {
      fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          var found = /data-settings="(\d+)"/.exec(html);
          if (found && found[1] !== version) { window.location.reload(); }
        })
        .catch(function () { /* offline: live.js shows it; try again next time */ });
    }, seconds * 1000);
  }

  function init() {
    var holder = document.querySelector("[data-slides]");
    var slides = holder ? Array.prototype.slice.call(holder.querySelectorAll(".slide")) : [];
    var every = holder ? Number(holder.getAttribute("data-every")) || 0 : 0;
    document.querySelectorAll("[data-live-root]").forEach(function (root) {
      var layout = root.getAttribute("data-layout") || "columns";
      followSettings(root);
      var times = relativeTimes(root.getAttribute("data-locale") || document.documentElement.lang || "en");
      var pending = false;
      times();
      setInterval(times, TIME_EVERY_MS);
      // Posts live.js adds or replaces (an edit, a pin) get their relative time at once.
      new MutationObserver(function () {
        if (pending) { return; }
        pending = true;
        window.requestAnimationFrame(function () { pending = false; times(); markClamped(root); });
      }).observe(document.body, { childList: true, subtree: true });
      if (layout === "spotlight") { spotlight(root, slides, every); return; }
      if (layout === "ticker") {
        ticker(root, slides);
        root.addEventListener("crowdwall:post", times);
        return;
      }
      var play = glide(root);
      function changed() {
        if (every) { interleave(root, slides, every); }
        times();
        markClamped(root);
        play();
      }
      if (every) { interleave(root, slides, every); }
      markClamped(document);
      root.addEventListener("crowdwall:post", changed);
      quietMode(root, changed);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
