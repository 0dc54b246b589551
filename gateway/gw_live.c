/* gw_live.c: the per-second room loop, trust waves, room close and CRM records (see
 * gw_live.h). */
#include "gw_live.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_bag.h"
#include "gw_kv.h"
#include "gw_log.h"
#include "gw_room.h"
#include "gw_server.h"
#include "gw_trust.h"
#include "gw_util.h"

#define CRM_BATCH     500 /* records per EVAL */
#define CRM_FIELDS    13  /* values per record in the script's ARGV */
#define FUNNEL_MS     10000
#define CRM_RETRY_MAX 100 /* attempts before a batch is given up (logged) */

/* One EVAL of CRM records, kept until Redis took it. */
struct gw_crm_batch {
    struct gw_crm_batch *next;
    struct gw_server *srv;
    int argc;
    char **argv; /* owned */
    int attempts;
    uint32_t records;
};

static const char crm_script[] =
    "local room, session = ARGV[1], ARGV[2] "
    "for i = 3, #ARGV, 13 do "
    "  local buyer = tonumber(ARGV[i + 5]) > 0 and '1' or '0' "
    "  redis.call('XADD', KEYS[1], 'MAXLEN', '~', '1000000', '*', 'room', room, "
    "    'session', session, 'uid', ARGV[i], 'watch_s', ARGV[i + 1], "
    "    'comments', ARGV[i + 2], 'likes', ARGV[i + 3], 'clicks', ARGV[i + 4], "
    "    'orders', ARGV[i + 5], 'buyer', buyer, 'paid', ARGV[i + 6], "
    "    'bag_joins', ARGV[i + 7], 'wecom_prompted', ARGV[i + 8], "
    "    'wecom_added', ARGV[i + 9], 'from', ARGV[i + 10], 'first_seen', ARGV[i + 11], "
    "    'engagement', ARGV[i + 12]) "
    "  if buyer == '0' then redis.call('ZADD', KEYS[2], ARGV[i + 12], ARGV[i]) end "
    "end "
    "return 1";

/* ---- CRM batches ---------------------------------------------------------------------- */

static void batch_free(struct gw_crm_batch *cb)
{
    for (int i = 0; i < cb->argc; i++)
        free(cb->argv[i]);
    free(cb->argv);
    free(cb);
}

static void batch_send(struct gw_worker *w, struct gw_crm_batch *cb);

/* A failed batch goes to worker 0, which retries it every second. */
static void batch_failed(struct gw_worker *w, struct gw_crm_batch *cb)
{
    struct gw_live *l = &w->srv->live;
    struct gw_crm_batch *head;

    if (++cb->attempts >= CRM_RETRY_MAX) {
        gw_err("crm: %u records of room %s could not be written after %d attempts; dropped",
               cb->records, cb->argv[5], cb->attempts);
        atomic_fetch_add_explicit(&l->crm_failures, cb->records, memory_order_relaxed);
        batch_free(cb);
        return;
    }
    /* relaxed: the CAS re-reads the head. */
    head = atomic_load_explicit(&l->handoff, memory_order_relaxed);
    do {
        cb->next = head;
        /* release: publishes the batch to worker 0's acquire exchange. */
    } while (!atomic_compare_exchange_weak_explicit(&l->handoff, &head, cb, memory_order_release,
                                                    memory_order_relaxed));
}

struct batch_call {
    struct gw_worker *w;
    struct gw_crm_batch *cb;
};

static void on_batch(void *arg, const struct redisReply *reply)
{
    struct batch_call *bc = arg;

    if (reply) {
        atomic_fetch_add_explicit(&bc->w->srv->live.crm_records, bc->cb->records,
                                  memory_order_relaxed);
        batch_free(bc->cb);
    } else {
        batch_failed(bc->w, bc->cb);
    }
    free(bc);
}

