/* bench_sale_reserve.c: reservation attempts per second, sale core vs a Redis Lua script.
 *
 * Measures, in one run and on the same machine, interleaved run by run so that the load
 * of other work on a shared machine hits both sides alike:
 *  - the lock-free core (sale_order_place from THREADS threads, per-viewer limit LIMIT,
 *    UIDS viewers, a fresh req per attempt so every attempt claims a req record and runs
 *    the limit and stock checks; then repeats of the same reqs), on a sale of 1,000 items
 *    (a rush: almost every attempt comes after the sale sold out) and of 1,000,000 (every
 *    viewer gets its LIMIT items); and
 *  - "the usual approach": one EVALSHA per order of a script that checks the uid's limit
 *    and decrements the stock, against a private redis-server (no persistence) that this
 *    bench starts, from THREADS client threads with one connection each, one call at a
 *    time and pipelined at several depths (hiredis: append DEPTH calls, then read DEPTH
 *    replies, as a client that batches what is queued does).
 * Each figure is the median of RUNS runs, and each side is measured after an untimed
 * warm-up run of its own kind: on the 2-core VM the first core run after the Lua runs
 * (network-bound, the vCPUs mostly waiting) went at about half the speed of the next
 * one, whatever the pause between them (2026-12-04). Besides wall-clock attempts/s the core rows
 * show attempts per CPU-second of the measuring threads (summed over threads): the rate
 * two cores of their own would give, less sensitive to other work on a shared machine.
 *
 * Usage: bench_sale_reserve [runs]. Prints a table, then one JSON line (starts with '{')
 * for bench/run.sh. Exit status 1 when a check fails (oversell, lost stock). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "redis_proc.h"
#include "sale.h"

#define THREADS  2
#define UIDS     20000 /* viewers: what one gateway process holds (open-file limit) */
#define LIMIT    2
#define T0       1700000000000LL
#define RUNS_MAX 50

static double now_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
    double s[RUNS_MAX];
    memcpy(s, v, (size_t)n * sizeof(*v));
    qsort(s, (size_t)n, sizeof(*s), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* ---- core ---------------------------------------------------------------------------- */

static char g_uids[UIDS][12];

struct core_arg {
    struct sale *s;
    int tid;
    long n;
    int passes; /* over the same n reqs */
    pthread_barrier_t *go;
    long ok;
    double cpu_s;          /* this thread's CPU time over its attempts */
    double t_start, t_end; /* monotonic clock around its attempts */
};

static void *core_thread(void *p)
{
    struct core_arg *a = p;
    char req[24];
    pthread_barrier_wait(a->go);
    a->t_start = now_s(CLOCK_MONOTONIC);
    double c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    for (long k = 0; k < a->n * a->passes; k++) {
        long i = k % a->n;
        /* Req "<thread><i base 64>": fresh in the first pass, the same sequence again in
         * the repeat passes. Thread t orders for the uids t, t + 2, ...: a uid lives on
         * one connection, hence on one worker thread, as in the gateway. */
        int len = 0;
        req[len++] = (char)('a' + a->tid);
        for (long v = i; v; v /= 64)
            req[len++] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"[v % 64];
        req[len] = 0;
        struct sale_ask ask = {.uid = g_uids[(i * THREADS + a->tid) % UIDS], .req = req, .qty = 1};
        struct sale_result r;
        if (sale_order_place(a->s, &ask, T0, true, NULL, &r) == SALE_PLACE_RESERVED) {
            sale_order_commit(r.order);
            a->ok++;
        }
    }
    a->cpu_s = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    a->t_end = now_s(CLOCK_MONOTONIC);
    return NULL;
}

struct rate {
    double wall; /* attempts per second of wall-clock time, all threads together */
    double cpu;  /* attempts per CPU-second, summed over threads */
};

/* `passes` passes of THREADS threads x n attempts (the same reqs each pass) on sale s,
 * timed as one; returns the successes. */
static long core_pass(struct sale *s, long n, int passes, struct rate *out)
{
    pthread_t th[THREADS];
    struct core_arg args[THREADS];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS + 1);
    for (int t = 0; t < THREADS; t++) {
        args[t] = (struct core_arg){.s = s, .tid = t, .n = n, .passes = passes, .go = &go};
        pthread_create(&th[t], NULL, core_thread, &args[t]);
    }
    pthread_barrier_wait(&go);
    long ok = 0;
    double t0 = 0, t1 = 0;
    out->cpu = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        ok += args[t].ok;
        out->cpu += args[t].cpu_s > 0 ? (double)(n * passes) / args[t].cpu_s : 0;
        /* From the first thread's start to the last one's end, as the threads saw them. */
        if (t == 0 || args[t].t_start < t0)
            t0 = args[t].t_start;
        if (t == 0 || args[t].t_end > t1)
            t1 = args[t].t_end;
    }
    out->wall = (double)(n * passes * THREADS) / (t1 - t0);
    pthread_barrier_destroy(&go);
    return ok;
}

