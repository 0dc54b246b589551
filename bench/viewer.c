/* viewer.c: the viewer process: ramps its share of the audience up, plays the scenario's
 * viewer part (read and time deliveries, likes, reconnects, orders) and reports into its slot.
 *
 * Single-threaded: everything here runs on the process's one epoll loop. Viewer i of this
 * process is global viewer `first + i`; its room is (global index mod rooms) and its source
 * address 127.0.0.(2 + global index mod src_addrs). */
#include <errno.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bclock.h"
#include "bench.h"
#include "jfield.h"
#include "wsconn.h"

#define SEEN_WORDS 4 /* remembers the last 256 messages */
#define SEEN_BITS  (64 * SEEN_WORDS)

struct viewer {
    struct wsc c; /* first: the engine hands this pointer back */
    uint32_t g;   /* global viewer index */
    uint16_t room;
    uint8_t ready; /* past welcome (gateway) or open (nchan) */
    uint8_t ever_ready;
    uint8_t retries;  /* handshakes refused with 503/429 so far */
    int64_t last_seq; /* last room seq seen, -1 before the first welcome */
    int64_t last_pub; /* highest bench message counter seen, -1 when unknown */
    int64_t base_pub; /* counter before the first message this viewer should get, -1 unset */
    int64_t uniq;     /* distinct bench messages received */
    uint64_t seen[SEEN_WORDS]; /* bit i: message last_pub - i was received (tells a duplicate
                                  from a reordered message: concurrent publishes reorder) */
    int64_t likes_total;       /* last likes total seen, -1 before any */
    uint64_t t_start;          /* when the current connection attempt started */
    uint64_t t_order;          /* rush: the outstanding order's scheduled time, 0 when none */
};

struct vproc {
    const struct bench_cfg *cfg;
    struct bench_shm *shm;
    struct bench_slot *s;
    struct viewer *v;
    int count;
    int first;
    struct wsc_engine e;
    int next_start; /* ramp: next viewer to connect */
    int pending;    /* handshakes in flight */
    uint64_t t_ramp0;
    uint64_t t_act0; /* likes/churn pacing start */
    uint64_t acts;   /* likes frames sent or reconnects started */
    uint32_t cursor; /* likes/churn: walks the viewers with a stride */
    uint32_t rng;
    int rush_next;
    bool in_run;
    /* Viewers whose handshake the server deferred (503/429 + Retry-After), retried in FIFO
     * order after a short pause: a ring of viewer indices with their due times. */
    uint32_t *retry_idx;
    uint64_t *retry_due;
    uint32_t retry_head, retry_len;
    struct rusage ru_run;
};

static double ru_secs(const struct rusage *r)
{
    return (double)r->ru_utime.tv_sec + r->ru_utime.tv_usec / 1e6 + (double)r->ru_stime.tv_sec +
           r->ru_stime.tv_usec / 1e6;
}

static uint32_t rnd(struct vproc *p)
{
    uint32_t x = p->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return p->rng = x;
}

static void set_close(struct bench_slot *s, int code, const char *why)
{
    s->last_close_code = code;
    snprintf(s->last_close_why, sizeof(s->last_close_why), "%s", why);
}

/* Starts (or restarts, resuming after since) viewer v's connection. */
static void start_viewer(struct vproc *p, struct viewer *v, int64_t since, uint64_t now)
{
    const struct bench_cfg *cfg = p->cfg;
    char uid[32], req[1400];
    snprintf(uid, sizeof(uid), "v%u", v->g);
    int n = bench_upgrade_request(cfg, req, sizeof(req), uid, "viewer", v->room, since);
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7f000002u + v->g % (uint32_t)cfg->src_addrs);
    v->ready = 0;
    v->t_start = now;
    atomic_fetch_add_explicit(&p->s->started, 1, memory_order_relaxed);
    int rc = n < 0 ? -EINVAL : wsc_connect(&p->e, &v->c, &cfg->dst, &src, req, (size_t)n);
    if (rc < 0) {
        p->s->conn_errors++;
        char why[48];
        snprintf(why, sizeof(why), "connect: %s", strerror(-rc));
        set_close(p->s, -1, why);
        if (!v->ever_ready)
            atomic_fetch_add_explicit(&p->s->failed, 1, memory_order_relaxed);
        return;
    }
    p->pending++;
}

static void become_ready(struct vproc *p, struct viewer *v, uint64_t now)
{
    v->ready = 1;
    p->pending--;
    hist_add(&p->s->connect, now - v->t_start);
    if (v->ever_ready)
        p->s->reconnects++;
    v->ever_ready = 1;
    atomic_fetch_add_explicit(&p->s->ready, 1, memory_order_relaxed);
}

