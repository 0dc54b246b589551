/* gw_http.c: operations endpoints and the room API over HTTP. */
#include "gw_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_bag.h"
#include "gw_conn.h"
#include "gw_host.h"
#include "gw_log.h"
#include "gw_sales.h"
#include "gw_server.h"
#include "gw_static.h"
#include "gw_util.h"
#include "proto_cmsg.h"
#include "proto_token.h"
#include "proto_utf8.h"

#define BODY_MAX 16384

int gw_http_reply(struct lws *wsi, unsigned int status, const char *content_type, const char *body,
                  size_t len, int retry_after)
{
    size_t cap = LWS_PRE + 512 + len;
    unsigned char *buf = gw_xmalloc(cap), *start = buf + LWS_PRE, *p = start, *end = buf + cap;
    char num[24];
    int n, rc = 0;

    if (lws_add_http_header_status(wsi, status, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                     (const unsigned char *)content_type, (int)strlen(content_type),
                                     &p, end) ||
        lws_add_http_header_content_length(wsi, len, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                     (const unsigned char *)"no-store", 8, &p, end))
        rc = -1;
    if (!rc && retry_after > 0) {
        n = snprintf(num, sizeof(num), "%d", retry_after);
        if (lws_add_http_header_by_name(
                wsi, (const unsigned char *)"retry-after:", (const unsigned char *)num, n, &p, end))
            rc = -1;
    }
    if (!rc && lws_finalize_http_header(wsi, &p, end))
        rc = -1;
    if (!rc) {
        memcpy(p, body, len);
        p += len;
        n = (int)(p - start);
        if (lws_write(wsi, start, (size_t)n, LWS_WRITE_HTTP_FINAL) != n)
            rc = -1;
    }
    free(buf);
    return rc;
}

