"""HTTP API: GET /api/rooms/<room> figures, 404 for a room never seen, bearer rules
(401/403), POST events (202, viewers get it; invalid JSON 400), /metrics and /healthz."""

import json
import time

import harness
from harness import GatewayCase, async_test, known_bug_under

ROOM_KEYS = {"online", "viewers", "likes", "comments", "card_clicks", "orders", "paid",
             "sales", "bag", "trust", "wecom"}


class HttpApi(GatewayCase):
    GW_ARGS = ["--conn-comment-rate", "100", "--comment-rate", "1000"]

    @async_test(30)
    async def test_room_figures(self):
        room = "api-fig"
        a = await self.connect(room, "ua")
        a2 = await self.connect(room, "ua")
        b = await self.connect(room, "ub")
        h = await self.connect(room, "host1", role="host")
        for n in (3, 4):
            await a.send({"t": "like", "n": n})
        await b.send({"t": "like", "n": 10})
        for i in range(3):
            await b.send({"t": "comment", "text": f"c{i}"})
        await a.send({"t": "comment", "text": "hi"})
        for i in range(4):
            await a2.send({"t": "card_click", "sku": "sku-1"})
        await h.wait_t("comment", 4)
        await h.wait_for(lambda c: c.likes() == 17, 5, "likes 17")
        await self.wait_until(lambda: self.gw.room_info(room)["card_clicks"] == 4, 5, "clicks")
        info = self.gw.room_info(room)
        self.assertLessEqual(ROOM_KEYS, set(info))
        self.assertEqual({k: info[k] for k in ("online", "viewers", "likes", "comments",
                                                "card_clicks", "orders", "paid")},
                         {"online": 2, "viewers": 2, "likes": 17, "comments": 4,
                          "card_clicks": 4, "orders": 0, "paid": 0})
        self.assertEqual(info["sales"], [])
        self.assertIsNone(info["bag"])
        self.assertLessEqual({"prompted", "shown", "clicked", "added"}, set(info["wecom"]))
        # `viewers` counts unique uids ever seen; `online` those connected now.
        await b.close()
        await self.wait_until(lambda: self.gw.room_info(room)["online"] == 1, 5, "online 1")
        c = await self.connect(room, "uc")
        info = self.gw.room_info(room)
        self.assertEqual((info["online"], info["viewers"]), (2, 3))
        await c.close()

    def test_never_seen_room_404_and_bad_path(self):
        st, body = self.gw.http_json("GET", "/api/rooms/never-seen-room", bearer=self.gw.admin())
        self.assertEqual(st, 404)
        self.assertEqual(body["code"], "not_found")
        st, _, _ = self.gw.http("GET", "/api/nothing", bearer=self.gw.admin())
        self.assertEqual(st, 404)
        st, _, _ = self.gw.http("GET", "/api/rooms/bad%20room", bearer=self.gw.admin())
        self.assertEqual(st, 400)

    @async_test(30)
    async def test_bearer_rules(self):
        room = "api-auth"
        await self.connect(room, "v1")   # the room exists
        g = self.gw
        cases = [
            (None, 401),
            ("", 401),
            ("garbage", 401),
            (harness.mint_token("ops", "admin", "*", secret="wrong"), 401),
            (g.token("ops", "admin", "*", exp=int(time.time()) - 120), 401),
            (g.token("v1", "viewer", room), 403),
            (g.token("v1", "viewer", "*"), 403),
            (g.token("h1", "host", "other-room"), 403),
            (g.token("ad", "admin", "other-room"), 403),
            (g.token("h1", "host", room), 200),
            (g.token("h1", "host", "*"), 200),
            (g.token("ad", "admin", room), 200),
            (g.token("ad", "admin", "*"), 200),
        ]
        for bearer, want in cases:
            st, _, _ = g.http("GET", f"/api/rooms/{room}", bearer=bearer)
            self.assertEqual(st, want, f"GET with {bearer!r}")
            if want != 200:
                # Refused before the body is read (accepted POSTs: see PostEvents).
                st, _, _ = g.http("POST", f"/api/rooms/{room}/events", bearer=bearer,
                                  body={"t": "notice", "text": "auth check"})
                self.assertEqual(st, want, f"POST with {bearer!r}")
        # "Basic" is not a bearer.
        st, _, _ = g.http("GET", f"/api/rooms/{room}",
                          headers={"Authorization": "Basic " + g.admin()})
        self.assertEqual(st, 401)
        self.assertEqual(g.room_info(room)["seq"], 0)

    @async_test(30)
    async def test_metrics_and_healthz(self):
        st, headers, body = self.gw.http("GET", "/healthz")
        self.assertEqual(st, 200)
        hz = json.loads(body)
        self.assertIs(hz["ok"], True)
        self.assertEqual(hz["threads"], 2)
        base = self.gw.metrics()
        for name in ("livegw_connections", "livegw_rooms", "livegw_frames_in_total",
                     "livegw_bytes_out_total", 'livegw_closes_total{code="1000"}',
                     'livegw_closes_total{code="4009"}',
                     'livegw_dropped_total{class="comment_sampled"}',
                     "livegw_token_failures_total"):
            self.assertIn(name, base)
        st, headers, _ = self.gw.http("GET", "/metrics")
        self.assertTrue(headers["content-type"].startswith("text/plain"))

        open_before = base["livegw_connections"]
        clients = [await self.connect("api-metrics", f"m{i}") for i in range(3)]
        self.assertEqual(self.gw.metric("livegw_connections"), open_before + 3)
        await clients[0].send({"t": "ping"})
        await clients[0].wait_t("pong", 1)
        self.assertGreaterEqual(self.gw.metric("livegw_frames_in_total"),
                                base["livegw_frames_in_total"] + 1)
        for c in clients:
            await c.close()
        await self.wait_until(
            lambda: self.gw.metric("livegw_connections") == open_before, 5, "connections back")
        self.assertEqual(self.gw.metric('livegw_closes_total{code="1000"}'),
                         base['livegw_closes_total{code="1000"}'] + 3)
        # A refused handshake counts as a token failure.
        self.gw.handshake(harness.ws_query("api-metrics", "bad.token"))
        self.assertEqual(self.gw.metric("livegw_token_failures_total"),
                         base["livegw_token_failures_total"] + 1)



