/* wsconn.c: epoll WebSocket client engine (see wsconn.h for the design). */
#include "wsconn.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bclock.h"
#include "wsframe.h"

#define HEADROOM   (256u * 1024u) /* the largest tail carried between reads */
#define RECV_SIZE  (256u * 1024u)
#define MAX_FRAME  (HEADROOM - 16u)
#define MAX_HEADER 16384u
#define EVENTS     512

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "livegw-bench: out of memory\n");
        abort();
    }
    return q;
}

int wsc_engine_init(struct wsc_engine *e, const struct wsc_ops *ops, void *user)
{
    memset(e, 0, sizeof(*e));
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (e->epfd < 0)
        return -errno;
    e->ops = ops;
    e->user = user;
    e->rbuf = xrealloc(NULL, HEADROOM + RECV_SIZE);
    e->mask_state = (uint32_t)bench_now_ns() | 1u;
    return 0;
}

void wsc_engine_fini(struct wsc_engine *e)
{
    if (e->epfd > 0)
        close(e->epfd);
    free(e->rbuf);
    e->rbuf = NULL;
    e->epfd = -1;
}

static uint32_t next_mask(struct wsc_engine *e)
{
    uint32_t x = e->mask_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    e->mask_state = x;
    return x;
}

/* Drops the socket and buffers; the connection is IDLE afterwards. */
static void teardown(struct wsc *c)
{
    if (c->fd >= 0)
        close(c->fd); /* also removes it from the epoll set */
    c->fd = -1;
    c->state = WSC_IDLE;
    c->out_armed = 0;
    free(c->carry);
    free(c->out);
    c->carry = c->out = NULL;
    c->carry_len = c->carry_cap = 0;
    c->out_off = c->out_len = c->out_cap = 0;
}

static void fail(struct wsc_engine *e, struct wsc *c, int code, const char *why, uint64_t now)
{
    teardown(c);
    e->ops->on_close(e, c, code, why, now);
}

static int set_events(struct wsc_engine *e, struct wsc *c, bool want_out)
{
    if (c->out_armed == want_out)
        return 0;
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
        return -errno;
    c->out_armed = want_out;
    return 0;
}

static void queue_out(struct wsc *c, const uint8_t *p, size_t n)
{
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len + n > c->out_cap) {
        if (c->out_off > 0) {
            memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
            c->out_len -= c->out_off;
            c->out_off = 0;
        }
        if (c->out_len + n > c->out_cap) {
            c->out_cap = (uint32_t)(c->out_len + n + 256);
            c->out = xrealloc(c->out, c->out_cap);
        }
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += (uint32_t)n;
}

/* Sends what is queued. Returns 0 (possibly with bytes left and EPOLLOUT armed) or -errno. */
static int flush_out(struct wsc_engine *e, struct wsc *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN)
                return set_events(e, c, true);
            if (errno == EINTR)
                continue;
            return -errno;
        }
        c->out_off += (uint32_t)n;
    }
    c->out_off = c->out_len = 0;
    return set_events(e, c, false);
}

static int send_bytes(struct wsc_engine *e, struct wsc *c, const uint8_t *p, size_t n)
{
    if (c->out_len == c->out_off && c->state == WSC_OPEN) {
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k == (ssize_t)n)
            return 0;
        if (k < 0) {
            if (errno != EAGAIN && errno != EINTR)
                return -errno;
            k = 0;
        }
        p += k;
        n -= (size_t)k;
    }
    queue_out(c, p, n);
    if (c->state == WSC_CONNECTING)
        return 0;
    return flush_out(e, c);
}

static int send_frame(struct wsc_engine *e, struct wsc *c, int op, const void *p, size_t len)
{
    uint8_t stack[512];
    uint8_t *buf =
        len + WS_CLIENT_HDR_MAX <= sizeof(stack) ? stack : xrealloc(NULL, len + WS_CLIENT_HDR_MAX);
    size_t n = ws_frame_encode(buf, len + WS_CLIENT_HDR_MAX, op, p, len, next_mask(e));
    int rc = send_bytes(e, c, buf, n);
    if (buf != stack)
        free(buf);
    return rc;
}