static const char *status_text(unsigned int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

int gw_http_refuse_upgrade(struct lws *wsi, unsigned int status, const char *reason,
                           int retry_after)
{
    unsigned char buf[LWS_PRE + 512];
    char *start = (char *)buf + LWS_PRE, retry[40] = "";
    size_t blen = strlen(reason) + 1;
    int n;

    if (retry_after > 0)
        snprintf(retry, sizeof(retry), "retry-after: %d\r\n", retry_after);
    n = snprintf(start, sizeof(buf) - LWS_PRE,
                 "HTTP/1.1 %u %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
                 "content-length: %zu\r\ncache-control: no-store\r\n%s\r\n%s\n",
                 status, status_text(status), blen, retry, reason);
    if (n < 0 || (size_t)n >= sizeof(buf) - LWS_PRE)
        return -1;
    return lws_write(wsi, (unsigned char *)start, (size_t)n, LWS_WRITE_HTTP) == n ? 0 : -1;
}

/* Answers and ends the transaction; returns the callback's return value. */
static int reply_done(struct lws *wsi, unsigned int status, const char *ctype, const char *body,
                      size_t len)
{
    if (gw_http_reply(wsi, status, ctype, body, len, 0) < 0)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int reply_error(struct lws *wsi, unsigned int status, enum proto_err code, const char *msg)
{
    struct proto_buf b;
    int rc;

    proto_buf_init(&b, 0);
    proto_json_obj_begin(&b);
    proto_json_cstr(&b, "code", proto_err_name(code));
    proto_json_cstr(&b, "msg", msg);
    proto_json_obj_end(&b);
    rc = reply_done(wsi, status, "application/json", (const char *)proto_buf_data(&b), b.len);
    proto_buf_fini(&b);
    return rc;
}

/* Verifies the bearer token into *tok. Returns 0, or 401. */
static unsigned int check_token(struct gw_worker *w, struct lws *wsi, struct proto_token *tok)
{
    char hdr[PROTO_TOKEN_MAX_BYTES + 16];
    const struct gw_config *cfg = &w->srv->cfg;
    int n = lws_hdr_copy(wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_AUTHORIZATION);

    if (n <= 7 || strncasecmp(hdr, "Bearer ", 7) != 0)
        return 401;
    if (proto_token_verify(hdr + 7, (size_t)n - 7, cfg->secret, strlen(cfg->secret), gw_now_s(),
                           tok) != PROTO_TOKEN_OK) {
        gw_count(&w->m.token_failures, 1);
        return 401;
    }
    return 0;
}

/* Checks the bearer token for access to `room` (admin, or host of that room).
 * Returns 0, or the HTTP status to refuse with (401 / 403). */
static unsigned int check_bearer(struct gw_worker *w, struct lws *wsi, const char *room)
{
    struct proto_token tok;

    if (check_token(w, wsi, &tok))
        return 401;
    if (tok.role == PROTO_ROLE_ADMIN && proto_token_allows_room(&tok, room ? room : "*"))
        return 0;
    if (room && tok.role == PROTO_ROLE_HOST && proto_token_allows_room(&tok, room))
        return 0;
    return 403;
}

static int serve_healthz(struct gw_worker *w, struct lws *wsi)
{
    struct gw_server *srv = w->srv;
    char body[256];
    bool draining = atomic_load_explicit(&srv->draining, memory_order_relaxed);
    int n = snprintf(
        body, sizeof(body),
        "{\"ok\":%s,\"draining\":%s,\"threads\":%d,\"connections\":%d,"
        "\"rooms\":%zu,\"uptime_s\":%lld,\"redis\":\"%s\"}",
        draining ? "false" : "true", draining ? "true" : "false", srv->nworkers,
        atomic_load_explicit(&srv->ws_conns, memory_order_relaxed), gw_rooms_count(&srv->rooms),
        (long long)((gw_now_ms() - srv->started_ms) / 1000), gw_sales_redis_state(srv));
    return reply_done(wsi, draining ? 503 : 200, "application/json", body, (size_t)n);
}

static int serve_metrics(struct gw_worker *w, struct lws *wsi)
{
    struct proto_buf b;
    int rc;

    proto_buf_init(&b, 0);
    gw_metrics_render(w->srv, &b);
    rc = reply_done(wsi, 200, "text/plain; version=0.0.4", (const char *)proto_buf_data(&b), b.len);
    proto_buf_fini(&b);
    return rc;
}

/* Splits "/api/rooms/<room>[/events]" into room and tail; returns 0 or -1. */
static int parse_room_path(const char *uri, char *room, const char **tail)
{
    const char *p = uri + strlen("/api/rooms/"), *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);

    if (!proto_id_is_valid(p, n))
        return -1;
    memcpy(room, p, n);
    room[n] = '\0';
    *tail = slash ? slash : "";
    return 0;
}

/* POST /api/orders/<order>/paid|cancel (admin only; an empty body). The action runs
 * at once when the request has no body, else when its (ignored) body is complete. */
static int order_request(struct gw_worker *w, struct gw_conn *c, struct lws *wsi, const char *p,
                         bool is_post)
{
    const char *slash = strchr(p, '/'), *action;
    char id[PROTO_ID_MAX * 2 + 1];
    struct proto_token tok;
    unsigned int st;

    if (!slash || (size_t)(slash - p) >= sizeof(id) || slash == p)
        return reply_error(wsi, 404, PROTO_ERR_NOT_FOUND, "no such endpoint");
    action = slash + 1;
    if (strcmp(action, "paid") != 0 && strcmp(action, "cancel") != 0)
        return reply_error(wsi, 404, PROTO_ERR_NOT_FOUND, "no such endpoint");
    if (!is_post)
        return reply_error(wsi, 405, PROTO_ERR_BAD_REQUEST, "use POST");
    st = check_token(w, wsi, &tok);
    if (st)
        return reply_error(wsi, st, PROTO_ERR_UNAUTHORIZED,
                           "missing, malformed, badly signed or expired bearer token");
    if (tok.role != PROTO_ROLE_ADMIN)
        return reply_error(wsi, 403, PROTO_ERR_FORBIDDEN,
                           "payments and cancellations need an admin token");
    memcpy(id, p, (size_t)(slash - p));
    id[slash - p] = '\0';
    if (strcmp(tok.room, "*") != 0 && !gw_sales_order_in_room(w->srv, id, tok.room))
        return reply_error(wsi, 403, PROTO_ERR_FORBIDDEN,
                           "this admin token is for another room's orders");
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
        return gw_sales_http_order(w, c, wsi, id, action);
    c->http_order = gw_xstrdup(p); /* "id/action", run at the body's end */
    return 0;
}

/* GET /api/rooms/<room>/bags/<bag>: the bag and its participants. */
static int bag_request(struct gw_worker *w, struct lws *wsi, const char *room, const char *bag)
{
    struct gw_room *r = gw_rooms_get(&w->srv->rooms, room, false);
    struct proto_buf *b;

    if (!proto_id_is_valid(bag, strlen(bag)))
        return reply_error(wsi, 400, PROTO_ERR_BAD_REQUEST, "bad bag id in path");
    b = gw_worker_enc(w);
    if (!r || gw_bag_participants(r, bag, b) != 200)
        return reply_error(wsi, 404, PROTO_ERR_NOT_FOUND,
                           "not this room's current or last lucky bag");
    return reply_done(wsi, 200, "application/json", (const char *)proto_buf_data(b), b->len);
}

int gw_http_on_request(struct gw_worker *w, struct gw_conn *c, struct lws *wsi, const char *uri)
{
    bool is_post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
    char room[PROTO_ID_MAX + 1];
    const char *tail;
    unsigned int st;

    gw_http_release(c);
    if (!strcmp(uri, "/healthz"))
        return serve_healthz(w, wsi);
    if (!strcmp(uri, "/metrics"))
        return serve_metrics(w, wsi);
    if (!is_post) {
        int rc = gw_static_serve(w, wsi, uri);
        if (rc != 1)
            return rc;
    }
    if (!strncmp(uri, "/api/orders/", 12))
        return order_request(w, c, wsi, uri + 12, is_post);
    if (strncmp(uri, "/api/rooms/", 11) != 0)
        return reply_error(wsi, 404, PROTO_ERR_NOT_FOUND, "no such endpoint");
    if (parse_room_path(uri, room, &tail) < 0)
        return reply_error(wsi, 400, PROTO_ERR_BAD_REQUEST, "bad room id in path");
    if (!is_post && !strncmp(tail, "/bags/", 6))
        /* Public: whoever saw the draw may check it (proto/DRAW.md). */
        return bag_request(w, wsi, room, tail + 6);
    st = check_bearer(w, wsi, room);
    if (st)
        return reply_error(wsi, st, st == 401 ? PROTO_ERR_UNAUTHORIZED : PROTO_ERR_FORBIDDEN,
                           st == 401 ? "missing, malformed, badly signed or expired bearer token"
                                     : "this token may not manage this room");

    if (!is_post && !*tail) {
        struct gw_room *r = gw_rooms_get(&w->srv->rooms, room, false);
        struct proto_buf *b;
        if (!r)
            return reply_error(wsi, 404, PROTO_ERR_NOT_FOUND, "room never seen");
        b = gw_worker_enc(w);
        gw_room_describe(r, b);
        return reply_done(wsi, 200, "application/json", (const char *)proto_buf_data(b), b->len);
    }
    if (is_post && !strcmp(tail, "/events")) {
        /* The body arrives in LWS_CALLBACK_HTTP_BODY; remember where it goes. */
        c->http_room = gw_xstrdup(room);
        return 0;
    }
    return reply_error(wsi, 404, PROTO_ERR_NOT_FOUND, "no such endpoint");
}

int gw_http_on_body(struct gw_conn *c, struct lws *wsi, const void *in, size_t len)
{
    if (!c->http_room || !len)
        return 0;
    if (c->rx_len + len > BODY_MAX) {
        c->http_too_large = true;
        return 0;
    }
    if (!c->rx)
        c->rx = gw_xmalloc(BODY_MAX);
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += (uint32_t)len;
    return 0;
}

int gw_http_on_body_done(struct gw_worker *w, struct gw_conn *c, struct lws *wsi)
{
    struct proto_cmsg *m;
    const char *reason = NULL;
    enum proto_err code = PROTO_ERR_BAD_REQUEST;
    unsigned int status = 202;
    struct gw_room *r;

    if (c->http_order) {
        char *order = c->http_order, *slash = strchr(order, '/');
        int rc;
        *slash = '\0';
        c->http_order = NULL;
        gw_http_release(c);
        rc = gw_sales_http_order(w, c, wsi, order, slash + 1);
        free(order);
        return rc;
    }
    if (!c->http_room)
        return reply_error(wsi, 404, PROTO_ERR_NOT_FOUND, "no such endpoint");
    if (c->http_too_large) {
        gw_http_release(c);
        return reply_error(wsi, 413, PROTO_ERR_TOO_LARGE, "body over 16 KiB");
    }
    if (!c->rx_len) {
        gw_http_release(c);
        return reply_error(wsi, 400, PROTO_ERR_BAD_REQUEST, "empty body: send a host message");
    }
    if (!proto_utf8_is_valid((const char *)c->rx, c->rx_len)) {
        gw_http_release(c);
        return reply_error(wsi, 400, PROTO_ERR_BAD_REQUEST, "body is not valid UTF-8");
    }
    m = gw_xmalloc(sizeof(*m));
    if (proto_cmsg_decode((const char *)c->rx, c->rx_len, m, &reason) < 0) {
        status = 400;
    } else if (!proto_ctype_is_host(m->t)) {
        status = 400;
        reason = "not a host message";
    } else {
        r = gw_rooms_get(&w->srv->rooms, c->http_room, true);
        if (gw_host_exec(w, r, NULL, m, &code, &reason) < 0)
            status = code == PROTO_ERR_NOT_FOUND ? 404 : code == PROTO_ERR_UNAVAILABLE ? 503 : 400;
    }
    free(m);
    /* Release before answering: completing the transaction may free c. Reasons are
     * static texts, so nothing below points into c. */
    gw_http_release(c);
    if (status != 202)
        return reply_error(wsi, status, code, reason);
    return reply_done(wsi, 202, "application/json", "{\"ok\":true}", 11);
}

void gw_http_release(struct gw_conn *c)
{
    free(c->http_order);
    c->http_order = NULL;
    free(c->http_room);
    c->http_room = NULL;
    free(c->rx);
    c->rx = NULL;
    c->rx_len = 0;
    c->http_too_large = false;
}
