// In Chromium: a lucky bag opened from the console, joined by button and by keyword
// comment, drawn; the winner's page says so and the others show the winner. Skipped
// while the gateway answers bag_start with an error.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { waitText, screenshot } = require('../lib/browser');
const { startRoom, openPages, NICKS } = require('../lib/room');

let fx;
let feature;

before(async () => {
  fx = await startRoom();
  feature = await fx.probe('bag_start');
  if (feature.ok) await openPages(fx, 3);
});

after(async () => {
  if (fx) await fx.close();
});

test('three viewers join a lucky bag; after the draw the winner is told', async (t) => {
  if (!feature.ok) return t.skip(feature.reason);
  const { host, viewers } = fx;
  await host.fill('#bag-form input[name=keyword]', 'tea please');
  await host.fill('#bag-form input[name=winners]', '1');
  await host.fill('#bag-form input[name=min_watch]', '0');
  await host.click('#bag-form button.btn');
  await waitText(host, '#bag-form .result', 'Done');
  for (const v of viewers) {
    await waitText(v, '#bag-prize', 'A tin of white tea');
    await waitText(v, '#bag-hint', 'tea please');
  }

  await viewers[0].click('#bag-join');
  await viewers[1].click('#bag-join');
  await viewers[2].fill('#say-text', 'tea please'); // the keyword joins too
  await viewers[2].click('#say-send');
  await waitText(viewers[0], '#bag-join', 'Joined');
  await waitText(viewers[1], '#bag-join', 'Joined');
  await waitText(host, '#bag-count', '3');
  for (const v of viewers) await waitText(v, '#bag-count', '3');

  await host.click('#bag-draw');
  for (const v of viewers) await v.waitForSelector('#bag[data-state="drawn"]', { timeout: 10000 });
  const won = await Promise.all(viewers.map((v) => v.getAttribute('#bag-result', 'data-won')));
  assert.equal(won.filter((w) => w === 'true').length, 1, `won: ${won}`);
  const i = won.indexOf('true');
  const uid = NICKS[i].toLowerCase();
  await waitText(viewers[i], '#bag-result', 'You won A tin of white tea!');
  for (const [j, v] of viewers.entries()) {
    if (j !== i) await waitText(v, '#bag-result', `Winners: ${uid}`);
  }
  await waitText(host, '#bag-winners', uid);
  await screenshot(viewers[i], 'live-bag-won.png');
});
