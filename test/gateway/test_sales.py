"""Flash sales through the gateway, with a private redis-server: a rush sells exactly
the stock and Redis agrees; repeated req; paid / cancel / expiry over HTTP and the room
seeing stock move; sale_stop; welcome.sales; rooms independent; Redis going away and
coming back."""

import asyncio
import json
import sys
import time

import harness
from harness import async_test

_req = 0


def next_req(prefix="r"):
    global _req
    _req += 1
    return f"{prefix}{_req}"


class SalesBase(harness.RedisGatewayCase):
    GW_ARGS = ["--sales-poll-ms", "50"]

    async def host_cmd(self, host, msg):
        """Sends a host command with a req and returns the ack or error for it."""
        req = next_req("h")
        await host.send(dict(msg, req=req))
        return await host.wait_msg(lambda m: m.get("req") == req and m["t"] in ("ack", "error"))

    async def start_sale(self, host, sale, stock, limit=1, pay_window=60, duration=600,
                         price=990, **extra):
        r = await self.host_cmd(host, dict({"t": "sale_start", "sale": sale, "sku": "sku-" + sale,
                                            "stock": stock, "limit": limit, "price": price,
                                            "duration": duration, "pay_window": pay_window},
                                           **extra))
        self.assertEqual(r["t"], "ack", r)
        return await host.wait_msg(lambda m: m.get("t") == "sale" and m["sale"] == sale)

    async def order(self, client, sale, qty=1, req=None):
        req = req or next_req("o")
        await client.send({"t": "order", "sale": sale, "qty": qty, "req": req})
        return await client.wait_msg(lambda m: m.get("t") == "order" and m.get("req") == req)

    def redis_sale(self, room, sale):
        f = {}
        for k in ("stock", "reserved", "paid", "state"):
            f[k] = self.redis.command("HGET", f"lg:sale:{room}:{sale}", k)
        return f

    def admin_post(self, order, action, gw=None):
        gw = gw or self.gw
        st, _, body = gw.http("POST", f"/api/orders/{order}/{action}", body=b"",
                              bearer=gw.token("backend", "admin", "*"))
        return st, (json.loads(body) if body else None)


