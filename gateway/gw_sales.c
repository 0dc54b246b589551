/* gw_sales.c: flash sales wired into rooms, connections and HTTP (see gw_sales.h). */
#include "gw_sales.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_conn.h"
#include "gw_fanout.h"
#include "gw_http.h"
#include "gw_live.h"
#include "gw_log.h"
#include "gw_room.h"
#include "gw_server.h"
#include "gw_util.h"
#include "sale.h"
#include "sale_store.h"

#define LOAD_BACKOFF_MIN_MS 200
#define LOAD_BACKOFF_MAX_MS 5000

/* An announced sale (its definition is durable). Immutable after the push, except
 * next_room (under the room lock) and linked (worker 0 only). */
struct gw_sale {
    struct sale *s;
    struct gw_room *room;
    struct gw_sale *next_all;
    struct gw_sale *next_room;
    bool linked;             /* announced in its room by the poller */
    atomic_bool end_unsaved; /* stopped, but the end is not yet recorded in Redis */
    int64_t sent_left;       /* the stock left the room was last told (worker 0 only) */
    int64_t told_at;         /* when it was told, unix ms (worker 0 only) */
};

enum wait_kind { WAIT_ORDER, WAIT_SALE_START, WAIT_HTTP };

/* A reply that waits for Redis. */
struct gw_wait {
    struct sale_waiter sw; /* WAIT_ORDER: handed to the core */
    enum wait_kind kind;
    struct gw_worker *w; /* the owner: the worker of the connection */
    struct gw_conn *c;   /* owner thread only; NULL once the connection is gone */
    struct lws *wsi;     /* WAIT_HTTP */
    lws_dll2_t node;     /* in c->waits */
    struct gw_room *room;
    struct sale_result res;
    struct gw_wait *next; /* handoff stack link */
    bool has_req;
    char req[PROTO_REQ_MAX_BYTES + 1];
};

static void retry_sale_ends(struct gw_worker *w, int64_t now);

/* The worker whose thread this is (set at every tick, before its store exists). */
static _Thread_local struct gw_worker *tl_worker;

/* ---- waits -------------------------------------------------------------------------- */

static struct gw_wait *wait_new(struct gw_worker *w, struct gw_conn *c, enum wait_kind kind,
                                const char *req)
{
    struct gw_wait *x = gw_xcalloc(1, sizeof(*x));
    x->kind = kind;
    x->w = w;
    x->c = c;
    if (c)
        lws_dll2_add_tail(&x->node, &c->waits);
    if (req) {
        x->has_req = true;
        gw_strlcpy(x->req, req, sizeof(x->req));
    }
    return x;
}

static void wait_free(struct gw_wait *x)
{
    if (x->c)
        lws_dll2_remove(&x->node);
    free(x);
}

void gw_sales_conn_detach(struct gw_conn *c)
{
    lws_start_foreach_dll_safe(struct lws_dll2 *, d, d1, lws_dll2_get_head(&c->waits))
    {
        struct gw_wait *x = lws_container_of(d, struct gw_wait, node);
        lws_dll2_remove(&x->node);
        x->c = NULL;
    }
    lws_end_foreach_dll_safe(d, d1);
    free(c->http_resp);
    c->http_resp = NULL;
}

static void send_order_reply(struct gw_worker *w, struct gw_conn *c, const char *req,
                             const struct sale_result *r)
{
    struct proto_buf *b = gw_worker_enc(w);
    struct gw_msg *m;

    if (r->code == SALE_OK) {
        const struct sale_order *o = r->order;
        proto_enc_order_ok(b, req, sale_order_id(o), sale_id(sale_order_sale(o)), sale_order_qty(o),
                           sale_order_pay_by(o));
        gw_count(&w->m.orders_ok, 1);
    } else {
        proto_enc_order_fail(b, req, sale_code_err(r->code), sale_code_msg(r->code));
        gw_count(&w->m.orders_refused, 1);
    }
    m = gw_msg_create(b, GW_MSG_TARGETED, 0);
    gw_fanout_reply(w, c, m);
    gw_msg_unref(m);
}

static void send_order_fail(struct gw_worker *w, struct gw_conn *c, const char *req,
                            enum proto_err code, const char *msg)
{
    struct proto_buf *b = gw_worker_enc(w);
    struct gw_msg *m;

