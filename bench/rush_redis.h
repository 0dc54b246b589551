/* rush_redis.h: the rush baseline: the usual Redis Lua script per order, driven at the same
 * rate as the gateway's rush (every viewer orders once within --spread-ms).
 *
 * The coordinator loads the script and sets the stock (rush_redis_setup), each viewer process
 * opens one connection and calls the script for its share of the orders at their scheduled
 * times (rush_redis_viewer_main), and the coordinator checks Redis afterwards
 * (rush_redis_check): no oversell, every acknowledged order present. */
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

#endif
