/* rush_redis.h: the rush's Redis side: the baseline (the usual Redis Lua script per order,
 * driven at the same rate as the gateway's rush: every viewer orders once within --spread-ms),
 * and the check of what the gateway wrote (proto/REDIS.md) against what its viewers were told.
 *
 * Baseline: the coordinator loads the script and sets the stock (rush_redis_setup), each
 * viewer process opens one connection and calls the script for its share of the orders at
 * their scheduled times (rush_redis_viewer_main), and the coordinator checks Redis afterwards
 * (rush_redis_check): no oversell, every acknowledged order present.
 * Gateway: after the viewers exited, the coordinator reads the sale's hash, its open set and
 * order list, and the hash of every order id a viewer was acknowledged
 * (rush_redis_check_gateway). Only 127.0.0.0/8 Redis addresses are accepted. */
#ifndef BENCH_RUSH_REDIS_H
#define BENCH_RUSH_REDIS_H

#include <stdint.h>

#include "bench.h"

struct rush_redis_check {
    int64_t stock_left;   /* the stock key afterwards */
    int64_t orders_in_db; /* entries in the orders hash */
};

/* Loads the script into cfg->redis, sets the stock key and clears the orders hash, and
 * stores the script's SHA1 in sha (41 bytes). Returns 0, or -1 with a message on stderr. */
int rush_redis_setup(const struct bench_cfg *cfg, char *sha);

/* A viewer process of the baseline: orders for viewers [first, first + count) once go_ns is
 * set, then waits for PH_EXIT. Never returns. */
_Noreturn void rush_redis_viewer_main(const struct bench_cfg *cfg, struct bench_shm *shm, int slot,
                                      int first, int count, const char *sha);

/* Reads the stock key and the orders hash. Returns 0 or -1. */
int rush_redis_check(const struct bench_cfg *cfg, struct rush_redis_check *out);

/* What Redis holds for the gateway's sale cfg->sale of room cfg->room after a rush, and how the
 * order ids acknowledged to the viewers (bench_order_id) compare with it. */
struct rush_gw_check {
    int64_t stock, reserved, paid; /* lg:sale:<room>:<sale> fields; -1 when absent */
    int64_t open;                  /* ZCARD lg:sale:<room>:<sale>:open */
    int64_t listed;                /* LLEN lg:sale:<room>:<sale>:orders (every order written) */
    uint64_t acked;                /* order ids acknowledged to viewers, checked below */
    uint64_t reserved_ok;          /* ... whose lg:order:<id> is state reserved, of the viewer's
                                      uid, room and sale, and in the open set */
    uint64_t missing;              /* ... with no lg:order:<id> hash */
    uint64_t wrong_state;          /* ... in another state than reserved */
    uint64_t wrong_owner;          /* ... of another uid, room or sale */
    uint64_t not_open;             /* ... missing from the open set */
    uint64_t duplicates;           /* ids acknowledged to more than one viewer */
    char example[160];             /* the first discrepancy found, for the report */
};

/* Runs the check above. Returns 0, or -1 when Redis could not be read. */
int rush_redis_check_gateway(const struct bench_cfg *cfg, struct bench_shm *shm,
                             struct rush_gw_check *out);

#endif
