/* report.h: a run's output: a readable table and one JSON line, both on stdout.
 *
 * Scenarios add named figures in order; rep_print writes the table (one figure a line) and
 * then the JSON object on a single line starting with '{', so `grep '^{'` extracts it. */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "hist.h"

struct rep;

struct rep *rep_new(const char *scenario);
void rep_free(struct rep *r);

void rep_str(struct rep *r, const char *key, const char *label, const char *v);
void rep_int(struct rep *r, const char *key, const char *label, int64_t v);
/* A number printed with `decimals` decimals and `unit` after it in the table. */
void rep_num(struct rep *r, const char *key, const char *label, double v, int decimals,
             const char *unit);
/* p50, p90, p99, p99.9 and max of h, in milliseconds, as key_p50 ... key_max. */
void rep_lat(struct rep *r, const char *key, const char *label, const struct hist *h);
/* A failed check, listed under the table and in the JSON "failures" array. */
void rep_fail(struct rep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

bool rep_ok(const struct rep *r);

/* Prints the table and the JSON line. */
void rep_print(struct rep *r);

#endif
