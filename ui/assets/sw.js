// The light report page offline: the page from the network when it answers, else the copy kept here.
// Reports are not sent through this worker: the page keeps them in IndexedDB and sends them itself.
const VERSION = "__VERSION__";
const CACHE = "tocnscd-nhanh-" + VERSION;
const PAGE = "/nhanh/";
const ASSETS = ["/nhanh/app.js?v=" + VERSION, "/nhanh/app.css?v=" + VERSION];
const WAIT_MS = 8000; // a line that neither answers nor fails: show the kept page after this long

async function keepPage(cache) {
  // The page that registered this worker was loaded before it: fetch it once more, to have it offline.
  const response = await fetch(PAGE, { credentials: "same-origin" });
  if (response.ok && !response.redirected) await cache.put(PAGE, response);
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => Promise.all([cache.addAll(ASSETS), keepPage(cache).catch(() => {})]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("tocnscd-nhanh-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

async function page(request) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then((response) => {
    // A redirect means "sign in first": the copy kept is the signed-in page only.
    if (response.ok && !response.redirected) cache.put(PAGE, response.clone());
    return response;
  });
  network.catch(() => {}); // when the kept page was shown, a failure later is nobody's business
  const timeout = new Promise((resolve) => setTimeout(resolve, WAIT_MS));
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
    return (await cache.match(PAGE)) || (await network);
  } catch (err) {
    const kept = await cache.match(PAGE);
    if (kept) return kept;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === PAGE) {
    event.respondWith(page(event.request));
  } else if (ASSETS.includes(url.pathname + url.search)) {
    event.respondWith(caches.match(event.request).then((kept) => kept || fetch(event.request)));
  }
});
