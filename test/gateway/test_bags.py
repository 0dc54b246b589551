"""Lucky bags through the gateway, with a private redis-server: keyword joins counted
once per uid, min_watch and mutes, the verifiable draw (winners are distinct
participants, exactly `winners` of them, and `livegw verify-draw` recomputes them from
the broadcast commitment, seed and the participant list, and rejects a tampered list),
you_won to every connection of a winner, the draw written to Redis before it is
announced, the optional rules, and a restart during an open bag."""

import asyncio
import json
import os
import subprocess
import tempfile
import time

import harness
from harness import async_test

_req = 0


def next_req(prefix="b"):
    global _req
    _req += 1
    return f"{prefix}{_req}"


class BagBase(harness.RedisGatewayCase):

    async def host_cmd(self, host, msg):
        req = next_req("h")
        await host.send(dict(msg, req=req))
        return await host.wait_msg(lambda m: m.get("req") == req and m["t"] in ("ack", "error"))

    async def start_bag(self, host, bag, keyword="想要", winners=2, duration=60, min_watch=0,
                        **extra):
        r = await self.host_cmd(host, dict({"t": "bag_start", "bag": bag, "prize": "a mug",
                                            "keyword": keyword, "winners": winners,
                                            "duration": duration, "min_watch": min_watch},
                                           **extra))
        self.assertEqual(r["t"], "ack", r)
        return r

    def verify(self, bag, commit, seed, winners, participants, announced):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("\n".join(participants) + "\n")
            path = f.name
        try:
            p = subprocess.run([harness.find_binary(), "verify-draw", "--bag", bag, "--commit",
                                commit, "--seed", seed, "--winners", str(winners),
                                "--participants", path, "--announced", ",".join(announced)],
                               capture_output=True, text=True, timeout=30)
        finally:
            os.unlink(path)
        return p.returncode, p.stdout + p.stderr


