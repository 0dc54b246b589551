// The SDK with the room's features: flash-sale orders (with a retried req), lucky bags,
// WeCom prompts, the end of the live. The sale and WeCom tests are skipped while the
// gateway answers their host command with an error.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack, uniqueRoom, sleep } = require('../lib/procs');
const { openClient } = require('../lib/sdk');
const { probe } = require('../lib/features');

let stack;
const has = {};
const clients = [];

before(async () => {
  stack = await startStack();
  for (const kind of ['sale_start', 'wecom_push']) has[kind] = await probe(stack.gw, kind);
});

after(async () => {
  clients.forEach((c) => c.close());
  await stack.stop();
});

async function join(room, uid, role = 'viewer') {
  const c = await openClient(stack.gw.wsUrl, room, stack.gw.token(uid, role, room));
  clients.push(c);
  return c;
}

test('orders: two reservations, then sold out; a repeated req gets its first answer', async (t) => {
  if (!has.sale_start.ok) return t.skip(has.sale_start.reason);
  const room = uniqueRoom();
  const host = await join(room, 'host', 'host');
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((u) => join(room, u)));
  await host.saleStart({
    sale: 's1',
    sku: 'tea',
    stock: 2,
    limit: 1,
    price: 8800,
    duration: 60,
    pay_window: 60,
  });
  await a.waitMsg((m) => m.t === 'sale' && m.sale === 's1', 'sale');
  assert.equal(a.room.sales.s1.left, 2);

  const ra = await a.order('s1', 1);
  assert.equal(ra.ok, true, JSON.stringify(ra));
  assert.ok(ra.order && ra.pay_by > Date.now());
  const again = await a.order('s1', 1, { req: ra.req });
  assert.equal(again.order, ra.order, 'the same req, the same order');
  const rb = await b.order('s1', 1);
  assert.equal(rb.ok, true, JSON.stringify(rb));
  const rc = await c.order('s1', 1);
  assert.equal(rc.ok, false);
  assert.equal(rc.code, 'sold_out');
  await c.waitMsg((m) => m.t === 'sale' && m.state === 'sold_out', 'sale sold_out');
  assert.equal(c.room.sales.s1.left, 0);
  await host.saleStop('s1');
  await c.waitMsg((m) => m.t === 'sale' && m.state === 'ended', 'sale ended');
  assert.equal(c.room.sales.s1.state, 'ended');
});

test('lucky bag: join, draw, the winner hears you_won', async () => {
  const room = uniqueRoom();
  const host = await join(room, 'host', 'host');
  const v = await join(room, 'lucky');
  const won = [];
  v.on('you_won', (m) => won.push(m));
  await host.bagStart({ bag: 'b1', prize: 'Tea', keyword: 'tea', winners: 1, duration: 60, min_watch: 0 });
  await v.waitMsg((m) => m.t === 'bag' && m.state === 'open', 'open bag');
  const reply = await v.joinBag('b1');
  assert.equal(reply.joined, true);
  await host.bagDraw('b1');
  await v.waitMsg((m) => m.t === 'bag' && m.state === 'drawn', 'drawn bag');
  await v.waitMsg((m) => m.t === 'bag' && m.you_won === true, 'you_won');
  assert.equal(won.length >= 1, true);
  assert.deepEqual(v.room.bag.winners, ['lucky']);
});

test('WeCom: a push reaches the viewer, who reports shown and added', async (t) => {
  if (!has.wecom_push.ok) return t.skip(has.wecom_push.reason);
  const room = uniqueRoom();
  const host = await join(room, 'host', 'host');
  const v = await join(room, 'fan');
  await host.wecomPush({ title: 'Add us', hook: 'A coupon', link: 'https://example.invalid/c?state=r' });
  const m = await v.waitMsg((x) => x.t === 'wecom', 'wecom prompt');
  assert.equal(m.title, 'Add us');
  assert.equal(m.seq, undefined, 'targeted: no room seq');
  assert.equal(v.wecomAction(m.prompt, 'shown'), true);
  assert.equal(v.wecomAction(m.prompt, 'added'), true);
});

test('room_close: every connection is told, closes with 4100 and does not redial', async () => {
  const room = uniqueRoom();
  const host = await join(room, 'host', 'host');
  const v = await join(room, 'fan');
  const ended = [];
  for (const c of [host, v]) c.on('ended', (e) => ended.push(e));
  await host.roomClose();
  for (const c of [host, v]) {
    const m = await c.waitMsg((x) => x.t === 'notice' && x.code === 'room_closed', 'room_closed');
    assert.equal(m.seq, undefined, 'targeted: no room seq');
    await c.waitState('closed');
    assert.equal(c.states.at(-1).code, 4100);
  }
  assert.deepEqual(
    ended.map((e) => e.code),
    [4100, 4100],
  );
  await sleep(1500); // a client that redialled would have done so by now
  assert.deepEqual([host.stats.dials, v.stats.dials], [1, 1]);
});
