"""Slow consumer: a viewer that never reads is closed with 4009 (or at least cut off,
with livegw_closes_total{code="4009"} counting it), while a normal viewer of the same
room receives every notice, in order, and keeps receiving afterwards."""

import asyncio
import socket
import unittest

import harness
from harness import GatewayCase, async_test

TEXT = "慢" * 480        # about 1.5 KB per notice frame
# Notices per round, about 90 KB. Every reader (the host is one too) is caught up before
# the next round, so no reader is ever --max-lag-kb behind; only the non-reader is.
ROUND = 60


class SlowConsumer(GatewayCase):
    GW_ARGS = ["--max-lag-kb", "256", "--max-queue-kb", "64", "--conn-msg-rate", "100000"]

    @async_test(90)
    async def test_non_reader_closed_4009_others_complete(self):
        room = "slow"
        normal = await self.connect(room, "normal")
        host = await self.connect(room, "host1", role="host")
        slow = await asyncio.to_thread(self.raw, room, "sloth", rcvbuf=4096)
        first = await asyncio.to_thread(slow.read_messages, 1)
        self.assertEqual(first[0]["t"], "welcome")
        # From here on the slow viewer reads nothing.
        closes = 'livegw_closes_total{code="4009"}'
        before = self.gw.metric(closes)
        sent = 0
        for _round in range(200):
            for i in range(ROUND):
                await host.send({"t": "notice", "text": f"{sent + i} {TEXT}"})
            sent += ROUND
            for c in (normal, host):
                await c.wait_for(lambda c: len(c.of("notice")) >= sent, 20, f"{sent} notices")
            if self.gw.metric(closes) > before:
                break
        self.assertGreater(self.gw.metric(closes), before,
                           f"no 4009 close after {sent} notices")

        notices = normal.of("notice")
        self.assertEqual(len(notices), sent)
        self.assertEqual([m["seq"] for m in notices], list(range(1, sent + 1)))
        self.assertEqual([int(m["text"].split()[0]) for m in notices], list(range(sent)))
        self.assertIsNone(normal.close_code)
        self.assertEqual(normal.of("error"), [])

        # Now read what the slow viewer's socket still holds: a prefix of the notices
        # in order, then (best effort) a close frame 4009, then the end of the stream.
        msgs, code, eof = await asyncio.to_thread(slow.read_until_close, 15)
        got = [m for m in msgs if m.get("t") == "notice"]
        self.assertLess(len(got), sent)
        self.assertEqual([m["seq"] for m in got], list(range(1, len(got) + 1)))
        self.assertTrue(code == 4009 or (code is None and eof),
                        f"slow viewer ended with close {code}, eof {eof}")
        if code is None:
            # No close frame fitted: the TCP connection must still be closed.
            slow.sock.settimeout(5)
            try:
                self.assertEqual(slow.sock.recv(1), b"")
            except (ConnectionResetError, socket.timeout) as e:
                self.assertIsInstance(e, ConnectionResetError)

        # The others keep receiving.
        await host.send({"t": "notice", "text": "after"})
        m = await normal.wait_msg(lambda m: m.get("text") == "after")
        self.assertEqual(m["seq"], sent + 1)
        self.assertEqual(self.gw.metric("livegw_queue_bytes"), 0)



class BurstInOneTick(GatewayCase):
    """A reader that is fully caught up must not be judged slow by the size of a single
    tick's batch."""
    GW_ARGS = ["--max-lag-kb", "64", "--max-queue-kb", "32", "--conn-msg-rate", "100000"]
    GW_TICK_MS = 200    # the whole burst surely lands in one tick

    # A tick that gathers more than --max-lag-kb of high-priority events must reach
    # every caught-up viewer (a regression test: the lag was once measured after the
    # new batch, closing every viewer of the shard with 4009).
    @async_test(30)
    async def test_reader_survives_a_large_burst(self):
        room = "burst"
        reader = await self.connect(room, "reader")
        host = await asyncio.to_thread(self.raw, room, "host1", role="host")
        await asyncio.to_thread(host.read_messages, 1)
        await asyncio.to_thread(host.send_burst, [{"t": "notice", "text": f"{i} {TEXT}"}
                                                  for i in range(150)])
        await reader.wait_for(lambda c: len(c.of("notice")) >= 150 or c.close_code, 15,
                              "150 notices or a close")
        self.assertIsNone(reader.close_code)
        self.assertEqual([m["seq"] for m in reader.of("notice")], list(range(1, 151)))


if __name__ == "__main__":
    harness.main()
