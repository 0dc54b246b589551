"""Closing a room (and the store-wide set of WeCom adds): the host's room_close (and the idle timeout) close every connection
with 4100 after a `room_closed` notice, write one CRM record per viewer to the Redis
stream lg:crm (non-buyers into the room's follow-up set by engagement), keep the
session's funnel, and start the room's figures again."""

import asyncio
import json
import time

import harness
from harness import async_test


def fields(entry):
    """An XRANGE entry [id, [k, v, ...]] as a dict."""
    kv = entry[1]
    return dict(zip(kv[::2], kv[1::2]))


class CloseBase(harness.RedisGatewayCase):

    def crm(self, room):
        return [fields(e) for e in self.redis.command("XRANGE", "lg:crm", "-", "+")
                if fields(e)["room"] == room]


class HostClose(CloseBase):
    GW_ARGS = ["--sales-poll-ms", "50"]

    @async_test(40)
    async def test_close_writes_one_record_per_viewer(self):
        room = "cl1"
        host = await self.connect(room, "h1", role="host")
        a = await self.connect(room, "a", **{"from": "inv1"})
        a2 = await self.connect(room, "a")
        b = await self.connect(room, "b")
        c = await self.connect(room, "c")
        await a.send({"t": "comment", "text": "hi"})
        await a.send({"t": "like", "n": 40})
        await b.send({"t": "card_click", "sku": "s1"})
        await host.send({"t": "sale_start", "sale": "s1", "sku": "s1", "stock": 5, "limit": 1,
                         "price": 100, "duration": 60, "pay_window": 60, "req": "ss"})
        await host.wait_msg(lambda m: m.get("req") == "ss")
        await c.send({"t": "order", "sale": "s1", "qty": 1, "req": "o1"})
        o = await c.wait_msg(lambda m: m.get("t") == "order")
        self.assertTrue(o["ok"], o)
        await host.wait_msg(lambda m: m.get("text") == "hi")
        await asyncio.sleep(0.2)

        await host.send({"t": "room_close", "req": "bye"})
        ack = await host.wait_msg(lambda m: m.get("req") == "bye")
        self.assertEqual(ack["t"], "ack")
        for v in (host, a, a2, b, c):
            self.assertEqual(await v.wait_closed(5), 4100, v.name)
            n = [m for m in v.msgs if m.get("t") == "notice" and m.get("code") == "room_closed"]
            self.assertEqual(len(n), 1, v.name)
            self.assertNotIn("seq", n[0])
            self.assertIs(v.msgs[-1], n[0], v.name)  # the last word, after every event

        await asyncio.sleep(0.3)
        recs = {r["uid"]: r for r in self.crm(room)}
        self.assertEqual(sorted(recs), ["a", "b", "c"])  # one per viewer uid, hosts none
        self.assertEqual((recs["a"]["comments"], recs["a"]["likes"], recs["a"]["from"]),
                         ("1", "40", "inv1"))
        self.assertEqual((recs["b"]["clicks"], recs["b"]["buyer"]), ("1", "0"))
        self.assertEqual((recs["c"]["orders"], recs["c"]["buyer"]), ("1", "1"))
        for r in recs.values():
            for k in ("watch_s", "paid", "bag_joins", "wecom_prompted", "wecom_added",
                      "first_seen", "engagement", "session"):
                self.assertIn(k, r)
        # The next-day coupon list: non-buyers by engagement, highest first.
        follow = self.redis.command("ZREVRANGE", f"lg:room:{room}:followup", "0", "-1")
        self.assertEqual(follow, ["a", "b"])
        sessions = self.redis.command("HGETALL", f"lg:room:{room}:sessions")
        self.assertEqual(len(sessions), 2)
        self.assertEqual(json.loads(sessions[1])["viewers"], 3)
        self.assertEqual(self.gw.metric("livegw_room_closes_total"), 1)

        # The room starts again from zero; its seq goes on.
        v = await self.connect(room, "d")
        st, info = self.gw.http_json("GET", f"/api/rooms/{room}", bearer=self.gw.admin())
        self.assertEqual((info["viewers"], info["likes"], info["comments"]), (1, 0, 0))
        self.assertGreater(v.welcome["seq"], 0)
        # `online` counts the new session's viewers only, and moves as they come and go.
        self.assertEqual((v.welcome["online"], self.gw.room_info(room)["online"]), (1, 1))
        a3 = await self.connect(room, "a")
        self.assertEqual(a3.welcome["online"], 2)
        await a3.close()
        await self.wait_until(lambda: self.gw.room_info(room)["online"] == 1, 5, "online 1")
        await v.wait_for(lambda x: x.online() == 1, 5, "online 1 at d")
        # Viewers cannot close a room.
        await v.send({"t": "room_close", "req": "x"})
        self.assertEqual((await v.wait_msg(lambda m: m.get("req") == "x"))["code"], "forbidden")


class IdleClose(CloseBase):
    GW_ARGS = ["--room-idle-s", "1"]

    @async_test(30)
    async def test_idle_room_closes(self):
        room = "cl2"
        v = await self.connect(room, "lonely")
        await v.send({"t": "like", "n": 3})
        await asyncio.sleep(0.3)
        await v.close()
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and not self.crm(room):
            await asyncio.sleep(0.2)
        recs = self.crm(room)
        self.assertEqual([(r["uid"], r["likes"]) for r in recs], [("lonely", "3")])


class KnownAdded(CloseBase):
    """Viewers the store knows added its WeCom (Redis lg:wecom:added) get no prompt;
    an `added` report is remembered there."""

    @async_test(30)
    async def test_known_added_not_prompted(self):
        self.redis.command("SADD", "lg:wecom:added", "k1")
        room = "cl3"
        host = await self.connect(room, "h3", role="host")
        k1 = await self.connect(room, "k1")
        k2 = await self.connect(room, "k2")
        await asyncio.sleep(0.3)  # the lookup of k1
        await host.send({"t": "wecom_push", "title": "t", "hook": "h", "link": "https://x/y"})
        p = await k2.wait_msg(lambda m: m.get("t") == "wecom")
        await asyncio.sleep(0.3)
        self.assertEqual(k1.of("wecom"), [])
        await k2.send({"t": "wecom", "prompt": p["prompt"], "action": "added"})
        await asyncio.sleep(0.3)
        self.assertEqual(self.redis.command("SISMEMBER", "lg:wecom:added", "k2"), 1)


if __name__ == "__main__":
    harness.main()
