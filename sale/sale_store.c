/* sale_store.c: group-committed Redis writes of the sale core, one store per worker.
 *
 * DESIGN
 *
 * Threads: a store belongs to the worker thread whose libev loop it is attached to;
 * its queue, batches, hiredis context and timers are touched only there. Only `up`
 * and the statistics are atomics, read by other threads (/healthz, /metrics).
 *
 * Flow of a write: the caller's thread runs the core step (reserve, begin of paid /
 * cancel / expiry), then appends an op to the store's queue. An ev_prepare watcher,
 * which libev runs each time the loop is about to block, turns the queue into batches
 * of at most batch_max ops, each ONE "EVALSHA sha 0 maxlen op..." command, all
 * written to the socket together. Why one script per batch rather than MULTI/EXEC:
 * a reservation is six Redis commands (hash, counter, open set, order list, sale
 * set, stream); the script sends a few small arguments per order instead of six
 * framed commands, gets one reply for the batch instead of 6N+2, applies the batch
 * atomically like MULTI/EXEC would, and can check state on the server (a transition
 * applies only to an order Redis holds as reserved), which MULTI/EXEC cannot.
 *
 * When the batch's reply arrives (one integer per op), each op is settled: commit or
 * fail the reservation and answer its waiter, end the paid / cancel / expiry
 * transition and call back. A NULL reply (connection lost, or the store being
 * destroyed) or an error reply fails every op of the batch. A failed reservation
 * turns into a "void" op kept in the queue until the store is up again; only when
 * Redis answers the void are its stock and allowance returned. */
#include "sale_store.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <hiredis/adapters/libev.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "sale_lua.h"

enum op_kind { OP_SALE, OP_END, OP_RESERVE, OP_PAY, OP_CANCEL, OP_EXPIRE, OP_VOID };

struct op {
    enum op_kind kind;
    struct sale *s;
    struct sale_order *o;
    struct sale_waiter *w;       /* OP_RESERVE: the originator's waiter */
    sale_store_tr_fn *tr_cb;     /* OP_PAY, OP_CANCEL */
    sale_store_sale_fn *sale_cb; /* OP_SALE, OP_END */
    void *arg;
    int64_t ts;
};

struct batch {
    struct sale_store *st;
    size_t n;
    struct op ops[];
};

struct sale_store {
    struct ev_loop *loop;
    struct sale_book *book;
    char *host;
    int port;
    int backoff_min, backoff_max, backoff;
    int batch_max;
    long maxlen;
    redisAsyncContext *ac; /* NULL while disconnected */
    char sha[41];
    bool destroying;
    ev_prepare flush_w;
    ev_timer retry_w;
    struct op *q; /* queued ops, in order */
    size_t qn, qcap;
    atomic_bool up;
    /* Statistics, written on the store's thread, read anywhere: relaxed. */
    atomic_uint_fast64_t connects, disconnects, batches, batch_failures, writes, write_failures,
        orders_written, orders_failed, refused_down, voids_pending;
};

static void stat_add(atomic_uint_fast64_t *c, uint64_t n)
{
    /* Relaxed: a statistic; nothing is published through it. */
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        abort();
    return p;
}

static void set_up(struct sale_store *st, bool up)
{
    /* Relaxed: a stand-alone flag. Callers on other threads only decide whether to
     * try; the store's own thread re-checks the connection before every write. */
    atomic_store_explicit(&st->up, up, memory_order_relaxed);
}

bool sale_store_is_up(const struct sale_store *st)
{
    return atomic_load_explicit(&st->up, memory_order_relaxed); /* see set_up */
}

void sale_store_stats_get(const struct sale_store *st, struct sale_store_stats *o)
{
    o->up = sale_store_is_up(st);
#define RD(f) o->f = atomic_load_explicit(&st->f, memory_order_relaxed)
    RD(connects);
    RD(disconnects);
    RD(batches);
    RD(batch_failures);
    RD(writes);
    RD(write_failures);
    RD(orders_written);
    RD(orders_failed);
    RD(refused_down);
    RD(voids_pending);
#undef RD
}

