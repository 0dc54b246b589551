/* proto_cmsg.c: decoding and validation of client-to-server JSON messages. */
#include "proto_cmsg.h"

#include <jansson.h>
#include <string.h>

#include "proto_token.h"
#include "proto_utf8.h"

/* Upper bounds the contract leaves open (project additions, see PROTOCOL.md). They keep
 * every later computation in the sale and the rooms within int64: qty * price, and
 * now_ms + seconds * 1000. */
#define SECS_MAX    (366LL * 24 * 3600) /* durations, pay window, mute: a year */
#define MONEY_MAX   100000000000LL      /* cents: one billion yuan */
#define STOCK_MAX   1000000000LL
#define QTY_MAX     1000000           /* sale limit per uid, order qty */
#define WINNERS_MAX 1000              /* a drawn bag lists every winner uid */
#define TIME_MS_MAX 100000000000000LL /* unix ms, far beyond any real date */

static const char *const type_names[] = {
    [PROTO_C_COMMENT] = "comment",
    [PROTO_C_LIKE] = "like",
    [PROTO_C_ORDER] = "order",
    [PROTO_C_BAG_JOIN] = "bag_join",
    [PROTO_C_CARD_CLICK] = "card_click",
    [PROTO_C_WECOM] = "wecom",
    [PROTO_C_PING] = "ping",
    [PROTO_C_CARD] = "card",
    [PROTO_C_CARD_CLEAR] = "card_clear",
    [PROTO_C_SALE_START] = "sale_start",
    [PROTO_C_SALE_STOP] = "sale_stop",
    [PROTO_C_BAG_START] = "bag_start",
    [PROTO_C_BAG_DRAW] = "bag_draw",
    [PROTO_C_WECOM_PUSH] = "wecom_push",
    [PROTO_C_MUTE] = "mute",
    [PROTO_C_DELETE] = "delete",
    [PROTO_C_NOTICE] = "notice",
    [PROTO_C_ROOM_CLOSE] = "room_close",
};
#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))

bool proto_ctype_is_host(enum proto_ctype t)
{
    return t >= PROTO_C_CARD && t <= PROTO_C_ROOM_CLOSE;
}

const char *proto_ctype_name(enum proto_ctype t)
{
    if ((unsigned)t >= N_TYPES || type_names[t] == NULL)
        return "unknown";
    return type_names[t];
}

/* The string member `key` of o, refused when absent, not a string, or holding U+0000
 * (jansson is asked to keep NULs so that such a frame still yields its `req`). */
static const char *get_string(const json_t *o, const char *key, size_t *len)
{
    const json_t *v = json_object_get(o, key);
    const char *s;

    if (!json_is_string(v))
        return NULL;
    s = json_string_value(v);
    *len = json_string_length(v);
    if (memchr(s, '\0', *len) != NULL)
        return NULL;
    return s;
}

/* An id member: [A-Za-z0-9_-]{1,64}. dst holds PROTO_ID_MAX + 1 bytes. */
static bool get_id(const json_t *o, const char *key, char *dst)
{
    size_t len;
    const char *s = get_string(o, key, &len);

    if (s == NULL || !proto_id_is_valid(s, len))
        return false;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return true;
}

/* A text member, trimmed, of 1..max_cp code points; dst holds max_cp * 4 + 1 bytes.
 * jansson has already checked the UTF-8 and refused escaped lone surrogates. */
static bool get_text(const json_t *o, const char *key, char *dst, size_t max_cp)
{
    size_t len, cp;
    const char *s = get_string(o, key, &len);

    if (s == NULL)
        return false;
    proto_utf8_trim(&s, &len);
    cp = proto_utf8_count(s, len);
    if (cp == 0 || cp > max_cp)
        return false;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return true;
}

/* A URL member: 1..1024 bytes without ASCII controls or spaces, which no well-formed
 * URL or mini-program path holds and which would only serve to forge a display. */
static bool get_url(const json_t *o, const char *key, char *dst)
{
    size_t len;
    const char *s = get_string(o, key, &len);

    if (s == NULL || len == 0 || len > PROTO_URL_MAX_BYTES)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c <= 0x20 || c == 0x7F)
            return false;
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
    return true;
}

/* An integer member within [min, max]. A JSON real (5.0, 1e2) or a bool is mistyped;
 * integers beyond int64 already failed the parse. */
static bool get_int(const json_t *o, const char *key, long long min, long long max, long long *out)
{
    const json_t *v = json_object_get(o, key);
    long long x;

    if (!json_is_integer(v))
        return false;
    x = json_integer_value(v);
    if (x < min || x > max)
        return false;
    *out = x;
    return true;
}

static bool get_i64(const json_t *o, const char *key, long long min, long long max, int64_t *out)
{
    long long x;

    if (!get_int(o, key, min, max, &x))
        return false;
    *out = x;
    return true;
}

