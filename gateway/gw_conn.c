/* gw_conn.c: the lws protocol callback: handshake checks, client messages, writes.
 *
 * Runs on the worker thread that owns the connection. The handshake is checked twice:
 * in LWS_CALLBACK_HTTP_CONFIRM_UPGRADE, where a refusal can still be an HTTP answer
 * (400/401/403/404/429/503 with a plain-text reason), and again in
 * LWS_CALLBACK_ESTABLISHED, because lws frees the HTTP session storage at the upgrade. */
#include "gw_conn.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_bag.h"
#include "gw_fanout.h"
#include "gw_host.h"
#include "gw_http.h"
#include "gw_live.h"
#include "gw_log.h"
#include "gw_sales.h"
#include "gw_server.h"
#include "gw_util.h"
#include "gw_words.h"
#include "proto_query.h"
#include "proto_utf8.h"

#define ABUSE_WINDOW_MS 10000

static void detach_replies(struct gw_conn *c);

struct handshake {
    struct proto_query q;
    struct proto_token tok;
    struct gw_room *room;
    unsigned int status; /* 0 = accepted */
    const char *reason;
};

static void refuse(struct handshake *hs, unsigned int status, const char *reason)
{
    hs->status = status;
    hs->reason = reason;
}

/* The contract's order: malformed query or room -> 400; token missing, malformed,
 * badly signed or expired -> 401; token for another room -> 403; unknown room when
 * rooms must be created first -> 404. */
static void check_handshake(struct gw_worker *w, struct lws *wsi, struct handshake *hs)
{
    const struct gw_config *cfg = &w->srv->cfg;
    char uri[64], arg[PROTO_TOKEN_MAX_BYTES + 64];
    const char *reason = NULL;
    int n;

    memset(hs, 0, sizeof(*hs));
    n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
    if (n <= 0 || strcmp(uri, "/ws") != 0) {
        refuse(hs, 404, "WebSocket endpoint is /ws");
        return;
    }
    proto_query_init(&hs->q);
    for (int i = 0; i < 32; i++) {
        int flen = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (flen <= 0)
            break;
        if ((size_t)flen >= sizeof(arg)) {
            refuse(hs, 400, "query argument too long");
            return;
        }
        n = lws_hdr_copy_fragment(wsi, arg, sizeof(arg), WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0 || proto_query_add_arg(&hs->q, arg, (size_t)n, &reason) < 0) {
            refuse(hs, 400, reason ? reason : "bad query argument");
            return;
        }
    }
    if (proto_query_finish(&hs->q, &reason) < 0) {
        refuse(hs, 400, reason);
        return;
    }
    if (hs->q.has_token) {
        switch (proto_token_verify(hs->q.token, strlen(hs->q.token), cfg->secret,
                                   strlen(cfg->secret), gw_now_s(), &hs->tok)) {
        case PROTO_TOKEN_OK:
            break;
        case PROTO_TOKEN_EXPIRED:
            refuse(hs, 401, "token expired");
            return;
        case PROTO_TOKEN_BAD_SIG:
            refuse(hs, 401, "token signature does not verify");
            return;
        default:
            refuse(hs, 401, "token malformed");
            return;
        }
        if (!proto_token_allows_room(&hs->tok, hs->q.room)) {
            refuse(hs, 403, "token is for another room");
            return;
        }
    } else if (cfg->guest) {
        hs->tok.role = PROTO_ROLE_VIEWER;
        gw_strlcpy(hs->tok.room, hs->q.room, sizeof(hs->tok.room));
    } else {
        refuse(hs, 401, "token missing");
        return;
    }
    hs->room = gw_rooms_get(&w->srv->rooms, hs->q.room, !cfg->require_rooms);
    if (!hs->room)
        refuse(hs, 404, "no such room");
}

static enum gw_refuse_slot refuse_slot(unsigned int status)
{
    switch (status) {
    case 400:
        return GW_REFUSE_400;
    case 401:
        return GW_REFUSE_401;
    case 403:
        return GW_REFUSE_403;
    case 404:
        return GW_REFUSE_404;
    case 429:
        return GW_REFUSE_429;
    default:
        return GW_REFUSE_503;
    }
}

