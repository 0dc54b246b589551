/* scn_likes.c: `likes`: a like storm. Every viewer sends {"t":"like","n":K} frames (all
 * viewers together at --like-rate frames per second) for the measured phase; afterwards every
 * viewer's last `likes` total must equal what was sent minus what the gateway refused. Runs in
 * a fresh room, whose total starts at 0. */
#include "bclock.h"
#include "scn.h"

int scn_likes(struct bench_cfg *cfg)
{
    struct coord c;
    struct rep *r = rep_new("likes");
    if (cfg->target != TGT_GATEWAY) {
        rep_fail(r, "likes needs the gateway");
        return scn_end(r, &(struct coord){0}, 2);
    }
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
    while (bench_now_ns() < t_end) {
        pub_poll(&c.pub, 10);
        coord_tick(&c);
    }
    coord_drain(&c);
    uint64_t drain_end = c.t_pub_end + (uint64_t)(cfg->drain * 1e9);
    while (bench_now_ns() < drain_end) {
        pub_poll(&c.pub, 10);
        coord_tick(&c);
    }
    int status = coord_finish(&c) < 0 ? 1 : 0;
    scn_scrape(cfg, &m1);
    const struct bench_slot *t = c.tot;
    scn_report_setup(r, &c);
    rep_num(r, "like_rate", "like frames per second (asked)", cfg->like_rate, 0, "/s");
    scn_report_connections(r, &c);
    int64_t expected = t->likes_sent - t->likes_rejected;
    rep_int(r, "likes_sent", "likes sent (sum of n)", t->likes_sent);
    rep_int(r, "likes_refused", "likes refused (sum of n)", t->likes_rejected);
    rep_int(r, "likes_expected", "final total expected", expected);
    rep_int(r, "likes_final_min", "final total seen (lowest viewer)", t->likes_final_min);
    rep_int(r, "likes_final_max", "final total seen (highest viewer)", t->likes_final_max);
    rep_int(r, "likes_viewers", "viewers that saw a total", (int64_t)t->likes_viewers);
    scn_report_scrape(r, &c, &m0, &m1);
    scn_report_resources(r, &c, 0);
    if (c.ready_at_run < (uint64_t)cfg->viewers)
        rep_fail(r, "only %llu of %d viewers got in", (unsigned long long)c.ready_at_run,
                 cfg->viewers);
    if (t->likes_sent == 0)
        rep_fail(r, "no like was sent");
    if (t->likes_final_max != expected || t->likes_final_min != expected)
        rep_fail(r, "final likes total %lld..%lld, expected %lld", (long long)t->likes_final_min,
                 (long long)t->likes_final_max, (long long)expected);
    return scn_end(r, &c, status);
}
