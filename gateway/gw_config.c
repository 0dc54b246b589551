/* gw_config.c: the table of settings, the file parser and the command-line parser. */
#include "gw_config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw_util.h"

enum opt_type { OPT_INT, OPT_STR, OPT_BOOL, OPT_HOSTPORT, OPT_ROOM };

struct opt {
    const char *name;
    enum opt_type type;
    size_t off;  /* field offset (host part for OPT_HOSTPORT) */
    size_t off2; /* port offset for OPT_HOSTPORT */
    size_t size; /* string capacity */
    int min, max;
    const char *help;
};

#define F(f) offsetof(struct gw_config, f)
#define S(f) sizeof(((struct gw_config *)0)->f)
#define INT(n, f, lo, hi, h)                                                                       \
    {                                                                                              \
        n, OPT_INT, F(f), 0, 0, lo, hi, h                                                          \
    }
#define STR(n, f, h)                                                                               \
    {                                                                                              \
        n, OPT_STR, F(f), 0, S(f), 0, 0, h                                                         \
    }
#define BOOL(n, f, h)                                                                              \
    {                                                                                              \
        n, OPT_BOOL, F(f), 0, 0, 0, 0, h                                                           \
    }

static const struct opt opts[] = {
    {"listen", OPT_HOSTPORT, F(listen_host), F(listen_port), S(listen_host), 0, 0,
     "HOST:PORT to listen on (every worker thread binds it with SO_REUSEPORT)"},
    STR("secret", secret, "token HMAC secret (required unless --guest)"),
    {"redis", OPT_HOSTPORT, F(redis_host), F(redis_port), S(redis_host), 0, 0,
     "HOST:PORT of the Redis that stores orders"},
    INT("threads", threads, 0, 64,
        "worker threads, each with its own event loop (0 = one per core)"),
    STR("tls-cert", tls_cert, "PEM certificate file: serve wss:// and https://"),
    STR("tls-key", tls_key, "PEM private key file for --tls-cert"),
    BOOL("guest", guest, "allow viewers without a token (demo only; off by default)"),
    BOOL("require-rooms", require_rooms, "refuse unknown rooms with 404 (rooms come from --room)"),
    {"room", OPT_ROOM, 0, 0, 0, 0, 0, "create this room at start (repeatable)"},
    INT("tick-ms", tick_ms, 1, 1000, "fan-out tick: room events are gathered and written per tick"),
    INT("deliver-slice", deliver_slice, 1, 10000000,
        "viewers of a room written per loop pass; a bigger room's batch goes out over several "
        "passes, with reads and order replies served in between"),
    STR("node", node, "this gateway's name in order ids ([A-Za-z0-9_-]{1,16})"),
    INT("sales-poll-ms", sales_poll_ms, 10, 10000,
        "flash sales: stock and state broadcasts and reservation expiry, this often"),
    INT("stock-us-per-viewer", stock_us_viewer, 0, 1000000,
        "a room's `stock` updates are at least this many us per viewer in it apart (50: 1 s "
        "at 20,000 viewers; `sale` state changes are never held back)"),
    INT("wecom-cooldown-s", wecom_cooldown_s, 0, 86400 * 30,
        "no automatic WeCom prompt to a viewer again within this many seconds"),
    INT("wecom-min-watch-s", wecom_min_watch_s, 0, 86400,
        "a viewer who watched this long counts as engaged for WeCom prompts"),
    INT("state-ms", state_ms, 1, 60000,
        "a quiet room's likes and online updates: at most one write per viewer this often"),
    INT("comment-rate", comment_rate, 1, 100000,
        "other viewers' comments per second a viewer sees in a hot room"),
    INT("replay-events", replay_events, 16, 1000000,
        "high-priority events kept per room for resume with since"),
    INT("max-frame", max_frame, 256, 1048576, "largest client frame in bytes (larger: close 1009)"),
    INT("conn-comment-rate", conn_comment_rate, 1, 1000,
        "comments per second per connection (burst 5x)"),
    INT("conn-like-rate", conn_like_rate, 1, 10000,
        "like messages per second per connection (burst 2x)"),
    INT("conn-msg-rate", conn_msg_rate, 1, 100000,
        "client messages per second per connection (burst 2x)"),
    INT("abuse-limit", abuse_limit, 1, 100000, "refused messages within 10 s before close 4008"),
    INT("max-conns", max_conns, 0, 10000000,
        "total connections (0 = open-file limit minus a margin)"),
    INT("max-conns-per-ip", max_conns_per_ip, 1, 10000000,
        "WebSocket connections per client address"),
    INT("handshake-rate", handshake_rate, 1, 1000000,
        "new handshakes per second per thread; more get 503 + Retry-After"),
    INT("retry-after-max", retry_after_max, 1, 3600,
        "largest Retry-After hint (seconds, jittered)"),
    INT("max-lag-kb", max_lag_kb, 16, 1048576,
        "room backlog per viewer before its low-priority traffic is skipped"),
    INT("max-queue-kb", max_queue_kb, 16, 1048576,
        "per-viewer queue of high-priority catch-up before close 4009"),
    INT("ping-secs", ping_secs, 1, 3600, "send a WebSocket ping after this many idle seconds"),
    INT("ping-timeout-secs", ping_timeout_secs, 2, 7200, "hang up a peer silent for this long"),
    INT("drain-secs", drain_secs, 0, 600, "SIGTERM: seconds to flush viewers before exit"),
    INT("rx-buffer", rx_buffer, 128, 65536, "receive buffer per connection (bytes)"),
    STR("static-dir", static_dir, "directory with the viewer page and host console (empty: off)"),
    STR("words", words, "sensitive-word list, one word per line (reloaded on SIGHUP; empty: off)"),
    STR("words-action", words_action,
        "a comment with a listed word: mask (***) or refuse (blocked)"),
    STR("wecom-title", wecom_title, "automatic WeCom waves: title when the host pushed none"),
    STR("wecom-hook", wecom_hook, "automatic WeCom waves: hook text (the exclusive benefit)"),
    STR("wecom-link", wecom_link,
        "automatic WeCom waves: the store's contact-me link (empty: off)"),
    INT("room-idle-s", room_idle_s, 0, 86400 * 7,
        "close a room (4100, CRM records) after this long without viewers (0 = never)"),
    INT("trust-window-s", trust_window_s, 1, 60, "trust index: sliding window in seconds"),
    INT("trust-warmup-s", trust_warmup_s, 0, 86400, "trust index: no automatic wave before"),
    INT("trust-sustain-s", trust_sustain_s, 1, 600, "trust index: peak seconds before a wave"),
    INT("trust-cooldown-s", trust_cooldown_s, 0, 86400, "least seconds between two waves"),
    INT("trust-min-online", trust_min_online, 0, 1000000, "no automatic wave below this"),
    INT("trust-min-score", trust_min_score, 0, 1000000,
        "least weighted interactions in the window for a peak"),
    INT("trust-factor-pct", trust_factor_pct, 100, 10000,
        "a peak is at least this percentage of the room's baseline"),
    INT("log-level", log_level, 0, 3, "0 error, 1 warn, 2 info, 3 debug"),
};

