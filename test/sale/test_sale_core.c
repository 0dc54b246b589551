/* test_sale_core.c: the sale core alone: rules, idempotency, transitions, and
 * multi-threaded stress of reservation and of paid / cancel / expiry races. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sale.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SCALE 10 /* sanitizers run 5-20x slower: fewer attempts, same checks */
#else
#define SCALE 1
#endif

#define T0 1700000000000LL

static struct sale *start(struct sale_book *b, const char *id, int64_t stock, int32_t limit,
                          int64_t starts_at)
{
    struct sale_params p = {
        .room = "r1",
        .sale = id,
        .sku = "sku1",
        .price = 990,
        .stock = stock,
        .limit = limit,
        .starts_at_ms = starts_at,
        .ends_at_ms = T0 + 3600000,
        .pay_window_ms = 60000,
    };
    struct sale *s = NULL;
    assert_int_equal(sale_book_start(b, &p, &s), 0);
    return s;
}

static enum sale_place place(struct sale *s, const char *uid, const char *req, int32_t qty,
                             int64_t now, bool up, struct sale_result *r)
{
    struct sale_ask a = {.uid = uid, .req = req, .qty = qty, .from = "inviter1"};
    return sale_order_place(s, &a, now, up, NULL, r);
}

/* ---- rules ----------------------------------------------------------------------- */

