/* gw_sales.h: flash sales in the gateway: the sale core (sale/) wired to rooms,
 * connections and HTTP.
 *
 * DESIGN.
 * - The book (every sale and order of the process) is loaded from Redis by a loader
 *   thread at start, retried with backoff while Redis is away, and then published
 *   (one release store of srv->sales.book). Until then orders and sale commands are
 *   answered `unavailable`: the gateway serves comments and likes without Redis, but
 *   never sells without knowing what Redis already holds.
 * - Each worker creates its own sale_store (a hiredis connection on its libev loop,
 *   group commit) once the book is there. Orders, sale_start / sale_stop and HTTP
 *   paid / cancel run on the worker that received them, through its store.
 * - A reply that waits for Redis is a `struct gw_wait` attached to its connection; a
 *   connection that closes first detaches it, and the result is then dropped. Results
 *   for repeats of a req in flight on another worker arrive on that worker's thread:
 *   they are pushed on the owner's lock-free handoff stack and answered at its next
 *   tick.
 * - Worker 0 polls every sale every sales-poll-ms (100): `sale` (with a room seq) on
 *   every state change (live on start, sold_out exactly once, live again when stock
 *   returns, ended), else `stock` when the count moved (in a big room at most every
 *   stock-us-per-viewer x viewers: each is a write per viewer); and it runs expiry. A sale
 *   becomes visible (orders, welcome.sales, the first `sale`) only once its definition
 *   is durable in Redis. */
#ifndef GW_SALES_H
#define GW_SALES_H

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "proto_cmsg.h"
#include "proto_enc.h"

struct gw_server;
struct gw_worker;
struct gw_room;
struct gw_conn;
struct gw_sale;
struct sale_book;

/* Process-wide sales state, inside struct gw_server. */
struct gw_sales {
    _Atomic(struct sale_book *) book;  /* NULL until loaded from Redis */
    _Atomic(struct gw_sale *) all;     /* every announced sale, newest first */
    atomic_bool stopping;              /* the loader gives up */
    atomic_uint_fast64_t load_retries; /* failed loads so far */
    atomic_bool poll_soon;             /* a sale was announced: worker 0 polls at once */
    pthread_t loader;
    bool loader_started;
    int64_t boot_ms;
};

/* Starts the loader thread (after the workers run). */
void gw_sales_start(struct gw_server *srv);

/* Stops the loader thread. Call before the workers stop. */
void gw_sales_stop(struct gw_server *srv);

/* Frees the book and what the workers left (after every thread ended). */
void gw_sales_fini(struct gw_server *srv);

/* Every tick, on each worker: creates its store once the book is there, answers the
 * results handed over by other workers, and on worker 0 polls sales and runs expiry. */
void gw_sales_worker_tick(struct gw_worker *w);

/* On the worker thread after its loop ended, before its lws context goes: closes its
 * store (pending replies fail). */
void gw_sales_worker_stop(struct gw_worker *w);

/* Host `sale_start` / `sale_stop` from connection c (NULL over HTTP). Returns 0 when
 * done (ack now), 1 when the answer follows (ack or error is sent to c by itself),
 * -1 with *code and *msg set. */
int gw_sales_host(struct gw_worker *w, struct gw_room *r, struct gw_conn *c,
                  const struct proto_cmsg *m, enum proto_err *code, const char **msg);

/* Viewer `order` from c: the `order` reply now or once Redis answered. */
void gw_sales_order(struct gw_worker *w, struct gw_conn *c, const struct proto_cmsg *m);

/* c is closing: its pending replies are dropped when they come. */
void gw_sales_conn_detach(struct gw_conn *c);

/* welcome.sales of room r: a JSON array of its live and sold-out sales into out (not
 * reset); nothing is appended when there is none. */
void gw_sales_welcome(struct gw_server *srv, struct gw_room *r, struct proto_buf *out);

/* The room's "orders", "paid" and "sales" members of GET /api/rooms/<room>. */
void gw_sales_describe(struct gw_server *srv, struct gw_room *r, struct proto_buf *b);

/* POST /api/orders/<id>/<action> (action "paid" or "cancel"), bearer already checked
 * as admin. Returns what the LWS_CALLBACK_HTTP handler returns; the answer may be
 * written later from LWS_CALLBACK_HTTP_WRITEABLE (gw_sales_http_writeable). */
int gw_sales_http_order(struct gw_worker *w, struct gw_conn *c, struct lws *wsi, const char *id,
                        const char *action);

/* False when order `id` exists and belongs to a room other than `room` (an admin
 * token bound to one room may not settle another room's orders). */
bool gw_sales_order_in_room(struct gw_server *srv, const char *id, const char *room);

/* LWS_CALLBACK_HTTP_WRITEABLE: writes a deferred answer. Returns the callback's value. */
int gw_sales_http_writeable(struct gw_conn *c, struct lws *wsi);

/* "up", "down" or "loading" (the book is not loaded yet), for /healthz. */
const char *gw_sales_redis_state(struct gw_server *srv);

/* Sales and Redis figures in Prometheus text. */
void gw_sales_metrics(struct gw_server *srv, struct proto_buf *b);

#endif
