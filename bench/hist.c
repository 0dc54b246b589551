/* hist.c: logarithmic latency histogram (see hist.h). */
#include "hist.h"

#include <string.h>

#define HALF (1u << (HIST_SUB_BITS - 1))

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

int hist_index(uint64_t v)
{
    if (v < (1u << HIST_SUB_BITS))
        return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - (HIST_SUB_BITS - 1);
    int idx = shift * (int)HALF + (int)(v >> shift);
    return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

uint64_t hist_bucket_low(int idx)
{
    if (idx < (int)(1u << HIST_SUB_BITS))
        return (uint64_t)idx;
    int shift = idx / (int)HALF - 1;
    uint64_t m = (uint64_t)(idx % (int)HALF) + HALF;
    return m << shift;
}

void hist_add(struct hist *h, uint64_t v)
{
    h->b[hist_index(v)]++;
    h->count++;
    h->sum += v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void hist_merge(struct hist *into, const struct hist *from)
{
    for (int i = 0; i < HIST_BUCKETS; i++)
        into->b[i] += from->b[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (q >= 1.0)
        return h->max;
    uint64_t rank = (uint64_t)(q * (double)h->count);
    if (rank >= h->count)
        rank = h->count - 1;
    uint64_t seen = 0;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen > rank) {
            uint64_t lo = hist_bucket_low(i);
            uint64_t hi = i + 1 < HIST_BUCKETS ? hist_bucket_low(i + 1) : lo;
            uint64_t mid = lo + (hi - lo) / 2;
            if (mid < h->min)
                mid = h->min;
            if (mid > h->max)
                mid = h->max;
            return mid;
        }
    }
    return h->max;
}
