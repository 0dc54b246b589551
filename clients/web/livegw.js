/* livegw.js: the livegw client SDK, one file for browser pages and WeChat mini-programs.
 *
 * No dependencies and no build step. In a page: <script src="/static/livegw.js"> defines
 * `LiveGW`; in a mini-program or Node: `const LiveGW = require('./livegw.js')`.
 *
 *   const c = new LiveGW.Client({ url: 'wss://host/ws', room: 'demo', token: T });
 *   c.on('comment', (m) => show(m));
 *   c.on('state', (s) => banner(s.state));      // connecting, open, reconnecting, closed
 *   c.connect();
 *   c.comment('hello'); c.like(3);
 *   const reply = await c.order('sale1', 1);     // the server's `order` reply
 *
 * DESIGN
 * The wire contract is proto/PROTOCOL.md. One Client holds at most one socket at a time:
 * `wx.connectSocket` when the mini-program API exists, else a WebSocket constructor (the
 * global one, or one passed in as `WebSocket`, such as the `ws` package in Node).
 *
 * Connection states: idle -> connecting -> open (after `welcome`) -> reconnecting ->
 * connecting ... A socket that closes is redialled after a delay: exponential backoff
 * with jitter when handshakes fail (a browser cannot see the HTTP 503 + Retry-After of a
 * full gateway, only the failure), a short random delay after a drain (1001) or a
 * too-slow close (4009). Abuse (4008) and a closed room (4100) stop for good: state
 * `closed`; a closed room (the live has ended) also emits `ended`. Every redial carries `since` = the last room `seq` seen, so the server
 * replays the high-priority events missed; messages whose `seq` is not above the last
 * one seen are duplicates and dropped. A `welcome` whose `seq` is below the last seen
 * means the room's history restarted (a gateway restart): the count starts again.
 *
 * Liveness: `{"t":"ping"}` every `pingMs` while open (mini-programs cannot send
 * WebSocket pings); a socket silent for `deadMs`, or without `welcome` for `dialMs`, is
 * dropped and redialled.
 *
 * Requests: orders carry a generated `req`. An order without its reply when the socket
 * drops is sent again with the same `req` after the next `welcome`; the server answers
 * a repeated `req` with its first result, so a retry never buys twice. Lucky-bag joins
 * are retried the same way (joining twice counts once). Host commands carry a `req`
 * and resolve on `ack`; one in flight when the socket drops rejects with code
 * `disconnected` (it may or may not have been applied), and none is sent while offline.
 *
 * `client.room` keeps the room's state as the messages tell it (online, likes, card,
 * sales by id, bag, own uid and role); it is updated before the message's event fires.
 */