void gw_config_defaults(struct gw_config *c)
{
    memset(c, 0, sizeof(*c));
    gw_strlcpy(c->listen_host, "0.0.0.0", sizeof(c->listen_host));
    c->listen_port = 8080;
    gw_strlcpy(c->redis_host, "127.0.0.1", sizeof(c->redis_host));
    c->redis_port = 6379;
    c->threads = 0;
    c->tick_ms = 25;
    c->deliver_slice = 250;
    c->state_ms = 500;
    c->wecom_cooldown_s = 600;
    c->wecom_min_watch_s = 60;
    c->sales_poll_ms = 100;
    c->stock_us_viewer = 50;
    gw_strlcpy(c->node, "gw1", sizeof(c->node));
    c->comment_rate = 30;
    c->replay_events = 1024;
    c->max_frame = 4096;
    c->conn_comment_rate = 1;
    c->conn_like_rate = 10;
    c->conn_msg_rate = 50;
    c->abuse_limit = 30;
    c->max_conns = 0;
    c->max_conns_per_ip = 5000;
    c->handshake_rate = 2000;
    c->retry_after_max = 10;
    c->max_lag_kb = 512;
    c->max_queue_kb = 256;
    c->ping_secs = 30;
    c->ping_timeout_secs = 75;
    c->drain_secs = 5;
    c->rx_buffer = 512;
    c->log_level = 2;
    gw_strlcpy(c->words_action, "mask", sizeof(c->words_action));
    c->room_idle_s = 1800;
    c->trust_window_s = 20;
    c->trust_warmup_s = 120;
    c->trust_sustain_s = 5;
    c->trust_cooldown_s = 300;
    c->trust_min_online = 10;
    c->trust_min_score = 40;
    c->trust_factor_pct = 200;
}

