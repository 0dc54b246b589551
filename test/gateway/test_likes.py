"""Likes: the total is exact after thousands of concurrent like messages from many
viewers on both threads; every viewer's latest likes.total, a late joiner's welcome and
GET /api/rooms agree."""

import asyncio

import harness
from harness import GatewayCase, async_test

VIEWERS = 24
LIKES_PER_VIEWER = 150


class Likes(GatewayCase):
    # The per-connection like and message rates are raised so that nothing is refused.
    GW_ARGS = ["--conn-like-rate", "10000", "--conn-msg-rate", "100000"]

    @async_test(60)
    async def test_total_exact_after_concurrent_likes(self):
        room = "likes-main"
        viewers = await asyncio.gather(*(self.connect(room, f"v{i}") for i in range(VIEWERS)))
        host = await self.connect(room, "host1", role="host")

        async def burst(i, c):
            sent = 0
            for k in range(LIKES_PER_VIEWER):
                n = (i * 7 + k) % 100 + 1
                await c.send({"t": "like", "n": n})
                sent += n
            return sent

        expected = sum(await asyncio.gather(*(burst(i, c) for i, c in enumerate(viewers))))
        self.assertEqual(expected, sum((i * 7 + k) % 100 + 1 for i in range(VIEWERS)
                                       for k in range(LIKES_PER_VIEWER)))
        for c in viewers + [host]:
            await c.wait_for(lambda x: x.likes() == expected, 15,
                             f"likes.total {expected}")
        for c in viewers:
            self.assertEqual(c.of("error"), [], c.name)
            totals = [m["total"] for m in c.of("likes")]
            self.assertEqual(totals, sorted(totals), "likes.total never goes down")
            for m in c.of("likes"):
                self.assertEqual(set(m), {"t", "total"})
        self.assertEqual(self.gw.room_info(room)["likes"], expected)
        late = await self.connect(room, "late")
        self.assertEqual(late.welcome["likes"], expected)
        # State updates are coalesced: far fewer likes messages than like messages sent.
        self.assertLess(len(viewers[0].of("likes")), VIEWERS * LIKES_PER_VIEWER)

    @async_test(30)
    async def test_bad_like_counts_nothing(self):
        room = "likes-bad"
        v = await self.connect(room, "v1")
        for i, n in enumerate((0, 101, -1, 1.5, "5", None)):
            await v.send({"t": "like", "n": n, "req": f"b{i}"})
        await v.send({"t": "like", "n": 100})
        await v.send({"t": "like", "n": 1})
        errs = await v.wait_t("error", 6)
        self.assertEqual([(e["code"], e["req"]) for e in errs],
                         [("bad_request", f"b{i}") for i in range(6)])
        await v.wait_for(lambda x: x.likes() == 101, 5, "likes 101")
        self.assertEqual(self.gw.room_info(room)["likes"], 101)


class LikeRateLimit(GatewayCase):
    GW_ARGS = ["--conn-like-rate", "1", "--abuse-limit", "1000"]

    @async_test(30)
    async def test_over_rate_likes_refused_not_counted(self):
        room = "likes-rate"
        v = await self.connect(room, "v1")
        # Burst is 2x the rate: 2 likes pass at once, the next ones are rate_limited.
        for i in range(5):
            await v.send({"t": "like", "n": 10, "req": f"l{i}"})
        errs = await v.wait_t("error", 3)
        self.assertEqual([e["code"] for e in errs], ["rate_limited"] * 3)
        self.assertEqual([e["req"] for e in errs], ["l2", "l3", "l4"])
        await v.wait_for(lambda x: x.likes() == 20, 5, "likes 20")
        self.assertEqual(self.gw.room_info(room)["likes"], 20)


if __name__ == "__main__":
    harness.main()