static bool get_i32(const json_t *o, const char *key, long long min, long long max, int32_t *out)
{
    long long x;

    if (!get_int(o, key, min, max, &x))
        return false;
    *out = (int32_t)x; /* every caller's max fits int32 */
    return true;
}

/* An optional bool member: absent is false; anything but true / false is mistyped. */
static bool get_opt_bool(const json_t *o, const char *key, bool *out)
{
    const json_t *v = json_object_get(o, key);

    *out = false;
    if (v == NULL)
        return true;
    if (!json_is_boolean(v))
        return false;
    *out = json_is_true(v);
    return true;
}

/* bag_start.require: absent (nothing required), or an array of distinct-or-repeated
 * strings among "comment", "like" and "order". */
static bool get_bag_require(const json_t *o, uint8_t *out)
{
    const json_t *v = json_object_get(o, "require");
    size_t i;
    const json_t *e;

    *out = 0;
    if (v == NULL)
        return true;
    if (!json_is_array(v) || json_array_size(v) > 3)
        return false;
    json_array_foreach(v, i, e)
    {
        const char *s = json_is_string(e) ? json_string_value(e) : NULL;
        if (s == NULL || json_string_length(e) != strlen(s))
            return false;
        if (strcmp(s, "comment") == 0)
            *out |= PROTO_BAG_REQ_COMMENT;
        else if (strcmp(s, "like") == 0)
            *out |= PROTO_BAG_REQ_LIKE;
        else if (strcmp(s, "order") == 0)
            *out |= PROTO_BAG_REQ_ORDER;
        else
            return false;
    }
    return true;
}

/* `req`: absent, or a string of 1-64 code points without U+0000. */
static bool take_req(const json_t *o, struct proto_cmsg *out)
{
    size_t len, cp;
    const char *s;

    if (json_object_get(o, "req") == NULL)
        return true;
    s = get_string(o, "req", &len);
    if (s == NULL)
        return false;
    cp = proto_utf8_count(s, len);
    if (cp == 0 || cp > PROTO_REQ_MAX_CP)
        return false;
    memcpy(out->req, s, len);
    out->req[len] = '\0';
    out->has_req = true;
    return true;
}

static bool take_type(const json_t *o, enum proto_ctype *t)
{
    size_t len;
    const char *s = get_string(o, "t", &len);

    if (s == NULL)
        return false;
    for (size_t i = 1; i < N_TYPES; i++) {
        if (strlen(type_names[i]) == len && memcmp(type_names[i], s, len) == 0) {
            *t = (enum proto_ctype)i;
            return true;
        }
    }
    return false;
}

