/* proto_token.c: minting and verifying `<uid>.<role>.<room>.<exp>.<sig>` access tokens. */
#include "proto_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define SIG_BYTES      32 /* HMAC-SHA256 */
#define SIG_HEX        (SIG_BYTES * 2)
#define EXP_DIGITS_MAX 19 /* INT64_MAX has 19 digits */

static const char *const role_names[] = {
    [PROTO_ROLE_VIEWER] = "viewer",
    [PROTO_ROLE_HOST] = "host",
    [PROTO_ROLE_ADMIN] = "admin",
};

const char *proto_role_name(enum proto_role role)
{
    if ((unsigned)role >= sizeof(role_names) / sizeof(role_names[0]))
        return "unknown";
    return role_names[role];
}

bool proto_role_parse(const char *s, size_t len, enum proto_role *out)
{
    for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++) {
        if (strlen(role_names[i]) == len && memcmp(role_names[i], s, len) == 0) {
            *out = (enum proto_role)i;
            return true;
        }
    }
    return false;
}

static bool is_id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

bool proto_id_is_valid(const char *s, size_t len)
{
    if (len == 0 || len > PROTO_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_id_char((unsigned char)s[i]))
            return false;
    }
    return true;
}

static bool room_is_valid(const char *s, size_t len)
{
    return (len == 1 && s[0] == '*') || proto_id_is_valid(s, len);
}

bool proto_token_allows_room(const struct proto_token *t, const char *room)
{
    if (room == NULL)
        return false;
    return strcmp(t->room, "*") == 0 || strcmp(t->room, room) == 0;
}

/* HMAC-SHA256(secret, msg) into mac. OpenSSL allocates its context internally; this
 * file itself allocates nothing. An empty secret is passed as a valid pointer because
 * OpenSSL reads a NULL key as "no key given". */
static bool hmac_sha256(const void *secret, size_t secret_len, const char *msg, size_t msg_len,
                        unsigned char mac[SIG_BYTES])
{
    static const unsigned char empty_key[1];
    size_t mac_len = 0;

    if (secret_len == 0)
        secret = empty_key;
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, secret_len,
                  (const unsigned char *)msg, msg_len, mac, SIG_BYTES, &mac_len) == NULL)
        return false;
    return mac_len == SIG_BYTES;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* the contract says lowercase: 'A'-'F' is malformed */
}

/* Decimal exp without sign, 1-19 digits, within int64. Leading zeros are accepted: the
 * signature covers the exact text, so they cannot be used to forge anything. */
static bool parse_exp(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;

    if (len == 0 || len > EXP_DIGITS_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        int d = s[i] - '0';

        if (d < 0 || d > 9)
            return false;
        if (v > (INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* Splits s[0..len) at its dots into exactly five fields. */
static bool split5(const char *s, size_t len, const char *f[5], size_t flen[5])
{
    size_t k = 0, start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (k == 5)
                return false;
            f[k] = s + start;
            flen[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    return k == 5;
}

enum proto_token_status proto_token_verify(const char *s, size_t len, const void *secret,
                                           size_t secret_len, int64_t now_s,
                                           struct proto_token *out)
{
    const char *f[5];
    size_t flen[5];
    unsigned char want[SIG_BYTES], got[SIG_BYTES];
    int64_t exp;

    if (len == 0 || len > PROTO_TOKEN_MAX_BYTES || !split5(s, len, f, flen))
        return PROTO_TOKEN_MALFORMED;
    if (!proto_id_is_valid(f[0], flen[0]) || !proto_role_parse(f[1], flen[1], &out->role) ||
        !room_is_valid(f[2], flen[2]) || !parse_exp(f[3], flen[3], &exp) || flen[4] != SIG_HEX)
        return PROTO_TOKEN_MALFORMED;
    for (size_t i = 0; i < SIG_BYTES; i++) {
        int hi = hex_value((unsigned char)f[4][2 * i]);
        int lo = hex_value((unsigned char)f[4][2 * i + 1]);

        if (hi < 0 || lo < 0)
            return PROTO_TOKEN_MALFORMED;
        got[i] = (unsigned char)(hi << 4 | lo);
    }

    /* The signed text is everything before the last dot. */
    if (!hmac_sha256(secret, secret_len, s, (size_t)(f[4] - s) - 1, want))
        return PROTO_TOKEN_BAD_SIG; /* fail closed when the MAC cannot be computed */
    if (CRYPTO_memcmp(want, got, SIG_BYTES) != 0)
        return PROTO_TOKEN_BAD_SIG;

    /* exp + skew < now, written so that neither side can overflow. */
    if (now_s > INT64_MIN + PROTO_TOKEN_SKEW_S && exp < now_s - PROTO_TOKEN_SKEW_S)
        return PROTO_TOKEN_EXPIRED;

    memcpy(out->uid, f[0], flen[0]);
    out->uid[flen[0]] = '\0';
    memcpy(out->room, f[2], flen[2]);
    out->room[flen[2]] = '\0';
    out->exp = exp;
    return PROTO_TOKEN_OK;
}

int proto_token_mint(const struct proto_token *t, const void *secret, size_t secret_len, char *out,
                     size_t out_size)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[SIG_BYTES];
    int n;

    if ((unsigned)t->role > PROTO_ROLE_ADMIN || t->exp < 0 ||
        !proto_id_is_valid(t->uid, strnlen(t->uid, sizeof(t->uid))) ||
        !room_is_valid(t->room, strnlen(t->room, sizeof(t->room))))
        return -1;
    n = snprintf(out, out_size, "%s.%s.%s.%lld.", t->uid, role_names[t->role], t->room,
                 (long long)t->exp);
    if (n < 0 || (size_t)n + SIG_HEX >= out_size)
        return -1;
    if (!hmac_sha256(secret, secret_len, out, (size_t)n - 1, mac))
        return -1;
    for (size_t i = 0; i < SIG_BYTES; i++) {
        out[n++] = hex[mac[i] >> 4];
        out[n++] = hex[mac[i] & 0xF];
    }
    out[n] = '\0';
    return n;
}