    proto_enc_order_fail(b, req, code, msg);
    m = gw_msg_create(b, GW_MSG_TARGETED, 0);
    gw_fanout_reply(w, c, m);
    gw_msg_unref(m);
    gw_count(&w->m.orders_refused, 1);
}

/* An order result on its owner's thread. */
static void order_finish(struct gw_wait *x)
{
    if (x->c) {
        send_order_reply(x->w, x->c, x->has_req ? x->req : NULL, &x->res);
        if (x->res.code == SALE_OK && x->c->shard)
            gw_room_order(x->c->shard->room, x->c->uid, x->res.order);
    }
    wait_free(x);
}

static void on_order_result(struct sale_waiter *sw, const struct sale_result *r)
{
    struct gw_wait *x = lws_container_of(sw, struct gw_wait, sw);
    struct gw_wait *head;

    x->res = *r;
    if (tl_worker == x->w) {
        order_finish(x);
        return;
    }
    /* Another worker settled the first attempt of this req: hand the result to the
     * owner, which answers it at its next tick. relaxed: the CAS re-reads the head. */
    head = atomic_load_explicit(&x->w->sales_handoff, memory_order_relaxed);
    do {
        x->next = head;
        /* release: publishes x (its result and link) to the owner's acquire exchange. */
    } while (!atomic_compare_exchange_weak_explicit(&x->w->sales_handoff, &head, x,
                                                    memory_order_release, memory_order_relaxed));
}

static void drain_handoff(struct gw_worker *w)
{
    /* acquire: pairs with the pushers' release CAS. */
    struct gw_wait *x = atomic_exchange_explicit(&w->sales_handoff, NULL, memory_order_acquire);

    while (x) {
        struct gw_wait *next = x->next;
        order_finish(x);
        x = next;
    }
}

/* ---- the book and the announced sales ---------------------------------------------- */

static struct sale_book *book_of(struct gw_server *srv)
{
    /* acquire: pairs with the loader's release store; the book's content (restored
     * sales and orders) is visible once the pointer is. */
    return atomic_load_explicit(&srv->sales.book, memory_order_acquire);
}

static void announce(struct gw_server *srv, struct gw_room *room, struct sale *s)
{
    struct gw_sale *gs = gw_xcalloc(1, sizeof(*gs));
    struct gw_sale *head;

    gs->s = s;
    gs->room = room;
    atomic_init(&gs->end_unsaved, false);
    /* relaxed: the CAS re-reads the head. */
    head = atomic_load_explicit(&srv->sales.all, memory_order_relaxed);
    do {
        gs->next_all = head;
        /* release: publishes *gs to readers' acquire loads of the head. */
    } while (!atomic_compare_exchange_weak_explicit(&srv->sales.all, &head, gs,
                                                    memory_order_release, memory_order_relaxed));
}

static struct gw_sale *find_sale(struct gw_server *srv, struct gw_room *room, const char *id)
{
    /* acquire: pairs with announce's release CAS; next_all is immutable after it. */
    for (struct gw_sale *gs = atomic_load_explicit(&srv->sales.all, memory_order_acquire); gs;
         gs = gs->next_all)
        if (gs->room == room && !strcmp(sale_id(gs->s), id))
            return gs;
    return NULL;
}

