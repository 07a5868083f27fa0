/* crowdwall image fallback: a failed avatar shows the author's initials, a failed photo (or
   any img[data-fallback], such as a big-screen slide's) a neutral placeholder with its alt
   text, and a failed img[data-fallback="hide"] (the big screen's logo) disappears, on every
   page. One capture-phase listener on the
   document ("error" does not bubble, but it is captured), so images added later by live.js are
   covered too and no inline onerror handler is needed (CSP-friendly). Deferred like the other
   scripts: images that failed before it ran are found by a scan when it starts. Without
   JavaScript the initials still show through a failed avatar (alt="" draws no broken icon).
   Server twin: crowdwall/avatars.py. */
(function () {
  "use strict";
  var TONES = 8;

  function initials(name) {
    var letters = [];
    String(name || "").split(/\s+/).forEach(function (word) {
      var m = word.match(/[\p{L}\p{N}]/u);
      if (m) { letters.push(m[0]); }
    });
    if (!letters.length) { return "?"; }
    return (letters[0] + (letters.length > 1 ? letters[letters.length - 1] : "")).toUpperCase();
  }

  function tone(key) {
    var sum = 0, text = String(key || "");
    for (var i = 0; i < text.length; i++) { sum += text.codePointAt(i); if (text.codePointAt(i) > 0xffff) { i++; } }
    return sum % TONES;
  }

  /* The DOM twin of templates/crowdwall/_avatar.html (live.js builds cards with it). */
  function avatar(name, key, url) {
    var box = document.createElement("span");
    box.className = "avatar avatar--tone" + tone(key || name);
    box.setAttribute("data-avatar", "");
    box.setAttribute("aria-hidden", "true");
    var letters = document.createElement("span");
    letters.className = "avatar-initials";
    letters.textContent = initials(name);
    box.appendChild(letters);
    if (url) {
      var img = document.createElement("img");
      img.src = url; img.alt = ""; img.width = 48; img.height = 48; img.loading = "lazy";
      img.setAttribute("data-fallback", "avatar");
      box.appendChild(img);
    }
    return box;
  }

  function placeholder(img) {
    var box = document.createElement("span");
    box.className = "media-missing";
    box.setAttribute("role", "img");
    var alt = img.getAttribute("alt") || "Image";
    box.setAttribute("aria-label", alt + " (image not available)");
    var label = document.createElement("span");
    label.className = "media-missing-label";
    label.setAttribute("aria-hidden", "true");
    label.textContent = alt;
    box.appendChild(label);
    return box;
  }

  function failed(event) { swap(event.target); }

  function swap(img) {
    if (!img || img.tagName !== "IMG" || !img.closest || !img.isConnected) { return; }
    var box = img.closest("[data-avatar]");
    if (box) {
      box.classList.add("avatar--initials");
      img.remove();
      return;
    }
    // A decoration (the big screen's logo) just goes: an empty gap beats a broken icon.
    if (img.getAttribute("data-fallback") === "hide") {
      img.remove();
      return;
    }
    if (img.closest(".post") || img.hasAttribute("data-fallback")) {
      img.replaceWith(placeholder(img));
    }
  }

  document.addEventListener("error", failed, true);
  // Broken before this script ran: loading finished (complete) with no picture (no width).
  document.querySelectorAll("[data-avatar] img, .post img, img[data-fallback]").forEach(function (img) {
    if (img.complete && img.getAttribute("src") && img.naturalWidth === 0) { swap(img); }
  });
  window.CrowdwallImages = { avatar: avatar, initials: initials, tone: tone };
})();
