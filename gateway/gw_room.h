/* gw_room.h: rooms and their per-thread shards; the publish side of fan-out.
 *
 * DESIGN. A room's shared state (seq, replay log, pinned card, online uids, mutes,
 * comment sampling) lives in struct gw_room under its mutex; any worker thread may
 * publish into it. Publishing assigns the next seq, encodes and frames the event ONCE
 * (a gw_msg), keeps a reference in the replay log, and appends a reference to the
 * inbox of every shard that has viewers, then marks those shards dirty.
 *
 * Each worker thread owns one shard of every room (struct gw_shard): the viewers of the
 * room that sit on that thread and the thread's byte stream of batches for them (see
 * gw_fanout.h). Only the inbox and `active` of a shard are touched by other threads,
 * under the room lock; the dirty flag and the per-thread dirty stack are lock-free.
 * Likes are an atomic counter read at each tick and coalesced to the latest value.
 *
 * Rooms live until the process exits (a room is small when nobody is in it). */
#ifndef GW_ROOM_H
#define GW_ROOM_H

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gw_bucket.h"
#include "gw_msg.h"
#include "gw_audience.h"
#include "gw_strmap.h"
#include "gw_trust.h"
#include "proto_cmsg.h"

struct gw_server;
struct gw_worker;
struct gw_conn;
struct gw_batch;
struct gw_sale;
struct gw_bag;

/* A growable array of message references (shard inbox, per-connection queue). */
struct gw_msgvec {
    struct gw_msg **v;
    uint32_t n, cap;
};

struct gw_shard {
    struct gw_room *room;
    int widx; /* the owning worker thread */

    /* Under room->lock. */
    struct gw_msgvec inbox; /* events not yet batched, in seq order */
    bool active;            /* has viewers: publishers fill the inbox */

    /* Lock-free hand-off to the owning thread. */
    atomic_bool dirty;           /* on its worker's dirty stack */
    atomic_bool active_hint;     /* mirror of active for lockless like marking */
    struct gw_shard *dirty_next; /* stack link, owned by the stack */

    /* Owning thread only. */
    lws_dll2_owner_t viewers; /* struct gw_conn, every connection (hosts too) */
    lws_dll2_owner_t hosts;   /* hosts and admins, who see every comment */
    struct gw_batch *oldest, *newest;
    uint64_t head;       /* stream bytes ever appended */
    uint64_t delivered;  /* head when the viewers were last handed the stream */
    uint64_t round_from; /* a delivery round (in slices): `delivered` before it began */
    uint64_t round_min;  /* the least cursor the round has seen */
    uint32_t round_left; /* viewers the round has still to visit */
    int64_t state_at;    /* monotonic ms of the last state update batched */
    uint64_t pulled_seq; /* last room seq taken from the inbox */
    uint64_t sent_likes, sent_online;
    uint64_t sent_bag_serial, sent_bag_count; /* the last bag_count batched */
} __attribute__((aligned(64)));

struct gw_room {
    char id[PROTO_ID_MAX + 1];
    struct gw_server *srv;
    pthread_mutex_t lock;

    /* Under lock. */
    uint64_t seq;           /* last room-wide high-priority seq */
    uint64_t comment_ids;   /* last comment id handed out */
    struct gw_msg **replay; /* ring of replay_cap, slot seq % replay_cap */
    uint32_t replay_cap;
    bool has_card;
    struct proto_card card;
    struct gw_audience audience; /* every viewer uid of the session, what it did, who is online */
    uint64_t prompt_ids;         /* last WeCom prompt id handed out */
    struct gw_strmap mutes;      /* uid -> (intptr_t) muted-until unix ms */
    struct gw_bucket sampling;   /* room-wide comment sampling */
    struct gw_sale *sales;       /* announced sales, newest first (gw_sales.c) */
    struct gw_bag *bag;          /* the open bag, or the last drawn one (gw_bag.c) */
    bool bag_starting;           /* a bag_start is being written */
    struct gw_trust trust;       /* the trust index (gw_live.c) */
    uint64_t trust_seen[5];      /* counters at the last trust tick */
    char *prompt_title, *prompt_hook, *prompt_link; /* the host's last wecom_push */
    uint64_t waves;                                 /* automatic WeCom waves */
    int64_t empty_since_ms; /* no viewer online since (0: someone is, or nobody ever came) */
    uint32_t session;       /* serial of the current session: +1 at each close */

    /* Lock-free counters (relaxed: independent statistics, read for display). */
    atomic_uint_fast64_t likes;
    atomic_uint_fast64_t online;
    atomic_uint_fast64_t comments;       /* accepted comments */
    atomic_uint_fast64_t comments_shown; /* comments admitted into the room stream */
    atomic_uint_fast64_t card_clicks;
    atomic_uint_fast64_t peak_online;
    atomic_uint_fast64_t orders_placed;   /* acknowledged orders */
    atomic_uint_fast64_t bag_joins;       /* first joins of a uid to a bag */
    atomic_uint_fast64_t bag_count;       /* participants of the open bag (coalescing) */
    atomic_uint_fast64_t bag_open_serial; /* serial of the open bag, 0 when none */

