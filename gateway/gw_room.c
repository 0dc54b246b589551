/* gw_room.c: room registry and the publish side of fan-out (any worker thread). */
#include "gw_room.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_bag.h"
#include "gw_fanout.h"
#include "gw_live.h"
#include "gw_server.h"
#include "gw_util.h"
#include "gw_wecom.h"

/* ---- message vectors -------------------------------------------------------------- */

void gw_msgvec_push(struct gw_msgvec *v, struct gw_msg *m)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->v = gw_xrealloc(v->v, v->cap * sizeof(*v->v));
    }
    v->v[v->n++] = m;
}

void gw_msgvec_clear(struct gw_msgvec *v)
{
    for (uint32_t i = 0; i < v->n; i++)
        gw_msg_unref(v->v[i]);
    v->n = 0;
}

void gw_msgvec_fini(struct gw_msgvec *v)
{
    gw_msgvec_clear(v);
    free(v->v);
    v->v = NULL;
    v->cap = 0;
}

/* ---- registry --------------------------------------------------------------------- */

void gw_rooms_init(struct gw_rooms *rs, struct gw_server *srv, int nshards, uint32_t replay_cap,
                   int comment_rate)
{
    rs->srv = srv;
    pthread_mutex_init(&rs->lock, NULL);
    gw_strmap_init(&rs->by_id);
    rs->nshards = nshards;
    rs->replay_cap = replay_cap;
    rs->comment_rate = comment_rate;
}

/* The trust index with the gateway's thresholds (gw_trust.h explains them). */
static void room_trust_init(struct gw_room *r)
{
    const struct gw_config *cfg = &r->srv->cfg;
    struct gw_trust_config tc;

    gw_trust_config_defaults(&tc);
    tc.window_s = (unsigned)cfg->trust_window_s;
    tc.warmup_s = (unsigned)cfg->trust_warmup_s;
    tc.sustain_s = (unsigned)cfg->trust_sustain_s;
    tc.cooldown_s = (unsigned)cfg->trust_cooldown_s;
    tc.min_online = (unsigned)cfg->trust_min_online;
    tc.min_score = cfg->trust_min_score;
    tc.factor = cfg->trust_factor_pct / 100.0;
    if (gw_trust_init(&r->trust, &tc) < 0)
        gw_trust_init(&r->trust, NULL); /* the options are range-checked: not reached */
}

static struct gw_room *room_create(struct gw_rooms *rs, const char *id)
{
    struct gw_room *r = gw_xcalloc(1, sizeof(*r) + (size_t)rs->nshards * sizeof(r->shards[0]));

    gw_strlcpy(r->id, id, sizeof(r->id));
    r->srv = rs->srv;
    pthread_mutex_init(&r->lock, NULL);
    r->replay_cap = rs->replay_cap;
    r->replay = gw_xcalloc(r->replay_cap, sizeof(*r->replay));
    gw_audience_init(&r->audience);
    gw_strmap_init(&r->mutes);
    gw_bucket_init(&r->sampling, rs->comment_rate, rs->comment_rate, gw_mono_ms());
    room_trust_init(r);
    r->nshards = rs->nshards;
    for (int i = 0; i < rs->nshards; i++) {
        struct gw_shard *s = &r->shards[i];
        s->room = r;
        s->widx = i;
        atomic_init(&s->dirty, false);
        atomic_init(&s->active_hint, false);
    }
    return r;
}

