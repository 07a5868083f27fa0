/* The Screens pages and the moderation screen's screen commands (crowdwall/remote/views.py,
   crowdwall/remote/event.py). Every form[data-screen-command] is sent with fetch (Accept:
   application/json; the form's CSRF token rides along) and the answer shown in the nearest
   [data-screen-command-status]; without JavaScript the same forms post and redirect back.
   On a Screens page ([data-screens-root]) the open screens are fetched again every heartbeat
   (data-heartbeat seconds): one wall's (the root is its section), or, on the console's event
   page, every wall's ({"walls": [...]}, one [data-screens-wall=<slug>] section each). A row's
   commands are kept across refreshes (an open "More" and a half-typed banner survive); a
   screen that missed more than two reports is marked stale. Plain ES2017. */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function statusFor(form) {
    var box = form.closest("[data-screen-commands]") || form.closest("[data-screens-wall]");
    return (box && box.querySelector("[data-screen-command-status]")) || document.querySelector("[data-screen-command-status]");
  }

  function say(form, text, error) {
    var status = statusFor(form);
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("error", !!error);
  }

  function errorsText(errors) {
    return Object.keys(errors || {}).map(function (field) { return field + ": " + [].concat(errors[field]).join(" "); }).join("; ");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest("form[data-screen-command]");
    if (!form) { return; }
    event.preventDefault();
    var body = new FormData(form, event.submitter || undefined);
    var command = body.get("command") || "command";
    fetch(form.getAttribute("action"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
    })
      .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); })
      .then(function (result) {
        if (!result.ok) { say(form, errorsText(result.data.errors) || result.data.error || "Refused.", true); return; }
        var target = body.get("screen") ? "screen " + String(body.get("screen")).slice(0, 8) : "all screens";
        say(form, command + ": sent to " + target + (result.data.delivered ? "." : ", but no live transport is configured."), !result.data.delivered);
        if (form.closest("[data-screens-root]")) { refresh(); }
      })
      .catch(function () { say(form, "Could not send " + command + ": check the connection and try again.", true); });
  });

  var root = document.querySelector("[data-screens-root]");
  var timer = null;

  function stateText(state) {
    var parts = [state.paused ? "Paused" : "Playing"];
    if (state.banner) { parts.push("Banner: “" + state.banner.text + "”"); }
    if (state.layout) { parts.push("Layout: " + state.layout); }
    if (state.theme) { parts.push("Theme: " + state.theme); }
    return parts.join(" · ");
  }

  function row(screen, commands) {
    var tr = el("tr");
    tr.setAttribute("data-screen", screen.screen);
    if (screen.stale) { tr.className = "is-stale"; }
    function cell(label, content) {
      var td = el("td");
      td.setAttribute("data-label", label);
      if (typeof content === "string") { td.textContent = content; } else { td.appendChild(content); }
      tr.appendChild(td);
      return td;
    }
    var name = el("span");
    name.appendChild(el("code", "", screen.screen.slice(0, 8)));
    if (screen.stale) { name.appendChild(document.createTextNode(" ")); name.appendChild(el("strong", "stale", "stale")); }
    if (screen.paused) { name.appendChild(document.createTextNode(" ")); name.appendChild(el("span", "badge", "paused")); }
    if (screen.offline_posts) { name.title = screen.offline_posts + " posts kept for an outage"; }
    cell("Screen", name);
    cell("Layout", screen.layout + (screen.overlay ? " overlay" : "") + " · " + screen.theme);
    cell("Size", screen.width + "×" + screen.height);
    cell("Last post", String(screen.last_id));
    cell("Lag", screen.lag_ms + " ms");
    cell("Reconnects", String(screen.reconnects));
    cell("Last report", screen.age_seconds + " s ago");
    if (commands) { cell("Commands", commands); }
    return tr;
  }

  function commandsFor(template, id) {
    if (!template) { return null; } // a viewer: no commands
    var commands = template.content.firstElementChild.cloneNode(true);
    commands.querySelectorAll("input[name=screen]").forEach(function (input) { input.value = id; });
    return commands;
  }

  function render(section, data) {
    var list = section.querySelector("[data-screens-list]");
    var template = section.querySelector("template[data-screen-row]");
    var listed = {};
    list.querySelectorAll("tr[data-screen]").forEach(function (tr) { listed[tr.getAttribute("data-screen")] = tr; });
    var rows = data.screens.map(function (screen) {
      var tr = listed[screen.screen];
      if (!tr) { return row(screen, commandsFor(template, screen.screen)); }
      // A listed screen keeps its row and its commands cell: only the figures are replaced,
      // so an open "More", a half-typed banner and the focus survive the refresh.
      delete listed[screen.screen];
      var figures = row(screen, null);
      var keep = tr.querySelector("[data-screen-row-commands]");
      keep = keep && keep.closest("td");
      Array.prototype.slice.call(tr.children).forEach(function (td) { if (td !== keep) { td.remove(); } });
      Array.prototype.slice.call(figures.children).reverse().forEach(function (td) { tr.insertBefore(td, tr.firstChild); });
      tr.className = figures.className;
      return tr;
    });
    Object.keys(listed).forEach(function (id) { listed[id].remove(); });
    rows.forEach(function (tr, n) { if (list.children[n] !== tr) { list.insertBefore(tr, list.children[n] || null); } });
    section.querySelector("[data-screens-empty]").hidden = data.screens.length > 0;
    var stale = data.screens.filter(function (s) { return s.stale; }).length;
    var online = data.screens.length - stale;
    section.querySelector("[data-screens-summary]").textContent =
      online + " screen" + (online === 1 ? "" : "s") + " online" + (stale ? " · " + stale + " stale" : "");
    section.querySelector("[data-screens-state]").textContent = stateText(data.state);
    return { online: online, stale: stale };
  }

  function renderAll(data) {
    if (!data.walls) { render(root, data); return; }
    var bySlug = {};
    data.walls.forEach(function (wall) { bySlug[wall.slug] = wall; });
    var online = 0, stale = 0;
    root.querySelectorAll("[data-screens-wall]").forEach(function (section) {
      var wall = bySlug[section.getAttribute("data-screens-wall")];
      if (!wall) { return; } // no longer visible to this user: left as it was
      var counts = render(section, wall);
      online += counts.online;
      stale += counts.stale;
    });
    var total = root.querySelector("[data-screens-total]");
    if (total) {
      total.textContent = online + " screen" + (online === 1 ? "" : "s") + " online" + (stale ? " · " + stale + " stale" : "");
    }
  }

  function refresh() {
    clearTimeout(timer);
    var every = (Number(root.getAttribute("data-heartbeat")) || 10) * 1000;
    fetch(root.getAttribute("data-url"), { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { if (!response.ok) { throw new Error("HTTP " + response.status); } return response.json(); })
      .then(function (data) { renderAll(data); root.removeAttribute("data-offline"); })
      .catch(function () { root.setAttribute("data-offline", ""); })
      .then(function () { timer = setTimeout(refresh, every); });
  }

  if (root) { refresh(); }
})();
