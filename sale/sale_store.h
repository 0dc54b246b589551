/* sale_store.h: durability of the sale core in Redis (group commit), and startup load.
 *
 * One `struct sale_store` per gateway worker thread: it owns one hiredis async
 * connection attached to that thread's libev loop. Every call below except
 * sale_store_is_up() and sale_store_stats_get() must be made on that thread, and
 * every callback it makes runs on that thread, from inside the loop.
 *
 * Group commit: the writes queued during one loop iteration (reservations, paid,
 * cancel, expiry, sale start/stop) are sent as ONE pipelined EVALSHA of the batch
 * script (sale/sale_lua.h, documented in proto/REDIS.md) from an ev_prepare watcher,
 * i.e. just before the loop blocks again; several batches may be in flight on the
 * connection. The script applies a batch atomically and answers one integer per
 * write, and the store then settles each write (core transition + callback).
 *
 * Redis down: the store's `up` flag drops at once; new orders and transitions are
 * refused synchronously (SALE_UNAVAILABLE / SALE_TR_UNAVAILABLE, nothing taken or
 * changed); the store reconnects with exponential backoff and resumes. Reservations
 * whose batch failed are answered `unavailable`, and their stock stays held until a
 * "void" record reaches Redis after the reconnect, so Redis never counts more items
 * than the stock even when a lost reply hid a write that did happen. */
#ifndef SALE_STORE_H
#define SALE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "sale.h"

struct ev_loop;
struct sale_store;

struct sale_store_cfg {
    const char *host; /* borrowed during sale_store_create (copied) */
    int port;
    int backoff_min_ms; /* first reconnect delay, 0: 100 */
    int backoff_max_ms; /* reconnect delay cap, 0: 5000 */
    int batch_max;      /* writes per EVALSHA, 0: 256 */
    long stream_maxlen; /* approximate cap of the orders stream, 0: 1000000 */
};

/* Creates the store of this thread and starts connecting. `loop` and `book` are
 * borrowed and must outlive the store. Never NULL (out of memory aborts). */
struct sale_store *sale_store_create(struct ev_loop *loop, struct sale_book *book,
                                     const struct sale_store_cfg *cfg);

/* Closes the connection and frees the store. Writes not yet answered fail: waiters
 * get SALE_UNAVAILABLE and callbacks ok=false, from inside this call. Must not be
 * called from a store callback. Accepts NULL. */
void sale_store_destroy(struct sale_store *st);

/* True while connected and the batch script is loaded. Any thread. */
bool sale_store_is_up(const struct sale_store *st);

struct sale_store_stats {
    bool up;
    uint64_t connects;       /* successful (re)connections */
    uint64_t disconnects;    /* connections lost or failed attempts */
    uint64_t batches;        /* EVALSHA batches answered OK */
    uint64_t batch_failures; /* batches failed (error reply or connection lost) */
    uint64_t writes;         /* writes applied (one per order event or sale change) */
    uint64_t write_failures; /* writes failed */
    uint64_t orders_written; /* reservations made durable */
    uint64_t orders_failed;  /* reservations answered unavailable after the write failed */
    uint64_t refused_down;   /* attempts refused at once because the store was down */
    uint64_t voids_pending;  /* failed reservations whose void is not yet written */
};

/* Counters for /metrics and /healthz. Any thread (relaxed reads). */
void sale_store_stats_get(const struct sale_store *st, struct sale_store_stats *out);

/* Places an order attempt on sale `s` at now_ms.
 * - SALE_PLACE_DONE: *out is the answer now (a refusal, a repeat of a settled req, or
 *   SALE_UNAVAILABLE because the store is down; w is not used).
 * - SALE_PLACE_WAIT: w->on_result runs exactly once later: for a new reservation, on
 *   this thread once the batch holding it is answered (SALE_OK with the order, or
 *   SALE_UNAVAILABLE); for a repeat of a req still in flight, on the thread of the
 *   store that writes the first attempt (possibly another worker's).
 * Never returns SALE_PLACE_RESERVED. `a`'s strings are copied. */
enum sale_place sale_store_order(struct sale_store *st, struct sale *s, const struct sale_ask *a,
                                 int64_t now_ms, struct sale_waiter *w, struct sale_result *out);

/* Completion of a queued paid / cancel: ok true when the new state is durable (HTTP
 * 200 with sale_order_state(o)), false when the write failed and nothing changed
 * (HTTP 503). Runs on this thread. */
typedef void sale_store_tr_fn(void *arg, struct sale_order *o, bool ok);

/* `paid` for order o at now_ms. SALE_TR_STARTED: the write is queued and cb(arg, o, ok)
 * will run. Any other value is the answer now (ALREADY 200, CONFLICT 409, BUSY 503,
 * NOT_FOUND 404, UNAVAILABLE 503) and cb is not called. */
enum sale_tr sale_store_pay(struct sale_store *st, struct sale_order *o, int64_t now_ms,
                            sale_store_tr_fn *cb, void *arg);

/* `cancel`: as sale_store_pay. On success the stock and the uid's allowance are back. */
enum sale_tr sale_store_cancel(struct sale_store *st, struct sale_order *o, int64_t now_ms,
                               sale_store_tr_fn *cb, void *arg);

/* Expiry pass: every RESERVED order of every sale in the book whose pay_by <= now_ms
 * moves to EXPIRING and its write is queued; once written it is EXPIRED and its stock
 * and allowance are back (a failed write leaves it RESERVED for the next pass).
 * Returns how many expiries were started. Call every ~100 ms from ONE worker thread;
 * calling it from several is safe (each order expires once) but wasteful. Does
 * nothing while the store is down. */
size_t sale_store_expire(struct sale_store *st, int64_t now_ms);

/* Completion of a sale write: ok when durable. Runs on this thread. */
typedef void sale_store_sale_fn(void *arg, struct sale *s, bool ok);

/* Writes a sale's definition (at sale_start; broadcast `sale` live once ok). Returns 0
 * and cb will run, or -EAGAIN when the store is down (cb not called). */
int sale_store_sale_save(struct sale_store *st, struct sale *s, int64_t now_ms,
                         sale_store_sale_fn *cb, void *arg);

/* Records that a sale ended (sale_stop, or its end time). As sale_store_sale_save. */
int sale_store_sale_end(struct sale_store *st, struct sale *s, int64_t now_ms,
                        sale_store_sale_fn *cb, void *arg);

/* ---- startup ---------------------------------------------------------------------- */

struct sale_load_stats {
    uint64_t sales;   /* sales restored */
    uint64_t skipped; /* ended sales without open reservations (dropped from the set) */
    uint64_t orders;  /* orders restored (any acknowledged state) */
    uint64_t expired; /* overdue reservations released during the load */
};

/* Blocking load before serving: rebuilds every live sale (and every ended sale that
 * still holds reservations) from Redis into the empty book `b`: stock left = stock -
 * reserved - paid as Redis records them after releasing the reservations overdue at
 * now_ms (written as `expired`, stream included); every acknowledged order is restored
 * with its req, so a repeated req answers the same order. Single-threaded: call before
 * the workers start. Returns 0, or -EIO when Redis cannot be reached or answers an
 * error (the book may then hold part of the data: destroy it). stats may be NULL. */
int sale_store_load(const char *host, int port, struct sale_book *b, int64_t now_ms,
                    struct sale_load_stats *stats);

#endif
