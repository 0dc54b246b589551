/* gw_kv.c: a worker thread's Redis connection for room data (see gw_kv.h). */
#include "gw_kv.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <hiredis/adapters/libev.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "gw_log.h"
#include "gw_util.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct gw_kv {
    struct ev_loop *loop;
    char *host;
    int port;
    redisAsyncContext *ac; /* NULL while disconnected */
    atomic_bool up;
    bool destroying;
    int backoff_ms;
    ev_timer retry_w;
};

/* A command in flight. */
struct call {
    gw_kv_fn *cb;
    void *arg;
};

static void set_up(struct gw_kv *kv, bool up)
{
    /* relaxed: a stand-alone hint for other threads (healthz); the owner checks ac. */
    atomic_store_explicit(&kv->up, up, memory_order_relaxed);
}

bool gw_kv_is_up(const struct gw_kv *kv)
{
    return kv && atomic_load_explicit(&kv->up, memory_order_relaxed); /* see set_up */
}

static void connect_start(struct gw_kv *kv);

static void retry_later(struct gw_kv *kv)
{
    if (kv->destroying)
        return;
    ev_timer_set(&kv->retry_w, kv->backoff_ms / 1000.0, 0.);
    ev_timer_start(kv->loop, &kv->retry_w);
    kv->backoff_ms = kv->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : kv->backoff_ms * 2;
}

static void on_retry(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    connect_start(t->data);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct gw_kv *kv = ac->data;

    if (status != REDIS_OK) {
        kv->ac = NULL; /* hiredis frees the context after this callback */
        retry_later(kv);
        return;
    }
    kv->backoff_ms = BACKOFF_MIN_MS;
    set_up(kv, true);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct gw_kv *kv = ac->data;

    (void)status;
    kv->ac = NULL;
    set_up(kv, false);
    if (!kv->destroying)
        gw_warn("kv: Redis connection lost: %s", ac->errstr[0] ? ac->errstr : "closed");
    retry_later(kv);
}

static void connect_start(struct gw_kv *kv)
{
    redisAsyncContext *ac = redisAsyncConnect(kv->host, kv->port);

    if (!ac)
        abort();
    if (ac->err) {
        redisAsyncFree(ac);
        retry_later(kv);
        return;
    }
    ac->data = kv;
    redisLibevAttach(kv->loop, ac);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    kv->ac = ac;
}

struct gw_kv *gw_kv_create(struct ev_loop *loop, const char *host, int port)
{
    struct gw_kv *kv = gw_xcalloc(1, sizeof(*kv));

    kv->loop = loop;
    kv->host = gw_xstrdup(host);
    kv->port = port;
    kv->backoff_ms = BACKOFF_MIN_MS;
    atomic_init(&kv->up, false);
    ev_init(&kv->retry_w, on_retry);
    kv->retry_w.data = kv;
    connect_start(kv);
    return kv;
}

void gw_kv_destroy(struct gw_kv *kv)
{
    if (!kv)
        return;
    kv->destroying = true;
    ev_timer_stop(kv->loop, &kv->retry_w);
    set_up(kv, false);
    if (kv->ac)
        redisAsyncFree(kv->ac); /* in-flight callbacks run with a NULL reply */
    free(kv->host);
    free(kv);
}

static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    struct call *c = priv;
    redisReply *reply = r;

    (void)ac;
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        gw_warn("kv: Redis error: %.*s", (int)reply->len, reply->str);
        reply = NULL;
    }
    if (c->cb)
        c->cb(c->arg, reply);
    free(c);
}

int gw_kv_cmd(struct gw_kv *kv, gw_kv_fn *cb, void *arg, int argc, const char **argv,
              const size_t *lens)
{
    struct call *c;

    if (!kv || !kv->ac || !gw_kv_is_up(kv))
        return -1;
    c = gw_xmalloc(sizeof(*c));
    c->cb = cb;
    c->arg = arg;
    if (redisAsyncCommandArgv(kv->ac, on_reply, c, argc, argv, lens) != REDIS_OK) {
        free(c);
        return -1;
    }
    return 0;
}
