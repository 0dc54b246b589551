/* rush_redis.c: the rush's Redis side: the Lua baseline and the check of the gateway's orders
 * (see rush_redis.h). */
#include "rush_redis.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "bclock.h"

/* One order: refuse a second order of the same uid (limit 1), refuse when the stock is short,
 * else take the stock and record the order. Atomic because Redis runs a script alone. */
static const char script[] =
    "if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return {0, 'limit_exceeded'} end\n"
    "local left = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "local qty = tonumber(ARGV[2])\n"
    "if left < qty then return {0, 'sold_out'} end\n"
    "redis.call('DECRBY', KEYS[1], qty)\n"
    "redis.call('HSET', KEYS[2], ARGV[1], qty)\n"
    "return {1, 'ok'}\n";

static redisContext *connect_redis(const struct bench_cfg *cfg)
{
    char host[64];
    snprintf(host, sizeof(host), "%s", cfg->redis);
    char *colon = strrchr(host, ':');
    int port = 6379;
    if (colon) {
        *colon = '\0';
        port = atoi(colon + 1);
    }
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127) {
        fprintf(stderr, "livegw-bench: --redis must be 127.x.y.z:PORT (loopback only)\n");
        return NULL;
    }
    struct timeval tv = {.tv_sec = 5};
    redisContext *rc = redisConnectWithTimeout(host, port, tv);
    if (!rc || rc->err) {
        fprintf(stderr, "livegw-bench: redis %s: %s\n", cfg->redis, rc ? rc->errstr : "no memory");
        if (rc)
            redisFree(rc);
        return NULL;
    }
    redisSetTimeout(rc, tv);
    return rc;
}

static void keys(const struct bench_cfg *cfg, char *stock, char *orders, size_t cap)
{
    snprintf(stock, cap, "livegw-bench:%s:%s:stock", cfg->room, cfg->sale);
    snprintf(orders, cap, "livegw-bench:%s:%s:orders", cfg->room, cfg->sale);
}

int rush_redis_setup(const struct bench_cfg *cfg, char *sha)
{
    redisContext *rc = connect_redis(cfg);
    if (!rc)
        return -1;
    char ks[160], ko[160];
    keys(cfg, ks, ko, sizeof(ks));
    int ok = 0;
    redisReply *r = redisCommand(rc, "SCRIPT LOAD %s", script);
    if (r && r->type == REDIS_REPLY_STRING && r->len == 40) {
        memcpy(sha, r->str, 40);
        sha[40] = '\0';
        ok = 1;
    }
    freeReplyObject(r);
    r = redisCommand(rc, "SET %s %d", ks, cfg->stock);
    freeReplyObject(r);
    r = redisCommand(rc, "DEL %s", ko);
    freeReplyObject(r);
    if (!ok || rc->err)
        fprintf(stderr, "livegw-bench: redis set-up failed: %s\n", rc->err ? rc->errstr : "");
    int err = rc->err;
    redisFree(rc);
    return ok && !err ? 0 : -1;
}

_Noreturn void rush_redis_viewer_main(const struct bench_cfg *cfg, struct bench_shm *shm, int slot,
                                      int first, int count, const char *sha)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct bench_slot *s = &shm->slot[slot];
    redisContext *rc = connect_redis(cfg);
    if (!rc) {
        atomic_fetch_add_explicit(&s->failed, (uint64_t)count, memory_order_relaxed);
        atomic_store_explicit(&s->done, 1, memory_order_release);
        _exit(0);
    }
    char ks[160], ko[160];
    keys(cfg, ks, ko, sizeof(ks));
    atomic_fetch_add_explicit(&s->started, (uint64_t)count, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->ready, (uint64_t)count, memory_order_relaxed);
    uint64_t go = 0;
    while (atomic_load_explicit(&shm->phase, memory_order_acquire) != PH_EXIT &&
           !(go = atomic_load_explicit(&shm->go_ns, memory_order_acquire)))
        usleep(1000);
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    uint64_t spread = (uint64_t)cfg->spread_ms * 1000000ull;
    for (int i = 0; go && i < count; i++) {
        /* Every order has its own time in the spread, on the same schedule as the gateway's
         * viewers: each process spreads its share over all of it, so the connections work
         * side by side, as an application's connection pool would. Latency runs from that
         * scheduled time, so a backlog on a connection counts (no coordinated omission). */
        int g = first + i;
        uint64_t at = go + spread * (uint64_t)i / (uint64_t)count;
        uint64_t now = bench_now_ns();
        if (at > now)
            usleep((useconds_t)((at - now) / 1000));
        now = bench_now_ns();
        hist_add(&s->send_lag, now > at ? now - at : 0);
        char uid[32];
        snprintf(uid, sizeof(uid), "v%d", g);
        s->orders_sent++;
        redisReply *r = redisCommand(rc, "EVALSHA %s 2 %s %s %s 1", sha, ks, ko, uid);
        uint64_t t = bench_now_ns();
        hist_add(&s->reply, t > at ? t - at : 0);
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
            r->element[0]->type == REDIS_REPLY_INTEGER && r->element[0]->integer == 1) {
            s->orders_ok++;
        } else {
            s->orders_fail++;
            if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                r->element[1]->type == REDIS_REPLY_STRING)
                bench_code_add(s->order_codes, r->element[1]->str, r->element[1]->len, 1);
            else
                bench_code_add(s->order_codes, "redis_error", 11, 1);
        }
        freeReplyObject(r);
        if (rc->err)
            break;
    }
    getrusage(RUSAGE_SELF, &ru1);
    s->cpu_run_s = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                   (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                   (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                   (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    s->maxrss_kb = ru1.ru_maxrss;
    redisFree(rc);
    while (atomic_load_explicit(&shm->phase, memory_order_acquire) != PH_EXIT)
        usleep(2000);
    atomic_store_explicit(&s->done, 1, memory_order_release);
    _exit(0);
}

int rush_redis_check(const struct bench_cfg *cfg, struct rush_redis_check *out)
{
    redisContext *rc = connect_redis(cfg);
    if (!rc)
        return -1;
    char ks[160], ko[160];
    keys(cfg, ks, ko, sizeof(ks));
    int ok = 0;
    redisReply *r = redisCommand(rc, "GET %s", ks);
    if (r && r->type == REDIS_REPLY_STRING) {
        out->stock_left = strtoll(r->str, NULL, 10);
        ok++;
    }
    freeReplyObject(r);
    r = redisCommand(rc, "HLEN %s", ko);
    if (r && r->type == REDIS_REPLY_INTEGER) {
        out->orders_in_db = r->integer;
        ok++;
    }
    freeReplyObject(r);
    redisFree(rc);
    return ok == 2 ? 0 : -1;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads an integer field of a HMGET reply; -1 when absent. */
static int64_t hmget_int(const redisReply *r, size_t i)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
        r->element[i]->type != REDIS_REPLY_STRING)
        return -1;
    return strtoll(r->element[i]->str, NULL, 10);
}

static bool hmget_eq(const redisReply *r, size_t i, const char *want)
{
    return r && r->type == REDIS_REPLY_ARRAY && i < r->elements &&
           r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, want) == 0;
}