/* Refuses an upgrade with an HTTP answer; returns the CONFIRM_UPGRADE result. */
static int refuse_upgrade(struct gw_worker *w, struct lws *wsi, unsigned int status,
                          const char *reason, int retry_after)
{
    gw_count(&w->m.refused[refuse_slot(status)], 1);
    if (status == 401)
        gw_count(&w->m.token_failures, 1);
    if (gw_http_refuse_upgrade(wsi, status, reason, retry_after) < 0)
        return -1;
    return 1; /* headers and body sent: lws completes the transaction */
}

/* The peer's address as 16 bytes (IPv4 as v4-mapped IPv6; all zero when unknown). */
static void peer_of(struct lws *wsi, uint8_t ip[16])
{
    char text[INET6_ADDRSTRLEN];
    struct in_addr v4;

    memset(ip, 0, 16);
    if (!lws_get_peer_simple(wsi, text, sizeof(text)))
        return;
    if (inet_pton(AF_INET, text, &v4) == 1) {
        ip[10] = ip[11] = 0xff;
        memcpy(ip + 12, &v4, 4);
    } else if (inet_pton(AF_INET6, text, ip) != 1) {
        memset(ip, 0, 16);
    }
}

/* The per-IP count's key of an address: its canonical text. */
static void peer_key(const uint8_t ip[16], char key[INET6_ADDRSTRLEN])
{
    if (!inet_ntop(AF_INET6, ip, key, INET6_ADDRSTRLEN))
        gw_strlcpy(key, "unknown", INET6_ADDRSTRLEN);
}

static unsigned int per_ip_count(struct gw_server *srv, const char *ip)
{
    void **slot;
    unsigned int n;

    pthread_mutex_lock(&srv->ip_lock);
    slot = gw_strmap_get(&srv->per_ip, ip);
    n = slot ? (unsigned int)(uintptr_t)*slot : 0;
    pthread_mutex_unlock(&srv->ip_lock);
    return n;
}

static int on_confirm_upgrade(struct gw_worker *w, struct lws *wsi)
{
    struct gw_server *srv = w->srv;
    struct handshake hs;
    uint8_t ip[16];
    char key[INET6_ADDRSTRLEN];

    /* relaxed: the drain flag is a hint here; the drain itself is ordered by the wake. */
    if (atomic_load_explicit(&srv->draining, memory_order_relaxed))
        return refuse_upgrade(w, wsi, 503, "server is restarting: reconnect elsewhere", 1);
    if (!gw_bucket_take(&w->handshakes, 1, gw_mono_ms())) {
        /* Admission control: spread the retries of a reconnect storm over a window
         * instead of letting them all come back at once. */
        int ra = 1 + (int)(rand_r(&w->rng) % (unsigned int)srv->cfg.retry_after_max);
        return refuse_upgrade(w, wsi, 503, "too many new connections: retry later", ra);
    }
    check_handshake(w, wsi, &hs);
    if (hs.status)
        return refuse_upgrade(w, wsi, hs.status, hs.reason, 0);
    /* relaxed: an admission estimate; ESTABLISHED does the counting. */
    if (atomic_load_explicit(&srv->ws_conns, memory_order_relaxed) >= srv->max_conns)
        return refuse_upgrade(w, wsi, 503, "server full: retry later", 5);
    peer_of(wsi, ip);
    peer_key(ip, key);
    if (per_ip_count(srv, key) >= (unsigned int)srv->cfg.max_conns_per_ip)
        return refuse_upgrade(w, wsi, 429, "too many connections from this address", 0);
    return 0;
}

