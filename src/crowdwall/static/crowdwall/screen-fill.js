/* crowdwall big screen: use the space the layout leaves.

   Columns: only whole cards show (screen.css), so the card after the last one that fits goes
   to a clipped column and can leave a big empty band — a quarter of a portrait screen when
   the next card has a photo. That card is made shorter until it fits the band: its pictures
   lower (down to 6em), then its text clamped (down to two lines, the fade marks it). A card
   that cannot fit even so stays out whole (nothing is ever cut), and the pictures above it
   grow into the band instead.

   Media grid: a tile's text is clamped only when it is longer than the tile has room for.

   Both run again, from scratch, after every change (a post, a picture loading, a resize).
   Plain ES2017. */
(function () {
  "use strict";

  var FILL_FROM = 0.06; // a band smaller than this share of the column's height stays empty
  var MIN_PICTURE_EM = 6;
  var MIN_LINES = 2;
  var MAX_TILE_LINES = 10; // a media tile's text, at most

  function cards(root) { return root.querySelectorAll(":scope > article.post, :scope > .slide"); }

  function height(node) { return node.getBoundingClientRect().height; }

  function unsqueeze(node) {
    node.removeAttribute("data-squeezed");
    node.querySelectorAll("[data-squeeze]").forEach(function (part) {
      part.removeAttribute("data-squeeze");
      part.style.maxHeight = "";
      part.style.webkitLineClamp = "";
      if (part.classList.contains("content")) { // the fade as screen.js would mark it
        part.classList.toggle("is-clamped", part.scrollHeight > part.clientHeight + 2);
      }
    });
  }

  /* Make ``node`` at most ``room`` px tall, or leave it as it was; whether it now fits. */
  function squeeze(node, room) {
    if (!node.matches("article.post") || node.querySelector("details:not([open])")) { return false; }
    var em = parseFloat(getComputedStyle(node).fontSize) || 16;
    var over = height(node) - room;
    node.querySelectorAll(".media img, .media video, .link-card-image").forEach(function (picture) {
      if (over <= 0) { return; }
      var now = height(picture);
      var wanted = Math.max(MIN_PICTURE_EM * em, now - over);
      if (wanted >= now) { return; }
      picture.setAttribute("data-squeeze", "");
      picture.style.maxHeight = wanted + "px";
      over = height(node) - room;
    });
    var content = node.querySelector(".content");
    if (over > 0 && content) {
      var line = parseFloat(getComputedStyle(content).lineHeight) || em * 1.4;
      var lines = Math.round(content.clientHeight / line);
      content.setAttribute("data-squeeze", "");
      while (over > 0 && lines > MIN_LINES) {
        lines -= 1;
        content.style.webkitLineClamp = String(lines);
        over = height(node) - room;
      }
      content.classList.toggle("is-clamped", content.scrollHeight > content.clientHeight + 2);
    }
    if (over > 0) { unsqueeze(node); return false; }
    node.setAttribute("data-squeezed", "");
    return true;
  }

  /* No card fits the band: the pictures of the column's cards grow into it (shared out, each
     at most 45% of the screen), so the column still ends near the bottom. Undone if a card
     would leave the column. */
  function stretch(column, room, box) {
    var pictures = [];
    column.forEach(function (card) {
      card.querySelectorAll(".media img, .media video").forEach(function (picture) {
        if (height(picture) > 0) { pictures.push(picture); }
      });
    });
    if (!pictures.length) { return; }
    var each = room / pictures.length, cap = window.innerHeight * 0.45;
    pictures.forEach(function (picture) {
      var wanted = Math.min(cap, height(picture) + each);
      picture.setAttribute("data-squeeze", "");
      picture.style.maxHeight = wanted + "px";
    });
    var end = column[column.length - 1].getBoundingClientRect();
    if (end.bottom > box.bottom + 1 || end.right > box.right + 1) { column.forEach(unsqueeze); }
  }

  /* The first card pushed past the clip and the band left above it in its column: squeeze it
     in, and again for the card after it while a band is left (a few at most); when none fits,
     stretch the column's pictures. */
  function fill(root) {
    cards(root).forEach(unsqueeze);
    if (getComputedStyle(root).overflowY !== "hidden") { return; } // a phone: the page scrolls
    for (var round = 0; round < 3; round++) {
      var box = root.getBoundingClientRect();
      var list = Array.prototype.filter.call(cards(root), function (node) { return height(node) > 0; });
      var at = -1;
      for (var i = 0; i < list.length; i++) {
        var r = list[i].getBoundingClientRect();
        if (r.right > box.right + 1 || r.bottom > box.bottom + 1) { at = i; break; }
      }
      if (at < 1) { return; }
      var last = list[at - 1].getBoundingClientRect();
      var gap = parseFloat(getComputedStyle(list[at - 1]).marginBottom) || 0;
      var room = box.bottom - last.bottom - 2 * gap;
      if (room < box.height * FILL_FROM) { return; }
      if (squeeze(list[at], room)) {
        var moved = list[at].getBoundingClientRect();
        if (moved.right <= box.right + 1 && moved.bottom <= box.bottom + 1) { continue; }
        unsqueeze(list[at]);
      }
      var column = list.slice(0, at).filter(function (node) {
        return Math.abs(node.getBoundingClientRect().left - last.left) < 2;
      });
      stretch(column, box.bottom - last.bottom - gap, box);
      return;
    }
  }

  /* Media grid: each tile's text gets the lines it has room for, beside a picture as long as
     the picture keeps a quarter of the tile; only a longer text is clamped (the fade marks it). */
  function fitTiles(root) {
    cards(root).forEach(function (tile) {
      var content = tile.querySelector(".content");
      if (!tile.matches("article.post") || !content || tile.clientHeight === 0) { return; }
      var picture = tile.querySelector(".media img, .media video");
      var least = picture ? tile.clientHeight / 4 : 0;
      content.setAttribute("data-squeeze", "");
      for (var lines = MAX_TILE_LINES; lines > MIN_LINES; lines--) {
        content.style.webkitLineClamp = String(lines);
        if (tile.scrollHeight <= tile.clientHeight + 1 && (!picture || height(picture) >= least)) { break; }
      }
      if (lines === MIN_LINES) { content.style.webkitLineClamp = String(lines); }
      content.classList.toggle("is-clamped", content.scrollHeight > content.clientHeight + 2);
    });
  }

  function follow(root, work) {
    var queued = false;
    function later() {
      if (queued) { return; }
      queued = true;
      window.requestAnimationFrame(function () {
        queued = false;
        work(root);
        root.setAttribute("data-filled", ""); // for tests: a fill has run
      });
    }
    // Cards added, removed or replaced (live.js, slides, the quiet mode); our own edits are
    // styles and attributes of their insides, which this does not watch.
    new MutationObserver(later).observe(root, { childList: true });
    root.addEventListener("load", later, true); // a picture's size is known once it loads
    window.addEventListener("resize", later);
    if (document.fonts && document.fonts.ready) { document.fonts.ready.then(later); }
    later();
  }

  function init() {
    if (document.documentElement.classList.contains("is-overlay")) { return; }
    document.querySelectorAll('[data-live-root][data-layout="columns"]').forEach(function (root) {
      follow(root, fill);
    });
    document.querySelectorAll('[data-live-root][data-layout="media"]').forEach(function (root) {
      follow(root, fitTiles);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
