/* bench.h: livegw-bench's run configuration and the memory its processes share.
 *
 * DESIGN
 * One run is one coordinator process and --procs viewer processes forked from it. Viewers hold
 * the simulated audience (at most ~19,000 sockets each under the 20,000 open-file cap); the
 * coordinator publishes, samples the server's /proc entries and, once the viewers have exited,
 * merges their results and reports. They share one anonymous MAP_SHARED mapping:
 * - `phase` and the run timestamps are written by the coordinator only and read by viewers;
 * - each viewer process owns one `struct bench_slot`. Its atomics are progress counters the
 *   coordinator reads while the run goes on (relaxed: they are statistics, no data hangs on
 *   them); its plain fields are written by that viewer only and read by the coordinator after
 *   waitpid() has reported the viewer's exit;
 * - in a rush against the gateway, a table of the order id acknowledged to each viewer follows
 *   the slots (bench_order_id()): entry g is written by the process that holds viewer g only,
 *   and read by the coordinator after the viewers exited, to check them in Redis. */
#ifndef BENCH_H
#define BENCH_H

#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hist.h"

enum bench_scenario { SCN_FANOUT, SCN_LIKES, SCN_RUSH, SCN_CHURN, SCN_IDLE };
enum bench_target { TGT_GATEWAY, TGT_NCHAN, TGT_REDIS };
enum bench_phase { PH_CONNECT = 0, PH_RUN, PH_DRAIN, PH_EXIT };

#define BENCH_MAX_ROOMS    4096
#define BENCH_BIN_NS       100000000ull /* deliveries-over-time resolution: 100 ms */
#define BENCH_BINS         6000         /* 10 minutes of bins */
#define BENCH_CODES        12
#define BENCH_PER_PROC_MAX 19500 /* viewers per process under the 20,000 open-file cap */
#define BENCH_TEXT_MAX     4000
/* An acknowledged order id as kept for the Redis check, NUL included. */
#define BENCH_ORDER_ID_MAX 64

struct bench_cfg {
    enum bench_scenario scn;
    enum bench_target target;
    const char *scn_name;
    /* where the viewers connect */
    struct sockaddr_in dst;
    char host_hdr[64];  /* "127.0.0.1:PORT" */
    char sub_path[512]; /* nchan: subscriber path with "?id=" last; gateway: "/ws" */
    /* where the publisher posts (HTTP) */
    struct sockaddr_in pub_dst;
    char pub_host_hdr[64];
    char pub_path[512];   /* nchan: publisher path with "?id=" last */
    bool pub_http;        /* publish over HTTP (always for nchan; --pub http for the gateway) */
    int pub_conns;        /* HTTP: connections, one request in flight each; WebSocket:
                             publishing connections per room */
    double pub_conn_rate; /* WebSocket: messages per second per publishing connection */
    char secret[256];
    char room[64];
    int rooms;
    int viewers;
    int procs;
    int ramp;      /* new connections per second, all processes together */
    int inflight;  /* unanswered handshakes per process */
    int src_addrs; /* viewers spread over 127.0.0.2 .. 127.0.0.(1 + src_addrs) */
    double duration;
    double drain;
    double ready_timeout;
    double rate; /* messages per second per room; rate_max: as fast as accepted */
    bool rate_max;
    int window;        /* rate_max: messages in flight per viewer */
    int size;          /* message text length in bytes */
    bool prio_high;    /* host notices (high) or viewer comments (low) */
    double like_rate;  /* likes frames per second, all viewers together */
    int like_n;        /* n per like frame; 0: 1..100 varying */
    double churn_rate; /* reconnects per second, all viewers together */
    int stock;
    int spread_ms; /* rush: orders spread over this many ms */
    char sale[64];
    pid_t server_pid;
    const char *plot; /* file prefix for plot data and SVG, or NULL */
    const char *label;
    const char *redis;  /* HOST:PORT for the rush check, or NULL */
    char redis_sha[41]; /* rush --target redis: the loaded Lua script */
    int64_t token_exp;
};

struct bench_code {
    char code[24];
    uint64_t n;
};