static void count_in(struct gw_server *srv, struct gw_conn *c)
{
    bool created;
    void **slot;
    char key[INET6_ADDRSTRLEN];

    peer_key(c->ip, key);
    pthread_mutex_lock(&srv->ip_lock);
    slot = gw_strmap_put(&srv->per_ip, key, &created);
    *slot = (void *)((uintptr_t)*slot + 1);
    pthread_mutex_unlock(&srv->ip_lock);
    /* relaxed: a gauge and an admission estimate, no data depends on it. */
    atomic_fetch_add_explicit(&srv->ws_conns, 1, memory_order_relaxed);
    c->counted = true;
}

static void count_out(struct gw_server *srv, struct gw_conn *c)
{
    void **slot;
    char key[INET6_ADDRSTRLEN];

    if (!c->counted)
        return;
    peer_key(c->ip, key);
    pthread_mutex_lock(&srv->ip_lock);
    slot = gw_strmap_get(&srv->per_ip, key);
    if (slot) {
        *slot = (void *)((uintptr_t)*slot - 1);
        if (!*slot)
            gw_strmap_del(&srv->per_ip, key);
    }
    pthread_mutex_unlock(&srv->ip_lock);
    atomic_fetch_sub_explicit(&srv->ws_conns, 1, memory_order_relaxed);
    c->counted = false;
}

static int on_established(struct gw_worker *w, struct gw_conn *c, struct lws *wsi)
{
    const struct gw_config *cfg = &w->srv->cfg;
    struct handshake hs;
    int64_t now = gw_mono_ms();

    memset(c, 0, sizeof(*c));
    c->wsi = wsi;
    c->w = w;
    lws_dll2_add_tail(&c->worker_node, &w->conns);
    gw_count(&w->m.conns_opened, 1);
    gw_count(&w->m.connections, 1);
    check_handshake(w, wsi, &hs);
    if (hs.status) {
        /* Only a token that expired between the two checks gets here. */
        gw_conn_close(c, 1008, "handshake no longer valid");
        return 0;
    }
    peer_of(wsi, c->ip);
    count_in(w->srv, c);
    c->role = (uint8_t)hs.tok.role;
    if (hs.q.has_token) {
        c->uid = gw_xstrdup(hs.tok.uid);
    } else {
        char guest[32];
        snprintf(guest, sizeof(guest), "guest-%08x%04x", (unsigned int)rand_r(&w->rng),
                 (unsigned int)(rand_r(&w->rng) & 0xffff));
        c->uid = gw_xstrdup(guest);
    }
    if (hs.q.has_nick && hs.q.nick[0])
        c->nick = gw_xstrdup(hs.q.nick);
    if (hs.q.has_from)
        c->from = gw_xstrdup(hs.q.from);
    gw_bucket_init(&c->b_comment, cfg->conn_comment_rate, cfg->conn_comment_rate * 5, now);
    gw_bucket_init(&c->b_like, cfg->conn_like_rate, cfg->conn_like_rate * 2, now);
    gw_bucket_init(&c->b_msg, cfg->conn_msg_rate, cfg->conn_msg_rate * 2, now);
    c->abuse_window_ms = now;
    if (atomic_load_explicit(&w->srv->draining, memory_order_relaxed) || w->draining) {
        gw_conn_close(c, 1001, "server going away");
        return 0;
    }
    gw_fanout_join(w, hs.room, c, hs.q.has_since, hs.q.since);
    return 0;
}

static void on_closed(struct gw_worker *w, struct gw_conn *c)
{
    if (!c->w)
        return; /* never established */
    gw_fanout_leave(w, c);
    gw_sales_conn_detach(c);
    detach_replies(c);
    for (uint32_t i = c->q_head; i < c->q.n; i++)
        gw_msg_unref(c->q.v[i]);
    c->q.n = c->q_head = 0;
    gw_msgvec_fini(&c->q);
    gw_uncount(&w->m.queue_bytes, c->q_bytes);
    c->q_bytes = 0;
    gw_count(&w->m.closes[gw_close_slot_of(c->close_code)], 1);
    gw_uncount(&w->m.connections, 1);
    count_out(w->srv, c);
    lws_dll2_remove(&c->worker_node);
    free(c->uid);
    free(c->nick);
    free(c->from);
    free(c->rx);
    c->uid = c->nick = c->from = NULL;
    c->rx = NULL;
    c->w = NULL;
}