static void *loader_main(void *arg)
{
    struct gw_server *srv = arg;
    int backoff = LOAD_BACKOFF_MIN_MS;
    const struct gw_config *cfg = &srv->cfg;

    /* relaxed: a stop request; nothing else is read through it. */
    while (!atomic_load_explicit(&srv->sales.stopping, memory_order_relaxed)) {
        struct sale_load_stats st;
        struct sale_book *b = sale_book_create(cfg->node, srv->sales.boot_ms, 0);
        uint64_t tries;

        if (!b) {
            gw_err("sales: bad --node '%s': flash sales are off", cfg->node);
            return NULL;
        }
        if (sale_store_load(cfg->redis_host, cfg->redis_port, b, gw_now_ms(), &st) == 0) {
            for (struct sale *s = sale_book_first(b); s; s = sale_next(s))
                announce(srv, gw_rooms_get(&srv->rooms, sale_room(s), true), s);
            gw_info("sales: loaded from redis %s:%d: %llu sales, %llu orders, %llu overdue "
                    "reservations released",
                    cfg->redis_host, cfg->redis_port, (unsigned long long)st.sales,
                    (unsigned long long)st.orders, (unsigned long long)st.expired);
            /* release: the book and every sale announced above are complete. */
            atomic_store_explicit(&srv->sales.book, b, memory_order_release);
            return NULL;
        }
        sale_book_destroy(b);
        /* relaxed: a statistic. */
        tries = atomic_fetch_add_explicit(&srv->sales.load_retries, 1, memory_order_relaxed);
        if (tries == 0 || tries % 20 == 0)
            gw_warn("sales: cannot load from redis %s:%d; orders are refused as unavailable "
                    "until it answers (retrying)",
                    cfg->redis_host, cfg->redis_port);
        for (int slept = 0;
             slept < backoff && !atomic_load_explicit(&srv->sales.stopping, memory_order_relaxed);
             slept += 50)
            nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
        backoff = backoff * 2 > LOAD_BACKOFF_MAX_MS ? LOAD_BACKOFF_MAX_MS : backoff * 2;
    }
    return NULL;
}

void gw_sales_start(struct gw_server *srv)
{
    srv->sales.boot_ms = gw_now_ms();
    atomic_init(&srv->sales.poll_soon, false); /* read only once the book is loaded */
    if (pthread_create(&srv->sales.loader, NULL, loader_main, srv) != 0) {
        gw_err("sales: cannot start the loader thread: flash sales are off");
        return;
    }
    srv->sales.loader_started = true;
}

void gw_sales_stop(struct gw_server *srv)
{
    atomic_store_explicit(&srv->sales.stopping, true, memory_order_relaxed);
    if (srv->sales.loader_started)
        pthread_join(srv->sales.loader, NULL);
    srv->sales.loader_started = false;
}

void gw_sales_fini(struct gw_server *srv)
{
    struct gw_sale *gs = atomic_load_explicit(&srv->sales.all, memory_order_relaxed);

    for (int i = 0; i < srv->nworkers; i++) {
        /* Results that came after their worker stopped: nobody waits for them. */
        struct gw_wait *x =
            atomic_exchange_explicit(&srv->workers[i].sales_handoff, NULL, memory_order_acquire);
        while (x) {
            struct gw_wait *next = x->next;
            free(x);
            x = next;
        }
    }
    while (gs) {
        struct gw_sale *next = gs->next_all;
        free(gs);
        gs = next;
    }
    atomic_store_explicit(&srv->sales.all, NULL, memory_order_relaxed);
    sale_book_destroy(atomic_load_explicit(&srv->sales.book, memory_order_relaxed));
    atomic_store_explicit(&srv->sales.book, NULL, memory_order_relaxed);
}

/* ---- the poller (worker 0) ---------------------------------------------------------- */

struct sale_event {
    struct gw_sale *gs;
    int64_t now;
    bool link;
};

static void enc_sale_event(struct proto_buf *b, uint64_t seq, void *arg)
{
    struct sale_event *e = arg;
    struct proto_sale_view v;

    if (e->link) {
        /* Under the room lock, with the seq: welcome.sales and the stream agree. */
        e->gs->next_room = e->gs->room->sales;
        e->gs->room->sales = e->gs;
    }
    sale_view(e->gs->s, e->now, &v);
    proto_enc_sale(b, seq, &v, true);
}

struct stock_event {
    const char *sale;
    int64_t left;
};

static void enc_stock_event(struct proto_buf *b, uint64_t seq, void *arg)
{
    struct stock_event *e = arg;
    (void)seq;
    proto_enc_stock(b, e->sale, e->left);
}

/* The least interval between two `stock` updates of room r. Each is a write to every
 * viewer (~12 us each here), in the worker loops that also answer orders: in a big room
 * the interval grows with the audience so that these writes stay a bounded share of the
 * CPU (stock is a state update, the latest value wins). */
static int64_t stock_interval_ms(const struct gw_config *cfg, struct gw_room *r)
{
    /* relaxed: a display counter; any recent value sizes the interval. */
    uint64_t viewers = atomic_load_explicit(&r->online, memory_order_relaxed);
    int64_t ms = (int64_t)(viewers * (uint64_t)cfg->stock_us_viewer / 1000);

    return ms > cfg->sales_poll_ms ? ms : cfg->sales_poll_ms;
}

