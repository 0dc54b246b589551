/* sale_load.c: blocking startup load of every live sale and its orders from Redis.
 *
 * Runs once, on the main thread, before any worker serves: plain blocking hiredis.
 * Overdue reservations are released through the same batch script the stores use,
 * so they are recorded (hash, counters, open set, stream) exactly like a live expiry. */
#include "sale_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "sale_lua.h"

#define LOAD_CHUNK 256

/* Field `name` of a flat HGETALL reply, or NULL. */
static const char *hfield(const redisReply *r, const char *name)
{
    if (!r || r->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, name) == 0 &&
            r->element[i + 1]->type == REDIS_REPLY_STRING)
            return r->element[i + 1]->str;
    return NULL;
}

static int64_t hnum(const redisReply *r, const char *name)
{
    const char *v = hfield(r, name);
    return v ? strtoll(v, NULL, 10) : 0;
}

/* Releases the given overdue order ids as `expired` through the batch script. */
static int expire_ids(redisContext *c, const redisReply *ids, int64_t now_ms, uint64_t *n)
{
    for (size_t i = 0; i < ids->elements; i += LOAD_CHUNK) {
        size_t k = ids->elements - i < LOAD_CHUNK ? ids->elements - i : LOAD_CHUNK;
        size_t argc = 4 + k * 4;
        const char **argv = malloc(argc * sizeof(*argv));
        size_t *lens = malloc(argc * sizeof(*lens));
        if (!argv || !lens)
            abort();
        char now[24];
        snprintf(now, sizeof(now), "%lld", (long long)now_ms);
        size_t a = 0;
        argv[a++] = "EVAL";
        argv[a++] = sale_lua_batch;
        argv[a++] = "0";
        argv[a++] = "1000000";
        for (size_t j = 0; j < k; j++) {
            argv[a++] = "T";
            argv[a++] = ids->element[i + j]->str;
            argv[a++] = "expired";
            argv[a++] = now;
        }
        for (size_t j = 0; j < a; j++)
            lens[j] = strlen(argv[j]);
        redisReply *r = redisCommandArgv(c, (int)a, argv, lens);
        free(argv);
        free(lens);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            if (r)
                fprintf(stderr, "sale_load: expiry batch failed: %s\n",
                        r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
            freeReplyObject(r);
            return -EIO;
        }
        for (size_t j = 0; j < r->elements; j++)
            if (r->element[j]->type == REDIS_REPLY_INTEGER && r->element[j]->integer == 1)
                (*n)++;
        freeReplyObject(r);
    }
    return 0;
}

static enum sale_order_state state_of(const char *s)
{
    if (!s)
        return 0;
    if (strcmp(s, "reserved") == 0)
        return SALE_ORDER_RESERVED;
    if (strcmp(s, "paid") == 0)
        return SALE_ORDER_PAID;
    if (strcmp(s, "cancelled") == 0)
        return SALE_ORDER_CANCELLED;
    if (strcmp(s, "expired") == 0)
        return SALE_ORDER_EXPIRED;
    return 0; /* aborted or unknown: never acknowledged, not restored */
}

/* Restores the orders of sale s listed in <sk>:orders, pipelined. */
static int load_orders(redisContext *c, const char *sk, struct sale *s, uint64_t *n)
{
    redisReply *ids = redisCommand(c, "LRANGE %s:orders 0 -1", sk);
    if (!ids || ids->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(ids);
        return -EIO;
    }
    int rc = 0;
    for (size_t i = 0; i < ids->elements && rc == 0; i += LOAD_CHUNK) {
        size_t k = ids->elements - i < LOAD_CHUNK ? ids->elements - i : LOAD_CHUNK;
        for (size_t j = 0; j < k; j++)
            redisAppendCommand(c, "HGETALL " SALE_LUA_PREFIX "order:%s", ids->element[i + j]->str);
        for (size_t j = 0; j < k; j++) {
            void *v = NULL;
            if (redisGetReply(c, &v) != REDIS_OK) {
                rc = -EIO;
                break;
            }
            redisReply *h = v;
            enum sale_order_state st = state_of(hfield(h, "state"));
            if (st) {
                struct sale_order_rec rec = {
                    .id = hfield(h, "order"),
                    .uid = hfield(h, "uid"),
                    .req = hfield(h, "req"),
                    .from = hfield(h, "from"),
                    .qty = (int32_t)hnum(h, "qty"),
                    .created_ms = hnum(h, "created"),
                    .pay_by_ms = hnum(h, "pay_by"),
                    .state = st,
                };
                int e = sale_order_restore(s, &rec);
                if (e == 0)
                    (*n)++;
                else
                    fprintf(stderr, "sale_load: order %s not restored (%d)\n",
                            rec.id ? rec.id : "?", e);
            }
            freeReplyObject(h);
        }
    }
    freeReplyObject(ids);
    return rc;
}