# POST /api/rooms/<room>/events (a regression test, too: the gateway once freed the
# session twice here, caught by ASan).
class PostEvents(GatewayCase):
    @async_test(30)
    async def test_post_events(self):
        room = "api-post"
        viewers = [await self.connect(room, f"v{i}") for i in range(4)]
        host_token = self.gw.token("h1", "host", room)
        st, body = self.gw.post_event(room, {"t": "notice", "text": "  sale at 8pm  "},
                                      bearer=host_token)
        self.assertEqual(st, 202, body)
        for v in viewers:
            n = await v.wait_msg(lambda m: m.get("t") == "notice")
            self.assertEqual(n, {"t": "notice", "seq": 1, "text": "sale at 8pm"})
        # Invalid bodies: 400 with a JSON error; nothing broadcast.
        for body in ("{", "[]", '{"t":"notice"}', '{"t":"comment","text":"x"}',
                     '{"t":"dance"}', b"\xff\xfe", ""):
            st, _, data = self.gw.http("POST", f"/api/rooms/{room}/events", body=body,
                                       bearer=host_token)
            self.assertEqual(st, 400, f"{body!r}: {data!r}")
            self.assertEqual(json.loads(data)["code"], "bad_request")
        st, _, _ = self.gw.http("POST", f"/api/rooms/{room}/events", body="x" * 20000,
                                bearer=host_token)
        self.assertEqual(st, 413)
        # A request with a req gets its effect and 202 as well.
        st, _ = self.gw.post_event(room, {"t": "notice", "text": "second", "req": "p2"})
        self.assertEqual(st, 202)
        n2 = await viewers[0].wait_msg(lambda m: m.get("text") == "second")
        self.assertEqual(n2["seq"], 2)
        self.assertEqual([m["seq"] for m in viewers[0].seqd()], [1, 2])
        self.assert_no_sanitizer_report()

    @async_test(30)
    async def test_host_commands_by_http(self):
        room = "api-post-cmds"
        v = await self.connect(room, "v1")
        w = await self.connect(room, "v2")
        g = self.gw
        card = {"sku": "sku-1", "title": "T", "price": 100, "live_price": 90,
                "image": "https://i/1.jpg", "path": "/p/1"}
        for bearer in (g.token("h1", "host", room), g.token("h1", "host", "*"),
                       g.token("ad", "admin", room)):
            st, body = g.post_event(room, dict(card, t="card"), bearer=bearer)
            self.assertEqual(st, 202, body)
        await v.wait_t("card", 3)
        self.assertEqual(v.of("card")[0], dict(card, t="card", seq=1))
        late = await self.connect(room, "late")
        self.assertEqual(late.welcome["card"], card)
        # mute by HTTP
        st, _ = g.post_event(room, {"t": "mute", "uid": "v1", "secs": 30})
        self.assertEqual(st, 202)
        await v.send({"t": "comment", "text": "x", "req": "c1"})
        e = await v.wait_msg(lambda m: m.get("t") == "error")
        self.assertEqual((e["code"], e["req"]), ("muted", "c1"))
        # delete by HTTP: unknown id 404, known id 202 and broadcast
        await w.send({"t": "comment", "text": "to delete"})
        c = await v.wait_msg(lambda m: m.get("t") == "comment")
        st, body = g.post_event(room, {"t": "delete", "id": "424242"})
        self.assertEqual(st, 404, body)
        self.assertEqual(body["code"], "not_found")
        st, _ = g.post_event(room, {"t": "delete", "id": c["id"]})
        self.assertEqual(st, 202)
        d = await w.wait_msg(lambda m: m.get("t") == "comment_deleted")
        self.assertEqual(d, {"t": "comment_deleted", "seq": c["seq"] + 1, "id": c["id"]})
        self.assert_no_sanitizer_report()


class WithRedis(harness.RedisGatewayCase):
    """The gateway started against a real, private redis-server (orders will live there)."""

    @async_test(20)
    async def test_serves_with_redis(self):
        self.assertEqual(self.redis.command("PING"), "PONG")
        v = await self.connect("api-redis", "v1")
        self.assertEqual(v.welcome["sales"], [])
        await v.send({"t": "order", "sale": "s1", "qty": 1, "req": "o1"})
        o = await v.wait_msg(lambda m: m.get("t") in ("order", "error"))
        self.assertEqual((o["t"], o["req"], o["ok"]), ("order", "o1", False))
        self.assertEqual(self.redis.command("PING"), "PONG")


if __name__ == "__main__":
    harness.main()