static void batch_send(struct gw_worker *w, struct gw_crm_batch *cb)
{
    struct batch_call *bc = gw_xmalloc(sizeof(*bc));

    bc->w = w;
    bc->cb = cb;
    if (gw_kv_cmd(w->kv, on_batch, bc, cb->argc, (const char **)cb->argv, NULL) < 0) {
        free(bc);
        batch_failed(w, cb);
    }
}

/* ---- closing a room ------------------------------------------------------------------- */

struct crm_build {
    struct gw_worker *w;
    struct gw_room *r;
    int64_t now, closed_at;
    struct gw_crm_batch *cur;
    struct gw_crm_batch *list; /* built batches, sent after the lock */
};

static char *fmt_u(uint64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
    return gw_xstrdup(tmp);
}

static struct gw_crm_batch *batch_new(struct crm_build *cb)
{
    struct gw_crm_batch *b = gw_xcalloc(1, sizeof(*b));
    char key[200];

    b->srv = cb->w->srv;
    b->argv = gw_xcalloc(8 + (size_t)CRM_BATCH * CRM_FIELDS, sizeof(char *));
    b->argv[b->argc++] = gw_xstrdup("EVAL");
    b->argv[b->argc++] = gw_xstrdup(crm_script);
    b->argv[b->argc++] = gw_xstrdup("2");
    b->argv[b->argc++] = gw_xstrdup("lg:crm");
    snprintf(key, sizeof(key), "lg:room:%s:followup", cb->r->id);
    b->argv[b->argc++] = gw_xstrdup(key);
    b->argv[b->argc++] = gw_xstrdup(cb->r->id);
    b->argv[b->argc++] = fmt_u((uint64_t)cb->closed_at);
    return b;
}

/* Engagement of a record, the follow-up score of a non-buyer: a comment 1, a card
 * click 2, a bag join 1, twenty likes 1, five minutes watched 1. */
static double engagement(const struct gw_viewer *v, int64_t watch_ms)
{
    return (double)v->comments + 2.0 * v->clicks + v->bag_joins + (double)v->likes / 20.0 +
           (double)watch_ms / 300000.0;
}

static void add_record(const char *uid, void *val, void *arg)
{
    struct crm_build *cb = arg;
    const struct gw_viewer *v = val;
    struct gw_crm_batch *b = cb->cur;
    int64_t watch = gw_audience_watch_ms(v, cb->now);
    char tmp[32];

    if (!b || b->records == CRM_BATCH) {
        b = batch_new(cb);
        b->next = cb->list;
        cb->list = b;
        cb->cur = b;
    }
    b->argv[b->argc++] = gw_xstrdup(uid);
    b->argv[b->argc++] = fmt_u((uint64_t)(watch / 1000));
    b->argv[b->argc++] = fmt_u(v->comments);
    b->argv[b->argc++] = fmt_u(v->likes);
    b->argv[b->argc++] = fmt_u(v->clicks);
    b->argv[b->argc++] = fmt_u(v->orders);
    b->argv[b->argc++] = fmt_u(v->paid);
    b->argv[b->argc++] = fmt_u(v->bag_joins);
    b->argv[b->argc++] = fmt_u(v->prompts ? 1 : 0);
    b->argv[b->argc++] = fmt_u(v->added ? 1 : 0);
    b->argv[b->argc++] = gw_xstrdup(v->from ? v->from : "");
    b->argv[b->argc++] = fmt_u((uint64_t)v->first_ms);
    snprintf(tmp, sizeof(tmp), "%.2f", engagement(v, watch));
    b->argv[b->argc++] = gw_xstrdup(tmp);
    b->records++;
}

/* Writes the closing figures of the session (funnel) next to the records. */
static void write_session(struct gw_worker *w, struct gw_room *r, int64_t closed_at,
                          const char *funnel, size_t len)
{
    char key[200], at[24];
    const char *argv[6];
    size_t lens[6];

    snprintf(key, sizeof(key), "lg:room:%s:sessions", r->id);
    snprintf(at, sizeof(at), "%" PRId64, closed_at);
    argv[0] = "HSET";
    argv[1] = key;
    argv[2] = at;
    argv[3] = funnel;
    for (int i = 0; i < 3; i++)
        lens[i] = strlen(argv[i]);
    lens[3] = len;
    gw_kv_cmd(w->kv, NULL, NULL, 4, argv, lens);
}