/* Shifts the seen-bitmap up by n positions (bit i moves to bit i + n). */
static void seen_shift(uint64_t *w, int64_t n)
{
    if (n >= SEEN_BITS) {
        memset(w, 0, SEEN_WORDS * sizeof(*w));
        return;
    }
    int words = (int)(n / 64), bits = (int)(n % 64);
    for (int i = SEEN_WORDS - 1; i >= 0; i--) {
        uint64_t hi = i - words >= 0 ? w[i - words] : 0;
        uint64_t lo = i - words - 1 >= 0 ? w[i - words - 1] : 0;
        w[i] = bits ? (hi << bits) | (lo >> (64 - bits)) : hi;
    }
}

/* Accounts one bench message (publish counter `pub`, sent at t_ns) delivered to v. */
static void on_bench_msg(struct vproc *p, struct viewer *v, const char *text, size_t len,
                         uint64_t now)
{
    struct bench_slot *s = p->s;
    int room;
    int64_t pub;
    uint64_t t;
    if (!bench_text_parse(text, len, &room, &pub, &t)) {
        s->bad_msgs++;
        return;
    }
    hist_add(&s->lat, now > t ? now - t : 0);
    atomic_fetch_add_explicit(&s->delivered, 1, memory_order_relaxed);
    s->last_delivery_ns = now;
    uint64_t t_run = atomic_load_explicit(&p->shm->t_run_ns, memory_order_relaxed);
    if (t_run && now >= t_run) {
        uint64_t bin = (now - t_run) / BENCH_BIN_NS;
        s->bins[bin < BENCH_BINS ? bin : BENCH_BINS - 1]++;
    }
    if (v->base_pub < 0)
        v->base_pub = v->last_pub >= 0 ? v->last_pub : pub - 1;
    if (pub > v->last_pub) {
        int64_t shift = v->last_pub >= 0 ? pub - v->last_pub : SEEN_BITS;
        seen_shift(v->seen, shift);
        v->seen[0] |= 1;
        v->last_pub = pub;
        v->uniq++;
        return;
    }
    int64_t d = v->last_pub - pub;
    if (d < SEEN_BITS && !(v->seen[d / 64] & (1ull << (d % 64)))) {
        v->seen[d / 64] |= 1ull << (d % 64);
        v->uniq++;
        s->reordered++;
    } else {
        s->dup_pub++; /* or reordered by more than SEEN_BITS, which is then also counted lost */
    }
}

static void on_seq(struct bench_slot *s, struct viewer *v, int64_t seq)
{
    if (v->last_seq >= 0) {
        if (seq > v->last_seq + 1)
            s->seq_gaps += (uint64_t)(seq - v->last_seq - 1);
        else if (seq <= v->last_seq)
            s->seq_dups++;
    }
    if (seq > v->last_seq)
        v->last_seq = seq;
}

/* An `order` reply. Each viewer sends one order (req "o<g>"); anything else is counted as
 * an extra reply. An acknowledged order's id goes into the shared table for the Redis
 * check. */
static void on_order_reply(struct vproc *p, struct viewer *v, const char *o, size_t n, uint64_t now)
{
    struct bench_slot *s = p->s;
    char want[16];
    int wl = snprintf(want, sizeof(want), "o%u", v->g);
    const char *rq;
    size_t rl;
    if (!v->t_order || !jf_str(o, n, "req", &rq, &rl) || rl != (size_t)wl ||
        memcmp(rq, want, rl) != 0) {
        s->orders_extra++;
        return;
    }
    hist_add(&s->reply, now > v->t_order ? now - v->t_order : 0);
    v->t_order = 0;
    /* Replies over time, in 100 ms bins from the start of the measured phase. */
    uint64_t t_run = atomic_load_explicit(&p->shm->t_run_ns, memory_order_relaxed);
    if (t_run && now >= t_run) {
        uint64_t bin = (now - t_run) / BENCH_BIN_NS;
        s->bins[bin < BENCH_BINS ? bin : BENCH_BINS - 1]++;
    }
    size_t okl;
    const char *ok = jf_find(o, n, "ok", &okl, NULL);
    if (ok && okl == 4 && memcmp(ok, "true", 4) == 0) {
        s->orders_ok++;
        const char *id;
        size_t il;
        if (!jf_str(o, n, "order", &id, &il) || il == 0 || il >= BENCH_ORDER_ID_MAX ||
            memchr(id, '\\', il)) {
            s->order_ids_bad++;
        } else if (p->shm->order_ids_off) {
            char *slot = bench_order_id(p->shm, (int)v->g);
            memcpy(slot, id, il);
            slot[il] = '\0';
        }
        return;
    }
    s->orders_fail++;
    const char *code;
    size_t cl;
    if (jf_str(o, n, "code", &code, &cl))
        bench_code_add(s->order_codes, code, cl, 1);
    else
        bench_code_add(s->order_codes, "order_no_code", 13, 1);
}

