// A whole room for a browser test: redis-server, livegw serving clients/web, Chromium,
// the host console and N viewer pages (optionally behind a proxy that can cut them off).
'use strict';

const path = require('node:path');
const { startStack, uniqueRoom } = require('./procs');
const { Proxy } = require('./proxy');
const { launch, openConsole, openViewer } = require('./browser');
const { probe } = require('./features');

const WEB = path.resolve(__dirname, '..', '..', 'web');
const NICKS = ['Ann', 'Bob', 'Cai', 'Dan', 'Eve'];

/* Starts the gateway (and redis-server); resolves to the fixture before any browser.
 * args: more livegw options. */
async function startRoom({ args = [] } = {}) {
  const stack = await startStack({ staticDir: WEB, args });
  const fx = {
    stack,
    gw: stack.gw,
    room: uniqueRoom('browser'),
    proxy: null,
    browser: null,
    host: null,
    viewers: [],
    /* {ok} or {ok: false, reason} for a host command this gateway may not run yet. */
    probe: (kind) => probe(stack.gw, kind),
    async close() {
      if (fx.browser) await fx.browser.close();
      if (fx.proxy) await fx.proxy.stop();
      await stack.stop();
    },
  };
  return fx;
}

/* Opens Chromium, the console (straight to the gateway) and `n` viewer pages (through
 * a proxy when viaProxy). Viewer uids are the lower-cased nicks. */
async function openPages(fx, n, { viaProxy = false } = {}) {
  const gw = fx.gw;
  fx.browser = await launch();
  let origin = gw.origin;
  if (viaProxy) {
    fx.proxy = await new Proxy(gw.port).start();
    origin = `http://127.0.0.1:${fx.proxy.port}`;
  }
  const hostPage = openConsole(fx.browser, gw.origin, fx.room, gw.token('host1', 'host', fx.room));
  const viewerPages = NICKS.slice(0, n).map((nick) =>
    openViewer(fx.browser, origin, fx.room, gw.token(nick.toLowerCase(), 'viewer', fx.room), nick),
  );
  [fx.host, ...fx.viewers] = await Promise.all([hostPage, ...viewerPages]);
  for (const p of [fx.host, ...fx.viewers]) {
    await p.evaluate(() => {
      const c = window.liveClient || window.consoleClient;
      window.seenStates = [];
      c.on('state', (s) => window.seenStates.push(s.state));
    });
  }
  return fx;
}

module.exports = { startRoom, openPages, NICKS };
