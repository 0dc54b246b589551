/* redis_proc.h: a private redis-server for one test: free port, spawn, stop, restart. */
#ifndef REDIS_PROC_H
#define REDIS_PROC_H

#include <sys/types.h>

struct redis_proc {
    int port;
    pid_t pid; /* 0 when stopped */
};

/* Picks a free port and starts `redis-server` (found on PATH) on it without
 * persistence; waits until it answers PING. Returns 0 or -1. */
int redis_proc_start(struct redis_proc *r);

/* Starts it again on the same port (after redis_proc_stop). Returns 0 or -1. */
int redis_proc_restart(struct redis_proc *r);

/* SIGKILLs the server and reaps it. Accepts a stopped one. */
void redis_proc_stop(struct redis_proc *r);

#endif
