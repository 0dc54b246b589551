/* gw_server.c: worker threads, each an lws context on its own libev (epoll) loop.
 *
 * Threads: the main thread only starts, signals and joins workers; everything else
 * runs on a worker. See gw_server.h for what crosses threads. */
#include "gw_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gw_conn.h"
#include "gw_fanout.h"
#include "gw_kv.h"
#include "gw_listen.h"
#include "gw_log.h"
#include "gw_util.h"
#include "gw_words.h"

#define ACCEPT_BATCH    64
#define ACCEPT_PAUSE_US (100 * LWS_US_PER_MS)
#define DRAIN_POLL_US   (50 * LWS_US_PER_MS)
#define SLICE_PAUSE_US  1 /* later than the timer pass now running: I/O comes first */

/* ---- the dirty stack (any thread pushes, the owner drains) ------------------------- */

void gw_worker_mark_dirty(struct gw_server *srv, struct gw_shard *s)
{
    struct gw_worker *w = &srv->workers[s->widx];
    struct gw_shard *head;

    /* acq_rel: the acquire pairs with the owner's clear below, so a shard is pushed at
     * most once between two drains; the release orders our inbox append (already
     * published by the room lock) before the flag. */
    if (atomic_exchange_explicit(&s->dirty, true, memory_order_acq_rel))
        return;
    /* relaxed: the CAS below re-reads and validates the head. */
    head = atomic_load_explicit(&w->dirty, memory_order_relaxed);
    do {
        s->dirty_next = head;
        /* release: publishes s->dirty_next to the owner's acquire exchange. */
    } while (!atomic_compare_exchange_weak_explicit(&w->dirty, &head, s, memory_order_release,
                                                    memory_order_relaxed));
}

/* Flushes every dirty shard. Returns true when a delivery is left unfinished (a big
 * room goes out in slices). */
static bool drain_dirty(struct gw_worker *w)
{
    /* acquire: pairs with the pushers' release CAS, making each dirty_next visible. */
    struct gw_shard *s = atomic_exchange_explicit(&w->dirty, NULL, memory_order_acquire);
    bool more = false;

    while (s) {
        struct gw_shard *next = s->dirty_next;
        /* seq_cst: the clear must be visible before we take the inbox (under the room
         * lock) so that a publisher appending after our take pushes the shard again. */
        atomic_store_explicit(&s->dirty, false, memory_order_seq_cst);
        if (gw_fanout_flush(w, s))
            more = true;
        s = next;
    }
    return more;
}

struct proto_buf *gw_worker_enc(struct gw_worker *w)
{
    proto_buf_reset(&w->enc);
    return &w->enc;
}

/* ---- tick ------------------------------------------------------------------------- */

static void on_tick(lws_sorted_usec_list_t *sul)
{
    struct gw_worker *w = lws_container_of(sul, struct gw_worker, tick_sul);
    bool more = drain_dirty(w);

    gw_sales_worker_tick(w);
    gw_live_worker_tick(w);
    /* An unfinished delivery goes on at the next loop pass, once the I/O that is ready
     * (orders in, replies out) has been served. */
    lws_sul_schedule(w->ctx, 0, &w->tick_sul, on_tick,
                     more ? SLICE_PAUSE_US : (lws_usec_t)w->srv->cfg.tick_ms * LWS_US_PER_MS);
}

/* ---- accepting ---------------------------------------------------------------------- */

static void on_accept_resume(lws_sorted_usec_list_t *sul)
{
    struct gw_worker *w = lws_container_of(sul, struct gw_worker, accept_sul);

    if (w->accept_paused && w->listen_wsi && !w->draining) {
        w->accept_paused = false;
        lws_rx_flow_control(w->listen_wsi, 1);
    }
}

