/* gw_fanout.c: batches, cursors and writes on the owning worker thread. */
#include "gw_fanout.h"

#include <stdlib.h>
#include <string.h>

#include "gw_bag.h"
#include "gw_live.h"
#include "gw_log.h"
#include "gw_sales.h"
#include "gw_server.h"
#include "gw_util.h"

static void batch_free(struct gw_batch *b)
{
    gw_msgvec_fini(&b->msgs);
    free(b);
}

/* Frees the batches every cursor has passed (all of them when nobody is left). */
static void shard_trim(struct gw_shard *s, uint64_t min_cursor)
{
    while (s->oldest && s->oldest->off + s->oldest->len <= min_cursor) {
        struct gw_batch *b = s->oldest;
        s->oldest = b->next;
        if (!s->oldest)
            s->newest = NULL;
        batch_free(b);
    }
}

static struct gw_batch *batch_at(struct gw_shard *s, uint64_t off)
{
    for (struct gw_batch *b = s->oldest; b; b = b->next)
        if (off >= b->off && off < b->off + b->len)
            return b;
    return NULL;
}

/* Queues for c the catch-up it needs when skipped from its cursor to the head: every
 * high-priority message in the batches it skips, then the current likes and online.
 * Returns -1 when that overflows its queue (c is then closing with 4009). */
