/* scn_fanout.c: `fanout`: N viewers in one room (or --rooms K), a publisher at --rate messages
 * per second per room (or --rate max: as fast as the viewers take them, at most --window
 * messages in flight per viewer), each message carrying its send time. Measures per-delivery
 * latency, deliveries per second, losses and server-reported drops (room seq gaps). */
#include <stdio.h>
#include <string.h>

#include "bclock.h"
#include "scn.h"

/* Deliveries the run should have made: every published message to every viewer of its room,
 * scaled by the share of viewers that were ready when publishing began. */
static uint64_t expected_deliveries(const struct coord *c)
{
    const struct bench_cfg *cfg = c->cfg;
    double share = cfg->viewers ? (double)c->ready_at_run / cfg->viewers : 0;
    double e = 0;
    for (int r = 0; r < cfg->rooms; r++) {
        int n = cfg->viewers / cfg->rooms + (r < cfg->viewers % cfg->rooms);
        e += (double)c->pub.pub[r] * n * share;
    }
    return (uint64_t)(e + 0.5);
}

static void publish_loop(struct coord *c)
{
    const struct bench_cfg *cfg = c->cfg;
    uint64_t t_end = c->t_run + (uint64_t)(cfg->duration * 1e9);
    int room = 0;
    if (cfg->rate_max) {
        double per_viewer = c->ready_at_run ? 1.0 / (double)c->ready_at_run : 0;
        while (bench_now_ns() < t_end) {
            double in_flight =
                (double)c->pub.sent / cfg->rooms - (double)coord_delivered(c) * per_viewer;
            int rc = in_flight < cfg->window ? pub_bench(&c->pub, room) : 1;
            if (rc == 0) {
                room = (room + 1) % cfg->rooms;
                pub_poll(&c->pub, 0);
            } else {
                pub_poll(&c->pub, 1);
            }
            coord_tick(c);
        }
        return;
    }
    double interval = 1e9 / (cfg->rate * cfg->rooms);
    uint64_t k = 0;
    for (;;) {
        uint64_t now = bench_now_ns();
        if (now >= t_end)
            break;
        while (c->t_run + (uint64_t)(k * interval) <= now) {
            if (pub_bench(&c->pub, room) == 1)
                break; /* every HTTP publisher busy: retry after polling */
            room = (room + 1) % cfg->rooms;
            k++;
        }
        uint64_t next = c->t_run + (uint64_t)(k * interval);
        now = bench_now_ns();
        /* At least 1 ms: at high rates messages go out in small bursts instead of the
         * coordinator spinning on a core the server needs. */
        int wait_ms = next > now ? (int)((next - now) / 1000000) : 0;
        pub_poll(&c->pub, wait_ms < 1 ? 1 : wait_ms > 100 ? 100 : wait_ms);
        coord_tick(c);
    }
}

