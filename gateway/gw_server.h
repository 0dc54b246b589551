/* gw_server.h: the process-wide gateway and its worker threads.
 *
 * DESIGN. One worker thread per core (configurable). Each owns a libev loop it creates
 * itself (epoll), an lws context built on that foreign loop, and its own SO_REUSEPORT
 * listening socket adopted into lws as a raw file; the kernel spreads new connections
 * over the threads. A connection lives its whole life on the thread that accepted it.
 * Rooms are shared (gw_room.h); each thread keeps its shard of every room it serves.
 *
 * Threads talk only through: room locks (publish), the lock-free per-thread dirty
 * stack (a shard has new events), atomics (counters, drain flag), and
 * lws_cancel_service() to wake a loop. Every worker runs its fan-out tick from an lws
 * timer on its own loop. */
#ifndef GW_SERVER_H
#define GW_SERVER_H

#include <ev.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "gw_bag.h"
#include "gw_bucket.h"
#include "gw_config.h"
#include "gw_live.h"
#include "gw_metrics.h"
#include "gw_room.h"
#include "gw_sales.h"
#include "gw_strmap.h"
#include "gw_wordfilter.h"
#include "proto_enc.h"

struct gw_server;
struct gw_wait;
struct sale_store;
struct gw_kv;

struct gw_worker {
    int idx;
    struct gw_server *srv;
    pthread_t thread;
    struct ev_loop *loop;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    int listen_fd;
    struct lws *listen_wsi;
    bool accept_paused;

    lws_retry_bo_t retry;              /* ping / hang-up policy of the vhost */
    struct lws_protocols protocols[3]; /* the vhost's protocols (outlive it) */
    lws_sorted_usec_list_t tick_sul;
    lws_sorted_usec_list_t accept_sul;
    lws_sorted_usec_list_t drain_sul;

    /* Shards with new events, pushed by any thread (Treiber stack, drained whole by
     * this thread with one exchange). */
    _Atomic(struct gw_shard *) dirty;

    struct gw_counters m;
    struct gw_bucket handshakes; /* admission pacing */
    lws_dll2_owner_t conns;      /* every WebSocket connection on this thread */

    struct proto_buf enc;   /* scratch for encoding (this thread only) */
    struct proto_buf enc2;  /* a second one: parts of a message (welcome.sales) */
    unsigned char *scratch; /* LWS_PRE + scratch_cap: gathering writes */
    size_t scratch_cap;
    unsigned int rng; /* jitter */

    /* Flash sales (gw_sales.c). */
    struct sale_store *store;                  /* this thread's order store, once loaded */
    _Atomic(struct sale_store *) store_shared; /* the same, for other threads' reads */
    _Atomic(struct gw_wait *) sales_handoff;   /* order results settled by other threads */
    int64_t sales_next_poll_ms;

    struct gw_kv *kv; /* Redis for room data: bags, CRM records (gw_kv.h) */

    bool draining;
    int64_t drain_deadline_ms;
    bool started;
};

struct gw_server {
    struct gw_config cfg;
    int nworkers;
    struct gw_worker *workers;
    struct gw_rooms rooms;
    struct gw_sales sales;
    struct gw_bags bags;
    struct gw_live live;
    struct gw_wordfilter_ref words; /* the sensitive-word filter (gw_words.h) */
    bool words_on;
    bool words_refuse; /* refuse (blocked) rather than mask */

    pthread_mutex_t ip_lock;
    struct gw_strmap per_ip; /* client address -> (uintptr_t) WebSocket connections */
    atomic_int ws_conns;     /* open WebSocket connections, all threads */
    int max_conns;

    atomic_bool draining;
    int64_t started_ms;

    pthread_barrier_t ready;   /* workers up before any cross-thread wake */
    pthread_barrier_t stopped; /* workers done serving before their stores go */
    atomic_int failed;         /* a worker could not start */
};

/* Creates and starts the workers; returns 0 when all run, -1 after logging. */
int gw_server_start(struct gw_server *srv);

/* Asks every worker to drain (stop accepting, close 1001 after a flush) and waits for
 * the threads to end. */
void gw_server_stop(struct gw_server *srv);

/* Frees what gw_server_start built. */
void gw_server_fini(struct gw_server *srv);

/* Pushes a shard on its owner's dirty stack unless it is already there. Any thread. */
void gw_worker_mark_dirty(struct gw_server *srv, struct gw_shard *s);

/* LWS_CALLBACK_EVENT_WAIT_CANCELLED on worker w: starts the drain when the server is
 * draining. Cheap and idempotent (lws also wakes for its own reasons). */
void gw_worker_on_wake(struct gw_worker *w);

/* The calling worker's encode buffer, reset. */
struct proto_buf *gw_worker_enc(struct gw_worker *w);

#endif
