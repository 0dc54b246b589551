/* scn_rush.c: `rush`: the host starts a flash sale with --stock items (limit 1 per viewer),
 * then every viewer orders one within --spread-ms. Reports reply latency percentiles,
 * successes (must equal min(stock, viewers)) and refusals by code. Until the gateway has
 * sales, the sale_start is refused and the run stops with "gateway has no sales yet". */
#include <stdio.h>

#include "bclock.h"
#include "scn.h"

int scn_rush(struct bench_cfg *cfg)
{
    struct coord c;
    struct rep *r = rep_new("rush");
    if (cfg->target != TGT_GATEWAY) {
        rep_fail(r, "rush needs the gateway");
        return scn_end(r, &(struct coord){0}, 2);
    }
    cfg->rooms = 1;
    if (coord_start(&c, cfg) < 0 || pub_start(&c.pub, cfg, 10) < 0) {
        rep_fail(r, "could not start (is the gateway listening on %s?)", cfg->host_hdr);
        coord_finish(&c);
        return scn_end(r, &c, 2);
    }
    coord_wait_ready(&c);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "{\"t\":\"sale_start\",\"sale\":\"%s\",\"sku\":\"bench-sku\",\"stock\":%d,"
             "\"limit\":1,\"price\":9900,\"duration\":%d,\"pay_window\":300,\"req\":\"ss\"}",
             cfg->sale, cfg->stock, (int)(cfg->duration + cfg->drain + 60));
    pub_host_cmd(&c.pub, 0, cmd);
    uint64_t deadline = bench_now_ns() + 3000000000ull;
    while (c.pub.sale == PUB_SALE_NONE && bench_now_ns() < deadline)
        pub_poll(&c.pub, 10);
    if (c.pub.sale != PUB_SALE_LIVE) {
        rep_fail(r, "gateway has no sales yet (sale_start: %s)",
                 c.pub.sale == PUB_SALE_REFUSED ? c.pub.sale_why : "no answer in 3 s");
        coord_finish(&c);
        scn_report_setup(r, &c);
        return scn_end(r, &c, 2);
    }
    coord_run(&c);
    atomic_store_explicit(&c.shm->go_ns, bench_now_ns() + 200000000ull, memory_order_release);
    uint64_t t_end = c.t_run + 200000000ull + (uint64_t)cfg->spread_ms * 1000000ull +
                     (uint64_t)(cfg->drain * 1e9);
    while (bench_now_ns() < t_end) {
        pub_poll(&c.pub, 10);
        coord_tick(&c);
    }
    coord_drain(&c);
    int status = coord_finish(&c) < 0 ? 1 : 0;
    const struct bench_slot *t = c.tot;
    scn_report_setup(r, &c);
    rep_int(r, "stock", "stock", cfg->stock);
    rep_int(r, "spread_ms", "orders spread over", cfg->spread_ms);
    scn_report_connections(r, &c);
    rep_int(r, "orders_sent", "orders sent", (int64_t)t->orders_sent);
    rep_int(r, "orders_ok", "orders accepted", (int64_t)t->orders_ok);
    rep_int(r, "orders_refused", "orders refused", (int64_t)t->orders_fail);
    rep_int(r, "orders_unanswered", "orders unanswered",
            (int64_t)(t->orders_sent - t->orders_ok - t->orders_fail));
    rep_lat(r, "reply_ms", "order -> reply", &t->reply);
    scn_report_resources(r, &c, 0);
    uint64_t want = (uint64_t)cfg->stock < c.ready_at_run ? (uint64_t)cfg->stock : c.ready_at_run;
    if (t->orders_ok > (uint64_t)cfg->stock)
        rep_fail(r, "OVERSOLD: %llu accepted for stock %d", (unsigned long long)t->orders_ok,
                 cfg->stock);
    else if (t->orders_ok != want)
        rep_fail(r, "%llu orders accepted, expected %llu", (unsigned long long)t->orders_ok,
                 (unsigned long long)want);
    if (t->orders_ok + t->orders_fail != t->orders_sent)
        rep_fail(r, "%llu orders got no reply",
                 (unsigned long long)(t->orders_sent - t->orders_ok - t->orders_fail));
    if (cfg->redis)
        rep_str(r, "redis_check", "redis check",
                "not run: the order layout in Redis is not documented in proto/ yet");
    return scn_end(r, &c, status);
}