static void accept_ready(struct gw_worker *w)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int one = 1;
        int fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Out of descriptors: stop accepting for a moment (backpressure)
                 * instead of spinning on a listener that stays readable. */
                gw_warn("accept4: %s: pausing accepts on thread %d", strerror(errno), w->idx);
                w->accept_paused = true;
                lws_rx_flow_control(w->listen_wsi, 0);
                lws_sul_schedule(w->ctx, 0, &w->accept_sul, on_accept_resume, ACCEPT_PAUSE_US);
            } else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
                gw_warn("accept4: %s", strerror(errno));
            }
            return;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (!lws_adopt_socket_vhost(w->vh, fd))
            gw_warn("lws_adopt_socket_vhost failed on thread %d", w->idx);
    }
}

static int accept_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
    struct gw_worker *w = lws_context_user(lws_get_context(wsi));

    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        accept_ready(w);
        return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        w->listen_wsi = NULL;
        w->listen_fd = -1;
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return -1; /* never a WebSocket subprotocol */
    default:
        return 0;
    }
}

/* ---- draining ----------------------------------------------------------------------- */

static void on_drain_poll(lws_sorted_usec_list_t *sul)
{
    struct gw_worker *w = lws_container_of(sul, struct gw_worker, drain_sul);

    if (w->conns.count == 0 || gw_mono_ms() >= w->drain_deadline_ms) {
        if (w->conns.count)
            gw_warn("drain: thread %d stops with %u connections still open", w->idx,
                    (unsigned int)w->conns.count);
        ev_break(w->loop, EVBREAK_ALL);
        return;
    }
    lws_sul_schedule(w->ctx, 0, &w->drain_sul, on_drain_poll, DRAIN_POLL_US);
}

static void start_drain(struct gw_worker *w)
{
    w->draining = true;
    w->drain_deadline_ms = gw_mono_ms() + (int64_t)w->srv->cfg.drain_secs * 1000;
    if (w->listen_wsi)
        lws_set_timeout(w->listen_wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    /* Deliver what is pending first, then 1001 (reconnect elsewhere). */
    drain_dirty(w);
    lws_start_foreach_dll_safe(struct lws_dll2 *, d, d1, lws_dll2_get_head(&w->conns))
    {
        gw_conn_close(lws_container_of(d, struct gw_conn, worker_node), 1001, "server going away");
    }
    lws_end_foreach_dll_safe(d, d1);
    lws_sul_schedule(w->ctx, 0, &w->drain_sul, on_drain_poll, DRAIN_POLL_US);
}

void gw_worker_on_wake(struct gw_worker *w)
{
    /* acquire: pairs with the release store in gw_server_stop. */
    if (!w->draining && atomic_load_explicit(&w->srv->draining, memory_order_acquire))
        start_drain(w);
}

/* ---- the worker thread ------------------------------------------------------------- */

static int worker_setup(struct gw_worker *w)
{
    const struct gw_config *cfg = &w->srv->cfg;
    struct lws_context_creation_info info;
    lws_sock_file_fd_type u;
    void *loops[1];

    /* lws pings a connection idle this long and hangs up one silent for longer. */
    w->retry.secs_since_valid_ping = (uint16_t)cfg->ping_secs;
    w->retry.secs_since_valid_hangup = (uint16_t)cfg->ping_timeout_secs;

    w->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
    if (!w->loop) {
        gw_err("worker %d: ev_loop_new(epoll) failed", w->idx);
        return -1;
    }
    loops[0] = w->loop;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_LIBEV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    if (cfg->tls_cert[0])
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.foreign_loops = loops;
    info.user = w;
    info.count_threads = 1;
    info.timeout_secs = 10;
    info.pt_serv_buf_size = 8192;

    w->ctx = lws_create_context(&info);
    if (!w->ctx) {
        gw_err("worker %d: lws_create_context failed", w->idx);
        return -1;
    }
    memset(&info, 0, sizeof(info));
    info.vhost_name = "default";
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    info.retry_and_idle_policy = &w->retry;
    info.timeout_secs = 10;
    info.keepalive_timeout = 30;
    info.alpn = "http/1.1";
    if (cfg->tls_cert[0]) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
    }
    /* rx_buffer_size bounds the memory of an idle connection; tx_packet_size lets one
     * write carry a whole batch instead of lws cutting it at its service buffer size
     * and copying the rest. */
    w->protocols[0] = (struct lws_protocols){
        "livegw", gw_conn_callback,       sizeof(struct gw_conn), (size_t)cfg->rx_buffer, 0,
        NULL,     (size_t)4 * 1024 * 1024};
    w->protocols[1] = (struct lws_protocols){"livegw-accept", accept_callback, 0, 0, 0, NULL, 0};
    info.protocols = w->protocols;
    w->vh = lws_create_vhost(w->ctx, &info);
    if (!w->vh) {
        gw_err("worker %d: lws_create_vhost failed (TLS files readable?)", w->idx);
        return -1;
    }
    w->listen_fd = gw_listen_open(cfg->listen_host, cfg->listen_port);
    if (w->listen_fd < 0)
        return -1;
    u.filefd = (lws_filefd_type)w->listen_fd;
    w->listen_wsi =
        lws_adopt_descriptor_vhost(w->vh, LWS_ADOPT_RAW_FILE_DESC, u, "livegw-accept", NULL);
    if (!w->listen_wsi) {
        gw_err("worker %d: cannot adopt the listening socket", w->idx);
        return -1;
    }
    lws_sul_schedule(w->ctx, 0, &w->tick_sul, on_tick, (lws_usec_t)cfg->tick_ms * LWS_US_PER_MS);
    w->kv = gw_kv_create(w->loop, cfg->redis_host, cfg->redis_port);
    return 0;
}