void gw_live_close(struct gw_worker *w, struct gw_room *r, const char *why)
{
    struct gw_server *srv = w->srv;
    struct crm_build cb = {.w = w, .r = r, .now = gw_now_ms()};
    struct proto_buf *enc, funnel;
    struct gw_msg *m;
    uint64_t viewers;

    cb.closed_at = cb.now;
    proto_buf_init(&funnel, 0);
    gw_room_describe(r, &funnel);

    pthread_mutex_lock(&r->lock);
    viewers = r->audience.by_uid.count;
    gw_strmap_each(&r->audience.by_uid, add_record, &cb);
    gw_room_reset_session(r, w); /* under the lock: a fresh session for the next viewers */
    /* Every connection of the room closes with 4100 after what it was sent. */
    enc = gw_worker_enc(w);
    proto_enc_notice(enc, 0, "room_closed", "the live has ended");
    m = gw_msg_create(enc, GW_MSG_CLOSE, 0);
    gw_room_commit_locked(r, w, m);
    pthread_mutex_unlock(&r->lock);

    for (struct gw_crm_batch *b = cb.list, *next; b; b = next) {
        next = b->next;
        b->next = NULL;
        batch_send(w, b);
    }
    write_session(w, r, cb.closed_at, (const char *)proto_buf_data(&funnel), funnel.len);
    proto_buf_fini(&funnel);
    atomic_fetch_add_explicit(&srv->live.closes, 1, memory_order_relaxed);
    gw_info("room %s closed (%s): %" PRIu64 " viewer records for the CRM", r->id, why, viewers);
}

/* ---- waves ------------------------------------------------------------------------------ */

void gw_live_set_prompt(struct gw_room *r, const char *title, const char *hook, const char *link)
{
    pthread_mutex_lock(&r->lock);
    free(r->prompt_title);
    free(r->prompt_hook);
    free(r->prompt_link);
    r->prompt_title = gw_xstrdup(title);
    r->prompt_hook = gw_xstrdup(hook);
    r->prompt_link = gw_xstrdup(link);
    pthread_mutex_unlock(&r->lock);
}

static void wave(struct gw_worker *w, struct gw_room *r, const char *why)
{
    const struct gw_config *cfg = &w->srv->cfg;
    char *title = NULL, *hook = NULL, *link = NULL;

    atomic_fetch_add_explicit(&w->srv->live.peaks, 1, memory_order_relaxed);
    pthread_mutex_lock(&r->lock);
    if (r->prompt_link) {
        title = gw_xstrdup(r->prompt_title);
        hook = gw_xstrdup(r->prompt_hook);
        link = gw_xstrdup(r->prompt_link);
    } else if (cfg->wecom_link[0]) {
        title = gw_xstrdup(cfg->wecom_title);
        hook = gw_xstrdup(cfg->wecom_hook);
        link = gw_xstrdup(cfg->wecom_link);
    }
    if (link)
        r->waves++;
    pthread_mutex_unlock(&r->lock);
    if (!link) {
        atomic_fetch_add_explicit(&w->srv->live.waves_no_link, 1, memory_order_relaxed);
        gw_info("room %s: trust peak (%s), but no WeCom link is configured: no wave", r->id, why);
        return;
    }
    gw_info("room %s: trust peak (%s): automatic WeCom wave", r->id, why);
    gw_room_wecom_push(r, w, title, hook, link, false);
    atomic_fetch_add_explicit(&w->srv->live.waves, 1, memory_order_relaxed);
    free(title);
    free(hook);
    free(link);
}

