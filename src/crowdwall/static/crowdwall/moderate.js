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
          el.querySelector("[data-select]").checked = old.querySelector("[data-select]").checked;
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
    return items().filter(function (el) { return el.querySelector("[data-select]").checked; })
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
      x: function () { if (current) { var box = current.querySelector("[data-select]"); box.checked = !box.checked; } },
      A: function () { act("approve", selected()); },
      "?": function () { if (help && help.showModal) help.showModal(); } };
    var run = keys[event.key];
    if (run) { event.preventDefault(); run(); }
  });
  var helpOpen = root.querySelector("[data-mod-help-open]");
  if (helpOpen && help) helpOpen.addEventListener("click", function () { help.showModal(); });

  // Live feed: mod.update frames for this wall; on (re)connect a snapshot since ``changes``.
  var delay = 1000;
  var live = root.querySelector("[data-mod-live]");
  function handle(frame) {
    if (frame.at && frame.at > changes) changes = frame.at;
    if (frame.type === "mod.update") update(frame.id, frame.state, frame.pinned);
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + root.dataset.ws + "?changes=" + changes);
    socket.onopen = function () { delay = 1000; if (live) live.hidden = false; };
    socket.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      (Array.isArray(data) ? data : [data]).forEach(handle);
    };
    socket.onclose = function (event) {
      if (live) live.hidden = true;
      if (event.code === 4404) return; // the wall is gone
      window.setTimeout(connect, delay + Math.random() * delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  if (window.WebSocket && root.dataset.ws) connect();
})();
