"""Comment sampling in a hot room: other viewers see at most the readable rate (with
seq), each author sees every one of its own comments (sampled-out ones without seq), and
a host sees all of them."""

import asyncio
import time

import harness
from harness import GatewayCase, async_test

RATE = 5
AUTHORS = 5
PER_AUTHOR = 40


class Sampling(GatewayCase):
    GW_ARGS = ["--comment-rate", str(RATE), "--conn-comment-rate", "1000",
               "--conn-msg-rate", "100000"]

    @async_test(60)
    async def test_readable_rate_own_and_host_see_all(self):
        room = "hot"
        t0 = time.monotonic()
        observer = await self.connect(room, "observer")
        host = await self.connect(room, "host1", role="host")
        authors = await asyncio.gather(*(self.connect(room, f"a{i}") for i in range(AUTHORS)))

        async def chat(i, c):
            for k in range(PER_AUTHOR):
                await c.send({"t": "comment", "text": f"a{i}-{k}"})
                await asyncio.sleep(0.01)

        await asyncio.gather(*(chat(i, c) for i, c in enumerate(authors)))
        elapsed = time.monotonic() - t0
        total = AUTHORS * PER_AUTHOR
        await host.wait_t("comment", total, timeout=15)
        for i, c in enumerate(authors):
            await c.wait_for(lambda x: len([m for m in x.of("comment") if m["uid"] == f"a{i}"])
                             >= PER_AUTHOR, 10, f"own comments of a{i}")
        info = self.gw.room_info(room)
        shown = info["comments_shown"]
        self.assertEqual(info["comments"], total)
        # The readable rate: a burst of RATE, then RATE per second.
        self.assertGreaterEqual(shown, RATE)
        self.assertLessEqual(shown, RATE + RATE * (elapsed + 0.5))
        self.assertLess(shown, total)
        self.assertEqual(self.gw.metric('livegw_dropped_total{class="comment_sampled"}'),
                         total - shown)

        # The host sees every comment exactly once: shown ones with seq, others without.
        hc = host.of("comment")
        self.assertEqual(len(hc), total)
        self.assertEqual(sorted(m["text"] for m in hc),
                         sorted(f"a{i}-{k}" for i in range(AUTHORS) for k in range(PER_AUTHOR)))
        self.assertEqual(len({m["id"] for m in hc}), total)
        host_seqd = [m for m in hc if "seq" in m]
        self.assertEqual(len(host_seqd), shown)
        self.assertEqual([m["seq"] for m in host_seqd], list(range(1, shown + 1)))

        # Everyone else sees exactly the shown ones, in seq order, none without seq.
        await host.send({"t": "notice", "text": "marker"})
        await observer.wait_msg(lambda m: m.get("text") == "marker")
        oc = observer.of("comment")
        self.assertEqual([m["seq"] for m in oc], list(range(1, shown + 1)))
        self.assertEqual([m["id"] for m in oc], [m["id"] for m in host_seqd])

        # Each author sees all of its own comments; the sampled-out ones carry no seq.
        for i, c in enumerate(authors):
            own = [m for m in c.of("comment") if m["uid"] == f"a{i}"]
            self.assertEqual(len(own), PER_AUTHOR, c.name)
            self.assertEqual(sorted(m["text"] for m in own),
                             sorted(f"a{i}-{k}" for k in range(PER_AUTHOR)))
            own_shown = [m for m in host_seqd if m["uid"] == f"a{i}"]
            self.assertEqual(len([m for m in own if "seq" in m]), len(own_shown))
            # Others' comments it sees are only shown ones.
            others = [m for m in c.of("comment") if m["uid"] != f"a{i}"]
            self.assertTrue(all("seq" in m for m in others))
            self.assertEqual(len(others), shown - len(own_shown))


if __name__ == "__main__":
    harness.main()
