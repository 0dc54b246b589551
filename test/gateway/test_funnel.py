"""The room funnel and WeCom prompts by hand: per-uid records (comments, likes, card
clicks, inviters), wecom_push reaching every viewer who has not added (all of a uid's
connections), the link's state, the shown / clicked / added reports, and the figures in
GET /api/rooms/<room>."""

import asyncio

import harness
from harness import GatewayCase, async_test


class Funnel(GatewayCase):

    @async_test(30)
    async def test_push_and_funnel(self):
        room = "fun"
        host = await self.connect(room, "host1", role="host")
        a = await self.connect(room, "a", **{"from": "inv1"})
        a2 = await self.connect(room, "a")  # a second connection of uid a
        b = await self.connect(room, "b", **{"from": "inv1"})
        c = await self.connect(room, "c", **{"from": "inv2"})
        d = await self.connect(room, "d")
        await a.send({"t": "comment", "text": "hello"})
        await b.send({"t": "like", "n": 7})
        await c.send({"t": "card_click", "sku": "s1"})
        # d added the store already (reported from an earlier prompt's sheet).
        await d.send({"t": "wecom", "prompt": "p0", "action": "added"})
        await host.wait_msg(lambda m: m.get("text") == "hello")
        await asyncio.sleep(0.2)

        await host.send({"t": "wecom_push", "title": "Add us", "hook": "10% off",
                         "link": "https://work.weixin.qq.com/ca/x?y=1", "req": "w1"})
        ack = await host.wait_msg(lambda m: m.get("req") == "w1")
        self.assertEqual(ack["t"], "ack")
        for v in (a, a2, b, c):
            m = await v.wait_msg(lambda m: m.get("t") == "wecom")
            self.assertEqual((m["title"], m["hook"]), ("Add us", "10% off"))
            self.assertEqual(m["link"], "https://work.weixin.qq.com/ca/x?y=1&state=fun")
            self.assertNotIn("seq", m)
            self.assertTrue(m["prompt"])
        await asyncio.sleep(0.3)
        self.assertEqual(d.of("wecom"), [])
        self.assertEqual(host.of("wecom"), [])
        prompt = a.of("wecom")[0]["prompt"]
        await a.send({"t": "wecom", "prompt": prompt, "action": "shown"})
        await b.send({"t": "wecom", "prompt": prompt, "action": "clicked"})
        await c.send({"t": "wecom", "prompt": prompt, "action": "added"})
        await asyncio.sleep(0.3)

        st, info = self.gw.http_json("GET", f"/api/rooms/{room}", bearer=self.gw.admin())
        self.assertEqual(st, 200)
        self.assertEqual(info["viewers"], 4)
        self.assertEqual(info["online"], 4)
        self.assertEqual(info["likes"], 7)
        self.assertEqual(info["card_clicks"], 1)
        self.assertEqual(info["wecom"]["prompted"], 3)          # a, b, c (d had added)
        self.assertEqual(info["wecom"]["shown"], 4)             # a, b, c, d
        self.assertEqual(info["wecom"]["clicked"], 3)           # b, c, d
        self.assertEqual(info["wecom"]["added"], 2)             # c, d
        self.assertEqual(info["wecom"]["add_rate"], 0.5)
        self.assertEqual(info["inviters"], [{"from": "inv1", "viewers": 2, "orders": 0},
                                            {"from": "inv2", "viewers": 1, "orders": 0}])
        self.assertEqual((info["buyers"], info["conversion"]), (0, 0))
        self.assertGreaterEqual(info["watch_avg_s"], 0)

        # A second push skips c and d now.
        for v in (a, b, c, d):
            v.msgs.clear()
        await host.send({"t": "wecom_push", "title": "Again", "hook": "h", "link": "https://x/y"})
        await a.wait_msg(lambda m: m.get("t") == "wecom")
        await b.wait_msg(lambda m: m.get("t") == "wecom")
        self.assertEqual(a.of("wecom")[0]["link"], "https://x/y?state=fun")
        await asyncio.sleep(0.3)
        self.assertEqual((c.of("wecom"), d.of("wecom")), ([], []))
        # Viewers cannot push.
        await a.send({"t": "wecom_push", "title": "t", "hook": "h", "link": "https://x",
                      "req": "no"})
        err = await a.wait_msg(lambda m: m.get("req") == "no")
        self.assertEqual(err["code"], "forbidden")


if __name__ == "__main__":
    harness.main()
