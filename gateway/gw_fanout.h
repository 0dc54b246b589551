/* gw_fanout.h: the per-thread delivery side: batches, cursors, one write per flush.
 *
 * DESIGN. Every tick, a worker turns the events in each dirty shard's inbox into ONE
 * batch: the concatenated pre-framed bytes of those events plus the coalesced `likes`
 * and `online` updates, appended to the shard's byte stream. A viewer owns only a
 * cursor (a stream offset). When it is writable it gets everything from its cursor to
 * the head in one LWS_WRITE_RAW write, straight out of the batch when the range is one
 * batch (the normal case), gathered into a per-thread scratch buffer when it spans
 * several. Batches are freed when every cursor has passed them. A big shard is handed
 * its new bytes deliver-slice viewers per loop pass, so that reads and order replies
 * get in between; an order reply is written at once, ahead of (and together with) the
 * stream bytes its viewer has not had yet, when nothing is queued for it.
 *
 * Targeted messages (replies, errors, welcome, replay, a sampled-out own comment) wait
 * in the connection's queue and go before the stream. A viewer whose backlog exceeds
 * max-lag is skipped to the head: the high-priority messages in what it skips are
 * queued for it (low-priority is lost, and counted); if those overflow max-queue, the
 * viewer is closed with 4009 and resumes with `since`. */
#ifndef GW_FANOUT_H
#define GW_FANOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "gw_conn.h"
#include "gw_room.h"

struct gw_worker;

struct gw_batch {
    struct gw_batch *next;
    uint64_t off;          /* stream offset of the first byte */
    uint32_t len;          /* bytes */
    uint32_t nframes;      /* messages in it */
    struct gw_msgvec msgs; /* the room events in it (for catch-up of slow viewers) */
    unsigned char buf[];   /* LWS_PRE + len */
};

/* Frees the shard's batches (process exit). */
void gw_fanout_shard_fini(struct gw_shard *s);

/* Turns the shard's inbox into a batch and hands it to the viewers, at most
 * deliver-slice of them per call. Returns true when some are left: the shard is then
 * marked dirty again and the caller should flush it again soon (after serving I/O). */
bool gw_fanout_flush(struct gw_worker *w, struct gw_shard *s);

/* Joins c to the room's shard on this thread: takes the inbox up to the room's latest
 * seq, queues `welcome` (and the replay after since when has_since), and places c's
 * cursor at the head. Returns 0, or -1 when the replay does not fit (c is closing). */
int gw_fanout_join(struct gw_worker *w, struct gw_room *r, struct gw_conn *c, bool has_since,
                   uint64_t since);

/* Removes c from its shard and releases what it holds. */
void gw_fanout_leave(struct gw_worker *w, struct gw_conn *c);

/* Sends the targeted reply m (borrowed) to c: written at once, with the stream bytes c
 * has not had yet, when nothing is queued for c and no write is pending; else queued
 * like gw_conn_send. An order reply so does not wait for a writable callback behind
 * the room's broadcasts, and costs no POLLOUT arming. */
void gw_fanout_reply(struct gw_worker *w, struct gw_conn *c, struct gw_msg *m);

/* Serves a writable callback: the queue first, then the stream. Returns -1 when lws
 * must close the connection (a pending close code, or a write error). */
int gw_fanout_write(struct gw_worker *w, struct gw_conn *c);

#endif
