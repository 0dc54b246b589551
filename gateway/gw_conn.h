/* gw_conn.h: one WebSocket connection (a viewer, host or admin) and the lws callback.
 *
 * struct gw_conn is lws's per-session storage: lws allocates it with the connection
 * and frees it after LWS_CALLBACK_CLOSED; it belongs to the worker thread that accepted
 * the socket and is never touched by another thread. */
#ifndef GW_CONN_H
#define GW_CONN_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

#include "gw_bucket.h"
#include "gw_room.h"
#include "proto_token.h"

struct gw_worker;
struct gw_conn;

/* A reply that waits (for Redis) on the connection's thread: attached to the
 * connection, and detached (c = NULL) when the connection closes first. */
struct gw_reply {
    struct gw_reply *next, **pprev;
    struct gw_conn *c; /* NULL when detached */
};

/* Attaches x (zeroed) to c. Owner thread. */
void gw_reply_attach(struct gw_reply *x, struct gw_conn *c);

/* Detaches x from its connection, if any. */
void gw_reply_detach(struct gw_reply *x);

struct gw_conn {
    struct lws *wsi;
    struct gw_worker *w;
    struct gw_shard *shard; /* NULL until joined */
    lws_dll2_t shard_node;  /* in shard->viewers */
    lws_dll2_t host_node;   /* in shard->hosts when role is host or admin */
    lws_dll2_t worker_node; /* in w->conns */

    uint64_t cursor;    /* stream bytes of the shard already handed to lws */
    struct gw_msgvec q; /* targeted and catch-up messages, sent before the stream */
    uint32_t q_head;    /* first unsent element of q */
    uint32_t q_bytes;   /* unsent bytes in q */

    char *uid;                /* owned; set once the WebSocket is established, NULL on HTTP */
    char *nick;               /* owned; NULL = show uid */
    char *from;               /* owned; NULL = no inviter */
    uint8_t role;             /* enum proto_role */
    bool want_write;          /* lws_callback_on_writable requested, not yet served */
    bool counted;             /* counted in ws_conns and per-IP */
    uint16_t close_code;      /* close after flushing, when non-zero */
    const char *close_reason; /* static text, with close_code */

    struct gw_bucket b_comment, b_like, b_msg;
    int32_t abuse; /* refusals in the current window */
    int64_t abuse_window_ms;
    uint32_t session; /* the room session it joined (gw_room.session at join) */

    unsigned char *rx; /* a client message spanning several receive buffers, or an
                        * HTTP request body */
    uint32_t rx_len;
    char *http_room;          /* POST /api/rooms/<room>/events in progress: the room */
    bool http_too_large;      /* that body went over its limit */
    char *http_order;         /* POST /api/orders/<id>/<action> waiting for its body: "id/action" */
    lws_dll2_owner_t waits;   /* replies waiting for Redis (struct gw_wait, gw_sales.c) */
    struct gw_reply *replies; /* other replies waiting for Redis (lucky bags) */
    char *http_resp;          /* a deferred HTTP answer, written when writable */
    uint32_t http_resp_len;
    uint16_t http_status;
    uint8_t ip[16]; /* peer address, IPv4 v4-mapped (the per-IP count's key) */
};

/* The single lws protocol callback: HTTP (API, handshake checks) and WebSocket. */
int gw_conn_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len);

/* Queues a targeted message (takes a reference of its own) and asks for a write.
 * Returns 0, or -1 when the queue is over its limit: the connection is then being
 * closed with 4009. */
int gw_conn_send(struct gw_conn *c, struct gw_msg *m);

/* Encodes an `ack` of req for c and queues it. */
void gw_conn_send_ack(struct gw_conn *c, const char *req);

/* Encodes an `error` for c and queues it. */
void gw_conn_send_error(struct gw_conn *c, enum proto_err code, const char *msg, const char *req);

/* Starts closing c with code after what is queued has been written. reason is a
 * static string (kept, not copied). */
void gw_conn_close(struct gw_conn *c, uint16_t code, const char *reason);

/* Asks lws for a writable callback unless one is pending. */
void gw_conn_want_write(struct gw_conn *c);

#endif
