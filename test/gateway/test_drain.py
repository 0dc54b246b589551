"""Drain on SIGTERM: viewers get what was pending, then close 1001; new connections are
refused; the process exits 0 within the drain time."""

import asyncio
import signal
import time

import harness
from harness import GatewayCase, async_test

DRAIN_SECS = 3


class Drain(GatewayCase):
    GW_ARGS = ["--drain-secs", str(DRAIN_SECS), "--conn-msg-rate", "100000"]
    GW_TICK_MS = 400

    async def try_connect(self):
        """One new connection attempt during the drain: returns 'refused', '503' or
        'accepted'."""
        def attempt():
            try:
                st, headers, _ = self.gw.handshake(
                    harness.ws_query("drain", self.gw.token("late", "viewer", "drain")),
                    timeout=3)
            except (ConnectionError, OSError):
                return "refused"
            if st == 503:
                return "503"
            return "accepted" if st == 101 else f"status {st}"
        return await asyncio.to_thread(attempt)

    @async_test(40)
    async def test_sigterm_flushes_then_1001_and_exits_0(self):
        room = "drain"
        viewers = await asyncio.gather(*(self.connect(room, f"v{i}") for i in range(8)))
        host = await self.connect(room, "host1", role="host")
        # A raw viewer that reads nothing and never answers the close: the drain waits
        # for it until the deadline.
        stuck = await asyncio.to_thread(self.raw, room, "stuck")
        # Its welcome first: it has joined the room before the host publishes (the
        # joins run on the accepting worker, maybe after the 101 reached the client).
        first = await asyncio.to_thread(stuck.read_messages, 1)
        self.assertEqual(first[0]["t"], "welcome")
        for i in range(50):
            await host.send({"t": "notice", "text": f"pending {i}", "req": f"n{i}"})
        # Every notice is accepted (acked) but, with a long tick, not yet broadcast:
        # SIGTERM now, while they are pending in the room.
        await host.wait_t("ack", 50)
        t0 = time.monotonic()
        self.gw.proc.send_signal(signal.SIGTERM)
        for v in viewers + [host]:
            code = await v.wait_closed(DRAIN_SECS + 5)
            self.assertEqual(code, 1001, v.name)
            notices = [m for m in v.of("notice")]
            self.assertEqual([m["text"] for m in notices], [f"pending {i}" for i in range(50)],
                             v.name)
            self.assertEqual([m["seq"] for m in notices], list(range(1, 51)))

        # New connections are refused while draining (503, or no listener at all).
        outcomes = [await self.try_connect() for _ in range(5)]
        self.assertNotIn("accepted", outcomes)
        self.assertEqual([o for o in outcomes if o not in ("refused", "503")], [])

        rc = await asyncio.to_thread(self.gw.proc.wait, DRAIN_SECS + 10)
        elapsed = time.monotonic() - t0
        self.assertEqual(rc, 0)
        self.assertLess(elapsed, DRAIN_SECS + 3, "exit within the drain time")
        # The stuck viewer got the notices and the close 1001 too (it was in its buffer).
        msgs, code, _eof = await asyncio.to_thread(stuck.read_until_close, 5)
        self.assertEqual([m["seq"] for m in msgs if m.get("t") == "notice"], list(range(1, 51)))
        self.assertEqual(code, 1001)


class DrainIdle(GatewayCase):
    GW_ARGS = ["--drain-secs", "10"]

    @async_test(30)
    async def test_exits_at_once_when_everyone_left(self):
        v = await self.connect("drain-idle", "v1")
        t0 = time.monotonic()
        self.gw.proc.send_signal(signal.SIGTERM)
        self.assertEqual(await v.wait_closed(5), 1001)
        rc = await asyncio.to_thread(self.gw.proc.wait, 15)
        self.assertEqual(rc, 0)
        # Everyone answered the close: no need to wait for the 10 s deadline.
        self.assertLess(time.monotonic() - t0, 5)


if __name__ == "__main__":
    harness.main()
