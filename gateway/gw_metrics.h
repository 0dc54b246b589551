/* gw_metrics.h: counters for /metrics, one set per worker thread.
 *
 * Each worker increments only its own set (relaxed atomics on a cache line nobody else
 * writes: no contention, and no data race with the /metrics reader, which sums the
 * sets with relaxed loads; figures need no ordering with anything else). */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "proto_enc.h"

enum gw_close_slot {
    GW_CLOSE_NORMAL = 0, /* 1000 / peer closed */
    GW_CLOSE_1001,
    GW_CLOSE_1003,
    GW_CLOSE_1007,
    GW_CLOSE_1008,
    GW_CLOSE_1009,
    GW_CLOSE_4008,
    GW_CLOSE_4009,
    GW_CLOSE_4100,
    GW_CLOSE_SLOTS
};

enum gw_refuse_slot {
    GW_REFUSE_400 = 0,
    GW_REFUSE_401,
    GW_REFUSE_403,
    GW_REFUSE_404,
    GW_REFUSE_429,
    GW_REFUSE_503,
    GW_REFUSE_SLOTS
};

struct gw_counters {
    atomic_uint_fast64_t conns_opened;
    atomic_uint_fast64_t frames_in;
    atomic_uint_fast64_t bytes_in;
    atomic_uint_fast64_t msgs_out; /* server messages delivered (frames) */
    atomic_uint_fast64_t writes;   /* lws_write calls carrying them */
    atomic_uint_fast64_t bytes_out;
    atomic_uint_fast64_t batches;         /* per-shard batches framed */
    atomic_uint_fast64_t dropped_sampled; /* comments kept out of the room stream */
    atomic_uint_fast64_t dropped_lag;     /* low-priority bytes skipped for slow viewers */
    atomic_uint_fast64_t lag_skips;       /* times a slow viewer was skipped forward */
    atomic_uint_fast64_t rate_limited;
    atomic_uint_fast64_t bad_requests;
    atomic_uint_fast64_t token_failures;
    atomic_uint_fast64_t replayed; /* events replayed for since */
    atomic_uint_fast64_t replay_gaps;
    atomic_uint_fast64_t queue_bytes; /* gauge: bytes in targeted queues */
    atomic_uint_fast64_t closes[GW_CLOSE_SLOTS];
    atomic_uint_fast64_t refused[GW_REFUSE_SLOTS];
    atomic_uint_fast64_t connections;      /* gauge: open WebSocket connections */
    atomic_uint_fast64_t orders_ok;        /* `order` replies ok: true */
    atomic_uint_fast64_t orders_refused;   /* `order` replies ok: false */
    atomic_uint_fast64_t comments_masked;  /* comments with listed words masked */
    atomic_uint_fast64_t comments_blocked; /* comments refused for listed words */
} __attribute__((aligned(64)));

static inline void gw_count(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline void gw_uncount(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_fetch_sub_explicit(c, n, memory_order_relaxed);
}

enum gw_close_slot gw_close_slot_of(int code);

struct gw_server;

/* Appends the Prometheus text exposition of every counter to b. */
void gw_metrics_render(struct gw_server *srv, struct proto_buf *b);

#endif