class Sales(SalesBase):

    @async_test(60)
    async def test_rush_sells_exactly_the_stock(self):
        room, sale, stock, n = "rush", "s1", 10, 60
        host = await self.connect(room, "host1", role="host")
        live = await self.start_sale(host, sale, stock)
        self.assertEqual((live["state"], live["left"], live["stock"]), ("live", stock, stock))
        self.assertIn("seq", live)
        viewers = await asyncio.gather(*[self.connect(room, f"u{i}") for i in range(n)])
        for v in viewers:
            self.assertEqual([s["sale"] for s in v.welcome["sales"]], [sale])
        replies = await asyncio.gather(*[self.order(v, sale) for v in viewers])
        ok = [r for r in replies if r["ok"]]
        self.assertEqual(len(ok), stock)
        self.assertEqual({r["code"] for r in replies if not r["ok"]}, {"sold_out"})
        ids = {r["order"] for r in ok}
        self.assertEqual(len(ids), stock)
        for r in ok:
            self.assertEqual((r["sale"], r["qty"]), (sale, 1))
            self.assertGreater(r["pay_by"], time.time() * 1000)
        # Redis holds exactly those reservations, durably, before the replies.
        rs = self.redis_sale(room, sale)
        self.assertEqual((rs["reserved"], rs["paid"]), (str(stock), "0"))
        for oid in ids:
            self.assertEqual(self.redis.command("HGET", f"lg:order:{oid}", "state"), "reserved")
        self.assertEqual(self.redis.command("ZCARD", f"lg:sale:{room}:{sale}:open"), stock)
        # The room sees sold_out exactly once.
        await host.wait_msg(lambda m: m.get("t") == "sale" and m["state"] == "sold_out")
        await asyncio.sleep(0.3)
        self.assertEqual(len([m for m in host.of("sale") if m["state"] == "sold_out"]), 1)
        info = self.gw.http_json("GET", f"/api/rooms/{room}", bearer=self.gw.admin())
        self.assertEqual(info[1]["orders"], stock)
        self.assertEqual(info[1]["sales"][0]["left"], 0)
        # The sale core's footprint, for operators (it grows until restart).
        self.assertGreater(self.gw.metric("livegw_sale_memory_bytes"), 0)

    @async_test(30)
    async def test_repeated_req_and_limits(self):
        room, sale = "dup", "s1"
        host = await self.connect(room, "host1", role="host")
        await self.start_sale(host, sale, stock=100, limit=3)
        a = await self.connect(room, "alice")
        a2 = await self.connect(room, "alice")  # a second connection of the same uid
        first = await self.order(a, sale, qty=2, req="same")
        self.assertTrue(first["ok"], first)
        again = await self.order(a2, sale, qty=2, req="same")
        self.assertEqual(again, first)
        over = await self.order(a, sale, qty=2)
        self.assertEqual((over["ok"], over["code"]), (False, "limit_exceeded"))
        self.assertEqual(await self.order(a2, sale, qty=2, req=over["req"]), over)
        one = await self.order(a2, sale, qty=1)
        self.assertTrue(one["ok"], one)
        too_big = await self.order(a, sale, qty=4)
        self.assertEqual(too_big["code"], "limit_exceeded")
        missing = await self.order(a, "nope")
        self.assertEqual((missing["ok"], missing["code"]), (False, "not_found"))
        # An order without req is a bad request (error, not order).
        await a.send({"t": "order", "sale": sale, "qty": 1})
        err = await a.wait_msg(lambda m: m.get("t") == "error")
        self.assertEqual(err["code"], "bad_request")
        # Both uids' allowance is per uid: bob still can.
        b = await self.connect(room, "bob")
        self.assertTrue((await self.order(b, sale, qty=3))["ok"])
        # A sale id is per room: another room's sale of the same id is independent.
        host2 = await self.connect("dup-other", "host2", role="host")
        await self.start_sale(host2, sale, stock=1)
        c = await self.connect("dup-other", "alice")
        self.assertTrue((await self.order(c, sale))["ok"])
        self.assertEqual(self.redis_sale(room, sale)["reserved"], "6")  # alice 2 + 1, bob 3
        self.assertEqual(self.redis_sale("dup-other", sale)["reserved"], "1")
        # A second start of the same id is refused.
        r = await self.host_cmd(host, {"t": "sale_start", "sale": sale, "sku": "x", "stock": 1,
                                       "limit": 1, "price": 1, "duration": 5, "pay_window": 5})
        self.assertEqual((r["t"], r["code"]), ("error", "conflict"))

    @async_test(30)
    async def test_paid_cancel_and_conflicts(self):
        room, sale = "pay", "s1"
        host = await self.connect(room, "host1", role="host")
        await self.start_sale(host, sale, stock=2)
        v1, v2, v3 = [await self.connect(room, f"p{i}") for i in range(3)]
        o1 = await self.order(v1, sale)
        o2 = await self.order(v2, sale)
        self.assertTrue(o1["ok"] and o2["ok"])
        await host.wait_msg(lambda m: m.get("t") == "sale" and m["state"] == "sold_out")
        st, body = self.admin_post(o1["order"], "paid")
        self.assertEqual((st, body), (200, {"order": o1["order"], "state": "paid"}))
        self.assertEqual(self.admin_post(o1["order"], "paid")[0], 200)  # idempotent
        self.assertEqual(self.admin_post(o1["order"], "cancel")[0], 409)
        self.assertEqual(self.redis.command("HGET", f"lg:order:{o1['order']}", "state"), "paid")
        # Cancel gives the stock back: the room sees it, and someone else can buy.
        st, body = self.admin_post(o2["order"], "cancel")
        self.assertEqual((st, body["state"]), (200, "cancelled"))
        self.assertEqual(self.admin_post(o2["order"], "cancel")[0], 200)
        self.assertEqual(self.admin_post(o2["order"], "paid")[0], 409)
        back = await host.wait_msg(lambda m: m.get("t") == "sale" and m["state"] == "live"
                                   and m["left"] == 1)
        self.assertIn("seq", back)
        o3 = await self.order(v3, sale)
        self.assertTrue(o3["ok"], o3)
        # Unknown order, bad tokens, wrong role.
        self.assertEqual(self.admin_post("nope-1", "paid")[0], 404)
        st, _, _ = self.gw.http("POST", f"/api/orders/{o3['order']}/paid", body=b"")
        self.assertEqual(st, 401)
        st, _, _ = self.gw.http("POST", f"/api/orders/{o3['order']}/paid", body=b"",
                                bearer=self.gw.token("host1", "host", room))
        self.assertEqual(st, 403)
        # An admin token bound to another room may not settle this room's orders; one
        # bound to this room may.
        st, _, _ = self.gw.http("POST", f"/api/orders/{o3['order']}/cancel", body=b"",
                                bearer=self.gw.token("ops2", "admin", "elsewhere"))
        self.assertEqual(st, 403)
        st, _, _ = self.gw.http("POST", f"/api/orders/{o3['order']}/paid", body=b"",
                                bearer=self.gw.token("ops3", "admin", room))
        self.assertEqual(st, 200)
        rs = self.redis_sale(room, sale)
        self.assertEqual((rs["reserved"], rs["paid"]), ("0", "2"))

    @async_test(30)
    async def test_expiry_returns_stock_once(self):
        room, sale = "exp", "s1"
        host = await self.connect(room, "host1", role="host")
        await self.start_sale(host, sale, stock=1, pay_window=1)
        v = await self.connect(room, "late")
        w = await self.connect(room, "watcher")
        o = await self.order(v, sale)
        self.assertTrue(o["ok"])
        await w.wait_msg(lambda m: m.get("t") == "sale" and m["state"] == "sold_out")
        # The reservation lapses: the stock comes back and the room sees it.
        await w.wait_msg(lambda m: m.get("t") == "sale" and m["state"] == "live", timeout=5)
        self.assertEqual(self.admin_post(o["order"], "paid")[0], 409)
        self.assertEqual(self.redis.command("HGET", f"lg:order:{o['order']}", "state"), "expired")
        rs = self.redis_sale(room, sale)
        self.assertEqual((rs["reserved"], rs["paid"]), ("0", "0"))
        # The same uid may buy again (its allowance came back too).
        again = await self.order(v, sale)
        self.assertTrue(again["ok"], again)
        self.assertNotEqual(again["order"], o["order"])

    @async_test(30)
    async def test_stop_and_welcome(self):
        room, sale = "stop", "s1"
        host = await self.connect(room, "host1", role="host")
        await self.start_sale(host, sale, stock=5)
        v = await self.connect(room, "v1")
        self.assertEqual(v.welcome["sales"][0]["state"], "live")
        self.assertNotIn("t", v.welcome["sales"][0])
        self.assertNotIn("seq", v.welcome["sales"][0])
        r = await self.host_cmd(host, {"t": "sale_stop", "sale": sale})
        self.assertEqual(r["t"], "ack")
        ended = await v.wait_msg(lambda m: m.get("t") == "sale" and m["state"] == "ended")
        self.assertIn("seq", ended)
        o = await self.order(v, sale)
        self.assertEqual((o["ok"], o["code"]), (False, "ended"))
        late = await self.connect(room, "v2")
        self.assertEqual(late.welcome["sales"], [])
        r = await self.host_cmd(host, {"t": "sale_stop", "sale": "nope"})
        self.assertEqual((r["t"], r["code"]), ("error", "not_found"))
        self.assertEqual(self.redis_sale(room, sale)["state"], "ended")
        # Viewers cannot start sales.
        r = await self.host_cmd(v, {"t": "sale_start", "sale": "x", "sku": "x", "stock": 1,
                                    "limit": 1, "price": 1, "duration": 5, "pay_window": 5})
        self.assertEqual((r["t"], r["code"]), ("error", "forbidden"))

    @async_test(30)
    async def test_not_started_until_starts_at(self):
        room, sale = "later", "s1"
        host = await self.connect(room, "host1", role="host")
        at = int(time.time() * 1000) + 1500
        m = await self.start_sale(host, sale, stock=3, starts_at=at)
        self.assertEqual(m["starts_at"], at)
        v = await self.connect(room, "early")
        o = await self.order(v, sale)
        self.assertEqual((o["ok"], o["code"]), (False, "not_started"))
        await asyncio.sleep(max(0, at / 1000 - time.time()) + 0.1)
        o = await self.order(v, sale)
        self.assertTrue(o["ok"], o)


