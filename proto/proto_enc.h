/* proto_enc.h: encoding of server-to-client messages and their WebSocket framing.
 *
 * Messages are encoded by hand into a growable buffer (struct proto_buf) that keeps
 * `headroom` spare bytes before the payload, so the gateway can put libwebsockets'
 * LWS_PRE area and the frame header in front without a copy. A room event is encoded
 * and framed once, then shared by every viewer. Out of memory aborts. */
#ifndef PROTO_ENC_H
#define PROTO_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto_cmsg.h"
#include "proto_limits.h"

/* ---- buffer and JSON writer ------------------------------------------------------ */

struct proto_buf {
    unsigned char *mem; /* owned: headroom + cap bytes */
    size_t headroom;
    size_t len; /* payload bytes at mem + headroom */
    size_t cap; /* payload capacity */
};

void proto_buf_init(struct proto_buf *b, size_t headroom);
void proto_buf_fini(struct proto_buf *b);  /* accepts an initialised, emptied or NULL buf */
void proto_buf_reset(struct proto_buf *b); /* len = 0, memory kept */
static inline unsigned char *proto_buf_data(const struct proto_buf *b)
{
    return b->mem + b->headroom;
}
void proto_buf_append(struct proto_buf *b, const void *p, size_t n);

/* A minimal JSON writer. Keys are trusted ASCII literals; string values are escaped
 * (", \, control characters as \u00XX; valid UTF-8 passes through unchanged). A comma
 * is inserted automatically before a member or element that is not the first. */
void proto_json_obj_begin(struct proto_buf *b);
void proto_json_obj_end(struct proto_buf *b);
void proto_json_arr_begin(struct proto_buf *b, const char *key); /* key NULL inside arrays */
void proto_json_arr_end(struct proto_buf *b);
void proto_json_str(struct proto_buf *b, const char *key, const char *s, size_t len);
void proto_json_cstr(struct proto_buf *b, const char *key, const char *s); /* NULL -> null */
void proto_json_int(struct proto_buf *b, const char *key, int64_t v);
void proto_json_uint(struct proto_buf *b, const char *key, uint64_t v);
void proto_json_bool(struct proto_buf *b, const char *key, bool v);
void proto_json_null(struct proto_buf *b, const char *key);
void proto_json_raw(struct proto_buf *b, const char *key, const char *raw, size_t len);

/* ---- WebSocket framing ------------------------------------------------------------ */

/* Writes the header of an unmasked, final text frame (opcode 1) carrying payload_len
 * bytes into out[0..PROTO_WS_HEADER_MAX) and returns its length: 2, 4 or 10. */
size_t proto_ws_text_header(unsigned char *out, uint64_t payload_len);

/* ---- error codes ------------------------------------------------------------------ */

enum proto_err {
    PROTO_ERR_BAD_REQUEST = 1,
    PROTO_ERR_UNAUTHORIZED,
    PROTO_ERR_FORBIDDEN,
    PROTO_ERR_TOO_LARGE,
    PROTO_ERR_RATE_LIMITED,
    PROTO_ERR_MUTED,
    PROTO_ERR_NOT_FOUND,
    PROTO_ERR_NOT_STARTED,
    PROTO_ERR_ENDED,
    PROTO_ERR_SOLD_OUT,
    PROTO_ERR_LIMIT_EXCEEDED,
    PROTO_ERR_NOT_ELIGIBLE,
    PROTO_ERR_UNAVAILABLE,
    PROTO_ERR_CONFLICT, /* project addition: a state transition that is no longer possible */
    PROTO_ERR_BLOCKED,  /* project addition: a comment refused by the sensitive-word filter */
};

/* The wire code: "bad_request", "unauthorized", ... */
const char *proto_err_name(enum proto_err e);

/* ---- server messages -------------------------------------------------------------- */
/* Each appends one complete JSON object to b (b is not reset first). String arguments
 * are NUL-terminated valid UTF-8; `req` may be NULL (then the field is omitted). */

/* seq == 0 omits `seq`: a comment kept out of the room stream by sampling reaches only
 * its author and the hosts, as a targeted message. */
