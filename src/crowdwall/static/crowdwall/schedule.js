/* crowdwall "now / next" panel of the big screen and overlay (crowdwall.schedule.panel).
   Reads the talks embedded in #schedule-data, shows per room the talk running now and the
   next one, and moves on by itself when a talk starts or ends (a timer set to the next
   boundary, no reload). Every few minutes it refreshes the talks from data-schedule-url, so a
   re-imported schedule reaches open screens. Words come from Intl in the wall's language
   (data-locale): "now", "in 20 minutes"; times are shown in the event's time zone. */
(function () {
  "use strict";
  var panel = document.querySelector("[data-schedule]");
  var source = document.getElementById("schedule-data");
  if (!panel || !source) return;
  var list = panel.querySelector(".schedule-rooms");
  var locale = panel.getAttribute("data-locale") || "en";
  var onlyRoom = panel.getAttribute("data-room") || "";
  var REFRESH_MS = 5 * 60 * 1000;
  var TICK_MS = 30 * 1000; // "in 12 minutes" stays right to the half minute
  var talks = [];
  var zone = "";
  var timer = null;

  function formatter(timeZone) {
    var options = { hour: "2-digit", minute: "2-digit" };
    if (timeZone) options.timeZone = timeZone;
    try { return new Intl.DateTimeFormat(locale, options); } catch (e) {
      delete options.timeZone; // an unknown zone: the screen's own
      try { return new Intl.DateTimeFormat(locale, options); } catch (e2) { return new Intl.DateTimeFormat("en", options); }
    }
  }
  var relative;
  try { relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" }); } catch (e) { relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" }); }
  var clock = formatter("");

  function load(data) {
    zone = data.time_zone || "";
    clock = formatter(zone);
    talks = (data.talks || []).map(function (t) {
      return { title: t.title, room: t.room || "", speakers: t.speakers || [], hashtags: t.hashtags || [],
               start: Date.parse(t.start), end: Date.parse(t.end) };
    }).filter(function (t) { return !isNaN(t.start) && !isNaN(t.end) && (!onlyRoom || t.room === onlyRoom); });
  }

  function capital(text) { return text.charAt(0).toLocaleUpperCase(locale) + text.slice(1); }

  function until(ms) {
    var minutes = Math.max(1, Math.round(ms / 60000));
    return minutes < 90 ? relative.format(minutes, "minute") : relative.format(Math.round(minutes / 60), "hour");
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function slot(kind, label, talk, range) {
    var row = el("p", "slot " + kind);
    row.appendChild(el("span", "label", label));
    row.appendChild(el("span", "time", range));
    row.appendChild(el("strong", "title", talk.title));
    if (talk.speakers.length) row.appendChild(el("span", "speakers", talk.speakers.join(", ")));
    if (kind === "now" && talk.hashtags.length) {
      row.appendChild(el("span", "talk-tags", talk.hashtags.map(function (t) { return "#" + t; }).join(" ")));
    }
    return row;
  }

  function render() {
    var now = Date.now();
    var rooms = {};
    var order = [];
    talks.forEach(function (t) {
      if (t.end <= now) return;
      if (!rooms[t.room]) { rooms[t.room] = { now: null, next: null }; order.push(t.room); }
      var room = rooms[t.room];
      if (t.start <= now) { if (!room.now) room.now = t; }
      else if (!room.next || t.start < room.next.start) room.next = t;
    });
    order.sort(function (a, b) { return a.localeCompare(b, locale); });
    var cards = order.map(function (name) {
      var room = rooms[name];
      var card = el("section", "room");
      card.setAttribute("data-room-name", name);
      if (name) card.appendChild(el("h2", "room-name", name));
      if (room.now) {
        card.appendChild(slot("now", capital(relative.format(0, "second")), room.now,
          clock.format(room.now.start) + "–" + clock.format(room.now.end)));
      }
      if (room.next) {
        card.appendChild(slot("next", capital(until(room.next.start - now)), room.next, clock.format(room.next.start)));
      }
      return card;
    });
    list.replaceChildren.apply(list, cards);
    panel.hidden = cards.length === 0;
    // Wake at the next start or end (or the next tick, whichever comes first).
    var wake = now + TICK_MS;
    talks.forEach(function (t) {
      if (t.start > now && t.start < wake) wake = t.start;
      if (t.end > now && t.end < wake) wake = t.end;
    });
    clearTimeout(timer);
    timer = setTimeout(render, Math.max(50, wake - now + 20));
  }

  function refresh() {
    var url = panel.getAttribute("data-schedule-url");
    if (!url || !window.fetch) return;
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { load(data); render(); } })
      .catch(function () { /* offline: keep what we have */ });
  }

  try { load(JSON.parse(source.textContent)); } catch (e) { load({}); }
  render();
  setInterval(refresh, REFRESH_MS);
})();
