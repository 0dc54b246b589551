// The real processes the client tests run against: a private redis-server and livegw,
// each on a free port of 127.0.0.1, stopped by the test that started them.
'use strict';

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..');
const SECRET = 'clients-test-secret-0123456789';
const SANITIZER_MARKERS = ['ERROR: AddressSanitizer', 'runtime error:', 'WARNING: ThreadSanitizer'];

/* The gateway binary: $LIVEGW_BIN (ctest sets it), else the release build. */
function livegwBin() {
  const bin = process.env.LIVEGW_BIN || path.join(REPO, 'build', 'release', 'gateway', 'livegw');
  if (!fs.existsSync(bin)) {
    throw new Error(`livegw binary not found at ${bin}: run deploy/build.sh release or set LIVEGW_BIN`);
  }
  return bin;
}

/* A port the kernel just handed out for 127.0.0.1 (and took back). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/* Polls fn() until it returns a truthy value (returned) or the timeout passes. */
async function waitFor(fn, { timeout = 10000, interval = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(interval);
  }
}

/* Whether something accepts TCP connections on 127.0.0.1:port. */
function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/* Waits for a child to exit, up to ms; returns whether it did. */
function exited(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

class Redis {
  async start() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'livegw-clients-redis-'));
    this.port = await freePort();
    this.proc = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
      ],
      { stdio: 'ignore' },
    );
    this.proc.once('error', () => {}); // reported by the wait below
    await waitFor(() => canConnect(this.port), { timeout: 10000, what: 'redis-server' });
    return this;
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      this.proc.kill('SIGTERM');
      if (!(await exited(this.proc, 5000))) this.proc.kill('SIGKILL');
    }
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/* One livegw process. start() picks a free port the first time; a restart keeps it. */
class Gateway {
  constructor({ redis = null, staticDir = null, args = [] } = {}) {
    this.bin = livegwBin();
    this.redis = redis;
    this.staticDir = staticDir;
    this.args = args;
    this.port = null;
    this.proc = null;
    this.log = '';
  }

  get origin() {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  command() {
    const cmd = [
      '--listen',
      `127.0.0.1:${this.port}`,
      '--secret',
      SECRET,
      '--threads',
      '1',
      '--tick-ms',
      '20',
    ];
    if (this.redis) cmd.push('--redis', `127.0.0.1:${this.redis.port}`);
    if (this.staticDir) cmd.push('--static-dir', this.staticDir);
    return cmd.concat(this.args);
  }

  async start() {
    if (this.port === null) this.port = await freePort();
    this.proc = spawn(this.bin, this.command(), { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk) => {
      this.log += chunk.toString();
    };
    this.proc.stdout.on('data', keep);
    this.proc.stderr.on('data', keep);
    const proc = this.proc;
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`livegw exited at start:\n${this.log.slice(-2000)}`);
        try {
          const r = await fetch(`${this.origin}/healthz`);
          return r.status === 200;
        } catch (e) {
          return false;
        }
      },
      { timeout: 15000, what: 'livegw /healthz' },
    );
    return this;
  }

  /* SIGTERM (drain: viewers get close 1001) and wait; SIGKILL after 10 s. */
  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    if (!(await exited(this.proc, 10000))) {
      this.proc.kill('SIGKILL');
      await exited(this.proc, 5000);
    }
  }

  /* SIGKILL: the connections just drop, as in a crash. */
  async kill() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGKILL');
    await exited(this.proc, 5000);
  }

  sanitizerReport() {
    const i = SANITIZER_MARKERS.map((m) => this.log.indexOf(m)).find((x) => x >= 0);
    return i === undefined ? null : this.log.slice(Math.max(0, i - 200), i + 3000);
  }

  /* A token minted by the gateway's own `livegw token` command. */
  token(uid, role = 'viewer', room = '*', ttl = 3600) {
    const out = execFileSync(this.bin, [
      'token',
      '--secret',
      SECRET,
      '--uid',
      uid,
      '--role',
      role,
      '--room',
      room,
      '--ttl',
      String(ttl),
    ]);
    return out.toString().trim();
  }

  /* GET /api/rooms/<room> with a bearer token; returns [status, parsed body or null]. */
  async roomInfo(room, bearer) {
    const r = await fetch(`${this.origin}/api/rooms/${room}`, {
      headers: { Authorization: `Bearer ${bearer}` },
    });
    const text = await r.text();
    return [r.status, text ? JSON.parse(text) : null];
  }
}

/* Starts a private redis-server and a gateway that uses it; stop() stops both. */
async function startStack(opts = {}) {
  const redis = await new Redis().start();
  const gw = new Gateway({ redis, ...opts });
  try {
    await gw.start();
  } catch (e) {
    await redis.stop();
    throw e;
  }
  return {
    redis,
    gw,
    async stop() {
      await gw.stop();
      await redis.stop();
      const report = gw.sanitizerReport();
      if (report) throw new Error(`sanitizer report in livegw's output:\n${report}`);
    },
  };
}

let roomCounter = 0;

/* A room id no other test uses. */
function uniqueRoom(prefix = 'r') {
  roomCounter += 1;
  return `${prefix}-${process.pid}-${roomCounter}-${Date.now() % 100000}`;
}

module.exports = { REPO, SECRET, Gateway, Redis, startStack, freePort, sleep, waitFor, uniqueRoom };