class SalesSliced(Sales):
    """The same, with every room broadcast handed out one viewer per loop pass: order
    replies written at once overtake nothing and carry the stream they find pending."""
    GW_ARGS = ["--sales-poll-ms", "50", "--deliver-slice", "1"]


class StockCoalesced(SalesBase):
    # 5 viewers x 200 ms: at most one `stock` update per second in this room.
    GW_ARGS = ["--sales-poll-ms", "50", "--stock-us-per-viewer", "200000"]

    @async_test(30)
    async def test_stock_updates_coalesced_by_audience(self):
        room, sale = "coalesce", "s1"
        host = await self.connect(room, "host1", role="host")
        await self.start_sale(host, sale, stock=100)
        viewers = await asyncio.gather(*[self.connect(room, f"u{i}") for i in range(5)])
        await asyncio.sleep(1.1)  # a full interval since the `sale` (live)
        for v in viewers:
            self.assertTrue((await self.order(v, sale))["ok"])
            await asyncio.sleep(0.05)
        # The first change goes out at once, the next four as one, the last value.
        await host.wait_msg(lambda m: m.get("t") == "stock" and m["left"] == 95, timeout=5)
        await asyncio.sleep(0.3)
        left = [m["left"] for m in host.of("stock")]
        self.assertEqual(len(left), 2, left)
        self.assertGreater(left[0], 95)
        self.assertEqual(left[1], 95)
        # A new viewer's welcome is current whatever the room was last told.
        late = await self.connect(room, "late")
        self.assertEqual(late.welcome["sales"][0]["left"], 95)


