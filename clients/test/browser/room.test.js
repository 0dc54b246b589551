// In Debian's Chromium against a real livegw and redis-server: a host console and three
// viewer pages in one room. Cards and comments reach everyone; a network drop and a
// gateway restart show on the pages, which then come back and resume.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { sleep } = require('../lib/procs');
const { waitText, screenshot } = require('../lib/browser');
const { startRoom, openPages } = require('../lib/room');

let fx;
let host; // the console page
let viewers; // the viewer pages, reaching the gateway through fx.proxy
let proxy;

before(async () => {
  fx = await startRoom();
  await openPages(fx, 3, { viaProxy: true });
  ({ host, viewers, proxy } = fx);
});

after(async () => {
  if (fx) await fx.close();
});

async function pinCard() {
  await host.click('#card-form button.btn');
  await waitText(host, '#card-form .result', 'Done');
}

test('the console counts the three viewers', async () => {
  await waitText(host, '#t-online', '3');
  for (const v of viewers) await waitText(v, '#online', '3');
});

test('the host pins a product card and every viewer shows it', async () => {
  await pinCard();
  await waitText(host, '#card-now', 'Longjing green tea');
  for (const v of viewers) {
    await waitText(v, '#card-title', 'Longjing green tea, 250 g');
    await waitText(v, '#card-live-price', '\u00a588.00');
    await waitText(v, '#card-price', '\u00a5128.00');
    assert.equal(await v.isVisible('#card'), true);
  }
});

test('a viewer comments; the other viewers and the console show it', async () => {
  const [ann, bob, cai] = viewers;
  await ann.fill('#say-text', 'Is the tea from this year?');
  await ann.click('#say-send');
  for (const p of [ann, bob, cai, host]) await waitText(p, '#comments .text', 'Is the tea from this year?');
  await waitText(bob, '#comments .nick', 'Ann');
  assert.equal(await ann.locator('#comments li.own').count(), 1, 'own comment marked');
  for (let i = 0; i < 3; i++) await bob.click('#like');
  for (const p of viewers) await waitText(p, '#likes', '3');
  await waitText(host, '#t-likes', '3');
  await host.fill('#notice-form input', 'Flash sale at 8 pm');
  await host.click('#notice-form button');
  await waitText(cai, '#comments .notice', 'Flash sale at 8 pm');
  await cai.fill('#say-text', 'Ready!');
  await cai.click('#say-send');
  await waitText(host, '#comments .text', 'Ready!');
  await sleep(1200); // a few chart samples
  await screenshot(host, 'console.png');
  await screenshot(ann, 'live.png');
});

test('the host mutes and deletes from the console', async () => {
  const [ann, bob, cai] = viewers;
  await bob.fill('#say-text', 'buy followers cheap');
  await bob.click('#say-send');
  await waitText(host, '#comments .text', 'buy followers cheap');
  const li = host.locator('#comments li', { hasText: 'buy followers cheap' });
  await li.hover();
  await li.getByRole('button', { name: 'Mute' }).click();
  await waitText(host, '#toast', 'Muted bob');
  await li.hover();
  await li.getByRole('button', { name: 'Delete' }).click();
  for (const p of [ann, bob, cai, host]) {
    await p.waitForFunction(
      () =>
        ![...document.querySelectorAll('#comments .text')].some(
          (n) => n.textContent === 'buy followers cheap',
        ),
      null,
      { timeout: 10000 },
    );
  }
  await bob.fill('#say-text', 'let me talk');
  await bob.click('#say-send');
  await waitText(bob, '#toast', 'You are muted in this room');
});

test('a network drop shows on the viewer pages; they come back and replay what they missed, once', async () => {
  proxy.stalled = true; // the viewers hear nothing more...
  await host.fill('#notice-form input', 'Said while you were away');
  await host.click('#notice-form button');
  await waitText(host, '#comments .notice', 'Said while you were away');
  proxy.refusing = true;
  proxy.cutAll(); // ...then their connections drop, and new ones are refused for a while
  proxy.stalled = false;
  for (const v of viewers) {
    await v.waitForSelector('#conn[data-state="reconnecting"]', { state: 'visible', timeout: 10000 });
    await waitText(v, '#conn', 'Connection lost');
  }
  await screenshot(viewers[1], 'live-reconnecting.png');
  proxy.refusing = false;
  for (const v of viewers) {
    await v.waitForSelector('#conn[data-reconnects="1"]', { state: 'attached', timeout: 15000 });
    await waitText(v, '#comments .notice', 'Said while you were away');
    const n = await v.locator('#comments .notice', { hasText: 'Said while you were away' }).count();
    assert.equal(n, 1, 'the missed notice arrives exactly once');
    await waitText(v, '#card-title', 'Longjing green tea'); // the card is still pinned
  }
  const states = await viewers[0].evaluate(() => window.seenStates);
  assert.deepEqual(states.slice(0, 2), ['reconnecting', 'connecting']);
  assert.equal(states.at(-1), 'open');
});

test('the gateway is killed and restarted: every page shows it, reconnects and goes on', async () => {
  await fx.gw.kill();
  for (const p of [host, ...viewers]) {
    await p.waitForSelector('#conn[data-state="reconnecting"]', { state: 'attached', timeout: 10000 });
  }
  await fx.gw.start(); // the same port; the room starts afresh
  await host.waitForSelector('#conn[data-reconnects="1"]', { state: 'attached', timeout: 20000 });
  for (const v of viewers) {
    await v.waitForSelector('#conn[data-reconnects="2"]', { state: 'attached', timeout: 20000 });
    // The new gateway's welcome is the truth: no card pinned any more.
    await v.waitForSelector('#card', { state: 'hidden' });
  }
  await pinCard();
  for (const v of viewers) await waitText(v, '#card-title', 'Longjing green tea');
  await viewers[2].fill('#say-text', 'Back again');
  await viewers[2].click('#say-send');
  for (const p of [host, viewers[0], viewers[1]]) await waitText(p, '#comments .text', 'Back again');
  await waitText(host, '#t-online', '3');
});

test('no page reported a script error', async () => {
  for (const p of [host, ...viewers]) assert.deepEqual(p.errors, []);
});
