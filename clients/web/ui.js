/* ui.js: small DOM helpers shared by the viewer page and the host console.
 *
 * Server text is only ever put into the page as text nodes (never as HTML). */
(function (root) {
  'use strict';

  var UI = {};

  /* The page's query parameters (room, token, nick, from). */
  UI.params = function () {
    return new URLSearchParams(root.location.search);
  };

  UI.$ = function (id) {
    return document.getElementById(id);
  };

  /* el('li', {class: 'x', dataset: {id: '1'}}, 'text', child, ...) */
  UI.el = function (tag, attrs) {
    var node = document.createElement(tag);
    var a = attrs || {};
    Object.keys(a).forEach(function (k) {
      if (k === 'class') node.className = a[k];
      else if (k === 'dataset') Object.assign(node.dataset, a[k]);
      else if (k === 'onclick') node.addEventListener('click', a[k]);
      else if (a[k] !== null && a[k] !== undefined && a[k] !== false) node.setAttribute(k, a[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    }
    return node;
  };

  UI.setText = function (id, text) {
    var n = UI.$(id);
    if (n) n.textContent = text;
  };

  /* Integer cents as yuan: 12345 -> "¥123.45". */
  UI.yuan = function (cents) {
    if (typeof cents !== 'number') return '';
    return '\u00a5' + (cents / 100).toFixed(2);
  };

  /* Yuan typed in a form -> integer cents. */
  UI.cents = function (text) {
    var n = Math.round(parseFloat(String(text).replace(',', '.')) * 100);
    return isFinite(n) ? n : NaN;
  };

  /* Time left until a unix-ms instant, as "m:ss" or "h:mm:ss" (never negative). */
  UI.left = function (untilMs) {
    var s = Math.max(0, Math.ceil((untilMs - Date.now()) / 1000));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var ss = String(s % 60).padStart(2, '0');
    return h ? h + ':' + String(m).padStart(2, '0') + ':' + ss : m + ':' + ss;
  };

  UI.compact = function (n) {
    if (typeof n !== 'number') return '-';
    if (n >= 10000) return (n / 1000).toFixed(n >= 100000 ? 0 : 1) + 'k';
    return String(n);
  };

  var ERRORS = {
    bad_request: 'That was not understood',
    unauthorized: 'Please sign in again',
    forbidden: 'Not allowed',
    too_large: 'Too long',
    rate_limited: 'Slow down a little',
    muted: 'You are muted in this room',
    not_found: 'It is gone',
    not_started: 'Not started yet',
    ended: 'It has ended',
    sold_out: 'Sold out',
    limit_exceeded: 'You have reached the limit for this item',
    not_eligible: 'You cannot take part in this one',
    unavailable: 'Not available right now, nothing was taken',
    conflict: 'Already done',
    blocked: 'Not sent: your comment has a word that is not allowed here',
    timeout: 'No answer, try again',
    offline: 'Not connected',
    disconnected: 'The connection dropped; check before retrying',
    closed: 'Disconnected',
  };

  /* A sentence for an error code (the server's msg when the code is unknown). For
   * `not_eligible` the server's msg says which rule (watch time, won today, ...). */
  UI.errorText = function (code, msg) {
    if (code === 'not_eligible' && msg) return msg.charAt(0).toUpperCase() + msg.slice(1);
    return ERRORS[code] || msg || code || 'Something went wrong';
  };

  var toastTimer = null;

  /* A short message at the bottom of the page. */
  UI.toast = function (text, kind) {
    var t = UI.$('toast');
    if (!t) return;
    t.textContent = text;
    t.dataset.kind = kind || 'info';
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () {
      t.hidden = true;
    }, 3500);
  };

  /* The connection banner: data-state is the SDK state; `dropped` is set while the
   * connection is down after having been up, and `back` briefly when it returns. */
  UI.connBanner = function (node) {
    var wasDown = false;
    var backTimer = null;
    var reconnects = 0;
    return function (s) {
      node.dataset.state = s.state;
      clearTimeout(backTimer);
      node.classList.remove('back');
      if (s.state === 'connecting') {
        node.textContent = wasDown ? 'Reconnecting\u2026' : 'Connecting\u2026';
      } else if (s.state === 'open') {
        if (wasDown) {
          reconnects += 1;
          node.dataset.reconnects = String(reconnects);
          node.textContent = 'Back online';
          node.classList.add('back');
          backTimer = setTimeout(function () {
            node.classList.remove('back');
            node.textContent = 'Live';
          }, 3000);
        } else {
          node.textContent = 'Live';
        }
        wasDown = false;
      } else if (s.state === 'reconnecting') {
        wasDown = true;
        node.textContent =
          'Connection lost, reconnecting in ' + Math.max(1, Math.round(s.delayMs / 1000)) + ' s';
      } else if (s.state === 'closed' && s.code === 4100) {
        node.textContent = 'The live has ended';
      } else if (s.state === 'closed') {
        node.textContent = 'Disconnected: ' + (s.reason || 'closed') + (s.code ? ' (' + s.code + ')' : '');
      }
    };
  };

  /* Calls every registered function every 250 ms (countdowns). */
  var ticks = [];
  UI.onTick = function (fn) {
    ticks.push(fn);
    if (ticks.length === 1) {
      setInterval(function () {
        ticks.forEach(function (f) {
          f();
        });
      }, 250);
    }
  };

  /* The SDK client for this page, from its query parameters; null (and a message on
   * the page) when room or token is missing. */
  UI.client = function (extra) {
    var p = UI.params();
    var room = p.get('room');
    var token = p.get('token');
    if (!room || !token) return null;
    var opts = {
      url: LiveGW.urlFromLocation(root.location),
      room: room,
      token: token,
      nick: p.get('nick'),
      from: p.get('from'),
    };
    Object.assign(opts, extra || {});
    return new LiveGW.Client(opts);
  };

  root.UI = UI;
})(this);
