/* gw_bag.c: lucky bags (see gw_bag.h). */
#include "gw_bag.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_conn.h"
#include "gw_kv.h"
#include "gw_live.h"
#include "gw_log.h"
#include "gw_room.h"
#include "gw_server.h"
#include "gw_util.h"
#include "proto_draw.h"

#define LOAD_BACKOFF_MIN_MS 200
#define LOAD_BACKOFF_MAX_MS 5000
#define DRAW_RETRY_MS       1000

enum bag_state {
    BAG_OPEN,    /* joins accepted until ends_at */
    BAG_DRAWING, /* frozen and drawn; the result is being written to Redis */
    BAG_DRAWN,   /* written and announced */
};

/* A uid's entry in a bag's `joined` map, kept in the value pointer: bit 0 = its join
 * is durable in Redis, the other bits count the join writes in flight. */
#define JOIN_DURABLE   1u
#define JOIN_PENDING_1 2u

struct gw_bag {
    uint64_t serial; /* unique in the process: tells a reply which bag it was for */
    char id[PROTO_ID_MAX + 1];
    char *prize, *keyword;
    int32_t winners;
    int64_t duration_s, min_watch_ms, started_ms, ends_at;
    bool not_won_today;
    uint8_t require;
    uint8_t seed[PROTO_DRAW_SEED_BYTES];
    char commit[PROTO_DRAW_HEX_LEN + 1];
    char seed_hex[PROTO_DRAW_HEX_LEN + 1];
    enum bag_state state;
    bool writing;            /* the draw's write is in flight */
    int64_t retry_at_ms;     /* after a failed draw write */
    struct gw_strmap joined; /* its count is the bag's participant count */
    /* Once drawn (BAG_DRAWING and after). */
    char **sorted; /* the participants of the draw, sorted (owned) */
    size_t n_sorted;
    const char **winner_uids; /* into sorted, in draw order */
    size_t n_winners;
    struct gw_strmap winner_set;
    int64_t drawn_ms;
};

/* A reply that waits for Redis (bag_start's ack, a join's answer). */
struct bag_wait {
    struct gw_reply reply; /* the connection, or NULL once it is gone */
    struct gw_worker *w;
    struct gw_room *room;
    struct gw_bag *bag; /* bag_start: not yet in the room, owned here */
    uint64_t serial;
    bool has_req;
    char req[PROTO_REQ_MAX_BYTES + 1];
    char uid[PROTO_ID_MAX + 1];
};

static const char start_script[] = "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end "
                                   "redis.call('HSET', KEYS[1], unpack(ARGV, 2)) "
                                   "redis.call('SADD', KEYS[2], ARGV[1]) "
                                   "return 1";

static const char draw_script[] =
    "local nf = tonumber(ARGV[3]) "
    "redis.call('HSET', KEYS[1], unpack(ARGV, 4, 3 + nf)) "
    "redis.call('SREM', KEYS[2], ARGV[1]) "
    "for i = 4 + nf, #ARGV do redis.call('SADD', KEYS[3], ARGV[2] .. ':' .. ARGV[i]) end "
    "redis.call('EXPIRE', KEYS[3], 172800) "
    "return 1";

/* ---- small helpers ---------------------------------------------------------------- */

static bool bags_loaded(struct gw_server *srv)
{
    /* acquire: pairs with the loader's release store: the restored bags are in place. */
    return atomic_load_explicit(&srv->bags.loaded, memory_order_acquire);
}