static void poll_sales(struct gw_worker *w, int64_t now)
{
    /* acquire: pairs with announce's release CAS. */
    for (struct gw_sale *gs = atomic_load_explicit(&w->srv->sales.all, memory_order_acquire); gs;
         gs = gs->next_all) {
        struct sale_change ch;
        sale_poll(gs->s, now, &ch);
        if (!gs->linked) {
            /* First sight: a restored sale that already ended is listed silently. */
            struct sale_event e = {gs, now, true};
            gs->linked = true;
            gs->sent_left = ch.left;
            gs->told_at = now;
            if (ch.state == PROTO_SALE_ENDED) {
                pthread_mutex_lock(&gs->room->lock);
                gs->next_room = gs->room->sales;
                gs->room->sales = gs;
                pthread_mutex_unlock(&gs->room->lock);
            } else {
                gw_room_event(gs->room, w, GW_MSG_EVENT, true, enc_sale_event, &e);
            }
        } else if (ch.state_changed) {
            /* Never held back; it carries `left` too. */
            struct sale_event e = {gs, now, false};
            gw_room_event(gs->room, w, GW_MSG_EVENT, true, enc_sale_event, &e);
            if (ch.state == PROTO_SALE_SOLD_OUT)
                gw_live_event(w, gs->room, GW_LIVE_SOLD_OUT); /* a trust peak */
            gs->sent_left = ch.left;
            gs->told_at = now;
        } else if (ch.left != gs->sent_left &&
                   now - gs->told_at >= stock_interval_ms(&w->srv->cfg, gs->room)) {
            /* No seq (a state update), but never dropped: a lagging viewer must not be
             * left showing stock that is gone. A change within the interval waits (the
             * latest value wins). */
            struct stock_event e = {sale_id(gs->s), ch.left};
            gw_room_event(gs->room, w, GW_MSG_EVENT, false, enc_stock_event, &e);
            gs->sent_left = ch.left;
            gs->told_at = now;
        }
    }
}

void gw_sales_worker_tick(struct gw_worker *w)
{
    struct gw_server *srv = w->srv;
    int64_t now;

    tl_worker = w;
    if (!w->store) {
        struct sale_book *book = book_of(srv);
        if (!book)
            return;
        struct sale_store_cfg cfg = {.host = srv->cfg.redis_host, .port = srv->cfg.redis_port};
        w->store = sale_store_create(w->loop, book, &cfg);
        /* release: other threads' stats reads see a constructed store. */
        atomic_store_explicit(&w->store_shared, w->store, memory_order_release);
    }
    drain_handoff(w);
    if (w->idx != 0)
        return;
    now = gw_now_ms();
    if (now < w->sales_next_poll_ms &&
        !atomic_exchange_explicit(&srv->sales.poll_soon, false, memory_order_relaxed))
        return;
    w->sales_next_poll_ms = now + srv->cfg.sales_poll_ms;
    sale_store_expire(w->store, now);
    poll_sales(w, now);
    retry_sale_ends(w, now);
}

void gw_sales_worker_stop(struct gw_worker *w)
{
    tl_worker = w;
    drain_handoff(w);
    atomic_store_explicit(&w->store_shared, NULL, memory_order_release);
    sale_store_destroy(w->store);
    w->store = NULL;
    drain_handoff(w);
}

/* ---- host commands ------------------------------------------------------------------ */

static void on_sale_saved(void *arg, struct sale *s, bool ok)
{
    struct gw_wait *x = arg;

    if (ok) {
        announce(x->w->srv, x->room, s);
        /* Its `sale` (live) goes out at worker 0's next tick, not at its next poll.
         * relaxed: a hint; the poller finds the sale through announce's release. */
        atomic_store_explicit(&x->w->srv->sales.poll_soon, true, memory_order_relaxed);
        if (x->c && x->has_req) {
            struct proto_buf *b = gw_worker_enc(x->w);
            struct gw_msg *m;
            proto_enc_ack(b, x->req);
            m = gw_msg_create(b, GW_MSG_TARGETED, 0);
            gw_conn_send(x->c, m);
            gw_msg_unref(m);
        }
    } else {
        /* Never announced, so never sold: stop it for good. Its id stays taken. */
        sale_stop(s);
        gw_warn("sales: could not record sale %s of room %s in redis; not started", sale_id(s),
                sale_room(s));
        if (x->c)
            gw_conn_send_error(x->c, PROTO_ERR_UNAVAILABLE,
                               "could not record the sale in redis: nothing was started; start "
                               "it again with a new sale id",
                               x->has_req ? x->req : NULL);
    }
    wait_free(x);
}

