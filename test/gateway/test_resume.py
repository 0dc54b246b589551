"""Resume with since: welcome first, then exactly the missed high-priority room events
in order; since ahead of the room replays nothing; since older than the replay window
gets a targeted notice with code replay_gap right after welcome."""

import harness
from harness import GatewayCase, async_test

K = 7
WINDOW = 16
_req = 0


class Resume(GatewayCase):
    GW_ARGS = ["--replay-events", str(WINDOW), "--conn-comment-rate", "100",
               "--comment-rate", "1000"]

    async def notices(self, host, texts):
        """Sends the notices and waits for the last one's ack, so the room holds
        them before the test goes on (the host and a viewer may sit on different
        worker threads)."""
        global _req
        for t in texts:
            _req += 1
            await host.send({"t": "notice", "text": t, "req": f"n{_req}"})
        want = f"n{_req}"
        await host.wait_msg(lambda m: m.get("t") == "ack" and m.get("req") == want)

    @async_test(30)
    async def test_replays_exactly_the_missed_events(self):
        room = "res-main"
        host = await self.connect(room, "host1", role="host")
        await self.notices(host, ["before-1", "before-2"])
        v = await self.connect(room, "v1")
        self.assertEqual(v.welcome["seq"], 2)
        await self.notices(host, ["seen"])
        seen = await v.wait_msg(lambda m: m.get("t") == "notice")
        last = seen["seq"]
        self.assertEqual(last, 3)
        await v.close()

        texts = [f"missed-{i}" for i in range(K)]
        await self.notices(host, texts)
        await host.wait_t("notice", 3 + K)
        # Low-priority traffic meanwhile (likes, others' comments) is not replayed.
        other = await self.connect(room, "v2")
        await other.send({"t": "comment", "text": "someone else's comment"})
        await other.send({"t": "like", "n": 5})
        await host.wait_t("comment", 1)

        back = await self.connect(room, "v1", since=last)
        w = back.welcome
        self.assertEqual(w["seq"], 3 + K + 1)
        got = await back.wait_t("notice", K)
        self.assertEqual(back.msgs[0]["t"], "welcome")
        replayed = back.msgs[1:1 + K]
        self.assertEqual([m["t"] for m in replayed], ["notice"] * K)
        self.assertEqual([m["text"] for m in replayed], texts)
        self.assertEqual([m["seq"] for m in replayed], list(range(last + 1, last + 1 + K)))
        # A new event after the replay continues the sequence.
        await self.notices(host, ["live"])
        live = await back.wait_msg(lambda m: m.get("text") == "live")
        self.assertEqual(live["seq"], w["seq"] + 1)
        # seq 11 is the other viewer's comment: low priority, not replayed.
        self.assertEqual([m["seq"] for m in back.seqd()],
                         list(range(last + 1, last + 1 + K)) + [w["seq"] + 1])
        self.assertEqual(len(got), K)

    @async_test(30)
    async def test_since_equal_or_ahead_replays_nothing(self):
        for i, since in enumerate((3, 4, 1000, 18446744073709551615)):
            room = f"res-ahead-{i}"
            host = await self.connect(room, "host1", role="host")
            await self.notices(host, ["a", "b", "c"])
            await host.wait_t("notice", 3)
            v = await self.connect(room, "v1", since=since)
            self.assertEqual(v.welcome["seq"], 3)
            await self.notices(host, ["after"])
            m = await v.wait_msg(lambda m: m.get("t") == "notice")
            self.assertEqual((m["text"], m["seq"]), ("after", 4))
            self.assertEqual([x["t"] for x in v.msgs if x["t"] not in ("online", "likes")],
                             ["welcome", "notice"], f"since={since}")

    @async_test(30)
    async def test_since_older_than_window_gets_replay_gap(self):
        room = "res-gap"
        host = await self.connect(room, "host1", role="host")
        total = WINDOW + 9
        await self.notices(host, [f"n{i}" for i in range(total)])
        await host.wait_t("notice", total)
        v = await self.connect(room, "v1", since=2)
        self.assertEqual(v.welcome["seq"], total)
        gap = await v.wait_msg(lambda m: m.get("t") == "notice")
        self.assertIs(v.msgs[1], gap)
        self.assertEqual(gap.get("code"), "replay_gap")
        self.assertNotIn("seq", gap)
        self.assertTrue(gap["text"])
        # What is still in the window follows, in order and ending at welcome.seq.
        await self.notices(host, ["live"])
        await v.wait_msg(lambda m: m.get("text") == "live")
        seqs = [m["seq"] for m in v.seqd()]
        self.assertEqual(seqs[-1], total + 1)
        self.assertEqual(seqs, list(range(seqs[0], total + 2)))
        self.assertGreater(seqs[0], 3)
        self.assertEqual(len(v.of("notice")), len(seqs) + 1)
        # since inside the window: no gap notice.
        w = await self.connect(room, "v2", since=total - 3)
        await self.notices(host, ["live2"])
        await w.wait_msg(lambda m: m.get("text") == "live2")
        self.assertEqual([m.get("code") for m in w.of("notice")], [None] * 5)
        self.assertEqual([m["seq"] for m in w.seqd()], list(range(total - 2, total + 3)))

    @async_test(30)
    async def test_replay_includes_cards_deletes_and_own_comments(self):
        room = "res-kinds"
        host = await self.connect(room, "host1", role="host")
        me = await self.connect(room, "me")
        other = await self.connect(room, "other")
        since = me.welcome["seq"]
        await me.close()
        await other.send({"t": "comment", "text": "not mine"})                        # seq 1
        await host.wait_t("comment", 1)
        await host.send({"t": "card", "sku": "s1", "title": "T", "price": 1,
                         "live_price": 1, "image": "i", "path": "p"})             # seq 2
        await host.wait_t("card", 1)
        me2 = await self.connect(room, "me")        # a second connection of the same uid
        await me2.send({"t": "comment", "text": "mine"})                              # seq 3
        mine = await host.wait_msg(lambda m: m.get("text") == "mine")
        await host.send({"t": "card_clear"})                                          # seq 4
        await host.send({"t": "notice", "text": "hello"})                             # seq 5
        await host.wait_t("notice", 1)
        back = await self.connect(room, "me", since=since)
        self.assertEqual(back.welcome["seq"], 5)
        await back.wait_for(lambda c: len(c.seqd()) >= 4, 5, "4 replayed events")
        rep = back.seqd()
        self.assertEqual([(m["t"], m["seq"]) for m in rep],
                         [("card", 2), ("comment", 3), ("card", 4), ("notice", 5)])
        self.assertEqual(rep[1]["id"], mine["id"])
        self.assertIsNone(rep[2]["sku"])


if __name__ == "__main__":
    harness.main()
