/* publish.c: the coordinator's publisher (see publish.h). */
#include "publish.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bclock.h"
#include "jfield.h"
#include "token.h"

static void on_obj(struct publisher *p, struct pub_conn *pc, const char *o, size_t n)
{
    const char *t;
    size_t tl;
    if (!jf_str(o, n, "t", &t, &tl))
        return;
    int64_t seq;
    if (jf_int(o, n, "seq", &seq) && seq > pc->last_seq)
        pc->last_seq = seq;
    if (tl == 7 && memcmp(t, "welcome", 7) == 0) {
        pc->ready = true;
    } else if (tl == 3 && memcmp(t, "ack", 3) == 0) {
        const char *rq;
        size_t rl;
        if (jf_str(o, n, "req", &rq, &rl) && rl == 2 && memcmp(rq, "ss", 2) == 0)
            p->sale = PUB_SALE_LIVE;
        else
            p->acked++;
    } else if (tl == 4 && memcmp(t, "sale", 4) == 0) {
        if (jf_str_eq(o, n, "sale", p->cfg->sale))
            p->sale = PUB_SALE_LIVE;
    } else if (tl == 5 && memcmp(t, "error", 5) == 0) {
        const char *code = "?", *rq, *msg = "";
        size_t cl = 1, rl, ml = 0;
        jf_str(o, n, "code", &code, &cl);
        jf_str(o, n, "msg", &msg, &ml);
        if (jf_str(o, n, "req", &rq, &rl) && rl == 2 && memcmp(rq, "ss", 2) == 0) {
            p->sale = PUB_SALE_REFUSED;
            snprintf(p->sale_why, sizeof(p->sale_why), "%.*s: %.*s", (int)cl, code, (int)ml, msg);
            return;
        }
        p->errors++;
        bench_code_add(p->codes, code, cl, 1);
    }
}

static void on_open(struct wsc_engine *e, struct wsc *c, uint64_t now)
{
}

static void on_text(struct wsc_engine *e, struct wsc *c, const char *d, size_t n, uint64_t now)
{
    struct publisher *p = e->user;
    size_t pos = 0;
    const char *o;
    size_t ol;
    while (jf_next_object(d, n, &pos, &o, &ol))
        on_obj(p, (struct pub_conn *)c, o, ol);
}

static void on_close(struct wsc_engine *e, struct wsc *c, int code, const char *why, uint64_t now)
{
    struct publisher *p = e->user;
    struct pub_conn *pc = (struct pub_conn *)c;
    pc->ready = false;
    snprintf(p->last_close, sizeof(p->last_close), "publisher closed: %d %s", code, why);
}

static const struct wsc_ops pub_ops = {on_open, on_text, on_close};

static int http_connect(struct publisher *p, struct pub_http *h)
{
    h->busy = 0;
    h->rlen = 0;
    h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (h->fd < 0)
        return -1;
    int one = 1;
    setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* Loopback connects complete at once: connect blocking, then switch to non-blocking. */
    if (connect(h->fd, (const struct sockaddr *)&p->cfg->pub_dst, sizeof(p->cfg->pub_dst)) < 0 ||
        fcntl(h->fd, F_SETFL, O_NONBLOCK) < 0) {
        close(h->fd);
        h->fd = -1;
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = h};
    return epoll_ctl(p->hepfd, EPOLL_CTL_ADD, h->fd, &ev);
}

static int http_open(struct publisher *p)
{
    p->hepfd = epoll_create1(EPOLL_CLOEXEC);
    p->nhp = p->cfg->pub_conns;
    p->hp = calloc((size_t)p->nhp, sizeof(*p->hp));
    if (p->hepfd < 0 || !p->hp)
        return -1;
    for (int i = 0; i < p->nhp; i++) {
        if (http_connect(p, &p->hp[i]) < 0) {
            fprintf(stderr, "livegw-bench: cannot connect the publisher to %s\n",
                    p->cfg->pub_host_hdr);
            return -1;
        }
    }
    return 0;
}

static void http_fail(struct publisher *p, struct pub_http *h, const char *code)
{
    p->failed_sends++;
    bench_code_add(p->codes, code, strlen(code), 1);
    close(h->fd);
    if (http_connect(p, h) < 0)
        h->fd = -1;
}

