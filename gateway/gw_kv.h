/* gw_kv.h: a worker thread's Redis connection for room data (lucky bags, the CRM
 * records of closed rooms, funnel snapshots).
 *
 * One per worker thread: a hiredis async connection attached to the thread's libev
 * loop, reconnected with exponential backoff (100 ms doubling to 5 s) when it fails.
 * Every call below except gw_kv_is_up must be made on the owning thread, and every
 * callback runs there, from inside the loop. Orders do not go through here (they have
 * their own group-commit store, sale/sale_store.h).
 *
 * A command's callback gets the reply, or NULL when the command failed: Redis answered
 * an error (logged), the connection was lost before the answer, or the kv is being
 * destroyed. Commands sent on one connection are answered in order. */
#ifndef GW_KV_H
#define GW_KV_H

#include <stdbool.h>
#include <stddef.h>

struct ev_loop;
struct redisReply;
struct gw_kv;

typedef void gw_kv_fn(void *arg, const struct redisReply *reply);

/* Creates the connection and starts connecting. host is copied. Never NULL. */
struct gw_kv *gw_kv_create(struct ev_loop *loop, const char *host, int port);

/* Fails what is in flight (callbacks with NULL, from inside this call) and frees kv.
 * Accepts NULL. */
void gw_kv_destroy(struct gw_kv *kv);

/* True while connected. Any thread (a relaxed read: a hint). */
bool gw_kv_is_up(const struct gw_kv *kv);

/* Sends one command (argv[0..argc) with lengths; lens NULL means NUL-terminated
 * strings). Returns 0 and cb(arg, reply) runs exactly once later (cb may be NULL: the
 * reply is dropped), or -1 when the connection is down (cb is not called). */
int gw_kv_cmd(struct gw_kv *kv, gw_kv_fn *cb, void *arg, int argc, const char **argv,
              const size_t *lens);

#endif
