"""Bad client input: each kind answered as the contract says, the connection kept open
(bad_request) or closed with its code (1003, 1007, 1009, 4008), and other clients of the
same room unaffected."""

import asyncio
import json

import harness
from harness import GatewayCase, async_test, OP_BINARY, OP_TEXT, OP_PING, OP_PONG

BAD_REQUESTS = [
    # (frame text, expected msg, expected echoed req or None)
    ('{"t":"comment","text":"x"', "not valid JSON", None),
    ("hello", "not valid JSON", None),
    ('{"t":"like","n":1e400}', "not valid JSON", None),
    ('[{"t":"ping"}]', "not a JSON object", None),
    ('"ping"', "not a JSON object", None),
    ("42", "not a JSON object", None),
    ("null", "not a JSON object", None),
    ('{"t":"dance","req":"r1"}', "unknown message type", "r1"),
    ('{"req":"r2"}', "missing or invalid field: t", "r2"),
    ('{"t":5,"req":"r3"}', "missing or invalid field: t", "r3"),
    ('{"t":"comment","req":"r4"}', "missing or invalid field: text", "r4"),
    ('{"t":"comment","text":5,"req":"r5"}', "missing or invalid field: text", "r5"),
    ('{"t":"comment","text":null,"req":"r6"}', "missing or invalid field: text", "r6"),
    ('{"t":"like","n":"5","req":"r7"}', "missing or invalid field: n", "r7"),
    ('{"t":"like","n":5.0,"req":"r8"}', "missing or invalid field: n", "r8"),
    ('{"t":"like","req":"r9"}', "missing or invalid field: n", "r9"),
    ('{"t":"ping","t":"ping","req":"r10"}', "duplicate key in object", None),
    ('{"t":"ping","req":"' + "r" * 65 + '"}', "missing or invalid field: req", None),
    ('{"t":"ping","req":""}', "missing or invalid field: req", None),
    ('{"t":"ping","req":5}', "missing or invalid field: req", None),
    ('{"t":"card_click","sku":"bad sku","req":"r11"}', "missing or invalid field: sku", "r11"),
]


class BadInput(GatewayCase):
    GW_ARGS = ["--abuse-limit", "100"]

    @async_test(30)
    async def test_bad_requests_keep_the_connection(self):
        room = "bad-json"
        v = await self.connect(room, "v1")
        peer = await self.connect(room, "v2")
        for text, _, _ in BAD_REQUESTS:
            await v.send(text)
        errs = await v.wait_t("error", len(BAD_REQUESTS))
        self.assertEqual(len(errs), len(BAD_REQUESTS))
        for e, (text, msg, req) in zip(errs, BAD_REQUESTS):
            self.assertEqual(e["code"], "bad_request", text)
            self.assertEqual(e["msg"], msg, text)
            if req is None:
                self.assertNotIn("req", e, text)
            else:
                self.assertEqual(e["req"], req, text)
        # Still open and serving: a req of exactly 64 characters is echoed by pong?
        # No: pong carries no req. ping -> pong, and a comment reaches the peer.
        await v.send({"t": "ping", "req": "q" * 64})
        await v.wait_t("pong", 1)
        self.assertEqual(v.of("pong")[0], {"t": "pong"})
        await v.send({"t": "comment", "text": "still here"})
        m = await peer.wait_msg(lambda m: m.get("t") == "comment")
        self.assertEqual((m["uid"], m["text"]), ("v1", "still here"))
        self.assertIsNone(v.close_code)
        self.assertEqual(peer.of("error"), [])
        self.assertEqual(len(v.of("error")), len(BAD_REQUESTS))

    @async_test(20)
    async def test_req_of_64_echoed(self):
        v = await self.connect("bad-req", "v1")
        await v.send({"t": "dance", "req": "q" * 64})
        e = await v.wait_msg(lambda m: m.get("t") == "error")
        self.assertEqual((e["code"], e["req"]), ("bad_request", "q" * 64))

    @async_test(20)
    async def test_viewer_sending_host_commands_forbidden(self):
        room = "bad-role"
        v = await self.connect(room, "v1")
        cmds = [{"t": "notice", "text": "hi"}, {"t": "card_clear"},
                {"t": "mute", "uid": "x", "secs": 5}, {"t": "delete", "id": "1"},
                {"t": "card", "sku": "s", "title": "t", "price": 1, "live_price": 1,
                 "image": "i", "path": "p"}]
        for i, c in enumerate(cmds):
            await v.send(dict(c, req=f"h{i}"))
        errs = await v.wait_t("error", len(cmds))
        self.assertEqual([(e["code"], e["req"]) for e in errs],
                         [("forbidden", f"h{i}") for i in range(len(cmds))])
        self.assertEqual(v.seqd(), [])
        self.assertEqual(self.gw.room_info(room)["seq"], 0)

    @async_test(20)
    async def test_ping_pong(self):
        v = await self.connect("bad-ping", "v1")
        for _ in range(3):
            await v.send({"t": "ping"})
        await v.wait_t("pong", 3)
        self.assertEqual(v.of("pong"), [{"t": "pong"}] * 3)
        # WebSocket-level ping frames are answered too.
        pong_waiter = await v.ws.ping(b"abc")
        await asyncio.wait_for(pong_waiter, 5)

    async def closed_with(self, frame_fn, code, room):
        peer = await self.connect(room, "peer")
        r = await asyncio.to_thread(self.raw, room, "rawv")
        welcome = await asyncio.to_thread(r.read_messages, 1)
        self.assertEqual(welcome[0]["t"], "welcome")
        await asyncio.to_thread(frame_fn, r)
        msgs, got, _eof = await asyncio.to_thread(r.read_until_close, 10)
        self.assertEqual(got, code, f"messages before the close: {msgs}")
        # The peer is unaffected.
        await peer.send({"t": "comment", "text": "after"})
        m = await peer.wait_msg(lambda m: m.get("t") == "comment")
        self.assertEqual(m["text"], "after")
        self.assertIsNone(peer.close_code)
        await self.metric_at_least(f'livegw_closes_total{{code="{code}"}}', 1)

    @async_test(30)
    async def test_binary_frame_closes_1003(self):
        await self.closed_with(lambda r: r.send_frame(OP_BINARY, b'{"t":"ping"}'), 1003,
                               "bad-bin")

    @async_test(30)
    async def test_invalid_utf8_closes_1007(self):
        await self.closed_with(
            lambda r: r.send_frame(OP_TEXT, b'{"t":"comment","text":"\xff\xfe"}'), 1007,
            "bad-utf8")

    @async_test(30)
    async def test_overlong_utf8_closes_1007(self):
        await self.closed_with(
            lambda r: r.send_frame(OP_TEXT, b'{"t":"comment","text":"\xc0\xaf"}'), 1007,
            "bad-utf8-2")

    @async_test(30)
    async def test_frame_over_4096_closes_1009(self):
        big = json.dumps({"t": "comment", "text": "x" * 5000}).encode()
        await self.closed_with(lambda r: r.send_frame(OP_TEXT, big), 1009, "bad-big")

    @async_test(30)
    async def test_fragmented_frame_over_4096_closes_1009(self):
        def send(r):
            r.send_frame(OP_TEXT, b'{"t":"comment","text":"' + b"y" * 3000, fin=False)
            r.send_frame(0, b"y" * 3000 + b'"}', fin=True)
        await self.closed_with(send, 1009, "bad-frag")

    @async_test(30)
    async def test_frame_of_exactly_4096_accepted(self):
        room = "bad-4096"
        r = await asyncio.to_thread(self.raw, room, "rawv")
        await asyncio.to_thread(r.read_messages, 1)
        head = b'{"t":"ping","pad":"'
        frame = head + b"p" * (4096 - len(head) - 2) + b'"}'
        self.assertEqual(len(frame), 4096)
        # A fragmented message that fits is reassembled.
        await asyncio.to_thread(r.send_frame, OP_TEXT, frame)
        await asyncio.to_thread(r.send_frame, OP_TEXT, b'{"t":', False)
        await asyncio.to_thread(r.send_frame, 0, b'"ping"}', True)
        msgs = await asyncio.to_thread(r.read_messages, 2)
        self.assertEqual(msgs, [{"t": "pong"}, {"t": "pong"}])