/* Reads a publishing connection's answer; when complete, accounts it and frees the slot. */
static void http_readable(struct publisher *p, struct pub_http *h)
{
    ssize_t n = recv(h->fd, h->rbuf + h->rlen, sizeof(h->rbuf) - 1 - h->rlen, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        http_fail(p, h, "http_closed");
        return;
    }
    h->rlen += (size_t)n;
    h->rbuf[h->rlen] = '\0';
    char *end = strstr(h->rbuf, "\r\n\r\n");
    if (!end) {
        if (h->rlen == sizeof(h->rbuf) - 1)
            http_fail(p, h, "http_header_too_long");
        return;
    }
    size_t hlen = (size_t)(end - h->rbuf) + 4;
    const char *cl = strcasestr(h->rbuf, "\r\nContent-Length:");
    size_t clen = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
    if (h->rlen < hlen + clen) {
        if (hlen + clen >= sizeof(h->rbuf))
            http_fail(p, h, "http_body_too_long");
        return;
    }
    int status = h->rlen > 12 ? atoi(h->rbuf + 9) : 0;
    hist_add(&p->rtt, bench_now_ns() - h->t0);
    h->busy = 0;
    h->rlen = 0;
    if (status < 200 || status >= 300) {
        char code[16];
        snprintf(code, sizeof(code), "http_%d", status);
        http_fail(p, h, code);
        return;
    }
    p->acked++;
}

/* Sends one request on an idle publishing connection. Returns 0, 1 when all are busy, -1. */
static int http_send(struct publisher *p, const char *head, size_t hl, const char *body, size_t bl)
{
    struct pub_http *h = NULL;
    for (int i = 0; i < p->nhp; i++) {
        struct pub_http *c = &p->hp[(p->hnext + i) % p->nhp];
        if (!c->busy && c->fd >= 0) {
            h = c;
            p->hnext = (p->hnext + i + 1) % p->nhp;
            break;
        }
    }
    if (!h)
        return 1;
    struct iovec iov[2] = {{(void *)head, hl}, {(void *)body, bl}};
    ssize_t n = writev(h->fd, iov, 2);
    if (n != (ssize_t)(hl + bl)) {
        /* A short write of a few hundred bytes on loopback means the server is not reading. */
        http_fail(p, h, "http_send");
        return -1;
    }
    h->busy = 1;
    h->t0 = bench_now_ns();
    return 0;
}

int pub_start(struct publisher *p, const struct bench_cfg *cfg, double timeout_s)
{
    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    hist_init(&p->rtt);
    p->pub = calloc((size_t)cfg->rooms, sizeof(*p->pub));
    if (!p->pub || wsc_engine_init(&p->e, &pub_ops, p) < 0)
        return -1;
    if (cfg->pub_http) {
        if (http_open(p) < 0)
            return -1;
        if (cfg->target == TGT_GATEWAY) {
            char tok[512];
            if (bench_token_mint(tok, sizeof(tok), cfg->secret, "bench-admin", "admin", "*",
                                 cfg->token_exp) < 0)
                return -1;
            snprintf(p->admin_auth, sizeof(p->admin_auth),
                     "Authorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\n",
                     tok);
        }
    }
    /* The gateway always gets one WebSocket connection per room: it publishes (or, with
     * --pub http, only watches the room's seq and acks), and carries host commands. */
    if (cfg->target != TGT_GATEWAY)
        return 0;
    p->per_room = cfg->pub_http ? 1 : cfg->pub_conns;
    p->nconns = cfg->rooms * p->per_room;
    p->conns = calloc((size_t)p->nconns, sizeof(*p->conns));
    p->rr = calloc((size_t)cfg->rooms, sizeof(*p->rr));
    if (!p->conns || !p->rr)
        return -1;
    const char *role = cfg->prio_high || cfg->scn != SCN_FANOUT ? "host" : "viewer";
    for (int i = 0; i < p->nconns; i++) {
        struct pub_conn *pc = &p->conns[i];
        pc->room = i / p->per_room;
        pc->last_seq = -1;
        pc->tokens = 1;
        pc->t_refill = bench_now_ns();
        char uid[32], req[1400];
        snprintf(uid, sizeof(uid), "pub%d", i);
        int n = bench_upgrade_request(cfg, req, sizeof(req), uid, role, pc->room, -1);
        if (n < 0 || wsc_connect(&p->e, &pc->c, &cfg->dst, NULL, req, (size_t)n) < 0) {
            fprintf(stderr, "livegw-bench: publisher connect failed\n");
            return -1;
        }
    }
    uint64_t deadline = bench_now_ns() + (uint64_t)(timeout_s * 1e9);
    for (;;) {
        int ready = 0;
        for (int r = 0; r < p->nconns; r++)
            ready += p->conns[r].ready;
        if (ready == p->nconns)
            return 0;
        if (bench_now_ns() > deadline || p->last_close[0]) {
            fprintf(stderr, "livegw-bench: publisher not ready (%d/%d connections) %s\n", ready,
                    p->nconns, p->last_close);
            return -1;
        }
        wsc_engine_poll(&p->e, 10);
    }
}