void gw_live_event(struct gw_worker *w, struct gw_room *r, enum gw_live_event ev)
{
    bool fire;

    pthread_mutex_lock(&r->lock);
    fire = gw_trust_event(
        &r->trust, ev == GW_LIVE_SOLD_OUT ? GW_TRUST_EVENT_SOLD_OUT : GW_TRUST_EVENT_BAG_DRAWN,
        gw_now_ms() / 1000);
    pthread_mutex_unlock(&r->lock);
    if (fire)
        wave(w, r, ev == GW_LIVE_SOLD_OUT ? "a sale sold out" : "a lucky bag was drawn");
}

/* ---- WeCom adds known to the store ------------------------------------------------------ */

struct known_call {
    struct gw_room *room;
    char uid[PROTO_ID_MAX + 1];
};

static void on_known(void *arg, const struct redisReply *reply)
{
    struct known_call *k = arg;

    if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1) {
        struct gw_viewer *v;
        pthread_mutex_lock(&k->room->lock);
        v = gw_audience_get(&k->room->audience, k->uid);
        if (v)
            v->known_added = true;
        pthread_mutex_unlock(&k->room->lock);
    }
    free(k);
}

void gw_live_viewer_new(struct gw_worker *w, struct gw_room *r, const char *uid)
{
    struct known_call *k = gw_xmalloc(sizeof(*k));
    const char *argv[3] = {"SISMEMBER", "lg:wecom:added", uid};

    k->room = r;
    gw_strlcpy(k->uid, uid, sizeof(k->uid));
    if (gw_kv_cmd(w->kv, on_known, k, 3, argv, NULL) < 0)
        free(k); /* Redis away: only the viewer's own reports count */
}

void gw_live_wecom_added(struct gw_worker *w, const char *uid)
{
    const char *argv[3] = {"SADD", "lg:wecom:added", uid};

    gw_kv_cmd(w->kv, NULL, NULL, 3, argv, NULL);
}

/* ---- the per-second loop (worker 0) ------------------------------------------------------ */

struct room_list {
    struct gw_room **v;
    size_t n, cap;
};

static void list_room(const char *key, void *val, void *arg)
{
    struct room_list *l = arg;

    (void)key;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = gw_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = val;
}

static void rooms_snapshot(struct gw_server *srv, struct room_list *l)
{
    pthread_mutex_lock(&srv->rooms.lock);
    gw_strmap_each(&srv->rooms.by_id, list_room, l);
    pthread_mutex_unlock(&srv->rooms.lock);
}

/* One second of room r: trust, then the idle close. */
static void room_second(struct gw_worker *w, struct gw_room *r, int64_t now)
{
    const struct gw_config *cfg = &w->srv->cfg;
    struct gw_trust_counters d;
    uint64_t cur[5];
    uint64_t online;
    bool fire, idle = false;

    /* relaxed: statistics, read once a second. */
    cur[0] = atomic_load_explicit(&r->comments, memory_order_relaxed);
    cur[1] = atomic_load_explicit(&r->likes, memory_order_relaxed);
    cur[2] = atomic_load_explicit(&r->card_clicks, memory_order_relaxed);
    cur[3] = atomic_load_explicit(&r->orders_placed, memory_order_relaxed);
    cur[4] = atomic_load_explicit(&r->bag_joins, memory_order_relaxed);
    online = atomic_load_explicit(&r->online, memory_order_relaxed);

    pthread_mutex_lock(&r->lock);
    /* A session reset sets the counters back to 0: count from there. */
    for (int i = 0; i < 5; i++)
        if (cur[i] < r->trust_seen[i])
            r->trust_seen[i] = 0;
    d.comments = cur[0] - r->trust_seen[0];
    d.likes = cur[1] - r->trust_seen[1];
    d.card_clicks = cur[2] - r->trust_seen[2];
    d.orders = cur[3] - r->trust_seen[3];
    d.bag_joins = cur[4] - r->trust_seen[4];
    memcpy(r->trust_seen, cur, sizeof(cur));
    fire = gw_trust_tick(&r->trust, now / 1000, &d, (uint32_t)online, NULL);
    if (online || r->audience.by_uid.count == 0 || r->bag_starting) {
        r->empty_since_ms = 0;
    } else if (!r->empty_since_ms) {
        r->empty_since_ms = now;
    } else if (cfg->room_idle_s && now - r->empty_since_ms >= (int64_t)cfg->room_idle_s * 1000) {
        idle = true;
        r->empty_since_ms = 0;
    }
    pthread_mutex_unlock(&r->lock);
    if (fire)
        wave(w, r, "engagement well above the room's baseline");
    if (idle)
        gw_live_close(w, r, "idle");
}

