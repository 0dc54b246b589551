"""Integration test harness: a real livegw (and, when wanted, a real redis-server).

Every test file imports this module and is runnable alone:

    LIVEGW_BIN=build/gateway/livegw /usr/bin/python3 test/gateway/test_comments.py
    /usr/bin/python3 test/gateway/test_comments.py --livegw-bin build/gateway/livegw

What it gives the tests:
- Gateway: starts the binary on a free port of 127.0.0.1 with --threads 2, waits for
  /healthz, mints tokens, speaks HTTP to it, stops it (SIGTERM, wait, then SIGKILL),
  and keeps its stderr in a file so a failure can show it. A gateway whose stderr
  holds a sanitizer report fails the test that was running.
- Redis: a private redis-server on a free port (no persistence), for tests that want one.
- Client: a real WebSocket client (Debian's python3-websockets) that collects every
  server message in order, flattening batches (a frame may be one object or an array).
- RawWS: a hand-made WebSocket client on a plain socket, for clients that must stop
  reading or send what a library will not (binary, invalid UTF-8, oversized frames).
- GatewayCase: a unittest.TestCase that owns one gateway for its class (GW_ARGS), runs
  async test bodies with a deadline, and closes every client a test opened.

Only the standard library and python3-websockets are used (run with /usr/bin/python3).
"""

import asyncio
import base64
import functools
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

import websockets
import websockets.exceptions

SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
    "WARNING: ThreadSanitizer",
)

SECRET = "itest-secret-0123456789"

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def _pop_bin_arg():
    """Takes --livegw-bin PATH (or --livegw-bin=PATH) out of sys.argv, so that
    unittest.main() does not see it."""
    argv = sys.argv
    for i, a in enumerate(argv):
        if a == "--livegw-bin" and i + 1 < len(argv):
            path = argv[i + 1]
            del argv[i:i + 2]
            return path
        if a.startswith("--livegw-bin="):
            del argv[i]
            return a.split("=", 1)[1]
    return None


def find_binary():
    path = _pop_bin_arg() or os.environ.get("LIVEGW_BIN")
    if path:
        return os.path.abspath(path)
    for cand in ("build/gateway/livegw",):
        p = os.path.join(REPO, cand)
        if os.access(p, os.X_OK):
            sys.stderr.write(f"harness: LIVEGW_BIN not set, testing {p}\n")
            return p
    raise SystemExit("livegw binary not found: set LIVEGW_BIN or pass --livegw-bin PATH")


BIN = find_binary()


def _sanitizer_of(path):
    """'address', 'thread' or '' for the sanitizer the binary was built with."""
    with open(path, "rb") as f:
        data = f.read()
    if b"__asan_init" in data:
        return "address"
    if b"__tsan_init" in data:
        return "thread"
    return ""


SANITIZER = _sanitizer_of(BIN)


def known_bug_under(sanitizer):
    """Marks a test expectedFailure when the binary is built with `sanitizer`: for a
    known gateway memory bug that only a sanitizer turns into a failure (the comment
    at the test names the bug). Elsewhere the test runs normally and must pass."""
    def deco(fn):
        return unittest.expectedFailure(fn) if SANITIZER == sanitizer else fn
    return deco


