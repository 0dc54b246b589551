"""Mute and delete: a muted uid's comments are refused with `muted` (others unaffected),
secs 0 lifts; delete broadcasts comment_deleted with a new seq, an unknown id is
not_found with req echoed, and a deleted comment leaves the replay log."""

import harness
from harness import GatewayCase, async_test


class Moderation(GatewayCase):
    GW_ARGS = ["--conn-comment-rate", "100", "--comment-rate", "1000"]

    @async_test(30)
    async def test_mute_and_unmute(self):
        room = "mod-mute"
        host = await self.connect(room, "host1", role="host")
        bad = await self.connect(room, "troll")
        bad2 = await self.connect(room, "troll")           # every connection of the uid
        good = await self.connect(room, "nice")
        await host.send({"t": "mute", "uid": "troll", "secs": 60, "req": "m1"})
        self.assertEqual(await host.wait_msg(lambda m: m.get("t") == "ack"), {"t": "ack", "req": "m1"})
        await bad.send({"t": "comment", "text": "spam", "req": "c1"})
        await bad2.send({"t": "comment", "text": "spam2", "req": "c2"})
        await good.send({"t": "comment", "text": "hello"})
        e1 = await bad.wait_msg(lambda m: m.get("t") == "error")
        e2 = await bad2.wait_msg(lambda m: m.get("t") == "error")
        self.assertEqual((e1["code"], e1["req"]), ("muted", "c1"))
        self.assertEqual((e2["code"], e2["req"]), ("muted", "c2"))
        c = await bad.wait_msg(lambda m: m.get("t") == "comment")
        self.assertEqual((c["uid"], c["text"], c["seq"]), ("nice", "hello", 1))
        # Muting another uid in another room does not touch this one; unmute lifts.
        await host.send({"t": "mute", "uid": "troll", "secs": 0, "req": "m2"})
        await host.wait_t("ack", 2)
        await bad.send({"t": "comment", "text": "sorry"})
        c2 = await good.wait_msg(lambda m: m.get("text") == "sorry")
        self.assertEqual((c2["uid"], c2["seq"]), ("troll", 2))
        self.assertEqual(len(bad.of("error")), 1)
        # A second mute, of the other viewer (mutes through the HTTP API are tested in
        # test_http_api.py).
        await host.send({"t": "mute", "uid": "nice", "secs": 30, "req": "m3"})
        await host.wait_t("ack", 3)
        await good.send({"t": "comment", "text": "x", "req": "c3"})
        e3 = await good.wait_msg(lambda m: m.get("t") == "error")
        self.assertEqual((e3["code"], e3["req"]), ("muted", "c3"))
        # Only host commands mute: a viewer gets forbidden.
        await bad.send({"t": "mute", "uid": "nice", "secs": 0, "req": "v"})
        e4 = await bad.wait_msg(lambda m: m.get("t") == "error" and m.get("req") == "v")
        self.assertEqual(e4["code"], "forbidden")
        # Mutes are per room.
        elsewhere = await self.connect("mod-mute-2", "nice")
        await elsewhere.send({"t": "comment", "text": "free here"})
        await elsewhere.wait_t("comment", 1)
        self.assertEqual(elsewhere.of("error"), [])

    @async_test(30)
    async def test_delete(self):
        room = "mod-del"
        host = await self.connect(room, "host1", role="host")
        a = await self.connect(room, "ua")
        b = await self.connect(room, "ub")
        await a.send({"t": "comment", "text": "keep"})
        await a.send({"t": "comment", "text": "remove me"})
        await b.wait_t("comment", 2)
        keep, rm = b.of("comment")
        await host.send({"t": "delete", "id": rm["id"], "req": "d1"})
        for c in (host, a, b):
            d = await c.wait_msg(lambda m: m.get("t") == "comment_deleted")
            self.assertEqual(d, {"t": "comment_deleted", "seq": 3, "id": rm["id"]})
        await host.wait_msg(lambda m: m.get("t") == "ack" and m.get("req") == "d1")
        # Unknown ids: not_found, req echoed; nothing broadcast.
        for i, cid in enumerate(("999999", "nope", "0")):
            await host.send({"t": "delete", "id": cid, "req": f"u{i}"})
        errs = await host.wait_t("error", 3)
        self.assertEqual([(e["code"], e["req"]) for e in errs],
                         [("not_found", "u0"), ("not_found", "u1"), ("not_found", "u2")])
        await host.send({"t": "delete", "id": keep["id"]})
        d2 = await b.wait_msg(lambda m: m.get("t") == "comment_deleted" and m["id"] == keep["id"])
        self.assertEqual(d2["seq"], 4)
        self.assertEqual(len(b.of("comment_deleted")), 2)
        self.assertEqual(self.gw.room_info(room)["seq"], 4)

    @async_test(30)
    async def test_deleted_comment_not_replayed(self):
        room = "mod-replay"
        host = await self.connect(room, "host1", role="host")
        a = await self.connect(room, "author")
        since = a.welcome["seq"]
        await a.send({"t": "comment", "text": "first"})     # seq 1
        await a.send({"t": "comment", "text": "second"})    # seq 2
        await host.wait_t("comment", 2)
        first, second = host.of("comment")
        await a.close()
        await host.send({"t": "delete", "id": first["id"]})  # seq 3
        await host.wait_t("comment_deleted", 1)
        # The author resumes: its own comments are replayed, except the deleted one.
        back = await self.connect(room, "author", since=since)
        self.assertEqual(back.welcome["seq"], 3)
        await back.wait_for(lambda c: len(c.seqd()) >= 2, 5, "2 replayed events")
        await host.send({"t": "notice", "text": "end"})     # seq 4
        await back.wait_msg(lambda m: m.get("text") == "end")
        self.assertEqual([(m["t"], m["seq"]) for m in back.seqd()],
                         [("comment", 2), ("comment_deleted", 3), ("notice", 4)])
        self.assertEqual(back.seqd()[0]["id"], second["id"])
        # Another viewer resuming gets neither comment (others' comments are low
        # priority) but does get the deletion.
        other = await self.connect(room, "other", since=since)
        await other.wait_for(lambda c: len(c.seqd()) >= 2, 5, "2 replayed events")
        self.assertEqual([(m["t"], m["seq"]) for m in other.seqd()],
                         [("comment_deleted", 3), ("notice", 4)])


if __name__ == "__main__":
    harness.main()
