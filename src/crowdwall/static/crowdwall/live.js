/* crowdwall live updates: keeps [data-live-root] post lists current over a WebSocket.
   Plain ES2017, no build step, no framework. Configuration comes from the element that
   {% live_updates wall %} renders ([data-live-config], also the [data-live-status] display) and
   from the root's own data attributes (data-last-id, data-max-posts). Each post it adds fires
   a "crowdwall:post" event on the root (screen.js listens). Hooks for a page that holds new
   posts back (wall.js): "crowdwall:incoming" (cancelable, detail {id, node}) fires before a new
   post is placed; cancelled, the page keeps the node and later hands it back with
   "crowdwall:release" (detail {nodes}); "crowdwall:removed" (detail {id}) fires for every
   removal. For the big screen (screen-remote.js): every frame fires "crowdwall:frame" on the
   document (detail {wall, frame}), every status change "crowdwall:status" (detail {wall, state}),
   and config._live.send(message) writes to the socket (Channels only; false otherwise). Frames: crowdwall/live/frames.py. Post HTML (post.html) is sanitized by the server;
   everything else in a post is set with textContent/setAttribute, never as HTML. */
(function () {
  "use strict";

  var MIN_DELAY = 500; // first reconnect delay (ms), doubled per failed attempt ...
  var MAX_DELAY = 30000; // ... up to this
  var STABLE_MS = 10000; // a connection open this long resets the backoff
  var FADE_MS = 300;
  var RELOAD_KEY = "crowdwall.live.reloadedAt";
  var CLOSE_STOP = { 4404: "This wall is not live any more", 4403: "Live updates are not allowed here" };
  var STATUS_TEXT = {
    connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", stopped: "Live updates stopped",
  };
  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");

  function calm() { return !!(reducedMotion && reducedMotion.matches); }

  function httpUrl(value) {
    // Only http(s) links and images: a javascript: or data: URL from a feed never lands in the DOM.
    if (typeof value !== "string" || !value) { return null; }
    try {
      var url = new URL(value, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) { return null; }
  }

  function wsUrl(path) {
    var url = new URL(path, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : url.protocol === "http:" ? "ws:" : url.protocol;
    return url;
  }

  function timeOf(iso) {
    // Python's isoformat may carry microseconds; Date.parse wants at most milliseconds.
    var ms = Date.parse(String(iso || "").replace(/(\.\d{3})\d+/, "$1"));
    return isNaN(ms) ? 0 : ms;
  }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function displayTime(date) { // as the server writes it: "14 May 2025, 09:01 UTC"
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return date.getUTCDate() + " " + MONTHS[date.getUTCMonth()] + " " + date.getUTCFullYear() + ", " +
      two(date.getUTCHours()) + ":" + two(date.getUTCMinutes()) + " UTC";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function link(href, className) {
    var node = el(href ? "a" : "span", className);
    if (href) { node.href = href; node.rel = "nofollow noopener noreferrer"; }
    return node;
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  /* Post shapes (issue 16 §3): the DOM twins of _post_media, _post_card, _post_poll and
     _post_quote.html. */
  var BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

  function blurhashColor(hash) { // the average colour (characters 2-5), as the template filter
    if (typeof hash !== "string" || hash.length < 6) { return "#808080"; }
    var value = 0;
    for (var i = 2; i < 6; i++) {
      var digit = BASE83.indexOf(hash.charAt(i));
      if (digit < 0) { return "#808080"; }
      value = value * 83 + digit;
    }
    return "#" + ("00000" + Math.min(value, 0xffffff).toString(16)).slice(-6);
  }

  function mediaList(post) {
    var items = Array.isArray(post.media) ? post.media : [];
    var list = el("ul", "media media--" + items.length);
    items.forEach(function (item) {
      var url = item && httpUrl(item.url);
      if (!url) { return; }
      var type = ["image", "video", "gifv", "audio"].indexOf(item.type) >= 0 ? item.type : "unknown";
      var li = el("li", "media-item media-item--" + type), node, alt = typeof item.alt === "string" ? item.alt : "";
      if (type === "image") {
        node = el("img");
        node.src = url;
        node.alt = alt || "Image without a description";
        node.loading = "lazy";
      } else if (type === "video" || type === "gifv") {
        node = el("video");
        node.muted = true; node.loop = true; node.playsInline = true; node.preload = "none";
        node.setAttribute("muted", ""); node.setAttribute("loop", ""); node.setAttribute("playsinline", "");
        if (type === "gifv") { node.autoplay = true; node.setAttribute("autoplay", ""); } else { node.controls = true; }
        node.src = url;
        var poster = httpUrl(item.preview_url);
        if (poster) { node.poster = poster; }
        node.setAttribute("aria-label", alt || "Video without a description");
      } else if (type === "audio") {
        node = el("audio");
        node.src = url;
        node.controls = true;
        node.preload = "none";
        node.setAttribute("aria-label", alt || "Audio without a description");
      } else {
        node = link(url);
        node.textContent = alt || "Attachment";
      }
      if (item.blurhash && (type === "image" || type === "video" || type === "gifv")) {
        node.style.backgroundColor = blurhashColor(item.blurhash);
      }
      li.appendChild(node);
      if (alt && type !== "image") { li.appendChild(el("p", "alt", alt)); }
      list.appendChild(li);
    });
    return list.children.length ? list : null;
  }

  function truncated(text, size) { // as Django's truncatechars
    text = String(text || "");
    return text.length > size ? text.slice(0, size - 1) + "…" : text;
  }

  function renderCard(card) {
    var url = card && httpUrl(card.url);
    if (!url) { return null; }
    var box = link(url, "link-card");
    var image = httpUrl(card.image);
    if (image) {
      var img = el("img", "link-card-image");
      img.src = image; img.alt = card.image_alt || ""; img.loading = "lazy";
      if (card.blurhash) { img.style.backgroundColor = blurhashColor(card.blurhash); }
      box.appendChild(img);
    }
    var body = el("span", "link-card-body");
    body.appendChild(el("span", "link-card-site", card.site || "Link"));
    body.appendChild(el("strong", "link-card-title", card.title || url));
    if (card.description) { body.appendChild(el("span", "link-card-description", truncated(card.description, 200))); }
    box.appendChild(body);
    return box;
  }

  function renderPoll(poll) {
    if (!poll || !Array.isArray(poll.options) || !poll.options.length) { return null; }
    var box = el("div", "poll"), list = el("ul", "poll-options");
    var total = poll.voters || poll.votes;
    poll.options.forEach(function (option) {
      var li = el("li", "poll-option");
      if (typeof option.votes === "number" && poll.votes) {
        var share = Math.round(option.votes / total * 100); // as {% widthratio %}
        var bar = el("span", "poll-bar");
        bar.style.width = share + "%";
        li.appendChild(bar);
        li.appendChild(el("span", "poll-share", share + "%"));
      }
      li.appendChild(el("span", "poll-title", option.title));
      list.appendChild(li);
    });
    box.appendChild(list);
    var meta = typeof poll.votes === "number" ? plural(poll.votes, "vote", "votes") : "";
    meta += poll.closed ? " · Final results" : poll.expires_at ? " · Open poll" : "";
    box.appendChild(el("p", "poll-meta", meta));
    return box;
  }

  function renderQuote(quote) {
    var url = quote && httpUrl(quote.url);
    if (!url) { return null; }
    var box = el("blockquote", "quote"), author = el("p", "quote-author");
    var who = httpUrl(quote.profile_url) ? link(httpUrl(quote.profile_url)) : author;
    if (quote.name) { who.appendChild(el("strong", "", quote.name)); who.appendChild(document.createTextNode(" ")); }
    var handle = String(quote.handle || "");
    who.appendChild(el("span", "handle", handle.slice(0, 4) === "did:" ? "Bluesky account" : "@" + handle));
    if (who !== author) { author.appendChild(who); }
    box.appendChild(author);
    if (quote.text) {
      var text = el("p", "quote-text");
      String(quote.text).split("\n").forEach(function (line, i) {
        if (i) { text.appendChild(el("br")); }
        text.appendChild(document.createTextNode(line));
      });
      box.appendChild(text);
    }
    var more = el("p", "quote-link"), a = link(url);
    a.textContent = "View the quoted post";
    more.appendChild(a);
    box.appendChild(more);
    return box;
  }

  function body(post, inWarning) {
    var frag = document.createDocumentFragment();
    var content = el("div", "content");
    content.innerHTML = typeof post.html === "string" ? post.html : ""; // sanitized server-side (nh3)
    frag.appendChild(content);
    var media = mediaList(post);
    if (media && post.sensitive && !inWarning) {
      var box = el("details", "sensitive");
      box.appendChild(el("summary", "", "Sensitive media"));
      box.appendChild(media);
      frag.appendChild(box);
    } else if (media) {
      frag.appendChild(media);
    }
    [renderCard(post.card), renderPoll(post.poll), renderQuote(post.quote)].forEach(function (node) {
      if (node) { frag.appendChild(node); }
    });
    return frag;
  }

  /* The DOM twin of templates/crowdwall/_post.html. */
  function renderPost(post, id, anchor) {
    var author = post.author || {};
    var article = el("article", "post" + (post.boost ? " post--boost" : "") + (post.reply ? " post--reply" : ""));
    article.setAttribute("data-post-id", String(id));
    article.id = anchor + "-" + id;
    article.tabIndex = 0; // keyboard readers step through posts (as the template renders them)
    if (post.boost) { article.setAttribute("data-boost", "1"); }
    if (typeof post.language === "string" && post.language) { article.lang = post.language; }
    var header = el("header");
    var avatar = httpUrl(author.avatar_url);
    if (window.CrowdwallImages) { // fallback.js: the picture over the initials, as _avatar.html
      header.appendChild(window.CrowdwallImages.avatar(author.display_name || author.handle, author.handle, avatar));
    } else if (avatar) {
      var img = el("img", "avatar");
      img.src = avatar; img.alt = ""; img.width = 48; img.height = 48; img.loading = "lazy";
      header.appendChild(img);
    }
    var who = link(httpUrl(author.profile_url), "author");
    who.appendChild(el("strong", "", author.display_name || author.handle || ""));
    who.appendChild(document.createTextNode(" "));
    who.appendChild(el("span", "handle", "@" + (author.handle || "")));
    header.appendChild(who);
    if (author.bot) { header.appendChild(el("span", "badge", "bot")); }
    if (post.boost) { header.appendChild(el("span", "badge", "boost")); }
    if (post.reply) { header.appendChild(el("span", "badge", "reply")); }
    var created = new Date(timeOf(post.created_at));
    var time = el("time", "", displayTime(created));
    time.setAttribute("datetime", created.toISOString());
    var permalink = httpUrl(post.url);
    if (permalink) {
      var a = link(permalink, "permalink");
      a.appendChild(time);
      header.appendChild(a);
    } else {
      header.appendChild(time);
    }
    if (post.edited_at) { header.appendChild(el("span", "edited", "(edited)")); }
    article.appendChild(header);
    if (post.spoiler_text) {
      var cw = el("details", "cw");
      cw.appendChild(el("summary", "", "Content warning: " + post.spoiler_text));
      cw.appendChild(body(post, true));
      article.appendChild(cw);
    } else {
      article.appendChild(body(post, false));
    }
    var counts = post.counts || {};
    var footer = el("footer", "counts");
    if (typeof counts.replies === "number") { footer.appendChild(el("span", "", plural(counts.replies, "reply", "replies"))); }
    if (typeof counts.boosts === "number") { footer.appendChild(el("span", "", plural(counts.boosts, "boost", "boosts"))); }
    if (typeof counts.favourites === "number") { footer.appendChild(el("span", "", plural(counts.favourites, "favourite", "favourites"))); }
    if (footer.children.length) { article.appendChild(footer); }
    article._created = created.getTime();
    return article;
  }

  function createdOf(article) {
    if (article._created === undefined) {
      var time = article.querySelector("header time[datetime]");
      article._created = time ? timeOf(time.getAttribute("datetime")) : 0;
    }
    return article._created;
  }

  function postsIn(container) { return container.querySelectorAll(":scope > article.post[data-post-id]"); }

  function find(container, id) { return container.querySelector(':scope > article.post[data-post-id="' + id + '"]'); }

  function newer(a, b) { // is article a placed before (newer than) article b?
    var ta = createdOf(a), tb = createdOf(b);
    return ta !== tb ? ta > tb : Number(a.getAttribute("data-post-id")) > Number(b.getAttribute("data-post-id"));
  }

  function arrive(node) {
    if (calm()) { return; }
    node.classList.add("is-new");
    setTimeout(function () { node.classList.remove("is-new"); }, 2500);
  }

  /* Newest first, by created_at then id. Re-shown posts (quiet mode) sit on top out of order:
     a post newer than every regular one goes above them too. */
  function place(container, node) {
    var regular = Array.prototype.filter.call(postsIn(container), function (n) { return !n.classList.contains("is-reshown"); });
    var empty = container.querySelector(":scope > .empty");
    if (empty) { empty.remove(); }
    for (var i = 0; i < regular.length; i++) {
      if (newer(node, regular[i])) {
        container.insertBefore(node, i === 0 ? container.firstElementChild : regular[i]);
        return;
      }
    }
    container.appendChild(node);
  }

  function insert(root, node, id) {
    place(root, node);
    arrive(node);
    trim(root);
    root.dispatchEvent(new CustomEvent("crowdwall:post", { bubbles: true, detail: { id: id } }));
  }

  function leave(node) {
    // Forget the id at once (a re-approval may add it again), fade, then remove.
    node.removeAttribute("data-post-id");
    node.removeAttribute("id");
    if (calm()) { node.remove(); return; }
    node.classList.add("is-leaving");
    setTimeout(function () { node.remove(); }, FADE_MS);
  }

  /* A big screen's id (crowdwall/screen-remote.js reports it): random, kept for the tab's life
     in sessionStorage so a reload keeps it, and sent when connecting (?screen=) so the server's
     screen.state carries the commands aimed at this screen alone. "" on any other page. */
  var SCREEN_KEY = "crowdwall.screen.id";
  var screenIdValue = null;
  function screenId() {
    if (screenIdValue !== null) { return screenIdValue; }
    if (!document.querySelector("[data-screen-remote]")) { return ""; }
    var id = null;
    try { id = window.sessionStorage.getItem(SCREEN_KEY); } catch (e) { /* no storage */ }
    if (!id || !/^[A-Za-z0-9_-]{8,40}$/.test(id)) {
      var bytes = new Uint8Array(12);
      window.crypto.getRandomValues(bytes);
      id = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
      try { window.sessionStorage.setItem(SCREEN_KEY, id); } catch (e) { /* a new id per load, then */ }
    }
    screenIdValue = id;
    return id;
  }

  class LiveWall {
    constructor(config, roots) {
      this.config = config;
      this.roots = roots;
      this.slug = config.getAttribute("data-wall") || "";
      this.transport = config.getAttribute("data-transport") || "channels";
      this.since = 0;
      roots.forEach(function (root) { this.since = Math.max(this.since, Number(root.getAttribute("data-last-id")) || 0); }, this);
      this.changes = Number(config.getAttribute("data-rendered-at")) || Date.now();
      this.attempt = 0;
      this.socket = null;
      this.timer = null;
      this.stopped = false;
      this.buffer = null; // nchan: frames held while the missed ones are fetched
      this.opens = 0; // successful connections: the screen reports opens - 1 as reconnects
      this.lag = 0; // ms between a live frame's server time and its arrival (clocks may differ)
    }

    send(message) {
      var socket = this.socket;
      if (this.transport !== "channels" || !socket || socket.readyState !== 1) { return false; }
      socket.send(JSON.stringify(message));
      return true;
    }

    status(state, text) {
      this.config.hidden = false;
      this.config.setAttribute("data-state", state);
      this.config.textContent = text || STATUS_TEXT[state];
      document.dispatchEvent(new CustomEvent("crowdwall:status", { detail: { wall: this.slug, state: state } }));
    }

    connect() {
      clearTimeout(this.timer);
      this.timer = null;
      this.status(this.attempt ? "reconnecting" : "connecting");
      var url;
      if (this.transport === "nchan") {
        url = wsUrl(this.config.getAttribute("data-live-url"));
      } else {
        url = wsUrl(this.config.getAttribute("data-ws-url"));
        url.searchParams.set("since", String(this.since));
        url.searchParams.set("changes", String(this.changes));
        if (screenId()) { url.searchParams.set("screen", screenId()); }
      }
      var socket, self = this, openedAt = 0;
      try { socket = new WebSocket(url.href); } catch (e) { this.retry(); return; }
      this.socket = socket;
      socket.onopen = function () {
        openedAt = Date.now();
        self.opens += 1;
        if (self.transport === "nchan") { self.catchUp(socket); }
      };
      socket.onmessage = function (event) {
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; } // not ours: ignore
        var frames = Array.isArray(data) ? data : [data];
        if (self.buffer) { self.buffer.push.apply(self.buffer, frames); return; }
        frames.forEach(self.apply, self);
      };
      socket.onclose = function (event) {
        if (self.socket !== socket || self.stopped) { return; }
        self.socket = null;
        self.buffer = null;
        if (CLOSE_STOP[event.code]) { self.stop(CLOSE_STOP[event.code]); return; }
        if (openedAt && Date.now() - openedAt >= STABLE_MS) { self.attempt = 0; }
        self.retry();
      };
    }

    retry() {
      var delay = Math.min(MAX_DELAY, MIN_DELAY * Math.pow(2, this.attempt));
      this.attempt += 1;
      this.status("reconnecting");
      // Jitter: a restarted server is not hit by every screen at the same instant.
      this.timer = setTimeout(this.connect.bind(this), delay / 2 + Math.random() * delay / 2);
    }

    stop(text) {
      this.stopped = true;
      clearTimeout(this.timer);
      if (this.socket) { this.socket.close(); }
      this.status("stopped", text);
    }

    /* nchan: the socket only carries live frames, so the missed ones come over HTTP; frames
       arriving meanwhile wait, then follow (duplicates are dropped by id). */
    catchUp(socket) {
      var self = this;
      this.buffer = [];
      var url = new URL(this.config.getAttribute("data-missed-url"), window.location.href);
      url.searchParams.set("since", String(this.since));
      url.searchParams.set("changes", String(this.changes));
      if (screenId()) { url.searchParams.set("screen", screenId()); }
      fetch(url.href, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error("missed: HTTP " + response.status); }
          return response.json();
        })
        .then(function (data) {
          if (self.socket !== socket) { return; }
          var held = self.buffer || [];
          self.buffer = null;
          (Array.isArray(data.frames) ? data.frames : []).forEach(self.apply, self);
          self.apply(Object.assign({ type: "catchup.done" }, data.done || {}));
          held.forEach(self.apply, self);
        })
        .catch(function () { if (self.socket === socket) { socket.close(); } }); // retried by onclose
    }

    apply(frame) {
      if (!frame || typeof frame !== "object") { return; }
      if (typeof frame.at === "number" && frame.at > this.changes) { this.changes = frame.at; }
      if (typeof frame.at === "number" && frame.type !== "catchup.done") { this.lag = Date.now() - frame.at; }
      // Kept for a page script that starts after the frame came (deferred scripts run one by
      // one, and the socket may answer in between): screen-remote.js reads it when it starts.
      if (frame.type === "screen.state") { this.screenState = frame; }
      document.dispatchEvent(new CustomEvent("crowdwall:frame", { detail: { wall: this.slug, frame: frame } }));
      var id = Number(frame.id);
      if (frame.type === "post.new" || frame.type === "post.update") {
        if (Number.isInteger(id) && id > 0 && frame.post && typeof frame.post === "object") { this.upsert(id, frame); }
      } else if (frame.type === "post.delete") {
        if (Number.isInteger(id)) { this.remove(id); }
      } else if (frame.type === "wall.figures") { // count and top lists: crowdwall/figures.js
        document.dispatchEvent(new CustomEvent("crowdwall:figures", { detail: { wall: this.slug, figures: frame } }));
      } else if (frame.type === "catchup.done") {
        if (typeof frame.last_id === "number") { this.since = Math.max(this.since, frame.last_id); }
        if (frame.truncated) { this.reload(); }
        this.status("live");
      }
    }

    upsert(id, frame) {
      this.since = Math.max(this.since, id);
      this.roots.forEach(function (root) {
        var old = find(root, id), node = renderPost(frame.post, id, "post");
        if (old) {
          if (old.classList.contains("is-reshown")) { node.classList.add("is-reshown"); }
          old.replaceWith(node);
          return;
        }
        var incoming = new CustomEvent("crowdwall:incoming", { cancelable: true, detail: { id: id, node: node } });
        if (root.dispatchEvent(incoming)) { insert(root, node, id); } // cancelled: held by the page
      });
      document.querySelectorAll("[data-pinned]").forEach(function (area) {
        if (area.getAttribute("data-wall") && area.getAttribute("data-wall") !== this.slug) { return; }
        var old = find(area, id);
        if (frame.pinned === false) { if (old) { leave(old); } }
        else if (old) { old.replaceWith(renderPost(frame.post, id, "pinned-post")); }
        else if (frame.pinned === true) { place(area, renderPost(frame.post, id, "pinned-post")); }
        area.hidden = !postsIn(area).length;
      }, this);
    }

    remove(id) {
      var self = this;
      this.roots.concat(Array.prototype.slice.call(document.querySelectorAll("[data-pinned]"))).forEach(function (container) {
        if (container.hasAttribute("data-pinned") && container.getAttribute("data-wall") && container.getAttribute("data-wall") !== self.slug) { return; }
        var old = find(container, id);
        if (old) { leave(old); }
        if (container.hasAttribute("data-pinned")) { container.hidden = postsIn(container).length === 0; }
        else { container.dispatchEvent(new CustomEvent("crowdwall:removed", { detail: { id: id } })); }
      });
    }

    reload() {
      // More was missed than a catch-up sends: the server's page is the quickest way back, but
      // never more than once a minute (a wall in a flood must not reload in a loop).
      var last = 0;
      try { last = Number(window.sessionStorage.getItem(RELOAD_KEY)) || 0; } catch (e) { /* no storage */ }
      if (Date.now() - last < 60000) { return; }
      try { window.sessionStorage.setItem(RELOAD_KEY, String(Date.now())); } catch (e) { return; }
      window.location.reload();
    }
  }

  function maxPosts(root) {
    return Math.max(root._maxPosts || 0, Number(root.getAttribute("data-max-posts")) || 200);
  }

  function trim(root) { // bounded DOM: a projector runs for days
    var posts = postsIn(root), extra = posts.length - maxPosts(root);
    for (var i = posts.length - 1; extra > 0; i--, extra--) { posts[i].remove(); }
  }

  /* "Load earlier posts": older approved posts from the fragment endpoint, appended below. */
  function loadEarlier(button, root) {
    var fallback = document.querySelector("[data-load-earlier-fallback]");
    if (fallback) { fallback.hidden = true; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var oldest = null;
      postsIn(root).forEach(function (n) { if (!oldest || newer(oldest, n)) { oldest = n; } });
      var url = new URL(button.getAttribute("data-url"), window.location.href);
      if (oldest) { url.searchParams.set("before", oldest.getAttribute("data-post-id")); }
      button.disabled = true;
      fetch(url.href, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error("earlier: HTTP " + response.status); }
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("template");
          holder.innerHTML = html; // our own server's fragment (post HTML sanitized at ingest)
          var added = 0;
          Array.prototype.forEach.call(holder.content.querySelectorAll("article.post[data-post-id]"), function (node) {
            if (!find(root, node.getAttribute("data-post-id"))) { root.appendChild(node); added += 1; }
          });
          root._maxPosts = Math.max(maxPosts(root), postsIn(root).length);
          var end = holder.content.querySelector("[data-end]") || !added;
          button.disabled = !!end;
          button.textContent = end ? "No earlier posts" : "Load earlier posts";
        })
        .catch(function () {
          button.disabled = false;
          button.textContent = "Could not load: try again";
        });
    });
  }

  window.crowdwall = Object.assign(window.crowdwall || {}, { renderPost: renderPost, screenId: screenId }); // figures.js, screen-remote.js

  function init() {
    var roots = Array.prototype.slice.call(document.querySelectorAll("[data-live-root]"));
    var configs = Array.prototype.slice.call(document.querySelectorAll("[data-live-config]"));
    roots.forEach(function (root) {
      var wall = root.getAttribute("data-wall");
      root.addEventListener("crowdwall:release", function (event) { // posts a page held back
        (event.detail && event.detail.nodes || []).forEach(function (node) {
          var id = node.getAttribute("data-post-id");
          if (id && !find(root, id)) { insert(root, node, Number(id)); }
        });
      });
      document.querySelectorAll("[data-load-earlier]").forEach(function (button) {
        if (button.getAttribute("data-wall") === wall) { loadEarlier(button, root); }
      });
    });
    configs.forEach(function (config) {
      var mine = roots.filter(function (root) { return root.getAttribute("data-wall") === config.getAttribute("data-wall"); });
      if (!mine.length || !("WebSocket" in window)) { return; }
      var live = new LiveWall(config, mine);
      config._live = live; // for debugging in the console
      live.connect();
      // Back online: try now rather than at the end of a long backoff.
      window.addEventListener("online", function () { if (live.timer) { live.connect(); } });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
