/* scn_rush.c: `rush`: the host starts a flash sale with --stock items (limit 1 per viewer),
 * then every viewer orders one within --spread-ms. Reports reply latency percentiles,
 * successes (must equal min(stock, viewers)) and refusals by code. Until the gateway has
 * sales, the sale_start is refused and the run stops with "gateway has no sales yet".
 * With --target redis it runs the baseline instead: the usual Redis Lua script per order,
 * driven at the same rate (rush_redis.c), and checks Redis afterwards. */
#include <stdio.h>
#include <unistd.h>

#include "bclock.h"
#include "rush_redis.h"
#include "scn.h"

/* Reports the orders, shared by the gateway run and the Redis baseline. */
static void report_orders(struct rep *r, const struct coord *c)
{
    const struct bench_cfg *cfg = c->cfg;
    const struct bench_slot *t = c->tot;
    rep_int(r, "stock", "stock", cfg->stock);
    rep_num(r, "spread_ms", "orders spread over", cfg->spread_ms, 0, "ms");
    if (cfg->target == TGT_REDIS)
        rep_int(r, "connections", "Redis connections", cfg->procs);
    else
        scn_report_connections(r, c);
    rep_int(r, "orders_sent", "orders sent", (int64_t)t->orders_sent);
    rep_int(r, "orders_ok", "orders accepted", (int64_t)t->orders_ok);
    rep_int(r, "orders_refused", "orders refused", (int64_t)t->orders_fail);
    rep_int(r, "orders_unanswered", "orders unanswered",
            (int64_t)(t->orders_sent - t->orders_ok - t->orders_fail));
    rep_lat(r, "reply_ms", "order -> reply", &t->reply);
    double run_s = c->t_end > c->t_run ? (double)(c->t_end - c->t_run) / 1e9 : 0;
    if (t->codes[0].n && cfg->target == TGT_REDIS) {
        char codes[180] = "";
        size_t o = 0;
        for (int i = 0; i < BENCH_CODES && t->codes[i].n && o < sizeof(codes); i++)
            o += (size_t)snprintf(codes + o, sizeof(codes) - o, "%s%s=%llu", i ? " " : "",
                                  t->codes[i].code, (unsigned long long)t->codes[i].n);
        rep_str(r, "refusal_codes", "refusals by code", codes);
    }
    scn_report_resources(r, c, 0);
    if (t->orders_sent && run_s > 0)
        rep_num(r, "harness_cpu_us_per_order", "harness CPU per order",
                (t->cpu_run_s + c->own_cpu_run_s) * 1e6 / (double)t->orders_sent, 2, "us");
    uint64_t want = (uint64_t)cfg->stock < c->ready_at_run ? (uint64_t)cfg->stock : c->ready_at_run;
    if (t->orders_ok > (uint64_t)cfg->stock)
        rep_fail(r, "OVERSOLD: %llu accepted for stock %d", (unsigned long long)t->orders_ok,
                 cfg->stock);
    else if (t->orders_ok != want)
        rep_fail(r, "%llu orders accepted, expected %llu", (unsigned long long)t->orders_ok,
                 (unsigned long long)want);
    if (t->orders_ok + t->orders_fail != t->orders_sent)
        rep_fail(r, "%llu orders got no reply",
                 (unsigned long long)(t->orders_sent - t->orders_ok - t->orders_fail));
}

/* The baseline: viewer processes call the Lua script directly, one connection each. */
static int rush_redis(struct bench_cfg *cfg, struct rep *r)
{
    struct coord c;
    if (rush_redis_setup(cfg, cfg->redis_sha) < 0) {
        rep_fail(r, "cannot set the baseline up in Redis at %s", cfg->redis);
        return scn_end(r, &(struct coord){0}, 2);
    }
    if (coord_start(&c, cfg) < 0) {
        rep_fail(r, "could not start");
        coord_finish(&c);
        return scn_end(r, &c, 2);
    }
    coord_wait_ready(&c);
    coord_run(&c);
    atomic_store_explicit(&c.shm->go_ns, bench_now_ns() + 200000000ull, memory_order_release);
    uint64_t t_end = c.t_run + 200000000ull + (uint64_t)cfg->spread_ms * 1000000ull +
                     (uint64_t)(cfg->drain * 1e9);
    while (bench_now_ns() < t_end) {
        usleep(10000);
        coord_tick(&c);
    }
    coord_drain(&c);
    int status = coord_finish(&c) < 0 ? 1 : 0;
    scn_report_setup(r, &c);
    rep_str(r, "baseline", "baseline",
            "Redis Lua script per order (EVALSHA), one connection per process");
    report_orders(r, &c);
    struct rush_redis_check chk;
    if (rush_redis_check(cfg, &chk) < 0) {
        rep_fail(r, "cannot read the stock and orders back from Redis");
    } else {
        rep_int(r, "redis_stock_left", "stock left in Redis", chk.stock_left);
        rep_int(r, "redis_orders", "orders recorded in Redis", chk.orders_in_db);
        if (chk.stock_left < 0)
            rep_fail(r, "OVERSOLD in Redis: stock left %lld", (long long)chk.stock_left);
        if ((uint64_t)chk.orders_in_db != c.tot->orders_ok ||
            chk.stock_left != cfg->stock - (int64_t)c.tot->orders_ok)
            rep_fail(r, "Redis holds %lld orders and %lld left; %llu were acknowledged",
                     (long long)chk.orders_in_db, (long long)chk.stock_left,
                     (unsigned long long)c.tot->orders_ok);
    }
    return scn_end(r, &c, status);
}

int scn_rush(struct bench_cfg *cfg)
{
    struct coord c;
    struct rep *r = rep_new("rush");
    if (cfg->target == TGT_REDIS)
        return rush_redis(cfg, r);
    if (cfg->target != TGT_GATEWAY) {
        rep_fail(r, "rush needs the gateway (or --target redis for the baseline)");
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
    scn_report_setup(r, &c);
    report_orders(r, &c);
    if (cfg->redis)
        rep_str(r, "redis_check", "redis check",
                "not run: the order layout in Redis is not documented in proto/ yet");
    return scn_end(r, &c, status);
}
