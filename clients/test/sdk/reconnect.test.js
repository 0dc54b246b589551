// The SDK's reconnects against a real livegw: a cut network (through a proxy), a drain
// (1001), a restart, abuse (4008); resume with since and safe order retries.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack, uniqueRoom, sleep, waitFor } = require('../lib/procs');
const { openClient } = require('../lib/sdk');
const { Proxy } = require('../lib/proxy');

let stack;
let proxy;
const clients = [];

before(async () => {
  stack = await startStack();
  proxy = await new Proxy(stack.gw.port).start();
});

after(async () => {
  clients.forEach((c) => c.close());
  await proxy.stop();
  await stack.stop();
});

const FAST = { backoffMinMs: 50, backoffMaxMs: 400, soonMs: 100 };

async function join(room, uid, role = 'viewer', viaProxy = false, opts = {}) {
  const url = viaProxy ? `ws://127.0.0.1:${proxy.port}/ws` : stack.gw.wsUrl;
  const c = await openClient(url, room, stack.gw.token(uid, role, room), { ...FAST, ...opts });
  clients.push(c);
  return c;
}

test('after a network cut it reconnects with since and gets what it missed, once', async () => {
  const room = uniqueRoom();
  const host = await join(room, 'host', 'host');
  const v = await join(room, 'vic', 'viewer', true);
  await host.notice('first');
  await v.waitMsg((m) => m.t === 'notice' && m.text === 'first', 'first notice');
  const sinceBefore = v.lastSeq;

  proxy.stalled = true; // the viewer hears nothing more...
  await host.notice('missed 1');
  await host.card({
    sku: 's1',
    title: 'Tea',
    price: 1000,
    live_price: 800,
    image: 'https://x/i.png',
    path: '/p/s1',
  });
  await host.notice('missed 2');
  proxy.cutAll(); // ...then its connection drops
  proxy.stalled = false;

  await v.waitState('reconnecting');
  await v.waitState('open', 2);
  await v.waitMsg((m) => m.t === 'notice' && m.text === 'missed 2', 'replayed notice');
  const reconnecting = v.states.find((s) => s.state === 'reconnecting');
  assert.equal(reconnecting.code, 1006);
  const redial = v.states.filter((s) => s.state === 'connecting')[1];
  assert.equal(redial.since, sinceBefore);
  assert.equal(v.states.filter((s) => s.state === 'open')[1].resumed, true);

  const notices = v.of('notice').map((m) => m.text);
  assert.deepEqual(notices, ['first', 'missed 1', 'missed 2']);
  assert.equal(v.room.card.sku, 's1');
  const seqs = v.seen.filter((m) => m.t !== 'welcome' && m.seq !== undefined).map((m) => m.seq);
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
    'seqs in order',
  );
  assert.equal(new Set(seqs).size, seqs.length, 'no seq twice');
});

test('an order in flight when the network drops is sent again with the same req', async () => {
  const room = uniqueRoom();
  const v = await join(room, 'buyer', 'viewer', true);
  proxy.stalled = true;
  const reply = v.order('sale-x', 1);
  await waitFor(() => v.sent.some((m) => m.t === 'order'), { what: 'order written' });
  proxy.cutAll();
  proxy.stalled = false;
  const r = await reply;
  const orders = v.sent.filter((m) => m.t === 'order');
  assert.equal(orders.length, 2, 'sent once, then once more after the reconnect');
  assert.equal(orders[0].req, orders[1].req);
  assert.equal(r.req, orders[0].req);
  assert.equal(typeof r.ok, 'boolean');
  if (!r.ok) assert.ok(r.code, 'a refused order says why');
});

test('an order placed while offline waits for the connection', async () => {
  const room = uniqueRoom();
  const v = await join(room, 'patient', 'viewer', true);
  proxy.cutAll();
  await v.waitState('reconnecting');
  const reply = v.order('sale-y', 2);
  const r = await reply;
  assert.equal(v.sent.filter((m) => m.t === 'order').length, 1);
  assert.equal(r.req, v.sent.find((m) => m.t === 'order').req);
});

test('a host command in flight when the socket drops rejects as disconnected', async () => {
  const room = uniqueRoom();
  const host = await join(room, 'host2', 'host', true);
  proxy.stalled = true;
  const p = host.notice('lost?');
  proxy.cutAll();
  proxy.stalled = false;
  await assert.rejects(p, (e) => e.code === 'disconnected');
  await host.waitState('open', 2);
  await assert.doesNotReject(host.notice('after the reconnect'));
});

test('abuse (close 4008) stops the client for good', async () => {
  const room = uniqueRoom();
  const v = await join(room, 'spammer');
  // One bad message at a time, each answered with an error, until the gateway has
  // had enough. (A burst would leave unread bytes at the server when it closes, and
  // its TCP reset can destroy the close frame: the client would see 1006.)
  for (let i = 1; i <= 100 && v.state === 'open'; i++) {
    v.send({ t: 'no_such_type' });
    await waitFor(() => v.of('error').length >= i || v.state !== 'open', { what: `error ${i}` });
  }
  await v.waitState('closed');
  const closed = v.states.find((s) => s.state === 'closed');
  assert.equal(closed.code, 4008);
  assert.equal(closed.willRetry, false);
  await sleep(300);
  assert.equal(v.states.filter((s) => s.state === 'connecting').length, 1, 'no redial');
});

test('a drain (1001) and a restart: reconnects soon, notices the new history, keeps going', async () => {
  const room = uniqueRoom();
  const host = await join(room, 'host3', 'host');
  const v = await join(room, 'stayer');
  await host.notice('before');
  await host.notice('before 2');
  await v.waitMsg((m) => m.text === 'before 2', 'notice before');
  const resets = [];
  v.on('reset', (r) => resets.push(r));

  await stack.gw.stop(); // SIGTERM: viewers get 1001
  await v.waitState('reconnecting');
  assert.equal(v.states.find((s) => s.state === 'reconnecting').code, 1001);
  await stack.gw.start(); // same port, empty rooms: seq starts again
  await v.waitState('open', 2);
  await host.waitState('open', 2);
  assert.equal(resets.length, 1, 'the room history restarted');
  await host.notice('after');
  const after = await v.waitMsg((m) => m.text === 'after', 'notice after restart');
  assert.ok(after.seq <= 2, `seq restarted: ${after.seq}`);
});
