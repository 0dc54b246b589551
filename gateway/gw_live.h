/* gw_live.h: what a live room does by itself, every second: the trust index and its
 * automatic WeCom waves, lucky-bag timers, the idle close; and closing a room with
 * one CRM record per viewer.
 *
 * DESIGN.
 * - Worker 0 walks the rooms once a second (gw_live_worker_tick, from its fan-out
 *   tick). Per room, under the room lock: the trust index (gw_trust.h, which explains
 *   the index, its baseline and the thresholds) is fed what the room did during the
 *   second (comments, likes, card clicks, orders, bag joins, from the room's counters)
 *   and the viewers online; a sustained peak fires an automatic wave. A sold-out sale
 *   and a drawn bag are peaks at once (gw_live_event, from whichever worker saw it).
 * - A wave sends `wecom` with the host's title, hook and link (the last `wecom_push`
 *   of the room, else the gateway's --wecom-title / --wecom-hook / --wecom-link) to the
 *   viewers who have not added, were not prompted within --wecom-cooldown-s, and are
 *   engaged (gw_audience_may_prompt). Never more than one automatic wave per
 *   cooldown (trust cooldown_s) per room. No link configured: no automatic wave (the
 *   peak is still counted).
 * - A room closes when its host sends `room_close` (or POSTs it), or when no viewer
 *   has been online for --room-idle-s. Every connection gets close 4100; an open bag is
 *   drawn; one record per viewer uid goes to the Redis stream `lg:crm` and the
 *   non-buyers enter `lg:room:<room>:followup` scored by engagement (proto/REDIS.md,
 *   "Room close"); the room's figures start again from zero for its next session (its
 *   seq goes on, so `since` stays meaningful).
 * - Every 10 s the room's funnel is written to `lg:room:<room>:funnel`. */
#ifndef GW_LIVE_H
#define GW_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "proto_enc.h"

struct gw_server;
struct gw_worker;
struct gw_room;

enum gw_live_event {
    GW_LIVE_SOLD_OUT,  /* a sale's stock reached 0 */
    GW_LIVE_BAG_DRAWN, /* a lucky bag was drawn and announced */
};

/* Process-wide, inside struct gw_server. */
struct gw_live {
    int64_t next_tick_ms;                   /* worker 0 only */
    int64_t next_funnel_ms;                 /* worker 0 only */
    _Atomic(struct gw_crm_batch *) handoff; /* failed batches from other workers */
    /* Statistics (relaxed). */
    _Atomic uint64_t waves, waves_no_link, peaks, closes, crm_records, crm_failures;
};

/* On every worker's tick: worker 0 runs the per-second room loop; every worker
 * retries nothing (failed CRM batches are handed to worker 0). */
void gw_live_worker_tick(struct gw_worker *w);

/* An event peak in room r (any worker). */
void gw_live_event(struct gw_worker *w, struct gw_room *r, enum gw_live_event ev);

/* The host closes room r (any worker). */
void gw_live_close(struct gw_worker *w, struct gw_room *r, const char *why);

/* Remembers the host's prompt (title, hook, link) for the room's automatic waves.
 * Under no lock. */
void gw_live_set_prompt(struct gw_room *r, const char *title, const char *hook, const char *link);

/* A uid seen for the first time in room r's session (on its connection's worker w):
 * asks Redis whether the store knows it added its WeCom already (the set
 * `lg:wecom:added`, which the store's back end may fill from WeCom's callbacks); if so
 * it is never prompted. */
void gw_live_viewer_new(struct gw_worker *w, struct gw_room *r, const char *uid);

/* uid reported `added` (on worker w): remembered store-wide in `lg:wecom:added`. */
void gw_live_wecom_added(struct gw_worker *w, const char *uid);

/* Under no lock: the room's "trust" member of GET /api/rooms/<room>. */
void gw_live_describe(struct gw_room *r, struct proto_buf *b);

/* Room figures for /metrics. */
void gw_live_metrics(struct gw_server *srv, struct proto_buf *b);

/* Frees what is left (process exit). */
void gw_live_fini(struct gw_server *srv);

#endif
