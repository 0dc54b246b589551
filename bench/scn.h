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
