// In Chromium: the sensitive-word filter refusing a comment (its author is told why and
// nobody else sees it), and the host ending the live from the console: every page says
// the live has ended (close 4100) and none of them reconnects.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { waitText, screenshot } = require('../lib/browser');
const { startRoom, openPages } = require('../lib/room');
const { sleep } = require('../lib/procs');

let fx;
let dir;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'livegw-clients-words-'));
  const words = path.join(dir, 'words.txt');
  fs.writeFileSync(words, 'fakewatch\n');
  fx = await startRoom({ args: ['--words', words, '--words-action', 'refuse'] });
  await openPages(fx, 2);
});

after(async () => {
  if (fx) await fx.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function say(page, text) {
  await page.fill('#say-text', text);
  await page.click('#say-send');
}

test('a comment with a blocked word is refused with a clear message', async () => {
  const { host, viewers } = fx;
  await say(viewers[0], 'cheap FakeWatch here');
  await waitText(viewers[0], '#toast', 'Not sent: your comment has a word that is not allowed here');
  await say(viewers[0], 'hello there');
  for (const p of [host, viewers[1]]) {
    await waitText(p, '#comments', 'hello there');
    assert.doesNotMatch(await p.textContent('#comments'), /fakewatch/i);
  }
});

test('End live: every page says the live has ended and none reconnects', async () => {
  const { host, viewers } = fx;
  host.once('dialog', (d) => d.dismiss()); // asked first; nothing happens on cancel
  await host.click('#end-live');
  await sleep(300);
  assert.equal(await viewers[0].getAttribute('#conn', 'data-state'), 'open');

  host.once('dialog', (d) => d.accept());
  await host.click('#end-live');
  for (const p of [host, ...viewers]) await waitText(p, '#conn', 'The live has ended');
  for (const v of viewers) {
    await v.waitForSelector('#ended', { state: 'visible' });
    assert.equal(await v.isHidden('#say'), true);
  }
  assert.equal(await host.isDisabled('#end-live'), true);
  await sleep(1500); // a client that redialled would have done so by now
  for (const p of [host, ...viewers]) {
    const seen = await p.evaluate(() => window.seenStates);
    assert.deepEqual(seen, ['closed'], `states: ${seen}`);
    assert.equal(await p.evaluate(() => (window.liveClient || window.consoleClient).stats.dials), 1);
  }
  await screenshot(viewers[0], 'live-ended.png');
  for (const p of [host, ...viewers]) assert.deepEqual(p.errors, []);
});