static void test_rules(void **state)
{
    struct sale_book *b = sale_book_create("n1", T0, 0);
    struct sale *s = start(b, "s1", 3, 2, T0 + 1000);
    struct sale_result r;
    struct sale *dup;
    struct sale_params p = {.room = "r1",
                            .sale = "s1",
                            .sku = "x",
                            .stock = 1,
                            .limit = 1,
                            .ends_at_ms = T0 + 1,
                            .pay_window_ms = 1};
    assert_int_equal(sale_book_start(b, &p, &dup), -EEXIST);
    assert_ptr_equal(dup, s);
    assert_ptr_equal(sale_book_find(b, "r1", "s1"), s);
    assert_null(sale_book_find(b, "r2", "s1"));

    /* before starts_at: not_started, remembered as the first result */
    assert_int_equal(place(s, "u1", "q0", 1, T0, true, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_NOT_STARTED);
    assert_int_equal(place(s, "u1", "q0", 1, T0 + 2000, true, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_NOT_STARTED);

    /* qty above the limit */
    assert_int_equal(place(s, "u1", "q1", 3, T0 + 2000, true, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_LIMIT_EXCEEDED);

    /* store down: a new req is refused and NOT remembered */
    assert_int_equal(place(s, "u1", "q2", 2, T0 + 2000, false, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_UNAVAILABLE);
    assert_int_equal(sale_left(s), 3);

    /* u1 takes 2 (its limit) */
    assert_int_equal(place(s, "u1", "q2", 2, T0 + 2000, true, &r), SALE_PLACE_RESERVED);
    struct sale_order *o1 = r.order;
    assert_int_equal(sale_order_state(o1), SALE_ORDER_PENDING);
    assert_int_equal(sale_left(s), 1);
    /* a repeat while pending without a waiter is unavailable */
    assert_int_equal(place(s, "u1", "q2", 2, T0 + 2000, true, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_UNAVAILABLE);
    assert_int_equal(sale_order_pay_begin(o1), SALE_TR_NOT_FOUND);
    sale_order_commit(o1);
    assert_int_equal(place(s, "u1", "q2", 2, T0 + 2000, false, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_OK);
    assert_ptr_equal(r.order, o1);
    assert_ptr_equal(sale_book_order_find(b, sale_order_id(o1)), o1);
    assert_string_equal(sale_order_from(o1), "inviter1");
    assert_int_equal(sale_order_pay_by(o1), T0 + 2000 + 60000);

    /* u1 is at its limit */
    assert_int_equal(place(s, "u1", "q3", 1, T0 + 2000, true, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_LIMIT_EXCEEDED);

    /* u2 wants 2, only 1 left: sold_out, allowance untouched; then takes 1 */
    assert_int_equal(place(s, "u2", "a", 2, T0 + 2000, true, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_SOLD_OUT);
    assert_int_equal(place(s, "u2", "b", 1, T0 + 2000, true, &r), SALE_PLACE_RESERVED);
    struct sale_order *o2 = r.order;
    sale_order_commit(o2);
    assert_int_equal(sale_left(s), 0);
    assert_int_equal(sale_state(s, T0 + 2000), PROTO_SALE_SOLD_OUT);

    /* cancel gives stock and allowance back; repeat ALREADY; paid after is CONFLICT */
    assert_int_equal(sale_order_cancel_begin(o1), SALE_TR_STARTED);
    assert_int_equal(sale_order_pay_begin(o1), SALE_TR_BUSY);
    sale_order_cancel_end(o1, false); /* write failed: back to reserved */
    assert_int_equal(sale_order_state(o1), SALE_ORDER_RESERVED);
    assert_int_equal(sale_order_cancel_begin(o1), SALE_TR_STARTED);
    sale_order_cancel_end(o1, true);
    assert_int_equal(sale_left(s), 2);
    assert_int_equal(sale_order_cancel_begin(o1), SALE_TR_ALREADY);
    assert_int_equal(sale_order_pay_begin(o1), SALE_TR_CONFLICT);
    assert_int_equal(place(s, "u1", "q4", 2, T0 + 2000, true, &r), SALE_PLACE_RESERVED);
    struct sale_order *o3 = r.order;
    sale_order_fail(o3); /* write failed: unavailable remembered, stock held */
    assert_int_equal(sale_left(s), 0);
    assert_int_equal(place(s, "u1", "q4", 2, T0 + 2000, true, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_UNAVAILABLE);
    sale_order_void_end(o3);
    assert_int_equal(sale_left(s), 2);
    assert_int_equal(sale_order_pay_begin(o3), SALE_TR_NOT_FOUND);

    /* paid; cancel after paid is CONFLICT; expiry skips paid */
    assert_int_equal(sale_order_pay_begin(o2), SALE_TR_STARTED);
    sale_order_pay_end(o2, true);
    assert_int_equal(sale_order_pay_begin(o2), SALE_TR_ALREADY);
    assert_int_equal(sale_order_cancel_begin(o2), SALE_TR_CONFLICT);
    assert_false(sale_order_expire_begin(o2, T0 + 10000000));

    /* expiry gives allowance back too */
    assert_int_equal(place(s, "u3", "x", 2, T0 + 3000, true, &r), SALE_PLACE_RESERVED);
    struct sale_order *o4 = r.order;
    sale_order_commit(o4);
    assert_false(sale_order_expire_begin(o4, T0 + 3000 + 59999));
    assert_true(sale_order_expire_begin(o4, T0 + 3000 + 60000));
    assert_int_equal(sale_order_pay_begin(o4), SALE_TR_BUSY);
    sale_order_expire_end(o4, true);
    assert_int_equal(sale_order_pay_begin(o4), SALE_TR_CONFLICT);
    assert_int_equal(sale_order_cancel_begin(o4), SALE_TR_ALREADY);
    assert_int_equal(place(s, "u3", "y", 2, T0 + 70000, true, &r), SALE_PLACE_RESERVED);
    sale_order_commit(r.order);

    struct sale_counts c;
    sale_counts_get(s, &c);
    assert_int_equal(c.left, 0);
    assert_int_equal(c.reserved, 2);
    assert_int_equal(c.paid, 1);
    assert_int_equal(c.orders, 5);

    /* stop: ended for new reqs, remembered results stay */
    assert_true(sale_stop(s));
    assert_false(sale_stop(s));
    assert_int_equal(place(s, "u9", "z", 1, T0 + 70000, true, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_ENDED);
    assert_int_equal(place(s, "u1", "q2", 2, T0 + 70000, true, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_OK);
    assert_int_equal(sale_state(s, T0), PROTO_SALE_ENDED);
    sale_book_destroy(b);
}

static void test_poll(void **state)
{
    struct sale_book *b = sale_book_create("n1", T0, 0);
    struct sale *s = start(b, "s1", 1, 1, 0);
    struct sale_change c;
    sale_poll(s, T0, &c);
    assert_true(c.state_changed && c.left_changed);
    assert_int_equal(c.state, PROTO_SALE_LIVE);
    sale_poll(s, T0, &c);
    assert_false(c.state_changed || c.left_changed);
    struct sale_result r;
    assert_int_equal(place(s, "u1", "a", 1, T0, true, &r), SALE_PLACE_RESERVED);
    struct sale_order *o = r.order;
    sale_order_commit(o);
    sale_poll(s, T0, &c);
    assert_true(c.state_changed && c.left_changed);
    assert_int_equal(c.state, PROTO_SALE_SOLD_OUT);
    assert_int_equal(c.left, 0);
    sale_poll(s, T0, &c); /* sold_out reported exactly once */
    assert_false(c.state_changed || c.left_changed);
    assert_true(sale_order_cancel_begin(o) == SALE_TR_STARTED);
    sale_order_cancel_end(o, true);
    sale_poll(s, T0, &c);
    assert_true(c.state_changed);
    assert_int_equal(c.state, PROTO_SALE_LIVE);
    sale_poll(s, T0 + 3600000, &c);
    assert_true(c.state_changed);
    assert_int_equal(c.state, PROTO_SALE_ENDED);
    sale_book_destroy(b);
}

static void test_restore(void **state)
{
    struct sale_book *b = sale_book_create("n2", T0, 0);
    struct sale_params p = {.room = "r1",
                            .sale = "s1",
                            .sku = "k",
                            .price = 5,
                            .stock = 10,
                            .limit = 3,
                            .ends_at_ms = T0 + 100000,
                            .pay_window_ms = 1000};
    struct sale *s;
    assert_int_equal(sale_book_restore(b, &p, 7, false, &s), 0);
    struct sale_order_rec rec = {.id = "old-1",
                                 .uid = "u1",
                                 .req = "r",
                                 .qty = 2,
                                 .created_ms = T0,
                                 .pay_by_ms = T0 + 1000,
                                 .state = SALE_ORDER_RESERVED};
    assert_int_equal(sale_order_restore(s, &rec), 0);
    assert_int_equal(sale_order_restore(s, &rec), -EEXIST);
    struct sale_order_rec rec2 = {.id = "old-2",
                                  .uid = "u1",
                                  .req = "r2",
                                  .qty = 1,
                                  .created_ms = T0,
                                  .pay_by_ms = T0 + 1000,
                                  .state = SALE_ORDER_PAID};
    assert_int_equal(sale_order_restore(s, &rec2), 0);
    assert_int_equal(sale_left(s), 7);
    struct sale_result r;
    assert_int_equal(place(s, "u1", "r", 1, T0 + 10, false, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_OK);
    assert_string_equal(sale_order_id(r.order), "old-1");
    /* u1 holds 3 = limit */
    assert_int_equal(place(s, "u1", "new", 1, T0 + 10, true, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_LIMIT_EXCEEDED);
    /* the restored reservation expires normally */
    struct sale_order *o = sale_book_order_find(b, "old-1");
    assert_true(sale_order_expire_begin(o, T0 + 1000));
    sale_order_expire_end(o, true);
    assert_int_equal(sale_left(s), 9);
    sale_book_destroy(b);
}

/* ---- stress: reservation ------------------------------------------------------------- */

#define U       2000 /* uids */
#define R       32   /* distinct reqs per uid */
#define STOCK   500
#define LIMIT   2
#define THREADS 4

struct stress {
    struct sale *s;
    long attempts; /* per thread */
    /* The canonical answer of each (uid, req): order pointer | code (pointers are
     * 8-aligned), set by the first answer seen, compared with every other one. */
    _Atomic uintptr_t first[U][R];
    atomic_long mismatches, answers, waits, reserved, failed;
    char uids[U][8];
    char reqs[R][8];
};

struct stress_waiter {
    struct sale_waiter w;
    struct stress *st;
    int u, q;
};

static void check_answer(struct stress *st, int u, int q, const struct sale_result *r)
{
    uintptr_t enc = (uintptr_t)r->order | (uintptr_t)r->code;
    uintptr_t exp = 0;
    if (!atomic_compare_exchange_strong(&st->first[u][q], &exp, enc) && exp != enc)
        atomic_fetch_add(&st->mismatches, 1);
    atomic_fetch_add_explicit(&st->answers, 1, memory_order_relaxed);
}

static void on_stress_result(struct sale_waiter *w, const struct sale_result *r)
{
    struct stress_waiter *sw = (struct stress_waiter *)w;
    check_answer(sw->st, sw->u, sw->q, r);
    free(sw);
}

struct pending {
    struct sale_order *o;
    int u, q;
};

/* 1 in 8 writes fails; its void is written at once. */
static void settle_pending(struct stress *st, struct pending *p, int n, uint64_t x)
{
    for (int i = 0; i < n; i++) {
        if (((x >> (i * 3)) & 7) == 0) {
            sale_order_fail(p[i].o);
            struct sale_result f = {SALE_UNAVAILABLE, NULL};
            check_answer(st, p[i].u, p[i].q, &f);
            sale_order_void_end(p[i].o);
            atomic_fetch_add_explicit(&st->failed, 1, memory_order_relaxed);
        } else {
            sale_order_commit(p[i].o);
            struct sale_result ok = {SALE_OK, p[i].o};
            check_answer(st, p[i].u, p[i].q, &ok);
            atomic_fetch_add_explicit(&st->reserved, 1, memory_order_relaxed);
        }
    }
}

struct stress_arg {
    struct stress *st;
    unsigned seed;
};

static void *stress_thread(void *p)
{
    struct stress_arg *a = p;
    struct stress *st = a->st;
    uint64_t x = a->seed * 0x9e3779b97f4a7c15ull + 1;
    struct stress_waiter *spare = NULL;
    struct pending pend[8];
    int npend = 0;
    for (long i = 0; i < st->attempts; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int u = (int)(x % U), q = (int)((x >> 20) % R);
        struct sale_ask ask = {.uid = st->uids[u],
                               .req = st->reqs[q],
                               .qty = (int32_t)(1 + ((x >> 40) & 1)),
                               .from = NULL};
        if (!spare) {
            spare = malloc(sizeof(*spare));
            spare->w.on_result = on_stress_result;
            spare->st = st;
        }
        spare->u = u;
        spare->q = q;
        struct sale_result r;
        enum sale_place pl = sale_order_place(st->s, &ask, T0, true, &spare->w, &r);
        if (pl == SALE_PLACE_WAIT) {
            spare = NULL; /* the waiter belongs to the core until on_result */
            atomic_fetch_add_explicit(&st->waits, 1, memory_order_relaxed);
        } else if (pl == SALE_PLACE_DONE) {
            check_answer(st, u, q, &r);
        } else {
            /* The "store" settles reservations in batches of 8, so that repeats from
             * other threads find them in flight and wait. */
            pend[npend].o = r.order;
            pend[npend].u = u;
            pend[npend++].q = q;
            if (npend == 8) {
                settle_pending(st, pend, npend, x);
                npend = 0;
            }
        }
    }
    settle_pending(st, pend, npend, ~(uint64_t)0); /* the last batch never fails */
    free(spare);
    return NULL;
}

#define OTHER_SALES 24

/* Starts OTHER_SALES sales in other rooms, each sized for an audience that makes it
 * prepare arena chunks (sale_book_start fills the book's pool). */
static void *start_sales(void *arg)
{
    struct sale_book *b = arg;
    for (int i = 0; i < OTHER_SALES; i++) {
        char room[16];
        struct sale *s;
        snprintf(room, sizeof(room), "other%d", i);
        struct sale_params p = {.room = room,
                                .sale = "s",
                                .sku = "k",
                                .price = 1,
                                .stock = 5,
                                .limit = 1,
                                .ends_at_ms = T0 + 1000,
                                .pay_window_ms = 1000,
                                .buyers_hint = 1000,
                                .reqs_hint = 60000};
        if (sale_book_start(b, &p, &s) != 0)
            abort();
    }
    return NULL;
}

static void test_stress_reserve(void **state)
{
    struct stress *st = calloc(1, sizeof(*st));
    struct sale_book *b = sale_book_create("n1", T0, 0);
    struct sale_params p = {.room = "r1",
                            .sale = "flash",
                            .sku = "k",
                            .price = 1,
                            .stock = STOCK,
                            .limit = LIMIT,
                            .ends_at_ms = T0 + 1000,
                            .pay_window_ms = 1000,
                            .buyers_hint = U};
    assert_int_equal(sale_book_start(b, &p, &st->s), 0);
    st->attempts = 2000000 / SCALE / THREADS * 2; /* 4M attempts in all, 400k sanitized */
    for (int u = 0; u < U; u++)
        snprintf(st->uids[u], sizeof(st->uids[u]), "u%d", u);
    for (int q = 0; q < R; q++)
        snprintf(st->reqs[q], sizeof(st->reqs[q]), "q%d", q);
    pthread_t th[THREADS], starter;
    struct stress_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct stress_arg){st, (unsigned)i + 1};
        pthread_create(&th[i], NULL, stress_thread, &args[i]);
    }
    /* Other rooms start sales meanwhile: each start fills the book's pool of arena
     * chunks while the order threads take chunks from it. */
    pthread_create(&starter, NULL, start_sales, b);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_join(starter, NULL);
    for (int i = 0; i < OTHER_SALES; i++) {
        char room[16];
        snprintf(room, sizeof(room), "other%d", i);
        assert_non_null(sale_book_find(b, room, "s"));
    }

    long total = st->attempts * THREADS;
    assert_int_equal(atomic_load(&st->answers), total); /* every waiter answered */
    /* Failed writes give stock back; one that failed after the other threads had
     * finished leaves stock nobody tried for. Buyers that come later take it. */
    int64_t topped = 0;
    for (int k = 0; sale_left(st->s) > 0; k++) {
        char uid[16];
        struct sale_waiter w = {.on_result = NULL};
        struct sale_result r;
        snprintf(uid, sizeof(uid), "late%d", k);
        struct sale_ask ask = {.uid = uid, .req = "late", .qty = 1, .from = NULL};
        assert_int_equal(sale_order_place(st->s, &ask, T0, true, &w, &r), SALE_PLACE_RESERVED);
        sale_order_commit(r.order);
        topped++;
    }
    assert_int_equal(atomic_load(&st->mismatches), 0); /* idempotent, first result */
    /* Walk the canonical answers: sold == stock, limits, unique orders. */
    int64_t sold = 0, oks = 0;
    struct sale_order **seen = calloc(U * R, sizeof(*seen));
    for (int u = 0; u < U; u++) {
        int64_t mine = 0;
        for (int q = 0; q < R; q++) {
            uintptr_t enc = atomic_load(&st->first[u][q]);
            if (!enc || (enc & 7) != SALE_OK)
                continue;
            struct sale_order *o = (struct sale_order *)(enc & ~(uintptr_t)7);
            assert_int_equal(sale_order_state(o), SALE_ORDER_RESERVED);
            assert_string_equal(sale_order_uid(o), st->uids[u]);
            assert_string_equal(sale_order_req(o), st->reqs[q]);
            assert_ptr_equal(sale_book_order_find(b, sale_order_id(o)), o);
            mine += sale_order_qty(o);
            seen[oks++] = o;
        }
        assert_true(mine <= LIMIT);
        sold += mine;
    }
    assert_int_equal(sold + topped, STOCK);
    assert_int_equal(sale_left(st->s), 0);
    assert_int_equal(oks, atomic_load(&st->reserved));
    for (int64_t i = 0; i < oks; i++)
        for (int64_t j = i + 1; j < oks; j++)
            assert_true(seen[i] != seen[j] &&
                        strcmp(sale_order_id(seen[i]), sale_order_id(seen[j])) != 0);
    struct sale_counts c;
    sale_counts_get(st->s, &c);
    assert_int_equal(c.reserved, STOCK);
    assert_int_equal(c.orders, oks + topped + atomic_load(&st->failed));
    printf("stress: %ld attempts, %ld waits, %ld orders, %ld failed writes\n", total,
           atomic_load(&st->waits), (long)oks, atomic_load(&st->failed));
    free(seen);
    sale_book_destroy(b);
    free(st);
}

/* ---- stress: paid vs cancel vs expiry -------------------------------------------------- */

#define RACE_ORDERS (4000 / SCALE)

struct race {
    struct sale *s;
    struct sale_order **o;
    atomic_int wins[RACE_ORDERS]; /* durable final transitions per order */
    atomic_int paid, cancelled, expired;
};

struct race_arg {
    struct race *rc;
    int role; /* 0-2: rotating pay / cancel / expire; 3: expiry walks */
    unsigned seed;
};

static void race_expired(void *arg, struct sale_order *o)
{
    struct race_arg *a = arg;
    a->seed = a->seed * 1103515245u + 12345u;
    bool ok = (a->seed >> 16) % 5 != 0;
    sale_order_expire_end(o, ok);
    if (ok) {
        /* index from the uid "u<i>" */
        int i = atoi(sale_order_uid(o) + 1);
        atomic_fetch_add(&a->rc->wins[i], 1);
        atomic_fetch_add(&a->rc->expired, 1);
    }
}

static bool race_all_final(struct race *rc)
{
    for (int i = 0; i < RACE_ORDERS; i++) {
        enum sale_order_state s = sale_order_state(rc->o[i]);
        if (s != SALE_ORDER_PAID && s != SALE_ORDER_CANCELLED && s != SALE_ORDER_EXPIRED)
            return false;
    }
    return true;
}

static pthread_barrier_t g_race_go;

/* Every thread sweeps the orders in the same order, so that on two cores the
 * threads hit the same order at the same moment; the role (pay, cancel, expire)
 * rotates per thread and per order. A fifth of the writes fail (back to RESERVED),
 * so sweeps repeat until every order is final. */
static void *race_thread(void *p)
{
    struct race_arg *a = p;
    struct race *rc = a->rc;
    pthread_barrier_wait(&g_race_go);
    while (!race_all_final(rc)) {
        if (a->role == 3) {
            sale_expire_due(rc->s, T0 + 60000, race_expired, a);
            continue;
        }
        for (int i = 0; i < RACE_ORDERS; i++) {
            a->seed = a->seed * 1103515245u + 12345u;
            bool ok = (a->seed >> 20) % 5 != 0;
            struct sale_order *o = rc->o[i];
            int role = (a->role + i) % 3;
            if (role == 0) {
                if (sale_order_pay_begin(o) == SALE_TR_STARTED) {
                    sale_order_pay_end(o, ok);
                    if (ok) {
                        atomic_fetch_add(&rc->wins[i], 1);
                        atomic_fetch_add(&rc->paid, 1);
                    }
                }
            } else if (role == 1) {
                if (sale_order_cancel_begin(o) == SALE_TR_STARTED) {
                    sale_order_cancel_end(o, ok);
                    if (ok) {
                        atomic_fetch_add(&rc->wins[i], 1);
                        atomic_fetch_add(&rc->cancelled, 1);
                    }
                }
            } else if (sale_order_expire_begin(o, T0 + 60000)) {
                race_expired(a, o);
            }
        }
    }
    return NULL;
}

static void test_stress_transitions(void **state)
{
    struct race *rc = calloc(1, sizeof(*rc));
    rc->o = calloc(RACE_ORDERS, sizeof(*rc->o));
    struct sale_book *b = sale_book_create("n1", T0, 0);
    struct sale_params p = {.room = "r1",
                            .sale = "race",
                            .sku = "k",
                            .price = 1,
                            .stock = RACE_ORDERS,
                            .limit = 1,
                            .ends_at_ms = T0 + 3600000,
                            .pay_window_ms = 60000,
                            .buyers_hint = RACE_ORDERS};
    assert_int_equal(sale_book_start(b, &p, &rc->s), 0);
    for (int i = 0; i < RACE_ORDERS; i++) {
        char uid[16];
        snprintf(uid, sizeof(uid), "u%d", i);
        struct sale_result r;
        assert_int_equal(place(rc->s, uid, "q", 1, T0, true, &r), SALE_PLACE_RESERVED);
        sale_order_commit(r.order);
        rc->o[i] = r.order;
    }
    assert_int_equal(sale_left(rc->s), 0);
    pthread_t th[4];
    struct race_arg args[4];
    pthread_barrier_init(&g_race_go, NULL, 4);
    for (int i = 0; i < 4; i++) {
        args[i] = (struct race_arg){rc, i, (unsigned)i * 7919u + 1};
        pthread_create(&th[i], NULL, race_thread, &args[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&g_race_go);
    for (int i = 0; i < RACE_ORDERS; i++)
        assert_int_equal(atomic_load(&rc->wins[i]), 1); /* each resolved exactly once */
    int paid = atomic_load(&rc->paid),
        released = atomic_load(&rc->cancelled) + atomic_load(&rc->expired);
    assert_int_equal(paid + released, RACE_ORDERS);
    assert_int_equal(sale_left(rc->s), released); /* stock back exactly once each */
    struct sale_counts c;
    sale_counts_get(rc->s, &c);
    assert_int_equal(c.paid, paid);
    assert_int_equal(c.reserved, 0);
    /* The released stock is sold again exactly once, to fresh buyers (the released
     * uids got their allowance back as well). */
    int resold = 0;
    for (int i = 0; i < RACE_ORDERS; i++) {
        char uid[16];
        snprintf(uid, sizeof(uid), "u%d", i);
        struct sale_result r;
        if (place(rc->s, uid, "again", 1, T0 + 1, true, &r) == SALE_PLACE_RESERVED) {
            sale_order_commit(r.order);
            resold++;
            assert_int_not_equal(sale_order_state(rc->o[i]), SALE_ORDER_PAID);
        } else {
            assert_true(r.code == SALE_LIMIT_EXCEEDED || r.code == SALE_SOLD_OUT);
        }
    }
    assert_int_equal(resold, released);
    assert_int_equal(sale_left(rc->s), 0);
    printf("race: %d orders: %d paid, %d cancelled, %d expired\n", RACE_ORDERS, paid,
           atomic_load(&rc->cancelled), atomic_load(&rc->expired));
    sale_book_destroy(b);
    free(rc->o);
    free(rc);
}

/* sale_book_memory: the book's footprint, for /metrics; it grows with what it remembers. */
static void test_memory_gauge(void **state)
{
    (void)state;
    struct sale_book *b = sale_book_create("n1", T0, 0);
    size_t empty = sale_book_memory(b);
    assert_true(empty > 0);
    struct sale *s = start(b, "s1", 10, 1, 0);
    size_t started = sale_book_memory(b);
    assert_true(started > empty);
    struct sale_result r;
    char uid[16], req[16];
    for (int i = 0; i < 100000; i++) {
        snprintf(uid, sizeof(uid), "u%d", i % 5000);
        snprintf(req, sizeof(req), "q%d", i);
        place(s, uid, req, 1, T0 + 1, true, &r);
    }
    /* The start prepared memory for its expected audience (4,096 uids, 8 reqs each). */
    assert_true(started >= empty + 2u * 1024 * 1024);
    /* 100,000 req records of more than 48 bytes each: the book grew past what the
     * start prepared. */
    assert_true(sale_book_memory(b) >= empty + 100000u * 48);
    assert_true(sale_book_memory(b) > started);
    sale_book_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),          cmocka_unit_test(test_memory_gauge),
        cmocka_unit_test(test_poll),           cmocka_unit_test(test_restore),
        cmocka_unit_test(test_stress_reserve), cmocka_unit_test(test_stress_transitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
