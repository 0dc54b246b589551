/* bclock.h: the bench's clock. CLOCK_MONOTONIC is one clock for every process on the machine,
 * so a timestamp written by the publisher process is comparable in the viewer processes. */
#ifndef BENCH_BCLOCK_H
#define BENCH_BCLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