int wsc_connect(struct wsc_engine *e, struct wsc *c, const struct sockaddr_in *dst,
                const struct sockaddr_in *src, const char *req, size_t len)
{
    memset(c, 0, sizeof(*c));
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        c->fd = -1;
        return -errno;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (src) {
        /* Let connect() pick the port, so one source address serves many destinations' worth
         * of 4-tuples instead of reserving a port at bind(). */
        setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        if (bind(c->fd, (const struct sockaddr *)src, sizeof(*src)) < 0)
            goto fail_errno;
    }
    int rc = connect(c->fd, (const struct sockaddr *)dst, sizeof(*dst));
    if (rc < 0 && errno != EINPROGRESS)
        goto fail_errno;
    c->state = rc == 0 ? WSC_UPGRADING : WSC_CONNECTING;
    queue_out(c, (const uint8_t *)req, len);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        goto fail_errno;
    c->out_armed = 1;
    return 0;

fail_errno:;
    int err = -errno;
    teardown(c);
    return err;
}

int wsc_send_text(struct wsc_engine *e, struct wsc *c, const char *p, size_t len)
{
    if (c->state != WSC_OPEN)
        return -ENOTCONN;
    int rc = send_frame(e, c, WS_OP_TEXT, p, len);
    if (rc < 0)
        fail(e, c, -1, "send failed", bench_now_ns());
    return rc;
}

void wsc_close(struct wsc_engine *e, struct wsc *c, int code)
{
    if (c->state == WSC_IDLE)
        return;
    if (c->state == WSC_OPEN) {
        uint8_t b[2] = {(uint8_t)(code >> 8), (uint8_t)code};
        send_frame(e, c, WS_OP_CLOSE, b, 2);
    }
    teardown(c);
}

/* Handles a complete upgrade answer hdr[0..n) (ending in CRLFCRLF). Returns the HTTP status. */
static int upgrade_status(const uint8_t *hdr, size_t n)
{
    if (n < 12 || memcmp(hdr, "HTTP/1.", 7) != 0)
        return -1;
    return atoi((const char *)hdr + 9);
}

/* Consumes frames from p[0..n). Returns the bytes consumed (the rest is an incomplete frame),
 * or -1 when the connection was closed meanwhile. */
static long consume_frames(struct wsc_engine *e, struct wsc *c, const uint8_t *p, size_t n,
                           uint64_t now)
{
    size_t off = 0;
    while (off < n) {
        struct ws_frame f;
        const char *why = NULL;
        long k = ws_frame_parse(p + off, n - off, MAX_FRAME, &f, &why);
        if (k == 0)
            break;
        if (k < 0) {
            e->proto_errors++;
            fail(e, c, -2, why, now);
            return -1;
        }
        off += (size_t)k;
        e->frames_in++;
        switch (f.opcode) {
        case WS_OP_TEXT:
        case WS_OP_BINARY:
            if (!f.fin) {
                /* Neither the gateway nor Nchan fragments its small messages; a fragmented
                 * message is reported rather than silently reassembled. */
                e->proto_errors++;
                fail(e, c, -2, "fragmented message", now);
                return -1;
            }
            e->ops->on_text(e, c, (const char *)f.payload, f.len, now);
            if (c->state != WSC_OPEN)
                return -1;
            break;
        case WS_OP_PING:
            if (send_frame(e, c, WS_OP_PONG, f.payload, f.len) < 0) {
                fail(e, c, -1, "pong send failed", now);
                return -1;
            }
            break;
        case WS_OP_CLOSE: {
            int code = f.len >= 2 ? (f.payload[0] << 8) | f.payload[1] : 1005;
            send_frame(e, c, WS_OP_CLOSE, f.payload, f.len >= 2 ? 2 : 0);
            fail(e, c, code, "closed by server", now);
            return -1;
        }
        case WS_OP_PONG:
            break;
        default:
            e->proto_errors++;
            fail(e, c, -2, "unexpected opcode", now);
            return -1;
        }
    }
    return (long)off;
}

