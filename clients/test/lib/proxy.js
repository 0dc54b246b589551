// A TCP proxy on 127.0.0.1 in front of the gateway, so a test can cut or stall a
// client's network without touching the gateway.
'use strict';

const net = require('node:net');

class Proxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.pairs = new Set();
    this.stalled = false; // swallow bytes both ways
    this.refusing = false; // close new connections at once
  }

  async start() {
    this.server = net.createServer((client) => this._pair(client));
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = this.server.address().port;
    return this;
  }

  _pair(client) {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port: this.targetPort });
    const pair = { client, upstream };
    this.pairs.add(pair);
    // While stalled, the client's bytes are swallowed: the server never sees them.
    client.on('data', (d) => {
      if (!this.stalled) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!this.stalled) client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }

  /* Drops every connection at once (the client sees an abnormal close, 1006). */
  cutAll() {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  async stop() {
    this.cutAll();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

module.exports = { Proxy };