static const struct opt *find_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        if (strlen(opts[i].name) == len && memcmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

static int parse_int(const char *v, long lo, long hi, int *out)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi)
        return -1;
    *out = (int)n;
    return 0;
}

static int set_opt(struct gw_config *c, const struct opt *o, const char *v, FILE *err)
{
    char *base = (char *)c;

    switch (o->type) {
    case OPT_INT:
        if (parse_int(v, o->min, o->max, (int *)(base + o->off)) < 0) {
            fprintf(err, "livegw: --%s wants an integer in [%d, %d], got '%s'\n", o->name, o->min,
                    o->max, v);
            return -1;
        }
        return 0;
    case OPT_STR:
        if (strlen(v) >= o->size) {
            fprintf(err, "livegw: --%s is too long\n", o->name);
            return -1;
        }
        gw_strlcpy(base + o->off, v, o->size);
        return 0;
    case OPT_BOOL:
        if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on"))
            *(bool *)(base + o->off) = true;
        else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off"))
            *(bool *)(base + o->off) = false;
        else {
            fprintf(err, "livegw: --%s wants true or false, got '%s'\n", o->name, v);
            return -1;
        }
        return 0;
    case OPT_HOSTPORT: {
        const char *colon = strrchr(v, ':');
        size_t hl;
        if (!colon || colon == v || parse_int(colon + 1, 1, 65535, (int *)(base + o->off2)) < 0) {
            fprintf(err, "livegw: --%s wants HOST:PORT, got '%s'\n", o->name, v);
            return -1;
        }
        hl = (size_t)(colon - v);
        if (hl >= o->size) {
            fprintf(err, "livegw: --%s host is too long\n", o->name);
            return -1;
        }
        memcpy(base + o->off, v, hl);
        (base + o->off)[hl] = '\0';
        return 0;
    }
    case OPT_ROOM:
        if (c->n_rooms >= GW_MAX_PRECREATED_ROOMS || strlen(v) < 1 || strlen(v) > 64 ||
            strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
                strlen(v)) {
            fprintf(err, "livegw: --room wants an id [A-Za-z0-9_-]{1,64} (at most %d rooms)\n",
                    GW_MAX_PRECREATED_ROOMS);
            return -1;
        }
        gw_strlcpy(c->rooms[c->n_rooms++], v, sizeof(c->rooms[0]));
        return 0;
    }
    return -1;
}

static char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

