/* scn_churn.c: `churn`: viewers disconnect and reconnect with `since` (all together at
 * --churn-rate reconnects per second) while the host publishes notices at --rate. Measures the
 * reconnect rate and latency, and checks that no high-priority event is lost: every viewer sees
 * every notice seq exactly once across its reconnects and ends at the room's last seq. */
#include "bclock.h"
#include "scn.h"

int scn_churn(struct bench_cfg *cfg)
{
    struct coord c;
    struct rep *r = rep_new("churn");
    if (cfg->target != TGT_GATEWAY) {
        rep_fail(r, "churn needs the gateway (resume with since)");
        return scn_end(r, &(struct coord){0}, 2);
    }
    cfg->prio_high = true;
    if (coord_start(&c, cfg) < 0 || pub_start(&c.pub, cfg, 10) < 0) {
        rep_fail(r, "could not start (is the gateway listening on %s?)", cfg->host_hdr);
        coord_finish(&c);
        return scn_end(r, &c, 2);
    }
    coord_wait_ready(&c);
    static struct scrape m0, m1;
    scn_scrape(cfg, &m0);
    coord_run(&c);
    uint64_t t_end = c.t_run + (uint64_t)(cfg->duration * 1e9);
    double interval = 1e9 / (cfg->rate * cfg->rooms);
    uint64_t k = 0;
    int room = 0;
    while (bench_now_ns() < t_end) {
        while (c.t_run + (uint64_t)(k * interval) <= bench_now_ns()) {
            if (pub_bench(&c.pub, room) == 1)
                break;
            room = (room + 1) % cfg->rooms;
            k++;
        }
        pub_poll(&c.pub, 2);
        coord_tick(&c);
    }
    coord_drain(&c);
    uint64_t drain_end = c.t_pub_end + (uint64_t)(cfg->drain * 1e9);
    while (bench_now_ns() < drain_end) {
        pub_poll(&c.pub, 5);
        coord_tick(&c);
    }
    int status = coord_finish(&c) < 0 ? 1 : 0;
    scn_scrape(cfg, &m1);
    const struct bench_slot *t = c.tot;
    scn_report_setup(r, &c);
    rep_num(r, "rate", "notices per second per room", cfg->rate, 1, "msg/s");
    rep_num(r, "churn_rate", "reconnects per second (asked)", cfg->churn_rate, 0, "/s");
    scn_report_connections(r, &c);
    double run_s = (double)(c.t_pub_end - c.t_run) / 1e9;
    rep_int(r, "reconnects", "reconnects completed", (int64_t)t->reconnects);
    rep_num(r, "reconnects_per_s", "reconnects per second", t->reconnects / run_s, 1, "/s");
    rep_int(r, "published", "notices published", (int64_t)c.pub.sent);
    rep_int(r, "delivered", "notice deliveries", (int64_t)t->delivered);
    rep_lat(r, "lat_ms", "publish -> delivery", &t->lat);
    rep_int(r, "seq_gaps", "notice seqs missed", (int64_t)t->seq_gaps);
    rep_int(r, "seq_dups", "notice seqs seen twice", (int64_t)t->seq_dups);
    rep_int(r, "lost", "lost (publisher counter)", (int64_t)t->lost_pub);
    rep_int(r, "behind", "viewers not at the last seq", (int64_t)t->behind);
    rep_int(r, "reconnecting_at_end", "viewers still reconnecting", (int64_t)t->unready_at_end);
    scn_report_scrape(r, &c, &m0, &m1);
    scn_report_resources(r, &c, t->delivered);
    if (c.ready_at_run < (uint64_t)cfg->viewers)
        rep_fail(r, "only %llu of %d viewers got in", (unsigned long long)c.ready_at_run,
                 cfg->viewers);
    if (t->reconnects == 0)
        rep_fail(r, "no reconnect completed");
    if (c.pub.sent == 0)
        rep_fail(r, "nothing was published %s", c.pub.last_close);
    if (t->seq_gaps || t->seq_dups || t->lost_pub || t->dup_pub)
        rep_fail(r, "notices lost or repeated across reconnects: %llu missed, %llu repeated",
                 (unsigned long long)(t->seq_gaps + t->lost_pub),
                 (unsigned long long)(t->seq_dups + t->dup_pub));
    if (t->behind || t->unready_at_end)
        rep_fail(r, "%llu viewers behind and %llu still reconnecting at the end",
                 (unsigned long long)t->behind, (unsigned long long)t->unready_at_end);
    return scn_end(r, &c, status);
}