class Bags(BagBase):

    @async_test(60)
    async def test_keyword_joins_draw_and_verify(self):
        room = "bag1"
        host = await self.connect(room, "host1", role="host")
        a = await self.connect(room, "a")
        a2 = await self.connect(room, "a")  # a second connection of uid a
        views = {u: await self.connect(room, u) for u in ("b", "c", "d", "e")}
        await self.start_bag(host, "mug1", winners=2)
        opened = await a.wait_msg(lambda m: m.get("t") == "bag")
        self.assertEqual((opened["state"], opened["bag"], opened["winners"]), ("open", "mug1", 2))
        self.assertIn("seq", opened)
        self.assertEqual(len(opened["commit"]), 64)
        self.assertNotIn("seed", opened)

        # a joins by keyword (with surrounding spaces: trimmed), again by keyword and by
        # bag_join from its second connection: counted once.
        await a.send({"t": "comment", "text": "  想要 "})
        j = await a.wait_msg(lambda m: m.get("t") == "bag" and m.get("joined") is True)
        self.assertNotIn("seq", j)
        await a.send({"t": "bag_join", "bag": "mug1"})
        await a2.send({"t": "bag_join", "bag": "mug1"})
        await a2.wait_msg(lambda m: m.get("t") == "bag" and m.get("joined") is True)
        for u in ("b", "c", "d"):
            await views[u].send({"t": "comment", "text": "想要"})
            await views[u].wait_msg(lambda m: m.get("t") == "bag" and m.get("joined") is True)
        # A comment that only contains the keyword does not join.
        await views["e"].send({"t": "comment", "text": "我想要这个"})
        await views["e"].wait_msg(lambda m: m.get("text") == "我想要这个")
        # An unknown bag id.
        await views["e"].send({"t": "bag_join", "bag": "nope", "req": "q1"})
        err = await views["e"].wait_msg(lambda m: m.get("req") == "q1")
        self.assertEqual((err["t"], err["code"]), ("error", "not_found"))
        await host.wait_msg(lambda m: m.get("t") == "bag_count" and m["count"] == 4)
        # Joins are in Redis before they are answered.
        members = self.redis.command("SMEMBERS", "lg:bag:bag1:mug1:p")
        self.assertEqual(sorted(members), ["a", "b", "c", "d"])

        # Hosts do not join; a late viewer sees the open bag in its welcome.
        late = await self.connect(room, "f")
        self.assertEqual(late.welcome["bag"]["bag"], "mug1")
        self.assertEqual(late.welcome["bag"]["joined"], False)
        a3 = await self.connect(room, "a")
        self.assertEqual(a3.welcome["bag"]["joined"], True)
        self.assertEqual(a3.welcome["bag"]["count"], 4)

        r = await self.host_cmd(host, {"t": "bag_draw", "bag": "mug1"})
        self.assertEqual(r["t"], "ack")
        drawn = await views["e"].wait_msg(lambda m: m.get("t") == "bag" and
                                          m.get("state") == "drawn")
        self.assertIn("seq", drawn)
        winners = drawn["winners"]
        self.assertEqual(len(winners), 2)
        self.assertEqual(len(set(winners)), 2)
        self.assertTrue(set(winners) <= {"a", "b", "c", "d"})
        self.assertEqual(drawn["commit"], opened["commit"])
        self.assertEqual(len(drawn["seed"]), 64)
        # The result was in Redis before the room heard of it.
        h = self.redis.command("HGETALL", "lg:bag:bag1:mug1")
        h = dict(zip(h[::2], h[1::2]))
        self.assertEqual(h["state"], "drawn")
        self.assertEqual(json.loads(h["winner_uids"]), winners)
        self.assertEqual(h["seed"], drawn["seed"])
        self.assertEqual(self.redis.command("SISMEMBER", "lg:bags", "bag1:mug1"), 0)

        # Every connection of a winner gets you_won; nobody else does.
        conns = {"a": [a, a2, a3], "b": [views["b"]], "c": [views["c"]], "d": [views["d"]]}
        for u in winners:
            for c in conns[u]:
                m = await c.wait_msg(lambda m: m.get("t") == "bag" and m.get("you_won") is True)
                self.assertNotIn("seq", m)
        # The room's drawn broadcast reaches a winner before its own you_won.
        for u in winners:
            for c in conns[u]:
                kinds = [m.get("state") if "you_won" not in m else "you_won"
                         for m in c.of("bag") if m.get("state") == "drawn"]
                self.assertEqual(kinds, ["drawn", "you_won"], c.name)
        await asyncio.sleep(0.3)
        for u in set(conns) - set(winners):
            for c in conns[u]:
                self.assertFalse([m for m in c.of("bag") if m.get("you_won")])
        self.assertFalse([m for m in views["e"].of("bag") if m.get("you_won")])

        # Anyone can check the draw: the participants from the endpoint, the commitment
        # and seed from the broadcasts.
        st, info = self.gw.http_json("GET", "/api/rooms/bag1/bags/mug1")
        self.assertEqual(st, 200)
        self.assertEqual(info["participants"], ["a", "b", "c", "d"])
        self.assertEqual(info["winners"], winners)
        rc, out = self.verify("mug1", opened["commit"], drawn["seed"], 2, info["participants"],
                              winners)
        self.assertEqual(rc, 0, out)
        self.assertIn("result: ok", out)
        # A tampered list (a participant swapped for an outsider) does not give these
        # winners, or a seed that is not the committed one is refused.
        tampered = [u for u in info["participants"] if u != winners[0]] + ["zz"]
        rc, out = self.verify("mug1", opened["commit"], drawn["seed"], 2, tampered, winners)
        self.assertEqual(rc, 1, out)
        rc, out = self.verify("mug1", opened["commit"], "0" * 64, 2, info["participants"], winners)
        self.assertEqual(rc, 1, out)

        # Drawn: joining is over, drawing again is a conflict, the room figures say so.
        await views["e"].send({"t": "bag_join", "bag": "mug1", "req": "q2"})
        err = await views["e"].wait_msg(lambda m: m.get("req") == "q2")
        self.assertEqual(err["code"], "ended")
        r = await self.host_cmd(host, {"t": "bag_draw", "bag": "mug1"})
        self.assertEqual((r["t"], r["code"]), ("error", "conflict"))
        st, room_info = self.gw.http_json("GET", "/api/rooms/bag1", bearer=self.gw.admin())
        self.assertEqual(room_info["bag"]["state"], "drawn")
        self.assertEqual(room_info["bag_joins"], 4)
        # A new bag may start now; its id may not repeat.
        r = await self.host_cmd(host, {"t": "bag_start", "bag": "mug1", "prize": "p",
                                       "keyword": "k", "winners": 1, "duration": 5,
                                       "min_watch": 0})
        self.assertEqual((r["t"], r["code"]), ("error", "conflict"))

    @async_test(40)
    async def test_min_watch_mute_and_everyone_wins(self):
        room = "bag2"
        host = await self.connect(room, "host2", role="host")
        v = await self.connect(room, "v1")
        m = await self.connect(room, "m1")
        await self.start_bag(host, "b2", keyword="go", winners=5, min_watch=2)
        await self.host_cmd(host, {"t": "mute", "uid": "m1", "secs": 60})
        await v.send({"t": "bag_join", "bag": "b2", "req": "j1"})
        err = await v.wait_msg(lambda x: x.get("req") == "j1")
        self.assertEqual((err["t"], err["code"]), ("error", "not_eligible"))
        await m.send({"t": "bag_join", "bag": "b2", "req": "j2"})
        err = await m.wait_msg(lambda x: x.get("req") == "j2")
        self.assertEqual(err["code"], "muted")
        await asyncio.sleep(2.1)
        await v.send({"t": "comment", "text": "go"})
        await v.wait_msg(lambda x: x.get("t") == "bag" and x.get("joined") is True)
        w = await self.connect(room, "w1")
        await asyncio.sleep(2.1)
        await w.send({"t": "bag_join", "bag": "b2"})
        await w.wait_msg(lambda x: x.get("t") == "bag" and x.get("joined") is True)
        # Two participants, five prizes: both win, once each.
        await self.host_cmd(host, {"t": "bag_draw", "bag": "b2"})
        d = await host.wait_msg(lambda x: x.get("t") == "bag" and x.get("state") == "drawn")
        self.assertEqual(sorted(d["winners"]), ["v1", "w1"])
        await v.wait_msg(lambda x: x.get("you_won") is True)
        await w.wait_msg(lambda x: x.get("you_won") is True)

    @async_test(40)
    async def test_timer_draw_and_rules(self):
        room = "bag3"
        host = await self.connect(room, "host3", role="host")
        x = await self.connect(room, "x1")
        y = await self.connect(room, "y1")
        z = await self.connect(room, "z1")
        # The timer draws by itself (duration 1 s); nobody joined: no winners.
        await self.start_bag(host, "t0", keyword="k0", winners=1, duration=1)
        d = await host.wait_msg(lambda m: m.get("t") == "bag" and m.get("state") == "drawn",
                                timeout=5)
        self.assertEqual(d["winners"], [])
        # x wins a bag...
        await self.start_bag(host, "t1", keyword="k1", winners=1, duration=1)
        await x.send({"t": "bag_join", "bag": "t1"})
        await x.wait_msg(lambda m: m.get("joined") is True)
        d = await host.wait_msg(lambda m: m.get("t") == "bag" and m.get("bag") == "t1" and
                                m.get("state") == "drawn", timeout=5)
        self.assertEqual(d["winners"], ["x1"])
        # ...so a "not won today" bag refuses x; "require comment" refuses y, who has not
        # commented, and takes z, who has.
        await self.start_bag(host, "t2", keyword="k2", winners=1, duration=30,
                             not_won_today=True, require=["comment"])
        await z.send({"t": "comment", "text": "hello"})
        await host.wait_msg(lambda m: m.get("text") == "hello")
        await x.send({"t": "bag_join", "bag": "t2", "req": "r1"})
        self.assertEqual((await x.wait_msg(lambda m: m.get("req") == "r1"))["code"],
                         "not_eligible")
        await y.send({"t": "bag_join", "bag": "t2", "req": "r2"})
        self.assertEqual((await y.wait_msg(lambda m: m.get("req") == "r2"))["code"],
                         "not_eligible")
        await z.send({"t": "bag_join", "bag": "t2"})
        await z.wait_msg(lambda m: m.get("joined") is True)
        self.assertIn("bag3:x1", self.redis.command("SMEMBERS",
                                                     "lg:wins:" + time.strftime("%Y%m%d")))
        # A second open bag in the same room is a conflict; a bad rule is bad_request.
        r = await self.host_cmd(host, {"t": "bag_start", "bag": "t3", "prize": "p",
                                       "keyword": "k", "winners": 1, "duration": 5,
                                       "min_watch": 0})
        self.assertEqual(r["code"], "conflict")
        r = await self.host_cmd(host, {"t": "bag_start", "bag": "t4", "prize": "p",
                                       "keyword": "k", "winners": 1, "duration": 5,
                                       "min_watch": 0, "require": ["dance"]})
        self.assertEqual(r["code"], "bad_request")
        # Viewers cannot start or draw bags.
        await y.send({"t": "bag_draw", "bag": "t2", "req": "r3"})
        self.assertEqual((await y.wait_msg(lambda m: m.get("req") == "r3"))["code"], "forbidden")


