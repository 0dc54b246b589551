/* publish.c: the coordinator's publisher (see publish.h). */
#include "publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int pub_start(struct publisher *p, const struct bench_cfg *cfg, double timeout_s)
{
    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    hist_init(&p->rtt);
    p->pub = calloc((size_t)cfg->rooms, sizeof(*p->pub));
    if (!p->pub || wsc_engine_init(&p->e, &pub_ops, p) < 0)
        return -1;
    if (cfg->pub_http) {
        httpc_init(&p->http, &cfg->pub_dst, cfg->pub_host_hdr);
        if (cfg->target == TGT_GATEWAY) {
            char tok[512];
            if (bench_token_mint(tok, sizeof(tok), cfg->secret, "bench-admin", "admin", "*",
                                 cfg->token_exp) < 0)
                return -1;
            snprintf(p->admin_auth, sizeof(p->admin_auth), "Authorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\n", tok);
        }
    }
    /* The gateway always gets one WebSocket connection per room: it publishes (or, with
     * --pub http, only watches the room's seq and acks), and carries host commands. */
    if (cfg->target != TGT_GATEWAY)
        return 0;
    p->nconns = cfg->rooms;
    p->conns = calloc((size_t)p->nconns, sizeof(*p->conns));
    if (!p->conns)
        return -1;
    const char *role = cfg->prio_high || cfg->scn != SCN_FANOUT ? "host" : "viewer";
    for (int r = 0; r < p->nconns; r++) {
        struct pub_conn *pc = &p->conns[r];
        pc->room = r;
        pc->last_seq = -1;
        char uid[32], req[1400];
        snprintf(uid, sizeof(uid), "pub%d", r);
        int n = bench_upgrade_request(cfg, req, sizeof(req), uid, role, r, -1);
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
            fprintf(stderr, "livegw-bench: publisher not ready (%d/%d rooms) %s\n", ready,
                    p->nconns, p->last_close);
            return -1;
        }
        wsc_engine_poll(&p->e, 10);
    }
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
    if (cfg->pub_http && cfg->target == TGT_NCHAN) {
        char rname[80], path[700];
        bench_room_name(cfg, room, rname, sizeof(rname));
        snprintf(path, sizeof(path), "%s%s", cfg->pub_path, rname);
        rc = httpc_request(&p->http, "POST", path, "Content-Type: text/plain\r\n", text,
                           (size_t)tl, NULL, NULL);
        rc = rc >= 200 && rc < 300 ? 0 : -1;
    } else if (cfg->pub_http) {
        char rname[80], path[256];
        bench_room_name(cfg, room, rname, sizeof(rname));
        snprintf(path, sizeof(path), "/api/rooms/%s/events", rname);
        int n = snprintf(msg, sizeof(msg), "{\"t\":\"notice\",\"text\":\"%s\"}", text);
        rc = httpc_request(&p->http, "POST", path, p->admin_auth, msg, (size_t)n, NULL, NULL);
        if (rc != 202 && rc >= 0) {
            char code[16];
            snprintf(code, sizeof(code), "http_%d", rc);
            bench_code_add(p->codes, code, strlen(code), 1);
        }
        rc = rc == 202 ? 0 : -1;
    } else {
        struct pub_conn *pc = &p->conns[room];
        int n = snprintf(msg, sizeof(msg), "{\"t\":\"%s\",\"text\":\"%s\",\"req\":\"p%lld\"}",
                         cfg->prio_high || cfg->scn != SCN_FANOUT ? "notice" : "comment", text,
                         (long long)seq);
        rc = pc->ready ? wsc_send_text(&p->e, &pc->c, msg, (size_t)n) : -1;
    }
    if (cfg->pub_http)
        hist_add(&p->rtt, bench_now_ns() - t0);
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
    if (room >= p->nconns || !p->conns[room].ready)
        return -1;
    return wsc_send_text(&p->e, &p->conns[room].c, json, strlen(json));
}

void pub_poll(struct publisher *p, int timeout_ms)
{
    if (p->nconns)
        wsc_engine_poll(&p->e, timeout_ms);
    else if (timeout_ms > 0)
        usleep((useconds_t)timeout_ms * 1000);
}

int64_t pub_last_seq(const struct publisher *p, int room)
{
    return room < p->nconns ? p->conns[room].last_seq : -1;
}

void pub_stop(struct publisher *p)
{
    for (int r = 0; r < p->nconns; r++)
        wsc_close(&p->e, &p->conns[r].c, 1000);
    free(p->conns);
    p->conns = NULL;
    if (p->http.buf)
        httpc_fini(&p->http);
    wsc_engine_fini(&p->e);
    free(p->pub);
    p->pub = NULL;
}