static void enqueue(struct sale_store *st, const struct op *op)
{
    if (st->qn == st->qcap) {
        st->qcap = st->qcap ? st->qcap * 2 : 64;
        st->q = realloc(st->q, st->qcap * sizeof(*st->q));
        if (!st->q)
            abort();
    }
    st->q[st->qn++] = *op;
    if (op->kind == OP_VOID)
        stat_add(&st->voids_pending, 1);
}

/* ---- settling ------------------------------------------------------------------------ */

/* Applies the outcome of one written (or failed) op. `ok` means Redis applied it. */
static void settle(struct sale_store *st, struct op *op, bool ok)
{
    stat_add(ok ? &st->writes : &st->write_failures, 1);
    switch (op->kind) {
    case OP_SALE:
    case OP_END:
        op->sale_cb(op->arg, op->s, ok);
        break;
    case OP_RESERVE: {
        struct sale_result r = {.code = SALE_OK, .order = op->o};
        if (ok) {
            sale_order_commit(op->o);
            stat_add(&st->orders_written, 1);
        } else {
            sale_order_fail(op->o);
            stat_add(&st->orders_failed, 1);
            r.code = SALE_UNAVAILABLE;
            r.order = NULL;
            if (!st->destroying) {
                struct op v = {.kind = OP_VOID, .o = op->o, .ts = op->ts};
                enqueue(st, &v);
            }
        }
        op->w->on_result(op->w, &r);
        break;
    }
    case OP_PAY:
        sale_order_pay_end(op->o, ok);
        op->tr_cb(op->arg, op->o, ok);
        break;
    case OP_CANCEL:
        sale_order_cancel_end(op->o, ok);
        op->tr_cb(op->arg, op->o, ok);
        break;
    case OP_EXPIRE:
        sale_order_expire_end(op->o, ok);
        break;
    case OP_VOID:
        stat_add(&st->voids_pending, (uint64_t)-1);
        if (ok)
            sale_order_void_end(op->o);
        else if (!st->destroying)
            enqueue(st, op);
        break;
    }
}