class BagRedisDown(BagBase):
    """Redis away: bag_start and joins are `unavailable` (nothing is counted), comments
    flow, and a draw that cannot be written waits for Redis and is announced after."""

    @async_test(60)
    async def test_redis_down(self):
        import shutil
        import subprocess
        room = "bagd"
        host = await self.connect(room, "hd", role="host")
        v = await self.connect(room, "v1")
        w = await self.connect(room, "w1")
        await self.start_bag(host, "d1", keyword="来", winners=1, duration=3)
        await v.send({"t": "bag_join", "bag": "d1"})
        await v.wait_msg(lambda m: m.get("joined") is True)
        port = self.redis.port
        self.redis.proc.kill()
        self.redis.proc.wait()
        await asyncio.sleep(0.5)
        await w.send({"t": "bag_join", "bag": "d1", "req": "j"})
        err = await w.wait_msg(lambda m: m.get("req") == "j")
        self.assertEqual((err["t"], err["code"]), ("error", "unavailable"))
        await w.send({"t": "comment", "text": "still here"})
        await host.wait_msg(lambda m: m.get("text") == "still here")
        # The timer passes while Redis is down: no announcement without the write.
        await asyncio.sleep(3.5)
        self.assertEqual([m for m in host.of("bag") if m.get("state") == "drawn"], [])
        # Redis comes back empty (no persistence here); the draw is written, then told.
        self.redis.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.redis.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        d = await host.wait_msg(lambda m: m.get("t") == "bag" and m.get("state") == "drawn",
                                timeout=15)
        self.assertEqual(d["winners"], ["v1"])
        self.assertEqual(self.redis.command("HGET", "lg:bag:bagd:d1", "state"), "drawn")
        await v.wait_msg(lambda m: m.get("you_won") is True)


