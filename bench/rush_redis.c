/* rush_redis.c: the Redis Lua rush baseline (see rush_redis.h). */
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
        /* Every order has its own slot in the spread, whatever the viewer processes: latency
         * runs from that scheduled time, so a backlog counts (no coordinated omission). */
        int g = first + i;
        uint64_t at = go + spread * (uint64_t)g / (uint64_t)cfg->viewers;
        uint64_t now = bench_now_ns();
        if (at > now)
            usleep((useconds_t)((at - now) / 1000));
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
                bench_code_add(s->codes, r->element[1]->str, r->element[1]->len, 1);
            else
                bench_code_add(s->codes, "redis_error", 11, 1);
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
