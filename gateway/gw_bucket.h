/* gw_bucket.h: a token bucket for rates (comments, likes, handshakes).
 *
 * Owned by one thread, or used under its owner's lock. Integer arithmetic in
 * milli-tokens so that slow rates stay exact. */
#ifndef GW_BUCKET_H
#define GW_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

struct gw_bucket {
    int64_t milli;   /* tokens * 1000 available */
    int64_t last_ms; /* monotonic time of the last refill */
    int32_t rate;    /* tokens per second */
    int32_t burst;   /* capacity in tokens */
};

static inline void gw_bucket_init(struct gw_bucket *b, int32_t rate, int32_t burst, int64_t now_ms)
{
    b->rate = rate;
    b->burst = burst;
    b->milli = (int64_t)burst * 1000;
    b->last_ms = now_ms;
}

/* Takes n tokens when available and returns true; otherwise takes nothing. */
static inline bool gw_bucket_take(struct gw_bucket *b, int32_t n, int64_t now_ms)
{
    int64_t cap = (int64_t)b->burst * 1000;

    if (now_ms > b->last_ms) {
        b->milli += (now_ms - b->last_ms) * b->rate;
        if (b->milli > cap)
            b->milli = cap;
        b->last_ms = now_ms;
    }
    if (b->milli < (int64_t)n * 1000)
        return false;
    b->milli -= (int64_t)n * 1000;
    return true;
}

#endif
