/* The big screen's remote side (crowdwall/remote/): presence, commands, and outages.
   - Presence: every data-heartbeat seconds the screen reports its random id (kept for the
     tab's life in sessionStorage), layout, theme, size, last post id, lag and reconnects; over
     the live socket (Channels) or as a POST to data-presence-url (nchan only goes one way).
   - Commands: "screen.control" frames (for every screen, or this one's id) and the
     "screen.state" after each catch-up (the wall's, with the commands sent to this screen alone:
     live.js connects with ?screen=<id>, so they survive a reload or a reconnect): pause/resume (new posts wait), next, spotlight a post,
     an announcement banner, layout (the page is loaded again with ?layout=) or theme (swapped
     in place), reload. Frames come through live.js's "crowdwall:frame" event.
   - Outages: a service worker (data-sw-url, scoped to this page) keeps the page and its assets;
     IndexedDB keeps the last data-keep approved posts, restored into a page loaded while the
     server is away; html.is-offline and a discreet mark show while the live connection is
     down (screen.js keeps the posts moving). live.js catches up by id on reconnect: a post it
     has already is replaced, never shown twice. Plain ES2017. */
(function () {
  "use strict";

  var ID_KEY = "crowdwall.screen.id";
  var DB_NAME = "crowdwall-screen";
  var holder = document.querySelector("[data-screen-remote]");
  var root = document.querySelector("[data-live-root]");
  var config = document.querySelector("[data-live-config]");
  if (!holder || !root || !config) { return; }
  var html = document.documentElement;
  var slug = root.getAttribute("data-wall");
  var keep = Number(holder.getAttribute("data-keep")) || 50;
  var ownTheme = holder.getAttribute("data-theme");
  var held = []; // posts that arrived while paused
  var timers = {};

  function screenId() { // live.js's: the same id it connects with (?screen=)
    if (window.crowdwall && window.crowdwall.screenId) { return window.crowdwall.screenId(); }
    var id = null;
    try { id = window.sessionStorage.getItem(ID_KEY); } catch (e) { /* no storage */ }
    if (!id || !/^[A-Za-z0-9_-]{8,40}$/.test(id)) {
      var bytes = new Uint8Array(12);
      window.crypto.getRandomValues(bytes);
      id = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      try { window.sessionStorage.setItem(ID_KEY, id); } catch (e) { /* a new id per load, then */ }
    }
    return id;
  }

  var me = screenId();
  holder.setAttribute("data-screen-id", me);

  function live() { return config._live || null; }

  function box(className) { // a screen element created on first use
    var node = document.querySelector("." + className);
    if (!node) {
      node = document.createElement("div");
      node.className = className;
      node.hidden = true;
      document.body.appendChild(node);
    }
    return node;
  }

  function later(name, seconds, done) {
    clearTimeout(timers[name]);
    timers[name] = setTimeout(done, Math.max(1, seconds) * 1000);
  }

  // -- commands --------------------------------------------------------------------------

  function pause(on) {
    html.classList.toggle("is-paused", on);
    if (!on && held.length) {
      var nodes = held;
      held = [];
      root.dispatchEvent(new CustomEvent("crowdwall:release", { detail: { nodes: nodes } }));
    }
  }

  function banner(text, seconds) {
    var node = box("screen-announcement");
    node.setAttribute("role", "status");
    if (!text) { node.hidden = true; html.classList.remove("has-announcement"); return; }
    node.textContent = text;
    node.hidden = false;
    html.classList.add("has-announcement");
    later("banner", seconds, function () { banner(""); });
  }

  function spotlight(frame) {
    var node = box("screen-spotlight");
    var id = Number(frame.id);
    var post = null;
    if (frame.post && window.crowdwall && window.crowdwall.renderPost) {
      post = window.crowdwall.renderPost(frame.post, id, "spotlight-post");
    } else {
      var shown = root.querySelector(':scope > article.post[data-post-id="' + id + '"]');
      post = shown && shown.cloneNode(true);
    }
    if (!post) { return; }
    post.removeAttribute("id");
    post.removeAttribute("data-post-id"); // a copy: live.js must never find it by id
    node.replaceChildren(post);
    node.hidden = false;
    later("spotlight", Number(frame.seconds) || 15, function () { node.hidden = true; node.replaceChildren(); });
  }

  function layout(value) {
    var url = new URL(window.location.href);
    var current = url.searchParams.get("layout") || "";
    if (value === current || (value && value === root.getAttribute("data-layout") && !current)) { return; }
    if (value) { url.searchParams.set("layout", value); } else { url.searchParams.delete("layout"); }
    window.location.replace(url.href);
  }

  function theme(value) {
    var wanted = value || ownTheme;
    html.className = html.className.replace(/\btheme-[a-z]+\b/, "theme-" + wanted);
  }

  function command(frame) {
    if (frame.screen && frame.screen !== me) { return; }
    switch (frame.command) {
      case "pause": pause(true); break;
      case "resume": pause(false); break;
      case "next": root.dispatchEvent(new CustomEvent("crowdwall:next")); break;
      case "spotlight": spotlight(frame); break;
      case "banner": banner(String(frame.text || ""), Number(frame.seconds) || 60); break;
      case "clear-banner": banner(""); break;
      case "layout": layout(String(frame.value || "")); break;
      case "theme": theme(String(frame.value || "")); break;
      case "reload": window.location.reload(); break;
      default: break; // a newer server's command: ignore
    }
  }

  function state(frame) {
    pause(!!frame.paused);
    if (frame.banner && frame.banner.text) { banner(String(frame.banner.text), Number(frame.banner.seconds) || 1); }
    else { banner(""); }
    theme(String(frame.theme || ""));
    // A spotlight still running (the wall's, or this screen's own), for the seconds it has left.
    if (frame.spotlight && frame.spotlight.id) { spotlight(frame.spotlight); }
    // "" in the state is "nothing set": a screen opened with its own ?layout= keeps it.
    if (frame.layout) { layout(String(frame.layout)); }
  }

  root.addEventListener("crowdwall:incoming", function (event) {
    if (!html.classList.contains("is-paused")) { return; }
    event.preventDefault(); // live.js keeps nothing: we hand the node back on resume
    held.push(event.detail.node);
  });

  // -- posts kept for an outage (IndexedDB) ------------------------------------------------

  var db = null;

  function openDb() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      var request = window.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore("posts", { keyPath: "key" });
        store.createIndex("wall", "wall");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { resolve(null); }; // private mode: no outage store
    });
  }

  function wallPosts(done) {
    if (!db) { done([]); return; }
    var request = db.transaction("posts").objectStore("posts").index("wall").getAll(slug);
    request.onsuccess = function () { done(request.result || []); };
    request.onerror = function () { done([]); };
  }

  function remember(id, post) {
    if (!db) { return; }
    var store = db.transaction("posts", "readwrite").objectStore("posts");
    if (post) { store.put({ key: slug + ":" + id, wall: slug, id: id, post: post }); }
    else { store.delete(slug + ":" + id); }
  }

  function prune() { // the newest `keep` of this wall
    wallPosts(function (rows) {
      rows.sort(function (a, b) { return b.id - a.id; });
      rows.slice(keep).forEach(function (row) { remember(row.id, null); });
    });
  }

  function restore() { // posts received after this (perhaps cached) page was rendered
    var since = Number(root.getAttribute("data-last-id")) || 0;
    wallPosts(function (rows) {
      rows.filter(function (row) { return row.id > since; }).sort(function (a, b) { return a.id - b.id; })
        .forEach(function (row) {
          var frame = { type: "post.new", id: row.id, post: row.post };
          var wall = live();
          if (wall) { wall.apply(frame); } // upsert by id: a post shown already is replaced
        });
    });
  }

  openDb().then(function (opened) {
    db = opened;
    if (!db) { return; }
    restore();
    prune();
  });

  // -- frames, status, presence ------------------------------------------------------------

  document.addEventListener("crowdwall:frame", function (event) {
    if (event.detail.wall !== slug) { return; }
    var frame = event.detail.frame;
    if (frame.type === "screen.control") { command(frame); }
    else if (frame.type === "screen.state") { state(frame); }
    else if ((frame.type === "post.new" || frame.type === "post.update") && frame.post) { remember(Number(frame.id), frame.post); }
    else if (frame.type === "post.delete") { remember(Number(frame.id), null); }
    else if (frame.type === "catchup.done") { prune(); }
  });
  // A state that came before this script ran (live.js connects as soon as it runs) still counts.
  if (live() && live().screenState) { state(live().screenState); }

  function setOffline(on) {
    html.classList.toggle("is-offline", on);
    var mark = box("screen-offline");
    mark.textContent = "offline";
    mark.setAttribute("title", "The connection to the server is down: showing the posts it has, catching up on reconnect.");
    mark.hidden = !on;
  }

  document.addEventListener("crowdwall:status", function (event) {
    if (event.detail.wall !== slug) { return; }
    setOffline(event.detail.state === "reconnecting" || event.detail.state === "stopped");
  });
  window.addEventListener("offline", function () { setOffline(true); });

  function report() {
    var wall = live();
    var opens = wall ? wall.opens : 0;
    var message = {
      type: "presence",
      screen: me,
      layout: root.getAttribute("data-layout") || "columns",
      theme: (/\btheme-([a-z]+)\b/.exec(html.className) || [null, ownTheme])[1],
      overlay: html.classList.contains("is-overlay"),
      width: Math.round(window.innerWidth),
      height: Math.round(window.innerHeight),
      last_id: wall ? wall.since : 0,
      lag_ms: wall ? Math.max(0, Math.round(wall.lag)) : 0,
      reconnects: Math.max(0, opens - 1),
      paused: html.classList.contains("is-paused"),
      offline_posts: 0,
    };
    wallPosts(function (rows) {
      message.offline_posts = rows.length;
      if (wall && wall.send(message)) { return; }
      if (html.classList.contains("is-offline")) { return; } // nobody to tell
      fetch(holder.getAttribute("data-presence-url"), {
        method: "POST", body: JSON.stringify(message), credentials: "omit", keepalive: true,
        headers: { "Content-Type": "application/json" },
      }).catch(function () { /* offline: the status line says so */ });
    });
  }

  var every = (Number(holder.getAttribute("data-heartbeat")) || 10) * 1000;
  function start() { report(); setInterval(report, every); } // at once when first live
  if (config.getAttribute("data-state") === "live") { start(); } else {
    document.addEventListener("crowdwall:status", function once(event) {
      if (event.detail.wall !== slug || event.detail.state !== "live") { return; }
      document.removeEventListener("crowdwall:status", once);
      start();
    });
  }

  // -- the service worker: this page and its assets survive a reload during an outage --------

  if ("serviceWorker" in navigator && window.isSecureContext) {
    var assets = [window.location.href];
    document.querySelectorAll("script[src], link[rel=stylesheet][href]").forEach(function (node) {
      assets.push(new URL(node.getAttribute("src") || node.getAttribute("href"), window.location.href).href);
    });
    navigator.serviceWorker.register(holder.getAttribute("data-sw-url"), { scope: window.location.pathname })
      .then(function (registration) {
        var worker = registration.active || registration.waiting || registration.installing;
        function send() { (registration.active || worker).postMessage({ type: "keep", urls: assets }); }
        if (registration.active) { send(); } else if (worker) {
          worker.addEventListener("statechange", function () { if (worker.state === "activated") { send(); } });
        }
      })
      .catch(function () { /* no worker: the page still runs, only a reload offline fails */ });
  }
})();