static int skip_forward(struct gw_worker *w, struct gw_shard *s, struct gw_conn *c)
{
    uint64_t skipped = s->head - c->cursor;
    struct proto_buf *enc;

    for (struct gw_batch *b = batch_at(s, c->cursor); b; b = b->next)
        for (uint32_t i = 0; i < b->msgs.n; i++)
            if (gw_msg_is_high_for(b->msgs.v[i], c->uid)) {
                skipped -= b->msgs.v[i]->len;
                if (gw_conn_send(c, b->msgs.v[i]) < 0)
                    return -1;
            }
    c->cursor = s->head;
    gw_count(&w->m.lag_skips, 1);
    gw_count(&w->m.dropped_lag, skipped);

    for (int k = 0; k < 2; k++) {
        struct gw_msg *m;
        int rc;
        enc = gw_worker_enc(w);
        if (k == 0)
            proto_enc_likes(enc, s->sent_likes);
        else
            proto_enc_online(enc, s->sent_online);
        m = gw_msg_create(enc, GW_MSG_TARGETED, 0);
        rc = gw_conn_send(c, m);
        gw_msg_unref(m);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int write_stream(struct gw_worker *w, struct gw_conn *c);

/* Hands c its new stream bytes. A viewer that is caught up, has nothing queued and
 * nothing left in lws's buffer is written right now: one send, and no POLLOUT arming
 * and disarming (two epoll_ctl calls) around it. Anyone else waits for a writable
 * callback. (Not lws_send_pipe_choked: it costs a poll() per viewer; a full socket
 * makes lws keep the rest of this one write, and the next one waits.) */
static void deliver_now(struct gw_worker *w, struct gw_conn *c)
{
    if (c->want_write || c->close_code || c->q_head < c->q.n || !c->shard ||
        c->cursor >= c->shard->head || lws_partial_buffered(c->wsi)) {
        gw_conn_want_write(c);
        return;
    }
    if (write_stream(w, c) < 0) {
        /* The socket failed: let lws close it from its own loop. */
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    if (c->cursor < c->shard->head)
        gw_conn_want_write(c);
}

/* Sends prompt m to the shard's viewers it targets (gw_audience_may_prompt). */
static void prompt_viewers(struct gw_worker *w, struct gw_shard *s, struct gw_msg *m, bool manual)
{
    const struct gw_config *cfg = &w->srv->cfg;
    int64_t cooldown = (int64_t)cfg->wecom_cooldown_s * 1000;
    int64_t min_watch = (int64_t)cfg->wecom_min_watch_s * 1000;
    struct gw_room *r = s->room;
    int64_t now = gw_now_ms();

    pthread_mutex_lock(&r->lock);
    /* (No `continue` inside lws_start_foreach_dll: the advance is in its end macro.) */
    lws_start_foreach_dll(struct lws_dll2 *, d, lws_dll2_get_head(&s->viewers))
    {
        struct gw_conn *c = lws_container_of(d, struct gw_conn, shard_node);
        struct gw_viewer *v = c->role == PROTO_ROLE_VIEWER && !c->close_code
                                  ? gw_audience_get(&r->audience, c->uid)
                                  : NULL;
        /* Every connection of a uid chosen for this wave gets it (on any thread). */
        if (v && v->last_prompt != m->comment_id &&
            gw_audience_may_prompt(v, now, manual, cooldown, min_watch))
            gw_audience_prompted(&r->audience, v, m->comment_id, now);
        if (v && v->last_prompt == m->comment_id)
            gw_conn_send(c, m);
    }
    lws_end_foreach_dll(d);
    pthread_mutex_unlock(&r->lock);
}

/* Appends the events of `in` (consumed) to the shard stream as one batch, with the
 * coalesced state updates when `with_state` and they are due: state rides along free
 * with events, and a state-only batch (a write to every viewer) is made at most every
 * state-ms. Returns true when a state update is still pending. `seq` is the room seq
 * the shard has now taken everything up to. Nobody is written here. */
static bool shard_append(struct gw_worker *w, struct gw_shard *s, struct gw_msgvec *in,
                         uint64_t seq, bool with_state)
{
    struct gw_room *r = s->room;
    /* relaxed: display counters; any recent value is right. */
    uint64_t likes = atomic_load_explicit(&r->likes, memory_order_relaxed);
    uint64_t online = atomic_load_explicit(&r->online, memory_order_relaxed);
    uint64_t bag_serial = atomic_load_explicit(&r->bag_open_serial, memory_order_relaxed);
    uint64_t bag_count = atomic_load_explicit(&r->bag_count, memory_order_relaxed);
    bool bag_changed =
        bag_serial && (bag_serial != s->sent_bag_serial || bag_count != s->sent_bag_count);
    bool state_changed = likes != s->sent_likes || online != s->sent_online || bag_changed;
    size_t total = 0;
    struct gw_batch *b;
    unsigned char *p;
    uint32_t kept = 0;
    struct gw_msgvec later = {0};

    if (!s->viewers.count) {
        /* Nobody to deliver to (the last viewer left after the shard was marked, or
         * the first is joining: its welcome carries the current likes and online). */
        s->pulled_seq = seq;
        s->sent_likes = likes;
        s->sent_online = online;
        gw_msgvec_fini(in);
        return false;
    }

    /* Sampled-out comments go to the hosts only, WeCom prompts to the viewers they
     * target, as targeted messages. */
    for (uint32_t i = 0; i < in->n; i++) {
        struct gw_msg *m = in->v[i];
        if (kept && (m->kind == GW_MSG_PROMPT || m->kind == GW_MSG_PROMPT_AUTO ||
                     m->kind == GW_MSG_YOU_WON || m->kind == GW_MSG_CLOSE)) {
            /* Targeted messages go out before the stream: one that follows room events
             * (a bag's drawn broadcast, then its winners' you_won and the wave it fires;
             * the last events, then the close) waits for the next flush, so that those
             * events reach the viewers first. */
            gw_msgvec_push(&later, m);
            continue;
        }
        if (m->kind == GW_MSG_PROMPT || m->kind == GW_MSG_PROMPT_AUTO) {
            prompt_viewers(w, s, m, m->kind == GW_MSG_PROMPT);
            gw_msg_unref(m);
            continue;
        }
        if (m->kind == GW_MSG_YOU_WON) {
            gw_bag_you_won(w, r, &s->viewers, m);
            gw_msg_unref(m);
            continue;
        }
        if (m->kind == GW_MSG_CLOSE) {
            /* The room closed: everyone here gets what came before, the notice, 4100. */
            lws_start_foreach_dll(struct lws_dll2 *, d, lws_dll2_get_head(&s->viewers))
            {
                struct gw_conn *c = lws_container_of(d, struct gw_conn, shard_node);
                gw_conn_send(c, m);
                gw_conn_close(c, 4100, "room closed");
            }
            lws_end_foreach_dll(d);
            gw_msg_unref(m);
            continue;
        }
        if (m->kind == GW_MSG_HOST_ONLY) {
            lws_start_foreach_dll(struct lws_dll2 *, d, lws_dll2_get_head(&s->hosts))
            {
                gw_conn_send(lws_container_of(d, struct gw_conn, host_node), m);
            }
            lws_end_foreach_dll(d);
            gw_msg_unref(m);
            continue;
        }
        total += m->len;
        in->v[kept++] = m;
    }
    in->n = kept;
    s->pulled_seq = seq;
    if (later.n) {
        /* Back at the head of the inbox, before anything published since. */
        pthread_mutex_lock(&r->lock);
        for (uint32_t i = 0; i < s->inbox.n; i++)
            gw_msgvec_push(&later, s->inbox.v[i]);
        s->inbox.n = 0;
        gw_msgvec_fini(&s->inbox);
        s->inbox = later;
        pthread_mutex_unlock(&r->lock);
        gw_worker_mark_dirty(w->srv, s);
    }

    if (state_changed && with_state) {
        int64_t now = gw_mono_ms();
        if (in->n || now - s->state_at >= w->srv->cfg.state_ms) {
            /* The latest value wins, one frame each per batch at most. */
            struct proto_buf *enc;
            if (likes != s->sent_likes) {
                enc = gw_worker_enc(w);
                proto_enc_likes(enc, likes);
                gw_msgvec_push(in, gw_msg_create(enc, GW_MSG_STATE, 0));
                total += in->v[in->n - 1]->len;
                s->sent_likes = likes;
            }
            if (online != s->sent_online) {
                enc = gw_worker_enc(w);
                proto_enc_online(enc, online);
                gw_msgvec_push(in, gw_msg_create(enc, GW_MSG_STATE, 0));
                total += in->v[in->n - 1]->len;
                s->sent_online = online;
            }
            if (bag_changed) {
                char id[PROTO_ID_MAX + 1];
                uint64_t n;
                if (gw_bag_count_due(r, &s->sent_bag_serial, &s->sent_bag_count, id, &n)) {
                    enc = gw_worker_enc(w);
                    proto_enc_bag_count(enc, id, n);
                    gw_msgvec_push(in, gw_msg_create(enc, GW_MSG_STATE, 0));
                    total += in->v[in->n - 1]->len;
                }
            }
            s->state_at = now;
            state_changed = false;
        }
    }

    if (!in->n) {
        gw_msgvec_fini(in);
        return state_changed;
    }

    b = gw_xmalloc(sizeof(*b) + LWS_PRE + total);
    b->next = NULL;
    b->off = s->head;
    b->len = (uint32_t)total;
    b->nframes = in->n;
    b->msgs = *in;
    *in = (struct gw_msgvec){0};
    p = b->buf + LWS_PRE;
    for (uint32_t i = 0; i < b->msgs.n; i++) {
        memcpy(p, b->msgs.v[i]->data, b->msgs.v[i]->len);
        p += b->msgs.v[i]->len;
    }
    if (s->newest)
        s->newest->next = b;
    else
        s->oldest = b;
    s->newest = b;
    s->head += total;
    gw_count(&w->m.batches, 1);
    return state_changed;
}

/* Hands the shard's viewers what was appended since the last round: one write now for
 * those caught up, the others get theirs when writable. A round visits at most
 * deliver-slice viewers per call: in a big room one broadcast is a write to each of
 * thousands of viewers, and the loop must not hold the reads and order replies waiting
 * in it for all of them. Each visited viewer moves to the tail of the list, so the next
 * call goes on with the first one not visited. Returns true when the round is not
 * finished, or more was appended since it began. */
static bool shard_deliver(struct gw_worker *w, struct gw_shard *s)
{
    uint64_t max_lag = (uint64_t)w->srv->cfg.max_lag_kb * 1024;
    uint32_t budget = (uint32_t)w->srv->cfg.deliver_slice;

    if (!s->round_left) {
        if (s->head == s->delivered)
            return false;
        s->round_from = s->delivered;
        s->round_min = s->head;
        s->delivered = s->head;
        s->round_left = s->viewers.count;
    }
    /* Viewers who left during the round may make it visit some twice: harmless. */
    if (s->round_left > s->viewers.count)
        s->round_left = s->viewers.count;
    for (; s->round_left && budget; s->round_left--, budget--) {
        struct lws_dll2 *d = lws_dll2_get_head(&s->viewers);
        struct gw_conn *c = lws_container_of(d, struct gw_conn, shard_node);

        lws_dll2_remove(d);
        lws_dll2_add_tail(d, &s->viewers);
        /* A viewer closing as too slow holds no batches any more. */
        if (c->close_code == 4009)
            continue;
        /* Lag is what the viewer had not taken before this round: a caught-up viewer is
         * never skipped, however large one tick's batch is. A viewer that joined since
         * starts at or after `round_from`. */
        if (c->cursor < s->round_from && s->round_from - c->cursor > max_lag)
            skip_forward(w, s, c);
        if (c->cursor < s->head)
            deliver_now(w, c);
        if (c->close_code != 4009 && c->cursor < s->round_min)
            s->round_min = c->cursor;
    }
    if (s->round_left)
        return true;
    /* Everyone who joined during the round did at or after `delivered`, which bounds
     * round_min from above. */
    shard_trim(s, s->round_min);
    return s->head != s->delivered;
}

void gw_fanout_shard_fini(struct gw_shard *s)
{
    shard_trim(s, UINT64_MAX);
}

bool gw_fanout_flush(struct gw_worker *w, struct gw_shard *s)
{
    struct gw_room *r = s->room;
    struct gw_msgvec in;
    uint64_t seq;
    bool more;

    pthread_mutex_lock(&r->lock);
    in = s->inbox;
    s->inbox = (struct gw_msgvec){0};
    seq = s->active ? r->seq : s->pulled_seq;
    pthread_mutex_unlock(&r->lock);
    if (shard_append(w, s, &in, seq, true))
        gw_worker_mark_dirty(w->srv, s); /* state still due: look again next tick */
    more = shard_deliver(w, s);
    if (more)
        gw_worker_mark_dirty(w->srv, s);
    return more;
}

int gw_fanout_join(struct gw_worker *w, struct gw_room *r, struct gw_conn *c, bool has_since,
                   uint64_t since)
{
    struct gw_shard *s = &r->shards[w->idx];
    struct gw_msgvec in, replay = {0};
    struct proto_welcome wel;
    struct proto_card card;
    struct proto_buf *enc, bagj = {0};
    struct gw_msg *m;
    bool has_card, gap = false, online_changed = false, first, new_viewer = false;
    uint64_t seq, online;
    int rc = 0;

    proto_buf_reset(&w->enc2);
    pthread_mutex_lock(&r->lock);
    in = s->inbox;
    s->inbox = (struct gw_msgvec){0};
    seq = r->seq;
    if (!s->active) {
        s->active = true;
        /* relaxed: a hint for like marking; the lock orders everything else. */
        atomic_store_explicit(&s->active_hint, true, memory_order_relaxed);
    }
    c->session = r->session;
    if (c->role == PROTO_ROLE_VIEWER) {
        if (gw_audience_join(&r->audience, c->uid, c->from, gw_now_ms(), &new_viewer)->conns == 1) {
            uint64_t n = r->audience.online;
            /* relaxed: display counters, written under the room lock. */
            atomic_store_explicit(&r->online, n, memory_order_relaxed);
            if (n > atomic_load_explicit(&r->peak_online, memory_order_relaxed))
                atomic_store_explicit(&r->peak_online, n, memory_order_relaxed);
            online_changed = true;
        }
    }
    has_card = r->has_card;
    gw_sales_welcome(w->srv, r, &w->enc2);
    if (r->bag) {
        proto_buf_init(&bagj, 0);
        gw_bag_welcome(r, c->uid, &bagj);
    }
    if (has_card)
        card = r->card;
    if (has_since && since < seq) {
        uint64_t oldest = seq >= r->replay_cap ? seq - r->replay_cap + 1 : 1;
        uint64_t from = since + 1;
        if (from < oldest) {
            gap = true;
            from = oldest;
        }
        for (uint64_t q = from; q <= seq; q++) {
            struct gw_msg *e = r->replay[q % r->replay_cap];
            if (e && e->seq == q && gw_msg_is_high_for(e, c->uid))
                gw_msgvec_push(&replay, gw_msg_ref(e));
        }
    }
    pthread_mutex_unlock(&r->lock);

    /* Events still waiting for this shard are batched before the new viewer's cursor,
     * which so starts exactly after seq; the viewers already here get them at the
     * next tick, as they would have anyway (a join writes to nobody else). */
    if (in.n) {
        shard_append(w, s, &in, seq, false);
        gw_worker_mark_dirty(w->srv, s);
    } else {
        s->pulled_seq = seq;
    }
    if (online_changed)
        gw_room_touch(r);
    if (new_viewer)
        gw_live_viewer_new(w, r, c->uid); /* known to have added the store's WeCom? */

    c->shard = s;
    c->cursor = s->head;
    first = s->viewers.count == 0;
    lws_dll2_add_tail(&c->shard_node, &s->viewers);
    if (c->role != PROTO_ROLE_VIEWER)
        lws_dll2_add_tail(&c->host_node, &s->hosts);

    /* relaxed: display counters. */
    online = atomic_load_explicit(&r->online, memory_order_relaxed);
    enc = gw_worker_enc(w);
    memset(&wel, 0, sizeof(wel));
    wel.uid = c->uid;
    wel.room = r->id;
    wel.seq = seq;
    wel.online = online;
    wel.likes = atomic_load_explicit(&r->likes, memory_order_relaxed);
    if (first) {
        /* Its welcome is the shard's state so far: no update owed to anyone. */
        s->sent_online = wel.online;
        s->sent_likes = wel.likes;
    }
    wel.card = has_card ? &card : NULL;
    wel.sales_json = (const char *)proto_buf_data(&w->enc2);
    wel.sales_len = w->enc2.len;
    wel.role = proto_role_name(c->role);
    wel.bag_json = bagj.len ? (const char *)proto_buf_data(&bagj) : NULL;
    wel.bag_len = bagj.len;
    proto_enc_welcome(enc, &wel);
    proto_buf_fini(&bagj);
    m = gw_msg_create(enc, GW_MSG_TARGETED, 0);
    rc = gw_conn_send(c, m);
    gw_msg_unref(m);

    if (rc == 0 && gap) {
        enc = gw_worker_enc(w);
        proto_enc_notice(enc, 0, "replay_gap",
                         "you were away longer than the replay window: the welcome state is "
                         "current, some earlier events are not replayed");
        m = gw_msg_create(enc, GW_MSG_TARGETED, 0);
        rc = gw_conn_send(c, m);
        gw_msg_unref(m);
        gw_count(&w->m.replay_gaps, 1);
    }
    for (uint32_t i = 0; i < replay.n && rc == 0; i++) {
        rc = gw_conn_send(c, replay.v[i]);
        gw_count(&w->m.replayed, 1);
    }
    gw_msgvec_fini(&replay);
    return rc;
}

void gw_fanout_leave(struct gw_worker *w, struct gw_conn *c)
{
    struct gw_shard *s = c->shard;
    struct gw_room *r;
    struct gw_msgvec drop = {0};
    bool online_changed = false, empty;

    if (!s)
        return;
    r = s->room;
    lws_dll2_remove(&c->shard_node);
    if (c->role != PROTO_ROLE_VIEWER)
        lws_dll2_remove(&c->host_node);
    empty = s->viewers.count == 0;

    pthread_mutex_lock(&r->lock);
    /* A connection of a session that closed has no record in the new one. */
    if (c->role == PROTO_ROLE_VIEWER && c->session == r->session &&
        gw_audience_leave(&r->audience, c->uid, gw_now_ms())) {
        /* relaxed: display counter written under the room lock. */
        atomic_store_explicit(&r->online, r->audience.online, memory_order_relaxed);
        online_changed = true;
    }
    if (empty) {
        s->active = false;
        atomic_store_explicit(&s->active_hint, false, memory_order_relaxed);
        drop = s->inbox;
        s->inbox = (struct gw_msgvec){0};
    }
    pthread_mutex_unlock(&r->lock);

    gw_msgvec_fini(&drop);
    if (empty)
        shard_trim(s, UINT64_MAX);
    if (online_changed)
        gw_room_touch(r);
    c->shard = NULL;
}

/* Writes buf[0..len) (with LWS_PRE writable bytes before it) as pre-framed messages. */
static int raw_write(struct gw_worker *w, struct gw_conn *c, unsigned char *buf, size_t len,
                     uint32_t nframes)
{
    int n = lws_write(c->wsi, buf, len, LWS_WRITE_RAW);
    if (n < 0)
        return -1;
    gw_count(&w->m.writes, 1);
    gw_count(&w->m.bytes_out, len);
    gw_count(&w->m.msgs_out, nframes);
    return 0;
}

static void scratch_reserve(struct gw_worker *w, size_t need)
{
    if (need <= w->scratch_cap)
        return;
    while (w->scratch_cap < need)
        w->scratch_cap *= 2;
    free(w->scratch);
    w->scratch = gw_xmalloc(LWS_PRE + w->scratch_cap);
}

/* Appends to the scratch buffer, after its first len bytes, the stream bytes from c's
 * cursor that fit, and advances the cursor over them. Returns the new length. */
static size_t gather_stream(struct gw_worker *w, struct gw_conn *c, size_t len, uint32_t *nframes)
{
    unsigned char *p = w->scratch + LWS_PRE;

    if (!c->shard || c->cursor >= c->shard->head)
        return len;
    for (struct gw_batch *b = batch_at(c->shard, c->cursor); b; b = b->next) {
        size_t skip = (size_t)(c->cursor - b->off);
        if (len + b->len - skip > w->scratch_cap)
            break;
        memcpy(p + len, b->buf + LWS_PRE + skip, b->len - skip);
        len += b->len - skip;
        *nframes += b->nframes;
        c->cursor += b->len - skip;
    }
    return len;
}

void gw_fanout_reply(struct gw_worker *w, struct gw_conn *c, struct gw_msg *m)
{
    uint32_t nframes = 1;
    size_t len;

    /* Anything queued or a write pending: the reply takes its turn behind it. */
    if (c->want_write || c->close_code || c->q_head < c->q.n || m->len > w->scratch_cap ||
        lws_partial_buffered(c->wsi)) {
        gw_conn_send(c, m);
        return;
    }
    memcpy(w->scratch + LWS_PRE, m->data, m->len);
    len = gather_stream(w, c, m->len, &nframes);
    if (raw_write(w, c, w->scratch + LWS_PRE, len, nframes) < 0) {
        /* The socket failed: let lws close it from its own loop. */
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    if (c->shard && c->cursor < c->shard->head)
        gw_conn_want_write(c);
}

static int write_queue(struct gw_worker *w, struct gw_conn *c)
{
    size_t len = 0;
    uint32_t i = c->q_head, nframes = 0;
    unsigned char *p;

    scratch_reserve(w, c->q.v[i]->len);
    p = w->scratch + LWS_PRE;
    while (i < c->q.n && len + c->q.v[i]->len <= w->scratch_cap) {
        memcpy(p + len, c->q.v[i]->data, c->q.v[i]->len);
        len += c->q.v[i]->len;
        gw_msg_unref(c->q.v[i]);
        c->q.v[i] = NULL;
        i++;
        nframes++;
    }
    c->q_head = i;
    c->q_bytes -= (uint32_t)len;
    gw_uncount(&w->m.queue_bytes, len);
    if (c->q_head == c->q.n) {
        /* Empty: give its array back (an idle viewer keeps none after its welcome). */
        c->q.n = 0;
        c->q_head = 0;
        gw_msgvec_fini(&c->q);
        /* The queue is out: the stream rides along in the same write (a reply and a
         * room broadcast pending together cost one write, not two). */
        len = gather_stream(w, c, len, &nframes);
    }
    return raw_write(w, c, w->scratch + LWS_PRE, len, nframes);
}

static int write_stream(struct gw_worker *w, struct gw_conn *c)
{
    struct gw_shard *s = c->shard;
    struct gw_batch *b = batch_at(s, c->cursor);
    size_t len = 0;
    uint32_t nframes = 0;
    unsigned char *p;

    if (!b) {
        /* Cannot happen: batches stay until every cursor has passed them. */
        gw_err("fanout: cursor %llu of %s has no batch (head %llu)", (unsigned long long)c->cursor,
               c->uid, (unsigned long long)s->head);
        c->cursor = s->head;
        return 0;
    }
    if (!b->next || b->len > w->scratch_cap) {
        /* One batch: write it straight from the shared bytes, no copy. */
        size_t skip = (size_t)(c->cursor - b->off);
        len = b->len - skip;
        c->cursor += len;
        return raw_write(w, c, b->buf + LWS_PRE + skip, len, b->nframes);
    }
    p = w->scratch + LWS_PRE;
    for (; b && len + b->len <= w->scratch_cap; b = b->next) {
        memcpy(p + len, b->buf + LWS_PRE, b->len);
        len += b->len;
        nframes += b->nframes;
    }
    c->cursor += len;
    return raw_write(w, c, w->scratch + LWS_PRE, len, nframes);
}

int gw_fanout_write(struct gw_worker *w, struct gw_conn *c)
{
    int rc;

    c->want_write = false;
    if (c->close_code == 4009)
        goto close;
    if (c->q_head < c->q.n)
        rc = write_queue(w, c);
    else if (c->shard && c->cursor < c->shard->head)
        rc = write_stream(w, c);
    else if (c->close_code)
        goto close;
    else
        return 0;
    if (rc < 0)
        return -1;
    if (c->q_head < c->q.n || (c->shard && c->cursor < c->shard->head) || c->close_code)
        gw_conn_want_write(c);
    return 0;

close:
    lws_close_reason(c->wsi, (enum lws_close_status)c->close_code, (unsigned char *)c->close_reason,
                     strlen(c->close_reason));
    return -1;
}