void proto_enc_comment(struct proto_buf *b, uint64_t seq, const char *id, const char *uid,
                       const char *nick, const char *text, int64_t ts_ms);
void proto_enc_comment_deleted(struct proto_buf *b, uint64_t seq, const char *id);
void proto_enc_likes(struct proto_buf *b, uint64_t total);
void proto_enc_online(struct proto_buf *b, uint64_t count);
/* card == NULL encodes a cleared card: every card field null. */
void proto_enc_card(struct proto_buf *b, uint64_t seq, const struct proto_card *card);
/* Appends the card's fields as an object value under `key` (NULL -> null), for welcome. */
void proto_enc_card_value(struct proto_buf *b, const char *key, const struct proto_card *card);
/* seq == 0 omits `seq` (a targeted notice, such as "replay window exceeded"); code may be
 * NULL, else it is sent as `code` (project addition, e.g. "replay_gap"). */
void proto_enc_notice(struct proto_buf *b, uint64_t seq, const char *code, const char *text);
void proto_enc_error(struct proto_buf *b, enum proto_err code, const char *msg, const char *req);
void proto_enc_ack(struct proto_buf *b, const char *req);
void proto_enc_pong(struct proto_buf *b);

enum proto_sale_state {
    PROTO_SALE_LIVE = 1,
    PROTO_SALE_SOLD_OUT,
    PROTO_SALE_ENDED,
};
const char *proto_sale_state_name(enum proto_sale_state s);

struct proto_sale_view {
    const char *sale;
    const char *sku;
    int64_t price; /* cents */
    int64_t stock;
    int64_t left;
    int32_t limit;
    enum proto_sale_state state;
    int64_t ends_at;   /* unix ms */
    int64_t starts_at; /* unix ms; 0 omits the field */
};

/* `sale` message; seq == 0 with with_type == false gives the object `welcome.sales`
 * lists (no `t`, no `seq`). */
void proto_enc_sale(struct proto_buf *b, uint64_t seq, const struct proto_sale_view *s,
                    bool with_type);
void proto_enc_stock(struct proto_buf *b, const char *sale, int64_t left);

/* `order` replies. */
void proto_enc_order_ok(struct proto_buf *b, const char *req, const char *order, const char *sale,
                        int32_t qty, int64_t pay_by_ms);
void proto_enc_order_fail(struct proto_buf *b, const char *req, enum proto_err code,
                          const char *msg);

enum proto_bag_state {
    PROTO_BAG_OPEN = 1,
    PROTO_BAG_DRAWN,
};

struct proto_bag_view {
    const char *bag;
    enum proto_bag_state state;
    const char *prize;
    const char *keyword;
    int32_t winners_count;      /* when open */
    const char *const *winners; /* when drawn: winner uids */
    size_t n_winners;
    int64_t ends_at;    /* unix ms */
    const char *commit; /* project addition: hex SHA-256 of the seed, or NULL */
    const char *seed;   /* project addition: hex seed once drawn, or NULL */
    bool has_count;     /* project addition: write `count`, the participants so far */
    uint64_t count;
};

/* `bag`: seq == 0 omits `seq` (the viewer's own reply); joined / you_won are written
 * only when their has_ flag is true. with_type false gives the welcome.bag object. */
void proto_enc_bag(struct proto_buf *b, uint64_t seq, const struct proto_bag_view *v,
                   bool with_type, bool has_joined, bool joined, bool has_you_won, bool you_won);
void proto_enc_bag_count(struct proto_buf *b, const char *bag, uint64_t count);
void proto_enc_wecom(struct proto_buf *b, const char *prompt, const char *title, const char *hook,
                     const char *link);

/* `welcome`. card NULL -> null. sales_json / bag_json are complete JSON values written
 * with this module (an array, an object or "null"); NULL means [] / null. */
struct proto_welcome {
    const char *uid;
    const char *room;
    uint64_t seq;
    uint64_t online;
    uint64_t likes;
    const struct proto_card *card;
    const char *sales_json;
    size_t sales_len;
    const char *bag_json;
    size_t bag_len;
    const char *role; /* project addition: "viewer", "host", "admin" */
};
void proto_enc_welcome(struct proto_buf *b, const struct proto_welcome *w);

#endif
