// SDK clients for the tests: LiveGW.Client over the `ws` package, recording what it sees.
'use strict';

const WebSocket = require('ws');
const LiveGW = require('../../web/livegw.js');
const { waitFor } = require('./procs');

/* A `ws` WebSocket that also records every text it sends (tests read `sent`). */
function recordingWebSocket(sent) {
  return class RecordingWebSocket extends WebSocket {
    send(text, ...rest) {
      sent.push(JSON.parse(text));
      return super.send(text, ...rest);
    }
  };
}

/**
 * A connected-to-be client: `c.seen` lists every message event in order, `c.states`
 * every state change, `c.sent` every message written. Options go to LiveGW.Client.
 */
function makeClient(url, room, token, opts = {}) {
  const sent = [];
  const c = new LiveGW.Client({
    url,
    room,
    token,
    WebSocket: recordingWebSocket(sent),
    ...opts,
  });
  c.sent = sent;
  c.seen = [];
  c.states = [];
  c.on('message', (m) => c.seen.push(m));
  c.on('state', (s) => c.states.push(s));
  c.of = (t) => c.seen.filter((m) => m.t === t);
  c.waitMsg = (pred, what = 'message', timeout = 10000) =>
    waitFor(() => c.seen.find(pred), { timeout, what: `${what} at ${c.roomId}` });
  c.waitState = (state, count = 1, timeout = 15000) =>
    waitFor(() => c.states.filter((s) => s.state === state).length >= count, {
      timeout,
      what: `state ${state} x${count} (states: ${c.states.map((s) => s.state).join(',')})`,
    });
  return c;
}

/* Connects and waits for the welcome. */
async function openClient(url, room, token, opts = {}) {
  const c = makeClient(url, room, token, opts);
  c.connect();
  await c.waitState('open');
  return c;
}

module.exports = { LiveGW, WebSocket, makeClient, openClient, recordingWebSocket };
