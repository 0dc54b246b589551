// What the real gateway does not do on demand, from a scripted WebSocket server: batch
// frames (JSON arrays), replayed duplicates, a room closed (4100), too slow (4009).
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { WebSocketServer } = require('ws');
const { makeClient } = require('../lib/sdk');
const { waitFor } = require('../lib/procs');

const servers = [];
const clients = [];

after(async () => {
  clients.forEach((c) => c.close());
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/* A server that runs script(ws, url, index) for each connection it accepts. */
async function scripted(script) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const urls = [];
  wss.on('connection', (ws, req) => {
    urls.push(req.url);
    script(ws, req.url, urls.length - 1);
  });
  servers.push(wss);
  return { url: `ws://127.0.0.1:${wss.address().port}/ws`, urls };
}

function welcome(seq, extra = {}) {
  return {
    t: 'welcome',
    uid: 'u1',
    room: 'r',
    role: 'viewer',
    seq,
    online: 1,
    likes: 0,
    card: null,
    sales: [],
    bag: null,
    ...extra,
  };
}

function client(url, opts = {}) {
  const c = makeClient(url, 'r', 'tok', { backoffMinMs: 20, backoffMaxMs: 100, soonMs: 20, ...opts });
  clients.push(c);
  c.connect();
  return c;
}

test('accepts a batch (JSON array) and back-to-back frames alike, in order', async () => {
  const srv = await scripted((ws) => {
    ws.send(JSON.stringify(welcome(10)));
    ws.send(
      JSON.stringify([
        { t: 'comment', seq: 11, id: '1', uid: 'a', nick: 'a', text: 'one', ts: 1 },
        { t: 'likes', total: 5 },
        { t: 'comment', seq: 12, id: '2', uid: 'b', nick: 'b', text: 'two', ts: 2 },
      ]),
    );
    ws.send(JSON.stringify({ t: 'comment', seq: 13, id: '3', uid: 'c', nick: 'c', text: 'three', ts: 3 }));
    ws.send(JSON.stringify([{ t: 'online', count: 9 }]));
  });
  const c = client(srv.url);
  await waitFor(() => c.room.online === 9, { what: 'online 9' });
  assert.deepEqual(
    c.of('comment').map((m) => m.text),
    ['one', 'two', 'three'],
  );
  assert.equal(c.room.likes, 5);
  assert.equal(c.lastSeq, 13);
});

test('drops messages whose seq it has already seen', async () => {
  const srv = await scripted((ws) => {
    ws.send(JSON.stringify(welcome(3)));
    ws.send(JSON.stringify({ t: 'notice', seq: 4, text: 'a' }));
    ws.send(
      JSON.stringify([
        { t: 'notice', seq: 4, text: 'a' },
        { t: 'notice', seq: 5, text: 'b' },
      ]),
    );
    ws.send(JSON.stringify({ t: 'notice', seq: 3, text: 'old' }));
    ws.send(JSON.stringify({ t: 'notice', seq: 6, text: 'c' }));
  });
  const c = client(srv.url);
  await waitFor(() => c.lastSeq === 6, { what: 'seq 6' });
  assert.deepEqual(
    c.of('notice').map((m) => m.text),
    ['a', 'b', 'c'],
  );
  assert.equal(c.stats.duplicates, 2);
});

test('resumes with since after 4009 and takes the replay; a lower welcome seq resets', async () => {
  const srv = await scripted((ws, url, n) => {
    if (n === 0) {
      ws.send(JSON.stringify(welcome(20)));
      ws.send(JSON.stringify({ t: 'notice', seq: 21, text: 'live' }));
      setTimeout(() => ws.close(4009, 'too slow'), 30);
    } else if (n === 1) {
      // The replay after the welcome: 22 and 23 are new, 21 was seen.
      ws.send(JSON.stringify([welcome(23), { t: 'notice', seq: 21, text: 'live' }]));
      ws.send(JSON.stringify({ t: 'notice', seq: 22, text: 'missed' }));
      ws.send(
        JSON.stringify({
          t: 'card',
          seq: 23,
          sku: 's',
          title: 'T',
          price: 2,
          live_price: 1,
          image: 'i',
          path: 'p',
        }),
      );
      setTimeout(() => ws.terminate(), 30);
    } else {
      ws.send(JSON.stringify(welcome(1))); // a restarted room
      ws.send(JSON.stringify({ t: 'notice', seq: 2, text: 'new life' }));
    }
  });
  const c = client(srv.url);
  await waitFor(() => c.of('notice').some((m) => m.text === 'new life'), { what: 'third session' });
  assert.match(srv.urls[0], /^\/ws\?room=r&token=tok$/);
  assert.match(srv.urls[1], /&since=21$/);
  assert.match(srv.urls[2], /&since=23$/);
  assert.deepEqual(
    c.of('notice').map((m) => m.text),
    ['live', 'missed', 'new life'],
  );
  assert.equal(c.of('card').length, 1); // and the third welcome (card: null) is the truth
  assert.equal(c.room.card, null);
  assert.equal(c.stats.resets, 1);
  const closes = c.states.filter((s) => s.state === 'reconnecting').map((s) => s.code);
  assert.deepEqual(closes, [4009, 1006]);
});

test('a closed room (4100) stops the client; pending orders end as closed', async () => {
  const srv = await scripted((ws) => {
    ws.send(JSON.stringify(welcome(0)));
    ws.on('message', () => ws.close(4100, 'room closed'));
  });
  const c = client(srv.url);
  await c.waitState('open');
  const r = await c.order('s1', 1);
  assert.equal(r.ok, false);
  assert.equal(r.code, 'closed');
  assert.equal(c.state, 'closed');
  assert.equal(c.states.at(-1).code, 4100);
  assert.equal(srv.urls.length, 1);
});

test('a silent server is dropped after deadMs and redialled', async () => {
  const srv = await scripted((ws, url, n) => {
    ws.send(JSON.stringify(welcome(0)));
    // Never answers pings.
  });
  const c = client(srv.url, { pingMs: 30, deadMs: 100 });
  await c.waitState('open', 2);
  assert.equal(c.states.find((s) => s.state === 'reconnecting').code, 1006);
  assert.ok(srv.urls.length >= 2);
});

test('retries of an order reuse its req; the first answer settles it', async () => {
  const seenReqs = [];
  const srv = await scripted((ws, url, n) => {
    ws.send(JSON.stringify(welcome(0)));
    ws.on('message', (raw) => {
      const m = JSON.parse(raw);
      if (m.t !== 'order') return;
      seenReqs.push(m.req);
      if (n === 0)
        ws.terminate(); // lost before the answer
      else
        ws.send(
          JSON.stringify({
            t: 'order',
            req: m.req,
            ok: true,
            order: 'o1',
            sale: m.sale,
            qty: m.qty,
            pay_by: 99,
          }),
        );
    });
  });
  const c = client(srv.url);
  await c.waitState('open');
  const r = await c.order('s1', 2);
  assert.equal(seenReqs.length, 2);
  assert.equal(seenReqs[0], seenReqs[1]);
  assert.equal(r.ok, true);
  assert.equal(r.order, 'o1');
  assert.ok(r.req.length <= 64);
});

test('a lucky bag: join reply, count, and a win told before the room-wide draw', async () => {
  const srv = await scripted((ws) => {
    const bag = { bag: 'b1', state: 'open', prize: 'Tea', keyword: 'tea', winners: 1, ends_at: 9e12 };
    ws.send(JSON.stringify(welcome(5, { bag })));
    ws.on('message', (raw) => {
      const m = JSON.parse(raw);
      if (m.t !== 'bag_join') return;
      ws.send(JSON.stringify({ t: 'bag', ...bag, joined: true }));
      ws.send(JSON.stringify({ t: 'bag_count', bag: 'b1', count: 7 }));
      ws.send(
        JSON.stringify({ t: 'bag', bag: 'b1', state: 'drawn', prize: 'Tea', winners: ['u1'], you_won: true }),
      );
      ws.send(JSON.stringify({ t: 'bag', seq: 6, ...bag, state: 'drawn', winners: ['u1'] }));
    });
  });
  const c = client(srv.url);
  const wins = [];
  c.on('you_won', (m) => wins.push(m));
  await c.waitState('open');
  assert.equal(c.room.bag.state, 'open');
  const reply = await c.joinBag('b1');
  assert.equal(reply.joined, true);
  await waitFor(() => c.lastSeq === 6, { what: 'drawn broadcast' });
  assert.equal(c.room.bag.state, 'drawn');
  assert.equal(c.room.bag.you_won, true, 'the win survives the broadcast that follows');
  assert.equal(c.room.bag.count, 7);
  assert.deepEqual(c.room.bag.winners, ['u1']);
  assert.equal(wins.length, 1);
});