static void *worker_main(void *arg)
{
    struct gw_worker *w = arg;
    struct gw_server *srv = w->srv;
    int ok = worker_setup(w) == 0;

    if (!ok)
        atomic_store_explicit(&srv->failed, 1, memory_order_relaxed);
    w->started = ok;
    /* Nobody wakes another thread's context before every context exists; the barrier
     * also publishes `started` and `failed` to every thread. */
    pthread_barrier_wait(&srv->ready);
    if (ok && !atomic_load_explicit(&srv->failed, memory_order_relaxed))
        ev_run(w->loop, 0);
    /* Every worker has stopped serving (so nobody reads another's order store for
     * /healthz or /metrics) before any store goes. */
    pthread_barrier_wait(&srv->stopped);
    gw_sales_worker_stop(w);
    gw_kv_destroy(w->kv);
    w->kv = NULL;
    lws_sul_cancel(&w->tick_sul);
    lws_sul_cancel(&w->drain_sul);
    lws_sul_cancel(&w->accept_sul);
    if (w->ctx)
        lws_context_destroy(w->ctx);
    w->ctx = NULL;
    if (w->listen_fd >= 0 && !w->listen_wsi)
        close(w->listen_fd);
    if (w->loop)
        ev_loop_destroy(w->loop);
    w->loop = NULL;
    return NULL;
}

static int max_conns_from_limit(const struct gw_config *cfg, int nworkers)
{
    struct rlimit rl;
    long fds = 1024;

    if (cfg->max_conns)
        return cfg->max_conns;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        fds = (long)rl.rlim_cur;
    /* Keep room for listeners, epoll, event pipes, Redis and the files of each thread. */
    fds -= 64 + 8L * nworkers;
    return fds > 16 ? (int)fds : 16;
}

