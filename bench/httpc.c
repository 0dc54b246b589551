/* httpc.c: blocking HTTP/1.1 keep-alive client (see httpc.h). */
#include "httpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

void httpc_init(struct httpc *h, const struct sockaddr_in *dst, const char *host_hdr)
{
    memset(h, 0, sizeof(*h));
    h->fd = -1;
    h->dst = *dst;
    snprintf(h->host, sizeof(h->host), "%s", host_hdr);
    h->cap = 1 << 20;
    h->buf = malloc(h->cap);
    if (!h->buf) {
        fprintf(stderr, "livegw-bench: out of memory\n");
        abort();
    }
}

void httpc_fini(struct httpc *h)
{
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    free(h->buf);
    h->buf = NULL;
}

static int reopen(struct httpc *h)
{
    if (h->fd >= 0)
        close(h->fd);
    h->len = 0;
    h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (h->fd < 0)
        return -errno;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(h->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(h->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(h->fd, (const struct sockaddr *)&h->dst, sizeof(h->dst)) < 0) {
        int err = -errno;
        close(h->fd);
        h->fd = -1;
        return err;
    }
    return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads more bytes into the buffer. Returns bytes read, 0 on EOF, negative errno. */
static ssize_t fill(struct httpc *h)
{
    if (h->len == h->cap)
        return -ENOBUFS;
    for (;;) {
        ssize_t k = recv(h->fd, h->buf + h->len, h->cap - h->len, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        h->len += (size_t)k;
        return k;
    }
}

/* Decodes a chunked body in place from buf[start..len). Returns its length, 0 with *more when
 * incomplete, or -1 when malformed. */
static long dechunk(char *b, size_t start, size_t len, int *more, size_t *consumed)
{
    size_t in = start, out = start;
    *more = 0;
    for (;;) {
        char *eol = memmem(b + in, len - in, "\r\n", 2);
        if (!eol) {
            *more = 1;
            return 0;
        }
        long sz = strtol(b + in, NULL, 16);
        if (sz < 0)
            return -1;
        size_t data = (size_t)(eol - b) + 2;
        if (data + (size_t)sz + 2 > len) {
            *more = 1;
            return 0;
        }
        if (sz == 0) {
            *consumed = data + 2;
            return (long)(out - start);
        }
        memmove(b + out, b + data, (size_t)sz);
        out += (size_t)sz;
        in = data + (size_t)sz + 2;
    }
}

static int request_once(struct httpc *h, const char *req, size_t rlen, const char **body_out,
                        size_t *body_len)
{
    int rc = send_all(h->fd, req, rlen);
    if (rc < 0)
        return rc;
    h->len = 0;
    char *end;
    while (!(end = memmem(h->buf, h->len, "\r\n\r\n", 4))) {
        ssize_t k = fill(h);
        if (k <= 0)
            return k == 0 ? -ECONNRESET : (int)k;
    }
    size_t hlen = (size_t)(end - h->buf) + 4;
    if (h->len < 12 || memcmp(h->buf, "HTTP/1.", 7) != 0)
        return -EPROTO;
    int status = atoi(h->buf + 9);
    long clen = -1;
    int chunked = 0, close_after = 0;
    for (char *line = memmem(h->buf, hlen, "\r\n", 2) + 2; line < h->buf + hlen - 2;) {
        char *eol = memmem(line, (size_t)(h->buf + hlen - line), "\r\n", 2);
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            clen = strtol(line + 15, NULL, 10);
        else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 &&
                 memmem(line, (size_t)(eol - line), "chunked", 7))
            chunked = 1;
        else if (strncasecmp(line, "Connection:", 11) == 0 &&
                 memmem(line, (size_t)(eol - line), "close", 5))
            close_after = 1;
        line = eol + 2;
    }
    size_t blen = 0;
    if (chunked) {
        for (;;) {
            int more;
            size_t used;
            long n = dechunk(h->buf, hlen, h->len, &more, &used);
            if (n < 0)
                return -EPROTO;
            if (!more) {
                blen = (size_t)n;
                break;
            }
            ssize_t k = fill(h);
            if (k <= 0)
                return k == 0 ? -ECONNRESET : (int)k;
        }
    } else if (clen >= 0) {
        while (h->len < hlen + (size_t)clen) {
            ssize_t k = fill(h);
            if (k <= 0)
                return k == 0 ? -ECONNRESET : (int)k;
        }
        blen = (size_t)clen;
    } else if (status != 204 && status != 304 && status >= 200) {
        for (;;) { /* body until EOF */
            ssize_t k = fill(h);
            if (k < 0)
                return (int)k;
            if (k == 0)
                break;
        }
        blen = h->len - hlen;
        close_after = 1;
    }
    if (body_out) {
        *body_out = h->buf + hlen;
        *body_len = blen;
    }
    if (close_after) {
        close(h->fd);
        h->fd = -1;
    }
    return status;
}

int httpc_request(struct httpc *h, const char *method, const char *path, const char *headers,
                  const char *body, size_t blen, const char **body_out, size_t *body_len)
{
    char head[2048];
    int n =
        snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: %s\r\n%sContent-Length: %zu\r\n\r\n",
                 method, path, h->host, headers ? headers : "", blen);
    if (n < 0 || (size_t)n >= sizeof(head))
        return -E2BIG;
    size_t rlen = (size_t)n + blen;
    char *req = rlen <= sizeof(head) ? head : malloc(rlen);
    if (!req)
        return -ENOMEM;
    if (req != head)
        memcpy(req, head, (size_t)n);
    memcpy(req + n, body, blen);
    int rc = -ENOTCONN;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (h->fd < 0 && (rc = reopen(h)) < 0)
            break;
        rc = request_once(h, req, rlen, body_out, body_len);
        if (rc >= 0)
            break;
        /* A kept-alive connection the server closed meanwhile: reopen once. */
        close(h->fd);
        h->fd = -1;
    }
    if (req != head)
        free(req);
    return rc;
}

int bench_url_parse(const char *url, struct sockaddr_in *addr, char *host, size_t hcap, char *path,
                    size_t pcap)
{
    const char *p = strstr(url, "://");
    if (!p)
        return -1;
    p += 3;
    const char *slash = strchr(p, '/');
    size_t hl = slash ? (size_t)(slash - p) : strlen(p);
    char hp[64];
    if (hl == 0 || hl >= sizeof(hp) || hl >= hcap)
        return -1;
    memcpy(hp, p, hl);
    hp[hl] = '\0';
    char *colon = strrchr(hp, ':');
    int port = 80;
    if (colon) {
        *colon = '\0';
        port = atoi(colon + 1);
    }
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    if (strcmp(hp, "localhost") == 0)
        snprintf(hp, sizeof(hp), "127.0.0.1");
    if (port <= 0 || port > 65535 || inet_pton(AF_INET, hp, &addr->sin_addr) != 1)
        return -1;
    if ((ntohl(addr->sin_addr.s_addr) >> 24) != 127)
        return -1; /* load tests only ever target loopback */
    snprintf(host, hcap, "%s:%d", hp, port);
    snprintf(path, pcap, "%s", slash ? slash : "/");
    return 0;
}