/* ---- replies that wait -------------------------------------------------------------- */

void gw_reply_attach(struct gw_reply *x, struct gw_conn *c)
{
    x->c = c;
    x->next = c->replies;
    if (x->next)
        x->next->pprev = &x->next;
    x->pprev = &c->replies;
    c->replies = x;
}

void gw_reply_detach(struct gw_reply *x)
{
    if (!x->c)
        return;
    *x->pprev = x->next;
    if (x->next)
        x->next->pprev = x->pprev;
    x->next = NULL;
    x->pprev = NULL;
    x->c = NULL;
}

static void detach_replies(struct gw_conn *c)
{
    while (c->replies)
        gw_reply_detach(c->replies);
}

/* ---- sending ----------------------------------------------------------------------- */

void gw_conn_want_write(struct gw_conn *c)
{
    if (c->want_write)
        return;
    c->want_write = true;
    lws_callback_on_writable(c->wsi);
}

int gw_conn_send(struct gw_conn *c, struct gw_msg *m)
{
    struct gw_worker *w = c->w;
    uint32_t limit = (uint32_t)w->srv->cfg.max_queue_kb * 1024;

    if (c->close_code == 4009)
        return -1;
    if (c->q_bytes + m->len > limit) {
        gw_conn_close(c, 4009, "too slow");
        return -1;
    }
    /* Reclaim the sent prefix before growing. */
    if (c->q_head && c->q.n == c->q.cap) {
        memmove(c->q.v, c->q.v + c->q_head, (c->q.n - c->q_head) * sizeof(*c->q.v));
        c->q.n -= c->q_head;
        c->q_head = 0;
    }
    gw_msgvec_push(&c->q, gw_msg_ref(m));
    c->q_bytes += m->len;
    gw_count(&w->m.queue_bytes, m->len);
    gw_conn_want_write(c);
    return 0;
}

void gw_conn_send_error(struct gw_conn *c, enum proto_err code, const char *msg, const char *req)
{
    struct proto_buf *b = gw_worker_enc(c->w);
    struct gw_msg *m;

    proto_enc_error(b, code, msg, req);
    m = gw_msg_create(b, GW_MSG_TARGETED, 0);
    gw_conn_send(c, m);
    gw_msg_unref(m);
}

static void send_simple(struct gw_conn *c, void (*enc)(struct proto_buf *, const char *),
                        const char *req)
{
    struct proto_buf *b = gw_worker_enc(c->w);
    struct gw_msg *m;

    enc(b, req);
    m = gw_msg_create(b, GW_MSG_TARGETED, 0);
    gw_conn_send(c, m);
    gw_msg_unref(m);
}

void gw_conn_send_ack(struct gw_conn *c, const char *req)
{
    send_simple(c, proto_enc_ack, req);
}

static void enc_pong(struct proto_buf *b, const char *unused)
{
    proto_enc_pong(b);
}

void gw_conn_close(struct gw_conn *c, uint16_t code, const char *reason)
{
    if (c->close_code && c->close_code != 1001)
        return; /* the first reason stands (a drain may still turn into 4009) */
    c->close_code = code;
    c->close_reason = reason;
    if (code == 4009) {
        /* Too slow: what it has queued will never be read; give it back now, and
         * close the TCP connection even if the close frame cannot be written. */
        for (uint32_t i = c->q_head; i < c->q.n; i++)
            gw_msg_unref(c->q.v[i]);
        c->q.n = c->q_head = 0;
        gw_uncount(&c->w->m.queue_bytes, c->q_bytes);
        c->q_bytes = 0;
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, 2);
    } else {
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, c->w->srv->cfg.drain_secs + 5);
    }
    gw_conn_want_write(c);
}

/* ---- receiving ---------------------------------------------------------------------- */

