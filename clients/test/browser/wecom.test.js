// In Chromium: a WeCom prompt pushed from the console shows as a sheet on every viewer
// page; what viewers do with it (shown, clicked, added) reaches the room's funnel.
// Skipped while the gateway answers wecom_push with an error.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { waitFor } = require('../lib/procs');
const { waitText, screenshot } = require('../lib/browser');
const { startRoom, openPages } = require('../lib/room');

let fx;
let feature;

before(async () => {
  fx = await startRoom();
  feature = await fx.probe('wecom_push');
  if (feature.ok) await openPages(fx, 3);
});

after(async () => {
  if (fx) await fx.close();
});

test('a WeCom push shows the sheet; shown, clicked and added reach the funnel', async (t) => {
  if (!feature.ok) return t.skip(feature.reason);
  const { host, viewers, gw, room } = fx;
  // A link on this machine: the test never leaves the loopback.
  await host.fill('#wecom-form input[name=link]', `${gw.origin}/healthz?state=${room}`);
  await host.click('#wecom-form button.btn');
  await waitText(host, '#wecom-form .result', 'Done');
  for (const v of viewers) {
    await v.waitForSelector('#wecom', { state: 'visible', timeout: 10000 });
    await waitText(v, '#wecom-title', 'Add our shop on WeCom');
    await waitText(v, '#wecom-hook', 'Members get a 10 yuan coupon');
  }
  await screenshot(viewers[0], 'live-wecom.png');

  const [ann, bob] = viewers;
  const popup = ann.context().waitForEvent('page');
  await ann.click('#wecom-add');
  await (await popup).close();
  await ann.click('#wecom-added');
  await ann.waitForSelector('#wecom', { state: 'hidden' });
  await bob.click('#wecom-close');
  await bob.waitForSelector('#wecom', { state: 'hidden' });

  const bearer = gw.token('host1', 'host', room);
  const info = await waitFor(
    async () => {
      const [st, r] = await gw.roomInfo(room, bearer);
      return st === 200 && r.wecom && r.wecom.added === 1 && r.wecom.shown >= 3 ? r : null;
    },
    { timeout: 10000, what: 'wecom shown 3, added 1 in GET /api/rooms' },
  );
  assert.equal(info.wecom.clicked, 1);
  await waitText(host, '#funnel [data-key="add_rate"]', 'Add rate:');
  await waitText(host, '#funnel [data-key="added"] .step-value', '1');
});
