// Debian's Chromium, driven headless by playwright-core (never a downloaded browser),
// and the pages of the room: the host console and viewer pages.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const OUT = process.env.LIVEGW_TEST_OUT || path.resolve(__dirname, '..', 'out');
const PHONE = { width: 390, height: 760 };
const DESKTOP = { width: 1280, height: 900 };

function loadPlaywright() {
  try {
    return require('playwright-core');
  } catch (e) {
    throw new Error('playwright-core is missing: run `npm ci` in clients/ (deploy/install-deps.sh does)');
  }
}

async function launch() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install chromium (deploy/install-deps.sh does)`);
  }
  const { chromium } = loadPlaywright();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespaces for the sandbox.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/* A page in its own browser context, with page errors collected (tests assert none). */
async function openPage(browser, url, viewport) {
  const ctx = await browser.newContext({ viewport });
  // Pages never leave this machine (a card image or a WeCom link could point away).
  await ctx.route(
    (url) => url.protocol.startsWith('http') && url.hostname !== '127.0.0.1' && url.hostname !== 'localhost',
    (route) => route.abort(),
  );
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  // Failed loads and WebSocket dials are logged by the browser itself while the gateway
  // is away; the tests cause those on purpose.
  const expected = /Failed to load resource|WebSocket connection to .* failed/;
  page.on('console', (m) => {
    if (m.type() === 'error' && !expected.test(m.text())) page.errors.push(m.text());
  });
  await page.goto(url);
  await page.waitForSelector('#conn[data-state="open"]', { state: 'attached', timeout: 15000 });
  return page;
}

function query(room, token, extra = '') {
  return `room=${encodeURIComponent(room)}&token=${encodeURIComponent(token)}${extra}`;
}

function openConsole(browser, origin, room, token) {
  return openPage(browser, `${origin}/console?${query(room, token)}`, DESKTOP);
}

function openViewer(browser, origin, room, token, nick) {
  return openPage(
    browser,
    `${origin}/live?${query(room, token, nick ? `&nick=${encodeURIComponent(nick)}` : '')}`,
    PHONE,
  );
}

/* Waits until the page's selector holds the text (a string or a RegExp). */
async function waitText(page, selector, text, timeout = 10000) {
  await page.waitForFunction(
    ([sel, src, flags]) => {
      const re = flags === null ? null : new RegExp(src, flags);
      return Array.from(document.querySelectorAll(sel)).some((n) =>
        re ? re.test(n.textContent) : n.textContent.includes(src),
      );
    },
    text instanceof RegExp ? [selector, text.source, text.flags] : [selector, text, null],
    { timeout },
  );
}

async function screenshot(page, name) {
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, name);
  await page.evaluate(() => window.scrollTo(0, 0)); // clicks may have scrolled it
  await page.screenshot({ path: file });
  return file;
}

module.exports = { launch, openConsole, openViewer, openPage, waitText, screenshot, OUT };