static void on_batch(redisAsyncContext *ac, void *r, void *priv)
{
    struct batch *b = priv;
    struct sale_store *st = b->st;
    redisReply *reply = r;
    bool whole = reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == b->n;
    stat_add(whole ? &st->batches : &st->batch_failures, 1);
    if (reply && !whole)
        fprintf(stderr, "sale_store: batch of %zu refused: %s\n", b->n,
                reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    for (size_t i = 0; i < b->n; i++) {
        bool ok = whole && reply->element[i]->type == REDIS_REPLY_INTEGER &&
                  reply->element[i]->integer == 1;
        settle(st, &b->ops[i], ok);
    }
    free(b);
}

/* ---- batching ------------------------------------------------------------------------ */

/* Formatting room for one op's numbers: up to 7 numbers of 21 digits each. */
#define NUMS_PER_OP 7
#define NUM_LEN     24

struct argv_build {
    const char **argv;
    size_t *lens;
    size_t n;
    char (*nums)[NUM_LEN];
    size_t nn;
};

static void arg_str(struct argv_build *a, const char *s)
{
    a->argv[a->n] = s;
    a->lens[a->n++] = strlen(s);
}

static void arg_num(struct argv_build *a, int64_t v)
{
    char *p = a->nums[a->nn++];
    int len = snprintf(p, NUM_LEN, "%lld", (long long)v);
    a->argv[a->n] = p;
    a->lens[a->n++] = (size_t)len;
}

static void op_args(struct argv_build *a, const struct op *op)
{
    struct sale_order *o = op->o;
    switch (op->kind) {
    case OP_SALE: {
        struct proto_sale_view v;
        sale_view(op->s, op->ts, &v);
        arg_str(a, "S");
        arg_str(a, sale_room(op->s));
        arg_str(a, sale_id(op->s));
        arg_str(a, sale_sku(op->s));
        arg_num(a, v.price);
        arg_num(a, v.stock);
        arg_num(a, v.limit);
        arg_num(a, v.starts_at);
        arg_num(a, v.ends_at);
        arg_num(a, sale_pay_window(op->s));
        break;
    }
    case OP_END:
        arg_str(a, "E");
        arg_str(a, sale_room(op->s));
        arg_str(a, sale_id(op->s));
        arg_num(a, op->ts);
        break;
    case OP_RESERVE: {
        struct sale *s = sale_order_sale(o);
        arg_str(a, "R");
        arg_str(a, sale_order_id(o));
        arg_str(a, sale_room(s));
        arg_str(a, sale_id(s));
        arg_str(a, sale_sku(s));
        arg_str(a, sale_order_uid(o));
        arg_num(a, sale_order_qty(o));
        arg_num(a, sale_price(s));
        arg_str(a, sale_order_from(o));
        arg_str(a, sale_order_req(o));
        arg_num(a, sale_order_created(o));
        arg_num(a, sale_order_pay_by(o));
        break;
    }
    case OP_PAY:
    case OP_CANCEL:
    case OP_EXPIRE:
        arg_str(a, "T");
        arg_str(a, sale_order_id(o));
        arg_str(a, op->kind == OP_PAY ? "paid" : op->kind == OP_CANCEL ? "cancelled" : "expired");
        arg_num(a, op->ts);
        break;
    case OP_VOID:
        arg_str(a, "V");
        arg_str(a, sale_order_id(o));
        arg_num(a, op->ts);
        break;
    }
}

/* Sends ops[0..n) as one EVALSHA. Returns false if hiredis refused the command (the
 * context is going away); the ops are then failed by the caller. */
static bool send_batch(struct sale_store *st, const struct op *ops, size_t n)
{
    struct batch *b = xmalloc(sizeof(*b) + n * sizeof(struct op));
    b->st = st;
    b->n = n;
    memcpy(b->ops, ops, n * sizeof(struct op));
    size_t max_args = 4 + n * 12;
    struct argv_build a = {
        .argv = xmalloc(max_args * sizeof(char *)),
        .lens = xmalloc(max_args * sizeof(size_t)),
        .nums = xmalloc((1 + n * NUMS_PER_OP) * NUM_LEN),
    };
    arg_str(&a, "EVALSHA");
    arg_str(&a, st->sha);
    arg_str(&a, "0");
    arg_num(&a, st->maxlen);
    for (size_t i = 0; i < n; i++)
        op_args(&a, &ops[i]);
    int rc = redisAsyncCommandArgv(st->ac, on_batch, b, (int)a.n, a.argv, a.lens);
    free(a.argv);
    free(a.lens);
    free(a.nums);
    if (rc != REDIS_OK) {
        free(b);
        return false;
    }
    return true;
}

/* Group commit: everything queued during this loop iteration goes out now. */
static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct sale_store *st = w->data;
    if (st->qn == 0)
        return;
    /* Swap the queue out first: settling may queue new ops (voids, callbacks that
     * order again); those wait for the next iteration. */
    struct op *q = st->q;
    size_t qn = st->qn;
    st->q = NULL;
    st->qn = st->qcap = 0;
    if (!st->ac || !sale_store_is_up(st)) {
        for (size_t i = 0; i < qn; i++) {
            if (q[i].kind == OP_VOID) {
                stat_add(&st->voids_pending, (uint64_t)-1);
                enqueue(st, &q[i]); /* voids wait for the connection */
            } else {
                settle(st, &q[i], false);
            }
        }
        free(q);
        return;
    }
    for (size_t i = 0; i < qn; i += (size_t)st->batch_max) {
        size_t n = qn - i < (size_t)st->batch_max ? qn - i : (size_t)st->batch_max;
        if (!send_batch(st, q + i, n)) {
            stat_add(&st->batch_failures, 1);
            for (size_t j = i; j < i + n; j++)
                settle(st, &q[j], false);
        }
    }
    free(q);
}

/* ---- connection ---------------------------------------------------------------------- */

static void connect_start(struct sale_store *st);