def free_port():
    """A port the kernel just handed out for 127.0.0.1 (and took back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mint_token(uid, role="viewer", room="*", ttl=3600, secret=SECRET, exp=None):
    """<uid>.<role>.<room>.<exp>.<hex HMAC-SHA256(secret, the first four fields)>"""
    if exp is None:
        exp = int(time.time()) + ttl
    body = f"{uid}.{role}.{room}.{exp}"
    sig = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{sig}"


def flatten(value):
    """A server frame is one JSON object or an array of them: yields the objects."""
    if isinstance(value, list):
        for v in value:
            yield from flatten(v)
    else:
        yield value


def ws_query(room=None, token=None, **extra):
    params = []
    if room is not None:
        params.append(("room", room))
    if token is not None:
        params.append(("token", token))
    for k, v in extra.items():
        if v is not None:
            params.append((k, str(v)))
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


# ---- processes ------------------------------------------------------------------------


class Gateway:
    """One livegw process on a free port of 127.0.0.1."""

    def __init__(self, args=(), secret=SECRET, threads=2, tick_ms=20, tls=None):
        self.args = list(args)
        self.secret = secret
        self.threads = threads
        self.tick_ms = tick_ms
        self.tls = tls  # (certfile, keyfile) or None
        self.port = None
        self.proc = None
        self.log_path = None
        self.ssl_ctx = None
        if tls:
            self.ssl_ctx = ssl.create_default_context(cafile=tls[0])

    # -- lifecycle --

    def command(self):
        cmd = [BIN, "--listen", f"127.0.0.1:{self.port}", "--secret", self.secret,
               "--threads", str(self.threads), "--tick-ms", str(self.tick_ms)]
        if self.tls:
            cmd += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        if "--redis" not in self.args:
            # Never the machine's own Redis: a port nobody listens on (orders are then
            # refused as unavailable), unless the test brings its private redis-server.
            cmd += ["--redis", f"127.0.0.1:{free_port()}"]
        return cmd + self.args

    def start(self, timeout=30):
        last = None
        for _attempt in range(3):
            self.port = free_port()
            fd, self.log_path = tempfile.mkstemp(prefix="livegw-itest-", suffix=".log")
            env = dict(os.environ)
            env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
            env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
            env.setdefault("TSAN_OPTIONS", "second_deadlock_stack=1")
            # A libc-internal false positive (see tsan.supp); kept even when the caller
            # set its own TSAN_OPTIONS.
            env["TSAN_OPTIONS"] += f":suppressions={os.path.join(HERE, 'tsan.supp')}"
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                         stdout=fd, stderr=fd, env=env)
            os.close(fd)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    st, _, _ = self.http("GET", "/healthz", timeout=1)
                    if st == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.05)
            last = self.log()
            self.kill()
            if "bind" not in last and "in use" not in last:
                break  # not a port race: do not retry
        raise RuntimeError(f"livegw did not come up: {self.command()}\n{last}")

    def stop(self, timeout=20):
        """SIGTERM, wait, then SIGKILL. Returns the exit status (negative: signal)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.kill()
        if self.log_path and os.path.exists(self.log_path):
            os.unlink(self.log_path)

    # -- stderr --

    def log(self):
        if not self.log_path:
            return ""
        with open(self.log_path, "r", encoding="utf-8", errors="replace") as f:
            return f.read()

    def tail(self, n=60):
        return "\n".join(self.log().splitlines()[-n:])

    def sanitizer_report(self):
        text = self.log()
        for marker in SANITIZER_MARKERS:
            i = text.find(marker)
            if i >= 0:
                return text[max(0, i - 200):i + 4000]
        return None

    # -- addresses and tokens --

    @property
    def scheme(self):
        return "wss" if self.tls else "ws"

    def ws_url(self, room=None, token=None, path="/ws", **extra):
        return f"{self.scheme}://127.0.0.1:{self.port}{path}?{ws_query(room, token, **extra)}"

    def token(self, uid, role="viewer", room="*", ttl=3600, exp=None):
        return mint_token(uid, role, room, ttl, self.secret, exp)

    def cli_token(self, uid, role, room, ttl=3600):
        out = subprocess.run([BIN, "token", "--secret", self.secret, "--uid", uid, "--role",
                              role, "--room", room, "--ttl", str(ttl)],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    # -- HTTP --

    def http(self, method, path, body=None, headers=None, bearer=None, timeout=10):
        """Returns (status, headers as a lower-cased dict, body bytes)."""
        h = dict(headers or {})
        if bearer is not None:
            h["Authorization"] = f"Bearer {bearer}"
        if self.tls:
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=self.ssl_ctx)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode()
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def http_json(self, method, path, body=None, bearer=None):
        st, _, data = self.http(method, path, body=body, bearer=bearer)
        return st, (json.loads(data) if data else None)

    def admin(self):
        return self.token("ops", "admin", "*")

    def room_info(self, room):
        st, info = self.http_json("GET", f"/api/rooms/{room}", bearer=self.admin())
        if st != 200:
            raise AssertionError(f"GET /api/rooms/{room} -> {st} {info}")
        return info

    def post_event(self, room, event, bearer=None):
        st, body = self.http_json("POST", f"/api/rooms/{room}/events", body=event,
                                  bearer=bearer or self.admin())
        return st, body

    def metrics(self):
        st, _, data = self.http("GET", "/metrics")
        if st != 200:
            raise AssertionError(f"/metrics -> {st}")
        out = {}
        for line in data.decode().splitlines():
            if not line or line.startswith("#"):
                continue
            name, _, value = line.rpartition(" ")
            out[name] = int(float(value))
        return out

    def metric(self, name):
        return self.metrics().get(name, 0)

    # -- raw handshakes --

    def handshake(self, query_or_path, headers=None, timeout=10):
        """Sends a WebSocket upgrade request; returns (status, headers, body). A 101
        answer is closed at once."""
        path = query_or_path if query_or_path.startswith("/") else "/ws?" + query_or_path
        raw = RawWS(self.port, path, headers=headers, ssl_ctx=self.ssl_ctx, timeout=timeout,
                    expect_upgrade=False)
        try:
            return raw.status, raw.headers, raw.body
        finally:
            raw.close()