/* Handles buffered bytes p[0..n) according to the state. Returns the bytes consumed, or -1
 * when the connection was closed. */
static long consume(struct wsc_engine *e, struct wsc *c, const uint8_t *p, size_t n, uint64_t now)
{
    size_t off = 0;
    if (c->state == WSC_UPGRADING) {
        const uint8_t *end = memmem(p, n, "\r\n\r\n", 4);
        if (!end) {
            if (n > MAX_HEADER) {
                fail(e, c, -2, "upgrade answer too long", now);
                return -1;
            }
            return 0;
        }
        size_t hlen = (size_t)(end - p) + 4;
        int status = upgrade_status(p, hlen);
        if (status != 101) {
            fail(e, c, status > 0 ? -status : -2, "upgrade refused", now);
            return -1;
        }
        c->state = WSC_OPEN;
        off = hlen;
        e->ops->on_open(e, c, now);
        if (c->state != WSC_OPEN)
            return -1;
    }
    long k = consume_frames(e, c, p + off, n - off, now);
    return k < 0 ? -1 : (long)off + k;
}

static void on_readable(struct wsc_engine *e, struct wsc *c)
{
    uint8_t *area = e->rbuf + HEADROOM;
    for (;;) {
        ssize_t n = recv(c->fd, area, RECV_SIZE, 0);
        uint64_t now = bench_now_ns();
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            fail(e, c, -1, "recv failed", now);
            return;
        }
        if (n == 0) {
            fail(e, c, -1, "connection closed", now);
            return;
        }
        e->bytes_in += (uint64_t)n;
        uint8_t *start = area - c->carry_len;
        if (c->carry_len)
            memcpy(start, c->carry, c->carry_len);
        size_t total = c->carry_len + (size_t)n;
        c->carry_len = 0;
        long used = consume(e, c, start, total, now);
        if (used < 0)
            return;
        size_t rest = total - (size_t)used;
        if (rest) {
            if (rest > HEADROOM) {
                fail(e, c, -2, "carried tail too large", now);
                return;
            }
            if (rest > c->carry_cap) {
                c->carry_cap = (uint32_t)(rest < 256 ? 256 : rest);
                c->carry = xrealloc(c->carry, c->carry_cap);
            }
            memcpy(c->carry, start + used, rest);
            c->carry_len = (uint32_t)rest;
        }
        if ((size_t)n < RECV_SIZE)
            return;
    }
}

static void on_writable(struct wsc_engine *e, struct wsc *c)
{
    if (c->state == WSC_CONNECTING) {
        int err = 0;
        socklen_t sl = sizeof(err);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
        if (err) {
            fail(e, c, -1, strerror(err), bench_now_ns());
            return;
        }
        c->state = WSC_UPGRADING;
    }
    if (flush_out(e, c) < 0)
        fail(e, c, -1, "send failed", bench_now_ns());
}

int wsc_engine_poll(struct wsc_engine *e, int timeout_ms)
{
    struct epoll_event evs[EVENTS];
    int n = epoll_wait(e->epfd, evs, EVENTS, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        struct wsc *c = evs[i].data.ptr;
        uint32_t ev = evs[i].events;
        if (c->state == WSC_IDLE)
            continue;
        if (ev & EPOLLOUT)
            on_writable(e, c);
        if (c->state != WSC_IDLE && c->state != WSC_CONNECTING &&
            (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
            on_readable(e, c);
        else if (c->state == WSC_CONNECTING && (ev & (EPOLLERR | EPOLLHUP)))
            fail(e, c, -1, "connect failed", bench_now_ns());
    }
    return n;
}
