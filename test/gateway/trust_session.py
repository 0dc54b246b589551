"""Not a test: a scripted live session that prints the trust index every second, to see
how a room's engagement, its moving baseline and a peak look (gateway/gw_trust.h
explains the index). 30 viewers; a baseline of one comment and 20 likes per second;
from 40 s to 55 s eight comments, 100 likes and a card click per second; one automatic
WeCom wave is expected once the peak has lasted --trust-sustain-s seconds.

    LIVEGW_BIN=build/release/gateway/livegw /usr/bin/python3 test/gateway/trust_session.py
"""

import asyncio
import json
import os
import sys
import time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness
from harness import GatewayCase

async def main():
    gw = harness.Gateway(["--trust-warmup-s", "20", "--trust-window-s", "10", "--trust-sustain-s", "3",
                          "--trust-min-online", "10", "--trust-min-score", "40",
                          "--wecom-link", "https://work.weixin.qq.com/ca/demo", "--wecom-title", "Add us",
                          "--wecom-hook", "10 yuan coupon"])
    gw.start()
    import websockets
    conns = []
    for i in range(30):
        ws = await websockets.connect(gw.ws_url("demo", gw.token(f"v{i}", room="demo")))
        conns.append(ws)
    got = {i: 0 for i in range(30)}
    async def reader(i, ws):
        try:
            async for m in ws:
                for o in (json.loads(m) if m.startswith("[") else [json.loads(m)]):
                    if o.get("t") == "wecom":
                        got[i] += 1
        except Exception:
            pass
    tasks = [asyncio.create_task(reader(i, w)) for i, w in enumerate(conns)]
    t0 = time.monotonic()
    lines = []
    for sec in range(75):
        # baseline: 1 comment/s from rotating viewers + 20 likes/s; spike 40..55 s: 8 commenters, likes x10
        spike = 40 <= sec < 55
        n_comments = 8 if spike else 1
        for k in range(n_comments):
            await conns[(sec * 8 + k) % 30].send(json.dumps({"t": "comment", "text": f"c{sec}-{k}"}))
        await conns[sec % 30].send(json.dumps({"t": "like", "n": 100 if spike else 20}))
        if spike:
            await conns[(sec + 1) % 30].send(json.dumps({"t": "card_click", "sku": "s1"}))
        await asyncio.sleep(max(0, t0 + sec + 1 - time.monotonic()))
        st, info = gw.http_json("GET", "/api/rooms/demo", bearer=gw.admin())
        d = info["trust_detail"]
        lines.append(f"{sec+1:3d}s index {info['trust']:7.2f} baseline {d['baseline']:6.2f} threshold {d['threshold']:6.2f} window {d['window_score']:6.1f} peak {d['peak']!s:5} run {d['peak_run_s']} waves {d['waves']}")
        print(lines[-1], flush=True)
    print("viewers prompted:", sum(1 for v in got.values() if v), "prompts per viewer max:", max(got.values()))
    for t in tasks: t.cancel()
    gw.stop(); gw.cleanup()

asyncio.run(main())