int rush_redis_check_gateway(const struct bench_cfg *cfg, struct bench_shm *shm,
                             struct rush_gw_check *out)
{
    memset(out, 0, sizeof(*out));
    out->stock = out->reserved = out->paid = -1;
    redisContext *rc = connect_redis(cfg);
    if (!rc)
        return -1;
    int rv = 0;
    char key[256];
    snprintf(key, sizeof(key), "lg:sale:%s:%s", cfg->room, cfg->sale);
    redisReply *r = redisCommand(rc, "HMGET %s stock reserved paid", key);
    out->stock = hmget_int(r, 0);
    out->reserved = hmget_int(r, 1);
    out->paid = hmget_int(r, 2);
    freeReplyObject(r);
    r = redisCommand(rc, "ZCARD %s:open", key);
    out->open = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    r = redisCommand(rc, "LLEN %s:orders", key);
    out->listed = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);

    /* Every acknowledged id, pipelined in chunks: its hash's fields, then its open-set score. */
    char **ids = calloc((size_t)cfg->viewers, sizeof(*ids));
    int *owner = calloc((size_t)cfg->viewers, sizeof(*owner));
    if (!ids || !owner) {
        free(ids);
        free(owner);
        redisFree(rc);
        return -1;
    }
    size_t n = 0;
    for (int g = 0; g < cfg->viewers; g++) {
        char *id = bench_order_id(shm, g);
        if (id[0]) {
            owner[n] = g;
            ids[n++] = id;
        }
    }
    out->acked = n;
    enum { CHUNK = 1000 };
    for (size_t i = 0; i < n && !rc->err; i += CHUNK) {
        size_t k = n - i < CHUNK ? n - i : CHUNK;
        for (size_t j = 0; j < k; j++) {
            redisAppendCommand(rc, "HMGET lg:order:%s state uid room sale", ids[i + j]);
            redisAppendCommand(rc, "ZSCORE %s:open %s", key, ids[i + j]);
        }
        for (size_t j = 0; j < k; j++) {
            void *a = NULL, *b = NULL;
            if (redisGetReply(rc, &a) != REDIS_OK || redisGetReply(rc, &b) != REDIS_OK) {
                freeReplyObject(a);
                rv = -1;
                break;
            }
            redisReply *h = a, *z = b;
            char uid[32], why[160] = "";
            snprintf(uid, sizeof(uid), "v%d", owner[i + j]);
            if (!h || h->type != REDIS_REPLY_ARRAY || h->elements != 4 ||
                h->element[0]->type != REDIS_REPLY_STRING) {
                out->missing++;
                snprintf(why, sizeof(why), "order %s (viewer %s) is not in Redis", ids[i + j], uid);
            } else if (!hmget_eq(h, 0, "reserved")) {
                out->wrong_state++;
                snprintf(why, sizeof(why), "order %s (viewer %s) is in state %s", ids[i + j], uid,
                         h->element[0]->str);
            } else if (!hmget_eq(h, 1, uid) || !hmget_eq(h, 2, cfg->room) ||
                       !hmget_eq(h, 3, cfg->sale)) {
                out->wrong_owner++;
                snprintf(why, sizeof(why),
                         "order %s was acknowledged to %s, Redis says another "
                         "uid, room or sale",
                         ids[i + j], uid);
            } else if (!z || z->type != REDIS_REPLY_STRING) {
                out->not_open++;
                snprintf(why, sizeof(why), "order %s (viewer %s) is not in the open set",
                         ids[i + j], uid);
            } else {
                out->reserved_ok++;
            }
            if (why[0] && !out->example[0])
                snprintf(out->example, sizeof(out->example), "%s", why);
            freeReplyObject(h);
            freeReplyObject(z);
        }
    }
    if (rc->err)
        rv = -1;
    /* The same id told to two viewers would be one reservation sold twice. */
    qsort(ids, n, sizeof(*ids), cmp_id);
    for (size_t i = 1; i < n; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            out->duplicates++;
    free(ids);
    free(owner);
    redisFree(rc);
    return out->stock < 0 ? -1 : rv;
}
