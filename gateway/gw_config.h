/* gw_config.h: the gateway's settings, from a configuration file and the command line.
 *
 * Every setting has one name used both as `--name VALUE` on the command line and as
 * `name = value` in the file given by `--config FILE`; the command line wins. The
 * table of settings (with defaults and help) lives in gw_config.c and `--help` prints
 * it whole. */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define GW_MAX_PRECREATED_ROOMS 64

struct gw_config {
    char listen_host[64];
    int listen_port;
    char secret[256];
    char redis_host[128];
    int redis_port;
    int threads;
    char tls_cert[512];
    char tls_key[512];
    bool guest;         /* allow connections without a token (demo only) */
    bool require_rooms; /* unknown rooms are 404 at the handshake */
    char rooms[GW_MAX_PRECREATED_ROOMS][65];
    int n_rooms;
    int tick_ms;           /* fan-out gathering tick */
    int deliver_slice;     /* viewers handed a room's new stream per loop pass */
    int wecom_cooldown_s;  /* automatic prompts: per-viewer cooldown */
    int wecom_min_watch_s; /* automatic prompts: watch time that counts as engaged */
    int sales_poll_ms;     /* stock / sale broadcasts and expiry period */
    int stock_us_viewer;   /* least interval of a room's `stock` updates, per viewer */
    char node[17];         /* name in order ids */
    int state_ms;          /* least interval of state-only batches (likes, online) */
    int comment_rate;      /* other viewers' comments per second each viewer sees */
    int replay_events;     /* high-priority events kept per room for `since` */
    int max_frame;         /* client frame limit in bytes */
    int conn_comment_rate; /* comments per second per connection (burst 5x) */
    int conn_like_rate;    /* like messages per second per connection (burst 2x) */
    int conn_msg_rate;     /* messages of any kind per second per connection (burst 2x) */
    int abuse_limit;       /* refusals within 10 s before close 4008 */
    int max_conns;         /* total connections; 0 = from the open-file limit */
    int max_conns_per_ip;
    int handshake_rate;    /* new WebSocket handshakes per second per thread */
    int retry_after_max;   /* upper bound of the jittered Retry-After hint, seconds */
    int max_lag_kb;        /* room backlog per viewer before its low-priority is skipped */
    int max_queue_kb;      /* targeted + catch-up queue per viewer before close 4009 */
    int ping_secs;         /* WebSocket ping after this idle time */
    int ping_timeout_secs; /* hang up when no pong after this */
    int drain_secs;        /* SIGTERM: time to flush before exit */
    int rx_buffer;         /* lws receive buffer per connection */
    char static_dir[512];  /* clients served at /live and /console; empty = off */
    char words[512];       /* sensitive-word list file (reloaded on SIGHUP); empty = off */
    char words_action[8];  /* "mask" or "refuse" */
    char wecom_title[512]; /* automatic WeCom waves, when the host has not pushed one */
    char wecom_hook[512];
    char wecom_link[1025];
    int room_idle_s;      /* close a room nobody has watched for this long (0 = never) */
    int trust_window_s;   /* trust index: sliding window */
    int trust_warmup_s;   /* no automatic wave in a room's first seconds */
    int trust_sustain_s;  /* peak seconds in a row before a wave */
    int trust_cooldown_s; /* least seconds between two waves of a room */
    int trust_min_online; /* fewer viewers online: no automatic wave */
    int trust_min_score;  /* least weighted interactions in the window for a peak */
    int trust_factor_pct; /* a peak is at least this % of the baseline */
    int log_level;        /* 0 error, 1 warn, 2 info, 3 debug */
};

/* Fills *c with the defaults. */
void gw_config_defaults(struct gw_config *c);

/* Applies command-line options argv[first..argc): first any `--config FILE`, then the
 * file, then the other options. Returns 0, or -1 after printing the problem to err.
 * `--help` prints the usage to out and returns 1. */
int gw_config_load(struct gw_config *c, int argc, char **argv, int first, FILE *out, FILE *err);

/* Checks consistency (secret present unless guest mode, TLS cert and key together).
 * Returns 0 or -1 after printing the problem to err. */
int gw_config_check(const struct gw_config *c, FILE *err);

/* Prints the usage with every option, its default and its meaning. */
void gw_config_usage(FILE *out, const char *prog);

#endif
