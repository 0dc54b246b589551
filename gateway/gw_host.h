/* gw_host.h: host commands (card, notice, mute, delete, ...), from a host's WebSocket
 * or from POST /api/rooms/<room>/events. Runs on the calling worker thread. */
#ifndef GW_HOST_H
#define GW_HOST_H

#include "gw_room.h"
#include "proto_cmsg.h"
#include "proto_enc.h"

struct gw_worker;

struct gw_conn;

/* Executes host message m (proto_ctype_is_host) in room r, from connection c (NULL
 * over HTTP). Returns 0 when done, 1 when the answer follows by itself (to c: an
 * `ack` or `error` once Redis answered), or -1 with *code and *msg (static text) set
 * for the `error` / HTTP answer. */
int gw_host_exec(struct gw_worker *w, struct gw_room *r, struct gw_conn *c,
                 const struct proto_cmsg *m, enum proto_err *code, const char **msg);

#endif