/* A ready connection of the room with a token (taken), or NULL when all are spent. */
static struct pub_conn *take_conn(struct publisher *p, int room, uint64_t now)
{
    double rate = p->cfg->pub_conn_rate;
    for (int i = 0; i < p->per_room; i++) {
        int j = (p->rr[room] + i) % p->per_room;
        struct pub_conn *pc = &p->conns[room * p->per_room + j];
        if (!pc->ready)
            continue;
        pc->tokens += (double)(now - pc->t_refill) / 1e9 * rate;
        pc->t_refill = now;
        if (pc->tokens > 2)
            pc->tokens = 2;
        if (pc->tokens >= 1) {
            pc->tokens -= 1;
            p->rr[room] = (j + 1) % p->per_room;
            return pc;
        }
    }
    return NULL;
}

int pub_bench(struct publisher *p, int room)
{
    const struct bench_cfg *cfg = p->cfg;
    char text[BENCH_TEXT_MAX + 64], msg[BENCH_TEXT_MAX + 256];
    int64_t seq = p->pub[room] + 1;
    uint64_t t0 = bench_now_ns();
    int tl = bench_text_make(text, sizeof(text), room, seq, t0, cfg->size);
    if (tl < 0)
        return -1;
    int rc;
    char rname[80], head[1024];
    bench_room_name(cfg, room, rname, sizeof(rname));
    if (cfg->pub_http && cfg->target == TGT_NCHAN) {
        int hl = snprintf(head, sizeof(head),
                          "POST %s%s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\n"
                          "Content-Length: %d\r\n\r\n",
                          cfg->pub_path, rname, cfg->pub_host_hdr, tl);
        rc = http_send(p, head, (size_t)hl, text, (size_t)tl);
    } else if (cfg->pub_http) {
        int n = snprintf(msg, sizeof(msg), "{\"t\":\"notice\",\"text\":\"%s\"}", text);
        int hl = snprintf(head, sizeof(head),
                          "POST /api/rooms/%s/events HTTP/1.1\r\nHost: %s\r\n%s"
                          "Content-Length: %d\r\n\r\n",
                          rname, cfg->pub_host_hdr, p->admin_auth, n);
        rc = http_send(p, head, (size_t)hl, msg, (size_t)n);
    } else {
        struct pub_conn *pc = take_conn(p, room, t0);
        if (!pc)
            return 1;
        int n = snprintf(msg, sizeof(msg), "{\"t\":\"%s\",\"text\":\"%s\",\"req\":\"p%lld\"}",
                         cfg->prio_high || cfg->scn != SCN_FANOUT ? "notice" : "comment", text,
                         (long long)seq);
        rc = wsc_send_text(&p->e, &pc->c, msg, (size_t)n);
    }
    if (rc == 1)
        return 1;
    if (rc < 0) {
        p->failed_sends++;
        return -1;
    }
    p->pub[room] = seq;
    p->sent++;
    return 0;
}

int pub_host_cmd(struct publisher *p, int room, const char *json)
{
    if (room >= p->cfg->rooms || !p->conns || !p->conns[room * p->per_room].ready)
        return -1;
    return wsc_send_text(&p->e, &p->conns[room * p->per_room].c, json, strlen(json));
}

void pub_poll(struct publisher *p, int timeout_ms)
{
    if (p->nhp) {
        struct epoll_event evs[64];
        int n = epoll_wait(p->hepfd, evs, 64, timeout_ms);
        for (int i = 0; i < n; i++)
            http_readable(p, evs[i].data.ptr);
        timeout_ms = 0;
    }
    if (p->nconns)
        wsc_engine_poll(&p->e, timeout_ms);
    else if (timeout_ms > 0)
        usleep((useconds_t)timeout_ms * 1000);
}

int pub_wait_idle(struct publisher *p, int timeout_ms)
{
    uint64_t deadline = bench_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    for (;;) {
        int busy = 0;
        for (int i = 0; i < p->nhp; i++)
            busy += p->hp[i].busy;
        if (!busy || bench_now_ns() > deadline)
            return busy;
        pub_poll(p, 1);
    }
}

int64_t pub_last_seq(const struct publisher *p, int room)
{
    int64_t best = -1;
    for (int i = 0; p->conns && room < p->cfg->rooms && i < p->per_room; i++)
        if (p->conns[room * p->per_room + i].last_seq > best)
            best = p->conns[room * p->per_room + i].last_seq;
    return best;
}

void pub_stop(struct publisher *p)
{
    for (int r = 0; r < p->nconns; r++)
        wsc_close(&p->e, &p->conns[r].c, 1000);
    free(p->conns);
    p->conns = NULL;
    free(p->rr);
    p->rr = NULL;
    for (int i = 0; i < p->nhp; i++)
        if (p->hp[i].fd >= 0)
            close(p->hp[i].fd);
    free(p->hp);
    p->hp = NULL;
    p->nhp = 0;
    if (p->hepfd > 0)
        close(p->hepfd);
    p->hepfd = -1;
    wsc_engine_fini(&p->e);
    free(p->pub);
    p->pub = NULL;
}
