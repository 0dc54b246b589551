/* proto_enc.c: the JSON writer, the server-to-client message encoders and WebSocket framing. */
#include "proto_enc.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_utf8.h"

/* Most messages fit; a welcome with several sales grows once or twice. */
#define BUF_INITIAL 256

/* ---- buffer ----------------------------------------------------------------------- */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);

    if (q == NULL) {
        fprintf(stderr, "proto: out of memory (%zu bytes)\n", n);
        abort();
    }
    return q;
}

/* The buffer owns memory from init on, so proto_buf_data() is a valid pointer even for
 * an empty buffer. */
void proto_buf_init(struct proto_buf *b, size_t headroom)
{
    b->headroom = headroom;
    b->len = 0;
    b->cap = BUF_INITIAL;
    b->mem = xrealloc(NULL, headroom + BUF_INITIAL);
}

void proto_buf_fini(struct proto_buf *b)
{
    if (b == NULL)
        return;
    free(b->mem);
    b->mem = NULL;
    b->len = 0;
    b->cap = 0;
}

void proto_buf_reset(struct proto_buf *b)
{
    b->len = 0;
}

static void reserve(struct proto_buf *b, size_t n)
{
    size_t need, cap;

    if (n <= b->cap - b->len)
        return;
    if (n > SIZE_MAX / 2 - b->headroom - b->len) {
        fprintf(stderr, "proto: buffer size overflow\n");
        abort();
    }
    need = b->len + n;
    cap = b->cap > 0 ? b->cap : BUF_INITIAL;
    while (cap < need)
        cap *= 2;
    b->mem = xrealloc(b->mem, b->headroom + cap);
    b->cap = cap;
}

void proto_buf_append(struct proto_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    reserve(b, n);
    memcpy(b->mem + b->headroom + b->len, p, n);
    b->len += n;
}

static void put_byte(struct proto_buf *b, unsigned char c)
{
    reserve(b, 1);
    b->mem[b->headroom + b->len++] = c;
}

static void put_lit(struct proto_buf *b, const char *s)
{
    proto_buf_append(b, s, strlen(s));
}

/* ---- JSON writer ------------------------------------------------------------------ */

/* The writer keeps no state of its own: a member or element needs a comma unless it
 * is the first, which shows as the byte before it being '{' or '[' (or nothing). A
 * value never ends in either, so the rule is exact. Appending a second value at top
 * level therefore also gets a comma: a batch is arr_begin(NULL), messages, arr_end. */
static void sep_key(struct proto_buf *b, const char *key)
{
    if (b->len > 0) {
        unsigned char last = proto_buf_data(b)[b->len - 1];

        if (last != '{' && last != '[')
            put_byte(b, ',');
    }
    if (key != NULL) {
        put_byte(b, '"');
        put_lit(b, key);
        put_byte(b, '"');
        put_byte(b, ':');
    }
}

void proto_json_obj_begin(struct proto_buf *b)
{
    sep_key(b, NULL);
    put_byte(b, '{');
}

void proto_json_obj_end(struct proto_buf *b)
{
    put_byte(b, '}');
}

/* An object value under a key, used for nested objects such as welcome.card. */
static void obj_begin_key(struct proto_buf *b, const char *key)
{
    sep_key(b, key);
    put_byte(b, '{');
}

void proto_json_arr_begin(struct proto_buf *b, const char *key)
{
    sep_key(b, key);
    put_byte(b, '[');
}

void proto_json_arr_end(struct proto_buf *b)
{
    put_byte(b, ']');
}

/* Escapes one run of valid UTF-8. Besides what JSON requires (", \, controls), U+2028
 * and U+2029 are escaped: they are legal in JSON but end a line in older JavaScript,
 * which breaks clients that still eval or embed the text. */
static void put_escaped_run(struct proto_buf *b, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t plain = 0; /* start of the pending run that needs no escaping */

    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        char esc[7];

        if (c >= 0x20 && c != '"' && c != '\\' &&
            !(c == 0xE2 && n - i >= 3 && p[i + 1] == 0x80 && (p[i + 2] & 0xFE) == 0xA8))
            continue;
        proto_buf_append(b, p + plain, i - plain);
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            proto_buf_append(b, esc, 2);
        } else if (c == 0xE2) {
            proto_buf_append(b, p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
            i += 2;
        } else {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xF];
            proto_buf_append(b, esc, 6);
        }
        plain = i + 1;
    }
    proto_buf_append(b, p + plain, n - plain);
}