static void room_destroy(struct gw_room *r)
{
    for (uint32_t i = 0; i < r->replay_cap; i++)
        gw_msg_unref(r->replay[i]);
    free(r->replay);
    for (int i = 0; i < r->nshards; i++) {
        gw_msgvec_fini(&r->shards[i].inbox);
        gw_fanout_shard_fini(&r->shards[i]);
    }
    gw_audience_fini(&r->audience);
    gw_strmap_fini(&r->mutes);
    gw_bag_free(r->bag);
    free(r->prompt_title);
    free(r->prompt_hook);
    free(r->prompt_link);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static void destroy_each(const char *key, void *val, void *arg)
{
    room_destroy(val);
}

void gw_rooms_fini(struct gw_rooms *rs)
{
    gw_strmap_each(&rs->by_id, destroy_each, NULL);
    gw_strmap_fini(&rs->by_id);
    pthread_mutex_destroy(&rs->lock);
}

struct gw_room *gw_rooms_get(struct gw_rooms *rs, const char *id, bool create)
{
    struct gw_room *r = NULL;
    void **slot;

    pthread_mutex_lock(&rs->lock);
    if (create) {
        bool created;
        slot = gw_strmap_put(&rs->by_id, id, &created);
        if (created)
            *slot = room_create(rs, id);
        r = *slot;
    } else {
        slot = gw_strmap_get(&rs->by_id, id);
        r = slot ? *slot : NULL;
    }
    pthread_mutex_unlock(&rs->lock);
    return r;
}

size_t gw_rooms_count(struct gw_rooms *rs)
{
    size_t n;
    pthread_mutex_lock(&rs->lock);
    n = rs->by_id.count;
    pthread_mutex_unlock(&rs->lock);
    return n;
}

/* ---- publishing ------------------------------------------------------------------- */

/* Under r->lock: keeps m for replay when it has a seq, hands a reference to every
 * active shard and marks them dirty. Consumes the caller's reference. */
static void room_commit(struct gw_room *r, struct gw_worker *w, struct gw_msg *m)
{
    if (m->seq) {
        struct gw_msg **slot = &r->replay[m->seq % r->replay_cap];
        gw_msg_unref(*slot);
        *slot = gw_msg_ref(m);
    }
    for (int i = 0; i < r->nshards; i++) {
        struct gw_shard *s = &r->shards[i];
        if (!s->active)
            continue;
        gw_msgvec_push(&s->inbox, gw_msg_ref(m));
        gw_worker_mark_dirty(w->srv, s);
    }
    gw_msg_unref(m);
}

void gw_room_commit_locked(struct gw_room *r, struct gw_worker *w, struct gw_msg *m)
{
    room_commit(r, w, m);
}

void gw_room_commit_msg(struct gw_room *r, struct gw_worker *w, struct gw_msg *m)
{
    pthread_mutex_lock(&r->lock);
    room_commit(r, w, m);
    pthread_mutex_unlock(&r->lock);
}

void gw_room_reset_session(struct gw_room *r, struct gw_worker *w)
{
    (void)w;
    gw_audience_fini(&r->audience);
    gw_audience_init(&r->audience);
    /* Everyone still connected is closing with 4100 and leaves no record behind: their
     * leave finds no record, and they no longer count as online. */
    r->has_card = false;
    gw_bag_room_closed(r, w);
    room_trust_init(r);
    memset(r->trust_seen, 0, sizeof(r->trust_seen));
    r->waves = 0;
    r->empty_since_ms = 0;
    r->session++;
    /* relaxed: display counters, written under the room lock. */
    atomic_store_explicit(&r->likes, 0, memory_order_relaxed);
    atomic_store_explicit(&r->comments, 0, memory_order_relaxed);
    atomic_store_explicit(&r->comments_shown, 0, memory_order_relaxed);
    atomic_store_explicit(&r->card_clicks, 0, memory_order_relaxed);
    atomic_store_explicit(&r->orders_placed, 0, memory_order_relaxed);
    atomic_store_explicit(&r->bag_joins, 0, memory_order_relaxed);
    atomic_store_explicit(&r->peak_online, 0, memory_order_relaxed);
    atomic_store_explicit(&r->online, 0, memory_order_relaxed);
}

enum gw_comment_result gw_room_comment(struct gw_room *r, struct gw_worker *w, const char *uid,
                                       const char *nick, const char *text, bool is_host,
                                       struct gw_msg **own)
{
    struct proto_buf *b = gw_worker_enc(w);
    enum gw_comment_result res;
    struct gw_msg *m;
    char id[24];
    bool shown;
    void **mute;
    int64_t now = gw_now_ms();

    *own = NULL;
    pthread_mutex_lock(&r->lock);
    mute = gw_strmap_get(&r->mutes, uid);
    if (mute && (int64_t)(intptr_t)*mute > now) {
        pthread_mutex_unlock(&r->lock);
        return GW_COMMENT_MUTED;
    }
    shown = is_host || gw_bucket_take(&r->sampling, 1, gw_mono_ms());
    r->comment_ids++;
    snprintf(id, sizeof(id), "%" PRIu64, r->comment_ids);
    proto_enc_comment(b, shown ? r->seq + 1 : 0, id, uid, nick ? nick : uid, text, now);
    if (!is_host)
        gw_audience_engage(&r->audience, uid, GW_ENGAGE_COMMENT);
    if (shown) {
        m = gw_msg_create(b, GW_MSG_COMMENT, ++r->seq);
        res = GW_COMMENT_SHOWN;
    } else {
        /* Above the readable rate: no room seq (it is not a room-wide broadcast); hosts
         * still see it and so does its author. */
        m = gw_msg_create(b, GW_MSG_HOST_ONLY, 0);
        *own = gw_msg_ref(m);
        res = GW_COMMENT_SAMPLED;
    }
    m->comment_id = r->comment_ids;
    gw_strlcpy(m->author, uid, sizeof(m->author));
    room_commit(r, w, m);
    pthread_mutex_unlock(&r->lock);

    /* relaxed: statistics only. */
    atomic_fetch_add_explicit(&r->comments, 1, memory_order_relaxed);
    if (shown)
        atomic_fetch_add_explicit(&r->comments_shown, 1, memory_order_relaxed);
    else
        gw_count(&w->m.dropped_sampled, 1);
    return res;
}

void gw_room_card(struct gw_room *r, struct gw_worker *w, const struct proto_card *card)
{
    struct proto_buf *b = gw_worker_enc(w);

    pthread_mutex_lock(&r->lock);
    proto_enc_card(b, r->seq + 1, card);
    r->has_card = card != NULL;
    if (card)
        r->card = *card;
    room_commit(r, w, gw_msg_create(b, GW_MSG_EVENT, ++r->seq));
    pthread_mutex_unlock(&r->lock);
}

void gw_room_event(struct gw_room *r, struct gw_worker *w, enum gw_msg_kind kind, bool with_seq,
                   void (*enc)(struct proto_buf *b, uint64_t seq, void *arg), void *arg)
{
    struct proto_buf *b = gw_worker_enc(w);
    uint64_t seq;

    pthread_mutex_lock(&r->lock);
    seq = with_seq ? r->seq + 1 : 0;
    enc(b, seq, arg);
    if (with_seq)
        r->seq = seq;
    room_commit(r, w, gw_msg_create(b, kind, seq));
    pthread_mutex_unlock(&r->lock);
}

void gw_room_notice(struct gw_room *r, struct gw_worker *w, const char *text)
{
    struct proto_buf *b = gw_worker_enc(w);

    pthread_mutex_lock(&r->lock);
    proto_enc_notice(b, r->seq + 1, NULL, text);
    room_commit(r, w, gw_msg_create(b, GW_MSG_EVENT, ++r->seq));
    pthread_mutex_unlock(&r->lock);
}

int gw_room_delete_comment(struct gw_room *r, struct gw_worker *w, const char *id)
{
    struct proto_buf *b = gw_worker_enc(w);
    char *end;
    unsigned long long cid = strtoull(id, &end, 10);

    if (*end || !cid)
        return -1;
    pthread_mutex_lock(&r->lock);
    if (cid > r->comment_ids) {
        pthread_mutex_unlock(&r->lock);
        return -1;
    }
    /* A deleted comment leaves the replay log, so a resuming viewer never sees it. */
    for (uint32_t i = 0; i < r->replay_cap; i++) {
        struct gw_msg *m = r->replay[i];
        if (m && m->comment_id == cid) {
            gw_msg_unref(m);
            r->replay[i] = NULL;
            break;
        }
    }
    proto_enc_comment_deleted(b, r->seq + 1, id);
    room_commit(r, w, gw_msg_create(b, GW_MSG_EVENT, ++r->seq));
    pthread_mutex_unlock(&r->lock);
    return 0;
}

void gw_room_mute(struct gw_room *r, const char *uid, int64_t secs)
{
    pthread_mutex_lock(&r->lock);
    if (secs <= 0)
        gw_strmap_del(&r->mutes, uid);
    else
        *gw_strmap_put(&r->mutes, uid, NULL) = (void *)(intptr_t)(gw_now_ms() + secs * 1000);
    pthread_mutex_unlock(&r->lock);
}

bool gw_room_is_muted(struct gw_room *r, const char *uid)
{
    void **slot;
    bool muted;

    pthread_mutex_lock(&r->lock);
    slot = gw_strmap_get(&r->mutes, uid);
    muted = slot && (int64_t)(intptr_t)*slot > gw_now_ms();
    pthread_mutex_unlock(&r->lock);
    return muted;
}

void gw_room_touch(struct gw_room *r)
{
    for (int i = 0; i < r->nshards; i++) {
        struct gw_shard *s = &r->shards[i];
        /* relaxed: a stale hint only delays a coalesced update by one join, which
         * flushes the shard anyway. */
        if (atomic_load_explicit(&s->active_hint, memory_order_relaxed))
            gw_worker_mark_dirty(r->srv, s);
    }
}

void gw_room_like(struct gw_room *r, const char *uid, uint32_t n)
{
    /* relaxed: the total is a counter; the tick reads whatever value is current. */
    atomic_fetch_add_explicit(&r->likes, n, memory_order_relaxed);
    if (uid) {
        pthread_mutex_lock(&r->lock);
        gw_audience_likes(&r->audience, uid, n);
        pthread_mutex_unlock(&r->lock);
    }
    gw_room_touch(r);
}

void gw_room_engage(struct gw_room *r, const char *uid, enum gw_engage what)
{
    if (what == GW_ENGAGE_CLICK)
        /* relaxed: a statistic. */
        atomic_fetch_add_explicit(&r->card_clicks, 1, memory_order_relaxed);
    pthread_mutex_lock(&r->lock);
    gw_audience_engage(&r->audience, uid, what);
    pthread_mutex_unlock(&r->lock);
}

void gw_room_order(struct gw_room *r, const char *uid, const void *order)
{
    /* relaxed: a statistic (the trust index reads it once a second). */
    atomic_fetch_add_explicit(&r->orders_placed, 1, memory_order_relaxed);
    pthread_mutex_lock(&r->lock);
    gw_audience_order(&r->audience, uid, order);
    pthread_mutex_unlock(&r->lock);
}

void gw_room_wecom_report(struct gw_room *r, const char *uid, enum gw_wecom_report what)
{
    pthread_mutex_lock(&r->lock);
    gw_audience_wecom(&r->audience, uid, what);
    pthread_mutex_unlock(&r->lock);
}

void gw_room_wecom_push(struct gw_room *r, struct gw_worker *w, const char *title, const char *hook,
                        const char *link, bool manual)
{
    struct proto_buf *b = gw_worker_enc(w);
    char prompt[24], full[GW_WECOM_LINK_MAX];
    struct gw_msg *m;

    /* The store attributes each add by the link's `state` (at most 30 characters) that
     * names the room (gw_wecom.h). A link that cannot carry it is sent as given. */
    if (gw_wecom_link(link, r->id, full, sizeof(full)) < 0)
        gw_strlcpy(full, link, sizeof(full));
    pthread_mutex_lock(&r->lock);
    snprintf(prompt, sizeof(prompt), "p%" PRIu64, ++r->prompt_ids);
    proto_enc_wecom(b, prompt, title, hook, full);
    m = gw_msg_create(b, manual ? GW_MSG_PROMPT : GW_MSG_PROMPT_AUTO, 0);
    m->comment_id = r->prompt_ids; /* the prompt's number, for per-uid waves */
    room_commit(r, w, m);
    pthread_mutex_unlock(&r->lock);
}

void gw_room_describe(struct gw_room *r, struct proto_buf *b)
{
    struct proto_card card;
    struct proto_buf funnel;
    bool has_card;
    uint64_t seq;

    proto_buf_init(&funnel, 0);
    pthread_mutex_lock(&r->lock);
    seq = r->seq;
    has_card = r->has_card;
    if (has_card)
        card = r->card;
    /* The funnel walks every viewer record: O(viewers), for an operator's request. */
    proto_json_obj_begin(&funnel);
    gw_audience_describe(&r->audience, gw_now_ms(), &funnel);
    pthread_mutex_unlock(&r->lock);

    proto_json_obj_begin(b);
    proto_json_cstr(b, "room", r->id);
    proto_json_uint(b, "seq", seq);
    proto_json_uint(b, "online", atomic_load_explicit(&r->online, memory_order_relaxed));
    proto_json_uint(b, "peak_online", atomic_load_explicit(&r->peak_online, memory_order_relaxed));
    /* The funnel's members, spliced in without its braces. */
    if (funnel.len > 1) {
        proto_buf_append(b, ",", 1);
        proto_buf_append(b, proto_buf_data(&funnel) + 1, funnel.len - 1);
    }
    proto_buf_fini(&funnel);
    proto_json_uint(b, "likes", atomic_load_explicit(&r->likes, memory_order_relaxed));
    proto_json_uint(b, "comments", atomic_load_explicit(&r->comments, memory_order_relaxed));
    proto_json_uint(b, "comments_shown",
                    atomic_load_explicit(&r->comments_shown, memory_order_relaxed));
    proto_json_uint(b, "card_clicks", atomic_load_explicit(&r->card_clicks, memory_order_relaxed));
    proto_json_uint(b, "bag_joins", atomic_load_explicit(&r->bag_joins, memory_order_relaxed));
    gw_sales_describe(r->srv, r, b);
    gw_bag_describe(r, b);
    proto_enc_card_value(b, "card", has_card ? &card : NULL);
    gw_live_describe(r, b);
    proto_json_obj_end(b);
}