/* A new book with one sale of `stock`: one pass of fresh reqs, then REPEATS passes of the
 * same reqs, timed as one (a single pass of repeats lasts under 2 ms, too short for the
 * thread start-up skew not to inflate its wall-clock rate). The book has the gateway's default
 * order table; the sale's tables are sized for what the pass brings, as the gateway would size them
 * for its room (buyers_hint, reqs_hint). Each run gets a new book and frees it: a book kept for the
 * whole benchmark grows into memory this process never touched, and on a virtual machine the first
 * touch of such memory costs more than the reservations themselves; a gateway's arena grows into
 * memory the kernel recycles. Exits on oversell or lost stock. */
static void core_run(int64_t stock, long n, struct rate *fresh, struct rate *rep, long *oks)
{
    enum { REPEATS = 10 };
    struct sale_book *b = sale_book_create("bench", T0, 0);
    struct sale_params p = {.room = "r",
                            .sale = "s",
                            .sku = "k",
                            .price = 100,
                            .stock = stock,
                            .limit = LIMIT,
                            .ends_at_ms = T0 + 3600000,
                            .pay_window_ms = 60000,
                            .buyers_hint = UIDS,
                            .reqs_hint = (size_t)(n * THREADS)};
    struct sale *s;
    if (!b || sale_book_start(b, &p, &s) != 0) {
        fprintf(stderr, "bench_sale_reserve: cannot start the sale\n");
        exit(2);
    }
    *oks = core_pass(s, n, 1, fresh);
    if (core_pass(s, n, REPEATS, rep) != 0) {
        fprintf(stderr, "bench_sale_reserve: a repeated req reserved again!\n");
        exit(1);
    }
    int64_t want = stock < (int64_t)UIDS * LIMIT ? stock : (int64_t)UIDS * LIMIT;
    if (sale_left(s) < 0 || stock - sale_left(s) != *oks || *oks != want) {
        fprintf(stderr, "bench_sale_reserve: %ld reserved, %lld left of %lld (want %lld)\n", *oks,
                (long long)sale_left(s), (long long)stock, (long long)want);
        exit(1);
    }
    sale_book_destroy(b);
}

/* ---- Redis Lua ------------------------------------------------------------------------ */

/* The usual script: the uid's items so far against the limit, then the stock. */
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
    int depth; /* calls in flight per connection; 1: one call at a time */
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
    for (long i = 0; i < a->n; i += a->depth) {
        long k = a->n - i < a->depth ? a->n - i : a->depth;
        for (long j = 0; j < k; j++)
            redisAppendCommand(c, "EVALSHA %s 2 bench:left bench:used %s 1 %d", g_sha,
                               g_uids[((i + j) * THREADS + a->tid) % UIDS], LIMIT);
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

/* THREADS connections x n calls at `depth` on a fresh stock; returns calls/s. */
static double lua_run(int64_t stock, long n, int depth, long *oks)
{
    redisContext *c = redisConnect("127.0.0.1", g_port);
    if (!c || c->err)
        abort();
    freeReplyObject(redisCommand(c, "DEL bench:used"));
    freeReplyObject(redisCommand(c, "SET bench:left %lld", (long long)stock));
    pthread_t th[THREADS];
    struct lua_arg args[THREADS];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS + 1);
    for (int t = 0; t < THREADS; t++) {
        args[t] = (struct lua_arg){t, n, depth, &go, 0};
        pthread_create(&th[t], NULL, lua_thread, &args[t]);
    }
    pthread_barrier_wait(&go);
    double t0 = now_s(CLOCK_MONOTONIC);
    *oks = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        *oks += args[t].ok;
    }
    double rate = (double)(n * THREADS) / (now_s(CLOCK_MONOTONIC) - t0);
    pthread_barrier_destroy(&go);
    redisReply *r = redisCommand(c, "GET bench:left");
    long long left = r && r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
    freeReplyObject(r);
    redisFree(c);
    if (left < 0 || stock - left != *oks) {
        fprintf(stderr, "bench_sale_reserve: Lua: %ld accepted, %lld left of %lld\n", *oks, left,
                (long long)stock);
        exit(1);
    }
    return rate;
}