static int load_sale(redisContext *c, const char *member, struct sale_book *b, int64_t now_ms,
                     struct sale_load_stats *out)
{
    char sk[2 * PROTO_ID_MAX + 16];
    snprintf(sk, sizeof(sk), SALE_LUA_PREFIX "sale:%s", member);
    redisReply *open = redisCommand(c, "ZRANGEBYSCORE %s:open -inf %lld", sk, (long long)now_ms);
    if (!open || open->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(open);
        return -EIO;
    }
    int rc = expire_ids(c, open, now_ms, &out->expired);
    freeReplyObject(open);
    if (rc)
        return rc;
    redisReply *h = redisCommand(c, "HGETALL %s", sk);
    redisReply *held = redisCommand(c, "ZCARD %s:open", sk);
    if (!h || h->type != REDIS_REPLY_ARRAY || !held || held->type != REDIS_REPLY_INTEGER) {
        freeReplyObject(h);
        freeReplyObject(held);
        return -EIO;
    }
    const char *state = hfield(h, "state");
    bool ended = state && strcmp(state, "ended") == 0;
    int64_t ends_at = hnum(h, "ends_at");
    if (!hfield(h, "stock") || ((ended || ends_at <= now_ms) && held->integer == 0)) {
        /* Finished (or a half-written definition, with nothing held): forget it. */
        redisReply *r = redisCommand(c, "SREM " SALE_LUA_PREFIX "sales %s", member);
        freeReplyObject(r);
        out->skipped++;
        freeReplyObject(h);
        freeReplyObject(held);
        return 0;
    }
    struct sale_params p = {
        .room = hfield(h, "room"),
        .sale = hfield(h, "sale"),
        .sku = hfield(h, "sku"),
        .price = hnum(h, "price"),
        .stock = hnum(h, "stock"),
        .limit = (int32_t)hnum(h, "limit"),
        .starts_at_ms = hnum(h, "starts_at"),
        .ends_at_ms = ends_at,
        .pay_window_ms = hnum(h, "pay_window"),
    };
    int64_t left = p.stock - hnum(h, "reserved") - hnum(h, "paid");
    struct sale *s;
    rc = sale_book_restore(b, &p, left, ended, &s);
    if (rc == 0) {
        out->sales++;
        rc = load_orders(c, sk, s, &out->orders);
    } else {
        fprintf(stderr, "sale_load: sale %s not restored (%d)\n", member, rc);
        rc = 0;
    }
    freeReplyObject(h);
    freeReplyObject(held);
    return rc;
}

int sale_store_load(const char *host, int port, struct sale_book *b, int64_t now_ms,
                    struct sale_load_stats *stats)
{
    struct sale_load_stats local = {0};
    struct sale_load_stats *out = stats ? stats : &local;
    memset(out, 0, sizeof(*out));
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (!c || c->err) {
        fprintf(stderr, "sale_load: cannot connect to %s:%d: %s\n", host, port,
                c ? c->errstr : "out of memory");
        redisFree(c);
        return -EIO;
    }
    redisSetTimeout(c, tv);
    redisReply *m = redisCommand(c, "SMEMBERS " SALE_LUA_PREFIX "sales");
    int rc = 0;
    if (!m || m->type != REDIS_REPLY_ARRAY) {
        rc = -EIO;
    } else {
        for (size_t i = 0; i < m->elements && rc == 0; i++)
            if (m->element[i]->type == REDIS_REPLY_STRING)
                rc = load_sale(c, m->element[i]->str, b, now_ms, out);
    }
    freeReplyObject(m);
    redisFree(c);
    return rc;
}
