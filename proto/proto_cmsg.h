/* proto_cmsg.h: decoding of client-to-server messages (one JSON object per frame).
 *
 * The decoder parses with jansson, checks every field against the contract, and copies
 * what it keeps into fixed buffers of struct proto_cmsg: the caller owns the result and
 * nothing points back into the input or into jansson. Text fields come out valid UTF-8,
 * NUL-terminated; a string holding U+0000 is refused (bad_request). */
#ifndef PROTO_CMSG_H
#define PROTO_CMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto_limits.h"

enum proto_ctype {
    /* viewer messages */
    PROTO_C_COMMENT = 1,
    PROTO_C_LIKE,
    PROTO_C_ORDER,
    PROTO_C_BAG_JOIN,
    PROTO_C_CARD_CLICK,
    PROTO_C_WECOM,
    PROTO_C_PING,
    /* host messages (role host for the room, or admin) */
    PROTO_C_CARD,
    PROTO_C_CARD_CLEAR,
    PROTO_C_SALE_START,
    PROTO_C_SALE_STOP,
    PROTO_C_BAG_START,
    PROTO_C_BAG_DRAW,
    PROTO_C_WECOM_PUSH,
    PROTO_C_MUTE,
    PROTO_C_DELETE,
    PROTO_C_NOTICE,
    PROTO_C_ROOM_CLOSE, /* project addition: the host ends the live room */
};

/* True for the host-only types (PROTO_C_CARD .. PROTO_C_ROOM_CLOSE). */
bool proto_ctype_is_host(enum proto_ctype t);

/* The wire name of a type ("comment", "sale_start", ...). */
const char *proto_ctype_name(enum proto_ctype t);

enum proto_wecom_action {
    PROTO_WECOM_SHOWN = 1,
    PROTO_WECOM_CLICKED,
    PROTO_WECOM_ADDED,
};

/* bag_start.require: what a viewer must have done in the room to join. */
#define PROTO_BAG_REQ_COMMENT 1u
#define PROTO_BAG_REQ_LIKE    2u
#define PROTO_BAG_REQ_ORDER   4u

/* A pinned product card, as the host sends it and as `card` / `welcome` carry it. */
struct proto_card {
    char sku[PROTO_ID_MAX + 1];
    char title[PROTO_TEXT_MAX_BYTES + 1];
    int64_t price;      /* cents, >= 0 */
    int64_t live_price; /* cents, >= 0 */
    char image[PROTO_URL_MAX_BYTES + 1];
    char path[PROTO_URL_MAX_BYTES + 1];
};

struct proto_cmsg {
    enum proto_ctype t;
    bool has_req;
    char req[PROTO_REQ_MAX_BYTES + 1];
    union {
        struct {
            char text[PROTO_COMMENT_MAX_BYTES + 1]; /* trimmed, 1-200 code points */
        } comment;
        struct {
            int32_t n; /* 1-100 */
        } like;
        struct {
            char sale[PROTO_ID_MAX + 1];
            int32_t qty; /* >= 1 */
        } order;
        struct {
            char bag[PROTO_ID_MAX + 1];
        } bag_join;
        struct {
            char sku[PROTO_ID_MAX + 1];
        } card_click;
        struct {
            char prompt[PROTO_ID_MAX + 1];
            enum proto_wecom_action action;
        } wecom;
        struct proto_card card;
        struct {
            char sale[PROTO_ID_MAX + 1];
            char sku[PROTO_ID_MAX + 1];
            int64_t stock;      /* >= 1 */
            int32_t limit;      /* per uid, >= 1 */
            int64_t price;      /* cents, >= 0 */
            int64_t duration;   /* seconds, >= 1 */
            int64_t pay_window; /* seconds, >= 1 */
            int64_t starts_at;  /* unix ms, 0 when absent (optional field) */
        } sale_start;
        struct {
            char sale[PROTO_ID_MAX + 1];
        } sale_stop;
        struct {
            char bag[PROTO_ID_MAX + 1];
            char prize[PROTO_TEXT_MAX_BYTES + 1];
            char keyword[PROTO_COMMENT_MAX_BYTES + 1]; /* trimmed, 1-200 code points */
            int32_t winners;                           /* >= 1 */
            int64_t duration;                          /* seconds, >= 1 */
            int64_t min_watch;                         /* seconds, >= 0 */
            /* Project additions, optional: only uids that have not won a bag in this
             * room today (`not_won_today`: true), and only uids that have done each of
             * the things listed in `require` (PROTO_BAG_REQ_* bits). */
            bool not_won_today;
            uint8_t require;
        } bag_start;
        struct {
            char bag[PROTO_ID_MAX + 1];
        } bag_draw;
        struct {
            char title[PROTO_TEXT_MAX_BYTES + 1];
            char hook[PROTO_TEXT_MAX_BYTES + 1];
            char link[PROTO_URL_MAX_BYTES + 1];
        } wecom_push;
        struct {
            char uid[PROTO_ID_MAX + 1];
            int64_t secs; /* >= 0; 0 lifts the mute */
        } mute;
        struct {
            char id[PROTO_ID_MAX + 1]; /* comment id */
        } del;
        struct {
            char text[PROTO_TEXT_MAX_BYTES + 1]; /* trimmed, 1-500 code points */
        } notice;
    } u;
};

/* Decodes one client frame s[0..len), which the caller has already checked is valid
 * UTF-8 and within the frame limit. Returns 0 and fills *out, or -1 with *reason a
 * short static English text (for the `error` `msg`) and, when the frame was an object
 * with a usable `req`, out->has_req / out->req set so the error can echo it.
 * Every failure here is `bad_request`: not JSON, not an object, missing or non-string
 * `t`, unknown `t`, a missing, mistyped or out-of-range field, `req` over 64 code
 * points. Unknown extra fields are ignored. */
int proto_cmsg_decode(const char *s, size_t len, struct proto_cmsg *out, const char **reason);

#endif
