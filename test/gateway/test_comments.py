"""Comments: one comment reaches every viewer of its room on both worker threads and
no one in another room; text trimmed; nick or uid shown; the 200 code point limit."""

import asyncio
import urllib.parse

import harness
from harness import GatewayCase, async_test

COMMENT_KEYS = {"t", "seq", "id", "uid", "nick", "text", "ts"}


class Comments(GatewayCase):
    # Several comments per connection in a few tests, and no sampling in this room size.
    GW_ARGS = ["--conn-comment-rate", "100", "--comment-rate", "1000"]

    @async_test(40)
    async def test_reaches_every_viewer_of_its_room_only(self):
        # 20 viewers: SO_REUSEPORT spreads connections over both worker threads (all 20
        # on one thread has probability 2 * 2^-20), so the comment crosses threads.
        room, other = "cm-main", "cm-other"
        viewers = await asyncio.gather(*(self.connect(room, f"v{i}") for i in range(20)))
        host = await self.connect(room, "host1", role="host")
        outsiders = await asyncio.gather(*(self.connect(other, f"o{i}") for i in range(3)))
        other_host = await self.connect(other, "host2", role="host")

        await viewers[7].send({"t": "comment", "text": "  hello room \t"})
        for c in viewers + [host]:
            await c.wait_t("comment", 1)
        first = viewers[0].of("comment")[0]
        self.assertEqual(set(first), COMMENT_KEYS)
        self.assertEqual((first["seq"], first["uid"], first["nick"], first["text"]),
                         (1, "v7", "v7", "hello room"))
        self.assertIsInstance(first["ts"], int)
        self.assertTrue(first["id"])
        for c in viewers + [host]:
            self.assertEqual(c.of("comment"), [first], c.name)

        # A marker in the other room: everything published there before it has arrived
        # when it does, so the outsiders' streams are complete.
        await other_host.send({"t": "notice", "text": "marker"})
        for c in outsiders:
            await c.wait_t("notice", 1)
            self.assertEqual(c.of("comment"), [], c.name)
            self.assertEqual([m["t"] for m in c.seqd()], ["notice"])
            self.assertEqual(c.of("notice")[0]["seq"], 1)

    @async_test(30)
    async def test_nick_or_uid_and_trimming(self):
        room = "cm-nick"
        long_nick = "名" * 40
        a = await self.connect(room, "ua", nick="小明")
        b = await self.connect(room, "ub")
        c = await self.connect(room, "uc", nick=long_nick)
        d = await self.connect(room, "ud", nick="   ")      # empty after trimming: the uid
        await a.send({"t": "comment", "text": "\u3000 你好 \u00a0"})
        await b.send({"t": "comment", "text": "plain"})
        await c.send({"t": "comment", "text": "x"})
        await d.send({"t": "comment", "text": "\n\ty\u2003"})
        got = await a.wait_t("comment", 4)
        by_uid = {m["uid"]: m for m in got}
        self.assertEqual((by_uid["ua"]["nick"], by_uid["ua"]["text"]), ("小明", "你好"))
        self.assertEqual((by_uid["ub"]["nick"], by_uid["ub"]["text"]), ("ub", "plain"))
        self.assertEqual(by_uid["uc"]["nick"], "名" * 32)
        self.assertEqual((by_uid["ud"]["nick"], by_uid["ud"]["text"]), ("ud", "y"))
        self.assertEqual(sorted(m["seq"] for m in got), [1, 2, 3, 4])
        self.assertEqual(len({m["id"] for m in got}), 4)

    @async_test(30)
    async def test_length_limit_in_code_points(self):
        room = "cm-len"
        a = await self.connect(room, "ua")
        b = await self.connect(room, "ub")
        await a.send({"t": "comment", "text": "字" * 201, "req": "too-long"})
        err = await a.wait_msg(lambda m: m.get("t") == "error")
        self.assertEqual((err["code"], err["req"]), ("bad_request", "too-long"))
        await a.send({"t": "comment", "text": " \t\u3000 ", "req": "empty"})
        await a.wait_t("error", 2)
        self.assertEqual((a.of("error")[1]["code"], a.of("error")[1]["req"]),
                         ("bad_request", "empty"))
        # Exactly 200 CJK characters (600 bytes) pass, and so do 200 after trimming.
        await a.send({"t": "comment", "text": "字" * 200, "req": "ok"})
        await a.send({"t": "comment", "text": "  " + "é" * 200 + "  "})
        got = await b.wait_t("comment", 2)
        self.assertEqual(got[0]["text"], "字" * 200)
        self.assertEqual(got[1]["text"], "é" * 200)
        self.assertEqual([m["seq"] for m in got], [1, 2])
        await a.wait_t("comment", 2)
        self.assertEqual(len(a.of("error")), 2)
        self.assertEqual(b.of("error"), [])

    @async_test(30)
    async def test_author_gets_its_own_comment_in_order(self):
        room = "cm-own"
        a = await self.connect(room, "ua")
        for i in range(10):
            await a.send({"t": "comment", "text": f"c{i}"})
        got = await a.wait_t("comment", 10)
        self.assertEqual([m["text"] for m in got], [f"c{i}" for i in range(10)])
        self.assertEqual([m["seq"] for m in got], list(range(1, 11)))
        self.assertEqual(self.gw.room_info(room)["comments"], 10)

    @async_test(20)
    async def test_nick_url_encoding(self):
        room = "cm-enc"
        nick = "A&B=C %"
        a = await self.connect(room, "ua", nick=nick)
        await a.send({"t": "comment", "text": "hi"})
        m = (await a.wait_t("comment", 1))[0]
        self.assertEqual(m["nick"], nick)
        self.assertEqual(urllib.parse.quote(nick, safe=""), "A%26B%3DC%20%25")


if __name__ == "__main__":
    harness.main()
