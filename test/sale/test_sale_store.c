/* test_sale_store.c: the Redis store against a real redis-server this test starts:
 * group commit, completions, paid / cancel / expiry writes, startup load, and Redis
 * going away and coming back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>
#include <hiredis/hiredis.h>

#include "redis_proc.h"
#include "sale_store.h"

#define T0 1700000000000LL

static struct redis_proc g_redis;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
}

/* Runs the loop until pred(arg) or timeout_ms. A 5 ms ticker keeps EVRUN_ONCE short. */
static bool run_until(struct ev_loop *loop, bool (*pred)(void *), void *arg, int timeout_ms)
{
    ev_timer tick;
    ev_timer_init(&tick, on_tick, 0.005, 0.005);
    ev_timer_start(loop, &tick);
    int64_t end = mono_ms() + timeout_ms;
    bool ok;
    while (!(ok = pred(arg)) && mono_ms() < end)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &tick);
    return ok;
}

static bool store_up(void *st)
{
    return sale_store_is_up(st);
}
static bool store_down(void *st)
{
    return !sale_store_is_up(st);
}

static redisContext *rc_open(void)
{
    redisContext *c = redisConnect("127.0.0.1", g_redis.port);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    return c;
}

static long long rint_cmd(const char *fmt, const char *a)
{
    redisContext *c = rc_open();
    redisReply *r = redisCommand(c, fmt, a);
    assert_non_null(r);
    long long v = r->type == REDIS_REPLY_INTEGER  ? r->integer
                  : r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10)
                                                  : -1;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