/* Counts a refused message; repeated abuse closes with 4008. */
static void abuse(struct gw_conn *c)
{
    int64_t now = gw_mono_ms();

    if (now - c->abuse_window_ms > ABUSE_WINDOW_MS) {
        c->abuse_window_ms = now;
        c->abuse = 0;
    }
    if (++c->abuse > c->w->srv->cfg.abuse_limit)
        gw_conn_close(c, 4008, "rate limits exceeded repeatedly");
}

static void refuse_msg(struct gw_conn *c, enum proto_err code, const char *msg, const char *req)
{
    if (code == PROTO_ERR_RATE_LIMITED)
        gw_count(&c->w->m.rate_limited, 1);
    else if (code == PROTO_ERR_BAD_REQUEST)
        gw_count(&c->w->m.bad_requests, 1);
    gw_conn_send_error(c, code, msg, req);
    if (code == PROTO_ERR_RATE_LIMITED || code == PROTO_ERR_BAD_REQUEST)
        abuse(c);
}

static void on_viewer_msg(struct gw_worker *w, struct gw_conn *c, const struct proto_cmsg *m)
{
    struct gw_room *r = c->shard->room;
    const char *req = m->has_req ? m->req : NULL;
    int64_t now = gw_mono_ms();

    switch (m->t) {
    case PROTO_C_PING:
        send_simple(c, enc_pong, NULL);
        return;
    case PROTO_C_COMMENT: {
        struct gw_msg *own = NULL;
        bool host = c->role != PROTO_ROLE_VIEWER;
        const char *text = m->u.comment.text;
        char *masked = NULL;
        if (!host && !gw_bucket_take(&c->b_comment, 1, now)) {
            refuse_msg(c, PROTO_ERR_RATE_LIMITED, "too many comments: slow down", req);
            return;
        }
        if (!host && w->srv->words_on) {
            switch (gw_words_filter(w, text, &masked)) {
            case GW_WORDS_BLOCKED:
                refuse_msg(c, PROTO_ERR_BLOCKED, "your comment contains a word not allowed here",
                           req);
                return;
            case GW_WORDS_MASKED:
                text = masked;
                break;
            case GW_WORDS_CLEAN:
                break;
            }
        }
        switch (gw_room_comment(r, w, c->uid, c->nick, text, host, &own)) {
        case GW_COMMENT_MUTED:
            refuse_msg(c, PROTO_ERR_MUTED, "you are muted in this room", req);
            break;
        case GW_COMMENT_SAMPLED:
            /* Kept out of the room stream by the readable rate; its author still
             * sees it. */
            gw_conn_send(c, own);
            gw_msg_unref(own);
            gw_bag_comment(w, c, m->u.comment.text, req);
            break;
        case GW_COMMENT_SHOWN:
            gw_bag_comment(w, c, m->u.comment.text, req);
            break;
        }
        free(masked);
        return;
    }
    case PROTO_C_LIKE:
        if (!gw_bucket_take(&c->b_like, 1, now)) {
            refuse_msg(c, PROTO_ERR_RATE_LIMITED, "too many likes: slow down", req);
            return;
        }
        gw_room_like(r, c->role == PROTO_ROLE_VIEWER ? c->uid : NULL, (uint32_t)m->u.like.n);
        return;
    case PROTO_C_CARD_CLICK:
        gw_room_engage(r, c->uid, GW_ENGAGE_CLICK);
        return;
    case PROTO_C_WECOM:
        gw_room_wecom_report(r, c->uid,
                             m->u.wecom.action == PROTO_WECOM_ADDED     ? GW_WECOM_REPORT_ADDED
                             : m->u.wecom.action == PROTO_WECOM_CLICKED ? GW_WECOM_REPORT_CLICKED
                                                                        : GW_WECOM_REPORT_SHOWN);
        if (m->u.wecom.action == PROTO_WECOM_ADDED && c->role == PROTO_ROLE_VIEWER)
            gw_live_wecom_added(w, c->uid);
        return;
    case PROTO_C_ORDER:
        gw_sales_order(w, c, m);
        return;
    case PROTO_C_BAG_JOIN:
        gw_bag_join(w, c, m->u.bag_join.bag, req);
        return;
    default:
        break;
    }
    /* Host commands. */
    if (c->role == PROTO_ROLE_VIEWER) {
        refuse_msg(c, PROTO_ERR_FORBIDDEN, "host command from a viewer", req);
        return;
    }
    {
        enum proto_err code;
        const char *msg;
        int rc = gw_host_exec(w, r, c, m, &code, &msg);
        if (rc < 0)
            gw_conn_send_error(c, code, msg, req);
        else if (rc == 0 && req)
            send_simple(c, proto_enc_ack, req);
    }
}

