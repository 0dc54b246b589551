/* wsconn.h: the bench's epoll WebSocket client engine.
 *
 * DESIGN
 * One engine per process, single-threaded: it owns an epoll set and one read buffer shared by
 * all of its connections. A connection goes IDLE -> CONNECTING (non-blocking connect, bound to
 * a chosen 127.0.0.x source address) -> UPGRADING (HTTP/1.1 upgrade request sent, reading the
 * 101 answer) -> OPEN (frames) -> IDLE again when closed, and may then be reused. Reads go into
 * the shared buffer behind a headroom; the incomplete tail of a read (part of a frame) is kept
 * in a small per-connection carry buffer and copied in front of the next read, so frames are
 * parsed across arbitrary TCP read boundaries while an idle connection holds no buffer at all.
 * Client frames are masked. Writes go straight to the socket; whatever the kernel does not take
 * is queued per connection and flushed on EPOLLOUT.
 *
 * The caller allocates the struct wsc (usually as the first member of its own per-viewer
 * struct) and keeps it at a fixed address while it is not IDLE: epoll holds its pointer. */
#ifndef BENCH_WSCONN_H
#define BENCH_WSCONN_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

enum wsc_state {
    WSC_IDLE = 0,
    WSC_CONNECTING,
    WSC_UPGRADING,
    WSC_OPEN,
};

struct wsc {
    int fd;
    uint8_t state;
    uint8_t out_armed; /* EPOLLOUT is in the epoll mask */
    uint32_t carry_len, carry_cap;
    uint32_t out_off, out_len, out_cap;
    uint8_t *carry; /* owned; incomplete inbound bytes */
    uint8_t *out;   /* owned; queued outbound bytes out[out_off..out_len) */
};

struct wsc_engine;

/* Callbacks. `now` is CLOCK_MONOTONIC ns taken when the bytes were read. on_close is called for
 * every close the caller did not ask for: the server's close frame (code), a refused upgrade
 * (code = -HTTP status), a reset or failed connect (code = -1); `why` is a short reason. When
 * on_close runs the connection is already IDLE and may be reconnected from inside it. */
struct wsc_ops {
    void (*on_open)(struct wsc_engine *e, struct wsc *c, uint64_t now);
    void (*on_text)(struct wsc_engine *e, struct wsc *c, const char *p, size_t len, uint64_t now);
    void (*on_close)(struct wsc_engine *e, struct wsc *c, int code, const char *why, uint64_t now);
};

struct wsc_engine {
    int epfd;
    const struct wsc_ops *ops;
    uint8_t *rbuf; /* HEADROOM bytes for a carried tail, then the recv area */
    uint32_t mask_state;
    uint64_t bytes_in;
    uint64_t frames_in;
    uint64_t proto_errors;
    void *user; /* the caller's, untouched */
};

/* Sets the engine up. Returns 0 or a negative errno. */
int wsc_engine_init(struct wsc_engine *e, const struct wsc_ops *ops, void *user);

/* Releases the epoll fd and buffer (connections must have been closed). Accepts a zeroed e. */
void wsc_engine_fini(struct wsc_engine *e);

/* Starts connecting c (IDLE) to dst from src (src may be NULL) and queues the upgrade request
 * req[0..len), which the engine copies. Returns 0, or a negative errno with c left IDLE. */
int wsc_connect(struct wsc_engine *e, struct wsc *c, const struct sockaddr_in *dst,
                const struct sockaddr_in *src, const char *req, size_t len);

/* Sends one masked text frame. Returns 0, or a negative errno (the connection is then closed
 * and on_close was called). */
int wsc_send_text(struct wsc_engine *e, struct wsc *c, const char *p, size_t len);

/* Closes c at the caller's request: a best-effort close frame with `code` when OPEN, then the
 * socket. on_close is not called. No-op on an IDLE connection. */
void wsc_close(struct wsc_engine *e, struct wsc *c, int code);

/* Waits up to timeout_ms for I/O and handles it. Returns the number of events handled, or a
 * negative errno. */
int wsc_engine_poll(struct wsc_engine *e, int timeout_ms);

#endif
