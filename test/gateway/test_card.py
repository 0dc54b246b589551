"""Product card: pinned, broadcast with a seq, in every later welcome; card_clear
broadcasts a card with null fields and welcome.card becomes null."""

import harness
from harness import GatewayCase, async_test

CARD = {"sku": "sku-1", "title": "羊毛围巾 Wool scarf", "price": 19900, "live_price": 9900,
        "image": "https://img.example.com/s1.jpg", "path": "/pages/item?sku=sku-1"}
CARD_FIELDS = ("sku", "title", "price", "live_price", "image", "path")


class Card(GatewayCase):

    @async_test(30)
    async def test_pinned_then_cleared(self):
        room = "card-main"
        early = await self.connect(room, "early")
        host = await self.connect(room, "host1", role="host")
        await host.send(dict(CARD, t="card", req="c1"))
        ack = await host.wait_msg(lambda m: m.get("t") == "ack")
        self.assertEqual(ack, {"t": "ack", "req": "c1"})
        card = (await early.wait_t("card", 1))[0]
        self.assertEqual(card, dict(CARD, t="card", seq=1))

        late = await self.connect(room, "late")
        self.assertEqual(late.welcome["card"], CARD)
        self.assertEqual(late.welcome["seq"], 1)
        self.assertEqual(self.gw.room_info(room)["card"], CARD)

        # A second card replaces the first.
        card2 = dict(CARD, sku="sku-2", title="Hat", price=500, live_price=400)
        await host.send(dict(card2, t="card"))
        await late.wait_t("card", 1)
        self.assertEqual(late.of("card")[0], dict(card2, t="card", seq=2))
        later = await self.connect(room, "later")
        self.assertEqual(later.welcome["card"], card2)

        await host.send({"t": "card_clear", "req": "clr"})
        await host.wait_t("ack", 2)
        for c in (early, late, later, host):
            cleared = await c.wait_msg(lambda m: m.get("t") == "card" and m["sku"] is None)
            self.assertEqual(cleared, dict({f: None for f in CARD_FIELDS}, t="card", seq=3))
        self.assertEqual([m["seq"] for m in early.of("card")], [1, 2, 3])
        after = await self.connect(room, "after")
        self.assertIsNone(after.welcome["card"])
        self.assertEqual(after.welcome["seq"], 3)

    @async_test(30)
    async def test_bad_cards_and_viewer_cards_refused(self):
        room = "card-bad"
        v = await self.connect(room, "v1")
        host = await self.connect(room, "host1", role="host")
        await host.send(dict(CARD, t="card"))
        self.assertEqual((await v.wait_t("card", 1))[0], dict(CARD, t="card", seq=1))
        bad = [dict(CARD, price=-1), dict(CARD, price=1.5), dict(CARD, image="has space"),
               {k: v for k, v in CARD.items() if k != "sku"}, dict(CARD, sku="bad sku!")]
        for i, c in enumerate(bad):
            await host.send(dict(c, t="card", req=f"bad{i}"))
        errs = await host.wait_t("error", len(bad))
        self.assertEqual([(e["code"], e["req"]) for e in errs],
                         [("bad_request", f"bad{i}") for i in range(len(bad))])
        # A viewer may not pin a card.
        await v.send(dict(CARD, t="card", req="v"))
        err = await v.wait_msg(lambda m: m.get("t") == "error")
        self.assertEqual((err["code"], err["req"]), ("forbidden", "v"))
        self.assertEqual(len(v.of("card")), 1)
        self.assertEqual(self.gw.room_info(room)["seq"], 1)


if __name__ == "__main__":
    harness.main()
