/* scn_common.c: report sections shared by the scenarios. */
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "httpc.h"
#include "plot.h"
#include "scn.h"

int scn_scrape(const struct bench_cfg *cfg, struct scrape *s)
{
    s->n = 0;
    if (cfg->target != TGT_GATEWAY)
        return -1;
    struct httpc h;
    httpc_init(&h, &cfg->dst, cfg->host_hdr);
    const char *body;
    size_t len;
    int rc = httpc_request(&h, "GET", "/metrics", NULL, "", 0, &body, &len);
    if (rc == 200) {
        const char *p = body, *end = body + len;
        while (p < end && s->n < SCRAPE_MAX) {
            const char *eol = memchr(p, '\n', (size_t)(end - p));
            if (!eol)
                eol = end;
            const char *sp = memchr(p, ' ', (size_t)(eol - p));
            if (*p != '#' && sp && (size_t)(sp - p) < sizeof(s->name[0])) {
                memcpy(s->name[s->n], p, (size_t)(sp - p));
                s->name[s->n][sp - p] = '\0';
                s->v[s->n] = strtod(sp + 1, NULL);
                s->n++;
            }
            p = eol + 1;
        }
    }
    httpc_fini(&h);
    return rc == 200 ? 0 : -1;
}

double scn_metric(const struct scrape *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0)
            return s->v[i];
    return 0;
}

void scn_report_scrape(struct rep *r, const struct coord *c, const struct scrape *a,
                       const struct scrape *b)
{
    if (!a->n || !b->n)
        return;
#define D(name) (scn_metric(b, name) - scn_metric(a, name))
    char drops[180] = "";
    size_t o = 0;
    static const char prefix[] = "livegw_dropped_total{class=\"";
    for (int i = 0; i < b->n && o < sizeof(drops); i++) {
        if (strncmp(b->name[i], prefix, sizeof(prefix) - 1) != 0)
            continue;
        const char *cls = b->name[i] + sizeof(prefix) - 1;
        int cl = (int)strcspn(cls, "\"");
        o += (size_t)snprintf(drops + o, sizeof(drops) - o, "%s%.*s=%.0f", o ? " " : "", cl, cls,
                              D(b->name[i]));
    }
    if (drops[0])
        rep_str(r, "server_drops", "server drops by class (/metrics)", drops);
    double writes = D("livegw_writes_total");
    if (writes > 0) {
        rep_num(r, "server_msgs_per_write", "server messages per write",
                D("livegw_messages_out_total") / writes, 1, "");
        /* Its CPU over its writes: what one write (with its share of the loop) costs. */
        if (c->server)
            rep_num(r, "server_cpu_us_per_write", "server CPU per write",
                    (c->srv_end.cpu_s - c->srv_run.cpu_s) * 1e6 / writes, 2, "us");
    }
    rep_int(r, "server_4009", "server closes 4009 (/metrics)",
            (int64_t)D("livegw_closes_total{code=\"4009\"}"));
    rep_int(r, "server_rate_limited", "server rate-limited msgs (/metrics)",
            (int64_t)D("livegw_rate_limited_total"));
    rep_int(r, "server_replayed", "server replayed on resume (/metrics)",
            (int64_t)D("livegw_replayed_total"));
    rep_int(r, "server_replay_gaps", "server resumes past the window",
            (int64_t)D("livegw_replay_gaps_total"));
#undef D
}

void scn_report_setup(struct rep *r, const struct coord *c)
{
    const struct bench_cfg *cfg = c->cfg;
    rep_str(r, "target", "target",
            cfg->target == TGT_NCHAN   ? "nchan"
            : cfg->target == TGT_REDIS ? "redis (Lua baseline)"
                                       : "gateway");
    if (cfg->label)
        rep_str(r, "label", "label", cfg->label);
    rep_str(r, "server", "server address", cfg->host_hdr);
    rep_int(r, "viewers", "viewers requested", cfg->viewers);
    rep_int(r, "procs", "client processes", cfg->procs);
    rep_int(r, "src_addrs", "source addresses (127.0.0.2..)", cfg->src_addrs);
    rep_int(r, "rooms", "rooms", cfg->rooms);
    rep_num(r, "duration_s", "measured phase", cfg->duration, 1, "s");
}