static void on_sale_ended(void *arg, struct sale *s, bool ok)
{
    struct gw_sale *gs = arg;

    if (ok)
        return;
    gw_warn("sales: could not record the end of sale %s of room %s in redis; retrying", sale_id(s),
            sale_room(s));
    /* relaxed: a stand-alone flag; worker 0 retries the write (retry_sale_ends). */
    atomic_store_explicit(&gs->end_unsaved, true, memory_order_relaxed);
}

/* Worker 0: records the ends whose write failed (a restart would revive the sale). */
static void retry_sale_ends(struct gw_worker *w, int64_t now)
{
    if (!sale_store_is_up(w->store))
        return;
    /* acquire: pairs with announce's release CAS. */
    for (struct gw_sale *gs = atomic_load_explicit(&w->srv->sales.all, memory_order_acquire); gs;
         gs = gs->next_all)
        if (atomic_exchange_explicit(&gs->end_unsaved, false, memory_order_relaxed) &&
            sale_store_sale_end(w->store, gs->s, now, on_sale_ended, gs) < 0)
            atomic_store_explicit(&gs->end_unsaved, true, memory_order_relaxed);
}

static int sale_start(struct gw_worker *w, struct gw_room *r, struct gw_conn *c,
                      const struct proto_cmsg *m, enum proto_err *code, const char **msg)
{
    const __typeof__(m->u.sale_start) *ss = &m->u.sale_start;
    struct sale_book *book = book_of(w->srv);
    int64_t now = gw_now_ms(), start = ss->starts_at > now ? ss->starts_at : now;
    /* relaxed: a sizing hint. */
    size_t peak = (size_t)atomic_load_explicit(&r->peak_online, memory_order_relaxed);
    struct sale_params p = {
        .room = r->id,
        .sale = ss->sale,
        .sku = ss->sku,
        .price = ss->price,
        .stock = ss->stock,
        .limit = ss->limit,
        .starts_at_ms = ss->starts_at,
        .ends_at_ms = start + ss->duration * 1000,
        .pay_window_ms = ss->pay_window * 1000,
        /* Sized for the peak audience so far (the core keeps its floor): the tables
         * only slow down past it, but every buyer could be in the room at once. */
        .buyers_hint = peak,
    };
    struct sale *s;
    struct gw_wait *x;
    int rc;

    rc = sale_book_start(book, &p, &s);
    if (rc == -EEXIST) {
        *code = PROTO_ERR_CONFLICT;
        *msg = "a sale with this id was already started in this room";
        return -1;
    }
    if (rc < 0) {
        *code = PROTO_ERR_BAD_REQUEST;
        *msg = "invalid sale parameters";
        return -1;
    }
    x = wait_new(w, c, WAIT_SALE_START, m->has_req ? m->req : NULL);
    x->room = r;
    if (sale_store_sale_save(w->store, s, now, on_sale_saved, x) < 0) {
        sale_stop(s);
        wait_free(x);
        *code = PROTO_ERR_UNAVAILABLE;
        *msg = "redis is unreachable: nothing was started; start it again with a new sale id";
        return -1;
    }
    return 1;
}

int gw_sales_host(struct gw_worker *w, struct gw_room *r, struct gw_conn *c,
                  const struct proto_cmsg *m, enum proto_err *code, const char **msg)
{
    struct gw_sale *gs;

    if (!book_of(w->srv) || !w->store || !sale_store_is_up(w->store)) {
        *code = PROTO_ERR_UNAVAILABLE;
        *msg = "redis is unreachable: flash sales cannot start or stop now";
        return -1;
    }
    if (m->t == PROTO_C_SALE_START)
        return sale_start(w, r, c, m, code, msg);
    gs = find_sale(w->srv, r, m->u.sale_stop.sale);
    if (!gs) {
        *code = PROTO_ERR_NOT_FOUND;
        *msg = "no such sale in this room";
        return -1;
    }
    /* Stopping twice is fine (the first one is recorded); the poller broadcasts
     * `sale` ended. */
    if (sale_stop(gs->s) &&
        sale_store_sale_end(w->store, gs->s, gw_now_ms(), on_sale_ended, gs) < 0)
        on_sale_ended(gs, gs->s, false);
    return 0;
}