class Abuse(GatewayCase):
    ABUSE = 5
    GW_ARGS = ["--abuse-limit", str(ABUSE), "--conn-comment-rate", "1"]

    @async_test(30)
    async def test_comment_flood_rate_limited_then_4008(self):
        room = "abuse"
        peer = await self.connect(room, "peer")
        v = await self.connect(room, "flooder")
        # Exactly enough to be closed: 5 pass, then abuse-limit + 1 refusals. (More
        # would race with the close.)
        for i in range(5 + self.ABUSE + 1):
            await v.send({"t": "comment", "text": f"spam {i}", "req": f"s{i}"})
        code = await v.wait_closed(10)
        self.assertEqual(code, 4008)
        errs = v.of("error")
        # The comment burst is 5x the rate (5 pass), then each refusal counts; the
        # (abuse-limit + 1)th refusal closes.
        self.assertEqual([e["code"] for e in errs], ["rate_limited"] * (self.ABUSE + 1))
        self.assertEqual([e["req"] for e in errs], [f"s{i}" for i in range(5, 5 + self.ABUSE + 1)])
        # The five accepted comments reach the room. The flooder itself may be closed
        # before the tick that carries them (an abuse close does not wait for the room
        # stream), so it sees at most those five, in order.
        own = [m["text"] for m in v.of("comment")]
        self.assertEqual(own, [f"spam {i}" for i in range(len(own))])
        self.assertLessEqual(len(own), 5)
        got = await peer.wait_t("comment", 5)
        self.assertEqual([m["text"] for m in got], [f"spam {i}" for i in range(5)])
        self.assertEqual([m["seq"] for m in got], [1, 2, 3, 4, 5])
        await peer.send({"t": "ping"})
        await peer.wait_t("pong", 1)
        self.assertEqual(len(peer.of("comment")), 5)
        self.assertIsNone(peer.close_code)
        await self.metric_at_least('livegw_closes_total{code="4008"}', 1)
        self.assertGreaterEqual(self.gw.metric("livegw_rate_limited_total"), self.ABUSE + 1)

    @async_test(30)
    async def test_bad_requests_count_as_abuse(self):
        v = await self.connect("abuse-2", "bad")
        for i in range(self.ABUSE + 1):
            await v.send("{")
        self.assertEqual(await v.wait_closed(10), 4008)
        self.assertEqual(len(v.of("error")), self.ABUSE + 1)


if __name__ == "__main__":
    harness.main()