int scn_fanout(struct bench_cfg *cfg)
{
    struct coord c;
    struct rep *r = rep_new("fanout");
    int status = 0;
    if (coord_start(&c, cfg) < 0 || pub_start(&c.pub, cfg, 10) < 0) {
        rep_fail(r, "could not start (is the %s listening on %s?)",
                 cfg->target == TGT_NCHAN ? "nchan" : "gateway", cfg->host_hdr);
        coord_finish(&c);
        return scn_end(r, &c, 2);
    }
    uint64_t ready = coord_wait_ready(&c);
    if (ready == 0) {
        rep_fail(r, "no viewer got in");
        coord_finish(&c);
        scn_report_setup(r, &c);
        scn_report_connections(r, &c);
        return scn_end(r, &c, 2);
    }
    static struct scrape m0, m1;
    scn_scrape(cfg, &m0);
    coord_run(&c);
    publish_loop(&c);
    pub_wait_idle(&c.pub, 5000);
    coord_drain(&c);
    uint64_t expected = expected_deliveries(&c);
    uint64_t drain_end = c.t_pub_end + (uint64_t)(cfg->drain * 1e9);
    while (bench_now_ns() < drain_end && coord_delivered(&c) < expected) {
        pub_poll(&c.pub, 2);
        coord_tick(&c);
    }
    if (coord_finish(&c) < 0)
        status = 1;
    scn_scrape(cfg, &m1);
    const struct bench_slot *t = c.tot;

    scn_report_setup(r, &c);
    rep_str(r, "publisher", "publisher",
            cfg->target == TGT_NCHAN ? "http (nchan publisher)"
            : cfg->pub_http          ? "http POST /api/rooms/../events"
            : cfg->prio_high         ? "ws host notice"
                                     : "ws viewer comment");
    rep_str(r, "priority", "priority", cfg->prio_high ? "high" : "low");
    if (cfg->rate_max) {
        rep_str(r, "rate", "rate per room", "max");
        rep_int(r, "window", "window (msgs in flight per viewer)", cfg->window);
    } else {
        rep_num(r, "rate", "rate per room", cfg->rate, 1, "msg/s");
    }
    rep_int(r, "size", "message text", cfg->size);
    scn_report_connections(r, &c);
    double pub_s = (double)(c.t_pub_end - c.t_run) / 1e9;
    rep_int(r, "published", "messages published", (int64_t)c.pub.sent);
    rep_num(r, "publish_rate", "publish rate achieved", c.pub.sent / pub_s, 1, "msg/s");
    rep_int(r, "publish_failed", "publish failures", (int64_t)c.pub.failed_sends);
    rep_int(r, "acked", cfg->pub_http ? "publishes answered 2xx" : "publisher acks",
            (int64_t)c.pub.acked);
    if (cfg->pub_http)
        rep_int(r, "pub_conns", "HTTP publishing connections", cfg->pub_conns);
    if (c.pub.errors)
        rep_int(r, "publisher_errors", "publisher error replies", (int64_t)c.pub.errors);
    if (cfg->pub_http)
        rep_lat(r, "publish_rtt_ms", "publish round trip", &c.pub.rtt);
    rep_int(r, "expected", "deliveries expected", (int64_t)expected);
    rep_int(r, "delivered", "deliveries", (int64_t)t->delivered);
    rep_int(r, "lost", "lost (publisher counter)", (int64_t)t->lost_pub);
    rep_int(r, "duplicates", "duplicates", (int64_t)t->dup_pub);
    rep_int(r, "reordered", "arrived after a later message", (int64_t)t->reordered);
    rep_num(r, "delivered_pct", "delivered",
            expected ? 100.0 * (double)t->delivered / (double)expected : 0, 3, "%");
    double span = t->last_delivery_ns > c.t_run ? (double)(t->last_delivery_ns - c.t_run) / 1e9 : 0;
    double dps = span > 0 ? (double)t->delivered / span : 0;
    rep_num(r, "deliveries_per_s", "deliveries per second", dps, 0, "/s");
    rep_lat(r, "lat_ms", "publish -> delivery", &t->lat);
    if (cfg->target == TGT_GATEWAY) {
        rep_int(r, "seq_gaps", "room seq gaps (server drops)", (int64_t)t->seq_gaps);
        rep_int(r, "seq_dups", "room seq repeats", (int64_t)t->seq_dups);
    }
    if (t->bad_msgs)
        rep_int(r, "bad_msgs", "unparsable bench messages", (int64_t)t->bad_msgs);
    scn_report_scrape(r, &c, &m0, &m1);
    scn_report_resources(r, &c, t->delivered);
    char title[160];
    snprintf(title, sizeof(title), "fanout %s: %d viewers, %s, %s msg/s",
             cfg->target == TGT_NCHAN ? "nchan" : "livegw", cfg->viewers,
             cfg->prio_high ? "high priority" : "low priority", cfg->rate_max ? "max" : "paced");
    scn_report_plot(r, &c, title);

    if (c.pub.sent == 0)
        rep_fail(r, "nothing was published (%llu failures) %s",
                 (unsigned long long)c.pub.failed_sends, c.pub.last_close);
    if (c.ready_at_run < (uint64_t)cfg->viewers)
        rep_fail(r, "only %llu of %d viewers got in", (unsigned long long)c.ready_at_run,
                 cfg->viewers);
    if (cfg->prio_high || cfg->target == TGT_NCHAN) {
        if (t->lost_pub || t->delivered < expected)
            rep_fail(r, "high-priority deliveries missing at the end of the drain: %llu of %llu",
                     (unsigned long long)t->delivered, (unsigned long long)expected);
        if (t->closes_4009)
            rep_fail(r, "%llu viewers closed as too slow", (unsigned long long)t->closes_4009);
    }
    if (t->dup_pub)
        rep_fail(r, "%llu duplicate deliveries", (unsigned long long)t->dup_pub);
    return scn_end(r, &c, status);
}