/* ---- orders ------------------------------------------------------------------------- */

void gw_sales_order(struct gw_worker *w, struct gw_conn *c, const struct proto_cmsg *m)
{
    const char *req = m->has_req ? m->req : NULL;
    struct gw_sale *gs;
    struct gw_wait *x;
    struct sale_result res;
    struct sale_ask a;

    if (!book_of(w->srv) || !w->store) {
        send_order_fail(w, c, req, PROTO_ERR_UNAVAILABLE,
                        "the order store is not reachable yet: nothing was taken");
        return;
    }
    gs = find_sale(w->srv, c->shard->room, m->u.order.sale);
    if (!gs) {
        send_order_fail(w, c, req, PROTO_ERR_NOT_FOUND, "no such sale in this room");
        return;
    }
    a = (struct sale_ask){.uid = c->uid, .req = req, .qty = m->u.order.qty, .from = c->from};
    x = wait_new(w, c, WAIT_ORDER, req);
    x->sw.on_result = on_order_result;
    if (sale_store_order(w->store, gs->s, &a, gw_now_ms(), &x->sw, &res) == SALE_PLACE_DONE) {
        wait_free(x);
        send_order_reply(w, c, req, &res);
    }
}

/* ---- welcome and figures ------------------------------------------------------------ */

void gw_sales_welcome(struct gw_server *srv, struct gw_room *r, struct proto_buf *out)
{
    int64_t now = gw_now_ms();
    bool any = false;

    (void)srv;
    for (struct gw_sale *gs = r->sales; gs; gs = gs->next_room) {
        struct proto_sale_view v;
        sale_view(gs->s, now, &v);
        if (v.state == PROTO_SALE_ENDED)
            continue;
        proto_buf_append(out, any ? "," : "[", 1);
        proto_enc_sale(out, 0, &v, false);
        any = true;
    }
    if (any)
        proto_buf_append(out, "]", 1);
}

void gw_sales_describe(struct gw_server *srv, struct gw_room *r, struct proto_buf *b)
{
    int64_t now = gw_now_ms(), orders = 0, paid = 0;
    struct gw_sale *list;

    (void)srv;
    pthread_mutex_lock(&r->lock);
    list = r->sales; /* the list only grows at its head: walk it without the lock */
    pthread_mutex_unlock(&r->lock);
    for (struct gw_sale *gs = list; gs; gs = gs->next_room) {
        struct sale_counts k;
        sale_counts_get(gs->s, &k);
        orders += k.orders;
        paid += k.paid;
    }
    proto_json_int(b, "orders", orders);
    proto_json_int(b, "paid", paid);
    proto_json_arr_begin(b, "sales");
    for (struct gw_sale *gs = list; gs; gs = gs->next_room) {
        struct proto_sale_view v;
        struct sale_counts k;
        sale_view(gs->s, now, &v);
        sale_counts_get(gs->s, &k);
        proto_json_obj_begin(b);
        proto_json_cstr(b, "sale", v.sale);
        proto_json_cstr(b, "sku", v.sku);
        proto_json_cstr(b, "state", proto_sale_state_name(v.state));
        proto_json_int(b, "price", v.price);
        proto_json_int(b, "stock", v.stock);
        proto_json_int(b, "left", k.left);
        proto_json_int(b, "reserved", k.reserved);
        proto_json_int(b, "paid", k.paid);
        proto_json_int(b, "orders", k.orders);
        proto_json_int(b, "limit", v.limit);
        proto_json_int(b, "ends_at", v.ends_at);
        proto_json_obj_end(b);
    }
    proto_json_arr_end(b);
}

/* ---- HTTP paid / cancel --------------------------------------------------------------- */

