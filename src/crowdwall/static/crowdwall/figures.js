/* crowdwall live figures: keeps a wall's post count and top lists current.
   live.js fires "crowdwall:figures" on the document for every wall.figures frame (after each
   change, and after every catch-up: a page served from the cache is corrected on load). This
   fills the elements {% post_count %}, {% top_authors %} and {% top_posts %} mark:
   [data-figure="count"|"top-authors"|"top-posts"][data-wall], lists cut to their data-n.
   Text goes in with textContent; post cards come from live.js's renderPost (as live posts). */
(function () {
  "use strict";

  var latest = {}; // wall slug -> "at" of the newest frame applied: an older one never wins

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function httpUrl(value) {
    if (typeof value !== "string" || !value) { return null; }
    try {
      var url = new URL(value, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) { return null; }
  }

  function noun(n) { return n === 1 ? "post" : "posts"; }

  function count(box, n) {
    var number = box.querySelector("[data-post-count]"), word = box.querySelector("[data-post-noun]");
    if (!number) { box.textContent = String(n); return; }
    number.textContent = String(n);
    if (word) { word.textContent = noun(n); }
  }

  function limit(box, list) { // data-n: how many this page shows (the frame may carry more)
    var n = Number(box.getAttribute("data-n"));
    return n > 0 ? list.slice(0, n) : list;
  }

  /* The DOM twin of templates/crowdwall/_top_authors.html. */
  function topAuthors(box, rows) {
    rows = limit(box, rows);
    if (!rows.length) { box.replaceChildren(el("p", "empty", "No posts yet.")); return; }
    var list = el("ol", "top-authors");
    rows.forEach(function (row) {
      var author = (row && row.author) || {}, posts = Number(row && row.posts) || 0;
      var li = el("li"), href = httpUrl(author.profile_url), who = li;
      if (href) {
        who = el("a");
        who.href = href;
        who.rel = "nofollow noopener noreferrer";
        li.appendChild(who);
      }
      who.appendChild(el("strong", "", author.display_name || author.handle || ""));
      who.appendChild(document.createTextNode(" "));
      who.appendChild(el("span", "handle", "@" + (author.handle || "")));
      li.appendChild(document.createTextNode(" "));
      var tally = el("span", "count", posts + " " + noun(posts));
      tally.setAttribute("data-count", String(posts));
      li.appendChild(tally);
      list.appendChild(li);
    });
    box.replaceChildren(list);
  }

  /* The DOM twin of templates/crowdwall/_top_posts.html. */
  function topPosts(box, posts) {
    var render = window.crowdwall && window.crowdwall.renderPost;
    if (!render) { return; } // live.js not loaded: leave the server's list
    posts = limit(box, posts).filter(function (post) { return post && Number(post.id) > 0; });
    if (!posts.length) { box.replaceChildren(el("p", "empty", "Nothing boosted or favourited yet.")); return; }
    var holder = el("div", "top-posts");
    posts.forEach(function (post) { holder.appendChild(render(post, Number(post.id), "top-post")); });
    box.replaceChildren(holder);
  }

  function apply(slug, frame) {
    var at = typeof frame.at === "number" ? frame.at : 0;
    if (latest[slug] !== undefined && at < latest[slug]) { return; }
    latest[slug] = at;
    document.querySelectorAll("[data-figure][data-wall]").forEach(function (box) {
      if (box.getAttribute("data-wall") !== slug) { return; }
      var kind = box.getAttribute("data-figure");
      if (kind === "count" && typeof frame.count === "number") { count(box, frame.count); }
      else if (kind === "top-authors" && Array.isArray(frame.top_authors)) { topAuthors(box, frame.top_authors); }
      else if (kind === "top-posts" && Array.isArray(frame.top_posts)) { topPosts(box, frame.top_posts); }
    });
  }

  document.addEventListener("crowdwall:figures", function (event) {
    var detail = event.detail || {};
    if (typeof detail.wall === "string" && detail.figures && typeof detail.figures === "object") {
      apply(detail.wall, detail.figures);
    }
  });
})();
