/* hist.h: a latency histogram with HDR-style logarithmic buckets.
 *
 * Values are nanoseconds. Below 64 each value has its own bucket; above, every power of two is
 * split into 32 buckets, so a reported percentile is within 1/32 (about 3%) of the true value.
 * Recording is an index computation and an increment; histograms of several processes merge by
 * adding buckets. The struct is plain data so it can live in memory shared between processes. */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_BUCKETS  1280 /* covers values up to 2^40 ns, about 18 minutes */

struct hist {
    uint64_t count;
    uint64_t min;
    uint64_t max;
    long double sum;
    uint64_t b[HIST_BUCKETS];
};

void hist_init(struct hist *h);

/* Records one value (ns). */
void hist_add(struct hist *h, uint64_t v);

/* Adds every bucket of `from` into `into`. */
void hist_merge(struct hist *into, const struct hist *from);

/* The value below which fraction q (0..1) of the recorded values lie (bucket midpoint, clamped
 * to the exact min and max). 0 when the histogram is empty. */
uint64_t hist_quantile(const struct hist *h, double q);

/* Bucket index of a value, and the lowest value of a bucket. */
int hist_index(uint64_t v);
uint64_t hist_bucket_low(int idx);

#endif
