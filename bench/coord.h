/* coord.h: the coordinator: forks the viewer processes, moves the run through its phases,
 * samples the server, and merges the viewers' slots when they are done.
 *
 * Runs in the process that parsed the command line; the viewer processes only ever read its
 * phase and timestamps (see bench.h). */
#ifndef BENCH_COORD_H
#define BENCH_COORD_H

#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "procstat.h"
#include "publish.h"

struct coord {
    struct bench_cfg *cfg;
    struct bench_shm *shm;
    size_t shm_size;
    pid_t *kids;
    int nkids;
    struct publisher pub;
    /* server sampling (cfg->server_pid) */
    bool server;
    struct procsample srv_base; /* before any viewer connected */
    struct procsample srv_run;  /* when the measured phase began */
    struct procsample srv_end;  /* when it ended */
    uint64_t srv_rss_max_kb;
    uint64_t next_sample_ns;
    /* timeline */
    uint64_t t_start, t_ready, t_run, t_pub_end, t_end;
    uint64_t ready_at_run;
    double own_cpu_run_s; /* the coordinator's CPU during the measured phase */
    double own_cpu_mark;
    /* merged results, valid after coord_finish */
    struct bench_slot *tot;
    int viewers_exited_ok;
};

/* Maps the shared memory and forks cfg->procs viewer processes, which start ramping at once.
 * Samples the server's baseline first. Returns 0 or -1. */
int coord_start(struct coord *c, struct bench_cfg *cfg);

/* Sums over slots (relaxed reads of progress counters). */
uint64_t coord_ready(const struct coord *c);
uint64_t coord_failed(const struct coord *c);
uint64_t coord_delivered(const struct coord *c);

/* Waits until every viewer is ready or failed, or cfg->ready_timeout passed, servicing the
 * publisher meanwhile. Returns the number of ready viewers. */
uint64_t coord_wait_ready(struct coord *c);

/* Starts the measured phase: samples the server, stamps t_run, phase PH_RUN. */
void coord_run(struct coord *c);

/* Call often during the run: samples the server every 100 ms. */
void coord_tick(struct coord *c);

/* Ends the measured phase: samples the server, phase PH_DRAIN. */
void coord_drain(struct coord *c);

/* Sets the final per-room figures, phase PH_EXIT, waits for the viewers and merges their
 * slots into c->tot. Returns 0, or -1 when a viewer did not exit cleanly. */
int coord_finish(struct coord *c);

/* Kills and reaps viewers still running, unmaps. Safe after a failed coord_start. */
void coord_cleanup(struct coord *c);

#endif