/* One JSON object from the gateway. */
static void on_gateway_obj(struct vproc *p, struct viewer *v, const char *o, size_t n, uint64_t now)
{
    struct bench_slot *s = p->s;
    const char *t;
    size_t tl;
    if (!jf_str(o, n, "t", &t, &tl))
        return;
    int64_t x;
    if ((tl == 6 && memcmp(t, "notice", 6) == 0) || (tl == 7 && memcmp(t, "comment", 7) == 0)) {
        if (jf_int(o, n, "seq", &x))
            on_seq(s, v, x);
        const char *txt;
        size_t txl;
        if (jf_str(o, n, "text", &txt, &txl) && txl > 0 && txt[0] == 'B')
            on_bench_msg(p, v, txt, txl, now);
    } else if (tl == 6 && memcmp(t, "online", 6) == 0) {
        s->online_msgs++;
    } else if (tl == 5 && memcmp(t, "likes", 5) == 0) {
        if (jf_int(o, n, "total", &x))
            v->likes_total = x;
    } else if (tl == 7 && memcmp(t, "welcome", 7) == 0) {
        if (jf_int(o, n, "seq", &x) && v->last_seq < 0)
            v->last_seq = x;
        if (jf_int(o, n, "likes", &x))
            v->likes_total = x;
        if (!v->ready)
            become_ready(p, v, now);
    } else if (tl == 5 && memcmp(t, "order", 5) == 0) {
        on_order_reply(p, v, o, n, now);
    } else if (tl == 5 && memcmp(t, "error", 5) == 0) {
        s->errors++;
        const char *code = "error", *rq;
        size_t cl = 5, rl;
        if (jf_str(o, n, "code", &code, &cl))
            bench_code_add(s->codes, code, cl, 1);
        /* A refused like carries its req "l<n>": its n does not count towards the total. */
        if (jf_str(o, n, "req", &rq, &rl) && rl > 1 && rq[0] == 'l')
            s->likes_rejected += atoi(rq + 1);
        if (jf_str(o, n, "req", &rq, &rl) && rl > 1 && rq[0] == 'o' && v->t_order) {
            hist_add(&s->reply, now > v->t_order ? now - v->t_order : 0);
            v->t_order = 0;
            s->orders_fail++;
            bench_code_add(s->order_codes, code, cl, 1); /* an `error` instead of an `order` */
        }
    }
}

static void on_open(struct wsc_engine *e, struct wsc *c, uint64_t now)
{
    struct vproc *p = e->user;
    if (p->cfg->target == TGT_NCHAN)
        become_ready(p, (struct viewer *)c, now);
}

static void on_text(struct wsc_engine *e, struct wsc *c, const char *d, size_t n, uint64_t now)
{
    struct vproc *p = e->user;
    struct viewer *v = (struct viewer *)c;
    if (p->cfg->target == TGT_NCHAN) {
        on_bench_msg(p, v, d, n, now);
        return;
    }
    size_t pos = 0;
    const char *o;
    size_t ol;
    while (jf_next_object(d, n, &pos, &o, &ol))
        on_gateway_obj(p, v, o, ol, now);
}

#define MAX_RETRIES 30