static void http_answer_set(struct gw_conn *c, unsigned int status, const char *id,
                            const char *state, const char *code, const char *msg)
{
    struct proto_buf b;

    proto_buf_init(&b, 0);
    proto_json_obj_begin(&b);
    if (id)
        proto_json_cstr(&b, "order", id);
    if (state)
        proto_json_cstr(&b, "state", state);
    if (code) {
        proto_json_cstr(&b, "code", code);
        proto_json_cstr(&b, "msg", msg);
    }
    proto_json_obj_end(&b);
    free(c->http_resp);
    c->http_resp = gw_xmalloc(b.len ? b.len : 1);
    memcpy(c->http_resp, proto_buf_data(&b), b.len);
    c->http_resp_len = (uint32_t)b.len;
    c->http_status = (uint16_t)status;
    proto_buf_fini(&b);
}

static void http_answer_tr(struct gw_conn *c, const struct sale_order *o, enum sale_tr tr)
{
    const char *id = sale_order_id(o), *st = sale_order_state_name(sale_order_state(o));

    switch (tr) {
    case SALE_TR_STARTED:
    case SALE_TR_ALREADY:
        http_answer_set(c, 200, id, st, NULL, NULL);
        break;
    case SALE_TR_CONFLICT:
        http_answer_set(c, 409, id, st, "conflict",
                        "the order already moved to a state this call cannot follow");
        break;
    case SALE_TR_NOT_FOUND:
        http_answer_set(c, 404, id, NULL, "not_found", "no acknowledged order with this id");
        break;
    case SALE_TR_BUSY:
        http_answer_set(c, 503, id, st, "unavailable",
                        "another change of this order is being written: retry");
        break;
    case SALE_TR_UNAVAILABLE:
        http_answer_set(c, 503, id, st, "unavailable", "redis is unreachable: nothing changed");
        break;
    }
}

static void on_tr_done(void *arg, struct sale_order *o, bool ok)
{
    struct gw_wait *x = arg;

    if (ok) {
        struct gw_room *r = gw_rooms_get(&x->w->srv->rooms, sale_room(sale_order_sale(o)), false);
        if (r)
            gw_room_engage(r, sale_order_uid(o), GW_ENGAGE_PAID);
    }
    if (x->c) {
        if (ok)
            http_answer_tr(x->c, o, SALE_TR_STARTED);
        else
            http_answer_tr(x->c, o, SALE_TR_UNAVAILABLE);
        lws_callback_on_writable(x->wsi);
    }
    wait_free(x);
}

