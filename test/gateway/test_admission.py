"""Admission control: paced handshakes (503 + Retry-After, and a retry after the hint
succeeds) and a per-address connection limit (429)."""

import asyncio
import time

import harness
from harness import GatewayCase, RawWS, async_test, ws_query

RETRY_MAX = 2


class HandshakeRate(GatewayCase):
    # 5 handshakes per second per thread (2 threads, burst 5 each).
    GW_ARGS = ["--handshake-rate", "5", "--retry-after-max", str(RETRY_MAX)]

    def open(self, uid):
        path = "/ws?" + ws_query("adm", self.gw.token(uid, "viewer", "adm"))
        r = RawWS(self.gw.port, path, expect_upgrade=False)
        if r.status == 101:
            self._raws.append(r)
        else:
            r.close()
        return r

    @async_test(60)
    async def test_storm_gets_503_with_retry_after_then_retries_succeed(self):
        before = self.gw.metric('livegw_handshakes_refused_total{status="503"}')
        results = await asyncio.gather(*(asyncio.to_thread(self.open, f"u{i}")
                                         for i in range(30)))
        accepted = [r for r in results if r.status == 101]
        refused = [(i, r) for i, r in enumerate(results) if r.status != 101]
        self.assertEqual({r.status for _, r in refused}, {503})
        # At most the two bursts (5 + 5) plus what refilled during the storm.
        self.assertGreaterEqual(len(accepted), 1)
        self.assertLessEqual(len(accepted), 14)
        self.assertGreaterEqual(len(refused), 16)
        for _, r in refused:
            self.assertIn("retry-after", r.headers)
            self.assertIn(int(r.headers["retry-after"]), range(1, RETRY_MAX + 1))
            self.assertTrue(r.headers.get("content-type", "").startswith("text/plain"))
            self.assertTrue(r.body.strip())
        self.assertEqual(self.gw.metric('livegw_handshakes_refused_total{status="503"}') - before,
                         len(refused))
        # The accepted ones got their welcome.
        for r in accepted[:3]:
            msgs = await asyncio.to_thread(r.read_messages, 1)
            self.assertEqual(msgs[0]["t"], "welcome")

        # One client honours its hint: its retry succeeds.
        i, r = refused[0]
        await asyncio.sleep(int(r.headers["retry-after"]))
        again = await asyncio.to_thread(self.open, f"u{i}")
        self.assertEqual(again.status, 101, again.body)

        # Everyone else retries after its hint, as often as told: all get in.
        pending = {i: int(r.headers["retry-after"]) for i, r in refused[1:]}
        t0 = time.monotonic()
        due = {i: t0 + ra for i, ra in pending.items()}
        attempts = 0
        while due and time.monotonic() - t0 < 30:
            now = time.monotonic()
            ready = [i for i, t in due.items() if t <= now]
            for i in ready:
                attempts += 1
                r = await asyncio.to_thread(self.open, f"u{i}")
                if r.status == 101:
                    del due[i]
                else:
                    self.assertEqual(r.status, 503)
                    due[i] = time.monotonic() + int(r.headers["retry-after"])
            await asyncio.sleep(0.05)
        self.assertEqual(due, {}, "every refused client got in by following Retry-After")
        await self.wait_until(lambda: self.gw.room_info("adm")["online"] == 30, 5, "30 online")


class PerIpLimit(GatewayCase):
    GW_ARGS = ["--max-conns-per-ip", "3"]

    @async_test(30)
    async def test_fourth_connection_gets_429(self):
        room = "perip"
        first = [await self.connect(room, f"u{i}") for i in range(3)]
        st, headers, body = self.gw.handshake(ws_query(room, self.gw.token("u3", "viewer", room)))
        self.assertEqual(st, 429, body)
        self.assertTrue(body.strip())
        self.assertEqual(self.gw.metric('livegw_handshakes_refused_total{status="429"}'), 1)
        # HTTP requests are not WebSocket connections: still served.
        st, _, _ = self.gw.http("GET", "/healthz")
        self.assertEqual(st, 200)
        # When one leaves, a new one may come in.
        await first[0].close()
        await self.wait_until(lambda: self.gw.metric("livegw_connections") == 2, 5,
                              "the server saw the close")
        again = await self.connect(room, "u3")
        self.assertEqual(again.welcome["online"], 3)
        st, _, _ = self.gw.handshake(ws_query(room, self.gw.token("u4", "viewer", room)))
        self.assertEqual(st, 429)


if __name__ == "__main__":
    harness.main()
