// In Chromium: a lucky bag opened from the console shows on every viewer page with its
// countdown and participant count; it is joined by button and by keyword comment, a
// reloaded page learns its own join from the welcome, the host draws, every page shows
// the winner, the winner's page says it won, and the console's verify link gives the
// draw's public record. A second bag's watch-time rule refuses joins with its reason.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { waitText, screenshot, OUT } = require('../lib/browser');
const { startRoom, openPages, NICKS } = require('../lib/room');

const PRIZE = 'A tin of white tea';

let fx;

before(async () => {
  fx = await startRoom();
  await openPages(fx, 3);
});

after(async () => {
  if (fx) await fx.close();
});

/* Opens a bag from the console form; resolves to its id once every viewer shows it open. */
async function openBag(keyword, minWatch) {
  const { host, viewers } = fx;
  const id = await host.inputValue('#bag-form input[name=bag]');
  await host.fill('#bag-form input[name=keyword]', keyword);
  await host.fill('#bag-form input[name=winners]', '1');
  await host.fill('#bag-form input[name=min_watch]', String(minWatch));
  await host.click('#bag-form button.btn');
  for (const v of viewers) await v.waitForSelector(`#bag[data-bag="${id}"][data-state="open"]`);
  return id;
}

test('three viewers join a lucky bag; after the draw the winner is told', async () => {
  const { host, viewers } = fx;
  const id = await openBag('tea please', 0);
  await waitText(host, '#bag-form .result', 'Done');
  for (const v of viewers) {
    await waitText(v, '#bag-prize', PRIZE);
    await waitText(v, '#bag-hint', 'tea please');
    await waitText(v, '#bag-when', /^draw in \d+:\d\d$/);
    await waitText(v, '#bag-count', '0');
  }

  await viewers[0].click('#bag-join');
  await viewers[1].click('#bag-join');
  await viewers[2].fill('#say-text', 'tea please'); // the keyword joins too
  await viewers[2].click('#say-send');
  for (const v of viewers) await waitText(v, '#bag-join', 'Joined');
  await waitText(host, '#bag-count', '3');
  for (const v of viewers) await waitText(v, '#bag-count', '3');

  // A page opened again learns its join and the count from welcome.bag.
  await viewers[0].reload();
  await viewers[0].waitForSelector('#conn[data-state="open"]', { state: 'attached' });
  await waitText(viewers[0], '#bag-join', 'Joined');
  await waitText(viewers[0], '#bag-count', '3');
  assert.equal(await viewers[0].isDisabled('#bag-join'), true);

  await host.click('#bag-draw');
  for (const v of viewers) await v.waitForSelector('#bag[data-state="drawn"]', { timeout: 10000 });
  const won = await Promise.all(viewers.map((v) => v.getAttribute('#bag-result', 'data-won')));
  assert.equal(won.filter((w) => w === 'true').length, 1, `won: ${won}`);
  const i = won.indexOf('true');
  const uid = NICKS[i].toLowerCase();
  await waitText(viewers[i], '#bag-result', `You won ${PRIZE}!`);
  for (const [j, v] of viewers.entries()) {
    if (j !== i) await waitText(v, '#bag-result', `Winners: ${uid}`);
  }
  await waitText(host, '#bag-winners', uid);

  // The console's verify link: the public record anyone can check the draw with.
  const href = await host.getAttribute('#bag-verify', 'href');
  assert.equal(href, `/api/rooms/${fx.room}/bags/${id}`);
  const res = await fetch(fx.gw.origin + href);
  assert.equal(res.status, 200);
  const rec = await res.json();
  assert.deepEqual(rec.participants, ['ann', 'bob', 'cai']);
  assert.deepEqual(rec.winners, [uid]);
  const sha = crypto.createHash('sha256').update(Buffer.from(rec.seed, 'hex')).digest('hex');
  assert.equal(rec.commit, sha, 'commit = sha256(seed)');
  await screenshot(viewers[i], 'live-bag-won.png');
  await host
    .locator('section[aria-label="lucky bag"]')
    .screenshot({ path: path.join(OUT, 'console-bag.png') });
});

test('a bag whose watch-time rule a viewer misses refuses the join and says why', async () => {
  const { viewers } = fx;
  await openBag('more tea', 3600);
  await viewers[0].click('#bag-join');
  await waitText(viewers[0], '#toast', 'Watch the live a little longer');
  await waitText(viewers[0], '#bag-join', 'Join');
  assert.equal(await viewers[0].isDisabled('#bag-join'), false);
  await viewers[1].fill('#say-text', 'more tea'); // the keyword is refused the same way
  await viewers[1].click('#say-send');
  await waitText(viewers[1], '#toast', 'Watch the live a little longer');
  await waitText(viewers[1], '#bag-count', '0');
  for (const p of [fx.host, ...viewers]) assert.deepEqual(p.errors, []);
});