static void on_close(struct wsc_engine *e, struct wsc *c, int code, const char *why, uint64_t now)
{
    struct vproc *p = e->user;
    struct viewer *v = (struct viewer *)c;
    struct bench_slot *s = p->s;
    if (!v->ready && (code == -503 || code == -429) && v->retries < MAX_RETRIES) {
        /* Backpressure, not failure: come back in 0.3-1.3 s, like a client honouring
         * Retry-After with jitter. */
        p->pending--;
        v->retries++;
        s->deferred++;
        uint32_t at = (p->retry_head + p->retry_len) % (uint32_t)p->count;
        p->retry_idx[at] = (uint32_t)(v - p->v);
        p->retry_due[at] = now + 300000000ull + (uint64_t)(rnd(p) % 1000) * 1000000ull;
        p->retry_len++;
        return;
    }
    if (v->ready) {
        v->ready = 0;
        atomic_fetch_sub_explicit(&s->ready, 1, memory_order_relaxed);
    } else {
        p->pending--;
        if (!v->ever_ready)
            atomic_fetch_add_explicit(&s->failed, 1, memory_order_relaxed);
    }
    if (code == 4009)
        s->closes_4009++;
    else if (code == 1001)
        s->closes_1001++;
    else if (code <= -100 && code > -600) /* an HTTP status: the upgrade was refused */
        s->refused++;
    else
        s->closes_other++;
    set_close(s, code, why);
    /* In churn a real client resumes after any close; elsewhere a closed viewer stays gone. */
    int ph = atomic_load_explicit(&p->shm->phase, memory_order_acquire);
    if (p->cfg->scn == SCN_CHURN && v->ever_ready && code >= -1 && (ph == PH_RUN || ph == PH_DRAIN))
        start_viewer(p, v, v->last_seq, now);
}

static const struct wsc_ops viewer_ops = {on_open, on_text, on_close};

static void ramp(struct vproc *p, uint64_t now)
{
    while (p->retry_len && p->retry_due[p->retry_head] <= now && p->pending < p->cfg->inflight) {
        struct viewer *v = &p->v[p->retry_idx[p->retry_head]];
        p->retry_head = (p->retry_head + 1) % (uint32_t)p->count;
        p->retry_len--;
        if (!v->ever_ready &&
            atomic_load_explicit(&p->shm->phase, memory_order_relaxed) != PH_CONNECT) {
            atomic_fetch_add_explicit(&p->s->failed, 1, memory_order_relaxed);
            continue; /* too late to join: the measured phase has begun */
        }
        start_viewer(p, v, v->ever_ready ? v->last_seq : -1, now);
    }
    /* New viewers only join before the measured phase: if the ready timeout cut the ramp
     * short, the run measures the viewers that got in, without joins disturbing it. */
    if (atomic_load_explicit(&p->shm->phase, memory_order_relaxed) != PH_CONNECT)
        return;
    double per_proc = (double)p->cfg->ramp / p->cfg->procs;
    uint64_t allowed = (uint64_t)((double)(now - p->t_ramp0) / 1e9 * per_proc) + 1;
    while (p->next_start < p->count && (uint64_t)p->next_start < allowed &&
           p->pending < p->cfg->inflight) {
        start_viewer(p, &p->v[p->next_start], -1, now);
        p->next_start++;
    }
}

/* Picks the next ready viewer for a like or a reconnect, or NULL after a full fruitless lap. */
static struct viewer *pick(struct vproc *p)
{
    for (int tries = 0; tries < p->count; tries++) {
        p->cursor = (p->cursor + 7919u) % (uint32_t)p->count;
        if (p->v[p->cursor].ready)
            return &p->v[p->cursor];
    }
    return NULL;
}

static void act(struct vproc *p, uint64_t now)
{
    const struct bench_cfg *cfg = p->cfg;
    if (cfg->scn == SCN_RUSH) {
        uint64_t go = atomic_load_explicit(&p->shm->go_ns, memory_order_acquire);
        if (!go || now < go)
            return;
        /* Every viewer has its own time in the spread (each process spreads its viewers over
         * all of it, so the processes send side by side): latency runs from that scheduled
         * time, so a harness that falls behind shows up in the reply latency (no coordinated
         * omission) and in the send lag. */
        uint64_t spread = (uint64_t)cfg->spread_ms * 1000000ull;
        for (;;) {
            if (p->rush_next >= p->count)
                break;
            uint64_t at = go + spread * (uint64_t)p->rush_next / (uint64_t)p->count;
            if (at > now)
                break;
            struct viewer *v = &p->v[p->rush_next++];
            if (!v->ready)
                continue;
            char msg[256];
            int n = snprintf(msg, sizeof(msg),
                             "{\"t\":\"order\",\"sale\":\"%s\",\"qty\":1,\"req\":\"o%u\"}",
                             cfg->sale, v->g);
            v->t_order = at;
            p->s->orders_sent++;
            uint64_t sent = bench_now_ns();
            hist_add(&p->s->send_lag, sent > at ? sent - at : 0);
            wsc_send_text(&p->e, &v->c, msg, (size_t)n);
        }
        return;
    }
    double rate = cfg->scn == SCN_LIKES   ? cfg->like_rate
                  : cfg->scn == SCN_CHURN ? cfg->churn_rate
                                          : 0;
    if (rate <= 0)
        return;
    uint64_t due = (uint64_t)((double)(now - p->t_act0) / 1e9 * rate / cfg->procs);
    int budget = 2000; /* per loop pass, so reads keep up */
    while (p->acts < due && budget-- > 0) {
        struct viewer *v = pick(p);
        if (!v)
            break;
        p->acts++;
        if (cfg->scn == SCN_LIKES) {
            int k = cfg->like_n > 0 ? cfg->like_n : 1 + (int)(rnd(p) % 100);
            char msg[64];
            int n = snprintf(msg, sizeof(msg), "{\"t\":\"like\",\"n\":%d,\"req\":\"l%d\"}", k, k);
            if (wsc_send_text(&p->e, &v->c, msg, (size_t)n) == 0)
                p->s->likes_sent += k;
        } else {
            wsc_close(&p->e, &v->c, 1000);
            v->ready = 0;
            atomic_fetch_sub_explicit(&p->s->ready, 1, memory_order_relaxed);
            start_viewer(p, v, v->last_seq, now);
        }
    }
}

