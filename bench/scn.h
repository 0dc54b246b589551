/* scn.h: the scenarios, one sub-command each. Each runs one measured load against the target
 * and prints its report; it returns the process exit status: 0 ok, 1 a check failed, 2 the
 * run could not be made (target unreachable, feature missing). */
#ifndef BENCH_SCN_H
#define BENCH_SCN_H

#include "bench.h"
#include "coord.h"
#include "report.h"

int scn_fanout(struct bench_cfg *cfg);
int scn_likes(struct bench_cfg *cfg);
int scn_rush(struct bench_cfg *cfg);
int scn_churn(struct bench_cfg *cfg);
int scn_idle(struct bench_cfg *cfg);

/* The gateway's /metrics, parsed: every sample line as name (with labels) and value. */
#define SCRAPE_MAX 160
struct scrape {
    int n;
    char name[SCRAPE_MAX][96];
    double v[SCRAPE_MAX];
};

/* Fetches the gateway's GET /metrics. Returns 0, or -1 (s->n is then 0). */
int scn_scrape(const struct bench_cfg *cfg, struct scrape *s);

/* The value of one sample of a scrape (name with its labels), 0 when absent. */
double scn_metric(const struct scrape *s, const char *name);

/* Reports the server's own counters between two scrapes: drops by class, messages per write,
 * replays, rate limiting. Nothing when either scrape failed. */
void scn_report_scrape(struct rep *r, const struct coord *c, const struct scrape *before,
                       const struct scrape *after);

/* Shared report sections (scn_common.c). */
void scn_report_setup(struct rep *r, const struct coord *c);
void scn_report_connections(struct rep *r, const struct coord *c);
/* Server and harness CPU over the measured phase; per-delivery figures when deliveries > 0. */
void scn_report_resources(struct rep *r, const struct coord *c, uint64_t deliveries);
/* Publisher figures and the delivery-latency histogram's plot. */
void scn_report_plot(struct rep *r, const struct coord *c, const char *title);
/* Prints the report and returns the exit status; frees r and cleans c up. */
int scn_end(struct rep *r, struct coord *c, int status);

#endif