class BagRestart(BagBase):
    """kill -9 with an open bag: the participants come back from Redis, joins go on,
    and the bag is drawn once, after its time."""

    @async_test(60)
    async def test_restart_during_open_bag(self):
        room = "bagr"
        host = await self.connect(room, "hr", role="host")
        vs = [await self.connect(room, f"p{i}") for i in range(5)]
        await self.start_bag(host, "rb", keyword="冲", winners=3, duration=6)
        for v in vs[:4]:
            await v.send({"t": "comment", "text": "冲"})
            await v.wait_msg(lambda m: m.get("joined") is True)
        commit = (await host.wait_msg(lambda m: m.get("t") == "bag"))["commit"]
        await self.close_clients()

        self.gw.cleanup()
        self.gw.start()
        self.wait_redis_up(self.gw)
        host = await self.connect(room, "hr", role="host")
        p0 = await self.connect(room, "p0")
        p4 = await self.connect(room, "p4")
        self.assertEqual(p0.welcome["bag"]["joined"], True)
        self.assertEqual(p0.welcome["bag"]["commit"], commit)
        self.assertEqual(p4.welcome["bag"]["joined"], False)
        self.assertEqual(p4.welcome["bag"]["count"], 4)
        await p4.send({"t": "bag_join", "bag": "rb"})
        await p4.wait_msg(lambda m: m.get("joined") is True)
        d = await host.wait_msg(lambda m: m.get("t") == "bag" and m.get("state") == "drawn",
                                timeout=15)
        self.assertEqual(len(d["winners"]), 3)
        self.assertEqual(d["commit"], commit)
        st, info = self.gw.http_json("GET", f"/api/rooms/{room}/bags/rb")
        self.assertEqual(info["participants"], ["p0", "p1", "p2", "p3", "p4"])
        rc, out = self.verify("rb", commit, d["seed"], 3, info["participants"], d["winners"])
        self.assertEqual(rc, 0, out)
        await self.close_clients()

        # Once drawn, a restart does not draw it again.
        self.gw.cleanup()
        self.gw.start()
        self.wait_redis_up(self.gw)
        v = await self.connect(room, "p9")
        self.assertIsNone(v.welcome["bag"])
        self.assertEqual(self.redis.command("SMEMBERS", "lg:bags"), [])


if __name__ == "__main__":
    harness.main()