    int nshards;
    struct gw_shard shards[]; /* one per worker thread */
};

/* The registry of rooms: lookup under a mutex, at handshakes and API calls only. */
struct gw_rooms {
    struct gw_server *srv;
    pthread_mutex_t lock;
    struct gw_strmap by_id; /* id -> struct gw_room * */
    int nshards;
    uint32_t replay_cap;
    int comment_rate;
};

void gw_rooms_init(struct gw_rooms *rs, struct gw_server *srv, int nshards, uint32_t replay_cap,
                   int comment_rate);
void gw_rooms_fini(struct gw_rooms *rs);

/* The room with that id, created when `create` and absent; NULL when absent and not
 * created. Rooms are never freed before gw_rooms_fini, so the pointer stays valid. */
struct gw_room *gw_rooms_get(struct gw_rooms *rs, const char *id, bool create);

/* Number of rooms. */
size_t gw_rooms_count(struct gw_rooms *rs);

/* ---- publishing (any worker thread; w is the calling worker) ---------------------- */

enum gw_comment_result {
    GW_COMMENT_SHOWN,   /* room-wide, with a seq; its author sees it in the stream */
    GW_COMMENT_SAMPLED, /* above the room's readable rate: only hosts and the author */
    GW_COMMENT_MUTED,
};

/* Publishes a comment by uid. is_host comments are never sampled. On
 * GW_COMMENT_SAMPLED, *own receives a reference (transferred) to the framed comment
 * for the author's connection. */
enum gw_comment_result gw_room_comment(struct gw_room *r, struct gw_worker *w, const char *uid,
                                       const char *nick, const char *text, bool is_host,
                                       struct gw_msg **own);

/* Host events. card NULL clears the pinned card. */
void gw_room_card(struct gw_room *r, struct gw_worker *w, const struct proto_card *card);
void gw_room_notice(struct gw_room *r, struct gw_worker *w, const char *text);

/* Publishes one room event: under the room lock, enc(b, seq, arg) writes the message
 * for `seq` (the room's next seq when with_seq, else 0; the call may also update room
 * state under the lock), and it goes to every viewer as `kind`. */
void gw_room_event(struct gw_room *r, struct gw_worker *w, enum gw_msg_kind kind, bool with_seq,
                   void (*enc)(struct proto_buf *b, uint64_t seq, void *arg), void *arg);

/* Publishes an already framed message m (the caller's reference is consumed) to every
 * active shard of r: _locked under r->lock, gw_room_commit_msg takes it. */
void gw_room_commit_locked(struct gw_room *r, struct gw_worker *w, struct gw_msg *m);
void gw_room_commit_msg(struct gw_room *r, struct gw_worker *w, struct gw_msg *m);

/* Under r->lock: the room closed; its figures start again (audience, counters, card,
 * trust, a drawn bag); seq and comment ids go on. An open bag is drawn. */
void gw_room_reset_session(struct gw_room *r, struct gw_worker *w);

/* Deletes a comment by id: broadcasts comment_deleted and drops it from the replay
 * log. Returns 0, or -1 when no comment has that id. */
int gw_room_delete_comment(struct gw_room *r, struct gw_worker *w, const char *id);

/* Mutes uid until now + secs (secs 0 lifts the mute). */
void gw_room_mute(struct gw_room *r, const char *uid, int64_t secs);

/* True when uid is muted now. */
bool gw_room_is_muted(struct gw_room *r, const char *uid);

/* Adds n likes by uid and marks the shards for the coalesced `likes` update. */
void gw_room_like(struct gw_room *r, const char *uid, uint32_t n);

/* Counts one engagement of viewer uid (card click, order, payment, bag join). */
void gw_room_engage(struct gw_room *r, const char *uid, enum gw_engage what);

/* An acknowledged order of viewer uid (see gw_audience_order). */
void gw_room_order(struct gw_room *r, const char *uid, const void *order);

/* A viewer's WeCom report (shown / clicked / added). */
void gw_room_wecom_report(struct gw_room *r, const char *uid, enum gw_wecom_report what);

/* Sends a WeCom prompt (title, hook, link; the link gets `state=<room>` appended) to
 * the room's viewers: by hand (`manual`) to every one who has not added, else only to
 * the engaged ones outside their cooldown. Each shard's thread picks the targets. */
void gw_room_wecom_push(struct gw_room *r, struct gw_worker *w, const char *title, const char *hook,
                        const char *link, bool manual);

/* Marks every active shard dirty (state such as online changed). Under no lock. */
void gw_room_touch(struct gw_room *r);

/* Appends the room's live figures as a JSON object to b (GET /api/rooms/<room>). */
void gw_room_describe(struct gw_room *r, struct proto_buf *b);

/* msgvec helpers */
void gw_msgvec_push(struct gw_msgvec *v, struct gw_msg *m); /* takes the reference */
void gw_msgvec_clear(struct gw_msgvec *v);                  /* unrefs every element */
void gw_msgvec_fini(struct gw_msgvec *v);

#endif