static void funnel_snapshot(struct gw_worker *w, struct gw_room *r)
{
    struct proto_buf b;
    char key[200], at[24];
    const char *argv[6];
    size_t lens[6];

    /* relaxed: statistics. */
    if (!atomic_load_explicit(&r->online, memory_order_relaxed))
        return; /* nobody here: the last snapshot (or the close) stands */
    proto_buf_init(&b, 0);
    gw_room_describe(r, &b);
    snprintf(key, sizeof(key), "lg:room:%s:funnel", r->id);
    snprintf(at, sizeof(at), "%" PRId64, gw_now_ms());
    argv[0] = "HSET";
    argv[1] = key;
    argv[2] = "json";
    argv[3] = (const char *)proto_buf_data(&b);
    argv[4] = "updated";
    argv[5] = at;
    for (int i = 0; i < 6; i++)
        lens[i] = i == 3 ? b.len : strlen(argv[i]); /* the JSON is not NUL-terminated */
    gw_kv_cmd(w->kv, NULL, NULL, 6, argv, lens);
    proto_buf_fini(&b);
}

void gw_live_worker_tick(struct gw_worker *w)
{
    struct gw_server *srv = w->srv;
    struct gw_live *l = &srv->live;
    struct room_list rooms = {0};
    struct gw_crm_batch *cb;
    bool funnel;
    int64_t now;

    if (w->idx != 0)
        return;
    now = gw_now_ms();
    if (now < l->next_tick_ms)
        return;
    l->next_tick_ms = now + 1000 - now % 1000;
    funnel = now >= l->next_funnel_ms;
    if (funnel)
        l->next_funnel_ms = now + FUNNEL_MS;

    rooms_snapshot(srv, &rooms);
    for (size_t i = 0; i < rooms.n; i++) {
        room_second(w, rooms.v[i], now);
        gw_bag_tick(w, rooms.v[i], now);
        if (funnel)
            funnel_snapshot(w, rooms.v[i]);
    }
    free(rooms.v);

    /* CRM batches that failed (here or on other workers): once a second. */
    /* acquire: pairs with batch_failed's release CAS. */
    cb = atomic_exchange_explicit(&l->handoff, NULL, memory_order_acquire);
    while (cb) {
        struct gw_crm_batch *next = cb->next;
        cb->next = NULL;
        batch_send(w, cb);
        cb = next;
    }
}

/* ---- figures -------------------------------------------------------------------------- */

void gw_live_describe(struct gw_room *r, struct proto_buf *b)
{
    struct gw_trust_status st;
    struct proto_buf d;
    uint64_t waves;
    char txt[48];
    int n;

    pthread_mutex_lock(&r->lock);
    st = *gw_trust_last(&r->trust);
    waves = r->waves;
    pthread_mutex_unlock(&r->lock);
    /* "trust": the index itself (a number, as the contract lists it); the details in
     * "trust_detail". */
    n = snprintf(txt, sizeof(txt), "%.2f", st.index);
    proto_json_raw(b, "trust", txt, (size_t)n);
    proto_buf_init(&d, 0);
    proto_json_obj_begin(&d);
    n = snprintf(txt, sizeof(txt), "%.2f", st.baseline);
    proto_json_raw(&d, "baseline", txt, (size_t)n);
    n = snprintf(txt, sizeof(txt), "%.2f", st.threshold);
    proto_json_raw(&d, "threshold", txt, (size_t)n);
    n = snprintf(txt, sizeof(txt), "%.2f", st.score);
    proto_json_raw(&d, "window_score", txt, (size_t)n);
    proto_json_bool(&d, "warm", st.warm);
    proto_json_bool(&d, "peak", st.peak);
    proto_json_uint(&d, "peak_run_s", st.run_s);
    proto_json_uint(&d, "waves", waves);
    proto_json_obj_end(&d);
    proto_json_raw(b, "trust_detail", (const char *)proto_buf_data(&d), d.len);
    proto_buf_fini(&d);
}

