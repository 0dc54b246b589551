/* gw_msg.h: a framed server message, encoded and framed once, shared by reference.
 *
 * A gw_msg holds the complete WebSocket frame bytes (header + JSON payload) of one
 * server message. Room events are created by whichever worker thread publishes them
 * and then referenced from the room's replay log, every shard's inbox and viewers'
 * targeted queues on any thread; the reference count is atomic. The bytes never
 * change after creation. */
#ifndef GW_MSG_H
#define GW_MSG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto_enc.h"
#include "proto_limits.h"

enum gw_msg_kind {
    GW_MSG_EVENT = 0,   /* a high-priority room event (card, notice, comment_deleted, ...) */
    GW_MSG_COMMENT,     /* a viewer's comment: low priority for everyone but its author */
    GW_MSG_HOST_ONLY,   /* a comment sampled out of the room stream: only hosts see it */
    GW_MSG_TARGETED,    /* a reply, error or prompt for one connection */
    GW_MSG_STATE,       /* a coalesced state update (likes, online): latest value wins */
    GW_MSG_PROMPT,      /* a WeCom prompt pushed by hand: every viewer who has not added */
    GW_MSG_PROMPT_AUTO, /* an automatic one: engaged viewers outside their cooldown */
    GW_MSG_YOU_WON,     /* a bag's `bag` with you_won: every connection of its winners */
    GW_MSG_CLOSE,       /* the room closed: a targeted notice, then close 4100, to all */
};

struct gw_msg {
    atomic_uint refs;
    uint8_t kind;        /* enum gw_msg_kind */
    uint64_t seq;        /* room seq, 0 when it carries none */
    uint64_t comment_id; /* comments: the room's comment id; prompts: their number; you_won:
                          * the bag's serial; else 0 */
    char author[PROTO_ID_MAX + 1]; /* for comments: the author's uid, else "" */
    uint32_t len;                  /* frame bytes */
    unsigned char data[];          /* len bytes: ws header + JSON */
};

/* Frames the JSON payload held in *b (one complete JSON object) as a text message and
 * returns a new message with one reference, owned by the caller. b is not modified. */
struct gw_msg *gw_msg_create(const struct proto_buf *b, enum gw_msg_kind kind, uint64_t seq);

/* Takes one more reference; returns m. */
static inline struct gw_msg *gw_msg_ref(struct gw_msg *m)
{
    /* relaxed: taking a reference needs no ordering, the caller already holds one. */
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

/* Drops one reference; frees on the last. Accepts NULL. */
void gw_msg_unref(struct gw_msg *m);

/* True when this message must reach `uid` even when comments are sampled: events,
 * targeted messages, and the viewer's own comments. */
static inline bool gw_msg_is_high_for(const struct gw_msg *m, const char *uid)
{
    if (m->kind == GW_MSG_EVENT || m->kind == GW_MSG_TARGETED)
        return true;
    return m->kind == GW_MSG_COMMENT && strcmp(m->author, uid) == 0;
}

#endif
