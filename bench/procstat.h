/* procstat.h: samples a process's CPU time and resident memory from /proc. */
#ifndef BENCH_PROCSTAT_H
#define BENCH_PROCSTAT_H

#include <stdint.h>
#include <sys/types.h>

struct procsample {
    double cpu_s;    /* utime + stime, all threads */
    uint64_t rss_kb; /* VmRSS */
    uint64_t t_ns;   /* when sampled (CLOCK_MONOTONIC) */
};

/* Reads the figures of pid plus its direct children (nginx's workers), summed. Returns 0, or a
 * negative errno (the process is gone). */
int procstat_read(pid_t pid, struct procsample *s);

#endif
