/* scn_idle.c: `idle`: N viewers connect and stay idle. With --server-pid, reports the server's
 * RSS per viewer: (RSS with everyone connected, after a settling pause) minus (RSS before the
 * first viewer), over the viewers connected. Start a fresh server for a clean baseline. */
#include <string.h>

#include "bclock.h"
#include "scn.h"

int scn_idle(struct bench_cfg *cfg)
{
    struct coord c;
    struct rep *r = rep_new("idle");
    static struct scrape m0, m1;
    scn_scrape(cfg, &m0);
    if (coord_start(&c, cfg) < 0) {
        rep_fail(r, "could not start");
        return scn_end(r, &c, 2);
    }
    coord_wait_ready(&c);
    /* Let the server finish its per-connection set-up (and free its handshake buffers). */
    uint64_t settle = bench_now_ns() + 2000000000ull;
    while (bench_now_ns() < settle) {
        pub_poll(&c.pub, 20);
        coord_tick(&c);
    }
    scn_scrape(cfg, &m1);
    coord_run(&c);
    uint64_t t_end = c.t_run + (uint64_t)(cfg->duration * 1e9);
    while (bench_now_ns() < t_end) {
        pub_poll(&c.pub, 20);
        coord_tick(&c);
    }
    coord_drain(&c);
    int status = coord_finish(&c) < 0 ? 1 : 0;
    const struct bench_slot *t = c.tot;
    scn_report_setup(r, &c);
    scn_report_connections(r, &c);
    double ramp_s = (double)(c.t_ready - c.t_start) / 1e9;
    rep_num(r, "connects_per_s", "connections per second", c.ready_at_run / ramp_s, 0, "/s");
    rep_int(r, "ready_at_end", "viewers still connected at the end",
            (int64_t)(c.ready_at_run - t->closes_4009 - t->closes_1001 - t->closes_other));
    if (c.server && c.ready_at_run) {
        double kb = ((double)c.srv_run.rss_kb - (double)c.srv_base.rss_kb) / c.ready_at_run;
        rep_int(r, "server_rss_empty_kb", "server RSS, empty", (int64_t)c.srv_base.rss_kb);
        rep_int(r, "server_rss_full_kb", "server RSS, all connected", (int64_t)c.srv_run.rss_kb);
        rep_num(r, "server_kb_per_viewer", "server RSS per viewer", kb, 2, "KB");
        double cpu = c.srv_run.cpu_s - c.srv_base.cpu_s;
        rep_num(r, "server_cpu_ramp_s", "server CPU during the ramp", cpu, 2, "s");
        rep_num(r, "server_cpu_us_per_connect", "server CPU per connection (ramp)",
                cpu * 1e6 / (double)c.ready_at_run, 1, "us");
    }
    if (m0.n && m1.n) {
        /* The ramp's own traffic: every join changes the room's `online` count. */
        double msgs = 0, writes = 0;
        for (int i = 0; i < m1.n; i++) {
            for (int j = 0; j < m0.n; j++) {
                if (strcmp(m1.name[i], m0.name[j]) != 0)
                    continue;
                if (strcmp(m1.name[i], "livegw_messages_out_total") == 0)
                    msgs = m1.v[i] - m0.v[j];
                if (strcmp(m1.name[i], "livegw_writes_total") == 0)
                    writes = m1.v[i] - m0.v[j];
            }
        }
        rep_int(r, "ramp_server_msgs", "server messages during the ramp", (int64_t)msgs);
        rep_int(r, "ramp_server_writes", "server writes during the ramp", (int64_t)writes);
    }
    scn_report_resources(r, &c, 0);
    if (c.ready_at_run < (uint64_t)cfg->viewers)
        rep_fail(r, "only %llu of %d viewers got in", (unsigned long long)c.ready_at_run,
                 cfg->viewers);
    if (t->closes_4009 + t->closes_1001 + t->closes_other)
        rep_fail(r, "%llu idle viewers were disconnected",
                 (unsigned long long)(t->closes_4009 + t->closes_1001 + t->closes_other));
    return scn_end(r, &c, status);
}
