/* bench_sale_reserve.c: reservation attempts per second, sale core vs a Redis Lua script.
 *
 * Measures, in one run and on the same machine:
 *  - the lock-free core (sale_order_place, 2 threads, per-viewer limit 2, a fresh req
 *    per attempt so every attempt claims a req record and runs the limit and stock
 *    checks; plus repeats of known reqs), and
 *  - "the usual approach": one EVALSHA per order of a script that checks the uid's
 *    limit and decrements the stock, against a redis-server this bench starts, from 2
 *    client threads with one connection each, one call at a time and pipelined.
 * Each figure is the median of RUNS runs. Usage: bench_sale_reserve [runs] */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "redis_proc.h"
#include "sale.h"

#define THREADS 2
#define UIDS    20000 /* viewers: what one gateway process holds (open-file limit) */
#define LIMIT   2
#define T0      1700000000000LL

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- core ---------------------------------------------------------------------------- */

static char g_uids[UIDS][12];

struct core_arg {
    struct sale *s;
    int tid;
    long n;
    bool repeat; /* reuse the reqs of a previous pass */
    pthread_barrier_t *go;
    long ok;
};

static void *core_thread(void *p)
{
    struct core_arg *a = p;
    uint64_t x = (uint64_t)a->tid * 0x9e3779b97f4a7c15ull + 12345;
    char req[24];
    pthread_barrier_wait(a->go);
    for (long i = 0; i < a->n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* A fresh req: "<thread><i>"; in a repeat pass the same sequence again. */
        int len = 0;
        req[len++] = (char)('a' + a->tid);
        for (long v = i; v; v /= 64)
            req[len++] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"[v % 64];
        req[len] = 0;
        struct sale_ask ask = {.uid = g_uids[(i * 2 + a->tid) % UIDS], .req = req, .qty = 1};
        struct sale_result r;
        if (sale_order_place(a->s, &ask, T0, true, NULL, &r) == SALE_PLACE_RESERVED) {
            sale_order_commit(r.order);
            a->ok++;
        }
    }
    return NULL;
}

/* Runs THREADS threads of n attempts each on a new sale of `stock`; returns attempts/s
 * of the fresh pass, and of a repeat pass in *rep_rate. */
static double core_run(int64_t stock, long n, double *rep_rate, long *oks)
{
    struct sale_book *b = sale_book_create("bench", T0, 1 << 20);
    struct sale_params p = {.room = "r",
                            .sale = "s",
                            .sku = "k",
                            .price = 100,
                            .stock = stock,
                            .limit = LIMIT,
                            .ends_at_ms = T0 + 3600000,
                            .pay_window_ms = 60000,
                            .buyers_hint = UIDS};
    struct sale *s;
    sale_book_start(b, &p, &s);
    double rates[2] = {0, 0};
    /* pass 0: n fresh reqs per thread; passes 1..REPEATS: the same reqs again. */
    enum { REPEATS = 10 };
    double rep_time = 0;
    for (int pass = 0; pass <= REPEATS; pass++) {
        pthread_t th[THREADS];
        struct core_arg args[THREADS];
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, THREADS + 1);
        for (int t = 0; t < THREADS; t++) {
            args[t] = (struct core_arg){s, t, n, pass == 1, &go, 0};
            pthread_create(&th[t], NULL, core_thread, &args[t]);
        }
        pthread_barrier_wait(&go);
        double t0 = now_s();
        long ok = 0;
        for (int t = 0; t < THREADS; t++) {
            pthread_join(th[t], NULL);
            ok += args[t].ok;
        }
        double dt = now_s() - t0;
        if (pass == 0) {
            rates[0] = (double)(n * THREADS) / dt;
            *oks = ok;
        } else {
            rep_time += dt;
        }
        pthread_barrier_destroy(&go);
    }
    rates[1] = (double)(n * THREADS) * REPEATS / rep_time;
    *rep_rate = rates[1];
    if (sale_left(s) < 0 || stock - sale_left(s) != *oks) {
        fprintf(stderr, "oversell or lost stock!\n");
        exit(1);
    }
    sale_book_destroy(b);
    return rates[0];
}

/* ---- Redis Lua ------------------------------------------------------------------------ */

static const char lua_order[] =
    "local left = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "local q = tonumber(ARGV[2])\n"
    "local used = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')\n"
    "if used + q > tonumber(ARGV[3]) then return -2 end\n"
    "if left < q then return -1 end\n"
    "redis.call('DECRBY', KEYS[1], q)\n"
    "redis.call('HINCRBY', KEYS[2], ARGV[1], q)\n"
    "return left - q\n";

static int g_port;
static char g_sha[41];

