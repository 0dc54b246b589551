/* proto_query.c: decoding of the WebSocket handshake query (room, token, since, nick, from). */
#include "proto_query.h"

#include <string.h>

#include "proto_token.h"
#include "proto_utf8.h"

/* Decoded arguments longer than this are not kept by proto_query_parse. No known
 * argument needs as much (the longest, a token, is 6 + 320 bytes); an unknown one that
 * long is still checked for bad escapes and then ignored like any unknown key. */
#define ARG_MAX 2048

void proto_query_init(struct proto_query *q)
{
    memset(q, 0, sizeof(*q));
}

static bool key_is(const char *key, size_t key_len, const char *name)
{
    return strlen(name) == key_len && memcmp(key, name, key_len) == 0;
}

static bool is_known_key(const char *key, size_t key_len)
{
    return key_is(key, key_len, "room") || key_is(key, key_len, "token") ||
           key_is(key, key_len, "since") || key_is(key, key_len, "nick") ||
           key_is(key, key_len, "from");
}

/* `since`: 1-20 decimal digits within uint64; no sign, no space. */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned char)s[i] - (unsigned)'0';

        if (d > 9)
            return false;
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static void copy_str(char *dst, const char *src, size_t len)
{
    memcpy(dst, src, len);
    dst[len] = '\0';
}

int proto_query_add_arg(struct proto_query *q, const char *arg, size_t len, const char **reason)
{
    const char *eq, *key = arg, *val;
    size_t key_len, val_len;

    if (len == 0)
        return 0;
    eq = memchr(arg, '=', len);

    /* A bare "key" is read as "key=" so that "room" alone is a bad room, not ignored. */
    if (eq != NULL) {
        key_len = (size_t)(eq - arg);
        val = eq + 1;
        val_len = len - key_len - 1;
    } else {
        key_len = len;
        val = arg + len;
        val_len = 0;
    }

    if (!is_known_key(key, key_len))
        return 0;
    /* Values end up in C strings; a NUL inside one would silently shorten it (a token
     * "good%00junk" would verify as "good"), so it is refused for every known key. */
    if (memchr(val, '\0', val_len) != NULL) {
        *reason = "NUL byte in query argument";
        return -1;
    }

    if (key_is(key, key_len, "room")) {
        if (q->room[0] != '\0')
            goto twice;
        if (!proto_id_is_valid(val, val_len)) {
            *reason = "bad room id";
            return -1;
        }
        copy_str(q->room, val, val_len);
    } else if (key_is(key, key_len, "token")) {
        if (q->has_token)
            goto twice;
        /* Only the length is judged here: what the token says is proto_token_verify's
         * business, so that a malformed token is a 401 and not a 400. */
        if (val_len > PROTO_TOKEN_MAX_BYTES) {
            *reason = "token too long";
            return -1;
        }
        copy_str(q->token, val, val_len);
        q->has_token = true;
    } else if (key_is(key, key_len, "since")) {
        if (q->has_since)
            goto twice;
        if (!parse_u64(val, val_len, &q->since)) {
            *reason = "since is not a decimal integer";
            return -1;
        }
        q->has_since = true;
    } else if (key_is(key, key_len, "nick")) {
        if (q->has_nick)
            goto twice;
        if (!proto_utf8_is_valid(val, val_len)) {
            *reason = "nick is not UTF-8";
            return -1;
        }
        /* A nick that is empty once trimmed counts as not given (the uid is shown);
         * for that reason it also does not count for the duplicate rule. */
        proto_utf8_trim(&val, &val_len);
        if (val_len > 0) {
            copy_str(q->nick, val, proto_utf8_prefix(val, val_len, PROTO_NICK_MAX_CP));
            q->has_nick = true;
        }
    } else if (key_is(key, key_len, "from")) {
        if (q->has_from)
            goto twice;
        if (!proto_id_is_valid(val, val_len)) {
            *reason = "bad from id";
            return -1;
        }
        copy_str(q->from, val, val_len);
        q->has_from = true;
    }
    return 0;

twice:
    *reason = "query key given twice";
    return -1;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..len) into buf (at most ARG_MAX bytes kept; *out_len is the full
 * decoded length, so > ARG_MAX means "cut"). Returns false on a bad escape. */
static bool decode_arg(const char *s, size_t len, char *buf, size_t *out_len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '%') {
            int hi, lo;

            if (len - i < 3)
                return false;
            hi = hex_value((unsigned char)s[i + 1]);
            lo = hex_value((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (n < ARG_MAX)
            buf[n] = (char)c;
        n++;
    }
    *out_len = n;
    return true;
}

int proto_query_parse(struct proto_query *q, const char *qs, size_t len, const char **reason)
{
    char buf[ARG_MAX];
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        size_t n;

        if (i < len && qs[i] != '&')
            continue;
        /* Empty pieces ("a=1&&b=2", a trailing '&') carry nothing. */
        if (i > start) {
            if (!decode_arg(qs + start, i - start, buf, &n)) {
                *reason = "bad percent escape in query";
                return -1;
            }
            if (n > ARG_MAX) {
                const char *eq = memchr(buf, '=', ARG_MAX);

                if (eq != NULL && is_known_key(buf, (size_t)(eq - buf))) {
                    *reason = "query argument too long";
                    return -1;
                }
            } else if (proto_query_add_arg(q, buf, n, reason) != 0) {
                return -1;
            }
        }
        start = i + 1;
    }
    return 0;
}

int proto_query_finish(const struct proto_query *q, const char **reason)
{
    if (q->room[0] == '\0') {
        *reason = "room missing";
        return -1;
    }
    return 0;
}
