/* scn_rush.c: `rush`: the host starts a flash sale with --stock items (limit 1 per viewer),
 * then every viewer orders one within --spread-ms. Reports reply latency percentiles (from
 * each order's scheduled time), successes (must equal min(stock, viewers)), refusals by code,
 * and, with --redis (the gateway's Redis), checks Redis afterwards against what the viewers
 * were told: no oversell (reserved + paid <= stock), `reserved` and the open set both equal
 * the acknowledged orders, and every acknowledged order id is there, reserved, for its viewer.
 * With --target redis it runs the baseline instead: the usual Redis Lua script per order,
 * driven at the same rate (rush_redis.c), and checks Redis afterwards. */
#include <stdio.h>
#include <unistd.h>

#include "bclock.h"
#include "plot.h"
#include "rush_redis.h"
#include "scn.h"

static void codes_str(const struct bench_code *codes, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < BENCH_CODES && codes[i].n && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s=%llu", i ? " " : "", codes[i].code,
                              (unsigned long long)codes[i].n);
}

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
    if (cfg->spread_ms > 0)
        rep_num(r, "orders_per_s", "order rate asked", t->orders_sent * 1000.0 / cfg->spread_ms, 0,
                "/s");
    rep_int(r, "orders_ok", "orders accepted", (int64_t)t->orders_ok);
    rep_int(r, "orders_refused", "orders refused", (int64_t)t->orders_fail);
    rep_int(r, "orders_unanswered", "orders unanswered",
            (int64_t)(t->orders_sent - t->orders_ok - t->orders_fail));
    if (t->order_codes[0].n) {
        char codes[180];
        codes_str(t->order_codes, codes, sizeof(codes));
        rep_str(r, "refusal_codes", "refusals by code", codes);
    }
    rep_lat(r, "reply_ms", "scheduled order -> reply", &t->reply);
    rep_lat(r, "send_lag_ms", "scheduled order -> sent (harness)", &t->send_lag);
    if (cfg->plot && t->reply.count && cfg->target == TGT_GATEWAY) {
        /* The reply latency spectrum, and replies per 100 ms from the start of the measured
         * phase (orders start 200 ms in): a stall in the gateway shows as a gap. */
        int rc = plot_write(cfg->plot, "rush", "order replies", &t->reply, t->bins, BENCH_BINS);
        char path[1024];
        snprintf(path, sizeof(path), "%s.%s", cfg->plot, rc == 0 ? "svg" : "gp");
        rep_str(r, "plot", rc < 0 ? "plot (failed)" : "plot", path);
    }
    if (cfg->target == TGT_GATEWAY) {
        rep_int(r, "orders_extra", "unexpected order replies", (int64_t)t->orders_extra);
        rep_int(r, "order_ids_bad", "ok replies without an order id", (int64_t)t->order_ids_bad);
    }
    scn_report_resources(r, c, 0);
    if (t->orders_sent)
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
    if (t->orders_sent < (uint64_t)cfg->viewers)
        rep_fail(r, "%llu of %d viewers never ordered (not connected when the sale opened)",
                 (unsigned long long)((uint64_t)cfg->viewers - t->orders_sent), cfg->viewers);
    if (t->orders_extra)
        rep_fail(r, "%llu order replies for no outstanding order (or another req)",
                 (unsigned long long)t->orders_extra);
    if (t->order_ids_bad)
        rep_fail(r, "%llu ok replies without a usable order id",
                 (unsigned long long)t->order_ids_bad);
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