struct lua_arg {
    int tid;
    long n;
    int pipeline; /* 1: one call at a time */
    pthread_barrier_t *go;
    long ok;
};

static void *lua_thread(void *p)
{
    struct lua_arg *a = p;
    redisContext *c = redisConnect("127.0.0.1", g_port);
    if (!c || c->err)
        abort();
    pthread_barrier_wait(a->go);
    for (long i = 0; i < a->n; i += a->pipeline) {
        long k = a->n - i < a->pipeline ? a->n - i : a->pipeline;
        for (long j = 0; j < k; j++)
            redisAppendCommand(c, "EVALSHA %s 2 bench:left bench:used %s 1 %d", g_sha,
                               g_uids[((i + j) * 2 + a->tid) % UIDS], LIMIT);
        for (long j = 0; j < k; j++) {
            void *r;
            if (redisGetReply(c, &r) != REDIS_OK)
                abort();
            redisReply *rr = r;
            if (rr->type == REDIS_REPLY_INTEGER && rr->integer >= 0)
                a->ok++;
            freeReplyObject(rr);
        }
    }
    redisFree(c);
    return NULL;
}

static double lua_run(int64_t stock, long n, int pipeline, long *oks)
{
    redisContext *c = redisConnect("127.0.0.1", g_port);
    freeReplyObject(redisCommand(c, "DEL bench:used"));
    freeReplyObject(redisCommand(c, "SET bench:left %lld", (long long)stock));
    redisFree(c);
    pthread_t th[THREADS];
    struct lua_arg args[THREADS];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS + 1);
    for (int t = 0; t < THREADS; t++) {
        args[t] = (struct lua_arg){t, n, pipeline, &go, 0};
        pthread_create(&th[t], NULL, lua_thread, &args[t]);
    }
    pthread_barrier_wait(&go);
    double t0 = now_s();
    *oks = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        *oks += args[t].ok;
    }
    double rate = (double)(n * THREADS) / (now_s() - t0);
    pthread_barrier_destroy(&go);
    return rate;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 50)
        runs = 5;
    for (int u = 0; u < UIDS; u++)
        snprintf(g_uids[u], sizeof(g_uids[u]), "u%d", u);

    struct redis_proc rp;
    if (redis_proc_start(&rp) != 0) {
        fprintf(stderr, "cannot start redis-server (is it on PATH?)\n");
        return 1;
    }
    g_port = rp.port;
    redisContext *c = redisConnect("127.0.0.1", g_port);
    redisReply *r = redisCommand(c, "SCRIPT LOAD %s", lua_order);
    snprintf(g_sha, sizeof(g_sha), "%s", r->str);
    freeReplyObject(r);
    redisFree(c);

    enum { CORE_RUSH, CORE_RUSH_REP, CORE_DEEP, CORE_DEEP_REP, LUA_ONE, LUA_PIPE, NROWS };
    static const char *names[NROWS] = {
        "core, stock 1000, fresh reqs (10/viewer)", "core, stock 1000, repeated reqs",
        "core, stock 1M, fresh reqs (10/viewer)",   "core, stock 1M, repeated reqs",
        "Redis EVALSHA per order, one at a time",   "Redis EVALSHA per order, pipelined x256",
    };
    double v[NROWS][50];
    long oks[NROWS] = {0};
    const long core_n = 100000, lua_one_n = 10000, lua_pipe_n = 100000;
    for (int i = 0; i < runs; i++) {
        v[CORE_RUSH][i] = core_run(1000, core_n, &v[CORE_RUSH_REP][i], &oks[CORE_RUSH]);
        v[CORE_DEEP][i] = core_run(1000000, core_n, &v[CORE_DEEP_REP][i], &oks[CORE_DEEP]);
        v[LUA_ONE][i] = lua_run(1000, lua_one_n, 1, &oks[LUA_ONE]);
        v[LUA_PIPE][i] = lua_run(1000, lua_pipe_n, 256, &oks[LUA_PIPE]);
    }
    redis_proc_stop(&rp);

    printf("reservation attempts/s, %d threads, limit %d per uid, %d uids, median of %d runs\n",
           THREADS, LIMIT, UIDS, runs);
    printf("%-44s %14s %12s\n", "", "attempts/s", "vs Lua 1x1");
    double base = median(v[LUA_ONE], runs);
    for (int k = 0; k < NROWS; k++) {
        double m = median(v[k], runs);
        printf("%-44s %14.0f %11.0fx\n", names[k], m, m / base);
    }
    printf("(successes per run: core rush %ld, core deep %ld, Lua %ld / %ld)\n", oks[CORE_RUSH],
           oks[CORE_DEEP], oks[LUA_ONE], oks[LUA_PIPE]);
    return 0;
}
