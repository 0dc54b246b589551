// Feature detection: does this gateway run flash sales, lucky bags, WeCom prompts yet?
// A host in a private room sends the command; `ack` means yes, `error` means not yet.
'use strict';

const { openClient } = require('./sdk');
const { uniqueRoom } = require('./procs');

const PROBES = {
  sale_start: (c) =>
    c.saleStart({ sale: 'probe', sku: 'probe', stock: 1, limit: 1, price: 1, duration: 60, pay_window: 60 }),
  bag_start: (c) =>
    c.bagStart({ bag: 'probe', prize: 'probe', keyword: 'probe', winners: 1, duration: 60, min_watch: 0 }),
  wecom_push: (c) =>
    c.wecomPush({ title: 'probe', hook: 'probe', link: 'https://example.invalid/probe?state=probe' }),
};

/* Resolves to {ok: true} or {ok: false, reason} for the host command `kind`. */
async function probe(gw, kind) {
  const room = uniqueRoom('probe');
  const host = await openClient(gw.wsUrl, room, gw.token('prober', 'host', room));
  try {
    await PROBES[kind](host);
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `pending gateway feature: ${kind} answered ${e.code} (${e.message})` };
  } finally {
    host.close();
  }
}

module.exports = { probe };
