/* publish.h: the coordinator's publisher: puts bench messages into the rooms.
 *
 * Gateway, high priority: one host connection per room sends {"t":"notice",...}. Gateway, low
 * priority: one viewer connection per room sends {"t":"comment",...}. Gateway with --pub http:
 * POST /api/rooms/<room>/events with an admin token. Nchan: POST to its publisher location,
 * the body being the message text. WebSocket publishers run on the coordinator's own engine,
 * HTTP publishing uses --pub-conns keep-alive connections, each with one request in flight
 * (Nchan answers a publish only after it has fanned the message out, so one connection alone
 * measures its round trip, not its capacity). pub_poll services both. */
#ifndef BENCH_PUBLISH_H
#define BENCH_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "wsconn.h"

/* One HTTP publishing connection: at most one request in flight. */
struct pub_http {
    int fd;
    int busy;
    uint64_t t0;
    size_t rlen;
    char rbuf[2048];
};

/* One WebSocket publishing connection. The gateway rate-limits each connection (host
 * messages, viewer comments), so a room gets --pub-conns of them, each paced by its own token
 * bucket at --pub-conn-rate, and messages go round-robin to one with a token. */
struct pub_conn {
    struct wsc c; /* first */
    int room;
    bool ready;
    int64_t last_seq;
    double tokens;
    uint64_t t_refill;
};

enum pub_sale_state { PUB_SALE_NONE = 0, PUB_SALE_LIVE, PUB_SALE_REFUSED };

struct publisher {
    const struct bench_cfg *cfg;
    struct wsc_engine e;
    struct pub_conn *conns; /* owned; per_room per room, room-major */
    int nconns;
    int per_room;
    int *rr;             /* owned; per room: the next connection to try */
    int hepfd;           /* epoll set of the HTTP publishing connections */
    struct pub_http *hp; /* owned; cfg->pub_conns of them */
    int nhp;
    int hnext;
    char admin_auth[600]; /* "Authorization: Bearer <admin token>\r\n" */
    int64_t *pub;         /* owned; bench messages published per room */
    uint64_t sent, acked, errors, failed_sends;
    struct bench_code codes[BENCH_CODES];
    struct hist rtt; /* HTTP publish round trip */
    enum pub_sale_state sale;
    char sale_why[128];
    char last_close[96];
};

/* Connects the publisher (WebSocket: waits up to timeout_s for every room's welcome).
 * Returns 0, or -1 with a message on stderr. */
int pub_start(struct publisher *p, const struct bench_cfg *cfg, double timeout_s);

/* Publishes the next bench message into room index `room`. Returns 0 when sent, 1 when every
 * HTTP publishing connection has a request in flight (poll, then retry), -1 on failure. */
int pub_bench(struct publisher *p, int room);

/* Sends a host command (a JSON object) into room index `room` over the room's WebSocket
 * publisher connection. Returns 0 or -1. */
int pub_host_cmd(struct publisher *p, int room, const char *json);

/* Services the WebSocket publishers for up to timeout_ms. */
void pub_poll(struct publisher *p, int timeout_ms);

/* Waits until no HTTP publish is in flight, up to timeout_ms. Returns how many still are. */
int pub_wait_idle(struct publisher *p, int timeout_ms);

/* The highest room seq a publisher connection of room `room` saw, or -1. */
int64_t pub_last_seq(const struct publisher *p, int room);

void pub_stop(struct publisher *p);

#endif