/* Strings are promised to be valid UTF-8, but one bad byte from a store or a config
 * would make the message unparseable for every viewer; each byte that starts no valid
 * sequence becomes U+FFFD instead. */
static void put_string(struct proto_buf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;

    put_byte(b, '"');
    while (len > 0) {
        size_t ok = proto_utf8_valid_prefix((const char *)p, len);

        put_escaped_run(b, p, ok);
        if (ok == len)
            break;
        proto_buf_append(b, "\xEF\xBF\xBD", 3);
        p += ok + 1;
        len -= ok + 1;
    }
    put_byte(b, '"');
}

void proto_json_str(struct proto_buf *b, const char *key, const char *s, size_t len)
{
    sep_key(b, key);
    put_string(b, s, len);
}

void proto_json_cstr(struct proto_buf *b, const char *key, const char *s)
{
    if (s == NULL)
        proto_json_null(b, key);
    else
        proto_json_str(b, key, s, strlen(s));
}

void proto_json_int(struct proto_buf *b, const char *key, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%" PRId64, v);

    sep_key(b, key);
    proto_buf_append(b, num, (size_t)n);
}

void proto_json_uint(struct proto_buf *b, const char *key, uint64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%" PRIu64, v);

    sep_key(b, key);
    proto_buf_append(b, num, (size_t)n);
}

void proto_json_bool(struct proto_buf *b, const char *key, bool v)
{
    sep_key(b, key);
    put_lit(b, v ? "true" : "false");
}

void proto_json_null(struct proto_buf *b, const char *key)
{
    sep_key(b, key);
    put_lit(b, "null");
}

void proto_json_raw(struct proto_buf *b, const char *key, const char *raw, size_t len)
{
    sep_key(b, key);
    proto_buf_append(b, raw, len);
}

/* ---- WebSocket framing ------------------------------------------------------------ */

