"""Trust peaks and automatic WeCom waves: a scripted room whose engagement spikes gets
exactly one wave, only to the eligible viewers (engaged, not added, not prompted within
the cooldown); the trust index and the waves show in GET /api/rooms/<room>."""

import asyncio

import harness
from harness import GatewayCase, async_test


class TrustWave(GatewayCase):
    # Short windows so that a scripted session fits in a test; the defaults (gw_trust.h)
    # are 20 s windows, 120 s warm-up, 5 s sustain.
    GW_ARGS = ["--trust-warmup-s", "3", "--trust-window-s", "3", "--trust-sustain-s", "2",
               "--trust-min-online", "3", "--trust-min-score", "10", "--trust-cooldown-s", "300",
               "--wecom-min-watch-s", "3600", "--wecom-cooldown-s", "600"]

    @async_test(60)
    async def test_one_wave_to_the_eligible(self):
        room = "tr1"
        host = await self.connect(room, "host1", role="host")
        recent = await self.connect(room, "recent")
        # `recent` gets a prompt by hand now: it is inside its cooldown for the wave.
        await host.send({"t": "wecom_push", "title": "Add us", "hook": "a gift",
                         "link": "https://work.weixin.qq.com/ca/abc"})
        manual = await recent.wait_msg(lambda m: m.get("t") == "wecom")
        engaged = [await self.connect(room, f"e{i}") for i in range(4)]
        quiet = await self.connect(room, "quiet")
        added = await self.connect(room, "added")
        await added.send({"t": "wecom", "prompt": manual["prompt"], "action": "added"})
        await added.send({"t": "like", "n": 1})

        # Quiet seconds: the room's baseline. Then everyone but `quiet` likes hard.
        await asyncio.sleep(4)
        spikers = engaged + [recent, added]
        for _ in range(14):  # 7 s of 2 likes/s each
            for v in spikers:
                await v.send({"t": "like", "n": 100})
            await asyncio.sleep(0.5)
        await asyncio.sleep(0.5)

        for v in engaged:
            ws = v.of("wecom")
            self.assertEqual(len(ws), 1, f"{v.name}: {ws}")
            self.assertNotEqual(ws[0]["prompt"], manual["prompt"])
            self.assertEqual(ws[0]["title"], "Add us")  # the host's last prompt
            self.assertEqual(ws[0]["link"], "https://work.weixin.qq.com/ca/abc?state=tr1")
        self.assertEqual(len(recent.of("wecom")), 1)  # only the manual one
        self.assertEqual(quiet.of("wecom"), [])
        self.assertEqual(added.of("wecom"), [])
        self.assertEqual(host.of("wecom"), [])

        st, info = self.gw.http_json("GET", f"/api/rooms/{room}", bearer=self.gw.admin())
        self.assertEqual(st, 200)
        self.assertEqual(info["trust_detail"]["waves"], 1)
        self.assertGreater(info["trust"], 0)
        self.assertEqual(info["wecom"]["prompted"], 5)  # recent by hand, e0-e3 by the wave
        self.assertEqual(self.gw.metric("livegw_trust_waves_total"), 1)


class TrustNoLink(GatewayCase):
    """A peak in a room with no prompt configured anywhere fires nothing."""
    GW_ARGS = ["--trust-warmup-s", "2", "--trust-window-s", "3", "--trust-sustain-s", "2",
               "--trust-min-online", "2", "--trust-min-score", "10"]

    @async_test(40)
    async def test_peak_without_link(self):
        room = "tr2"
        vs = [await self.connect(room, f"v{i}") for i in range(3)]
        await asyncio.sleep(3)
        for _ in range(10):
            for v in vs:
                await v.send({"t": "like", "n": 100})
            await asyncio.sleep(0.5)
        await asyncio.sleep(0.5)
        for v in vs:
            self.assertEqual(v.of("wecom"), [])
        self.assertGreaterEqual(self.gw.metric("livegw_trust_peaks_no_link_total"), 1)


if __name__ == "__main__":
    harness.main()