static void on_message(struct gw_worker *w, struct gw_conn *c, const unsigned char *data,
                       size_t len)
{
    struct proto_cmsg *m;
    const char *reason = NULL;

    gw_count(&w->m.frames_in, 1);
    gw_count(&w->m.bytes_in, len);
    if (!proto_utf8_is_valid((const char *)data, len)) {
        gw_conn_close(c, 1007, "invalid UTF-8");
        return;
    }
    if (!gw_bucket_take(&c->b_msg, 1, gw_mono_ms())) {
        refuse_msg(c, PROTO_ERR_RATE_LIMITED, "too many messages: slow down", NULL);
        return;
    }
    m = gw_xmalloc(sizeof(*m));
    if (proto_cmsg_decode((const char *)data, len, m, &reason) < 0)
        refuse_msg(c, PROTO_ERR_BAD_REQUEST, reason, m->has_req ? m->req : NULL);
    else
        on_viewer_msg(w, c, m);
    free(m);
}

static int on_receive(struct gw_worker *w, struct gw_conn *c, const void *in, size_t len)
{
    size_t max = (size_t)w->srv->cfg.max_frame;
    size_t remaining = lws_remaining_packet_payload(c->wsi);
    bool done = lws_is_final_fragment(c->wsi) && remaining == 0;

    if (c->close_code)
        return 0; /* closing: ignore further input */
    if (lws_frame_is_binary(c->wsi)) {
        gw_conn_close(c, 1003, "binary frames are not accepted");
        return 0;
    }
    if (c->rx_len + len + remaining > max) {
        gw_conn_close(c, 1009, "frame too large");
        free(c->rx);
        c->rx = NULL;
        c->rx_len = 0;
        return 0;
    }
    if (done && !c->rx_len) {
        on_message(w, c, in, len); /* the usual case: the whole message in one piece */
        return 0;
    }
    if (!c->rx)
        c->rx = gw_xmalloc(max);
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += (uint32_t)len;
    if (done) {
        on_message(w, c, c->rx, c->rx_len);
        free(c->rx);
        c->rx = NULL;
        c->rx_len = 0;
    }
    return 0;
}

int gw_conn_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    struct gw_worker *w = lws_context_user(lws_get_context(wsi));
    struct gw_conn *c = user;

    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        if (strcmp((const char *)in, "websocket") != 0)
            return refuse_upgrade(w, wsi, 400, "only WebSocket upgrades", 0);
        return on_confirm_upgrade(w, wsi);
    case LWS_CALLBACK_ESTABLISHED:
        return on_established(w, c, wsi);
    case LWS_CALLBACK_RECEIVE:
        return on_receive(w, c, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return gw_fanout_write(w, c);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        return 0;
    case LWS_CALLBACK_CLOSED:
        on_closed(w, c);
        return 0;
    case LWS_CALLBACK_HTTP:
        return gw_http_on_request(w, c, wsi, (const char *)in);
    case LWS_CALLBACK_HTTP_BODY:
        return gw_http_on_body(c, wsi, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return gw_http_on_body_done(w, c, wsi);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return gw_sales_http_writeable(c, wsi);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (c) {
            gw_http_release(c);
            gw_sales_conn_detach(c);
            detach_replies(c);
        }
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        gw_worker_on_wake(w);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}
