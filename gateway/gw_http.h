/* gw_http.h: the HTTP side: operations (/healthz, /metrics), the room API, and the
 * plain-text refusals of WebSocket handshakes. Runs on the connection's worker. */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <libwebsockets.h>
#include <stddef.h>

struct gw_worker;
struct gw_conn;

/* Writes a complete HTTP/1.1 response (status line, headers, body) in one write.
 * retry_after > 0 adds `Retry-After`. Returns 0, or -1 when the write failed. */
int gw_http_reply(struct lws *wsi, unsigned int status, const char *content_type, const char *body,
                  size_t len, int retry_after);

/* Writes a complete plain-text HTTP/1.1 refusal of a WebSocket upgrade. lws has not
 * parsed the request version when it asks whether to upgrade (its own status helper
 * would say HTTP/1.0, which WebSocket clients reject), so this writes the status line
 * itself. retry_after > 0 adds `Retry-After`. Returns 0 or -1. */
int gw_http_refuse_upgrade(struct lws *wsi, unsigned int status, const char *reason,
                           int retry_after);

/* LWS_CALLBACK_HTTP: routes a request for `uri`. Returns what the callback returns. */
int gw_http_on_request(struct gw_worker *w, struct gw_conn *c, struct lws *wsi, const char *uri);

/* LWS_CALLBACK_HTTP_BODY: accumulates a request body (bounded). */
int gw_http_on_body(struct gw_conn *c, struct lws *wsi, const void *in, size_t len);

/* LWS_CALLBACK_HTTP_BODY_COMPLETION: executes the POST. */
int gw_http_on_body_done(struct gw_worker *w, struct gw_conn *c, struct lws *wsi);

/* LWS_CALLBACK_CLOSED_HTTP and transaction ends: frees what the request held. */
void gw_http_release(struct gw_conn *c);

#endif