static int load_file(struct gw_config *c, const char *path, FILE *err)
{
    char line[1024];
    int lineno = 0, rc = 0;
    FILE *f = fopen(path, "r");

    if (!f) {
        fprintf(err, "livegw: cannot open config %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *s = trim(line), *eq, *key, *val;
        const struct opt *o;

        lineno++;
        if (!*s || *s == '#')
            continue;
        eq = strchr(s, '=');
        if (!eq) {
            fprintf(err, "livegw: %s:%d: expected 'name = value'\n", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        key = trim(s);
        val = trim(eq + 1);
        o = find_opt(key, strlen(key));
        if (!o) {
            fprintf(err, "livegw: %s:%d: unknown setting '%s'\n", path, lineno, key);
            rc = -1;
            break;
        }
        if (set_opt(c, o, val, err) < 0) {
            fprintf(err, "livegw: (in %s:%d)\n", path, lineno);
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

int gw_config_load(struct gw_config *c, int argc, char **argv, int first, FILE *out, FILE *err)
{
    for (int i = first; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            gw_config_usage(out, argv[0]);
            return 1;
        }
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                fprintf(err, "livegw: --config wants a file\n");
                return -1;
            }
            if (load_file(c, argv[i + 1], err) < 0)
                return -1;
        }
    }
    for (int i = first; i < argc; i++) {
        const char *a = argv[i], *v, *eq;
        const struct opt *o;
        size_t nl;

        if (strncmp(a, "--", 2) != 0) {
            fprintf(err, "livegw: unexpected argument '%s' (see --help)\n", a);
            return -1;
        }
        a += 2;
        eq = strchr(a, '=');
        nl = eq ? (size_t)(eq - a) : strlen(a);
        if (nl == 6 && !strncmp(a, "config", 6)) {
            i++;
            continue;
        }
        o = find_opt(a, nl);
        if (!o) {
            fprintf(err, "livegw: unknown option '--%.*s' (see --help)\n", (int)nl, a);
            return -1;
        }
        if (eq)
            v = eq + 1;
        else if (o->type == OPT_BOOL && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0))
            v = "true";
        else if (i + 1 < argc)
            v = argv[++i];
        else {
            fprintf(err, "livegw: --%s wants a value\n", o->name);
            return -1;
        }
        if (set_opt(c, o, v, err) < 0)
            return -1;
    }
    if (c->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->threads = n > 0 ? (int)(n > 64 ? 64 : n) : 1;
    }
    return 0;
}

int gw_config_check(const struct gw_config *c, FILE *err)
{
    if (!c->secret[0] && !c->guest) {
        fprintf(err, "livegw: --secret is required (or --guest for a demo without tokens)\n");
        return -1;
    }
    if (!c->tls_cert[0] != !c->tls_key[0]) {
        fprintf(err, "livegw: --tls-cert and --tls-key go together\n");
        return -1;
    }
    if (c->ping_timeout_secs <= c->ping_secs) {
        fprintf(err, "livegw: --ping-timeout-secs must exceed --ping-secs\n");
        return -1;
    }
    if (strcmp(c->words_action, "mask") != 0 && strcmp(c->words_action, "refuse") != 0) {
        fprintf(err, "livegw: --words-action is mask or refuse\n");
        return -1;
    }
    return 0;
}

void gw_config_usage(FILE *out, const char *prog)
{
    struct gw_config d;
    char def[600];

    gw_config_defaults(&d);
    fprintf(
        out,
        "usage: %s [--config FILE] [--option VALUE ...]   run the gateway (foreground)\n"
        "       %s token --secret S --uid U --role viewer|host|admin --room R|'*' [--ttl SECS]\n"
        "       %s verify-token --secret S TOKEN\n\n"
        "Every option can also be set in the config file as 'name = value'; the command\n"
        "line wins. SIGTERM drains (close 1001 to viewers, flush, exit 0).\n\noptions:\n",
        prog, prog, prog);
    fprintf(out, "  %-22s %s\n", "--config FILE", "read settings from FILE");
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        const struct opt *o = &opts[i];
        const char *base = (const char *)&d;
        switch (o->type) {
        case OPT_INT:
            snprintf(def, sizeof(def), "%d", *(const int *)(base + o->off));
            break;
        case OPT_STR:
            snprintf(def, sizeof(def), "%s", *(base + o->off) ? base + o->off : "(none)");
            break;
        case OPT_BOOL:
            snprintf(def, sizeof(def), "%s", *(const bool *)(base + o->off) ? "true" : "false");
            break;
        case OPT_HOSTPORT:
            snprintf(def, sizeof(def), "%s:%d", base + o->off, *(const int *)(base + o->off2));
            break;
        case OPT_ROOM:
            snprintf(def, sizeof(def), "(none)");
            break;
        }
        fprintf(out, "  --%-20s %s [default: %s]\n", o->name, o->help, def);
    }
    fprintf(out, "  %-22s %s\n", "--help", "this text");
}
