/* httpc.h: a small blocking HTTP/1.1 keep-alive client for the publisher and for scraping.
 *
 * One request at a time on one kept-alive connection, reopened when the server closes it.
 * Blocking with a 5 s timeout: it runs on the coordinator, never in a viewer's loop. */
#ifndef BENCH_HTTPC_H
#define BENCH_HTTPC_H

#include <netinet/in.h>
#include <stddef.h>

struct httpc {
    int fd;
    struct sockaddr_in dst;
    char host[64];
    char *buf; /* owned: receive buffer */
    size_t cap, len;
};

void httpc_init(struct httpc *h, const struct sockaddr_in *dst, const char *host_hdr);
void httpc_fini(struct httpc *h);

/* Sends one request and reads the answer. `headers` holds extra header lines, each ending in
 * CRLF (may be NULL). On success returns the HTTP status and, when body_out is not NULL, points
 * *body_out at the body (borrowed: valid until the next call) with its length in *body_len.
 * Returns a negative errno on transport failure. */
int httpc_request(struct httpc *h, const char *method, const char *path, const char *headers,
                  const char *body, size_t blen, const char **body_out, size_t *body_len);

/* Parses "http://127.0.0.1:PORT/path..." or "ws://...": fills addr, "host:port" and the path
 * (with its query). Returns 0, or -1 when malformed or not IPv4 loopback (127.0.0.0/8). */
int bench_url_parse(const char *url, struct sockaddr_in *addr, char *host, size_t hcap, char *path,
                    size_t pcap);

#endif