struct bench_slot {
    _Atomic uint64_t started;   /* connection attempts */
    _Atomic uint64_t ready;     /* viewers currently past welcome (or open, nchan) */
    _Atomic uint64_t failed;    /* attempts that never became ready */
    _Atomic uint64_t delivered; /* bench messages received */
    _Atomic int done;           /* the plain fields below are final */

    uint64_t lost_pub; /* bench messages missing, from the publisher's counter in the text */
    uint64_t dup_pub;
    uint64_t reordered; /* bench messages that arrived after a later one */
    uint64_t seq_gaps;  /* room seq numbers skipped: drops as the server reports them */
    uint64_t seq_dups;
    uint64_t bad_msgs;    /* bench text that did not parse */
    uint64_t online_msgs; /* `online` count updates received */
    uint64_t closes_4009, closes_1001, closes_other, refused, conn_errors;
    int last_close_code;
    char last_close_why[48];
    uint64_t reconnects;
    uint64_t deferred; /* handshakes answered 503/429 and retried */
    uint64_t behind;   /* viewers whose last seq is not the room's final seq at the end */
    uint64_t unready_at_end;
    int64_t likes_sent, likes_rejected;
    int64_t likes_final_min, likes_final_max;
    uint64_t likes_viewers;
    uint64_t orders_sent, orders_ok, orders_fail;
    uint64_t orders_extra;  /* order replies with no order of that viewer outstanding */
    uint64_t order_ids_bad; /* ok replies without a usable order id */
    uint64_t errors;
    struct bench_code codes[BENCH_CODES];       /* `error` messages by code */
    struct bench_code order_codes[BENCH_CODES]; /* refused orders by code */
    uint64_t last_delivery_ns;
    double cpu_run_s; /* user+sys CPU of this process from run start to exit */
    double cpu_total_s;
    long maxrss_kb;
    struct hist lat;      /* publish -> delivery */
    struct hist connect;  /* connect start -> ready */
    struct hist reply;    /* order's scheduled time -> reply */
    struct hist send_lag; /* order's scheduled time -> handed to the socket */
    uint64_t bins[BENCH_BINS];
};

struct bench_shm {
    _Atomic int phase;                  /* enum bench_phase; coordinator writes, release */
    _Atomic uint64_t t_run_ns;          /* set before phase becomes PH_RUN */
    _Atomic uint64_t go_ns;             /* rush: when orders start; 0 until then */
    int64_t final_seq[BENCH_MAX_ROOMS]; /* each room's last seq as the publisher saw it, or -1;
                                           set before PH_EXIT */
    int64_t final_pub[BENCH_MAX_ROOMS]; /* bench messages published per room, set before PH_EXIT */
    size_t order_ids_off; /* rush against the gateway: offset of the order id table, else 0 */
    int nslots;
    struct bench_slot slot[];
};

/* The order id acknowledged to global viewer g ("" when none); only when order_ids_off. */
static inline char *bench_order_id(struct bench_shm *shm, int g)
{
    return (char *)shm + shm->order_ids_off + (size_t)g * BENCH_ORDER_ID_MAX;
}

/* The viewer process body: holds viewers [first, first + count) until PH_EXIT. Never returns. */
_Noreturn void bench_viewer_main(const struct bench_cfg *cfg, struct bench_shm *shm, int slot,
                                 int first, int count);

/* Adds one occurrence of `code` to a slot's small table of codes. */
void bench_code_add(struct bench_code *codes, const char *code, size_t len, uint64_t n);

/* Builds the text of bench message `pub` for room index `room`: "B<room>:<pub>:<t_ns>:" padded
 * with 'x' to `size` bytes. Returns its length. */
int bench_text_make(char *out, size_t cap, int room, int64_t pub, uint64_t t_ns, int size);

/* Parses a bench text. Returns false when it is not one. */
bool bench_text_parse(const char *p, size_t len, int *room, int64_t *pub, uint64_t *t_ns);

/* The room name of room index i. */
void bench_room_name(const struct bench_cfg *cfg, int i, char *out, size_t cap);

/* Writes the upgrade request for a viewer (role "viewer", uid) of room index `room`, resuming
 * after `since` when since >= 0. Returns its length or -1. */
int bench_upgrade_request(const struct bench_cfg *cfg, char *out, size_t cap, const char *uid,
                          const char *role, int room, int64_t since);

#endif