static void retry_later(struct sale_store *st)
{
    if (st->destroying)
        return;
    ev_timer_set(&st->retry_w, st->backoff / 1000.0, 0.);
    ev_timer_start(st->loop, &st->retry_w);
    st->backoff = st->backoff * 2 > st->backoff_max ? st->backoff_max : st->backoff * 2;
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    connect_start(w->data);
}

static void on_script(redisAsyncContext *ac, void *r, void *priv)
{
    struct sale_store *st = priv;
    redisReply *reply = r;
    if (!reply)
        return; /* the connection is going away; on_disconnect follows */
    if (reply->type != REDIS_REPLY_STRING || reply->len != 40) {
        fprintf(stderr, "sale_store: SCRIPT LOAD failed: %s\n",
                reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
        redisAsyncDisconnect(ac);
        return;
    }
    memcpy(st->sha, reply->str, 40);
    st->sha[40] = 0;
    st->backoff = st->backoff_min;
    stat_add(&st->connects, 1);
    set_up(st, true);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct sale_store *st = ac->data;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback. */
        st->ac = NULL;
        stat_add(&st->disconnects, 1);
        retry_later(st);
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct sale_store *st = ac->data;
    st->ac = NULL;
    set_up(st, false);
    stat_add(&st->disconnects, 1);
    if (!st->destroying)
        fprintf(stderr, "sale_store: Redis connection lost: %s\n",
                ac->errstr[0] ? ac->errstr : "closed");
    retry_later(st);
}

static void connect_start(struct sale_store *st)
{
    redisAsyncContext *ac = redisAsyncConnect(st->host, st->port);
    if (!ac)
        abort();
    if (ac->err) {
        redisAsyncFree(ac);
        stat_add(&st->disconnects, 1);
        retry_later(st);
        return;
    }
    ac->data = st;
    redisLibevAttach(st->loop, ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    st->ac = ac;
    /* Queued before the connection completes; hiredis sends it first. `up` is raised
     * only by its reply, so no batch can precede it. */
    redisAsyncCommand(ac, on_script, st, "SCRIPT LOAD %s", sale_lua_batch);
}

struct sale_store *sale_store_create(struct ev_loop *loop, struct sale_book *book,
                                     const struct sale_store_cfg *cfg)
{
    struct sale_store *st = calloc(1, sizeof(*st));
    if (!st)
        abort();
    st->loop = loop;
    st->book = book;
    st->host = strdup(cfg->host ? cfg->host : "127.0.0.1");
    if (!st->host)
        abort();
    st->port = cfg->port;
    st->backoff_min = cfg->backoff_min_ms > 0 ? cfg->backoff_min_ms : 100;
    st->backoff_max = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms : 5000;
    st->backoff = st->backoff_min;
    st->batch_max = cfg->batch_max > 0 ? cfg->batch_max : 256;
    st->maxlen = cfg->stream_maxlen > 0 ? cfg->stream_maxlen : 1000000;
    ev_prepare_init(&st->flush_w, on_prepare);
    st->flush_w.data = st;
    ev_prepare_start(loop, &st->flush_w);
    ev_init(&st->retry_w, on_retry);
    st->retry_w.data = st;
    connect_start(st);
    return st;
}

void sale_store_destroy(struct sale_store *st)
{
    if (!st)
        return;
    st->destroying = true;
    ev_prepare_stop(st->loop, &st->flush_w);
    ev_timer_stop(st->loop, &st->retry_w);
    set_up(st, false);
    /* Unsent ops fail first, then the in-flight batches (hiredis calls their
     * callbacks with a NULL reply from redisAsyncFree). */
    for (size_t i = 0; i < st->qn; i++)
        if (st->q[i].kind != OP_VOID)
            settle(st, &st->q[i], false);
    st->qn = 0;
    if (st->ac)
        redisAsyncFree(st->ac);
    free(st->q);
    free(st->host);
    free(st);
}

/* ---- operations ---------------------------------------------------------------------- */

enum sale_place sale_store_order(struct sale_store *st, struct sale *s, const struct sale_ask *a,
                                 int64_t now_ms, struct sale_waiter *w, struct sale_result *out)
{
    bool up = sale_store_is_up(st) && st->ac;
    enum sale_place p = sale_order_place(s, a, now_ms, up, w, out);
    if (p == SALE_PLACE_RESERVED) {
        struct op op = {.kind = OP_RESERVE, .o = out->order, .w = w, .ts = now_ms};
        enqueue(st, &op);
        return SALE_PLACE_WAIT;
    }
    if (p == SALE_PLACE_DONE && !up && out->code == SALE_UNAVAILABLE)
        stat_add(&st->refused_down, 1);
    return p;
}

static enum sale_tr transition(struct sale_store *st, struct sale_order *o, int64_t now_ms,
                               enum op_kind kind, sale_store_tr_fn *cb, void *arg)
{
    if (!sale_store_is_up(st) || !st->ac) {
        /* Answers that need no write are still given while down. */
        enum sale_order_state s = sale_order_state(o);
        if (kind == OP_PAY && s == SALE_ORDER_PAID)
            return SALE_TR_ALREADY;
        if (kind == OP_CANCEL && (s == SALE_ORDER_CANCELLED || s == SALE_ORDER_EXPIRED))
            return SALE_TR_ALREADY;
        if (s == SALE_ORDER_RESERVED)
            return SALE_TR_UNAVAILABLE;
        /* Anything else is decided by the state alone: reuse the core's answer,
         * which cannot be STARTED since the order is not RESERVED. */
    }
    enum sale_tr r = kind == OP_PAY ? sale_order_pay_begin(o) : sale_order_cancel_begin(o);
    if (r == SALE_TR_STARTED) {
        if (!sale_store_is_up(st) || !st->ac) {
            /* Went RESERVED between the two loads: undo, nothing was written. */
            if (kind == OP_PAY)
                sale_order_pay_end(o, false);
            else
                sale_order_cancel_end(o, false);
            return SALE_TR_UNAVAILABLE;
        }
        struct op op = {.kind = kind, .o = o, .tr_cb = cb, .arg = arg, .ts = now_ms};
        enqueue(st, &op);
    }
    return r;
}

enum sale_tr sale_store_pay(struct sale_store *st, struct sale_order *o, int64_t now_ms,
                            sale_store_tr_fn *cb, void *arg)
{
    return transition(st, o, now_ms, OP_PAY, cb, arg);
}

enum sale_tr sale_store_cancel(struct sale_store *st, struct sale_order *o, int64_t now_ms,
                               sale_store_tr_fn *cb, void *arg)
{
    return transition(st, o, now_ms, OP_CANCEL, cb, arg);
}

struct expire_ctx {
    struct sale_store *st;
    int64_t now;
};

static void expire_one(void *arg, struct sale_order *o)
{
    struct expire_ctx *c = arg;
    struct op op = {.kind = OP_EXPIRE, .o = o, .ts = c->now};
    enqueue(c->st, &op);
}

size_t sale_store_expire(struct sale_store *st, int64_t now_ms)
{
    if (!sale_store_is_up(st) || !st->ac)
        return 0;
    struct expire_ctx c = {st, now_ms};
    size_t n = 0;
    for (struct sale *s = sale_book_first(st->book); s; s = sale_next(s))
        n += sale_expire_due(s, now_ms, expire_one, &c);
    return n;
}

static int sale_op(struct sale_store *st, struct sale *s, int64_t now_ms, enum op_kind kind,
                   sale_store_sale_fn *cb, void *arg)
{
    if (!sale_store_is_up(st) || !st->ac)
        return -EAGAIN;
    struct op op = {.kind = kind, .s = s, .sale_cb = cb, .arg = arg, .ts = now_ms};
    enqueue(st, &op);
    return 0;
}

int sale_store_sale_save(struct sale_store *st, struct sale *s, int64_t now_ms,
                         sale_store_sale_fn *cb, void *arg)
{
    return sale_op(st, s, now_ms, OP_SALE, cb, arg);
}

int sale_store_sale_end(struct sale_store *st, struct sale *s, int64_t now_ms,
                        sale_store_sale_fn *cb, void *arg)
{
    return sale_op(st, s, now_ms, OP_END, cb, arg);
}
