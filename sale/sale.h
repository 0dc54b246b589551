/* sale.h: the flash-sale core: sales, stock reservation, per-viewer limits, orders.
 *
 * Deterministic and free of I/O: the clock is an argument (now_ms, unix milliseconds)
 * and durability is someone else's job (sale_store.h drives the PENDING -> RESERVED
 * step and the writes of every later transition). Everything here is thread-safe, and
 * the order path (sale_order_place) takes no lock: C11 atomics only.
 *
 * Objects and their lifetime. A `struct sale_book` holds every sale of the process and
 * the table of orders by id. Sales, orders and the per-viewer records are allocated
 * from the book's arena and live until sale_book_destroy(): nothing is freed while the
 * book serves, so a pointer returned by any function here stays valid until then (the
 * memory-reclamation story is "none until shutdown"; see sale/README.md).
 *
 * Threads. Any thread may call any function here concurrently, except
 * sale_book_destroy() (no other call may run or follow) and the restore functions
 * (startup, before the book is shared). The begin/end pairs of order transitions are
 * owned by the caller that won the begin: only it may call the matching end. */
#ifndef SALE_H
#define SALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto_enc.h" /* enum proto_err, enum proto_sale_state, struct proto_sale_view */

struct sale_book;
struct sale;
struct sale_order;

/* ---- outcomes --------------------------------------------------------------------- */

/* The business outcome of an order attempt. Refusals are remembered like successes:
 * the same (sale, uid, req) always gets its first outcome again. */
enum sale_code {
    SALE_OK = 0,
    SALE_NOT_STARTED,    /* before starts_at */
    SALE_ENDED,          /* stopped, or past ends_at */
    SALE_SOLD_OUT,       /* fewer items left than qty */
    SALE_LIMIT_EXCEEDED, /* qty above the limit, or the uid's allowance used up */
    SALE_UNAVAILABLE,    /* the store is down, or the reservation could not be written */
};

/* The wire error code of a refusal (SALE_OK maps to 0). */
enum proto_err sale_code_err(enum sale_code c);
/* A short static English text for the reply's `msg`. */
const char *sale_code_msg(enum sale_code c);

/* ---- book -------------------------------------------------------------------------- */

/* Creates an empty book. `node` ([A-Za-z0-9_-]{1,16}) and boot_ms make the order ids
 * of this process unique across nodes and restarts: "<node>-<boot base36>-<n base36>".
 * order_buckets is the size hint of the order table (0: 65536). Returns NULL if node
 * is invalid. The caller owns the book. */
struct sale_book *sale_book_create(const char *node, int64_t boot_ms, size_t order_buckets);

/* Frees the book, every sale and order in it. No other call on the book, its sales or
 * orders may run concurrently or afterwards. Accepts NULL. */
void sale_book_destroy(struct sale_book *b);

/* Bytes the book holds (its arena and tables). It only grows while the process runs:
 * about 100 bytes per (uid, req) seen and per order, plus each sale's tables. Any
 * thread. */
size_t sale_book_memory(const struct sale_book *b);

/* ---- sales ------------------------------------------------------------------------- */

struct sale_params {
    const char *room;     /* [A-Za-z0-9_-]{1,64}, copied */
    const char *sale;     /* [A-Za-z0-9_-]{1,64}, copied; unique within its room */
    const char *sku;      /* copied */
    int64_t price;        /* unit price, cents */
    int64_t stock;        /* >= 1 */
    int32_t limit;        /* items per uid, >= 1 */
    int64_t starts_at_ms; /* 0: open at once */
    int64_t ends_at_ms;   /* start + duration */
    int64_t pay_window_ms;
    size_t buyers_hint; /* expected distinct uids, sizes the per-uid table (at least 4096) */
    size_t reqs_hint;   /* expected distinct (uid, req), sizes the req table (0: 8 x
                         * buyers_hint); lookups slow down gradually past twice it */
};

/* Starts a sale: it is live (or waiting for starts_at) at once. Returns 0 and the
 * sale in *out (borrowed, valid until the book is destroyed), -EEXIST if the room
 * already has a sale with this id (*out is then that sale), -EINVAL for bad params. */
int sale_book_start(struct sale_book *b, const struct sale_params *p, struct sale **out);

/* The sale `sale` of room `room`, or NULL. Lock-free; borrowed until book destroy. */
struct sale *sale_book_find(struct sale_book *b, const char *room, const char *sale);

/* Iteration over every sale ever started, newest first; safe during concurrent starts
 * (a sale started meanwhile may or may not be seen). sale_book_first(b) then
 * sale_next(s) until NULL. */
struct sale *sale_book_first(struct sale_book *b);
struct sale *sale_next(const struct sale *s);

/* Stops a sale: later orders get SALE_ENDED. Returns true for the call that ended it
 * (false if it was already stopped). Reservations already made stay valid. */
bool sale_stop(struct sale *s);

/* Stock left now: one atomic load, never negative. */
int64_t sale_left(const struct sale *s);

/* The state a `sale` message shows at now_ms: ended (stopped or past ends_at), else
 * sold_out when nothing is left, else live. */