/* End-of-run accounting against the coordinator's final per-room figures. */
static void finish(struct vproc *p)
{
    struct bench_slot *s = p->s;
    s->likes_final_min = INT64_MAX;
    s->likes_final_max = -1;
    for (int i = 0; i < p->count; i++) {
        struct viewer *v = &p->v[i];
        if (!v->ready) {
            if (v->ever_ready)
                s->unready_at_end++;
            continue;
        }
        int64_t fs = p->shm->final_seq[v->room];
        if (fs >= 0 && v->last_seq < fs)
            s->behind++;
        int64_t fp = p->shm->final_pub[v->room];
        if (v->base_pub >= 0 && fp - v->base_pub > v->uniq)
            s->lost_pub += (uint64_t)(fp - v->base_pub - v->uniq);
        if (v->likes_total >= 0) {
            s->likes_viewers++;
            if (v->likes_total < s->likes_final_min)
                s->likes_final_min = v->likes_total;
            if (v->likes_total > s->likes_final_max)
                s->likes_final_max = v->likes_total;
        }
    }
    if (s->likes_viewers == 0)
        s->likes_final_min = -1;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    s->cpu_total_s = ru_secs(&ru);
    s->cpu_run_s = p->in_run ? ru_secs(&ru) - ru_secs(&p->ru_run) : 0;
    s->maxrss_kb = ru.ru_maxrss;
}

_Noreturn void bench_viewer_main(const struct bench_cfg *cfg, struct bench_shm *shm, int slot,
                                 int first, int count)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct vproc p = {
        .cfg = cfg, .shm = shm, .s = &shm->slot[slot], .count = count, .first = first};
    p.rng = 0x9e3779b9u ^ (uint32_t)(slot * 2654435761u) ^ (uint32_t)getpid();
    if (wsc_engine_init(&p.e, &viewer_ops, &p) < 0) {
        perror("livegw-bench: epoll_create1");
        _exit(3);
    }
    p.v = calloc((size_t)count, sizeof(*p.v));
    p.retry_idx = calloc((size_t)count, sizeof(*p.retry_idx));
    p.retry_due = calloc((size_t)count, sizeof(*p.retry_due));
    if (!p.v || !p.retry_idx || !p.retry_due) {
        fprintf(stderr, "livegw-bench: out of memory\n");
        _exit(3);
    }
    for (int i = 0; i < count; i++) {
        struct viewer *v = &p.v[i];
        v->c.fd = -1;
        v->g = (uint32_t)(first + i);
        v->room = (uint16_t)(v->g % (uint32_t)cfg->rooms);
        v->last_seq = -1;
        v->last_pub = -1;
        v->base_pub = -1;
        v->likes_total = -1;
    }
    p.t_ramp0 = bench_now_ns();
    for (;;) {
        int ph = atomic_load_explicit(&shm->phase, memory_order_acquire);
        if (ph == PH_EXIT)
            break;
        uint64_t now = bench_now_ns();
        ramp(&p, now);
        if (ph >= PH_RUN && !p.in_run) {
            p.in_run = true;
            p.t_act0 = now;
            getrusage(RUSAGE_SELF, &p.ru_run);
            /* Viewers ready before publishing starts must get every bench message. */
            for (int i = 0; i < count; i++)
                if (p.v[i].ready && p.v[i].base_pub < 0)
                    p.v[i].base_pub = 0;
        }
        if (ph == PH_RUN)
            act(&p, now);
        wsc_engine_poll(&p.e, 2);
    }
    finish(&p);
    atomic_store_explicit(&p.s->done, 1, memory_order_release);
    _exit(0);
}