size_t proto_ws_text_header(unsigned char *out, uint64_t payload_len)
{
    /* RFC 6455 5.2: the most significant bit of a 64-bit length must be 0. */
    assert(payload_len <= INT64_MAX);
    out[0] = 0x81; /* FIN, opcode 1 (text) */
    if (payload_len <= 125) {
        out[1] = (unsigned char)payload_len;
        return 2;
    }
    if (payload_len <= 0xFFFF) {
        out[1] = 126;
        out[2] = (unsigned char)(payload_len >> 8);
        out[3] = (unsigned char)payload_len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (unsigned char)(payload_len >> (56 - 8 * i));
    return 10;
}

/* ---- names ------------------------------------------------------------------------ */

static const char *const err_names[] = {
    [PROTO_ERR_BAD_REQUEST] = "bad_request",
    [PROTO_ERR_UNAUTHORIZED] = "unauthorized",
    [PROTO_ERR_FORBIDDEN] = "forbidden",
    [PROTO_ERR_TOO_LARGE] = "too_large",
    [PROTO_ERR_RATE_LIMITED] = "rate_limited",
    [PROTO_ERR_MUTED] = "muted",
    [PROTO_ERR_NOT_FOUND] = "not_found",
    [PROTO_ERR_NOT_STARTED] = "not_started",
    [PROTO_ERR_ENDED] = "ended",
    [PROTO_ERR_SOLD_OUT] = "sold_out",
    [PROTO_ERR_LIMIT_EXCEEDED] = "limit_exceeded",
    [PROTO_ERR_NOT_ELIGIBLE] = "not_eligible",
    [PROTO_ERR_UNAVAILABLE] = "unavailable",
    [PROTO_ERR_CONFLICT] = "conflict",
    [PROTO_ERR_BLOCKED] = "blocked",
};

const char *proto_err_name(enum proto_err e)
{
    if ((unsigned)e >= sizeof(err_names) / sizeof(err_names[0]) || err_names[e] == NULL)
        return "unknown";
    return err_names[e];
}

const char *proto_sale_state_name(enum proto_sale_state s)
{
    switch (s) {
    case PROTO_SALE_LIVE:
        return "live";
    case PROTO_SALE_SOLD_OUT:
        return "sold_out";
    case PROTO_SALE_ENDED:
        return "ended";
    }
    return "unknown";
}

static const char *bag_state_name(enum proto_bag_state s)
{
    return s == PROTO_BAG_DRAWN ? "drawn" : "open";
}

/* ---- server messages -------------------------------------------------------------- */

static void begin_msg(struct proto_buf *b, const char *type)
{
    proto_json_obj_begin(b);
    proto_json_cstr(b, "t", type);
}

static void put_seq(struct proto_buf *b, uint64_t seq)
{
    if (seq != 0)
        proto_json_uint(b, "seq", seq);
}

static void put_req(struct proto_buf *b, const char *req)
{
    if (req != NULL)
        proto_json_cstr(b, "req", req);
}

void proto_enc_comment(struct proto_buf *b, uint64_t seq, const char *id, const char *uid,
                       const char *nick, const char *text, int64_t ts_ms)
{
    begin_msg(b, "comment");
    put_seq(b, seq); /* 0: a comment sampled out of the room stream carries no seq */
    proto_json_cstr(b, "id", id);
    proto_json_cstr(b, "uid", uid);
    /* The contract: without a nick, the uid is shown. */
    proto_json_cstr(b, "nick", nick != NULL ? nick : uid);
    proto_json_cstr(b, "text", text);
    proto_json_int(b, "ts", ts_ms);
    proto_json_obj_end(b);
}

void proto_enc_comment_deleted(struct proto_buf *b, uint64_t seq, const char *id)
{
    begin_msg(b, "comment_deleted");
    proto_json_uint(b, "seq", seq);
    proto_json_cstr(b, "id", id);
    proto_json_obj_end(b);
}

void proto_enc_likes(struct proto_buf *b, uint64_t total)
{
    begin_msg(b, "likes");
    proto_json_uint(b, "total", total);
    proto_json_obj_end(b);
}

void proto_enc_online(struct proto_buf *b, uint64_t count)
{
    begin_msg(b, "online");
    proto_json_uint(b, "count", count);
    proto_json_obj_end(b);
}

/* The card's six fields, every one null for a cleared card. */
static void put_card_fields(struct proto_buf *b, const struct proto_card *card)
{
    if (card == NULL) {
        static const char *const keys[] = {"sku", "title", "price", "live_price", "image", "path"};

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            proto_json_null(b, keys[i]);
        return;
    }
    proto_json_cstr(b, "sku", card->sku);
    proto_json_cstr(b, "title", card->title);
    proto_json_int(b, "price", card->price);
    proto_json_int(b, "live_price", card->live_price);
    proto_json_cstr(b, "image", card->image);
    proto_json_cstr(b, "path", card->path);
}

void proto_enc_card(struct proto_buf *b, uint64_t seq, const struct proto_card *card)
{
    begin_msg(b, "card");
    proto_json_uint(b, "seq", seq);
    put_card_fields(b, card);
    proto_json_obj_end(b);
}

void proto_enc_card_value(struct proto_buf *b, const char *key, const struct proto_card *card)
{
    if (card == NULL) {
        proto_json_null(b, key);
        return;
    }
    obj_begin_key(b, key);
    put_card_fields(b, card);
    proto_json_obj_end(b);
}

void proto_enc_notice(struct proto_buf *b, uint64_t seq, const char *code, const char *text)
{
    begin_msg(b, "notice");
    put_seq(b, seq);
    if (code != NULL)
        proto_json_cstr(b, "code", code);
    proto_json_cstr(b, "text", text);
    proto_json_obj_end(b);
}

void proto_enc_error(struct proto_buf *b, enum proto_err code, const char *msg, const char *req)
{
    begin_msg(b, "error");
    proto_json_cstr(b, "code", proto_err_name(code));
    proto_json_cstr(b, "msg", msg != NULL ? msg : "");
    put_req(b, req);
    proto_json_obj_end(b);
}

void proto_enc_ack(struct proto_buf *b, const char *req)
{
    begin_msg(b, "ack");
    put_req(b, req);
    proto_json_obj_end(b);
}

void proto_enc_pong(struct proto_buf *b)
{
    begin_msg(b, "pong");
    proto_json_obj_end(b);
}

void proto_enc_sale(struct proto_buf *b, uint64_t seq, const struct proto_sale_view *s,
                    bool with_type)
{
    if (with_type)
        begin_msg(b, "sale");
    else
        proto_json_obj_begin(b);
    put_seq(b, seq);
    proto_json_cstr(b, "sale", s->sale);
    proto_json_cstr(b, "sku", s->sku);
    proto_json_int(b, "price", s->price);
    proto_json_int(b, "stock", s->stock);
    proto_json_int(b, "left", s->left);
    proto_json_int(b, "limit", s->limit);
    proto_json_cstr(b, "state", proto_sale_state_name(s->state));
    proto_json_int(b, "ends_at", s->ends_at);
    if (s->starts_at != 0)
        proto_json_int(b, "starts_at", s->starts_at);
    proto_json_obj_end(b);
}

void proto_enc_stock(struct proto_buf *b, const char *sale, int64_t left)
{
    begin_msg(b, "stock");
    proto_json_cstr(b, "sale", sale);
    proto_json_int(b, "left", left);
    proto_json_obj_end(b);
}

void proto_enc_order_ok(struct proto_buf *b, const char *req, const char *order, const char *sale,
                        int32_t qty, int64_t pay_by_ms)
{
    begin_msg(b, "order");
    put_req(b, req);
    proto_json_bool(b, "ok", true);
    proto_json_cstr(b, "order", order);
    proto_json_cstr(b, "sale", sale);
    proto_json_int(b, "qty", qty);
    proto_json_int(b, "pay_by", pay_by_ms);
    proto_json_obj_end(b);
}

void proto_enc_order_fail(struct proto_buf *b, const char *req, enum proto_err code,
                          const char *msg)
{
    begin_msg(b, "order");
    put_req(b, req);
    proto_json_bool(b, "ok", false);
    proto_json_cstr(b, "code", proto_err_name(code));
    proto_json_cstr(b, "msg", msg != NULL ? msg : "");
    proto_json_obj_end(b);
}

void proto_enc_bag(struct proto_buf *b, uint64_t seq, const struct proto_bag_view *v,
                   bool with_type, bool has_joined, bool joined, bool has_you_won, bool you_won)
{
    if (with_type)
        begin_msg(b, "bag");
    else
        proto_json_obj_begin(b);
    put_seq(b, seq);
    proto_json_cstr(b, "bag", v->bag);
    proto_json_cstr(b, "state", bag_state_name(v->state));
    proto_json_cstr(b, "prize", v->prize);
    proto_json_cstr(b, "keyword", v->keyword);
    /* `winners` changes type with the state: a count while open, the uids once drawn. */
    if (v->state == PROTO_BAG_DRAWN) {
        proto_json_arr_begin(b, "winners");
        for (size_t i = 0; i < v->n_winners; i++)
            proto_json_cstr(b, NULL, v->winners[i]);
        proto_json_arr_end(b);
    } else {
        proto_json_int(b, "winners", v->winners_count);
    }
    proto_json_int(b, "ends_at", v->ends_at);
    if (has_joined)
        proto_json_bool(b, "joined", joined);
    if (has_you_won)
        proto_json_bool(b, "you_won", you_won);
    if (v->commit != NULL)
        proto_json_cstr(b, "commit", v->commit);
    if (v->seed != NULL)
        proto_json_cstr(b, "seed", v->seed);
    if (v->has_count)
        proto_json_uint(b, "count", v->count);
    proto_json_obj_end(b);
}

void proto_enc_bag_count(struct proto_buf *b, const char *bag, uint64_t count)
{
    begin_msg(b, "bag_count");
    proto_json_cstr(b, "bag", bag);
    proto_json_uint(b, "count", count);
    proto_json_obj_end(b);
}

void proto_enc_wecom(struct proto_buf *b, const char *prompt, const char *title, const char *hook,
                     const char *link)
{
    begin_msg(b, "wecom");
    proto_json_cstr(b, "prompt", prompt);
    proto_json_cstr(b, "title", title);
    proto_json_cstr(b, "hook", hook);
    proto_json_cstr(b, "link", link);
    proto_json_obj_end(b);
}

void proto_enc_welcome(struct proto_buf *b, const struct proto_welcome *w)
{
    begin_msg(b, "welcome");
    proto_json_cstr(b, "uid", w->uid);
    proto_json_cstr(b, "room", w->room);
    if (w->role != NULL)
        proto_json_cstr(b, "role", w->role);
    proto_json_uint(b, "seq", w->seq);
    proto_json_uint(b, "online", w->online);
    proto_json_uint(b, "likes", w->likes);
    proto_enc_card_value(b, "card", w->card);
    if (w->sales_json != NULL && w->sales_len > 0)
        proto_json_raw(b, "sales", w->sales_json, w->sales_len);
    else
        proto_json_raw(b, "sales", "[]", 2);
    if (w->bag_json != NULL && w->bag_len > 0)
        proto_json_raw(b, "bag", w->bag_json, w->bag_len);
    else
        proto_json_null(b, "bag");
    proto_json_obj_end(b);
}