enum proto_sale_state sale_state(const struct sale *s, int64_t now_ms);

/* Fills *v for a `sale` message or welcome.sales; the strings are borrowed from the
 * sale (valid until book destroy). */
void sale_view(const struct sale *s, int64_t now_ms, struct proto_sale_view *v);

/* Static attributes (never change after start). Strings borrowed until book destroy. */
const char *sale_room(const struct sale *s);
const char *sale_id(const struct sale *s);
const char *sale_sku(const struct sale *s);
int64_t sale_price(const struct sale *s);
int64_t sale_stock(const struct sale *s);
int32_t sale_limit(const struct sale *s);
int64_t sale_ends_at(const struct sale *s);
int64_t sale_starts_at(const struct sale *s);
int64_t sale_pay_window(const struct sale *s);

/* What changed since the previous sale_poll() that reported it. The gateway calls
 * this every ~100 ms per sale and broadcasts `stock` when left_changed and `sale` when
 * state_changed. Each change is reported to exactly one caller (atomic exchange of the
 * published value), so concurrent pollers never broadcast the same change twice: a
 * sale reaches sold_out -> one `sale` sold_out; stock back -> one `sale` live. Changes
 * that cancel out between two polls are not reported. The first poll after start
 * reports the initial state as a change. Poll each sale from one thread: concurrent
 * pollers are safe but may publish an older value after a newer one. */
struct sale_change {
    bool left_changed;
    bool state_changed;
    int64_t left;
    enum proto_sale_state state;
};
void sale_poll(struct sale *s, int64_t now_ms, struct sale_change *c);

/* Counters of one sale, for /api/rooms and /metrics (relaxed reads, approximate while
 * orders run). Items, not orders, except `orders`. */
struct sale_counts {
    int64_t left;     /* items not held */
    int64_t reserved; /* items held by orders awaiting payment (incl. in-flight writes) */
    int64_t paid;     /* items paid */
    int64_t orders;   /* orders created (reservations made, incl. later failed) */
};
void sale_counts_get(const struct sale *s, struct sale_counts *c);

/* ---- orders: placing ---------------------------------------------------------------- */

/* An order attempt. Strings are borrowed for the duration of the call and copied. */
struct sale_ask {
    const char *uid;  /* the viewer */
    const char *req;  /* idempotency key, 1-256 bytes (64 code points) */
    int32_t qty;      /* >= 1 */
    const char *from; /* inviter uid, or NULL / "" */
};

/* The result of an attempt, as the `order` reply shows it. */
struct sale_result {
    enum sale_code code;
    struct sale_order *order; /* SALE_OK only: borrowed until book destroy */
};

/* Caller-owned notification record for an answer that is not known yet. on_result
 * runs exactly once, with the waiter and the result; the waiter must stay valid
 * until then and is the caller's again when it runs (it may be freed inside). It runs
 * on the thread that settles the first attempt with this req (for a reservation: the
 * thread of the store that wrote it), which may not be the waiter's own thread. */
struct sale_waiter {
    void (*on_result)(struct sale_waiter *w, const struct sale_result *r);
    struct sale_waiter *next; /* private to the core */
};

enum sale_place {
    SALE_PLACE_DONE,     /* *out holds the answer: a refusal, or a repeat of a settled req */
    SALE_PLACE_RESERVED, /* new reservation in out->order, state PENDING: the caller must
                          * write it and then call sale_order_commit() or sale_order_fail() */
    SALE_PLACE_WAIT,     /* a repeat of a req still in flight: w->on_result will run */
};

/* Places an order attempt at now_ms. Lock-free. When store_up is false a req seen for
 * the first time is refused with SALE_UNAVAILABLE and not remembered (nothing taken);
 * a req seen before still gets its first result. `w` is used only for SALE_PLACE_WAIT;
 * it may be NULL, and then a repeat of an in-flight req is answered SALE_UNAVAILABLE
 * (not remembered). Callers normally go through sale_store_order(). */
enum sale_place sale_order_place(struct sale *s, const struct sale_ask *a, int64_t now_ms,
                                 bool store_up, struct sale_waiter *w, struct sale_result *out);

/* The reservation of a PENDING order is durable: PENDING -> RESERVED, the req's
 * result becomes SALE_OK, and waiters of repeats are notified. Call once, by the
 * owner of the SALE_PLACE_RESERVED answer. */
void sale_order_commit(struct sale_order *o);

/* The reservation of a PENDING order could not be written: PENDING -> VOIDING, the
 * req's result becomes SALE_UNAVAILABLE (remembered), waiters are notified. The stock
 * and allowance stay held until sale_order_void_end(), which must follow once Redis
 * records the order as void, so that Redis never counts more than the stock. */
void sale_order_fail(struct sale_order *o);

/* VOIDING -> ABORTED: gives the stock and the uid's allowance back. */
void sale_order_void_end(struct sale_order *o);

/* ---- orders: lookup and transitions ------------------------------------------------- */

