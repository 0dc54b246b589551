/* gw_bag.h: lucky bags (福袋) in a room: start, keyword joins, the verifiable draw,
 * winners, and the restart that keeps them.
 *
 * DESIGN.
 * - A room has at most one bag that is not drawn yet (struct gw_bag, in the room under
 *   its lock; the last drawn one stays there until the next bag_start, for welcome-less
 *   figures and the participants endpoint).
 * - bag_start picks a fresh 32-byte seed (OpenSSL CSPRNG) and its commitment (SHA-256,
 *   proto/DRAW.md), writes the bag to Redis (`lg:bag:<room>:<bag>`, member of
 *   `lg:bags`), and only then broadcasts `bag` open (with `commit`) and acks the host.
 * - A join (bag_join, or a comment whose trimmed text equals the keyword) is checked
 *   (muted, min_watch, the optional rules), counted once per uid at once (`bag_count`,
 *   coalesced like likes), and answered `bag` joined: true once the uid is in the
 *   Redis set `lg:bag:<room>:<bag>:p`: a restart never loses an answered join. The
 *   write goes through the joining viewer's worker (gw_kv.h).
 * - The draw (timer on worker 0, or the host's bag_draw) freezes the bag, takes the
 *   uids whose join is durable, sorts them, and draws with proto_draw_winners. The
 *   result (seed, winners, participants) is written to Redis, the bag leaves `lg:bags`
 *   and the winners enter `lg:wins:<YYYYMMDD>` (for "not won today"), in one script;
 *   only then the room gets `bag` drawn (winners, seed) and every connection of a
 *   winner a `bag` with you_won: true. A failed write is retried every second; the
 *   draw is computed once, so a retry writes the same result.
 * - At start a loader thread restores every bag of `lg:bags` (still open in Redis)
 *   with its seed and participants, retrying while Redis is away; until then bag
 *   commands and joins are answered `unavailable`. A bag whose time ran out while the
 *   gateway was down is drawn at the first tick.
 * Redis layout: proto/REDIS.md, "Lucky bags". */
#ifndef GW_BAG_H
#define GW_BAG_H

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gw_strmap.h"
#include "proto_cmsg.h"
#include "proto_enc.h"

struct gw_server;
struct gw_worker;
struct gw_room;
struct gw_conn;
struct gw_msg;
struct gw_bag;

/* Process-wide bag state, inside struct gw_server. */
struct gw_bags {
    atomic_bool loaded;   /* the loader restored what Redis holds */
    atomic_bool stopping; /* the loader gives up */
    atomic_uint_fast64_t serials;
    atomic_uint_fast64_t load_retries;
    pthread_t loader;
    bool loader_started;
    pthread_mutex_t won_lock;
    struct gw_strmap won; /* "<room>:<uid>" -> (intptr_t) day (YYYYMMDD) of the win */
    /* Statistics (relaxed). */
    atomic_uint_fast64_t started, joins, draws, draw_retries;
};

/* Starts the loader thread (after the workers run). */
void gw_bags_start(struct gw_server *srv);

/* Stops the loader thread (before the workers stop). */
void gw_bags_stop(struct gw_server *srv);

/* Frees what gw_bags_start built (after every thread ended). */
void gw_bags_fini(struct gw_server *srv);

/* Frees a room's bag (room teardown). Accepts NULL. */
void gw_bag_free(struct gw_bag *b);

/* Host bag_start / bag_draw on room r from connection c (NULL over HTTP). Returns 0
 * (ack now), 1 (the ack or error follows by itself), or -1 with *code and *msg. */
int gw_bag_host(struct gw_worker *w, struct gw_room *r, struct gw_conn *c,
                const struct proto_cmsg *m, enum proto_err *code, const char **msg);

/* Viewer bag_join from c. */
void gw_bag_join(struct gw_worker *w, struct gw_conn *c, const char *bag, const char *req);

/* An accepted comment of c (trimmed text): joins the open bag when it equals its
 * keyword. */
void gw_bag_comment(struct gw_worker *w, struct gw_conn *c, const char *text, const char *req);

/* Every second on worker 0: draws the bags whose time is up and retries draw writes
 * that failed, in room r. */
void gw_bag_tick(struct gw_worker *w, struct gw_room *r, int64_t now_ms);

/* Under r->lock: welcome.bag for uid (the bag while it is not drawn, with `joined`
 * and `count`) into out, or nothing when there is none. */
void gw_bag_welcome(struct gw_room *r, const char *uid, struct proto_buf *out);

/* Under no lock: the room's "bag" member of GET /api/rooms/<room> (or null). */
void gw_bag_describe(struct gw_room *r, struct proto_buf *b);

/* The coalesced participant count of r's open bag: true with *count and the bag id in
 * id (PROTO_ID_MAX + 1 bytes) when there is an open bag whose count differs from
 * *sent_serial / *sent_count (which are then updated); false otherwise. Any worker. */
bool gw_bag_count_due(struct gw_room *r, uint64_t *sent_serial, uint64_t *sent_count, char *id,
                      uint64_t *count);

/* A GW_MSG_YOU_WON message m reached shard s's thread: sends it to every connection of
 * a winner on that shard. */
void gw_bag_you_won(struct gw_worker *w, struct gw_room *r, lws_dll2_owner_t *viewers,
                    struct gw_msg *m);

/* GET /api/rooms/<room>/bags/<bag>: the bag with its sorted participants (the draw's
 * list once drawn) as JSON into b. Returns 200, or 404 when the room's current or last
 * bag is not that one. */
int gw_bag_participants(struct gw_room *r, const char *bag, struct proto_buf *b);

/* Under r->lock: the room closes: an open bag is drawn now (on w), a drawn one is
 * forgotten. */
void gw_bag_room_closed(struct gw_room *r, struct gw_worker *w);

#endif