/* Each NEED names the field in the error text the client gets back. */
#define NEED(ok, field)                                                                            \
    do {                                                                                           \
        if (!(ok)) {                                                                               \
            *reason = "missing or invalid field: " field;                                          \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

/* Fills out->u for out->t from o; false with *reason on the first bad field. */
static bool take_fields(const json_t *o, struct proto_cmsg *out, const char **reason)
{
    switch (out->t) {
    case PROTO_C_COMMENT:
        NEED(get_text(o, "text", out->u.comment.text, PROTO_COMMENT_MAX_CP), "text");
        break;
    case PROTO_C_LIKE:
        NEED(get_i32(o, "n", 1, 100, &out->u.like.n), "n");
        break;
    case PROTO_C_ORDER:
        /* `req` is the idempotency key of an order, so it is required here. */
        NEED(out->has_req, "req");
        NEED(get_id(o, "sale", out->u.order.sale), "sale");
        NEED(get_i32(o, "qty", 1, QTY_MAX, &out->u.order.qty), "qty");
        break;
    case PROTO_C_BAG_JOIN:
        NEED(get_id(o, "bag", out->u.bag_join.bag), "bag");
        break;
    case PROTO_C_CARD_CLICK:
        NEED(get_id(o, "sku", out->u.card_click.sku), "sku");
        break;
    case PROTO_C_WECOM: {
        size_t len;
        const char *a;

        NEED(get_id(o, "prompt", out->u.wecom.prompt), "prompt");
        a = get_string(o, "action", &len);
        if (a != NULL && len == 5 && memcmp(a, "shown", 5) == 0)
            out->u.wecom.action = PROTO_WECOM_SHOWN;
        else if (a != NULL && len == 7 && memcmp(a, "clicked", 7) == 0)
            out->u.wecom.action = PROTO_WECOM_CLICKED;
        else if (a != NULL && len == 5 && memcmp(a, "added", 5) == 0)
            out->u.wecom.action = PROTO_WECOM_ADDED;
        else
            NEED(false, "action");
        break;
    }
    case PROTO_C_PING:
    case PROTO_C_CARD_CLEAR:
    case PROTO_C_ROOM_CLOSE:
        break;
    case PROTO_C_CARD:
        NEED(get_id(o, "sku", out->u.card.sku), "sku");
        NEED(get_text(o, "title", out->u.card.title, PROTO_TEXT_MAX_CP), "title");
        NEED(get_i64(o, "price", 0, MONEY_MAX, &out->u.card.price), "price");
        NEED(get_i64(o, "live_price", 0, MONEY_MAX, &out->u.card.live_price), "live_price");
        NEED(get_url(o, "image", out->u.card.image), "image");
        NEED(get_url(o, "path", out->u.card.path), "path");
        break;
    case PROTO_C_SALE_START:
        NEED(get_id(o, "sale", out->u.sale_start.sale), "sale");
        NEED(get_id(o, "sku", out->u.sale_start.sku), "sku");
        NEED(get_i64(o, "stock", 1, STOCK_MAX, &out->u.sale_start.stock), "stock");
        NEED(get_i32(o, "limit", 1, QTY_MAX, &out->u.sale_start.limit), "limit");
        NEED(get_i64(o, "price", 0, MONEY_MAX, &out->u.sale_start.price), "price");
        NEED(get_i64(o, "duration", 1, SECS_MAX, &out->u.sale_start.duration), "duration");
        NEED(get_i64(o, "pay_window", 1, SECS_MAX, &out->u.sale_start.pay_window), "pay_window");
        if (json_object_get(o, "starts_at") != NULL)
            NEED(get_i64(o, "starts_at", 0, TIME_MS_MAX, &out->u.sale_start.starts_at),
                 "starts_at");
        else
            out->u.sale_start.starts_at = 0;
        break;
    case PROTO_C_SALE_STOP:
        NEED(get_id(o, "sale", out->u.sale_stop.sale), "sale");
        break;
    case PROTO_C_BAG_START:
        NEED(get_id(o, "bag", out->u.bag_start.bag), "bag");
        NEED(get_text(o, "prize", out->u.bag_start.prize, PROTO_TEXT_MAX_CP), "prize");
        NEED(get_text(o, "keyword", out->u.bag_start.keyword, PROTO_COMMENT_MAX_CP), "keyword");
        NEED(get_i32(o, "winners", 1, WINNERS_MAX, &out->u.bag_start.winners), "winners");
        NEED(get_i64(o, "duration", 1, SECS_MAX, &out->u.bag_start.duration), "duration");
        NEED(get_i64(o, "min_watch", 0, SECS_MAX, &out->u.bag_start.min_watch), "min_watch");
        NEED(get_opt_bool(o, "not_won_today", &out->u.bag_start.not_won_today), "not_won_today");
        NEED(get_bag_require(o, &out->u.bag_start.require), "require");
        break;
    case PROTO_C_BAG_DRAW:
        NEED(get_id(o, "bag", out->u.bag_draw.bag), "bag");
        break;
    case PROTO_C_WECOM_PUSH:
        NEED(get_text(o, "title", out->u.wecom_push.title, PROTO_TEXT_MAX_CP), "title");
        NEED(get_text(o, "hook", out->u.wecom_push.hook, PROTO_TEXT_MAX_CP), "hook");
        NEED(get_url(o, "link", out->u.wecom_push.link), "link");
        break;
    case PROTO_C_MUTE:
        NEED(get_id(o, "uid", out->u.mute.uid), "uid");
        NEED(get_i64(o, "secs", 0, SECS_MAX, &out->u.mute.secs), "secs");
        break;
    case PROTO_C_DELETE:
        NEED(get_id(o, "id", out->u.del.id), "id");
        break;
    case PROTO_C_NOTICE:
        NEED(get_text(o, "text", out->u.notice.text, PROTO_TEXT_MAX_CP), "text");
        break;
    }
    return true;
}

int proto_cmsg_decode(const char *s, size_t len, struct proto_cmsg *out, const char **reason)
{
    json_error_t jerr;
    json_t *o;
    int rc = -1;

    /* The caller may read has_req / req after a failure, so they start cleared; the
     * union is filled field by field and needs no clearing. */
    out->t = 0;
    out->has_req = false;
    out->req[0] = '\0';

    /* Duplicate keys are refused: {"t":"like","t":"order"} would otherwise mean what
     * jansson's last-wins happens to pick, possibly unlike another reader of the log. */
    o = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (o == NULL) {
        *reason = json_error_code(&jerr) == json_error_duplicate_key ? "duplicate key in object"
                                                                     : "not valid JSON";
        return -1;
    }
    if (!json_is_object(o)) {
        *reason = "not a JSON object";
        goto out;
    }
    if (!take_req(o, out)) {
        *reason = "missing or invalid field: req";
        goto out;
    }
    if (!take_type(o, &out->t)) {
        *reason = json_is_string(json_object_get(o, "t")) ? "unknown message type"
                                                          : "missing or invalid field: t";
        goto out;
    }
    if (!take_fields(o, out, reason))
        goto out;
    rc = 0;
out:
    json_decref(o);
    return rc;
}
