"""welcome: first message, its fields, and how `online` counts (distinct viewer uids,
the new viewer included, hosts and admins not counted)."""

import harness
from harness import GatewayCase, async_test

WELCOME_KEYS = {"t", "uid", "room", "role", "seq", "online", "likes", "card", "sales", "bag"}


class Welcome(GatewayCase):

    @async_test(30)
    async def test_fields_of_a_fresh_room(self):
        v = await self.connect("wel-fresh", "alice")
        w = v.welcome
        self.assertEqual(set(w), WELCOME_KEYS)
        self.assertEqual(w, {"t": "welcome", "uid": "alice", "room": "wel-fresh", "role": "viewer",
                             "seq": 0, "online": 1, "likes": 0, "card": None, "sales": [],
                             "bag": None})

    @async_test(30)
    async def test_online_counts_distinct_viewer_uids(self):
        room = "wel-online"
        a = await self.connect(room, "a")
        self.assertEqual(a.welcome["online"], 1)
        b = await self.connect(room, "b")
        self.assertEqual(b.welcome["online"], 2)
        # Hosts and admins are not counted.
        h = await self.connect(room, "host1", role="host")
        self.assertEqual(h.welcome["online"], 2)
        ad = await self.connect(room, "boss", role="admin", token=self.gw.token("boss", "admin", "*"))
        self.assertEqual(ad.welcome["online"], 2)
        # The same uid twice counts once.
        a2 = await self.connect(room, "a")
        self.assertEqual(a2.welcome["online"], 2)
        c = await self.connect(room, "c")
        self.assertEqual(c.welcome["online"], 3)
        self.assertEqual(self.gw.room_info(room)["online"], 3)
        # Viewers already in see the count move (a state update: the latest value wins).
        await a.wait_for(lambda x: x.online() == 3, 5, "online 3")
        await h.wait_for(lambda x: x.online() == 3, 5, "online 3 at the host")
        for m in a.of("online"):
            self.assertEqual(set(m), {"t", "count"})
        # One of two connections of `a` leaves: still 3; the second leaves: 2.
        await a2.close()
        await self.wait_until(lambda: self.gw.metric("livegw_connections") == 5, 5,
                              "a2 closed on the server")
        self.assertEqual(self.gw.room_info(room)["online"], 3)
        await a.close()
        await self.wait_until(lambda: self.gw.room_info(room)["online"] == 2, 5, "online 2")
        await c.wait_for(lambda x: x.online() == 2, 5, "online 2 at c")
        d = await self.connect(room, "d")
        self.assertEqual(d.welcome["online"], 3)

    @async_test(30)
    async def test_welcome_is_first_with_current_seq(self):
        room = "wel-seq"
        h = await self.connect(room, "host1", role="host")
        for i in range(3):
            await h.send({"t": "notice", "text": f"n{i}", "req": f"r{i}"})
        await h.wait_t("ack", 3)
        await h.wait_t("notice", 3)
        v = await self.connect(room, "late")
        self.assertEqual(v.welcome["seq"], 3)
        self.assertEqual(v.welcome["online"], 1)
        # Without since nothing is replayed: no seq'd message arrives before a new one.
        await h.send({"t": "notice", "text": "n3"})
        n = await v.wait_msg(lambda m: m.get("t") == "notice")
        self.assertEqual((n["seq"], n["text"]), (4, "n3"))
        self.assertEqual([m["seq"] for m in v.seqd()], [4])


if __name__ == "__main__":
    harness.main()
