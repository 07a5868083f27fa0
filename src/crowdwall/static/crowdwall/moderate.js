/* crowdwall moderation screen: decisions sent with fetch, keyboard shortcuts, and a live queue.
   Without this script every button is a plain form POST that redirects back (the server's
   contract, see crowdwall/moderation/views.py); this only makes the same requests faster. */
(function () {
  "use strict";
  var root = document.querySelector("[data-mod-root]");
  if (!root || !window.fetch) return;
  var queue = root.querySelector("[data-mod-queue]");
  var form = document.getElementById("mod-queue"); // form.action is shadowed by its "action" buttons
  var status = root.querySelector("[data-mod-status]");
  var empty = root.querySelector("[data-mod-empty]");
  var help = root.querySelector("[data-mod-help]");
  var tab = root.dataset.state;
  var ascending = tab === "pending"; // the queue is oldest first; other tabs newest first
  var firstPage = !/[?&]after=/.test(location.search);
  var lastPage = !root.querySelector('.pager a[rel="next"]');
  var changes = Number(root.dataset.changes) || 0; // latest server time seen (epoch ms)
  var current = null;
  var loading = {};

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function items() { return Array.prototype.slice.call(queue.querySelectorAll("[data-mod-item]")); }
  function itemFor(id) { return queue.querySelector('[data-mod-item][data-post-id="' + id + '"]'); }
  function say(text, bad) {
    status.textContent = text || "";
    status.classList.toggle("error", !!bad);
  }
  function count(state, delta) {
    var el = root.querySelector('[data-count="' + state + '"]');
    if (el) el.textContent = Math.max(0, (Number(el.textContent) || 0) + delta);
  }
  function refreshEmpty() { if (empty) empty.hidden = items().length > 0; }

  function send(url, body) {
    body.append("csrfmiddlewaretoken", csrf());
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf() }
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false }; }).then(function (data) {
        if (!response.ok || !data.ok) {
          var why = data.error || (data.errors && JSON.stringify(data.errors)) || "HTTP " + response.status;
          throw new Error(why);
        }
        return data;
      });
    }).catch(function (error) { say("Failed: " + error.message, true); throw error; });
  }

  // Where a post id belongs on this page: inside the listed range, or past an open end.
  function belongsHere(id) {
    var ids = items().map(function (el) { return Number(el.dataset.postId); });
    if (!ids.length) return firstPage;
    var lo = Math.min.apply(null, ids), hi = Math.max.apply(null, ids);
    var openLow = ascending ? firstPage : lastPage, openHigh = ascending ? lastPage : firstPage;
    return (openLow || id >= lo) && (openHigh || id <= hi);
  }
  function place(el) {
    var id = Number(el.dataset.postId);
    var next = items().find(function (other) {
      var otherId = Number(other.dataset.postId);
      return ascending ? otherId > id : otherId < id;
    });
    queue.insertBefore(el, next || null);
    refreshEmpty();
  }
  function fetchItem(id, replace) {
    if (loading[id]) return;
    loading[id] = true;
    fetch(root.dataset.itemUrl + id + "/", { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) return;
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        var el = holder.content.firstElementChild;
        if (!el || el.dataset.state !== tab) return; // moderated again while we fetched
        var old = itemFor(id);
        if (old) {
          var box = el.querySelector("[data-select]"), was = old.querySelector("[data-select]");
          if (box && was) box.checked = was.checked; // a viewer's items have no checkbox
          old.replaceWith(el);
          if (current === old) setCurrent(el);
        } else if (!replace) {
          place(el);
        }
      })
      .finally(function () { delete loading[id]; });
  }

  // Apply "post ``id`` is now ``state`` (and pinned or not)" to this page.
  function update(id, state, pinned) {
    var el = itemFor(id);
    if (el && el.dataset.state !== state) count(el.dataset.state, -1);
    if (state !== tab) {
      if (el) {
        if (current === el) setCurrent(el.nextElementSibling || el.previousElementSibling);
        el.remove();
        refreshEmpty();
      }
      if (el) count(state, 1);
      return;
    }
    if (!el) {
      if (belongsHere(id)) { count(state, 1); fetchItem(id, false); }
    } else if (pinned !== null && pinned !== undefined && el.dataset.pinned !== (pinned ? "1" : "0")) {
      fetchItem(id, true); // new buttons (pin/unpin)
    }
  }

  function applyResult(data) {
    (data.posts || []).forEach(function (p) { update(p.id, p.state, p.pinned); });
    (data.removed || []).forEach(function (id) { update(id, "rejected", false); });
    if (data.accounts) {
      var list = root.querySelector("[data-banned-authors]");
      data.accounts.forEach(function (account) {
        var li = document.createElement("li");
        li.textContent = account;
        list.appendChild(li);
      });
    }
    say(data.message);
  }

  function act(action, ids) {
    if (!ids.length) { say("Select posts first (x).", true); return; }
    var body = new FormData();
    if (ids.length === 1) body.append("item", ids[0] + ":" + action);
    else { body.append("action", action); ids.forEach(function (id) { body.append("post", id); }); }
    send(form.getAttribute("action"), body).then(applyResult, function () {});
  }
  function selected() {
    return items().filter(function (el) { var box = el.querySelector("[data-select]"); return box && box.checked; })
      .map(function (el) { return el.dataset.postId; });
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action], button[data-bulk]");
    if (!button) return;
    event.preventDefault();
    if (button.dataset.action) {
      var el = button.closest("[data-mod-item]");
      setCurrent(el);
      act(button.dataset.action, [el.dataset.postId]);
    } else {
      act(button.dataset.bulk, selected());
    }
  });
  var selectAll = root.querySelector("[data-select-all]");
  if (selectAll) selectAll.addEventListener("change", function () {
    items().forEach(function (el) { el.querySelector("[data-select]").checked = selectAll.checked; });
  });

  var banWord = root.querySelector("form[data-ban-word]");
  if (banWord) banWord.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = new FormData(banWord);
    body.delete("csrfmiddlewaretoken");
    send(banWord.getAttribute("action"), body).then(function (data) {
      var li = document.createElement("li");
      var code = document.createElement("code");
      code.textContent = data.word;
      li.appendChild(code);
      root.querySelector("[data-banned-words]").appendChild(li);
      banWord.reset();
      say(data.message); // the removed posts leave the queue through the live feed
    }, function () {});
  });

  // Keyboard -------------------------------------------------------------------------------
  function setCurrent(el) {
    if (current) current.classList.remove("is-current");
    current = el || null;
    if (current) {
      current.classList.add("is-current");
      current.focus({ preventScroll: true });
      current.scrollIntoView({ block: "nearest" });
    }
  }
  function move(step) {
    var all = items();
    if (!all.length) return;
    var at = all.indexOf(current);
    setCurrent(all[Math.min(all.length - 1, Math.max(0, at < 0 ? 0 : at + step))]);
  }
  function press(action) {
    if (!current) return;
    var names = action === "pin" ? ["pin", "unpin"] : [action];
    var button = null;
    names.some(function (name) { return (button = current.querySelector('button[data-action="' + name + '"]')); });
    if (!button) return;
    // A stray "b" must not ban anyone: the key asks first (the button is a deliberate click).
    if (action === "ban-author" && !window.confirm("Ban this author from the wall? Their posts leave every screen.")) return;
    act(button.dataset.action, [current.dataset.postId]);
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest("input, textarea, select, [contenteditable]") || (help && help.open)) return;
    var keys = { j: function () { move(1); }, k: function () { move(-1); },
      a: function () { press("approve"); }, r: function () { press("reject"); },
      h: function () { press("hide"); }, p: function () { press("pin"); },
      b: function () { press("ban-author"); },
      x: function () { var box = current && current.querySelector("[data-select]"); if (box) box.checked = !box.checked; },
      A: function () { if (selectAll) act("approve", selected()); }, // no bulk buttons: a viewer
      "?": function () { if (help && help.showModal) help.showModal(); } };
    var run = keys[event.key];
    if (run) { event.preventDefault(); run(); }
  });
  var helpOpen = root.querySelector("[data-mod-help-open]");
  if (helpOpen && help) helpOpen.addEventListener("click", function () { help.showModal(); });

  // Live feed ------------------------------------------------------------------------------
  // mod.update frames for this wall (crowdwall/live/frames.py; a message may be an array of
  // them), on either transport (data-transport), as live.js does for walls:
  // - channels: Channels' socket (data-ws), which sends a snapshot since ``changes`` first;
  // - nchan: nginx's subscriber (data-live-url), live frames only: the page subscribes, holds
  //   what arrives, fetches the same snapshot over HTTP (data-snapshot-url), applies it, then
  //   the held frames. Frames are states, so one applied twice changes nothing.
  // Reconnects with jittered backoff; a socket refused at the handshake (the session is no
  // longer staff's, the wall is gone) stops instead of retrying for ever.
  var live = root.querySelector("[data-mod-live]");
  var transport = root.dataset.transport || "channels";
  var MIN_DELAY = 1000, MAX_DELAY = 30000, STABLE_MS = 10000;
  var attempt = 0, socket = null, timer = null, stopped = false, buffer = null;

  function liveState(state, text) {
    if (!live) return;
    live.dataset.state = state;
    live.textContent = text || "· live";
    live.hidden = state !== "live" && state !== "stopped";
  }
  function handle(frame) {
    if (!frame || typeof frame !== "object") return;
    if (typeof frame.at === "number" && frame.at > changes) changes = frame.at;
    if (frame.type === "mod.update") update(frame.id, frame.state, frame.pinned);
  }
  function wsUrl(path) {
    var url = new URL(path, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url;
  }
  function connect() {
    clearTimeout(timer);
    timer = null;
    var url = wsUrl(transport === "nchan" ? root.dataset.liveUrl : root.dataset.ws);
    if (transport !== "nchan") url.searchParams.set("changes", String(changes));
    var ws, openedAt = 0;
    try { ws = new WebSocket(url.href); } catch (e) { retry(); return; }
    socket = ws;
    ws.onopen = function () {
      openedAt = Date.now();
      if (transport === "nchan") catchUp(ws); else liveState("live");
    };
    ws.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; } // not ours: ignore
      var frames = Array.isArray(data) ? data : [data];
      if (buffer) { buffer.push.apply(buffer, frames); return; }
      frames.forEach(handle);
    };
    ws.onclose = function (event) {
      if (socket !== ws || stopped) return;
      socket = null;
      buffer = null;
      if (event.code === 4404) { stop("· live updates stopped: no such wall"); return; }
      if (!openedAt) { check(); return; }
      if (Date.now() - openedAt >= STABLE_MS) attempt = 0;
      retry();
    };
  }
  function retry() {
    var delay = Math.min(MAX_DELAY, MIN_DELAY * Math.pow(2, attempt));
    attempt += 1;
    liveState("reconnecting");
    // Jitter: a restarted server is not hit by every open screen at the same instant.
    timer = setTimeout(connect, delay / 2 + Math.random() * delay / 2);
  }
  function stop(text) {
    stopped = true;
    clearTimeout(timer);
    if (socket) socket.close();
    liveState("stopped", text);
  }
  // A socket that never opened: refused, or the network? Scripts never see the handshake's
  // status, so ask the rule both transports apply (nginx asks the same view).
  function check() {
    liveState("reconnecting");
    fetch(root.dataset.authorizeUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) stop("· live updates stopped: moderators only (log in again)");
        else if (response.status === 404) stop("· live updates stopped: no such wall");
        else retry();
      }, function () { retry(); });
  }
  // nchan: the socket carries live frames only, so the snapshot comes over HTTP; frames
  // arriving meanwhile wait, then follow it.
  function catchUp(ws) {
    buffer = [];
    var url = new URL(root.dataset.snapshotUrl, location.href);
    url.searchParams.set("changes", String(changes));
    fetch(url.href, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("snapshot: HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (socket !== ws) return;
        var held = buffer || [];
        buffer = null;
        (Array.isArray(data.frames) ? data.frames : []).forEach(handle);
        handle(data.done);
        held.forEach(handle);
        liveState("live");
      })
      .catch(function () { if (socket === ws) ws.close(); }); // onclose retries (or stops)
  }
  var liveUrl = transport === "nchan" ? root.dataset.liveUrl : root.dataset.ws;
  if (window.WebSocket && liveUrl) {
    connect();
    // Back online: try now rather than at the end of a long backoff.
    window.addEventListener("online", function () { if (timer) connect(); });
  }
})();