static void loadavg(char *out, size_t cap)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double a = 0, b = 0, c = 0;
    if (!f || fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3)
        a = b = c = -1;
    if (f)
        fclose(f);
    snprintf(out, cap, "%.2f %.2f %.2f", a, b, c);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > RUNS_MAX)
        runs = 5;
    for (int u = 0; u < UIDS; u++)
        snprintf(g_uids[u], sizeof(g_uids[u]), "u%d", u);
    char load_before[64], load_after[64];
    loadavg(load_before, sizeof(load_before));

    struct redis_proc rp;
    if (redis_proc_start(&rp) != 0) {
        fprintf(stderr, "cannot start redis-server (is it on PATH?)\n");
        return 2;
    }
    g_port = rp.port;
    redisContext *c = redisConnect("127.0.0.1", g_port);
    redisReply *r = c && !c->err ? redisCommand(c, "SCRIPT LOAD %s", lua_order) : NULL;
    if (!r || r->type != REDIS_REPLY_STRING) {
        fprintf(stderr, "cannot load the script into redis-server\n");
        redis_proc_stop(&rp);
        return 2;
    }
    snprintf(g_sha, sizeof(g_sha), "%s", r->str);
    freeReplyObject(r);
    redisFree(c);

    enum { RUSH, RUSH_REP, DEEP, DEEP_REP, NCORE };
    static const char *core_names[NCORE] = {
        "core, stock 1000, fresh req per attempt",
        "core, stock 1000, repeated reqs",
        "core, stock 1M, fresh req per attempt",
        "core, stock 1M, repeated reqs",
    };
    static const char *core_keys[NCORE] = {"rush_fresh", "rush_repeat", "deep_fresh",
                                           "deep_repeat"};
    static const int depths[] = {1, 16, 256};
    enum { NLUA = sizeof(depths) / sizeof(depths[0]) };
    static double wall[NCORE][RUNS_MAX], cpu[NCORE][RUNS_MAX], lua[NLUA][RUNS_MAX];
    long oks_rush = 0, oks_deep = 0, oks_lua[NLUA] = {0};
    /* Per thread and pass: 10 fresh reqs per viewer, a generous rush (a viewer taps "buy"
     * a few times), and a working set (req records, tables) of a real one. */
    const long core_n = 100000;
    const long lua_n[NLUA] = {10000, 50000, 100000};
    for (int i = 0; i < runs; i++) {
        struct rate f, rep;
        long warm;
        core_run(1000, core_n, &f, &rep, &warm); /* warm-up, not counted */
        core_run(1000, core_n, &f, &rep, &oks_rush);
        wall[RUSH][i] = f.wall, cpu[RUSH][i] = f.cpu;
        wall[RUSH_REP][i] = rep.wall, cpu[RUSH_REP][i] = rep.cpu;
        core_run(1000000, core_n, &f, &rep, &oks_deep);
        wall[DEEP][i] = f.wall, cpu[DEEP][i] = f.cpu;
        wall[DEEP_REP][i] = rep.wall, cpu[DEEP_REP][i] = rep.cpu;
        lua_run(1000, lua_n[0], 1, &warm); /* warm-up, not counted */
        for (int d = 0; d < NLUA; d++)
            lua[d][i] = lua_run(1000, lua_n[d], depths[d], &oks_lua[d]);
    }
    redis_proc_stop(&rp);
    loadavg(load_after, sizeof(load_after));

    double lm[NLUA], best = 0;
    int best_d = 0;
    for (int d = 0; d < NLUA; d++) {
        lm[d] = median(lua[d], runs);
        if (lm[d] > best)
            best = lm[d], best_d = d;
    }
    printf("reservation attempts/s, %d threads, limit %d per uid, %d uids, median of %d runs\n"
           "load average before %s, after %s\n",
           THREADS, LIMIT, UIDS, runs, load_before, load_after);
    printf("%-44s %14s %14s %10s %12s\n", "", "attempts/s", "per CPU-s", "vs Lua 1", "vs Lua best");
    double cm[NCORE];
    for (int k = 0; k < NCORE; k++) {
        cm[k] = median(wall[k], runs);
        printf("%-44s %14.0f %14.0f %9.0fx %11.1fx\n", core_names[k], cm[k], median(cpu[k], runs),
               cm[k] / lm[0], cm[k] / best);
    }
    for (int d = 0; d < NLUA; d++) {
        char name[64];
        snprintf(name, sizeof(name), "Redis EVALSHA per order, depth %d", depths[d]);
        printf("%-44s %14.0f %14s %9.1fx %11.2fx\n", name, lm[d], "", lm[d] / lm[0], lm[d] / best);
    }
    printf("(per run: core stock 1000 -> %ld reserved, stock 1M -> %ld; Lua depth 1/16/256 -> "
           "%ld/%ld/%ld accepted of 1000)\n",
           oks_rush, oks_deep, oks_lua[0], oks_lua[1], oks_lua[2]);

    /* One JSON line for bench/run.sh. */
    printf("{\"bench\":\"sale_reserve\",\"threads\":%d,\"limit\":%d,\"uids\":%d,\"runs\":%d,"
           "\"load_before\":\"%s\",\"load_after\":\"%s\"",
           THREADS, LIMIT, UIDS, runs, load_before, load_after);
    for (int k = 0; k < NCORE; k++)
        printf(",\"core_%s_per_s\":%.0f,\"core_%s_per_cpu_s\":%.0f", core_keys[k], cm[k],
               core_keys[k], median(cpu[k], runs));
    for (int d = 0; d < NLUA; d++)
        printf(",\"lua_depth%d_per_s\":%.0f", depths[d], lm[d]);
    printf(",\"lua_best_depth\":%d,\"ratio_rush_fresh_vs_lua1\":%.1f,"
           "\"ratio_rush_fresh_vs_lua_best\":%.1f,\"ratio_rush_fresh_cpu_vs_lua_best\":%.1f}\n",
           depths[best_d], cm[RUSH] / lm[0], cm[RUSH] / best, median(cpu[RUSH], runs) / best);
    return 0;
}