int gw_sales_http_writeable(struct gw_conn *c, struct lws *wsi)
{
    int rc;

    if (!c || !c->http_resp)
        return 0;
    rc = gw_http_reply(wsi, c->http_status, "application/json", c->http_resp, c->http_resp_len, 0);
    free(c->http_resp);
    c->http_resp = NULL;
    if (rc < 0)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int gw_sales_http_order(struct gw_worker *w, struct gw_conn *c, struct lws *wsi, const char *id,
                        const char *action)
{
    struct sale_book *book = book_of(w->srv);
    struct sale_order *o;
    struct gw_wait *x;
    enum sale_tr tr;
    bool pay = !strcmp(action, "paid");

    if (!book || !w->store) {
        http_answer_set(c, 503, id, NULL, "unavailable", "redis is unreachable: nothing changed");
        return gw_sales_http_writeable(c, wsi);
    }
    o = sale_book_order_find(book, id);
    if (!o) {
        http_answer_set(c, 404, id, NULL, "not_found", "no acknowledged order with this id");
        return gw_sales_http_writeable(c, wsi);
    }
    x = wait_new(w, c, WAIT_HTTP, NULL);
    x->wsi = wsi;
    tr = pay ? sale_store_pay(w->store, o, gw_now_ms(), on_tr_done, x)
             : sale_store_cancel(w->store, o, gw_now_ms(), on_tr_done, x);
    if (tr == SALE_TR_STARTED)
        return 0; /* answered from on_tr_done, through a writable callback */
    wait_free(x);
    http_answer_tr(c, o, tr);
    return gw_sales_http_writeable(c, wsi);
}

bool gw_sales_order_in_room(struct gw_server *srv, const char *id, const char *room)
{
    struct sale_book *book = book_of(srv);
    struct sale_order *o = book ? sale_book_order_find(book, id) : NULL;

    return !o || strcmp(sale_room(sale_order_sale(o)), room) == 0;
}

/* ---- operations ------------------------------------------------------------------------ */

const char *gw_sales_redis_state(struct gw_server *srv)
{
    bool any = false, all = true;

    if (!book_of(srv))
        return "loading";
    for (int i = 0; i < srv->nworkers; i++) {
        /* acquire: pairs with the owner's release store of a constructed store. */
        struct sale_store *st =
            atomic_load_explicit(&srv->workers[i].store_shared, memory_order_acquire);
        if (!st) {
            all = false;
            continue;
        }
        any = true;
        if (!sale_store_is_up(st))
            all = false;
    }
    return any && all ? "up" : "down";
}

void gw_sales_metrics(struct gw_server *srv, struct proto_buf *b)
{
    struct sale_store_stats sum = {0};
    int64_t left = 0, reserved = 0, paid = 0, orders = 0, sales = 0;
    bool up = !strcmp(gw_sales_redis_state(srv), "up");
    struct sale_book *book = book_of(srv);
    char line[256];
    int n;

    for (int i = 0; i < srv->nworkers; i++) {
        /* acquire: pairs with the owner's release store of a constructed store. */
        struct sale_store *st =
            atomic_load_explicit(&srv->workers[i].store_shared, memory_order_acquire);
        struct sale_store_stats s;
        if (!st)
            continue;
        sale_store_stats_get(st, &s);
        sum.connects += s.connects;
        sum.disconnects += s.disconnects;
        sum.batches += s.batches;
        sum.batch_failures += s.batch_failures;
        sum.orders_written += s.orders_written;
        sum.orders_failed += s.orders_failed;
        sum.refused_down += s.refused_down;
        sum.voids_pending += s.voids_pending;
    }
    for (struct gw_sale *gs = atomic_load_explicit(&srv->sales.all, memory_order_acquire); gs;
         gs = gs->next_all) {
        struct sale_counts k;
        sale_counts_get(gs->s, &k);
        left += k.left;
        reserved += k.reserved;
        paid += k.paid;
        orders += k.orders;
        sales++;
    }
    n = snprintf(line, sizeof(line),
                 "# HELP livegw_redis_up 1 when every worker's order store is connected.\n"
                 "# TYPE livegw_redis_up gauge\nlivegw_redis_up %d\n",
                 up ? 1 : 0);
    proto_buf_append(b, line, (size_t)n);
#define EMIT(name, type, help, v)                                                                  \
    do {                                                                                           \
        n = snprintf(line, sizeof(line),                                                           \
                     "# HELP livegw_" name " " help "\n# TYPE livegw_" name " " type               \
                     "\nlivegw_" name " %lld\n",                                                   \
                     (long long)(v));                                                              \
        proto_buf_append(b, line, (size_t)n);                                                      \
    } while (0)
    EMIT("redis_connects_total", "counter", "Order store (re)connections.", sum.connects);
    EMIT("redis_disconnects_total", "counter", "Order store connections lost or failed.",
         sum.disconnects);
    EMIT("redis_batches_total", "counter", "Group-commit batches written.", sum.batches);
    EMIT("redis_batch_failures_total", "counter", "Group-commit batches failed.",
         sum.batch_failures);
    EMIT("orders_written_total", "counter", "Reservations made durable (acknowledged).",
         sum.orders_written);
    EMIT("orders_failed_total", "counter",
         "Reservations answered unavailable after a failed write.", sum.orders_failed);
    EMIT("orders_refused_down_total", "counter", "Order attempts refused while redis was down.",
         sum.refused_down);
    EMIT("orders_voids_pending", "gauge", "Failed reservations whose void is not yet written.",
         sum.voids_pending);
    EMIT("sales", "gauge", "Sales announced in this process.", sales);
    EMIT("sale_items_left", "gauge", "Items left over all sales.", left);
    EMIT("sale_items_reserved", "gauge", "Items held by reservations awaiting payment.", reserved);
    EMIT("sale_items_paid", "gauge", "Items paid over all sales.", paid);
    EMIT("sale_orders", "gauge", "Reservations made over all sales.", orders);
    EMIT("sale_memory_bytes", "gauge",
         "Memory of the sale core: grows with reqs and orders until restart.",
         book ? sale_book_memory(book) : 0);
#undef EMIT
}