class SalesRedisDown(SalesBase):

    @async_test(60)
    async def test_unavailable_while_redis_is_down(self):
        room, sale = "down", "s1"
        host = await self.connect(room, "host1", role="host")
        await self.start_sale(host, sale, stock=50, limit=50)
        v = await self.connect(room, "v1")
        self.assertTrue((await self.order(v, sale))["ok"])
        port = self.redis.port
        self.redis.proc.kill()
        self.redis.proc.wait()
        deadline = time.monotonic() + 10
        while json.loads(self.gw.http("GET", "/healthz")[2])["redis"] != "down":
            self.assertLess(time.monotonic(), deadline, "healthz never said down")
            await asyncio.sleep(0.05)
        self.assertEqual(self.gw.metric("livegw_redis_up"), 0)
        o = await self.order(v, sale)
        self.assertEqual((o["ok"], o["code"]), (False, "unavailable"))
        # Comments still flow.
        await v.send({"t": "comment", "text": "still here"})
        await host.wait_msg(lambda m: m.get("text") == "still here")
        r = await self.host_cmd(host, {"t": "sale_start", "sale": "s2", "sku": "x", "stock": 1,
                                       "limit": 1, "price": 1, "duration": 5, "pay_window": 5})
        self.assertEqual((r["t"], r["code"]), ("error", "unavailable"))
        # Redis comes back (empty: it had no persistence); the gateway reconnects.
        import subprocess
        import shutil
        self.redis.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.redis.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_redis_up(self.gw, timeout=20)
        o = await self.order(v, sale)
        self.assertTrue(o["ok"], o)
        self.assertEqual(self.redis.command("HGET", f"lg:order:{o['order']}", "state"),
                         "reserved")


class SalesEndRetried(SalesBase):
    """A sale_stop whose write Redis refuses is retried until it is recorded (else a
    restart would revive the sale)."""

    @async_test(30)
    async def test_stop_recorded_after_a_refused_write(self):
        room, sale = "endr", "s1"
        host = await self.connect(room, "host1", role="host")
        await self.start_sale(host, sale, stock=5)
        self.assertEqual(self.redis.command("ACL", "SETUSER", "default", "-evalsha"), "OK")
        try:
            r = await self.host_cmd(host, {"t": "sale_stop", "sale": sale})
            self.assertEqual(r["t"], "ack")
            await host.wait_msg(lambda m: m.get("t") == "sale" and m["state"] == "ended")
            await asyncio.sleep(0.5)
            self.assertEqual(self.redis_sale(room, sale)["state"], "live")
        finally:
            self.redis.command("ACL", "SETUSER", "default", "+evalsha")
        deadline = time.monotonic() + 10
        while self.redis_sale(room, sale)["state"] != "ended":
            self.assertLess(time.monotonic(), deadline, "the end was never recorded")
            await asyncio.sleep(0.1)


