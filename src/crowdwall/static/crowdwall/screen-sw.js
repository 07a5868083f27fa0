/* The big screen's service worker (served at /walls/screen-sw.js by crowdwall.remote.views,
   registered by screen-remote.js with the screen page's own path as its scope). It keeps the
   screen page and the assets the page names ("keep" message) in a cache; the page, its scripts and
   styles go to the network first and fall back to the kept copy when the network or the server is
   down (live frames, catch-ups and presence reports are never kept: they just fail, and
   live.js retries). Plain ES2017. */
"use strict";

var CACHE = "crowdwall-screen-v1";

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls)) { return; }
  var urls = data.urls.filter(function (url) {
    try { return new URL(url).origin === self.location.origin; } catch (e) { return false; }
  }).slice(0, 50);
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.map(function (url) {
      return fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (response.ok) { return cache.put(url, response); }
        return null;
      }).catch(function () { return null; }); // offline now: kept the next time
    }));
  }));
});

function kept(request) {
  return caches.open(CACHE).then(function (cache) { return cache.match(request, { ignoreVary: true }); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) { return; }
  // The page, its scripts and styles; anything else (the favicon, pictures, API calls) is the
  // browser's business as if there were no worker.
  if (request.mode !== "navigate" && request.destination !== "script" && request.destination !== "style") { return; }
  // Network first, so a deploy's new page and assets show at once; the kept copy when down.
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && request.mode === "navigate") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(request.url, copy); });
    }
    return response;
  }).catch(function () {
    return kept(request.url).then(function (found) { return found || Response.error(); });
  }));
});
