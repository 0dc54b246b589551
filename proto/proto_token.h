/* proto_token.h: the signed access token `<uid>.<role>.<room>.<exp>.<sig>`.
 *
 * sig is lowercase hex of HMAC-SHA256(secret, "<uid>.<role>.<room>.<exp>"), computed
 * with OpenSSL and compared in constant time (CRYPTO_memcmp). No globals. */
#ifndef PROTO_TOKEN_H
#define PROTO_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto_limits.h"

enum proto_role {
    PROTO_ROLE_VIEWER = 0,
    PROTO_ROLE_HOST = 1,
    PROTO_ROLE_ADMIN = 2,
};

struct proto_token {
    char uid[PROTO_ID_MAX + 1];
    enum proto_role role;
    char room[PROTO_ID_MAX + 1]; /* a room id, or "*" for any room */
    int64_t exp;                 /* unix seconds */
};

enum proto_token_status {
    PROTO_TOKEN_OK = 0,
    PROTO_TOKEN_MALFORMED = -1, /* not five fields, bad id, unknown role, bad exp, bad hex */
    PROTO_TOKEN_BAD_SIG = -2,
    PROTO_TOKEN_EXPIRED = -3, /* exp + skew_s < now_s */
};

/* The clock skew allowed on `exp` by the contract. */
#define PROTO_TOKEN_SKEW_S 30

/* Parses and verifies s[0..len). On PROTO_TOKEN_OK fills *out; otherwise *out is
 * unspecified. `now_s` is the caller's clock (unix seconds), so tests pin time. */
enum proto_token_status proto_token_verify(const char *s, size_t len, const void *secret,
                                           size_t secret_len, int64_t now_s,
                                           struct proto_token *out);

/* Writes the token for *t (NUL-terminated) into out. Returns its length, or -1 when
 * out_size is too small or a field of *t is invalid. */
int proto_token_mint(const struct proto_token *t, const void *secret, size_t secret_len, char *out,
                     size_t out_size);

/* True when the token grants `room`: its room is that room or "*". */
bool proto_token_allows_room(const struct proto_token *t, const char *room);

/* "viewer", "host", "admin". */
const char *proto_role_name(enum proto_role role);

/* Parses a role name; returns false when unknown. */
bool proto_role_parse(const char *s, size_t len, enum proto_role *out);

/* True when s[0..len) matches [A-Za-z0-9_-]{1,64} (room, uid, sale, bag, sku ids). */
bool proto_id_is_valid(const char *s, size_t len);

#endif
