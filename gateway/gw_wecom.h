/* gw_wecom.h: who gets a WeCom "add me" prompt, and the link the prompt carries.
 *
 * Pure logic: no clock (now_s is the caller's), no I/O, no allocation, no state of its
 * own; safe from any thread on its own arguments. The caller keeps one struct
 * gw_wecom_viewer per viewer uid and room, fills it from the funnel, and asks
 * gw_wecom_check before sending a `wecom` prompt.
 *
 * RULES (PROTOCOL.md, Precise rules, "WeCom"):
 *   - A viewer who reported `added` (or is known to have added) is never prompted.
 *   - A host's `wecom_push` (GW_WECOM_MANUAL) reaches every other viewer.
 *   - An automatic prompt at a trust peak (GW_WECOM_AUTO) goes only to viewers who
 *       have watched at least min_watch_s (60 s) since they joined the room,
 *       were not prompted (manually or automatically) in the last cooldown_s (600 s),
 *       and are engaged: at least one comment, card click or order, or at least
 *       min_likes (10) likes, in this room.
 *
 * THE LINK. The prompt's `link` is the store's configured WeCom link with a `state`
 * query parameter naming the room (PROTOCOL.md: at most 30 characters), so the store
 * can attribute each add to its room: the room id itself when it has at most 30
 * characters, else its first 21 characters, a `.` and the first 8 hex digits of the
 * SHA-256 of the whole id (`.` never occurs in a room id, so such a state never equals
 * a short room's). Room ids are [A-Za-z0-9_-], so a state needs no escaping in a URL. */
#ifndef GW_WECOM_H
#define GW_WECOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_WECOM_STATE_MAX 30 /* characters of `state` */
/* Room for any link gw_wecom_link builds from a configured link of at most
 * PROTO_URL_MAX_BYTES (1024): the link, "?state=" or "&state=", the state, NUL. */
#define GW_WECOM_LINK_MAX (1024 + 7 + GW_WECOM_STATE_MAX + 1)

struct gw_wecom_config {
    uint32_t min_watch_s; /* 60: seconds in the room before an automatic prompt */
    uint32_t cooldown_s;  /* 600: least seconds between two prompts to one viewer */
    uint32_t min_likes;   /* 10: likes that count as engagement on their own */
};

/* One viewer's record in one room, kept by the caller. */
struct gw_wecom_viewer {
    int64_t joined_at_s;     /* unix s when the uid came into the room */
    uint32_t comments;       /* accepted comments */
    uint32_t likes;          /* sum of like.n */
    uint32_t clicks;         /* card clicks */
    uint32_t orders;         /* orders placed */
    bool added;              /* reported `added`, or known to have added */
    int64_t last_prompted_s; /* unix s of the last prompt sent; 0 = never */
};

enum gw_wecom_kind {
    GW_WECOM_AUTO,   /* a wave at a trust peak (gw_trust) */
    GW_WECOM_MANUAL, /* the host's wecom_push */
};

/* gw_wecom_check's answer: eligible, or the first rule (in this order) that says no. */
enum gw_wecom_verdict {
    GW_WECOM_ELIGIBLE = 0,
    GW_WECOM_ADDED,       /* already added: never prompted again */
    GW_WECOM_TOO_NEW,     /* watched less than min_watch_s (automatic only) */
    GW_WECOM_COOLDOWN,    /* prompted less than cooldown_s ago (automatic only) */
    GW_WECOM_NOT_ENGAGED, /* no comment, click, order, nor min_likes likes (automatic only) */
};

/* Fills *c with the defaults above. */
void gw_wecom_config_defaults(struct gw_wecom_config *c);

/* Whether viewer v may get a prompt of this kind at now_s, under the rules above. */
enum gw_wecom_verdict gw_wecom_check(const struct gw_wecom_config *c,
                                     const struct gw_wecom_viewer *v, enum gw_wecom_kind kind,
                                     int64_t now_s);

/* Short name of a verdict for logs and metrics ("eligible", "added", ...). */
const char *gw_wecom_verdict_name(enum gw_wecom_verdict v);

/* Writes the `state` naming room (a room id, [A-Za-z0-9_-]{1,64}) and a NUL to out.
 * Returns its length (1-30), or -EINVAL when room is not a room id. */
int gw_wecom_state(const char *room, char out[GW_WECOM_STATE_MAX + 1]);

/* Builds the prompt link: link (the configured one: 1-1024 bytes, no ASCII control
 * character nor space) with `state=<gw_wecom_state(room)>` as its last query parameter,
 * before any `#fragment`. A `state` parameter the link already has is dropped, as are
 * empty parameters; the others keep their order and bytes. Writes at most size bytes
 * to out, NUL included; GW_WECOM_LINK_MAX always suffices. Returns the length written
 * (without the NUL), -EINVAL for a bad link or room, or -ENOSPC when out is too small. */
int gw_wecom_link(const char *link, const char *room, char *out, size_t size);

#endif