void scn_report_connections(struct rep *r, const struct coord *c)
{
    const struct bench_slot *t = c->tot;
    rep_int(r, "ready", "viewers ready at start", (int64_t)c->ready_at_run);
    rep_int(r, "connect_failed", "viewers that never got in", (int64_t)t->failed);
    double ramp_s = c->t_ready > c->t_start ? (double)(c->t_ready - c->t_start) / 1e9 : 0;
    rep_num(r, "ramp_s", "connection ramp took", ramp_s, 2, "s");
    rep_lat(r, "connect_ms", "connect -> welcome", &t->connect);
    rep_int(r, "closes_4009", "closes 4009 (too slow)", (int64_t)t->closes_4009);
    rep_int(r, "closes_1001", "closes 1001 (going away)", (int64_t)t->closes_1001);
    rep_int(r, "closes_other", "other closes / resets", (int64_t)t->closes_other);
    rep_int(r, "refused", "handshakes refused", (int64_t)t->refused);
    if (c->cfg->target == TGT_GATEWAY) {
        rep_int(r, "online_msgs", "`online` updates received", (int64_t)t->online_msgs);
        if (c->ready_at_run)
            rep_num(r, "online_msgs_per_viewer", "`online` updates per viewer",
                    (double)t->online_msgs / (double)c->ready_at_run, 1, "");
    }
    rep_int(r, "deferred", "handshakes deferred (503, retried)", (int64_t)t->deferred);
    if (t->last_close_why[0]) {
        char why[96];
        snprintf(why, sizeof(why), "%d %s", t->last_close_code, t->last_close_why);
        rep_str(r, "last_close", "last close seen", why);
    }
    if (t->codes[0].n) {
        char codes[180] = "";
        size_t o = 0;
        for (int i = 0; i < BENCH_CODES && t->codes[i].n && o < sizeof(codes); i++)
            o += (size_t)snprintf(codes + o, sizeof(codes) - o, "%s%s=%llu", i ? " " : "",
                                  t->codes[i].code, (unsigned long long)t->codes[i].n);
        rep_str(r, "error_codes", "errors by code (viewers)", codes);
    }
}

void scn_report_resources(struct rep *r, const struct coord *c, uint64_t deliveries)
{
    const struct bench_slot *t = c->tot;
    double wall = c->t_end > c->t_run ? (double)(c->t_end - c->t_run) / 1e9 : 0;
    if (c->server && wall > 0) {
        double cpu = c->srv_end.cpu_s - c->srv_run.cpu_s;
        rep_num(r, "server_cpu_pct", "server CPU (of one core)", cpu / wall * 100, 1, "%");
        if (deliveries)
            rep_num(r, "server_cpu_us_per_delivery", "server CPU per delivery",
                    cpu * 1e6 / (double)deliveries, 3, "us");
        rep_int(r, "server_rss_base_kb", "server RSS before the run", (int64_t)c->srv_base.rss_kb);
        rep_int(r, "server_rss_max_kb", "server RSS max", (int64_t)c->srv_rss_max_kb);
    }
    double hcpu = t->cpu_run_s + c->own_cpu_run_s;
    if (wall > 0)
        rep_num(r, "harness_cpu_pct", "harness CPU (of one core)", hcpu / wall * 100, 1, "%");
    if (deliveries)
        rep_num(r, "harness_cpu_us_per_delivery", "harness CPU per delivery",
                hcpu * 1e6 / (double)deliveries, 3, "us");
    rep_int(r, "harness_rss_max_kb", "harness RSS max (one process)", t->maxrss_kb);
}

void scn_report_plot(struct rep *r, const struct coord *c, const char *title)
{
    const struct bench_cfg *cfg = c->cfg;
    if (!cfg->plot || c->tot->lat.count == 0)
        return;
    int rc = plot_write(cfg->plot, title, "deliveries", &c->tot->lat, c->tot->bins, BENCH_BINS);
    char path[1024];
    snprintf(path, sizeof(path), "%s.%s", cfg->plot, rc == 0 ? "svg" : "gp");
    rep_str(r, "plot", rc < 0 ? "plot (failed)" : "plot", path);
}

int scn_end(struct rep *r, struct coord *c, int status)
{
    if (status == 0 && !rep_ok(r))
        status = 1;
    rep_print(r);
    rep_free(r);
    pub_stop(&c->pub);
    coord_cleanup(c);
    return status;
}