/* The gateway's Redis against what the viewers were told (see the top of the file). */
static void report_redis_check(struct rep *r, const struct coord *c)
{
    const struct bench_cfg *cfg = c->cfg;
    uint64_t oks = c->tot->orders_ok;
    struct rush_gw_check k;
    if (rush_redis_check_gateway(cfg, c->shm, &k) < 0) {
        rep_fail(r, "cannot read sale %s of room %s back from Redis at %s", cfg->sale, cfg->room,
                 cfg->redis);
        return;
    }
    rep_int(r, "redis_stock", "Redis: sale stock", k.stock);
    rep_int(r, "redis_reserved", "Redis: reserved", k.reserved);
    rep_int(r, "redis_paid", "Redis: paid", k.paid);
    rep_int(r, "redis_open", "Redis: open set (ZCARD)", k.open);
    rep_int(r, "redis_listed", "Redis: orders listed (LLEN)", k.listed);
    rep_int(r, "redis_acked_checked", "acknowledged ids looked up", (int64_t)k.acked);
    rep_int(r, "redis_acked_reserved", "... reserved for their viewer", (int64_t)k.reserved_ok);
    rep_int(r, "redis_acked_missing", "... not in Redis", (int64_t)k.missing);
    rep_int(r, "redis_acked_wrong_state", "... in another state", (int64_t)k.wrong_state);
    rep_int(r, "redis_acked_wrong_owner", "... of another uid/room/sale", (int64_t)k.wrong_owner);
    rep_int(r, "redis_acked_not_open", "... not in the open set", (int64_t)k.not_open);
    rep_int(r, "redis_acked_duplicates", "ids told to two viewers", (int64_t)k.duplicates);
    if (k.stock != cfg->stock)
        rep_fail(r, "Redis says stock %lld, the sale was started with %d", (long long)k.stock,
                 cfg->stock);
    if (k.reserved < 0 || k.paid < 0 || k.reserved + k.paid > k.stock)
        rep_fail(r, "OVERSOLD in Redis: reserved %lld + paid %lld > stock %lld",
                 (long long)k.reserved, (long long)k.paid, (long long)k.stock);
    if (k.reserved != (int64_t)oks || k.open != (int64_t)oks)
        rep_fail(r,
                 "Redis disagrees with the viewers: %llu ok replies, reserved %lld, open set %lld",
                 (unsigned long long)oks, (long long)k.reserved, (long long)k.open);
    if (k.acked != oks || k.reserved_ok != oks)
        rep_fail(r, "%llu of %llu acknowledged orders are reserved in Redis for their viewer%s%s",
                 (unsigned long long)k.reserved_ok, (unsigned long long)oks,
                 k.example[0] ? ": " : "", k.example);
    if (k.duplicates)
        rep_fail(r, "%llu order ids were acknowledged to two viewers",
                 (unsigned long long)k.duplicates);
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
    uint64_t t_ask = bench_now_ns();
    pub_host_cmd(&c.pub, 0, cmd);
    /* The host's ack comes once the sale is durable in Redis. */
    uint64_t deadline = t_ask + 10000000000ull;
    while (c.pub.sale == PUB_SALE_NONE && bench_now_ns() < deadline)
        pub_poll(&c.pub, 10);
    if (c.pub.sale != PUB_SALE_LIVE) {
        rep_fail(r, "the gateway did not start the sale (sale_start: %s)",
                 c.pub.sale == PUB_SALE_REFUSED ? c.pub.sale_why : "no answer in 10 s");
        coord_finish(&c);
        scn_report_setup(r, &c);
        return scn_end(r, &c, 2);
    }
    double start_ms = (double)(bench_now_ns() - t_ask) / 1e6;
    static struct scrape m0, m1;
    scn_scrape(cfg, &m0);
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
    scn_scrape(cfg, &m1);
    scn_report_setup(r, &c);
    rep_num(r, "sale_start_ms", "sale_start -> ack (durable)", start_ms, 1, "ms");
    report_orders(r, &c);
    if (m0.n && m1.n) {
        double batches = scn_metric(&m1, "livegw_redis_batches_total") -
                         scn_metric(&m0, "livegw_redis_batches_total");
        double written = scn_metric(&m1, "livegw_orders_written_total") -
                         scn_metric(&m0, "livegw_orders_written_total");
        rep_int(r, "server_redis_batches", "server Redis batches (/metrics)", (int64_t)batches);
        rep_int(r, "server_orders_written", "server reservations written", (int64_t)written);
        if (batches > 0)
            rep_num(r, "server_orders_per_batch", "server reservations per batch",
                    written / batches, 1, "");
        rep_int(r, "server_orders_failed", "server reservations failed (/metrics)",
                (int64_t)(scn_metric(&m1, "livegw_orders_failed_total") -
                          scn_metric(&m0, "livegw_orders_failed_total")));
        double writes =
            scn_metric(&m1, "livegw_writes_total") - scn_metric(&m0, "livegw_writes_total");
        rep_int(r, "server_writes", "server socket writes (/metrics)", (int64_t)writes);
        rep_int(r, "server_msgs_out", "server messages out (/metrics)",
                (int64_t)(scn_metric(&m1, "livegw_messages_out_total") -
                          scn_metric(&m0, "livegw_messages_out_total")));
        if (c.server && writes > 0)
            rep_num(r, "server_cpu_us_per_write", "server CPU per write",
                    (c.srv_end.cpu_s - c.srv_run.cpu_s) * 1e6 / writes, 2, "us");
        if (c.server && c.tot->orders_sent)
            rep_num(r, "server_cpu_us_per_order", "server CPU per order (all work)",
                    (c.srv_end.cpu_s - c.srv_run.cpu_s) * 1e6 / (double)c.tot->orders_sent, 1,
                    "us");
    }
    if (cfg->redis)
        report_redis_check(r, &c);
    else
        rep_str(r, "redis_check", "redis check", "not run (give --redis, the gateway's Redis)");
    return scn_end(r, &c, status);
}
