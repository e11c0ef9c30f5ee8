/* This file is part of the Delivery CRM for Tryton.
 *
 * The courier app: today's stops of the courier's trips, one button per
 * step, proof of delivery and cash, failures with their reason.
 *
 * Every action is first written to a queue on the phone (IndexedDB, else
 * localStorage) with a unique key and the time it was done, shown at once,
 * and sent to the server in order, one per call, when the phone is online.
 * The server applies a key once and answers 'applied' or 'duplicate': only
 * then does the action leave the queue. An action the server refuses is
 * parked as rejected (shown, never retried on its own).
 */
'use strict';
(function () {
  // /<database>/delivery/courier/ (the page) -> /<database>/rpc/
  const ROOT = location.pathname.replace(/[^/]*$/, '');
  const DB_SEGMENT = ROOT.split('/').slice(-4)[0];
  const DB = decodeURIComponent(DB_SEGMENT);
  const RPC_URL = new URL('../../rpc/', location.href).pathname;
  const MODEL = 'model.delivery.trip.stop.';
  const STOP_FIELDS = [
    'sequence', 'kind', 'name', 'phone', 'street', 'city', 'latitude',
    'longitude', 'window_start', 'window_end', 'planned_arrival',
    'cod_amount', 'currency.symbol', 'currency.digits', 'state', 'arrived',
    'done', 'pod_name', 'failure_reason', 'trip', 'trip.reference'];
  const PAYLOAD = [
    'key', 'stop', 'action', 'time', 'name', 'signature', 'photo', 'cod',
    'reason', 'note'];
  const PHOTO_SIDE = 1280;
  const PHOTO_BYTES = 1900 * 1024; // the server takes up to 2 MB
  const FLUSH_EVERY = 15000;
  const REFRESH_EVERY = 5 * 60000;
  const ENDONYMS = {en: 'English', ka: 'ქართული'};

  const $ = (id) => document.getElementById(id);

  // Storage -----------------------------------------------------------------

  const prefix = `courier:${DB}:`;
  const store = {
    get(name, fallback = null) {
      try {
        const value = localStorage.getItem(prefix + name);
        return value === null ? fallback : JSON.parse(value);
      } catch (e) {
        return fallback;
      }
    },
    set(name, value) {
      localStorage.setItem(prefix + name, JSON.stringify(value));
    },
    remove(name) {
      localStorage.removeItem(prefix + name);
    },
  };

  function idbOpen() {
    return new Promise((resolve, reject) => {
      if (!window.indexedDB) {
        reject(new Error('no IndexedDB'));
        return;
      }
      const request = indexedDB.open(`courier-app:${DB}`, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore('actions', {keyPath: 'key'});
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('blocked'));
    });
  }

  function idbRun(db, mode, work) {
    // resolves once the transaction is committed
    return new Promise((resolve, reject) => {
      const tx = db.transaction('actions', mode);
      const request = work(tx.objectStore('actions'));
      let result;
      if (request) {
        request.onsuccess = () => { result = request.result; };
      }
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error('aborted'));
    });
  }

  // The queue of actions, in the order they were done
  const Queue = {
    db: null,
    items: [],
    async open() {
      try {
        this.db = await idbOpen();
        this.items = await idbRun(this.db, 'readonly', (s) => s.getAll());
      } catch (e) {
        this.db = null;
        this.items = store.get('queue', []);
      }
      this.items.sort((a, b) => a.seq - b.seq);
    },
    nextSeq() {
      const last = this.items.reduce((m, a) => Math.max(m, a.seq), 0);
      return Math.max(Date.now(), last + 1);
    },
    async put(item) {
      const items = this.items.filter((a) => a.key !== item.key);
      items.push(item);
      items.sort((a, b) => a.seq - b.seq);
      if (this.db) {
        await idbRun(this.db, 'readwrite', (s) => s.put(item));
      } else {
        store.set('queue', items);
      }
      this.items = items;
    },
    async remove(key) {
      const items = this.items.filter((a) => a.key !== key);
      if (this.db) {
        await idbRun(this.db, 'readwrite', (s) => s.delete(key));
      } else {
        store.set('queue', items);
      }
      this.items = items;
    },
    mine(status) {
      return this.items.filter((a) => session && a.user === session.login
        && (!status || a.status === status));
    },
  };

  // Texts -------------------------------------------------------------------

  let T = {lang: null, texts: {}, reasons: [], states: {}, kinds: {},
    actions: {}};

  function t(key, vars) {
    let text = T.texts[key];
    if (text === undefined) {
      text = key;
    }
    if (vars) {
      text = text.replace(/%\((\w+)\)s/g,
        (match, name) => (name in vars ? String(vars[name]) : match));
    }
    return text;
  }

  function browserLanguage() {
    const languages = navigator.languages || [navigator.language || 'en'];
    return (languages[0] || 'en').split('-')[0];
  }

  function preferredLanguage() {
    return (session && session.lang) || store.get('lang')
      || browserLanguage();
  }

  async function loadTexts(lang) {
    const cached = store.get(`texts:${lang}`);
    if (cached) {
      T = cached;
      applyTexts();
    }
    try {
      const response = await fetchWithin(
        `texts?lang=${encodeURIComponent(lang)}`,
        {credentials: 'omit', cache: 'no-cache'}, 15000);
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
      }
      const data = await response.json();
      T = data;
      try {
        store.set(`texts:${lang}`, data);
      } catch (e) { /* only a cache */ }
    } catch (e) {
      if (!cached) {
        // any language kept from an earlier visit is better than none
        const other = Object.keys(ENDONYMS).map(
          (code) => store.get(`texts:${code}`)).find(Boolean);
        if (other) {
          T = other;
        }
      }
    }
    applyTexts();
  }

  function applyTexts() {
    if (!T.lang) {
      return;
    }
    document.documentElement.lang = T.lang;
    document.title = t('title');
    for (const element of document.querySelectorAll('[data-t]')) {
      const key = element.dataset.t;
      if (key in T.texts) {
        element.textContent = T.texts[key];
      }
    }
    const other = T.lang === 'ka' ? 'en' : 'ka';
    $('language').textContent = ENDONYMS[other];
    $('language').lang = other;
    $('language').dataset.lang = other;
    const select = $('fail-reason');
    const value = select.value;
    select.textContent = '';
    select.append(option('', '\u2014'));
    for (const [code, label] of T.reasons) {
      select.append(option(code, label));
    }
    select.value = value;
  }

  function option(value, label) {
    const element = document.createElement('option');
    element.value = value;
    element.textContent = label;
    return element;
  }

  // JSON-RPC ----------------------------------------------------------------

  class AuthError extends Error {}
  class NetworkError extends Error {}
  class HttpError extends Error {
    constructor(status) {
      super(`HTTP ${status}`);
      this.status = status;
    }
  }
  class ServerError extends Error {}

  function fetchWithin(url, options, ms) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    return fetch(url, {...options, signal: controller.signal})
      .finally(() => clearTimeout(timer));
  }

  function base64(text) {
    let binary = '';
    for (const byte of new TextEncoder().encode(text)) {
      binary += String.fromCharCode(byte);
    }
    return btoa(binary);
  }

  function errorMessage(error) {
    // ['UserError', [message, description, domain]], [text, traceback], ...
    if (!Array.isArray(error)) {
      return String(error);
    }
    if (Array.isArray(error[1])) {
      const [message, description] = error[1];
      return [message, description].filter(Boolean).join(' ');
    }
    if (typeof error[1] === 'string'
        && /^[A-Z]\w*(Error|Exception|Warning)$/.test(error[0])) {
      return error[1];
    }
    return String(error[0]);
  }

  let rpcId = 0;
  async function rpc(method, params, {auth = true, timeout = 30000} = {}) {
    const headers = {
      'Content-Type': 'application/json',
      'Accept': 'application/json',
    };
    if (auth) {
      if (!session) {
        throw new AuthError('no session');
      }
      headers.Authorization = 'Session ' + base64(
        `${session.login}:${session.uid}:${session.token}`);
    }
    let response;
    try {
      response = await fetchWithin(RPC_URL, {
        method: 'POST',
        headers,
        body: JSON.stringify({id: ++rpcId, method, params}),
        // never the session cookie of the back office: the courier's own
        credentials: 'omit',
        cache: 'no-store',
      }, timeout);
    } catch (e) {
      setReachable(false);
      throw new NetworkError(e.message);
    }
    setReachable(true);
    if (response.status === 401 || response.status === 403) {
      throw new AuthError(`HTTP ${response.status}`);
    }
    if (!response.ok) {
      throw new HttpError(response.status);
    }
    let data;
    try {
      data = await response.json();
    } catch (e) {
      throw new HttpError(response.status);
    }
    if (data.error) {
      throw new ServerError(errorMessage(data.error));
    }
    return data.result;
  }

  function context() {
    return {...((session && session.context) || {}),
      language: T.lang || (session && session.lang) || 'en'};
  }

  // Values ------------------------------------------------------------------

  function fromRpc(value) {
    if (value && typeof value === 'object' && value.__class__) {
      switch (value.__class__) {
        case 'datetime':
          return Date.UTC(value.year, value.month - 1, value.day,
            value.hour || 0, value.minute || 0, value.second || 0);
        case 'Decimal':
          return value.decimal;
        default:
          return value;
      }
    }
    return value;
  }

  function rpcDate(date) {
    return {__class__: 'date', year: date.getFullYear(),
      month: date.getMonth() + 1, day: date.getDate()};
  }

  function isoDay(date) {
    const pad = (n) => String(n).padStart(2, '0');
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-`
      + pad(date.getDate());
  }

  function locale() {
    return T.lang === 'ka' ? 'ka-GE' : 'en-GB';
  }

  function formatTime(ms) {
    return new Intl.DateTimeFormat(locale(), {
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23'}).format(ms);
  }

  function formatDay(date) {
    if (Intl.DateTimeFormat.supportedLocalesOf([locale()]).length) {
      return new Intl.DateTimeFormat(locale(), {
        weekday: 'long', day: 'numeric', month: 'long'}).format(date);
    }
    // a browser without the language's data: the user's Tryton format
    const format = (session && session.dateFormat)
      || (T.lang === 'ka' ? '%d.%m.%Y' : '%m/%d/%Y');
    const pad = (n) => String(n).padStart(2, '0');
    const parts = {
      d: pad(date.getDate()), m: pad(date.getMonth() + 1),
      Y: String(date.getFullYear()), y: pad(date.getFullYear() % 100),
      '%': '%'};
    return format.replace(/%([dmYy%])/g, (match, code) => parts[code]);
  }

  function formatAmount(stop, amount) {
    const digits = Number.isInteger(stop.digits) ? stop.digits : 2;
    const text = Number(amount).toFixed(digits);
    return stop.symbol ? `${text} ${stop.symbol}` : text;
  }

  function parseAmount(text) {
    const value = String(text || '').trim().replace(/\s/g, '')
      .replace(',', '.');
    return /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  }

  function normalise(row) {
    const currency = row['currency.'] || {};
    const trip = row['trip.'] || {};
    const stop = {
      id: row.id,
      sequence: row.sequence,
      kind: row.kind,
      name: row.name || '',
      phone: row.phone || '',
      street: row.street || '',
      city: row.city || '',
      latitude: row.latitude,
      longitude: row.longitude,
      cod: fromRpc(row.cod_amount),
      symbol: currency.symbol || '',
      digits: currency.digits,
      state: row.state,
      pod_name: row.pod_name || '',
      failure_reason: row.failure_reason || '',
      trip: row.trip,
      trip_reference: trip.reference || '',
    };
    for (const name of ['window_start', 'window_end', 'planned_arrival',
      'arrived', 'done']) {
      stop[name] = fromRpc(row[name]) || null;
    }
    return stop;
  }

  // State -------------------------------------------------------------------

  let session = store.get('session');
  let serverStops = [];
  let stopsDay = null;
  let savedAt = null;
  let fromCache = false;
  let reachable = true;
  let sending = false;
  let flushing = null;
  let flushAgain = false;

  function setReachable(value) {
    if (reachable !== value) {
      reachable = value;
      renderStatus();
    }
  }

  function online() {
    return navigator.onLine && reachable;
  }

  function saveSession() {
    store.set('session', session);
  }

  function saveStops() {
    try {
      store.set('stops', {login: session.login, day: stopsDay,
        at: savedAt, stops: serverStops});
    } catch (e) { /* the list is only a cache */ }
  }

  function restoreStops() {
    const cached = store.get('stops');
    if (cached && session && cached.login === session.login
        && cached.day === isoDay(new Date())) {
      serverStops = cached.stops;
      stopsDay = cached.day;
      savedAt = cached.at;
      fromCache = true;
      return true;
    }
    return false;
  }

  function applyAction(stop, action) {
    // what an action does to a stop, on the phone as on the server
    const when = Date.parse(action.time) || Date.now();
    switch (action.action) {
      case 'arrived':
        if (stop.state === 'waiting') {
          stop.state = 'arrived';
          stop.arrived = when;
        }
        break;
      case 'picked_up':
      case 'delivered':
        stop.state = 'done';
        stop.done = when;
        if (action.name) {
          stop.pod_name = action.name;
        }
        break;
      case 'failed':
        stop.state = 'failed';
        stop.done = when;
        stop.failure_reason = action.reason || 'other';
        break;
    }
  }

  function viewStops() {
    const stops = serverStops.map((stop) => ({...stop, pending: false}));
    const byId = new Map(stops.map((stop) => [stop.id, stop]));
    for (const action of Queue.mine('queued')) {
      const stop = byId.get(action.stop);
      if (stop) {
        applyAction(stop, action);
        stop.pending = true;
      }
    }
    return stops;
  }

  // Server ------------------------------------------------------------------

  async function loadStops() {
    const today = new Date();
    const domain = [
      ['trip.date', '=', rpcDate(today)],
      ['trip.state', 'in', ['planned', 'in_progress']],
      ['state', '!=', 'cancelled'],
    ];
    const rows = await rpc(`${MODEL}search_read`, [domain, 0, null,
      [['trip', 'ASC'], ['sequence', 'ASC'], ['id', 'ASC']], STOP_FIELDS,
      context()]);
    serverStops = rows.map(normalise);
    stopsDay = isoDay(today);
    savedAt = Date.now();
    fromCache = false;
    saveStops();
  }

  function payload(action) {
    const values = {};
    for (const name of PAYLOAD) {
      if (action[name] !== undefined && action[name] !== null
          && action[name] !== '') {
        values[name] = action[name];
      }
    }
    return values;
  }

  async function sendOne(action) {
    const results = await rpc(`${MODEL}courier_actions`,
      [[payload(action)], context()], {timeout: 120000});
    return results[0];
  }

  function flush() {
    // one sender at a time: the online event, the timer and the buttons
    // may all ask for it; an action recorded while it finishes is sent by
    // one more round
    if (flushing) {
      flushAgain = true;
      return flushing;
    }
    flushing = (async () => {
      try {
        do {
          flushAgain = false;
          await doFlush();
        } while (flushAgain && session && Queue.mine('queued').length);
      } finally {
        flushing = null;
        sending = false;
        renderStatus();
      }
    })();
    return flushing;
  }

  async function doFlush() {
    let sent = 0;
    while (session) {
      const action = Queue.mine('queued')[0];
      if (!action) {
        break;
      }
      sending = true;
      renderStatus();
      let result;
      try {
        result = await sendOne(action);
      } catch (error) {
        if (error instanceof ServerError) {
          await park(action, error.message);
          continue;
        } else if (error instanceof AuthError) {
          sessionExpired();
        } else if (error instanceof HttpError && error.status >= 400
            && error.status < 500 && ![408, 425, 429].includes(error.status)) {
          await park(action, error.message);
          continue;
        } else if (error instanceof HttpError) {
          showMessage(t('error_server', {status: error.status}), 'error');
        } else if (error instanceof NetworkError && navigator.onLine) {
          // a network, but no server behind it
          showMessage(t('error_network'), 'info');
        }
        break;
      }
      if (result === 'applied' || result === 'duplicate') {
        const stop = serverStops.find((s) => s.id === action.stop);
        if (stop) {
          applyAction(stop, action);
          saveStops();
        }
        await Queue.remove(action.key);
        sent += 1;
      } else {
        await park(action, String(result));
      }
      render();
    }
    if (sent) {
      if (!Queue.mine('queued').length) {
        showMessage(t('all_sent'), 'info');
      }
      await refreshStops();
    }
    return sent;
  }

  async function park(action, message) {
    action.status = 'rejected';
    action.error = message;
    await Queue.put(action);
    render();
  }

  async function refreshStops() {
    if (!session) {
      return;
    }
    try {
      await loadStops();
    } catch (error) {
      if (error instanceof AuthError) {
        sessionExpired();
      } else if (error instanceof ServerError) {
        showMessage(error.message, 'error');
      }
    }
    render();
  }

  async function sync() {
    if (!session) {
      return;
    }
    await flush();
    if (session) {
      await refreshStops();
    }
  }

  // Log in ------------------------------------------------------------------

  async function login(event) {
    event.preventDefault();
    const name = $('login-name').value.trim();
    const password = $('login-password').value;
    const error = $('login-error');
    error.hidden = true;
    if (!name || !password) {
      return;
    }
    $('login-button').disabled = true;
    try {
      const [uid, token] = await rpc('common.db.login',
        [name, {password}, T.lang || browserLanguage()], {auth: false});
      session = {login: name, uid, token};
      // the context of the user: his language, company and employee
      const preferences = await rpc('model.res.user.get_preferences',
        [true, {}]);
      session.name = preferences['employee.rec_name'] || name;
      session.lang = preferences.language || T.lang;
      session.dateFormat = (preferences.locale || {}).date;
      delete preferences.locale;
      session.context = preferences;
      saveSession();
      $('login-password').value = '';
      hideMessage();
      if (session.lang !== T.lang) {
        await loadTexts(session.lang);
      }
      if (!restoreStops()) {
        serverStops = [];
      }
      showView('stops');
      render();
      await sync();
    } catch (e) {
      if (!session || !session.context) {
        session = null;
      }
      let text;
      if (e instanceof AuthError) {
        text = t('login_failed');
      } else if (e instanceof HttpError && e.status === 429) {
        text = t('login_too_many');
      } else if (e instanceof NetworkError) {
        text = t('login_offline');
      } else {
        text = e.message;
      }
      error.textContent = text;
      error.hidden = false;
    } finally {
      $('login-button').disabled = false;
    }
  }

  function sessionExpired() {
    if (!session) {
      return;
    }
    const name = session.login;
    session = null;
    store.remove('session');
    $('login-name').value = name;
    showView('login');
    showMessage(t('session_expired'), 'error');
    renderStatus();
  }

  async function logout() {
    const pending = Queue.mine('queued').length;
    if (pending && !window.confirm(t('logout_pending', {count: pending}))) {
      return;
    }
    const old = session;
    if (old) {
      try {
        await rpc('common.db.logout', [], {timeout: 5000});
      } catch (e) { /* the session expires on the server anyway */ }
    }
    session = null;
    store.remove('session');
    store.remove('stops');
    serverStops = [];
    savedAt = null;
    stopsDay = null;
    $('login-name').value = old ? old.login : '';
    showView('login');
    renderStatus();
  }

  // Rendering ---------------------------------------------------------------

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) {
        continue;
      }
      if (name === 'class') {
        node.className = value;
      } else if (name.startsWith('on')) {
        node.addEventListener(name.slice(2), value);
      } else {
        node.setAttribute(name, value === true ? '' : value);
      }
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) {
        node.append(child);
      }
    }
    return node;
  }

  function showView(name) {
    $('login-view').hidden = name !== 'login';
    $('stops-view').hidden = name !== 'stops';
    if (name === 'login') {
      closeSheets();
      $('user-name').textContent = '';
      setTimeout(() => ($('login-name').value ? $('login-password')
        : $('login-name')).focus(), 0);
    }
  }

  let messageTimer = null;
  function showMessage(text, kind = 'info') {
    const box = $('message');
    box.textContent = text;
    box.className = `message message-${kind}`;
    box.hidden = false;
    clearTimeout(messageTimer);
    if (kind === 'info') {
      messageTimer = setTimeout(hideMessage, 4000);
    }
  }

  function hideMessage() {
    $('message').hidden = true;
  }

  function renderStatus() {
    const connection = $('connection');
    const isOnline = online();
    connection.textContent = t(isOnline ? 'online' : 'offline');
    connection.className = `chip ${isOnline ? 'chip-online' : 'chip-offline'}`;
    connection.dataset.online = isOnline ? '1' : '0';
    const count = session ? Queue.mine('queued').length : 0;
    const queue = $('queue');
    queue.hidden = !count;
    queue.dataset.count = String(count);
    queue.textContent = sending && isOnline ? t('sending')
      : t('queued', {count});
    queue.title = t('send_now');
  }

  function windowText(stop) {
    const start = stop.window_start;
    const end = stop.window_end;
    if (!start && !end) {
      return t('window_any');
    }
    const from = start ? formatTime(start) : '';
    const until = end ? formatTime(end) : '';
    return `${from}\u2013${until}`;
  }

  function navigationLinks(stop) {
    const links = [];
    const hasPoint = Number.isFinite(stop.latitude)
      && Number.isFinite(stop.longitude)
      && (stop.latitude || stop.longitude);
    const address = [stop.street.replace(/\s*\n\s*/g, ', '), stop.city]
      .filter(Boolean).join(', ');
    let target = null;
    if (hasPoint) {
      target = `${stop.latitude},${stop.longitude}`;
    } else if (address) {
      target = address;
    }
    if (target) {
      links.push(element('a', {
        class: 'link link-nav',
        href: `https://maps.google.com/?daddr=${encodeURIComponent(target)}`,
        target: '_blank', rel: 'noopener noreferrer', 'data-link': 'navigate',
      }, t('navigate')));
      const geo = hasPoint
        ? `geo:${target}?q=${encodeURIComponent(target)}`
        : `geo:0,0?q=${encodeURIComponent(address)}`;
      links.push(element('a', {class: 'link link-map', href: geo,
        'data-link': 'map'}, t('map')));
    }
    if (stop.phone) {
      links.push(element('a', {
        class: 'link link-call',
        href: `tel:${stop.phone.replace(/[^\d+]/g, '')}`,
        'data-link': 'call',
      }, `${t('call')} ${stop.phone}`));
    }
    return links;
  }

  function stepButtons(stop) {
    const button = (action, cls) => element('button', {
      type: 'button', class: `big ${cls}`, 'data-action': action,
      onclick: () => onStep(stop, action),
    }, t(action));
    const done = stop.kind === 'pickup' ? 'picked_up' : 'delivered';
    if (stop.state === 'waiting') {
      return [button('arrived', 'primary'), button('failed', 'danger')];
    } else if (stop.state === 'arrived') {
      return [button(done, 'success'), button('failed', 'danger')];
    }
    return [];
  }

  function resultLine(stop) {
    const parts = [];
    if (stop.state === 'arrived' && stop.arrived) {
      parts.push(t('arrived_at', {time: formatTime(stop.arrived)}));
    }
    if ((stop.state === 'done' || stop.state === 'failed') && stop.done) {
      parts.push(t('done_at', {time: formatTime(stop.done)}));
    }
    if (stop.state === 'done' && stop.pod_name) {
      parts.push(t('received_by', {name: stop.pod_name}));
    }
    if (stop.state === 'failed') {
      const reasons = Object.fromEntries(T.reasons);
      parts.push(t('failure', {
        reason: reasons[stop.failure_reason] || stop.failure_reason}));
    }
    return parts.length ? element('p', {class: 'result'}, parts.join(' · '))
      : null;
  }

  function stopCard(stop, index, current) {
    const cod = Number(stop.cod) > 0 && stop.kind === 'delivery';
    const address = [stop.street, stop.city].filter(Boolean).join(', ');
    // a stop still to do whose planned time has passed is not shown as
    // upcoming: the courier sees it is overdue
    const open = !['done', 'failed', 'cancelled'].includes(stop.state);
    const overdue = open && stop.planned_arrival
      && new Date(stop.planned_arrival).getTime() < Date.now();
    const planned = stop.planned_arrival
      ? t(overdue ? 'overdue' : 'planned',
        {time: formatTime(stop.planned_arrival)}) : null;
    return element('li', {
      class: `stop state-${stop.state}${current ? ' current' : ''}`
        + (stop.pending ? ' pending' : ''),
      'data-stop': String(stop.id),
      'data-state': stop.state,
      'data-pending': stop.pending ? '1' : '0',
    },
    element('div', {class: 'stop-head'},
      element('span', {class: 'number'}, String(index + 1)),
      element('span', {class: `kind kind-${stop.kind}`},
        T.kinds[stop.kind] || stop.kind),
      element('span', {class: `state state-${stop.state}`},
        T.states[stop.state] || stop.state)),
    element('h3', {class: 'stop-name'}, stop.name || '\u2014'),
    address ? element('p', {class: 'address'}, address) : null,
    element('p', {class: 'when'},
      element('span', {class: 'label'}, `${t('window')}: `),
      element('strong', {'data-field': 'window'}, windowText(stop)),
      planned ? ' \u00b7 ' : null,
      planned ? element('span', {
        class: overdue ? 'planned overdue' : 'planned',
        'data-field': 'planned'}, planned) : null),
    cod ? element('p', {class: 'cod', 'data-field': 'cod'},
      `${t('cod')}: `, element('strong', {}, formatAmount(stop, stop.cod)))
      : null,
    resultLine(stop),
    stop.pending ? element('p', {class: 'pending-note'}, t('pending'))
      : null,
    stop.state === 'done' ? null
      : element('div', {class: 'links'}, navigationLinks(stop)),
    element('div', {class: 'steps'}, stepButtons(stop)));
  }

  function render() {
    renderStatus();
    if (!session) {
      return;
    }
    $('user-name').textContent = session.name || session.login;
    const stops = viewStops();
    const list = $('stops');
    list.textContent = '';
    const currentIndex = stops.findIndex(
      (s) => s.state === 'waiting' || s.state === 'arrived');
    stops.forEach((stop, index) => {
      list.append(stopCard(stop, index, index === currentIndex));
    });
    $('no-stops').hidden = stops.length > 0 || !stopsDay;
    $('day-title').textContent = t('today', {date: formatDay(new Date())});
    const done = stops.filter(
      (s) => s.state === 'done' || s.state === 'failed').length;
    $('day-progress').textContent = stops.length
      ? t('stops_done', {done, total: stops.length}) : '';
    $('day-source').textContent = !savedAt ? ''
      : fromCache ? t('saved_list', {time: formatTime(savedAt)})
        : t('updated', {time: formatTime(savedAt)});
    renderRejected();
  }

  function renderRejected() {
    const rejected = session ? Queue.mine('rejected') : [];
    $('rejected').hidden = !rejected.length;
    const list = $('rejected-list');
    list.textContent = '';
    for (const action of rejected) {
      list.append(element('li', {'data-key': action.key},
        element('strong', {}, `${action.label || ''} · ${t(action.action)}`),
        element('p', {class: 'error'}, action.error || ''),
        element('div', {class: 'row'},
          element('button', {type: 'button', class: 'small',
            onclick: () => retry(action)}, t('retry')),
          element('button', {type: 'button', class: 'small',
            onclick: () => dismiss(action)}, t('dismiss')))));
    }
  }

  async function retry(action) {
    action.status = 'queued';
    delete action.error;
    await Queue.put(action);
    render();
    flush();
  }

  async function dismiss(action) {
    await Queue.remove(action.key);
    render();
  }

  // Actions -----------------------------------------------------------------

  function stopLabel(stop) {
    const index = viewStops().findIndex((s) => s.id === stop.id);
    return `${t('stop', {number: index + 1})} ${stop.name || ''}`.trim();
  }

  function uuid() {
    if (crypto.randomUUID) {
      return crypto.randomUUID();
    }
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes,
      (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-`
      + `${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  async function record(stop, action, values = {}) {
    const item = {
      key: uuid(),
      seq: Queue.nextSeq(),
      user: session.login,
      stop: stop.id,
      action,
      time: new Date().toISOString(),
      ...values,
      status: 'queued',
      label: stopLabel(stop),
    };
    try {
      await Queue.put(item);
    } catch (e) {
      showMessage(t('storage_full'), 'error');
      return false;
    }
    render();
    showMessage(t('saved', {action: t(action)}), 'info');
    flush();
    return true;
  }

  function onStep(stop, action) {
    if (action === 'delivered') {
      openPod(stop);
    } else if (action === 'failed') {
      openFail(stop);
    } else {
      record(stop, action);
    }
  }

  // Sheets ------------------------------------------------------------------

  let sheetStop = null;
  let photo = null;
  let photoJob = 0;

  function openSheet(id) {
    for (const other of ['pod-sheet', 'fail-sheet']) {
      $(other).hidden = other !== id;
    }
    document.body.classList.add('sheet-open');
  }

  function closeSheets() {
    for (const id of ['pod-sheet', 'fail-sheet']) {
      $(id).hidden = true;
    }
    document.body.classList.remove('sheet-open');
    sheetStop = null;
  }

  function describe(stop) {
    return [stop.name, stop.street, stop.city].filter(Boolean).join(', ');
  }

  function openPod(stop) {
    sheetStop = stop;
    $('pod-stop').textContent = describe(stop);
    $('pod-name').value = stop.name || '';
    $('pod-error').hidden = true;
    removePhoto();
    const cod = Number(stop.cod) > 0;
    $('pod-cod').hidden = !cod;
    if (cod) {
      const due = formatAmount(stop, stop.cod);
      $('pod-cod-due').textContent = due;
      $('pod-cod-amount').value = Number(stop.cod).toFixed(
        Number.isInteger(stop.digits) ? stop.digits : 2);
      $('pod-cod-confirm').checked = false;
      $('pod-cod-confirm-text').textContent = t('cod_confirm', {amount: due});
    }
    openSheet('pod-sheet');
    signature.reset();
    $('pod-name').focus();
  }

  function podError(text) {
    $('pod-error').textContent = text;
    $('pod-error').hidden = false;
  }

  async function submitPod(event) {
    event.preventDefault();
    const stop = sheetStop;
    if (!stop) {
      return;
    }
    const name = $('pod-name').value.trim();
    if (!name) {
      podError(t('name_required'));
      return;
    }
    if (!signature.signed) {
      podError(t('signature_required'));
      return;
    }
    const values = {name, signature: signature.dataURL()};
    if (Number(stop.cod) > 0) {
      const amount = parseAmount($('pod-cod-amount').value);
      if (!(amount >= Number(stop.cod))) {
        podError(t('cod_short', {amount: formatAmount(stop, stop.cod)}));
        return;
      }
      if (!$('pod-cod-confirm').checked) {
        podError(t('cod_required'));
        return;
      }
      values.cod = String($('pod-cod-amount').value).trim()
        .replace(/\s/g, '').replace(',', '.');
    }
    if (photo) {
      values.photo = photo;
    }
    closeSheets();
    await record(stop, 'delivered', values);
  }

  function openFail(stop) {
    sheetStop = stop;
    $('fail-stop').textContent = describe(stop);
    $('fail-reason').value = '';
    $('fail-note').value = '';
    $('fail-error').hidden = true;
    openSheet('fail-sheet');
    $('fail-reason').focus();
  }

  async function submitFail(event) {
    event.preventDefault();
    const stop = sheetStop;
    if (!stop) {
      return;
    }
    const reason = $('fail-reason').value;
    if (!reason) {
      $('fail-error').textContent = t('reason_required');
      $('fail-error').hidden = false;
      return;
    }
    const note = $('fail-note').value.trim();
    closeSheets();
    await record(stop, 'failed', {reason, note: note || undefined});
  }

  // The signature pad: pointer events (touch, pen and mouse), with touch and
  // mouse events where pointer events are missing
  const signature = {
    canvas: null,
    context: null,
    signed: false,
    drawing: false,
    last: null,
    init(canvas) {
      this.canvas = canvas;
      const start = (point) => {
        this.drawing = true;
        this.last = point;
        this.dot(point);
      };
      const move = (point) => {
        if (this.drawing) {
          this.line(this.last, point);
          this.last = point;
        }
      };
      const end = () => { this.drawing = false; };
      if (window.PointerEvent) {
        canvas.addEventListener('pointerdown', (e) => {
          e.preventDefault();
          canvas.setPointerCapture(e.pointerId);
          start(this.point(e));
        });
        canvas.addEventListener('pointermove', (e) => {
          if (this.drawing) {
            e.preventDefault();
            const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
            for (const event of (events.length ? events : [e])) {
              move(this.point(event));
            }
          }
        });
        for (const type of ['pointerup', 'pointercancel']) {
          canvas.addEventListener(type, end);
        }
      } else {
        canvas.addEventListener('touchstart', (e) => {
          e.preventDefault();
          start(this.point(e.touches[0]));
        }, {passive: false});
        canvas.addEventListener('touchmove', (e) => {
          e.preventDefault();
          move(this.point(e.touches[0]));
        }, {passive: false});
        canvas.addEventListener('touchend', end);
        canvas.addEventListener('mousedown', (e) => start(this.point(e)));
        canvas.addEventListener('mousemove', (e) => move(this.point(e)));
        window.addEventListener('mouseup', end);
      }
    },
    point(e) {
      const box = this.canvas.getBoundingClientRect();
      return {x: e.clientX - box.left, y: e.clientY - box.top};
    },
    reset() {
      // sized when shown: the canvas has no size while hidden
      const ratio = Math.min(window.devicePixelRatio || 1, 2);
      const box = this.canvas.getBoundingClientRect();
      this.canvas.width = Math.max(1, Math.round(box.width * ratio));
      this.canvas.height = Math.max(1, Math.round(box.height * ratio));
      this.context = this.canvas.getContext('2d');
      this.context.setTransform(ratio, 0, 0, ratio, 0, 0);
      this.context.fillStyle = '#fff';
      this.context.fillRect(0, 0, box.width, box.height);
      this.context.lineWidth = 2.5;
      this.context.lineCap = 'round';
      this.context.lineJoin = 'round';
      this.context.strokeStyle = '#10243e';
      this.context.fillStyle = '#10243e';
      this.signed = false;
      this.drawing = false;
      this.canvas.dataset.signed = '0';
    },
    dot(p) {
      this.context.beginPath();
      this.context.arc(p.x, p.y, 1.3, 0, 2 * Math.PI);
      this.context.fill();
    },
    line(a, b) {
      this.context.beginPath();
      this.context.moveTo(a.x, a.y);
      this.context.lineTo(b.x, b.y);
      this.context.stroke();
      if (Math.abs(a.x - b.x) + Math.abs(a.y - b.y) > 0) {
        this.signed = true;
        this.canvas.dataset.signed = '1';
      }
    },
    dataURL() {
      return this.canvas.toDataURL('image/png');
    },
  };

  // The photo: scaled in the browser to at most PHOTO_SIDE pixels, JPEG

  function loadImage(file) {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const image = new Image();
      image.onload = () => {
        URL.revokeObjectURL(url);
        resolve(image);
      };
      image.onerror = () => {
        URL.revokeObjectURL(url);
        reject(new Error('unreadable image'));
      };
      image.src = url;
    });
  }

  function dataURLBytes(url) {
    const data = url.slice(url.indexOf(',') + 1);
    return Math.floor(data.length * 3 / 4);
  }

  async function scalePhoto(file) {
    let source;
    let width;
    let height;
    try {
      source = await createImageBitmap(file, {imageOrientation: 'from-image'});
      width = source.width;
      height = source.height;
    } catch (e) {
      source = await loadImage(file);
      width = source.naturalWidth;
      height = source.naturalHeight;
    }
    if (!width || !height) {
      throw new Error('empty image');
    }
    const scale = Math.min(1, PHOTO_SIDE / Math.max(width, height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const context = canvas.getContext('2d');
    context.fillStyle = '#fff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    if (source.close) {
      source.close();
    }
    let quality = 0.82;
    let url = canvas.toDataURL('image/jpeg', quality);
    while (dataURLBytes(url) > PHOTO_BYTES && quality > 0.3) {
      quality -= 0.15;
      url = canvas.toDataURL('image/jpeg', quality);
    }
    if (!url.startsWith('data:image/jpeg')
        || dataURLBytes(url) > PHOTO_BYTES) {
      throw new Error('photo too big');
    }
    return url;
  }

  async function onPhoto() {
    const input = $('pod-photo');
    const file = input.files && input.files[0];
    const job = ++photoJob;
    if (!file) {
      return;
    }
    $('pod-submit').disabled = true;
    try {
      const url = await scalePhoto(file);
      if (job === photoJob) {
        photo = url;
        $('pod-photo-img').src = url;
        $('pod-photo-preview').hidden = false;
        $('pod-error').hidden = true;
      }
    } catch (e) {
      if (job === photoJob) {
        removePhoto();
        podError(t('photo_error'));
      }
    } finally {
      if (job === photoJob) {
        $('pod-submit').disabled = false;
      }
    }
  }

  function removePhoto() {
    photoJob += 1;
    photo = null;
    $('pod-photo').value = '';
    $('pod-photo-img').removeAttribute('src');
    $('pod-photo-preview').hidden = true;
    $('pod-submit').disabled = false;
  }

  // Start -------------------------------------------------------------------

  async function switchLanguage() {
    const lang = $('language').dataset.lang;
    if (!lang) {
      return;
    }
    store.set('lang', lang);
    if (session) {
      session.lang = lang;
      saveSession();
    }
    await loadTexts(lang);
    render();
  }

  function bind() {
    $('login-form').addEventListener('submit', login);
    $('pod-form').addEventListener('submit', submitPod);
    $('fail-form').addEventListener('submit', submitFail);
    for (const button of document.querySelectorAll('[data-close]')) {
      button.addEventListener('click', closeSheets);
    }
    $('pod-clear').addEventListener('click', () => signature.reset());
    $('pod-photo').addEventListener('change', onPhoto);
    $('pod-photo-remove').addEventListener('click', removePhoto);
    $('queue').addEventListener('click', () => sync());
    $('refresh').addEventListener('click', () => sync());
    $('logout').addEventListener('click', logout);
    $('language').addEventListener('click', switchLanguage);
    $('message').addEventListener('click', hideMessage);
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        closeSheets();
      }
    });
    window.addEventListener('online', () => {
      reachable = true;
      renderStatus();
      sync();
    });
    window.addEventListener('offline', renderStatus);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && navigator.onLine) {
        sync();
      }
    });
    setInterval(() => {
      // the queue waits, or the server did not answer the last time
      if (session && navigator.onLine
          && (Queue.mine('queued').length || !reachable)) {
        sync();
      }
    }, FLUSH_EVERY);
    setInterval(() => {
      if (session && navigator.onLine
          && document.visibilityState === 'visible') {
        sync();
      }
    }, REFRESH_EVERY);
    signature.init($('pod-signature'));
  }

  function registerWorker() {
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.register('static/sw.js', {scope: './'})
        .catch(() => { /* the app works without, only not offline */ });
    }
  }

  async function start() {
    registerWorker();
    await Queue.open();
    await loadTexts(preferredLanguage());
    bind();
    // for support and tests: what waits on this phone, and the sender
    window.courierApp = {
      pending: () => Queue.mine().map((a) => ({...a})),
      send: (action) => sendOne(action),
      sync,
    };
    if (!session) {
      showView('login');
      renderStatus();
      document.body.dataset.ready = '1';
      return;
    }
    restoreStops();
    showView('stops');
    render();
    document.body.dataset.ready = '1';
    await sync();
  }

  start();
}());