int gw_server_start(struct gw_server *srv)
{
    const struct gw_config *cfg = &srv->cfg;

    srv->nworkers = cfg->threads;
    srv->started_ms = gw_now_ms();
    srv->max_conns = max_conns_from_limit(cfg, srv->nworkers);
    atomic_init(&srv->draining, false);
    atomic_init(&srv->ws_conns, 0);
    atomic_init(&srv->failed, 0);
    atomic_init(&srv->sales.book, NULL);
    atomic_init(&srv->sales.all, NULL);
    atomic_init(&srv->sales.stopping, false);
    atomic_init(&srv->sales.load_retries, 0);
    atomic_init(&srv->bags.loaded, false);
    atomic_init(&srv->bags.stopping, false);
    pthread_mutex_init(&srv->bags.won_lock, NULL);
    gw_strmap_init(&srv->bags.won);
    pthread_mutex_init(&srv->ip_lock, NULL);
    gw_strmap_init(&srv->per_ip);
    if (gw_words_init(srv) < 0)
        return -1;
    gw_rooms_init(&srv->rooms, srv, srv->nworkers, (uint32_t)cfg->replay_events, cfg->comment_rate);
    for (int i = 0; i < cfg->n_rooms; i++)
        gw_rooms_get(&srv->rooms, cfg->rooms[i], true);

    srv->workers = gw_xcalloc((size_t)srv->nworkers, sizeof(*srv->workers));
    pthread_barrier_init(&srv->ready, NULL, (unsigned int)srv->nworkers + 1);
    pthread_barrier_init(&srv->stopped, NULL, (unsigned int)srv->nworkers);
    for (int i = 0; i < srv->nworkers; i++) {
        struct gw_worker *w = &srv->workers[i];
        w->idx = i;
        w->srv = srv;
        w->listen_fd = -1;
        atomic_init(&w->dirty, NULL);
        atomic_init(&w->store_shared, NULL);
        atomic_init(&w->sales_handoff, NULL);
        proto_buf_init(&w->enc, 0);
        proto_buf_init(&w->enc2, 0);
        w->scratch_cap = 64 * 1024;
        w->scratch = gw_xmalloc(LWS_PRE + w->scratch_cap);
        w->rng = (unsigned int)(gw_now_ms() ^ (i * 2654435761u));
        gw_bucket_init(&w->handshakes, cfg->handshake_rate, cfg->handshake_rate, gw_mono_ms());
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            gw_err("pthread_create failed for worker %d", i);
            abort();
        }
    }
    pthread_barrier_wait(&srv->ready);
    if (atomic_load_explicit(&srv->failed, memory_order_relaxed)) {
        for (int i = 0; i < srv->nworkers; i++)
            pthread_join(srv->workers[i].thread, NULL);
        return -1;
    }
    gw_sales_start(srv);
    gw_bags_start(srv);
    gw_info("livegw listening on %s:%d (%s) with %d worker threads, max %d connections",
            cfg->listen_host, cfg->listen_port, cfg->tls_cert[0] ? "wss/https" : "ws/http",
            srv->nworkers, srv->max_conns);
    return 0;
}

void gw_server_stop(struct gw_server *srv)
{
    gw_sales_stop(srv);
    gw_bags_stop(srv);
    /* release: pairs with the acquire load in gw_worker_on_wake. */
    atomic_store_explicit(&srv->draining, true, memory_order_release);
    for (int i = 0; i < srv->nworkers; i++)
        if (srv->workers[i].started)
            lws_cancel_service(srv->workers[i].ctx);
    for (int i = 0; i < srv->nworkers; i++)
        pthread_join(srv->workers[i].thread, NULL);
}

void gw_server_fini(struct gw_server *srv)
{
    for (int i = 0; i < srv->nworkers; i++) {
        struct gw_worker *w = &srv->workers[i];
        proto_buf_fini(&w->enc);
        proto_buf_fini(&w->enc2);
        free(w->scratch);
    }
    gw_sales_fini(srv);
    gw_live_fini(srv);
    free(srv->workers);
    srv->workers = NULL;
    gw_rooms_fini(&srv->rooms);
    gw_bags_fini(srv);
    gw_words_fini(srv);
    gw_strmap_fini(&srv->per_ip);
    pthread_mutex_destroy(&srv->ip_lock);
    pthread_barrier_destroy(&srv->ready);
    pthread_barrier_destroy(&srv->stopped);
}