class SalesCrash(SalesBase):
    """kill -9 in the middle of a rush, then a restart on the same Redis."""

    @async_test(90)
    async def test_kill_9_mid_rush_keeps_every_acknowledged_order(self):
        room, sale, stock, n, per = "crash", "s1", 1000, 120, 5
        host = await self.connect(room, "host1", role="host")
        await self.start_sale(host, sale, stock, limit=per)
        viewers = await asyncio.gather(*[self.connect(room, f"c{i}") for i in range(n)])
        acked = {}

        async def send_all(v, i):
            # Spread over ~0.2 s, so that the kill lands in the middle.
            for k in range(per):
                await v.send({"t": "order", "sale": sale, "qty": 1, "req": f"k{i}-{k}"})
                await asyncio.sleep(0.04)

        async def collect(v, i):
            for k in range(per):
                req = f"k{i}-{k}"
                try:
                    m = await v.wait_msg(lambda m: m.get("t") == "order" and m.get("req") == req,
                                         timeout=3)
                except AssertionError:
                    continue  # the gateway died first: no answer is no promise
                if m["ok"]:
                    acked[m["order"]] = (i, req)

        sends = [asyncio.ensure_future(send_all(v, i)) for i, v in enumerate(viewers)]
        # SIGKILL as soon as the first reservation is acknowledged: mid-rush.
        await viewers[0].wait_for(
            lambda _: any(m.get("t") == "order" for v in viewers for m in v.msgs), 10,
            "a first order reply")
        self.gw.proc.kill()
        self.gw.proc.wait()
        await asyncio.gather(*sends, return_exceptions=True)
        await asyncio.gather(*[collect(v, i) for i, v in enumerate(viewers)])
        # Every order a client saw acknowledged is in Redis; Redis never holds more
        # than the stock.
        for oid in acked:
            self.assertEqual(self.redis.command("HGET", f"lg:order:{oid}", "state"), "reserved",
                             oid)
        rs = self.redis_sale(room, sale)
        held = int(rs["reserved"]) + int(rs["paid"])
        sys.stderr.write(f"kill -9 mid-rush: {len(acked)} acknowledged, {held} held in redis\n")
        self.assertGreater(len(acked), 0)
        self.assertLess(len(acked), n * per, "the kill came after the rush")
        self.assertGreaterEqual(held, len(acked))
        self.assertLessEqual(held, stock)

        # Restart on the same Redis: the sale continues with the stock Redis left.
        self.gw.cleanup()
        gw2 = harness.Gateway(self.GW_ARGS, tick_ms=self.GW_TICK_MS)
        gw2.start()
        self.__class__.gw = gw2  # tearDownClass stops the new one
        self.wait_redis_up(gw2)
        host = await self.connect(room, "host1", role="host", gw=gw2)
        sales = host.welcome["sales"]
        self.assertEqual([s["sale"] for s in sales], [sale])
        self.assertEqual(sales[0]["left"], stock - held)
        # A repeated req of an acknowledged order answers the same order.
        for oid, (i, req) in list(acked.items())[:3]:
            again = await self.connect(room, f"c{i}", gw=gw2)
            r = await self.order(again, sale, req=req)
            self.assertEqual((r["ok"], r["order"]), (True, oid))
        # The rest of the stock sells, and not one item more.
        buyers = await asyncio.gather(*[self.connect(room, f"d{i}", gw=gw2)
                                        for i in range((stock - held) // per + 2)])
        replies = await asyncio.gather(*[self.order(b, sale, qty=per) for b in buyers])
        got = sum(r["qty"] for r in replies if r["ok"])
        self.assertEqual(got, stock - held - (stock - held) % per)
        rs = self.redis_sale(room, sale)
        self.assertEqual(int(rs["reserved"]) + int(rs["paid"]), held + got)


if __name__ == "__main__":
    harness.main()
