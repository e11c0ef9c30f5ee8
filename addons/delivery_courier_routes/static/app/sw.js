/* This file is part of the Delivery CRM for Tryton.
 *
 * The courier app's service worker: the app shell is cached when the worker
 * is installed so that the page opens without network. Online, the server's
 * answer always wins (and refreshes the cache); offline, the cache answers.
 * JSON-RPC (POST) never goes through the cache.
 */
'use strict';
const CACHE = 'courier-app-v1';
// relative to this file: static/ under the app's root
const SHELL = [
  '../',
  'app.js',
  'app.css',
  'manifest.webmanifest',
  'icons/icon.svg',
  'icons/icon-192.png',
  'icons/icon-512.png',
];
const SCOPE = new URL('../', self.location.href).href;
const INDEX = SCOPE;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(
      SHELL.map((path) => new Request(new URL(path, self.location.href),
        {cache: 'no-cache', credentials: 'omit'}))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names
      .filter((name) => name.startsWith('courier-app-') && name !== CACHE)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

async function networkFirst(request, fallback) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === 'basic') {
      await cache.put(fallback || request, response.clone());
    }
    return response;
  } catch (error) {
    const cached = await cache.match(fallback || request);
    if (cached) {
      return cached;
    }
    throw error;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || !request.url.startsWith(SCOPE)) {
    return;
  }
  const url = new URL(request.url);
  if (request.mode === 'navigate'
      || (url.href.split(/[?#]/)[0] === INDEX)) {
    // the page, whatever its query
    event.respondWith(networkFirst(request, INDEX));
  } else {
    event.respondWith(networkFirst(request));
  }
});
