/* common.c: helpers shared by the coordinator and the viewers: bench message text, room names,
 * upgrade requests, code tables. */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "token.h"

void bench_code_add(struct bench_code *codes, const char *code, size_t len, uint64_t n)
{
    if (len >= sizeof(codes[0].code))
        len = sizeof(codes[0].code) - 1;
    for (int i = 0; i < BENCH_CODES; i++) {
        if (codes[i].n == 0) {
            memcpy(codes[i].code, code, len);
            codes[i].code[len] = '\0';
            codes[i].n = n;
            return;
        }
        if (strlen(codes[i].code) == len && memcmp(codes[i].code, code, len) == 0) {
            codes[i].n += n;
            return;
        }
    }
    codes[BENCH_CODES - 1].n += n; /* table full: the last entry absorbs the rest */
}

int bench_text_make(char *out, size_t cap, int room, int64_t pub, uint64_t t_ns, int size)
{
    int n = snprintf(out, cap, "B%d:%lld:%llu:", room, (long long)pub, (unsigned long long)t_ns);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    while (n < size && (size_t)n + 1 < cap)
        out[n++] = 'x';
    out[n] = '\0';
    return n;
}

static bool parse_u64(const char **pp, const char *end, uint64_t *v)
{
    const char *p = *pp;
    uint64_t x = 0;
    if (p >= end || *p < '0' || *p > '9')
        return false;
    while (p < end && *p >= '0' && *p <= '9')
        x = x * 10 + (uint64_t)(*p++ - '0');
    if (p >= end || *p != ':')
        return false;
    *pp = p + 1;
    *v = x;
    return true;
}

bool bench_text_parse(const char *p, size_t len, int *room, int64_t *pub, uint64_t *t_ns)
{
    const char *end = p + len;
    if (len < 2 || *p != 'B')
        return false;
    p++;
    uint64_t r, s, t;
    if (!parse_u64(&p, end, &r) || !parse_u64(&p, end, &s) || !parse_u64(&p, end, &t))
        return false;
    *room = (int)r;
    *pub = (int64_t)s;
    *t_ns = t;
    return true;
}

void bench_room_name(const struct bench_cfg *cfg, int i, char *out, size_t cap)
{
    if (cfg->rooms <= 1)
        snprintf(out, cap, "%s", cfg->room);
    else
        snprintf(out, cap, "%s-%d", cfg->room, i);
}

int bench_upgrade_request(const struct bench_cfg *cfg, char *out, size_t cap, const char *uid,
                          const char *role, int room, int64_t since)
{
    char rname[80];
    bench_room_name(cfg, room, rname, sizeof(rname));
    char path[1400];
    int pl;
    if (cfg->target == TGT_NCHAN) {
        pl = snprintf(path, sizeof(path), "%s%s", cfg->sub_path, rname);
    } else {
        char tok[512];
        if (bench_token_mint(tok, sizeof(tok), cfg->secret, uid, role, rname, cfg->token_exp) < 0)
            return -1;
        if (since >= 0)
            pl = snprintf(path, sizeof(path), "%s?room=%s&token=%s&since=%lld", cfg->sub_path,
                          rname, tok, (long long)since);
        else
            pl = snprintf(path, sizeof(path), "%s?room=%s&token=%s", cfg->sub_path, rname, tok);
    }
    if (pl < 0 || (size_t)pl >= sizeof(path))
        return -1;
    /* A fixed key: the server's answer is not verified (a bench, not a conformance test). */
    int n = snprintf(out, cap,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     path, cfg->host_hdr);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}