class Redis:
    """A private redis-server on a free port, without persistence."""

    def __init__(self):
        self.port = None
        self.proc = None
        self.dir = None

    def start(self, timeout=10):
        exe = shutil.which("redis-server")
        if not exe:
            raise unittest.SkipTest("redis-server is not installed")
        self.dir = tempfile.mkdtemp(prefix="livegw-redis-")
        for _attempt in range(3):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", self.dir],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if self.command("PING") == "PONG":
                        return self
                except OSError:
                    pass
                time.sleep(0.05)
            self.stop()
        raise RuntimeError("redis-server did not come up")

    def command(self, *args):
        """One RESP command; returns a simple reply decoded (enough for tests)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            req = f"*{len(args)}\r\n".encode()
            for a in args:
                a = str(a).encode()
                req += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(req)
            return self._reply(s.makefile("rb"))

    def _reply(self, f):
        """One RESP reply: strings decoded, arrays as lists (recursively)."""
        line = f.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:].decode()
        if kind in (b"+", b"-"):
            return rest
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else f.read(n + 2)[:-2].decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply(f) for _ in range(n)]
        return line.decode()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


# ---- a hand-made WebSocket client ------------------------------------------------------


OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


class RawWS:
    """A blocking WebSocket client on a plain socket: masked frames made by hand.

    With rcvbuf set, the socket's receive buffer is made small before connecting, so a
    client that stops reading stops the server's writes soon."""

    def __init__(self, port, path, headers=None, ssl_ctx=None, timeout=10, rcvbuf=None,
                 expect_upgrade=True):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self._open(port, path, headers, ssl_ctx, timeout, rcvbuf, expect_upgrade)
        except BaseException:
            self.sock.close()
            raise

    def _open(self, port, path, headers, ssl_ctx, timeout, rcvbuf, expect_upgrade):
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        if ssl_ctx:
            self.sock = ssl_ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n")
        for k, v in (headers or {}).items():
            req += f"{k}: {v}\r\n"
        self.sock.sendall((req + "\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"no HTTP answer to the upgrade (got {self.buf!r})")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.body = b""
        if self.status == 101:
            accept = base64.b64encode(hashlib.sha1(
                (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
            if self.headers.get("sec-websocket-accept") != accept:
                raise ConnectionError("bad Sec-WebSocket-Accept")
        else:
            n = int(self.headers.get("content-length", "0"))
            while len(self.buf) < n:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.buf += chunk
            self.body, self.buf = self.buf[:n], self.buf[n:]
            if expect_upgrade:
                raise ConnectionError(f"upgrade refused: {self.status} {self.body!r}")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_frame(self, opcode, payload, fin=True, mask=True):
        if isinstance(payload, str):
            payload = payload.encode()
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        mbit = 0x80 if mask else 0
        if n < 126:
            hdr = struct.pack("!BB", b0, mbit | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, mbit | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, mbit | 127, n)
        if mask:
            key = os.urandom(4)
            payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
            hdr += key
        self.sock.sendall(hdr + payload)

    def send_json(self, obj):
        self.send_frame(OP_TEXT, json.dumps(obj, ensure_ascii=False).encode())

    def send_burst(self, objs):
        """Sends many JSON text frames with one sendall (they arrive together)."""
        out = []
        for obj in objs:
            payload = json.dumps(obj, ensure_ascii=False).encode()
            n = len(payload)
            if n < 126:
                hdr = struct.pack("!BB", 0x81, 0x80 | n)
            elif n < 65536:
                hdr = struct.pack("!BBH", 0x81, 0x80 | 126, n)
            else:
                hdr = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
            key = os.urandom(4)
            k = (key * (n // 4 + 1))[:n]
            out.append(hdr + key + bytes(a ^ b for a, b in zip(payload, k)))
        self.sock.sendall(b"".join(out))

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def recv_frame(self):
        """Returns (opcode, payload); raises EOFError at end of stream."""
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        if b1 & 0x80:
            raise AssertionError("the server sent a masked frame")
        self._need(off + n)
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0F, payload

    def read_until_close(self, timeout=10):
        """Reads frames until a close frame or the end of the stream. Returns
        (messages, close_code or None, eof_seen); messages are flattened JSON objects."""
        self.sock.settimeout(timeout)
        msgs, code = [], None
        try:
            while True:
                op, payload = self.recv_frame()
                if op == OP_TEXT:
                    msgs.extend(flatten(json.loads(payload)))
                elif op == OP_CLOSE:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    try:
                        self.send_frame(OP_CLOSE, payload[:2])
                    except OSError:
                        pass
                    return msgs, code, False
                elif op == OP_PING:
                    self.send_frame(OP_PONG, payload)
        except (EOFError, ConnectionResetError, BrokenPipeError):
            return msgs, code, True

    def read_messages(self, count, timeout=10):
        """Reads until `count` JSON objects arrived (a close frame is an error)."""
        self.sock.settimeout(timeout)
        msgs = []
        while len(msgs) < count:
            op, payload = self.recv_frame()
            if op == OP_TEXT:
                msgs.extend(flatten(json.loads(payload)))
            elif op == OP_CLOSE:
                raise AssertionError(f"closed {payload[:2].hex()} after {msgs}")
        return msgs


# ---- the library client -----------------------------------------------------------------


class Client:
    """A WebSocket connection whose reader task collects every server message."""

    def __init__(self, ws, name):
        self.ws = ws
        self.name = name
        self.msgs = []
        self.closed = asyncio.Event()
        self.close_code = None
        self.frames = 0
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self):
        try:
            async for raw in self.ws:
                self.frames += 1
                self.msgs.extend(flatten(json.loads(raw)))
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.closed.set()

    async def send(self, obj):
        await self.ws.send(obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False))

    def of(self, t):
        return [m for m in self.msgs if m.get("t") == t]

    def last(self, t):
        """The latest message of type t, or None."""
        for m in reversed(self.msgs):
            if m.get("t") == t:
                return m
        return None

    def online(self):
        """The latest online count this client knows (welcome, then online updates)."""
        m = self.last("online")
        return m["count"] if m else self.welcome["online"]

    def likes(self):
        """The latest likes total this client knows (welcome, then likes updates)."""
        m = self.last("likes")
        return m["total"] if m else self.welcome["likes"]

    def seqd(self):
        """The messages that carry a room seq, in arrival order."""
        return [m for m in self.msgs if "seq" in m and m.get("t") != "welcome"]

    @property
    def welcome(self):
        return self.msgs[0]

    async def wait_for(self, pred, timeout=10, what="condition"):
        """Polls pred(self) until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            v = pred(self)
            if v:
                return v
            if time.monotonic() > deadline:
                tail = self.msgs[-8:]
                raise AssertionError(f"{self.name}: timed out waiting for {what}; "
                                     f"{len(self.msgs)} messages, last {tail}, "
                                     f"close {self.close_code}")
            await asyncio.sleep(0.01)

    async def wait_msg(self, pred, timeout=10, what="message"):
        """Waits for a message matching pred(m); returns the first one."""
        def find(c):
            for m in c.msgs:
                if pred(m):
                    return m
            return None
        return await self.wait_for(find, timeout, what)

    async def wait_t(self, t, count=1, timeout=10):
        await self.wait_for(lambda c: len(c.of(t)) >= count, timeout, f"{count} x {t}")
        return self.of(t)

    async def wait_closed(self, timeout=10):
        try:
            await asyncio.wait_for(self.closed.wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.name}: not closed after {timeout}s; "
                                 f"last {self.msgs[-5:]}") from None
        return self.close_code

    async def close(self):
        try:
            await asyncio.wait_for(self.ws.close(), 5)
        except Exception:
            pass
        self.task.cancel()
        try:
            await self.task
        except BaseException:
            pass


# ---- the test case -----------------------------------------------------------------------


def async_test(timeout=60):
    """Runs an `async def test_...(self)` in its own event loop with a deadline."""
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(self):
            async def main():
                try:
                    await asyncio.wait_for(fn(self), timeout)
                finally:
                    await self.close_clients()
            asyncio.run(main())
        return wrapper
    return deco


class GatewayCase(unittest.TestCase):
    """One gateway per test class, started with GW_ARGS; clients per test."""

    GW_ARGS = []
    GW_TLS = None
    GW_TICK_MS = 20
    EXPECT_EXIT = 0
    # A sanitizer under which this class's gateway is known to die of a gateway bug
    # (its tests are then marked known_bug_under and check the report themselves).
    KNOWN_SANITIZER_BUG = None

    @classmethod
    def setUpClass(cls):
        cls.gw = Gateway(cls.GW_ARGS, tls=cls.GW_TLS, tick_ms=cls.GW_TICK_MS)
        cls.gw.start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.gw.stop()
        report = cls.gw.sanitizer_report()
        log = cls.gw.log()
        cls.gw.cleanup()
        if cls.KNOWN_SANITIZER_BUG and cls.KNOWN_SANITIZER_BUG == SANITIZER:
            return
        if report:
            raise AssertionError(f"sanitizer report in the gateway's stderr:\n{report}")
        if rc != cls.EXPECT_EXIT:
            raise AssertionError(f"livegw exited with {rc} after SIGTERM:\n{log[-4000:]}")

    def setUp(self):
        self._clients = []
        self._raws = []

    def tearDown(self):
        for r in self._raws:
            r.close()
        if self.KNOWN_SANITIZER_BUG and self.KNOWN_SANITIZER_BUG == SANITIZER:
            return
        self.assert_no_sanitizer_report()

    def assert_no_sanitizer_report(self):
        report = self.gw.sanitizer_report()
        if report:
            self.fail(f"sanitizer report in the gateway's stderr:\n{report}")

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            sys.stderr.write(f"\n---- livegw stderr (tail) for {self.id()} ----\n"
                             f"{self.gw.tail()}\n---- end ----\n")
        return out

    # -- clients --

    async def connect(self, room, uid=None, role="viewer", token=None, since=None, nick=None,
                      wait_welcome=True, gw=None, **extra):
        """Opens a WebSocket as uid (token minted for room unless given); waits for
        welcome and checks that it came first."""
        gw = gw or self.gw
        if token is None and uid is not None:
            token = gw.token(uid, role, room)
        url = gw.ws_url(room, token, since=since, nick=nick, **extra)
        ws = await websockets.connect(url, ssl=gw.ssl_ctx if gw.tls else None, max_size=None,
                                      max_queue=None, ping_interval=None, open_timeout=15,
                                      close_timeout=3, compression=None)
        c = Client(ws, f"{uid or 'guest'}@{room}")
        self._clients.append(c)
        if wait_welcome:
            await c.wait_for(lambda c: c.msgs, 10, "welcome")
            self.assertEqual(c.msgs[0].get("t"), "welcome", f"first message {c.msgs[0]}")
        return c

    async def close_clients(self):
        clients, self._clients = self._clients, []
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)

    def raw(self, room, uid, role="viewer", rcvbuf=None, gw=None, **extra):
        gw = gw or self.gw
        path = "/ws?" + ws_query(room, gw.token(uid, role, room), **extra)
        r = RawWS(gw.port, path, ssl_ctx=gw.ssl_ctx, rcvbuf=rcvbuf)
        self._raws.append(r)
        return r

    async def wait_until(self, pred, timeout=10, what="condition", interval=0.02):
        deadline = time.monotonic() + timeout
        while True:
            v = pred()
            if v:
                return v
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(interval)

    async def metric_at_least(self, name, value, timeout=10):
        def ok():
            return self.gw.metric(name) >= value
        await self.wait_until(ok, timeout, f"{name} >= {value} (now {self.gw.metric(name)})")

    def assert_consecutive(self, seqs, first=None):
        if seqs and first is not None:
            self.assertEqual(seqs[0], first, f"seqs {seqs[:10]}...")
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))) if seqs else [],
                         "room seqs are not consecutive")


def unique_room(prefix="r"):
    return f"{prefix}-{os.getpid()}-{time.monotonic_ns() % 10**9}"


class RedisGatewayCase(GatewayCase):
    """A GatewayCase whose gateway uses a private redis-server (cls.redis), up before
    the tests run."""

    @classmethod
    def setUpClass(cls):
        cls.redis = Redis().start()
        cls.GW_ARGS = cls.GW_ARGS + ["--redis", f"127.0.0.1:{cls.redis.port}"]
        try:
            super().setUpClass()
        except BaseException:
            cls.redis.stop()
            raise
        cls.wait_redis_up(cls.gw)

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.redis.stop()

    @staticmethod
    def wait_redis_up(gw, timeout=15):
        """Until /healthz says Redis is up (the order stores), and a little more for the
        workers' room-data connections and the bag loader."""
        deadline = time.monotonic() + timeout
        body = b""
        while time.monotonic() < deadline:
            st, _, body = gw.http("GET", "/healthz")
            if st == 200 and json.loads(body).get("redis") == "up":
                time.sleep(0.3)
                return
            time.sleep(0.05)
        raise AssertionError(f"redis never up: {body}")


def main():
    unittest.main(verbosity=2)
