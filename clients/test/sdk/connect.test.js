// The SDK against a real livegw: welcome, room state, comments, likes, pings, wx sockets.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack, uniqueRoom, sleep } = require('../lib/procs');
const { WebSocket, openClient, makeClient } = require('../lib/sdk');
const { fakeWx } = require('../lib/wx');

let stack;
const clients = [];

before(async () => {
  stack = await startStack();
});

after(async () => {
  clients.forEach((c) => c.close());
  await stack.stop();
});

async function join(room, uid, role = 'viewer', opts = {}) {
  const c = await openClient(stack.gw.wsUrl, room, stack.gw.token(uid, role, room), opts);
  clients.push(c);
  return c;
}

test('connects, goes connecting -> open, and keeps the room state from welcome', async () => {
  const room = uniqueRoom();
  const v = await join(room, 'ann', 'viewer', { nick: 'Ann' });
  assert.deepEqual(
    v.states.map((s) => s.state),
    ['connecting', 'open'],
  );
  assert.equal(v.seen[0].t, 'welcome');
  assert.equal(v.room.uid, 'ann');
  assert.equal(v.room.role, 'viewer');
  assert.equal(v.room.online, 1);
  assert.equal(v.room.card, null);
  assert.equal(v.lastSeq, v.seen[0].seq);
  assert.ok(v.isOpen());
});

test('comments reach every viewer in the room, with nick and seq', async () => {
  const room = uniqueRoom();
  const a = await join(room, 'ann', 'viewer', { nick: 'Ann' });
  const b = await join(room, 'bob');
  const got = [];
  b.on('comment', (m) => got.push(m));
  assert.equal(a.comment('hello from Ann'), true);
  const seenByB = await b.waitMsg((m) => m.t === 'comment', 'comment');
  const seenByA = await a.waitMsg((m) => m.t === 'comment', 'own comment');
  assert.equal(seenByB.text, 'hello from Ann');
  assert.equal(seenByB.nick, 'Ann');
  assert.equal(seenByB.uid, 'ann');
  assert.equal(seenByA.id, seenByB.id);
  assert.equal(got.length, 1);
  assert.equal(b.lastSeq, seenByB.seq);
});

test('likes are folded into the room total; online counts viewers', async () => {
  const room = uniqueRoom();
  const a = await join(room, 'ann');
  const b = await join(room, 'bob');
  await a.waitMsg((m) => m.t === 'online' && m.count === 2, 'online 2');
  a.like(3);
  b.like(4);
  await a.waitMsg((m) => m.t === 'likes' && m.total === 7, 'likes 7');
  assert.equal(a.room.likes, 7);
  assert.equal(a.room.online, 2);
});

test('sends app-level pings while open and gets pongs', async () => {
  const room = uniqueRoom();
  const v = await join(room, 'pinger', 'viewer', { pingMs: 100 });
  await v.waitMsg((m) => m.t === 'pong', 'pong');
  await sleep(350);
  const pings = v.sent.filter((m) => m.t === 'ping').length;
  assert.ok(pings >= 3, `pings sent: ${pings}`);
  assert.ok(v.of('pong').length >= 2);
});

test('uses wx.connectSocket when the mini-program API is there', async () => {
  const room = uniqueRoom();
  const wx = fakeWx(WebSocket);
  const c = makeClient(stack.gw.wsUrl, room, stack.gw.token('mini', 'viewer', room), { WebSocket: null, wx });
  clients.push(c);
  c.connect();
  await c.waitState('open');
  assert.equal(wx.opened.length, 1);
  assert.match(wx.opened[0], /\/ws\?room=.*&token=/);
  c.comment('from a mini-program');
  const m = await c.waitMsg((x) => x.t === 'comment', 'own comment over wx');
  assert.equal(m.text, 'from a mini-program');
  assert.ok(wx.sentCount() >= 1);
});

test('a handshake the gateway refuses (bad token) is retried with growing delays', async () => {
  const room = uniqueRoom();
  const c = makeClient(stack.gw.wsUrl, room, 'not.a.token', { backoffMinMs: 20, backoffMaxMs: 200 });
  clients.push(c);
  c.connect();
  await c.waitState('reconnecting', 4);
  const delays = c.states.filter((s) => s.state === 'reconnecting').map((s) => s.delayMs);
  // Full backoff doubles each time, with jitter in the upper half of the window.
  assert.ok(delays[0] >= 20 && delays[0] <= 40, `delays ${delays}`);
  assert.ok(delays[3] >= 100 && delays[3] <= 200, `delays ${delays}`);
  assert.equal(c.room.uid, null);
  c.close();
  assert.equal(c.state, 'closed');
});