/* YYYYMMDD of unix ms in the process's local time zone (a store's "today"). */
static int day_of(int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    localtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static void key_bag(char *out, size_t n, const char *room, const char *bag)
{
    snprintf(out, n, "lg:bag:%s:%s", room, bag);
}

static void key_joined(char *out, size_t n, const char *room, const char *bag)
{
    snprintf(out, n, "lg:bag:%s:%s:p", room, bag);
}

void gw_bag_free(struct gw_bag *b)
{
    if (!b)
        return;
    free(b->prize);
    free(b->keyword);
    gw_strmap_fini(&b->joined);
    gw_strmap_fini(&b->winner_set);
    for (size_t i = 0; i < b->n_sorted; i++)
        free(b->sorted[i]);
    free(b->sorted);
    free(b->winner_uids);
    free(b);
}

static struct gw_bag *bag_new(struct gw_server *srv)
{
    struct gw_bag *b = gw_xcalloc(1, sizeof(*b));

    /* relaxed: a unique number, nothing is ordered by it. */
    b->serial = atomic_fetch_add_explicit(&srv->bags.serials, 1, memory_order_relaxed) + 1;
    gw_strmap_init(&b->joined);
    gw_strmap_init(&b->winner_set);
    return b;
}

static void view_of(const struct gw_bag *b, struct proto_bag_view *v)
{
    memset(v, 0, sizeof(*v));
    v->bag = b->id;
    v->state = b->state == BAG_DRAWN ? PROTO_BAG_DRAWN : PROTO_BAG_OPEN;
    v->prize = b->prize;
    v->keyword = b->keyword;
    v->winners_count = b->winners;
    v->winners = b->winner_uids;
    v->n_winners = b->n_winners;
    v->ends_at = b->ends_at;
    v->commit = b->commit;
    v->seed = b->state == BAG_DRAWN ? b->seed_hex : NULL;
    v->has_count = true;
    v->count = b->state == BAG_DRAWN ? b->n_sorted : b->joined.count;
}

static struct bag_wait *wait_new(struct gw_worker *w, struct gw_conn *c, struct gw_room *r,
                                 const char *req)
{
    struct bag_wait *x = gw_xcalloc(1, sizeof(*x));

    x->w = w;
    x->room = r;
    if (c) {
        gw_reply_attach(&x->reply, c);
        gw_strlcpy(x->uid, c->uid, sizeof(x->uid));
    }
    if (req) {
        x->has_req = true;
        gw_strlcpy(x->req, req, sizeof(x->req));
    }
    return x;
}

static void wait_free(struct bag_wait *x)
{
    gw_reply_detach(&x->reply);
    gw_bag_free(x->bag);
    free(x);
}

/* The viewer's own `bag` reply (no seq) with joined: true. */
static void send_joined(struct gw_conn *c, const struct proto_bag_view *v)
{
    struct proto_buf *b = gw_worker_enc(c->w);
    struct gw_msg *m;

    proto_enc_bag(b, 0, v, true, true, true, false, false);
    m = gw_msg_create(b, GW_MSG_TARGETED, 0);
    gw_conn_send(c, m);
    gw_msg_unref(m);
}

/* ---- bag_start ---------------------------------------------------------------------- */

/* Under the room lock (gw_room_event): installs the bag and encodes `bag` open. */
static void enc_open(struct proto_buf *out, uint64_t seq, void *arg)
{
    struct gw_bag *b = arg;
    struct proto_bag_view v;

    view_of(b, &v);
    v.has_count = false;
    proto_enc_bag(out, seq, &v, true, false, false, false, false);
}

static void on_started(void *arg, const struct redisReply *reply)
{
    struct bag_wait *x = arg;
    struct gw_room *r = x->room;
    struct gw_conn *c = x->reply.c;
    struct gw_bag *old = NULL, *b = x->bag;

    if (!reply || reply->type != REDIS_REPLY_INTEGER || reply->integer != 1) {
        pthread_mutex_lock(&r->lock);
        r->bag_starting = false;
        pthread_mutex_unlock(&r->lock);
        if (c)
            gw_conn_send_error(c, reply ? PROTO_ERR_CONFLICT : PROTO_ERR_UNAVAILABLE,
                               reply ? "a lucky bag with this id already ran in this room"
                                     : "the bag store is unreachable: nothing was started",
                               x->has_req ? x->req : NULL);
        wait_free(x);
        return;
    }
    x->bag = NULL;
    pthread_mutex_lock(&r->lock);
    old = r->bag;
    r->bag = b;
    r->bag_starting = false;
    /* relaxed: coalescing hints read by the ticks; the lock publishes the bag. */
    atomic_store_explicit(&r->bag_count, 0, memory_order_relaxed);
    atomic_store_explicit(&r->bag_open_serial, b->serial, memory_order_relaxed);
    pthread_mutex_unlock(&r->lock);
    gw_bag_free(old);
    gw_room_event(r, x->w, GW_MSG_EVENT, true, enc_open, b);
    atomic_fetch_add_explicit(&x->w->srv->bags.started, 1, memory_order_relaxed);
    gw_info("bag %s/%s open: %d winners, %" PRId64 " s, commit %s", r->id, b->id, b->winners,
            b->duration_s, b->commit);
    if (c && x->has_req)
        gw_conn_send_ack(c, x->req);
    wait_free(x);
}

static int bag_start(struct gw_worker *w, struct gw_room *r, struct gw_conn *c,
                     const struct proto_cmsg *m, enum proto_err *code, const char **msg)
{
    struct gw_server *srv = w->srv;
    const __typeof__(m->u.bag_start) *a = &m->u.bag_start;
    char key[200], member[PROTO_ID_MAX * 2 + 2], nbuf[6][24], req_s[4];
    const char *argv[40];
    int argc = 0, n = 0;
    struct gw_bag *b;
    struct bag_wait *x;
    int64_t now = gw_now_ms();

    if (!bags_loaded(srv) || !gw_kv_is_up(w->kv)) {
        *code = PROTO_ERR_UNAVAILABLE;
        *msg = "the bag store is unreachable: nothing was started";
        return -1;
    }
    pthread_mutex_lock(&r->lock);
    if (r->bag_starting || (r->bag && r->bag->state != BAG_DRAWN)) {
        pthread_mutex_unlock(&r->lock);
        *code = PROTO_ERR_CONFLICT;
        *msg = "a lucky bag is already open in this room";
        return -1;
    }
    if (r->bag && strcmp(r->bag->id, a->bag) == 0) {
        pthread_mutex_unlock(&r->lock);
        *code = PROTO_ERR_CONFLICT;
        *msg = "a lucky bag with this id already ran in this room";
        return -1;
    }
    r->bag_starting = true;
    pthread_mutex_unlock(&r->lock);

    b = bag_new(srv);
    gw_strlcpy(b->id, a->bag, sizeof(b->id));
    b->prize = gw_xstrdup(a->prize);
    b->keyword = gw_xstrdup(a->keyword);
    b->winners = a->winners;
    b->duration_s = a->duration;
    b->min_watch_ms = a->min_watch * 1000;
    b->started_ms = now;
    b->ends_at = now + a->duration * 1000;
    b->not_won_today = a->not_won_today;
    b->require = a->require;
    if (proto_draw_seed_new(b->seed) < 0) {
        gw_bag_free(b);
        pthread_mutex_lock(&r->lock);
        r->bag_starting = false;
        pthread_mutex_unlock(&r->lock);
        *code = PROTO_ERR_UNAVAILABLE;
        *msg = "no random seed could be drawn: nothing was started";
        return -1;
    }
    proto_draw_commit(b->seed, b->commit);
    proto_draw_hex(b->seed, b->seed_hex);

    key_bag(key, sizeof(key), r->id, b->id);
    snprintf(member, sizeof(member), "%s:%s", r->id, b->id);
    snprintf(nbuf[n++], 24, "%" PRId32, b->winners);
    snprintf(nbuf[n++], 24, "%" PRId64, b->duration_s);
    snprintf(nbuf[n++], 24, "%" PRId64, b->min_watch_ms / 1000);
    snprintf(nbuf[n++], 24, "%" PRId64, b->started_ms);
    snprintf(nbuf[n++], 24, "%" PRId64, b->ends_at);
    snprintf(req_s, sizeof(req_s), "%u", (unsigned)b->require);
    argv[argc++] = "EVAL";
    argv[argc++] = start_script;
    argv[argc++] = "2";
    argv[argc++] = key;
    argv[argc++] = "lg:bags";
    argv[argc++] = member;
#define FIELD(k, v)                                                                                \
    do {                                                                                           \
        argv[argc++] = k;                                                                          \
        argv[argc++] = v;                                                                          \
    } while (0)
    FIELD("room", r->id);
    FIELD("bag", b->id);
    FIELD("prize", b->prize);
    FIELD("keyword", b->keyword);
    FIELD("winners", nbuf[0]);
    FIELD("duration", nbuf[1]);
    FIELD("min_watch", nbuf[2]);
    FIELD("started", nbuf[3]);
    FIELD("ends_at", nbuf[4]);
    FIELD("not_won_today", b->not_won_today ? "1" : "0");
    FIELD("require", req_s);
    FIELD("commit", b->commit);
    FIELD("seed", b->seed_hex);
    FIELD("state", "open");
    FIELD("node", srv->cfg.node);
#undef FIELD
    x = wait_new(w, c, r, m->has_req ? m->req : NULL);
    x->bag = b;
    if (gw_kv_cmd(w->kv, on_started, x, argc, argv, NULL) < 0) {
        wait_free(x);
        pthread_mutex_lock(&r->lock);
        r->bag_starting = false;
        pthread_mutex_unlock(&r->lock);
        *code = PROTO_ERR_UNAVAILABLE;
        *msg = "the bag store is unreachable: nothing was started";
        return -1;
    }
    return 1;
}

/* ---- joining ------------------------------------------------------------------------ */

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Under the room lock: whether uid is among the participants the draw took. */
static bool in_draw(const struct gw_bag *b, const char *uid)
{
    return b->n_sorted && bsearch(&uid, b->sorted, b->n_sorted, sizeof(char *), cmp_str);
}

/* Under r->lock: drops one pending write of uid; forgets uid when nothing holds it. */
static void join_settle_fail(struct gw_room *r, struct gw_bag *b, const char *uid)
{
    void **slot = gw_strmap_get(&b->joined, uid);
    uintptr_t v;

    if (!slot)
        return;
    v = (uintptr_t)*slot - JOIN_PENDING_1;
    *slot = (void *)v;
    if (v == 0) {
        gw_strmap_del(&b->joined, uid);
        if (b->state == BAG_OPEN)
            atomic_store_explicit(&r->bag_count, b->joined.count, memory_order_relaxed);
    }
}

static void on_joined(void *arg, const struct redisReply *reply)
{
    struct bag_wait *x = arg;
    struct gw_room *r = x->room;
    struct gw_conn *c = x->reply.c;
    struct gw_bag *b;
    struct proto_bag_view v;
    bool ok = false, late = false;
    char key[200];

    pthread_mutex_lock(&r->lock);
    b = r->bag && r->bag->serial == x->serial ? r->bag : NULL;
    if (b) {
        if (!reply) {
            join_settle_fail(r, b, x->uid);
        } else {
            void **slot = gw_strmap_get(&b->joined, x->uid);
            if (slot)
                *slot = (void *)(((uintptr_t)*slot - JOIN_PENDING_1) | JOIN_DURABLE);
            /* Frozen for the draw before this write was answered: not a participant. */
            late = b->state != BAG_OPEN && !in_draw(b, x->uid);
            ok = !late;
            if (ok) {
                view_of(b, &v);
                v.has_count = false;
            }
        }
    } else {
        late = reply != NULL;
    }
    if (ok && c)
        send_joined(c, &v); /* encoded from the bag: under the lock */
    pthread_mutex_unlock(&r->lock);

    if (late) {
        /* Keep the Redis set equal to the draw's participants. */
        const char *argv[3] = {"SREM", key, x->uid};
        if (b) {
            key_joined(key, sizeof(key), r->id, b->id);
            gw_kv_cmd(x->w->kv, NULL, NULL, 3, argv, NULL);
        }
        if (c)
            gw_conn_send_error(c, PROTO_ERR_ENDED,
                               "the lucky bag closed before your join was recorded",
                               x->has_req ? x->req : NULL);
    } else if (!reply && c) {
        gw_conn_send_error(c, PROTO_ERR_UNAVAILABLE, "the bag store is unreachable: not joined",
                           x->has_req ? x->req : NULL);
    }
    wait_free(x);
}

/* Under r->lock: why uid may not join b now (0 when it may), with the message. */
static enum proto_err join_check(struct gw_server *srv, struct gw_room *r, struct gw_bag *b,
                                 struct gw_conn *c, int64_t now, const char **msg)
{
    struct gw_viewer *v;
    void **mute;

    if (b->state != BAG_OPEN || now >= b->ends_at) {
        *msg = "the lucky bag is closed";
        return PROTO_ERR_ENDED;
    }
    if (c->role != PROTO_ROLE_VIEWER) {
        *msg = "hosts and admins do not join lucky bags";
        return PROTO_ERR_NOT_ELIGIBLE;
    }
    mute = gw_strmap_get(&r->mutes, c->uid);
    if (mute && (int64_t)(intptr_t)*mute > now) {
        *msg = "you are muted in this room";
        return PROTO_ERR_MUTED;
    }
    v = gw_audience_get(&r->audience, c->uid);
    if (!v || gw_audience_watch_ms(v, now) < b->min_watch_ms) {
        *msg = "watch the live a little longer to join this lucky bag";
        return PROTO_ERR_NOT_ELIGIBLE;
    }
    if (((b->require & PROTO_BAG_REQ_COMMENT) && !v->comments) ||
        ((b->require & PROTO_BAG_REQ_LIKE) && !v->likes) ||
        ((b->require & PROTO_BAG_REQ_ORDER) && !v->orders)) {
        *msg = "this lucky bag is for viewers who commented, liked or ordered as the host asked";
        return PROTO_ERR_NOT_ELIGIBLE;
    }
    if (b->not_won_today) {
        char key[PROTO_ID_MAX * 2 + 2];
        void **won;
        bool has;
        snprintf(key, sizeof(key), "%s:%s", r->id, c->uid);
        pthread_mutex_lock(&srv->bags.won_lock);
        won = gw_strmap_get(&srv->bags.won, key);
        has = won && (int)(intptr_t)*won == day_of(now);
        pthread_mutex_unlock(&srv->bags.won_lock);
        if (has) {
            *msg = "this lucky bag is for viewers who have not won in this room today";
            return PROTO_ERR_NOT_ELIGIBLE;
        }
    }
    return 0;
}

/* bag NULL: a keyword comment (silently nothing when there is no open bag or the text
 * is not the keyword). */
static void join(struct gw_worker *w, struct gw_conn *c, const char *bag, const char *text,
                 const char *req)
{
    struct gw_server *srv = w->srv;
    struct gw_room *r = c->shard ? c->shard->room : NULL;
    struct gw_bag *b;
    struct proto_bag_view v;
    enum proto_err code;
    const char *msg = NULL;
    void **slot;
    bool created;
    char key[200];
    struct bag_wait *x;
    int64_t now = gw_now_ms();

    if (!r)
        return;
    /* relaxed: a hint that spares every comment the room lock while no bag is open; the
     * bag itself is read under the lock. */
    if (!bag && !atomic_load_explicit(&r->bag_open_serial, memory_order_relaxed))
        return;
    pthread_mutex_lock(&r->lock);
    b = r->bag;
    if (!bag) {
        if (!b || b->state != BAG_OPEN || strcmp(b->keyword, text) != 0) {
            pthread_mutex_unlock(&r->lock);
            return;
        }
    } else if (!b || strcmp(b->id, bag) != 0) {
        pthread_mutex_unlock(&r->lock);
        gw_conn_send_error(c, PROTO_ERR_NOT_FOUND, "no lucky bag with that id in this room", req);
        return;
    }
    code = join_check(srv, r, b, c, now, &msg);
    if (code) {
        pthread_mutex_unlock(&r->lock);
        gw_conn_send_error(c, code, msg, req);
        return;
    }
    if (!bags_loaded(srv) || !gw_kv_is_up(w->kv)) {
        pthread_mutex_unlock(&r->lock);
        gw_conn_send_error(c, PROTO_ERR_UNAVAILABLE, "the bag store is unreachable: not joined",
                           req);
        return;
    }
    slot = gw_strmap_put(&b->joined, c->uid, &created);
    if ((uintptr_t)*slot & JOIN_DURABLE) {
        /* Joined before: the same answer, counted once. */
        view_of(b, &v);
        v.has_count = false;
        send_joined(c, &v);
        pthread_mutex_unlock(&r->lock);
        return;
    }
    *slot = (void *)((uintptr_t)*slot + JOIN_PENDING_1);
    if (created) {
        gw_audience_engage(&r->audience, c->uid, GW_ENGAGE_BAG_JOIN);
        /* relaxed: statistics and coalescing hints; the lock orders the bag itself. */
        atomic_store_explicit(&r->bag_count, b->joined.count, memory_order_relaxed);
        atomic_fetch_add_explicit(&r->bag_joins, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&srv->bags.joins, 1, memory_order_relaxed);
    }
    x = wait_new(w, c, r, req);
    x->serial = b->serial;
    key_joined(key, sizeof(key), r->id, b->id);
    {
        const char *argv[3] = {"SADD", key, c->uid};
        if (gw_kv_cmd(w->kv, on_joined, x, 3, argv, NULL) < 0) {
            join_settle_fail(r, b, c->uid);
            pthread_mutex_unlock(&r->lock);
            wait_free(x);
            gw_conn_send_error(c, PROTO_ERR_UNAVAILABLE, "the bag store is unreachable: not joined",
                               req);
            return;
        }
    }
    pthread_mutex_unlock(&r->lock);
    if (created)
        gw_room_touch(r); /* bag_count */
}

void gw_bag_join(struct gw_worker *w, struct gw_conn *c, const char *bag, const char *req)
{
    join(w, c, bag, NULL, req);
}

void gw_bag_comment(struct gw_worker *w, struct gw_conn *c, const char *text, const char *req)
{
    join(w, c, NULL, text, req);
}

/* ---- the draw ------------------------------------------------------------------------ */

struct collect {
    char **v;
    size_t n;
};

static void collect_durable(const char *uid, void *val, void *arg)
{
    struct collect *c = arg;

    if ((uintptr_t)val & JOIN_DURABLE)
        c->v[c->n++] = gw_xstrdup(uid);
}

/* Under r->lock: freezes b and draws its winners from the durable joins. Returns false
 * when the draw could not be computed (out of memory: retried later). */
static bool draw_compute(struct gw_bag *b)
{
    struct collect c = {gw_xcalloc(b->joined.count + 1, sizeof(char *)), 0};
    size_t *idx, k = 0;

    gw_strmap_each(&b->joined, collect_durable, &c);
    if (c.n)
        qsort(c.v, c.n, sizeof(char *), cmp_str);
    idx = gw_xcalloc(c.n + 1, sizeof(*idx));
    if (proto_draw_winners(b->seed, b->id, (const char *const *)c.v, c.n, (size_t)b->winners, idx,
                           &k) < 0) {
        for (size_t i = 0; i < c.n; i++)
            free(c.v[i]);
        free(c.v);
        free(idx);
        return false;
    }
    b->sorted = c.v;
    b->n_sorted = c.n;
    b->winner_uids = gw_xcalloc(k + 1, sizeof(char *));
    for (size_t i = 0; i < k; i++) {
        b->winner_uids[i] = c.v[idx[i]];
        *gw_strmap_put(&b->winner_set, c.v[idx[i]], NULL) = (void *)1;
    }
    b->n_winners = k;
    free(idx);
    b->state = BAG_DRAWING;
    return true;
}

static void enc_drawn(struct proto_buf *out, uint64_t seq, void *arg)
{
    struct gw_bag *b = arg;
    struct proto_bag_view v;

    view_of(b, &v);
    proto_enc_bag(out, seq, &v, true, false, false, false, false);
}

static void on_drawn(void *arg, const struct redisReply *reply)
{
    struct bag_wait *x = arg;
    struct gw_room *r = x->room;
    struct gw_server *srv = x->w->srv;
    struct gw_bag *b;
    struct proto_buf *enc;
    struct proto_bag_view v;
    struct gw_msg *m;
    int day = day_of(gw_now_ms());

    pthread_mutex_lock(&r->lock);
    b = r->bag && r->bag->serial == x->serial ? r->bag : NULL;
    if (!b || b->state != BAG_DRAWING) {
        pthread_mutex_unlock(&r->lock);
        wait_free(x);
        return;
    }
    b->writing = false;
    if (!reply) {
        b->retry_at_ms = gw_now_ms() + DRAW_RETRY_MS;
        pthread_mutex_unlock(&r->lock);
        atomic_fetch_add_explicit(&srv->bags.draw_retries, 1, memory_order_relaxed);
        gw_warn("bag %s/%s: the draw could not be written; retrying", r->id, x->uid);
        wait_free(x);
        return;
    }
    b->state = BAG_DRAWN;
    b->drawn_ms = gw_now_ms();
    atomic_store_explicit(&r->bag_open_serial, 0, memory_order_relaxed);
    pthread_mutex_unlock(&r->lock);

    /* Written: now the room may know. The drawn `bag` takes a seq; the winners' own
     * `bag` with you_won goes to every connection of theirs, on every thread. */
    gw_room_event(r, x->w, GW_MSG_EVENT, true, enc_drawn, b);
    enc = gw_worker_enc(x->w);
    pthread_mutex_lock(&r->lock);
    view_of(b, &v);
    proto_enc_bag(enc, 0, &v, true, false, false, true, true);
    pthread_mutex_unlock(&r->lock);
    m = gw_msg_create(enc, GW_MSG_YOU_WON, 0);
    m->comment_id = x->serial;
    gw_room_commit_msg(r, x->w, m);

    pthread_mutex_lock(&srv->bags.won_lock);
    for (size_t i = 0; i < b->n_winners; i++) {
        char key[PROTO_ID_MAX * 2 + 2];
        snprintf(key, sizeof(key), "%s:%s", r->id, b->winner_uids[i]);
        *gw_strmap_put(&srv->bags.won, key, NULL) = (void *)(intptr_t)day;
    }
    pthread_mutex_unlock(&srv->bags.won_lock);
    atomic_fetch_add_explicit(&srv->bags.draws, 1, memory_order_relaxed);
    gw_info("bag %s/%s drawn: %zu winners of %zu participants", r->id, b->id, b->n_winners,
            b->n_sorted);
    gw_live_event(x->w, r, GW_LIVE_BAG_DRAWN);
    wait_free(x);
}

/* Under r->lock, b in BAG_DRAWING and not writing: writes the result. */
static void draw_write(struct gw_worker *w, struct gw_room *r, struct gw_bag *b)
{
    char key[200], wins[40], member[PROTO_ID_MAX * 2 + 2], nf[8], count[24], at[24];
    struct proto_buf winners, parts;
    const char **argv;
    int argc = 0;
    struct bag_wait *x;
    int day = day_of(gw_now_ms());

    key_bag(key, sizeof(key), r->id, b->id);
    snprintf(wins, sizeof(wins), "lg:wins:%d", day);
    snprintf(member, sizeof(member), "%s:%s", r->id, b->id);
    snprintf(count, sizeof(count), "%zu", b->n_sorted);
    snprintf(at, sizeof(at), "%" PRId64, gw_now_ms());
    proto_buf_init(&winners, 0);
    proto_buf_init(&parts, 0);
    proto_json_arr_begin(&winners, NULL);
    for (size_t i = 0; i < b->n_winners; i++)
        proto_json_cstr(&winners, NULL, b->winner_uids[i]);
    proto_json_arr_end(&winners);
    proto_buf_append(&winners, "", 1);
    for (size_t i = 0; i < b->n_sorted; i++) {
        if (i)
            proto_buf_append(&parts, "\n", 1);
        proto_buf_append(&parts, b->sorted[i], strlen(b->sorted[i]));
    }
    proto_buf_append(&parts, "", 1);

    argv = gw_xcalloc(32 + b->n_winners, sizeof(*argv));
    argv[argc++] = "EVAL";
    argv[argc++] = draw_script;
    argv[argc++] = "3";
    argv[argc++] = key;
    argv[argc++] = "lg:bags";
    argv[argc++] = wins;
    argv[argc++] = member;
    argv[argc++] = r->id;
    snprintf(nf, sizeof(nf), "%d", 10);
    argv[argc++] = nf;
    argv[argc++] = "state";
    argv[argc++] = "drawn";
    argv[argc++] = "winner_uids";
    argv[argc++] = (const char *)proto_buf_data(&winners);
    argv[argc++] = "participants";
    argv[argc++] = (const char *)proto_buf_data(&parts);
    argv[argc++] = "participant_count";
    argv[argc++] = count;
    argv[argc++] = "drawn_at";
    argv[argc++] = at;
    for (size_t i = 0; i < b->n_winners; i++)
        argv[argc++] = b->winner_uids[i];

    x = wait_new(w, NULL, r, NULL);
    x->serial = b->serial;
    gw_strlcpy(x->uid, b->id, sizeof(x->uid)); /* for the log */
    if (gw_kv_cmd(w->kv, on_drawn, x, argc, argv, NULL) < 0) {
        b->retry_at_ms = gw_now_ms() + DRAW_RETRY_MS;
        wait_free(x);
    } else {
        b->writing = true;
    }
    free(argv);
    proto_buf_fini(&winners);
    proto_buf_fini(&parts);
}

/* Under r->lock: starts the draw of the open bag b. */
static void draw_begin(struct gw_worker *w, struct gw_room *r, struct gw_bag *b)
{
    if (b->state != BAG_OPEN)
        return;
    if (!draw_compute(b)) {
        gw_err("bag %s/%s: the draw could not be computed; retrying", r->id, b->id);
        return;
    }
    atomic_store_explicit(&r->bag_open_serial, 0, memory_order_relaxed);
    draw_write(w, r, b);
}

static int bag_draw(struct gw_worker *w, struct gw_room *r, const struct proto_cmsg *m,
                    enum proto_err *code, const char **msg)
{
    struct gw_bag *b;

    pthread_mutex_lock(&r->lock);
    b = r->bag;
    if (!b || strcmp(b->id, m->u.bag_draw.bag) != 0) {
        pthread_mutex_unlock(&r->lock);
        *code = PROTO_ERR_NOT_FOUND;
        *msg = "no lucky bag with that id in this room";
        return -1;
    }
    if (b->state != BAG_OPEN) {
        pthread_mutex_unlock(&r->lock);
        *code = PROTO_ERR_CONFLICT;
        *msg = "this lucky bag is already drawn";
        return -1;
    }
    draw_begin(w, r, b);
    pthread_mutex_unlock(&r->lock);
    return 0;
}

int gw_bag_host(struct gw_worker *w, struct gw_room *r, struct gw_conn *c,
                const struct proto_cmsg *m, enum proto_err *code, const char **msg)
{
    if (m->t == PROTO_C_BAG_START)
        return bag_start(w, r, c, m, code, msg);
    return bag_draw(w, r, m, code, msg);
}

void gw_bag_tick(struct gw_worker *w, struct gw_room *r, int64_t now_ms)
{
    struct gw_bag *b;

    pthread_mutex_lock(&r->lock);
    b = r->bag;
    if (b && b->state == BAG_OPEN && now_ms >= b->ends_at)
        draw_begin(w, r, b);
    else if (b && b->state == BAG_DRAWING && !b->writing && now_ms >= b->retry_at_ms)
        draw_write(w, r, b);
    pthread_mutex_unlock(&r->lock);
}

/* ---- what others read ------------------------------------------------------------------ */

void gw_bag_welcome(struct gw_room *r, const char *uid, struct proto_buf *out)
{
    struct gw_bag *b = r->bag;
    struct proto_bag_view v;
    void **slot;

    if (!b || b->state == BAG_DRAWN)
        return;
    view_of(b, &v);
    slot = gw_strmap_get(&b->joined, uid);
    proto_enc_bag(out, 0, &v, false, true, slot && ((uintptr_t)*slot & JOIN_DURABLE), false, false);
}

void gw_bag_describe(struct gw_room *r, struct proto_buf *b)
{
    struct proto_buf one;
    struct proto_bag_view v;

    proto_buf_init(&one, 0);
    pthread_mutex_lock(&r->lock);
    if (r->bag) {
        view_of(r->bag, &v);
        proto_enc_bag(&one, 0, &v, false, false, false, false, false);
    }
    pthread_mutex_unlock(&r->lock);
    if (one.len)
        proto_json_raw(b, "bag", (const char *)proto_buf_data(&one), one.len);
    else
        proto_json_null(b, "bag");
    proto_buf_fini(&one);
}

bool gw_bag_count_due(struct gw_room *r, uint64_t *sent_serial, uint64_t *sent_count, char *id,
                      uint64_t *count)
{
    /* relaxed: hints; the id is read under the lock below. */
    uint64_t serial = atomic_load_explicit(&r->bag_open_serial, memory_order_relaxed);
    uint64_t n = atomic_load_explicit(&r->bag_count, memory_order_relaxed);
    bool due = false;

    if (!serial || (serial == *sent_serial && n == *sent_count))
        return false;
    pthread_mutex_lock(&r->lock);
    if (r->bag && r->bag->serial == serial && r->bag->state == BAG_OPEN) {
        gw_strlcpy(id, r->bag->id, PROTO_ID_MAX + 1);
        *count = r->bag->joined.count;
        due = serial != *sent_serial || *count != *sent_count;
        *sent_serial = serial;
        *sent_count = *count;
    }
    pthread_mutex_unlock(&r->lock);
    return due;
}

void gw_bag_you_won(struct gw_worker *w, struct gw_room *r, lws_dll2_owner_t *viewers,
                    struct gw_msg *m)
{
    struct gw_bag *b;

    (void)w;
    pthread_mutex_lock(&r->lock);
    b = r->bag && r->bag->serial == m->comment_id ? r->bag : NULL;
    if (b && b->n_winners) {
        /* (No `continue` inside lws_start_foreach_dll: the advance is in its end macro.) */
        lws_start_foreach_dll(struct lws_dll2 *, d, lws_dll2_get_head(viewers))
        {
            struct gw_conn *c = lws_container_of(d, struct gw_conn, shard_node);
            if (c->role == PROTO_ROLE_VIEWER && gw_strmap_get(&b->winner_set, c->uid))
                gw_conn_send(c, m);
        }
        lws_end_foreach_dll(d);
    }
    pthread_mutex_unlock(&r->lock);
}

int gw_bag_participants(struct gw_room *r, const char *bag, struct proto_buf *b)
{
    struct gw_bag *g;
    struct collect c = {0};
    const char *const *list;
    size_t n;

    pthread_mutex_lock(&r->lock);
    g = r->bag;
    if (!g || strcmp(g->id, bag) != 0) {
        pthread_mutex_unlock(&r->lock);
        return 404;
    }
    if (g->state == BAG_OPEN) {
        /* Who has joined so far (durable joins), sorted like the draw will take them. */
        c.v = gw_xcalloc(g->joined.count + 1, sizeof(char *));
        gw_strmap_each(&g->joined, collect_durable, &c);
        if (c.n)
            qsort(c.v, c.n, sizeof(char *), cmp_str);
        list = (const char *const *)c.v;
        n = c.n;
    } else {
        list = (const char *const *)g->sorted;
        n = g->n_sorted;
    }
    proto_json_obj_begin(b);
    proto_json_cstr(b, "room", r->id);
    proto_json_cstr(b, "bag", g->id);
    proto_json_cstr(b, "state", g->state == BAG_DRAWN ? "drawn" : "open");
    proto_json_int(b, "winners_wanted", g->winners);
    proto_json_cstr(b, "commit", g->commit);
    if (g->state == BAG_DRAWN) {
        proto_json_cstr(b, "seed", g->seed_hex);
        proto_json_arr_begin(b, "winners");
        for (size_t i = 0; i < g->n_winners; i++)
            proto_json_cstr(b, NULL, g->winner_uids[i]);
        proto_json_arr_end(b);
    }
    proto_json_int(b, "ends_at", g->ends_at);
    proto_json_arr_begin(b, "participants");
    for (size_t i = 0; i < n; i++)
        proto_json_cstr(b, NULL, list[i]);
    proto_json_arr_end(b);
    proto_json_obj_end(b);
    pthread_mutex_unlock(&r->lock);
    for (size_t i = 0; i < c.n; i++)
        free(c.v[i]);
    free(c.v);
    return 200;
}

void gw_bag_room_closed(struct gw_room *r, struct gw_worker *w)
{
    /* Its participants are owed their draw: written, then announced to whoever is still
     * connected (before their 4100). */
    if (r->bag && r->bag->state == BAG_OPEN)
        draw_begin(w, r, r->bag);
    if (r->bag && r->bag->state == BAG_DRAWN) {
        gw_bag_free(r->bag);
        r->bag = NULL;
    }
}

/* ---- restart: the loader ------------------------------------------------------------- */

static const char *hget(const redisReply *h, const char *field)
{
    for (size_t i = 0; h && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2)
        if (h->element[i]->type == REDIS_REPLY_STRING && strcmp(h->element[i]->str, field) == 0)
            return h->element[i + 1]->type == REDIS_REPLY_STRING ? h->element[i + 1]->str : NULL;
    return NULL;
}

static int64_t hget_i64(const redisReply *h, const char *field)
{
    const char *s = hget(h, field);
    return s ? strtoll(s, NULL, 10) : 0;
}

/* Rebuilds one open bag "<room>:<bag>" from Redis. Returns 0 (installed, or nothing to
 * restore), -1 on a Redis failure. */
static int load_one(struct gw_server *srv, redisContext *rc, const char *member)
{
    char room[PROTO_ID_MAX + 1], key[160];
    const char *colon = strchr(member, ':'), *s;
    redisReply *h, *p;
    struct gw_bag *b;
    struct gw_room *r;

    if (!colon || (size_t)(colon - member) > PROTO_ID_MAX)
        return 0;
    memcpy(room, member, (size_t)(colon - member));
    room[colon - member] = 0;
    key_bag(key, sizeof(key), room, colon + 1);
    h = redisCommand(rc, "HGETALL %s", key);
    if (!h)
        return -1;
    s = hget(h, "state");
    if (!s || strcmp(s, "open") != 0 || !hget(h, "seed") || !hget(h, "keyword")) {
        freeReplyObject(h);
        return 0; /* drawn (the set is cleaned by the draw script) or not ours */
    }
    b = bag_new(srv);
    gw_strlcpy(b->id, colon + 1, sizeof(b->id));
    b->prize = gw_xstrdup(hget(h, "prize") ? hget(h, "prize") : "");
    b->keyword = gw_xstrdup(hget(h, "keyword"));
    b->winners = (int32_t)hget_i64(h, "winners");
    b->duration_s = hget_i64(h, "duration");
    b->min_watch_ms = hget_i64(h, "min_watch") * 1000;
    b->started_ms = hget_i64(h, "started");
    b->ends_at = hget_i64(h, "ends_at");
    b->not_won_today = hget_i64(h, "not_won_today") != 0;
    b->require = (uint8_t)hget_i64(h, "require");
    if (b->winners < 1 ||
        !proto_draw_hex_parse(hget(h, "seed"), strlen(hget(h, "seed")), b->seed)) {
        gw_err("bag %s: its record in Redis is damaged; not restored", member);
        freeReplyObject(h);
        gw_bag_free(b);
        return 0;
    }
    freeReplyObject(h);
    proto_draw_commit(b->seed, b->commit);
    proto_draw_hex(b->seed, b->seed_hex);
    key_joined(key, sizeof(key), room, b->id);
    p = redisCommand(rc, "SMEMBERS %s", key);
    if (!p || p->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(p);
        gw_bag_free(b);
        return -1;
    }
    for (size_t i = 0; i < p->elements; i++) {
        if (p->element[i]->type == REDIS_REPLY_STRING)
            *gw_strmap_put(&b->joined, p->element[i]->str, NULL) = (void *)(uintptr_t)JOIN_DURABLE;
    }
    freeReplyObject(p);

    r = gw_rooms_get(&srv->rooms, room, true);
    pthread_mutex_lock(&r->lock);
    if (r->bag && r->bag->state != BAG_DRAWN) {
        pthread_mutex_unlock(&r->lock);
        gw_bag_free(b);
        return 0;
    }
    gw_bag_free(r->bag);
    r->bag = b;
    atomic_store_explicit(&r->bag_count, b->joined.count, memory_order_relaxed);
    atomic_store_explicit(&r->bag_open_serial, b->serial, memory_order_relaxed);
    pthread_mutex_unlock(&r->lock);
    gw_info("bag %s restored: %llu participants, ends in %lld s", member,
            (unsigned long long)b->joined.count, (long long)((b->ends_at - gw_now_ms()) / 1000));
    return 0;
}

static int load_all(struct gw_server *srv)
{
    const struct gw_config *cfg = &srv->cfg;
    struct timeval tv = {2, 0};
    redisContext *rc = redisConnectWithTimeout(cfg->redis_host, cfg->redis_port, tv);
    redisReply *set, *won;
    int rcode = 0;
    int today = day_of(gw_now_ms());

    if (!rc || rc->err) {
        if (rc)
            redisFree(rc);
        return -1;
    }
    redisSetTimeout(rc, tv);
    won = redisCommand(rc, "SMEMBERS lg:wins:%d", today);
    if (!won || won->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(won);
        redisFree(rc);
        return -1;
    }
    pthread_mutex_lock(&srv->bags.won_lock);
    for (size_t i = 0; i < won->elements; i++)
        if (won->element[i]->type == REDIS_REPLY_STRING)
            *gw_strmap_put(&srv->bags.won, won->element[i]->str, NULL) = (void *)(intptr_t)today;
    pthread_mutex_unlock(&srv->bags.won_lock);
    freeReplyObject(won);
    set = redisCommand(rc, "SMEMBERS lg:bags");
    if (!set || set->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(set);
        redisFree(rc);
        return -1;
    }
    for (size_t i = 0; i < set->elements && rcode == 0; i++)
        if (set->element[i]->type == REDIS_REPLY_STRING)
            rcode = load_one(srv, rc, set->element[i]->str);
    freeReplyObject(set);
    redisFree(rc);
    return rcode;
}

static void *loader_main(void *arg)
{
    struct gw_server *srv = arg;
    int backoff = LOAD_BACKOFF_MIN_MS;

    /* relaxed: a stop request; nothing else is read through it. */
    while (!atomic_load_explicit(&srv->bags.stopping, memory_order_relaxed)) {
        uint64_t tries;
        if (load_all(srv) == 0) {
            /* release: every bag installed above is visible to whoever sees `loaded`. */
            atomic_store_explicit(&srv->bags.loaded, true, memory_order_release);
            return NULL;
        }
        /* relaxed: a statistic. */
        tries = atomic_fetch_add_explicit(&srv->bags.load_retries, 1, memory_order_relaxed);
        if (tries == 0 || tries % 20 == 0)
            gw_warn("bags: cannot load from redis %s:%d; lucky bags are unavailable until it "
                    "answers (retrying)",
                    srv->cfg.redis_host, srv->cfg.redis_port);
        for (int slept = 0;
             slept < backoff && !atomic_load_explicit(&srv->bags.stopping, memory_order_relaxed);
             slept += 50)
            nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
        backoff = backoff * 2 > LOAD_BACKOFF_MAX_MS ? LOAD_BACKOFF_MAX_MS : backoff * 2;
    }
    return NULL;
}

void gw_bags_start(struct gw_server *srv)
{
    if (pthread_create(&srv->bags.loader, NULL, loader_main, srv) != 0) {
        gw_err("bags: cannot start the loader thread: lucky bags are off");
        return;
    }
    srv->bags.loader_started = true;
}

void gw_bags_stop(struct gw_server *srv)
{
    atomic_store_explicit(&srv->bags.stopping, true, memory_order_relaxed);
    if (srv->bags.loader_started)
        pthread_join(srv->bags.loader, NULL);
    srv->bags.loader_started = false;
}

void gw_bags_fini(struct gw_server *srv)
{
    gw_strmap_fini(&srv->bags.won);
    pthread_mutex_destroy(&srv->bags.won_lock);
}