(function (root, factory) {
  'use strict';
  if (typeof module === 'object' && module && module.exports) {
    module.exports = factory();
  } else {
    root.LiveGW = factory();
  }
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  var DEFAULTS = {
    pingMs: 20000, // app-level ping period while open
    deadMs: 50000, // no byte from the server for this long: the socket is dead
    dialMs: 10000, // no welcome this long after dialling: give up on the socket
    backoffMinMs: 500,
    backoffMaxMs: 20000,
    soonMs: 1000, // the random delay after a drain (1001) or a too-slow close (4009)
    orderTimeoutMs: 30000, // an order without any reply resolves as `timeout`
    commandTimeoutMs: 10000, // a host command or bag join without reply rejects
  };

  // Close codes that end the client for good, with the reason shown to people.
  var FINAL_CLOSES = { 4008: 'abuse: too many refused messages', 4100: 'room closed' };

  // A session shorter than this after its welcome does not reset the backoff.
  var STABLE_MS = 5000;

  var reqCounter = 0;

  /* A request id: unique across reloads (time and randomness), at most 64 characters. */
  function newReq(prefix, random) {
    reqCounter += 1;
    var rnd = Math.floor(random() * 0x7fffffff).toString(36);
    return prefix + '-' + Date.now().toString(36) + '-' + reqCounter.toString(36) + '-' + rnd;
  }

  function errorOf(code, msg, reply) {
    var e = new Error(msg || code);
    e.code = code;
    e.reply = reply || null;
    return e;
  }

  /* ---- transports: the same small interface over a WebSocket or a wx SocketTask ---- */

  function openWebSocket(Ctor, url, t) {
    var ws = new Ctor(url);
    ws.onopen = function () {
      t.onopen();
    };
    ws.onmessage = function (ev) {
      t.onmessage(typeof ev.data === 'string' ? ev.data : String(ev.data));
    };
    ws.onclose = function (ev) {
      t.onclose(ev.code, ev.reason || '');
    };
    ws.onerror = function () {}; // a close event follows
    t.send = function (text) {
      ws.send(text);
    };
    t.close = function (code, reason) {
      try {
        ws.close(code, reason);
      } catch (e) {
        /* already closing */
      }
    };
    return t;
  }

  function openWxSocket(wx, url, t) {
    var task = wx.connectSocket({
      url: url,
      fail: function (res) {
        t.onclose(1006, (res && res.errMsg) || 'connectSocket failed');
      },
    });
    task.onOpen(function () {
      t.onopen();
    });
    task.onMessage(function (res) {
      t.onmessage(typeof res.data === 'string' ? res.data : String(res.data));
    });
    task.onClose(function (res) {
      t.onclose(res && res.code, (res && res.reason) || '');
    });
    task.onError(function () {}); // onClose follows
    t.send = function (text) {
      task.send({ data: text });
    };
    t.close = function (code, reason) {
      task.close({ code: code, reason: reason });
    };
    return t;
  }

  /* ---- a tiny event emitter ---- */

  function Emitter() {
    this._handlers = {};
  }

  /* Adds fn for `type`; returns a function that removes it. */
  Emitter.prototype.on = function (type, fn) {
    var list = this._handlers[type] || (this._handlers[type] = []);
    list.push(fn);
    var self = this;
    return function () {
      self.off(type, fn);
    };
  };

  Emitter.prototype.off = function (type, fn) {
    var list = this._handlers[type];
    if (!list) return;
    var i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  };

  /* Calls every handler; one that throws is reported and does not stop the others. */
  Emitter.prototype.emit = function (type, value) {
    var list = (this._handlers[type] || []).slice();
    for (var i = 0; i < list.length; i++) {
      try {
        list[i](value);
      } catch (e) {
        if (typeof console !== 'undefined') console.error('livegw: ' + type + ' handler:', e);
      }
    }
  };

  /* ---- the room's state as the messages tell it ---- */

  function emptyRoom() {
    return { uid: null, role: null, online: 0, likes: 0, card: null, sales: {}, bag: null };
  }

  function applyToRoom(room, m) {
    switch (m.t) {
      case 'welcome':
        room.uid = m.uid;
        room.role = m.role || null;
        room.online = m.online;
        room.likes = m.likes;
        room.card = m.card && m.card.sku != null ? m.card : null;
        room.sales = {};
        (m.sales || []).forEach(function (s) {
          room.sales[s.sale] = s;
        });
        room.bag = m.bag || null;
        break;
      case 'online':
        room.online = m.count;
        break;
      case 'likes':
        room.likes = m.total;
        break;
      case 'card':
        room.card = m.sku != null ? m : null;
        break;
      case 'sale':
        room.sales[m.sale] = m;
        break;
      case 'stock':
        if (room.sales[m.sale]) room.sales[m.sale].left = m.left;
        break;
      case 'bag':
        // A viewer's own join reply or win notice refines the room-wide bag.
        if (room.bag && room.bag.bag === m.bag) {
          var merged = {};
          Object.keys(room.bag).forEach(function (k) {
            merged[k] = room.bag[k];
          });
          Object.keys(m).forEach(function (k) {
            merged[k] = m[k];
          });
          room.bag = merged;
        } else {
          room.bag = m;
        }
        break;
      case 'bag_count':
        if (room.bag && room.bag.bag === m.bag) room.bag.count = m.count;
        break;
      case 'you_won':
        if (room.bag && room.bag.bag === m.bag) room.bag.you_won = true;
        break;
    }
  }

  /* ---- the client ---- */

  /**
   * new Client(opts)
   *   url      the gateway's WebSocket endpoint, e.g. 'wss://live.example.com/ws'
   *   room, token, nick, from   handshake query parameters (nick and from optional)
   *   since    resume from this room seq (optional)
   *   WebSocket  a WebSocket constructor (default: wx.connectSocket if wx exists, else
   *              the global WebSocket)
   *   wx       the mini-program API object (default: the global `wx`)
   *   random   a function like Math.random (tests pass a fixed one)
   *   and the timings of DEFAULTS above.
   */
  function Client(opts) {
    Emitter.call(this);
    opts = opts || {};
    var k;
    for (k in DEFAULTS) this[k] = opts[k] != null ? opts[k] : DEFAULTS[k];
    this.url = opts.url;
    this.roomId = opts.room;
    this.token = opts.token;
    this.nick = opts.nick || null;
    this.from = opts.from || null;
    this.lastSeq = opts.since != null ? Number(opts.since) : null;
    this.random = opts.random || Math.random;
    this._WebSocket = opts.WebSocket || null;
    if (opts.wx !== undefined) this._wx = opts.wx;
    else this._wx = typeof wx !== 'undefined' ? wx : null; // eslint-disable-line no-undef
    if (!this._WebSocket && !(this._wx && this._wx.connectSocket)) {
      this._WebSocket = typeof WebSocket !== 'undefined' ? WebSocket : null;
    }
    if (!this._WebSocket && !(this._wx && this._wx.connectSocket)) {
      throw new Error('livegw: no WebSocket implementation (pass opts.WebSocket)');
    }
    this.state = 'idle';
    this.attempt = 0; // failed or short-lived dials in a row
    this._welcomeAt = 0;
    this.room = emptyRoom();
    this.stats = { duplicates: 0, dials: 0, welcomes: 0, resets: 0 };
    this._sock = null;
    this._welcomed = false;
    this._stopped = false;
    this._redialTimer = null;
    this._pingTimer = null;
    this._dialTimer = null;
    this._lastRx = 0;
    this._orders = {}; // req -> pending order
    this._joins = {}; // req -> pending bag join
    this._commands = {}; // req -> pending host command
  }
  Client.prototype = Object.create(Emitter.prototype);
  Client.prototype.constructor = Client;

  /* Dials the gateway (and keeps redialling until close() or a final close code). */
  Client.prototype.connect = function () {
    if (this.state !== 'idle' && this.state !== 'closed') return this;
    this._stopped = false;
    this.attempt = 0;
    this._dial();
    return this;
  };

  /* Stops for good: closes the socket, ends pending requests. */
  Client.prototype.close = function () {
    this._stopped = true;
    clearTimeout(this._redialTimer);
    var sock = this._sock;
    this._detach();
    if (sock) sock.close(1000, 'bye');
    this._failPending('closed', 'the client was closed');
    this._setState('closed', { code: 1000, reason: 'closed by the client', willRetry: false });
  };

  Client.prototype.isOpen = function () {
    return this.state === 'open';
  };

  Client.prototype._query = function () {
    var q = 'room=' + encodeURIComponent(this.roomId) + '&token=' + encodeURIComponent(this.token);
    if (this.lastSeq != null) q += '&since=' + this.lastSeq;
    if (this.nick) q += '&nick=' + encodeURIComponent(this.nick);
    if (this.from) q += '&from=' + encodeURIComponent(this.from);
    return q;
  };

  Client.prototype._dial = function () {
    var self = this;
    var url = this.url + (this.url.indexOf('?') >= 0 ? '&' : '?') + this._query();
    var t = {};
    t.onopen = function () {
      if (self._sock === t) self._lastRx = Date.now();
    };
    t.onmessage = function (text) {
      if (self._sock === t) self._onText(text);
    };
    t.onclose = function (code, reason) {
      if (self._sock === t) self._onClose(code, reason);
    };
    this._sock = t;
    this._welcomed = false;
    this.stats.dials += 1;
    this._setState('connecting', { attempt: this.attempt, since: this.lastSeq });
    this._dialTimer = setTimeout(function () {
      if (self._sock === t && !self._welcomed) self._drop(t, 'no welcome from the server');
    }, this.dialMs);
    try {
      if (this._WebSocket) openWebSocket(this._WebSocket, url, t);
      else openWxSocket(this._wx, url, t);
    } catch (e) {
      // A constructor that throws (a bad URL) is a failed dial like any other.
      setTimeout(function () {
        t.onclose(1006, String((e && e.message) || e));
      }, 0);
    }
  };

  /* Gives up on a socket that looks dead: it is closed and treated as closed now (a
   * dead TCP connection may take minutes to report its close). */
  Client.prototype._drop = function (t, why) {
    if (t.close) t.close(4000, why);
    this._onClose(1006, why);
  };

  Client.prototype._detach = function () {
    this._sock = null;
    clearTimeout(this._dialTimer);
    clearInterval(this._pingTimer);
    this._pingTimer = null;
  };

  Client.prototype._onClose = function (code, reason) {
    var wasWelcomed = this._welcomed;
    this._detach();
    this._welcomed = false;
    this._failCommands('disconnected', 'the connection dropped before the answer');
    if (this._stopped) return;
    if (FINAL_CLOSES[code]) {
      this._stopped = true;
      this._failPending('closed', FINAL_CLOSES[code]);
      this._setState('closed', { code: code, reason: reason || FINAL_CLOSES[code], willRetry: false });
      if (code === 4100) this.emit('ended', { code: code, reason: reason || FINAL_CLOSES[code] });
      return;
    }
    var delay;
    if (code === 1001 || code === 4009) {
      delay = this.random() * this.soonMs;
    } else {
      // A failed handshake, or a session that ended within seconds (a gateway that
      // keeps closing), backs off further; a long session starts again from the start.
      if (!wasWelcomed || Date.now() - this._welcomeAt < STABLE_MS) this.attempt += 1;
      else this.attempt = 0;
      var base = Math.min(this.backoffMaxMs, this.backoffMinMs * Math.pow(2, this.attempt));
      delay = base / 2 + (this.random() * base) / 2;
    }
    delay = Math.round(delay);
    this._setState('reconnecting', {
      code: code,
      reason: reason,
      attempt: this.attempt,
      delayMs: delay,
      willRetry: true,
    });
    var self = this;
    this._redialTimer = setTimeout(function () {
      if (!self._stopped && self.state === 'reconnecting') self._dial();
    }, delay);
  };

  Client.prototype._setState = function (state, info) {
    this.state = state;
    info = info || {};
    info.state = state;
    this.emit('state', info);
  };

  /* One WebSocket message: a JSON object, or an array of them (a batch). */
  Client.prototype._onText = function (text) {
    this._lastRx = Date.now();
    var value;
    try {
      value = JSON.parse(text);
    } catch (e) {
      this.emit('protocol_error', { reason: 'not JSON', text: String(text).slice(0, 200) });
      return;
    }
    var list = Array.isArray(value) ? value : [value];
    for (var i = 0; i < list.length && this._sock; i++) {
      var m = list[i];
      if (Array.isArray(m)) this._onText(JSON.stringify(m));
      else if (m && typeof m === 'object' && typeof m.t === 'string') this._onMessage(m);
    }
  };

  Client.prototype._onMessage = function (m) {
    if (m.t === 'welcome') {
      this._onWelcome(m);
      return;
    }
    if (typeof m.seq === 'number') {
      if (this.lastSeq != null && m.seq <= this.lastSeq) {
        this.stats.duplicates += 1;
        return;
      }
      this.lastSeq = m.seq;
    }
    applyToRoom(this.room, m);
    var pending;
    switch (m.t) {
      case 'order':
        pending = this._orders[m.req];
        if (pending) {
          delete this._orders[m.req];
          clearTimeout(pending.timer);
          pending.resolve(m);
        }
        break;
      case 'ack':
        pending = this._commands[m.req];
        if (pending) {
          delete this._commands[m.req];
          clearTimeout(pending.timer);
          pending.resolve(m);
        }
        break;
      case 'error':
        pending = m.req != null && (this._commands[m.req] || this._joins[m.req]);
        if (pending) {
          delete this._commands[m.req];
          delete this._joins[m.req];
          clearTimeout(pending.timer);
          pending.reject(errorOf(m.code, m.msg, m));
          return; // the caller's promise reports it
        }
        break;
      case 'bag':
        this._settleJoins(m);
        if (m.you_won === true) this.emit('you_won', m);
        break;
      // A `you_won` message of its own is not in the contract (a win is a `bag` with
      // you_won: true) but is accepted: the emit below reports it.
    }
    this.emit(m.t, m);
    this.emit('message', m);
  };

  Client.prototype._onWelcome = function (m) {
    var resumed = this.lastSeq != null;
    if (resumed && m.seq < this.lastSeq) {
      // The room's history is behind ours: it restarted. Count from its seq again.
      this.stats.resets += 1;
      this.lastSeq = m.seq;
      this.emit('reset', { seq: m.seq });
    } else if (!resumed) {
      this.lastSeq = m.seq;
    }
    // else: keep lastSeq; the replayed events since it follow and advance it.
    this._welcomed = true;
    this._welcomeAt = Date.now();
    this.stats.welcomes += 1;
    clearTimeout(this._dialTimer);
    applyToRoom(this.room, m);
    this._startPings();
    this.emit('welcome', m);
    this.emit('message', m);
    this._setState('open', { resumed: resumed, uid: m.uid, role: m.role || null });
    this._resendPending();
  };

  Client.prototype._startPings = function () {
    var self = this;
    var t = this._sock;
    clearInterval(this._pingTimer);
    this._pingTimer = setInterval(function () {
      if (self._sock !== t) return;
      if (Date.now() - self._lastRx > self.deadMs) {
        self._drop(t, 'no answer to pings');
        return;
      }
      self._write({ t: 'ping' });
    }, this.pingMs);
  };

  /* Writes one message if a welcomed socket is there; returns whether it was sent. */
  Client.prototype._write = function (msg) {
    if (!this._sock || !this._welcomed) return false;
    try {
      this._sock.send(JSON.stringify(msg));
      return true;
    } catch (e) {
      return false;
    }
  };

  Client.prototype._resendPending = function () {
    var self = this;
    Object.keys(this._orders).forEach(function (req) {
      self._write(self._orders[req].msg);
    });
    Object.keys(this._joins).forEach(function (req) {
      self._write(self._joins[req].msg);
    });
  };

  Client.prototype._settleJoins = function (m) {
    var self = this;
    if (m.joined !== true) return;
    Object.keys(this._joins).forEach(function (req) {
      var p = self._joins[req];
      if (p.msg.bag === m.bag) {
        delete self._joins[req];
        clearTimeout(p.timer);
        p.resolve(m);
      }
    });
  };

  Client.prototype._failCommands = function (code, msg) {
    var cmds = this._commands;
    this._commands = {};
    Object.keys(cmds).forEach(function (req) {
      clearTimeout(cmds[req].timer);
      cmds[req].reject(errorOf(code, msg));
    });
  };

  Client.prototype._failPending = function (code, msg) {
    this._failCommands(code, msg);
    var orders = this._orders;
    var joins = this._joins;
    this._orders = {};
    this._joins = {};
    Object.keys(orders).forEach(function (req) {
      clearTimeout(orders[req].timer);
      orders[req].resolve({ t: 'order', req: req, ok: false, code: code, msg: msg });
    });
    Object.keys(joins).forEach(function (req) {
      clearTimeout(joins[req].timer);
      joins[req].reject(errorOf(code, msg));
    });
  };

  /* ---- viewer actions ---- */

  /* Sends any message as it is (for messages this SDK has no method for); returns
   * whether it was written. */
  Client.prototype.send = function (msg) {
    return this._write(msg);
  };

  Client.prototype.comment = function (text) {
    return this._write({ t: 'comment', text: String(text) });
  };

  Client.prototype.like = function (n) {
    return this._write({ t: 'like', n: n == null ? 1 : n });
  };

  Client.prototype.cardClick = function (sku) {
    return this._write({ t: 'card_click', sku: sku });
  };

  /* Reports what the viewer did with a WeCom prompt: 'shown', 'clicked' or 'added'. */
  Client.prototype.wecomAction = function (prompt, action) {
    return this._write({ t: 'wecom', prompt: prompt, action: action });
  };

  /**
   * Orders qty of a flash sale. Resolves with the server's `order` reply (`ok` true with
   * `order` and `pay_by`, or false with `code` and `msg`); never rejects. Offline, the
   * order waits for the connection; after a drop it is sent again with the same `req`.
   * Without any reply in orderTimeoutMs it resolves with code `timeout`.
   */
  Client.prototype.order = function (sale, qty, options) {
    var self = this;
    var req = (options && options.req) || newReq('o', this.random);
    var msg = { t: 'order', sale: sale, qty: qty == null ? 1 : qty, req: req };
    return new Promise(function (resolve) {
      var p = { msg: msg, resolve: resolve };
      p.timer = setTimeout(function () {
        if (self._orders[req] !== p) return;
        delete self._orders[req];
        resolve({ t: 'order', req: req, ok: false, code: 'timeout', msg: 'no answer in time' });
      }, self.orderTimeoutMs);
      self._orders[req] = p;
      self._write(msg);
    });
  };

  /* Joins a lucky bag. Resolves with the `bag` reply (joined: true), rejects with the
   * server's error (code `not_eligible`, `muted`, ...); retried like an order. */
  Client.prototype.joinBag = function (bag) {
    var self = this;
    var req = newReq('j', this.random);
    var msg = { t: 'bag_join', bag: bag, req: req };
    return new Promise(function (resolve, reject) {
      var p = { msg: msg, resolve: resolve, reject: reject };
      p.timer = setTimeout(function () {
        if (self._joins[req] !== p) return;
        delete self._joins[req];
        reject(errorOf('timeout', 'no answer in time'));
      }, self.commandTimeoutMs);
      self._joins[req] = p;
      self._write(msg);
    });
  };

  /* ---- host actions: each resolves with the `ack`, or rejects with an Error whose
   * `code` is the server's error code, `offline`, `disconnected` or `timeout`. ---- */

  Client.prototype._command = function (msg) {
    var self = this;
    var req = newReq('h', this.random);
    msg.req = req;
    return new Promise(function (resolve, reject) {
      if (!self._write(msg)) {
        reject(errorOf('offline', 'not connected'));
        return;
      }
      var p = { resolve: resolve, reject: reject };
      p.timer = setTimeout(function () {
        if (self._commands[req] !== p) return;
        delete self._commands[req];
        reject(errorOf('timeout', 'no answer in time'));
      }, self.commandTimeoutMs);
      self._commands[req] = p;
    });
  };

  function pick(src, keys, into) {
    keys.forEach(function (k) {
      if (src[k] !== undefined) into[k] = src[k];
    });
    return into;
  }

  /* card({sku, title, price, live_price, image, path}) pins a product card. */
  Client.prototype.card = function (c) {
    return this._command(pick(c, ['sku', 'title', 'price', 'live_price', 'image', 'path'], { t: 'card' }));
  };

  Client.prototype.cardClear = function () {
    return this._command({ t: 'card_clear' });
  };

  /* saleStart({sale, sku, stock, limit, price, duration, pay_window, starts_at?}) */
  Client.prototype.saleStart = function (s) {
    var keys = ['sale', 'sku', 'stock', 'limit', 'price', 'duration', 'pay_window', 'starts_at'];
    return this._command(pick(s, keys, { t: 'sale_start' }));
  };

  Client.prototype.saleStop = function (sale) {
    return this._command({ t: 'sale_stop', sale: sale });
  };

  /* bagStart({bag, prize, keyword, winners, duration, min_watch, not_won_today?, require?}) */
  Client.prototype.bagStart = function (b) {
    var keys = ['bag', 'prize', 'keyword', 'winners', 'duration', 'min_watch', 'not_won_today', 'require'];
    return this._command(pick(b, keys, { t: 'bag_start' }));
  };

  Client.prototype.bagDraw = function (bag) {
    return this._command({ t: 'bag_draw', bag: bag });
  };

  /* wecomPush({title, hook, link}) */
  Client.prototype.wecomPush = function (w) {
    return this._command(pick(w, ['title', 'hook', 'link'], { t: 'wecom_push' }));
  };

  /* Mutes uid for secs seconds (0 lifts the mute). */
  Client.prototype.mute = function (uid, secs) {
    return this._command({ t: 'mute', uid: uid, secs: secs });
  };

  /* Deletes a comment by its id. */
  Client.prototype['delete'] = function (id) {
    return this._command({ t: 'delete', id: String(id) });
  };

  Client.prototype.notice = function (text) {
    return this._command({ t: 'notice', text: String(text) });
  };

  /* Ends the live: every connection of the room, this one too, closes with 4100. */
  Client.prototype.roomClose = function () {
    return this._command({ t: 'room_close' });
  };

  /* The WebSocket endpoint of the gateway that served a page: ws(s)://<host>/ws. */
  function urlFromLocation(loc) {
    return (loc.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + loc.host + '/ws';
  }

  return {
    Client: Client,
    urlFromLocation: urlFromLocation,
    DEFAULTS: DEFAULTS,
    version: '1',
  };
});
