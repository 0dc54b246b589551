/* gw_metrics.c: the Prometheus text exposition of the per-thread counters. */
#include "gw_metrics.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gw_sales.h"
#include "gw_server.h"
#include "gw_util.h"

enum gw_close_slot gw_close_slot_of(int code)
{
    switch (code) {
    case 1001:
        return GW_CLOSE_1001;
    case 1003:
        return GW_CLOSE_1003;
    case 1007:
        return GW_CLOSE_1007;
    case 1008:
        return GW_CLOSE_1008;
    case 1009:
        return GW_CLOSE_1009;
    case 4008:
        return GW_CLOSE_4008;
    case 4009:
        return GW_CLOSE_4009;
    case 4100:
        return GW_CLOSE_4100;
    default:
        return GW_CLOSE_NORMAL;
    }
}

static void line(struct proto_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line(struct proto_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        proto_buf_append(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Sums one counter over the workers (relaxed loads: see gw_metrics.h). */
static uint64_t sum(struct gw_server *srv, size_t off)
{
    uint64_t t = 0;
    for (int i = 0; i < srv->nworkers; i++) {
        const atomic_uint_fast64_t *c =
            (const atomic_uint_fast64_t *)((const char *)&srv->workers[i].m + off);
        t += atomic_load_explicit(c, memory_order_relaxed);
    }
    return t;
}

#define SUM(field) sum(srv, offsetof(struct gw_counters, field))

static void counter(struct proto_buf *b, const char *name, const char *type, const char *help,
                    uint64_t v)
{
    line(b, "# HELP livegw_%s %s\n# TYPE livegw_%s %s\nlivegw_%s %llu\n", name, help, name, type,
         name, (unsigned long long)v);
}

void gw_metrics_render(struct gw_server *srv, struct proto_buf *b)
{
    static const int close_codes[GW_CLOSE_SLOTS] = {1000, 1001, 1003, 1007, 1008,
                                                    1009, 4008, 4009, 4100};
    static const int refuse_codes[GW_REFUSE_SLOTS] = {400, 401, 403, 404, 429, 503};

    counter(b, "connections", "gauge", "Open WebSocket connections.", SUM(connections));
    counter(b, "connections_opened_total", "counter", "WebSocket connections accepted.",
            SUM(conns_opened));
    counter(b, "rooms", "gauge", "Rooms known to this process.", gw_rooms_count(&srv->rooms));
    counter(b, "frames_in_total", "counter", "Client messages received.", SUM(frames_in));
    counter(b, "bytes_in_total", "counter", "Client message bytes received.", SUM(bytes_in));
    counter(b, "messages_out_total", "counter", "Server messages delivered to connections.",
            SUM(msgs_out));
    counter(b, "writes_total", "counter", "Socket writes carrying them (one per flush).",
            SUM(writes));
    counter(b, "bytes_out_total", "counter", "Bytes written to connections.", SUM(bytes_out));
    counter(b, "batches_total", "counter", "Per-thread room batches framed.", SUM(batches));
    line(b, "# HELP livegw_dropped_total Events not delivered, by class.\n"
            "# TYPE livegw_dropped_total counter\n");
    line(b, "livegw_dropped_total{class=\"comment_sampled\"} %llu\n",
         (unsigned long long)SUM(dropped_sampled));
    line(b, "livegw_dropped_total{class=\"lag_bytes\"} %llu\n",
         (unsigned long long)SUM(dropped_lag));
    counter(b, "lag_skips_total", "counter", "Slow viewers skipped forward (low priority lost).",
            SUM(lag_skips));
    counter(b, "rate_limited_total", "counter", "Client messages refused by rate limits.",
            SUM(rate_limited));
    counter(b, "bad_requests_total", "counter", "Client messages refused as bad_request.",
            SUM(bad_requests));
    counter(b, "token_failures_total", "counter", "Tokens refused (handshake and API).",
            SUM(token_failures));
    counter(b, "replayed_total", "counter", "Events replayed to resuming viewers.", SUM(replayed));
    counter(b, "replay_gaps_total", "counter", "Resumes older than the replay window.",
            SUM(replay_gaps));
    counter(b, "queue_bytes", "gauge", "Bytes waiting in per-connection targeted queues.",
            SUM(queue_bytes));
    line(b, "# HELP livegw_closes_total Connections closed, by close code.\n"
            "# TYPE livegw_closes_total counter\n");
    for (int i = 0; i < GW_CLOSE_SLOTS; i++)
        line(b, "livegw_closes_total{code=\"%d\"} %llu\n", close_codes[i],
             (unsigned long long)SUM(closes[i]));
    line(b, "# HELP livegw_handshakes_refused_total WebSocket handshakes refused, by status.\n"
            "# TYPE livegw_handshakes_refused_total counter\n");
    for (int i = 0; i < GW_REFUSE_SLOTS; i++)
        line(b, "livegw_handshakes_refused_total{status=\"%d\"} %llu\n", refuse_codes[i],
             (unsigned long long)SUM(refused[i]));
    line(b,
         "# HELP livegw_order_replies_total Order replies, reservations (ok) or refusals.\n"
         "# TYPE livegw_order_replies_total counter\n"
         "livegw_order_replies_total{ok=\"true\"} %llu\n"
         "livegw_order_replies_total{ok=\"false\"} %llu\n",
         (unsigned long long)SUM(orders_ok), (unsigned long long)SUM(orders_refused));
    gw_sales_metrics(srv, b);
    line(b,
         "# HELP livegw_comments_filtered_total Comments with listed words, masked or refused.\n"
         "# TYPE livegw_comments_filtered_total counter\n"
         "livegw_comments_filtered_total{action=\"masked\"} %llu\n"
         "livegw_comments_filtered_total{action=\"refused\"} %llu\n",
         (unsigned long long)SUM(comments_masked), (unsigned long long)SUM(comments_blocked));
    line(b,
         "# TYPE livegw_bags_total counter\n"
         "livegw_bags_total{event=\"started\"} %llu\nlivegw_bags_total{event=\"joined\"} %llu\n"
         "livegw_bags_total{event=\"drawn\"} %llu\n"
         "livegw_bags_total{event=\"draw_write_retried\"} %llu\n",
         (unsigned long long)atomic_load_explicit(&srv->bags.started, memory_order_relaxed),
         (unsigned long long)atomic_load_explicit(&srv->bags.joins, memory_order_relaxed),
         (unsigned long long)atomic_load_explicit(&srv->bags.draws, memory_order_relaxed),
         (unsigned long long)atomic_load_explicit(&srv->bags.draw_retries, memory_order_relaxed));
    gw_live_metrics(srv, b);
    counter(b, "draining", "gauge", "1 while the server drains after SIGTERM.",
            atomic_load_explicit(&srv->draining, memory_order_relaxed) ? 1 : 0);
    counter(b, "uptime_seconds", "gauge", "Seconds since start.",
            (uint64_t)((gw_now_ms() - srv->started_ms) / 1000));
}
