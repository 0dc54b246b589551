/* gw_wecom.c: WeCom prompt eligibility and the prompt link's `state` (see gw_wecom.h). */
#include "gw_wecom.h"

#include <errno.h>
#include <string.h>

#include <openssl/sha.h>

#include "proto_limits.h"
#include "proto_token.h"

#define STATE_HEAD 21 /* characters of a long room id kept in its state */
#define STATE_HASH 8  /* hex digits of its SHA-256 after the '.' */

void gw_wecom_config_defaults(struct gw_wecom_config *c)
{
    c->min_watch_s = 60;
    c->cooldown_s = 600;
    c->min_likes = 10;
}

enum gw_wecom_verdict gw_wecom_check(const struct gw_wecom_config *c,
                                     const struct gw_wecom_viewer *v, enum gw_wecom_kind kind,
                                     int64_t now_s)
{
    if (v->added)
        return GW_WECOM_ADDED;
    if (kind == GW_WECOM_MANUAL)
        return GW_WECOM_ELIGIBLE;
    if (now_s - v->joined_at_s < (int64_t)c->min_watch_s)
        return GW_WECOM_TOO_NEW;
    if (v->last_prompted_s != 0 && now_s - v->last_prompted_s < (int64_t)c->cooldown_s)
        return GW_WECOM_COOLDOWN;
    if (v->comments == 0 && v->clicks == 0 && v->orders == 0 && v->likes < c->min_likes)
        return GW_WECOM_NOT_ENGAGED;
    return GW_WECOM_ELIGIBLE;
}

const char *gw_wecom_verdict_name(enum gw_wecom_verdict v)
{
    switch (v) {
    case GW_WECOM_ELIGIBLE:
        return "eligible";
    case GW_WECOM_ADDED:
        return "added";
    case GW_WECOM_TOO_NEW:
        return "too_new";
    case GW_WECOM_COOLDOWN:
        return "cooldown";
    case GW_WECOM_NOT_ENGAGED:
        return "not_engaged";
    }
    return "unknown";
}

int gw_wecom_state(const char *room, char out[GW_WECOM_STATE_MAX + 1])
{
    static const char digits[] = "0123456789abcdef";
    size_t len = strlen(room);
    unsigned char digest[SHA256_DIGEST_LENGTH];

    if (len > PROTO_ID_MAX || !proto_id_is_valid(room, len))
        return -EINVAL;
    if (len <= GW_WECOM_STATE_MAX) {
        memcpy(out, room, len + 1);
        return (int)len;
    }
    SHA256((const unsigned char *)room, len, digest);
    memcpy(out, room, STATE_HEAD);
    out[STATE_HEAD] = '.';
    for (int i = 0; i < STATE_HASH / 2; i++) {
        out[STATE_HEAD + 1 + 2 * i] = digits[digest[i] >> 4];
        out[STATE_HEAD + 2 + 2 * i] = digits[digest[i] & 0xF];
    }
    out[GW_WECOM_STATE_MAX] = '\0';
    return GW_WECOM_STATE_MAX;
}

/* Appends s[0..n) to out at *len, if it fits before the NUL. */
static bool put(char *out, size_t size, size_t *len, const char *s, size_t n)
{
    if (n >= size - *len)
        return false;
    memcpy(out + *len, s, n);
    *len += n;
    return true;
}

/* True for a parameter (name[=value]) whose name is exactly "state". */
static bool is_state_param(const char *p, size_t n)
{
    return n >= 5 && memcmp(p, "state", 5) == 0 && (n == 5 || p[5] == '=');
}

int gw_wecom_link(const char *link, const char *room, char *out, size_t size)
{
    char state[GW_WECOM_STATE_MAX + 1];
    size_t link_len = strlen(link), len = 0, base;
    const char *frag, *query, *end;
    int state_len = gw_wecom_state(room, state);
    bool first = true;

    if (state_len < 0 || link_len == 0 || link_len > PROTO_URL_MAX_BYTES)
        return -EINVAL;
    for (size_t i = 0; i < link_len; i++)
        if ((unsigned char)link[i] <= 0x20 || link[i] == 0x7F)
            return -EINVAL;
    if (size == 0)
        return -ENOSPC;

    frag = strchr(link, '#');
    end = frag ? frag : link + link_len;
    query = memchr(link, '?', (size_t)(end - link));
    base = (size_t)((query ? query : end) - link);
    if (!put(out, size, &len, link, base))
        return -ENOSPC;

    /* The other parameters, in order, then ours. */
    for (const char *p = query ? query + 1 : end; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        size_t n = (size_t)((amp ? amp : end) - p);

        if (n > 0 && !is_state_param(p, n)) {
            if (!put(out, size, &len, first ? "?" : "&", 1) || !put(out, size, &len, p, n))
                return -ENOSPC;
            first = false;
        }
        p += n + 1;
    }
    if (!put(out, size, &len, first ? "?state=" : "&state=", 7) ||
        !put(out, size, &len, state, (size_t)state_len))
        return -ENOSPC;
    if (frag != NULL && !put(out, size, &len, frag, link_len - (size_t)(frag - link)))
        return -ENOSPC;
    out[len] = '\0';
    return (int)len;
}
