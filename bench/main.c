/* main.c: livegw-bench's command line: picks the scenario, fills struct bench_cfg with sane
 * defaults and the flags, checks it (loopback only, a bounded run) and runs the scenario. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "httpc.h"
#include "scn.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: livegw-bench SCENARIO [options]\n"
        "scenarios:\n"
        "  fanout   N viewers, publisher at --rate (or max); latency, deliveries/s, drops\n"
        "  likes    like storm; the final total must equal what was sent\n"
        "  rush     flash sale: every viewer orders within --spread-ms against --stock\n"
        "  churn    viewers reconnect with since; no notice may be lost or repeated\n"
        "  idle     N idle viewers; server RSS per viewer (with --server-pid)\n"
        "target:\n"
        "  --target gateway|nchan|redis (gateway; redis: the rush baseline, a Lua script per "
        "order)\n"
        "  --url ws://127.0.0.1:PORT  gateway address (ws://127.0.0.1:8080)\n"
        "  --secret S                 token secret ($LIVEGW_SECRET or 'bench-secret')\n"
        "  --pub ws|http              gateway publisher: host WebSocket or POST "
        "/api/rooms/R/events (ws)\n"
        "  --pub-url URL              nchan publisher, e.g. http://127.0.0.1:8090/pub?id=room\n"
        "  --pub-conns K              HTTP publishing connections, one request in flight each "
        "(4);\n"
        "                             WebSocket: publishing connections per room (from the rate)\n"
        "  --pub-conn-rate F          messages/s per WebSocket publisher (40 host, 0.8 commenter)\n"
        "  --sub-url URL              nchan subscriber (default: pub-url with /pub -> /sub)\n"
        "load:\n"
        "  --viewers N (1000)  --procs P (N/19500 rounded up)  --ramp PER_S (2000)\n"
        "  --inflight K (256 handshakes per process)  --src-addrs K (16)\n"
        "  --room NAME (bench-<pid>-<time>)  --rooms K (1)\n"
        "  --duration S (10)  --drain S (3)  --ready-timeout S (60)\n"
        "  --rate R|max (20 per room)  --window W (32)  --size B (64)  --priority high|low (high)\n"
        "  --like-rate F (5 per viewer per s)  --like-n K (0: 1..100)\n"
        "  --churn-rate F (viewers/10 per s)\n"
        "  --stock S (100)  --spread-ms MS (1000)  --sale ID (bench-sale)\n"
        "  --redis HOST:PORT  rush: the gateway's Redis, checked after the run (or the "
        "baseline's)\n"
        "output:\n"
        "  --server-pid PID   sample the server's CPU and RSS from /proc\n"
        "  --plot PREFIX      write PREFIX.lat.dat, PREFIX.rate.dat, PREFIX.gp, PREFIX.svg\n"
        "  --label TEXT       copied into the report\n"
        "Every run stops by itself; only 127.0.0.0/8 is accepted as a target.\n");
}

static int die(const char *msg)
{
    fprintf(stderr, "livegw-bench: %s\n", msg);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    static struct bench_cfg cfg;
    cfg.scn_name = argv[1];
    if (strcmp(argv[1], "fanout") == 0)
        cfg.scn = SCN_FANOUT;
    else if (strcmp(argv[1], "likes") == 0)
        cfg.scn = SCN_LIKES;
    else if (strcmp(argv[1], "rush") == 0)
        cfg.scn = SCN_RUSH;
    else if (strcmp(argv[1], "churn") == 0)
        cfg.scn = SCN_CHURN;
    else if (strcmp(argv[1], "idle") == 0)
        cfg.scn = SCN_IDLE;
    else {
        usage(stderr);
        return 2;
    }
    const char *url = "ws://127.0.0.1:8080", *pub_url = NULL, *sub_url = NULL;
    const char *env_secret = getenv("LIVEGW_SECRET");
    snprintf(cfg.secret, sizeof(cfg.secret), "%s", env_secret ? env_secret : "bench-secret");
    snprintf(cfg.room, sizeof(cfg.room), "bench-%d-%ld", (int)getpid(), (long)time(NULL));
    snprintf(cfg.sale, sizeof(cfg.sale), "bench-sale");
    cfg.rooms = 1;
    cfg.viewers = 1000;
    cfg.ramp = 2000;
    cfg.inflight = 256;
    cfg.src_addrs = 16;
    cfg.duration = 10;
    cfg.drain = 3;
    cfg.ready_timeout = 60;
    cfg.rate = 20;
    cfg.window = 32;
    cfg.size = 64;
    cfg.prio_high = true;
    cfg.like_rate = -1;
    cfg.churn_rate = -1;
    cfg.stock = 100;

    cfg.spread_ms = 1000;
    const char *target = "gateway", *pubmode = "ws";

    static const struct option opts[] = {
        {"target", 1, 0, 't'},     {"url", 1, 0, 'u'},
        {"secret", 1, 0, 's'},     {"pub", 1, 0, 'P'},
        {"pub-url", 1, 0, 'U'},    {"sub-url", 1, 0, 'S'},
        {"viewers", 1, 0, 'n'},    {"procs", 1, 0, 'p'},
        {"ramp", 1, 0, 'r'},       {"inflight", 1, 0, 'i'},
        {"src-addrs", 1, 0, 'a'},  {"room", 1, 0, 'R'},
        {"rooms", 1, 0, 'K'},      {"duration", 1, 0, 'd'},
        {"drain", 1, 0, 'D'},      {"ready-timeout", 1, 0, 'T'},
        {"rate", 1, 0, 'm'},       {"window", 1, 0, 'w'},
        {"size", 1, 0, 'z'},       {"priority", 1, 0, 'y'},
        {"like-rate", 1, 0, 'l'},  {"like-n", 1, 0, 'k'},
        {"churn-rate", 1, 0, 'c'}, {"stock", 1, 0, 'o'},
        {"spread-ms", 1, 0, 'e'},  {"sale", 1, 0, 'x'},
        {"redis", 1, 0, 'X'},      {"server-pid", 1, 0, 'G'},
        {"plot", 1, 0, 'g'},       {"label", 1, 0, 'L'},
        {"pub-conns", 1, 0, 'C'},  {"pub-conn-rate", 1, 0, 'Q'},
        {"help", 0, 0, 'h'},       {0, 0, 0, 0},
    };
    int o;
    optind = 2;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 't':
            target = optarg;
            break;
        case 'u':
            url = optarg;
            break;
        case 's':
            snprintf(cfg.secret, sizeof(cfg.secret), "%s", optarg);
            break;
        case 'P':
            pubmode = optarg;
            break;
        case 'U':
            pub_url = optarg;
            break;
        case 'S':
            sub_url = optarg;
            break;
        case 'n':
            cfg.viewers = atoi(optarg);
            break;
        case 'p':
            cfg.procs = atoi(optarg);
            break;
        case 'r':
            cfg.ramp = atoi(optarg);
            break;
        case 'i':
            cfg.inflight = atoi(optarg);
            break;
        case 'a':
            cfg.src_addrs = atoi(optarg);
            break;
        case 'R':
            snprintf(cfg.room, sizeof(cfg.room), "%s", optarg);
            break;
        case 'K':
            cfg.rooms = atoi(optarg);
            break;
        case 'd':
            cfg.duration = atof(optarg);
            break;
        case 'D':
            cfg.drain = atof(optarg);
            break;
        case 'T':
            cfg.ready_timeout = atof(optarg);
            break;
        case 'm':
            if (strcmp(optarg, "max") == 0)
                cfg.rate_max = true;
            else
                cfg.rate = atof(optarg);
            break;
        case 'w':
            cfg.window = atoi(optarg);
            break;
        case 'z':
            cfg.size = atoi(optarg);
            break;
        case 'y':
            if (strcmp(optarg, "high") && strcmp(optarg, "low"))
                return die("--priority is high or low");
            cfg.prio_high = strcmp(optarg, "high") == 0;
            break;
        case 'l':
            cfg.like_rate = atof(optarg);
            break;
        case 'k':
            cfg.like_n = atoi(optarg);
            break;
        case 'c':
            cfg.churn_rate = atof(optarg);
            break;
        case 'o':
            cfg.stock = atoi(optarg);
            break;
        case 'e':
            cfg.spread_ms = atoi(optarg);
            break;
        case 'x':
            snprintf(cfg.sale, sizeof(cfg.sale), "%s", optarg);
            break;
        case 'X':
            cfg.redis = optarg;
            break;
        case 'G':
            cfg.server_pid = (pid_t)atoi(optarg);
            break;
        case 'g':
            cfg.plot = optarg;
            break;
        case 'L':
            cfg.label = optarg;
            break;
        case 'C':
            cfg.pub_conns = atoi(optarg);
            break;
        case 'Q':
            cfg.pub_conn_rate = atof(optarg);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc)
        return die("unexpected argument (see --help)");

    char path[512];
    if (strcmp(target, "gateway") == 0) {
        cfg.target = TGT_GATEWAY;
        if (bench_url_parse(url, &cfg.dst, cfg.host_hdr, sizeof(cfg.host_hdr), path, sizeof(path)) <
            0)
            return die("--url must be ws://127.x.y.z:PORT (loopback only)");
        snprintf(cfg.sub_path, sizeof(cfg.sub_path), "/ws");
        if (strcmp(pubmode, "http") == 0) {
            cfg.pub_http = true;
            cfg.pub_dst = cfg.dst;
            snprintf(cfg.pub_host_hdr, sizeof(cfg.pub_host_hdr), "%s", cfg.host_hdr);
        } else if (strcmp(pubmode, "ws") != 0) {
            return die("--pub is ws or http");
        }
    } else if (strcmp(target, "nchan") == 0) {
        cfg.target = TGT_NCHAN;
        cfg.pub_http = true;
        if (cfg.scn != SCN_FANOUT && cfg.scn != SCN_IDLE)
            return die("nchan is a peer for fanout and idle only");
        if (!pub_url)
            return die("--target nchan needs --pub-url http://127.0.0.1:PORT/pub?id=ROOM");
        if (bench_url_parse(pub_url, &cfg.pub_dst, cfg.pub_host_hdr, sizeof(cfg.pub_host_hdr),
                            cfg.pub_path, sizeof(cfg.pub_path)) < 0)
            return die("--pub-url must be http://127.x.y.z:PORT/... (loopback only)");
        /* The channel id: the value of id= becomes the room name; the paths end in "id=". */
        char *id = strstr(cfg.pub_path, "id=");
        if (!id)
            return die("--pub-url needs an id= query parameter");
        if (id[3])
            snprintf(cfg.room, sizeof(cfg.room), "%s", id + 3);
        id[3] = '\0';
        char derived[600];
        if (!sub_url) {
            snprintf(derived, sizeof(derived), "ws://%s%s", cfg.pub_host_hdr, cfg.pub_path);
            char *p = strstr(derived, "/pub");
            if (!p)
                return die("cannot derive --sub-url from --pub-url; give --sub-url");
            memcpy(p, "/sub", 4);
            sub_url = derived;
        }
        if (bench_url_parse(sub_url, &cfg.dst, cfg.host_hdr, sizeof(cfg.host_hdr), cfg.sub_path,
                            sizeof(cfg.sub_path)) < 0)
            return die("--sub-url must be ws://127.x.y.z:PORT/... (loopback only)");
        char *sid = strstr(cfg.sub_path, "id=");
        if (!sid)
            return die("--sub-url needs an id= query parameter");
        sid[3] = '\0';
    } else if (strcmp(target, "redis") == 0) {
        /* The rush baseline: the usual Redis Lua script per order, at the same rate. */
        cfg.target = TGT_REDIS;
        if (cfg.scn != SCN_RUSH || !cfg.redis)
            return die(
                "--target redis is the rush baseline: rush --target redis --redis HOST:PORT");
        snprintf(cfg.host_hdr, sizeof(cfg.host_hdr), "%s", cfg.redis);
    } else {
        return die("--target is gateway, nchan or redis (rush baseline)");
    }
    if (cfg.viewers < 1 || cfg.rooms < 1 || cfg.rooms > BENCH_MAX_ROOMS || cfg.rooms > cfg.viewers)
        return die("need 1 <= --rooms <= --viewers and --rooms <= 4096");
    if (cfg.procs <= 0)
        cfg.procs = (cfg.viewers + BENCH_PER_PROC_MAX - 1) / BENCH_PER_PROC_MAX;
    if (cfg.procs > cfg.viewers)
        cfg.procs = cfg.viewers;
    if ((cfg.viewers + cfg.procs - 1) / cfg.procs > BENCH_PER_PROC_MAX)
        return die("more than 19,500 viewers per process: raise --procs");
    if (cfg.src_addrs < 1 || cfg.src_addrs > 250)
        return die("--src-addrs is 1..250");
    /* The gateway's per-connection limits (conn-msg-rate 50/s, conn-comment-rate 1/s) bound
     * what one publishing connection may send; stay under them and spread the rate. */
    bool hostpub = cfg.prio_high || cfg.scn != SCN_FANOUT;
    if (cfg.pub_conn_rate <= 0)
        cfg.pub_conn_rate = hostpub ? 40 : 0.8;
    if (cfg.pub_conns == 0) {
        if (cfg.pub_http)
            cfg.pub_conns = 4;
        else if (cfg.rate_max)
            cfg.pub_conns = hostpub ? 16 : 64;
        else
            cfg.pub_conns = (int)(cfg.rate / cfg.pub_conn_rate) + 1;
        if (cfg.pub_conns > 256)
            cfg.pub_conns = 256;
    }
    if (cfg.ramp < 1 || cfg.inflight < 1 || cfg.window < 1 || cfg.pub_conns < 1 ||
        cfg.pub_conns > 256)
        return die("--ramp, --inflight, --window must be positive, --pub-conns 1..256");
    if (cfg.duration <= 0 || cfg.duration > 3600 || cfg.drain < 0 || cfg.drain > 600)
        return die("--duration is (0, 3600] s and --drain [0, 600] s");
    if (!cfg.rate_max && (cfg.rate <= 0 || cfg.rate > 1e6))
        return die("--rate is (0, 1e6] or max");
    if (cfg.size < 32 || cfg.size > BENCH_TEXT_MAX)
        return die("--size is 32..4000 bytes (the text holds a counter and a timestamp)");
    if (cfg.like_rate < 0)
        cfg.like_rate = 5.0 * cfg.viewers;
    if (cfg.churn_rate < 0)
        cfg.churn_rate = cfg.viewers / 10.0;
    if (cfg.like_n < 0 || cfg.like_n > 100)
        return die("--like-n is 0..100");
    cfg.token_exp = (int64_t)time(NULL) + 3600 + (int64_t)(cfg.duration + cfg.ready_timeout);

    /* A hard stop whatever happens: ramp, run, drain, plus a margin. The viewers die with the
     * coordinator (PR_SET_PDEATHSIG). */
    alarm((unsigned)(cfg.ready_timeout + cfg.duration + cfg.drain + 60));
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    switch (cfg.scn) {
    case SCN_FANOUT:
        return scn_fanout(&cfg);
    case SCN_LIKES:
        return scn_likes(&cfg);
    case SCN_RUSH:
        return scn_rush(&cfg);
    case SCN_CHURN:
        return scn_churn(&cfg);
    case SCN_IDLE:
        return scn_idle(&cfg);
    }
    return 2;
}