/* One room's funnel as Prometheus lines. */
static void room_metrics(struct gw_room *r, struct proto_buf *b)
{
    struct gw_audience *a = &r->audience;
    uint64_t v[11];
    static const char *const names[11] = {
        "online", "viewers",        "comments",    "likes",         "card_clicks", "orders",
        "buyers", "wecom_prompted", "wecom_shown", "wecom_clicked", "wecom_added",
    };
    char tmp[256];

    pthread_mutex_lock(&r->lock);
    v[1] = a->by_uid.count;
    v[6] = a->buyers;
    v[7] = a->prompted;
    v[8] = a->shown;
    v[9] = a->clicked;
    v[10] = a->added;
    pthread_mutex_unlock(&r->lock);
    /* relaxed: statistics. */
    v[0] = atomic_load_explicit(&r->online, memory_order_relaxed);
    v[2] = atomic_load_explicit(&r->comments, memory_order_relaxed);
    v[3] = atomic_load_explicit(&r->likes, memory_order_relaxed);
    v[4] = atomic_load_explicit(&r->card_clicks, memory_order_relaxed);
    v[5] = atomic_load_explicit(&r->orders_placed, memory_order_relaxed);
    for (int i = 0; i < 11; i++) {
        int n = snprintf(tmp, sizeof(tmp), "livegw_room_%s{room=\"%s\"} %" PRIu64 "\n", names[i],
                         r->id, v[i]);
        if (n > 0 && (size_t)n < sizeof(tmp))
            proto_buf_append(b, tmp, (size_t)n);
    }
}

void gw_live_metrics(struct gw_server *srv, struct proto_buf *b)
{
    struct gw_live *l = &srv->live;
    char tmp[256];
    int n;

    n = snprintf(tmp, sizeof(tmp),
                 "# TYPE livegw_trust_waves_total counter\nlivegw_trust_waves_total %" PRIu64
                 "\nlivegw_trust_peaks_total %" PRIu64 "\nlivegw_trust_peaks_no_link_total %" PRIu64
                 "\n",
                 atomic_load_explicit(&l->waves, memory_order_relaxed),
                 atomic_load_explicit(&l->peaks, memory_order_relaxed),
                 atomic_load_explicit(&l->waves_no_link, memory_order_relaxed));
    proto_buf_append(b, tmp, (size_t)n);
    n = snprintf(tmp, sizeof(tmp),
                 "livegw_room_closes_total %" PRIu64 "\nlivegw_crm_records_total %" PRIu64
                 "\nlivegw_crm_records_dropped_total %" PRIu64 "\n",
                 atomic_load_explicit(&l->closes, memory_order_relaxed),
                 atomic_load_explicit(&l->crm_records, memory_order_relaxed),
                 atomic_load_explicit(&l->crm_failures, memory_order_relaxed));
    proto_buf_append(b, tmp, (size_t)n);
    {
        struct room_list rooms = {0};
        rooms_snapshot(srv, &rooms);
        proto_buf_append(b, "# livegw_room_*: the room funnel, per room\n", 43);
        /* At most the first 1000 rooms: a label per room is fine for a store's rooms. */
        for (size_t i = 0; i < rooms.n && i < 1000; i++)
            room_metrics(rooms.v[i], b);
        free(rooms.v);
    }
}

void gw_live_fini(struct gw_server *srv)
{
    struct gw_crm_batch *cb =
        atomic_exchange_explicit(&srv->live.handoff, NULL, memory_order_acquire);
    while (cb) {
        struct gw_crm_batch *next = cb->next;
        gw_err("crm: %u records of room %s not written at exit", cb->records, cb->argv[5]);
        batch_free(cb);
        cb = next;
    }
}