enum sale_order_state {
    SALE_ORDER_PENDING = 1, /* reserved in memory, reservation being written */
    SALE_ORDER_RESERVED,    /* durable, awaiting payment */
    SALE_ORDER_PAYING,      /* paid being written (stock held) */
    SALE_ORDER_CANCELLING,  /* cancel being written (stock held) */
    SALE_ORDER_EXPIRING,    /* expiry being written (stock held) */
    SALE_ORDER_PAID,        /* final */
    SALE_ORDER_CANCELLED,   /* final, stock and allowance returned */
    SALE_ORDER_EXPIRED,     /* final, stock and allowance returned */
    SALE_ORDER_VOIDING,     /* reservation write failed; void being written */
    SALE_ORDER_ABORTED,     /* final, never acknowledged; stock and allowance returned */
};

/* "pending", "reserved", "paid", "cancelled", "expired", "aborted", ... */
const char *sale_order_state_name(enum sale_order_state st);

/* The order with this id, or NULL. Lock-free. Borrowed until book destroy. Orders that
 * were never acknowledged (PENDING, VOIDING, ABORTED) are found too; the transitions
 * below treat them as unknown. */
struct sale_order *sale_book_order_find(struct sale_book *b, const char *id);

enum sale_order_state sale_order_state(const struct sale_order *o); /* acquire load */
const char *sale_order_id(const struct sale_order *o);
struct sale *sale_order_sale(const struct sale_order *o);
const char *sale_order_uid(const struct sale_order *o);
const char *sale_order_req(const struct sale_order *o);
const char *sale_order_from(const struct sale_order *o); /* "" when none */
int32_t sale_order_qty(const struct sale_order *o);
int64_t sale_order_created(const struct sale_order *o);
int64_t sale_order_pay_by(const struct sale_order *o);

/* Outcome of a transition request (`paid`, `cancel`, expiry). */
enum sale_tr {
    SALE_TR_STARTED,     /* this caller won: it must write the change, then call _end */
    SALE_TR_ALREADY,     /* already in the requested final state (HTTP 200, repeat) */
    SALE_TR_CONFLICT,    /* the other outcome won (HTTP 409) */
    SALE_TR_BUSY,        /* another transition is being written; retry (HTTP 503) */
    SALE_TR_NOT_FOUND,   /* never acknowledged (HTTP 404) */
    SALE_TR_UNAVAILABLE, /* (store only) the store is down: nothing changed (HTTP 503) */
};

/* paid: RESERVED -> PAYING. ALREADY when PAID; CONFLICT when cancelled, expired (or
 * being so written: BUSY then). A payment is honoured for as long as the stock is held:
 * the deadline is enforced by expiry, one CAS decides which of the two wins. */
enum sale_tr sale_order_pay_begin(struct sale_order *o);
/* PAYING -> PAID when durable, else back to RESERVED. */
void sale_order_pay_end(struct sale_order *o, bool durable);

/* cancel: RESERVED -> CANCELLING. ALREADY when CANCELLED or EXPIRED (the stock is
 * already back; the final state tells which); CONFLICT when PAID. */
enum sale_tr sale_order_cancel_begin(struct sale_order *o);
/* CANCELLING -> CANCELLED (stock and allowance back) when durable, else RESERVED. */
void sale_order_cancel_end(struct sale_order *o, bool durable);

/* expiry: RESERVED -> EXPIRING if now_ms >= pay_by. Returns true when this caller won
 * (it must write it and call sale_order_expire_end). */
bool sale_order_expire_begin(struct sale_order *o, int64_t now_ms);
/* EXPIRING -> EXPIRED (stock and allowance back) when durable, else RESERVED (the next
 * expiry pass tries again). */
void sale_order_expire_end(struct sale_order *o, bool durable);

/* Calls fn for every RESERVED order of the sale whose pay_by <= now_ms, after this
 * caller won its RESERVED -> EXPIRING transition. Returns how many. Walks the sale's
 * orders (O(orders of the sale)); skips sales without held reservations at once. */
size_t sale_expire_due(struct sale *s, int64_t now_ms, void (*fn)(void *arg, struct sale_order *o),
                       void *arg);

/* ---- restore (startup only, single-threaded, before the book is shared) ------------- */

/* Re-creates a sale as Redis recorded it, with `left` items left and stopped if
 * `ended`. Same returns as sale_book_start. */
int sale_book_restore(struct sale_book *b, const struct sale_params *p, int64_t left, bool ended,
                      struct sale **out);

struct sale_order_rec {
    const char *id, *uid, *req, *from; /* copied; from may be NULL */
    int32_t qty;
    int64_t created_ms, pay_by_ms;
    enum sale_order_state state; /* RESERVED, PAID, CANCELLED or EXPIRED */
};

/* Re-creates an acknowledged order: its req answers SALE_OK with it again; RESERVED
 * and PAID orders count against the uid's allowance. Stock is not touched (the
 * restored sale's `left` already accounts for it). Returns 0, -EEXIST (id known) or
 * -EINVAL. */
int sale_order_restore(struct sale *s, const struct sale_order_rec *r);

#endif