static void rstr_cmd(const char *fmt, const char *a, char *out, size_t n)
{
    redisContext *c = rc_open();
    redisReply *r = redisCommand(c, fmt, a);
    assert_non_null(r);
    snprintf(out, n, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    redisFree(c);
}

static void flushall(void)
{
    redisContext *c = rc_open();
    freeReplyObject(redisCommand(c, "FLUSHALL"));
    redisFree(c);
}

/* ---- waiters and callbacks ----------------------------------------------------------- */

struct answer {
    struct sale_waiter w;
    bool done;
    struct sale_result r;
};

static void on_answer(struct sale_waiter *w, const struct sale_result *r)
{
    struct answer *a = (struct answer *)w;
    assert_false(a->done);
    a->done = true;
    a->r = *r;
}

struct answers {
    struct answer *a;
    int n;
};

static bool all_answered(void *p)
{
    struct answers *as = p;
    for (int i = 0; i < as->n; i++)
        if (!as->a[i].done)
            return false;
    return true;
}

static int g_sale_ok, g_sale_cb;
static void on_sale(void *arg, struct sale *s, bool ok)
{
    g_sale_cb++;
    g_sale_ok += ok;
}
static bool sale_cb_seen(void *p)
{
    return g_sale_cb >= *(int *)p;
}

static int g_tr_ok, g_tr_cb;
static void on_tr(void *arg, struct sale_order *o, bool ok)
{
    g_tr_cb++;
    g_tr_ok += ok;
}
static bool tr_cb_seen(void *p)
{
    return g_tr_cb >= *(int *)p;
}

struct fixture {
    struct ev_loop *loop;
    struct sale_book *book;
    struct sale_store *st;
    struct sale *s;
};

static void fx_open(struct fixture *f, const char *node, int64_t stock, int32_t limit)
{
    f->loop = ev_loop_new(EVFLAG_AUTO);
    f->book = sale_book_create(node, T0, 0);
    struct sale_store_cfg cfg = {
        .host = "127.0.0.1", .port = g_redis.port, .backoff_min_ms = 20, .backoff_max_ms = 200};
    f->st = sale_store_create(f->loop, f->book, &cfg);
    assert_true(run_until(f->loop, store_up, f->st, 5000));
    struct sale_params p = {.room = "room1",
                            .sale = "s1",
                            .sku = "sku9",
                            .price = 1990,
                            .stock = stock,
                            .limit = limit,
                            .ends_at_ms = T0 + 3600000,
                            .pay_window_ms = 60000};
    assert_int_equal(sale_book_start(f->book, &p, &f->s), 0);
    g_sale_cb = g_sale_ok = 0;
    assert_int_equal(sale_store_sale_save(f->st, f->s, T0, on_sale, NULL), 0);
    int one = 1;
    assert_true(run_until(f->loop, sale_cb_seen, &one, 5000));
    assert_int_equal(g_sale_ok, 1);
}

static void fx_close(struct fixture *f)
{
    sale_store_destroy(f->st);
    sale_book_destroy(f->book);
    ev_loop_destroy(f->loop);
}

static enum sale_place order(struct fixture *f, const char *uid, const char *req, int64_t now,
                             struct answer *a)
{
    struct sale_ask ask = {.uid = uid, .req = req, .qty = 1, .from = "inv7"};
    memset(a, 0, sizeof(*a));
    a->w.on_result = on_answer;
    enum sale_place p = sale_store_order(f->st, f->s, &ask, now, &a->w, &a->r);
    if (p == SALE_PLACE_DONE)
        a->done = true;
    return p;
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_group_commit(void **state)
{
    flushall();
    struct fixture f;
    fx_open(&f, "gc", 50, 2);
    struct sale_store_stats s0;
    sale_store_stats_get(f.st, &s0);

    /* 40 uids x 2 orders in one loop iteration: 50 reserved, 30 sold out at once. */
    struct answer a[80];
    int waits = 0, sold_out = 0;
    for (int i = 0; i < 80; i++) {
        char uid[16], req[16];
        snprintf(uid, sizeof(uid), "u%d", i / 2);
        snprintf(req, sizeof(req), "r%d", i % 2);
        enum sale_place p = order(&f, uid, req, T0 + 10, &a[i]);
        if (p == SALE_PLACE_WAIT)
            waits++;
        else if (a[i].r.code == SALE_SOLD_OUT)
            sold_out++;
    }
    assert_int_equal(waits, 50);
    assert_int_equal(sold_out, 30);
    /* nothing acknowledged before the batch is answered */
    for (int i = 0; i < 50; i++)
        assert_false(a[i].done);
    /* a repeat of an in-flight req waits for the same answer */
    struct answer rep;
    assert_int_equal(order(&f, "u0", "r0", T0 + 11, &rep), SALE_PLACE_WAIT);
    struct answers as = {a, 80};
    assert_true(run_until(f.loop, all_answered, &as, 5000));
    struct answers as2 = {&rep, 1};
    assert_true(run_until(f.loop, all_answered, &as2, 5000));
    assert_int_equal(rep.r.code, SALE_OK);
    assert_ptr_equal(rep.r.order, a[0].r.order);

    struct sale_store_stats s1;
    sale_store_stats_get(f.st, &s1);
    assert_int_equal(s1.batches - s0.batches, 1); /* ONE batch for the 50 reservations */
    assert_int_equal(s1.orders_written, 50);
    assert_int_equal(s1.writes - s0.writes, 50);
    assert_true(s1.up);

    for (int i = 0; i < 50; i++)
        assert_int_equal(a[i].r.code, SALE_OK);
    assert_int_equal(rint_cmd("HGET lg:sale:room1:%s reserved", "s1"), 50);
    assert_int_equal(rint_cmd("HGET lg:sale:room1:%s stock", "s1"), 50);
    assert_int_equal(rint_cmd("ZCARD lg:sale:room1:%s:open", "s1"), 50);
    assert_int_equal(rint_cmd("LLEN lg:sale:room1:%s:orders", "s1"), 50);
    assert_int_equal(rint_cmd("XLEN %s", "lg:orders"), 50);
    char key[128], v[128];
    snprintf(key, sizeof(key), "lg:order:%s", sale_order_id(a[7].r.order));
    rstr_cmd("HGET %s uid", key, v, sizeof(v));
    assert_string_equal(v, "u3");
    rstr_cmd("HGET %s from", key, v, sizeof(v));
    assert_string_equal(v, "inv7");
    rstr_cmd("HGET %s state", key, v, sizeof(v));
    assert_string_equal(v, "reserved");
    assert_int_equal(rint_cmd("HGET %s price", key), 1990);

    /* repeat after commit: same order, synchronously */
    assert_int_equal(order(&f, "u3", "r1", T0 + 20, &rep), SALE_PLACE_DONE);
    assert_ptr_equal(rep.r.order, a[7].r.order);

    /* paid, cancel, repeats and conflicts */
    struct sale_order *o0 = a[0].r.order, *o1 = a[1].r.order;
    g_tr_cb = g_tr_ok = 0;
    assert_int_equal(sale_store_pay(f.st, o0, T0 + 30, on_tr, NULL), SALE_TR_STARTED);
    assert_int_equal(sale_store_cancel(f.st, o1, T0 + 30, on_tr, NULL), SALE_TR_STARTED);
    assert_int_equal(sale_store_pay(f.st, o0, T0 + 30, on_tr, NULL), SALE_TR_BUSY);
    int two = 2;
    assert_true(run_until(f.loop, tr_cb_seen, &two, 5000));
    assert_int_equal(g_tr_ok, 2);
    assert_int_equal(sale_order_state(o0), SALE_ORDER_PAID);
    assert_int_equal(sale_order_state(o1), SALE_ORDER_CANCELLED);
    assert_int_equal(sale_store_pay(f.st, o0, T0 + 31, on_tr, NULL), SALE_TR_ALREADY);
    assert_int_equal(sale_store_cancel(f.st, o0, T0 + 31, on_tr, NULL), SALE_TR_CONFLICT);
    assert_int_equal(sale_store_pay(f.st, o1, T0 + 31, on_tr, NULL), SALE_TR_CONFLICT);
    assert_int_equal(sale_store_cancel(f.st, o1, T0 + 31, on_tr, NULL), SALE_TR_ALREADY);
    assert_int_equal(sale_left(f.s), 1);
    assert_int_equal(rint_cmd("HGET lg:sale:room1:%s reserved", "s1"), 48);
    assert_int_equal(rint_cmd("HGET lg:sale:room1:%s paid", "s1"), 1);
    assert_int_equal(rint_cmd("XLEN %s", "lg:orders"), 52);

    /* expiry: nothing before pay_by, the other 48 at pay_by, exactly once */
    assert_int_equal(sale_store_expire(f.st, T0 + 10 + 59999), 0);
    assert_int_equal(sale_store_expire(f.st, T0 + 10 + 60000), 48);
    assert_int_equal(sale_store_expire(f.st, T0 + 10 + 60000), 0);
    struct sale_store_stats s2;
    sale_store_stats_get(f.st, &s2);
    uint64_t target = s2.writes + 48;
    while (s2.writes < target) {
        ev_run(f.loop, EVRUN_ONCE);
        sale_store_stats_get(f.st, &s2);
    }
    assert_int_equal(sale_left(f.s), 49);
    assert_int_equal(rint_cmd("HGET lg:sale:room1:%s reserved", "s1"), 0);
    assert_int_equal(rint_cmd("ZCARD lg:sale:room1:%s:open", "s1"), 0);
    assert_int_equal(rint_cmd("XLEN %s", "lg:orders"), 100);
    assert_int_equal(sale_store_pay(f.st, a[2].r.order, T0 + 70000, on_tr, NULL), SALE_TR_CONFLICT);
    fx_close(&f);
}

static void test_load(void **state)
{
    flushall();
    struct fixture f;
    fx_open(&f, "ld", 20, 1);
    /* 5 orders at T0 (overdue at load time), 5 at T0 + 100 s; one early one paid */
    struct answer a[10];
    for (int i = 0; i < 10; i++) {
        char uid[16];
        snprintf(uid, sizeof(uid), "v%d", i);
        assert_int_equal(order(&f, uid, "k", i < 5 ? T0 : T0 + 100000, &a[i]), SALE_PLACE_WAIT);
    }
    struct answers as = {a, 10};
    assert_true(run_until(f.loop, all_answered, &as, 5000));
    g_tr_cb = g_tr_ok = 0;
    assert_int_equal(sale_store_pay(f.st, a[0].r.order, T0 + 1000, on_tr, NULL), SALE_TR_STARTED);
    int one = 1;
    assert_true(run_until(f.loop, tr_cb_seen, &one, 5000));
    char ids[10][64];
    for (int i = 0; i < 10; i++)
        snprintf(ids[i], sizeof(ids[i]), "%s", sale_order_id(a[i].r.order));
    fx_close(&f); /* the "crash": memory gone, Redis stays */

    struct sale_book *b = sale_book_create("ld2", T0 + 61000, 0);
    struct sale_load_stats ls;
    assert_int_equal(sale_store_load("127.0.0.1", g_redis.port, b, T0 + 61000, &ls), 0);
    assert_int_equal(ls.sales, 1);
    assert_int_equal(ls.expired, 4);
    assert_int_equal(ls.orders, 10);
    struct sale *s = sale_book_find(b, "room1", "s1");
    assert_non_null(s);
    assert_int_equal(sale_left(s), 20 - 5 - 1);
    assert_int_equal(rint_cmd("HGET lg:sale:room1:%s reserved", "s1"), 5);
    assert_int_equal(rint_cmd("XLEN %s", "lg:orders"), 10 + 1 + 4);
    /* req memory: the same req answers the same order, even with the store down */
    struct sale_ask ask = {.uid = "v7", .req = "k", .qty = 1};
    struct sale_result r;
    assert_int_equal(sale_order_place(s, &ask, T0 + 62000, false, NULL, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_OK);
    assert_string_equal(sale_order_id(r.order), ids[7]);
    assert_int_equal(sale_order_state(r.order), SALE_ORDER_RESERVED);
    struct sale_order *o0 = sale_book_order_find(b, ids[0]);
    assert_non_null(o0);
    assert_int_equal(sale_order_state(o0), SALE_ORDER_PAID);
    assert_int_equal(sale_order_state(sale_book_order_find(b, ids[1])), SALE_ORDER_EXPIRED);
    /* v7 is at its limit (1), v1 got its allowance back with the expiry */
    ask.req = "k2";
    assert_int_equal(sale_order_place(s, &ask, T0 + 62000, true, NULL, &r), SALE_PLACE_DONE);
    assert_int_equal(r.code, SALE_LIMIT_EXCEEDED);
    ask.uid = "v1";
    assert_int_equal(sale_order_place(s, &ask, T0 + 62000, true, NULL, &r), SALE_PLACE_RESERVED);
    sale_order_commit(r.order);
    sale_book_destroy(b);

    /* loading twice is stable: nothing more expires */
    b = sale_book_create("ld3", T0 + 61000, 0);
    assert_int_equal(sale_store_load("127.0.0.1", g_redis.port, b, T0 + 61000, &ls), 0);
    assert_int_equal(ls.expired, 0);
    assert_int_equal(sale_left(sale_book_find(b, "room1", "s1")), 14);
    sale_book_destroy(b);
}

static void test_redis_down(void **state)
{
    flushall();
    struct fixture f;
    fx_open(&f, "dn", 10, 5);
    struct answer a[3];
    assert_int_equal(order(&f, "w1", "a", T0, &a[0]), SALE_PLACE_WAIT);
    struct answers as = {a, 1};
    assert_true(run_until(f.loop, all_answered, &as, 5000));
    assert_int_equal(a[0].r.code, SALE_OK);

    /* reservations queued, then Redis dies before the batch is answered */
    assert_int_equal(order(&f, "w2", "a", T0, &a[1]), SALE_PLACE_WAIT);
    assert_int_equal(order(&f, "w3", "a", T0, &a[2]), SALE_PLACE_WAIT);
    assert_int_equal(sale_left(f.s), 7);
    redis_proc_stop(&g_redis);
    struct answers as3 = {a + 1, 2};
    assert_true(run_until(f.loop, all_answered, &as3, 5000));
    assert_int_equal(a[1].r.code, SALE_UNAVAILABLE);
    assert_int_equal(a[2].r.code, SALE_UNAVAILABLE);
    assert_true(run_until(f.loop, store_down, f.st, 5000));
    assert_int_equal(sale_left(f.s), 7); /* held until the void is written */

    /* while down: refused at once, nothing taken, not remembered */
    struct answer d;
    assert_int_equal(order(&f, "w4", "a", T0, &d), SALE_PLACE_DONE);
    assert_int_equal(d.r.code, SALE_UNAVAILABLE);
    assert_int_equal(sale_left(f.s), 7);
    g_tr_cb = 0;
    assert_int_equal(sale_store_pay(f.st, a[0].r.order, T0, on_tr, NULL), SALE_TR_UNAVAILABLE);
    assert_int_equal(sale_store_expire(f.st, T0 + 1000000), 0);
    struct sale_store_stats s;
    sale_store_stats_get(f.st, &s);
    assert_false(s.up);
    assert_int_equal(s.refused_down, 1);
    assert_int_equal(s.orders_failed, 2);
    assert_int_equal(s.voids_pending, 2);

    /* Redis back (empty: no persistence): reconnect, voids written, stock back */
    assert_int_equal(redis_proc_restart(&g_redis), 0);
    assert_true(run_until(f.loop, store_up, f.st, 5000));
    sale_store_stats_get(f.st, &s);
    while (s.voids_pending > 0) {
        ev_run(f.loop, EVRUN_ONCE);
        sale_store_stats_get(f.st, &s);
    }
    assert_int_equal(sale_left(f.s), 9);
    assert_true(s.connects >= 2);
    /* the failed req keeps its first result; the refused-while-down one is new */
    assert_int_equal(order(&f, "w2", "a", T0, &a[1]), SALE_PLACE_DONE);
    assert_int_equal(a[1].r.code, SALE_UNAVAILABLE);
    assert_int_equal(order(&f, "w4", "a", T0, &d), SALE_PLACE_WAIT);
    struct answers asd = {&d, 1};
    assert_true(run_until(f.loop, all_answered, &asd, 5000));
    assert_int_equal(d.r.code, SALE_OK);
    assert_int_equal(sale_left(f.s), 8);
    assert_int_equal(rint_cmd("HGET lg:sale:room1:%s reserved", "s1"), 1);
    fx_close(&f);
}

static int setup(void **state)
{
    return redis_proc_start(&g_redis);
}

static int teardown(void **state)
{
    redis_proc_stop(&g_redis);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_commit),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_redis_down),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
