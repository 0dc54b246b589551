/* proto_draw.c: the lucky-bag draw of DRAW.md: commitment, HMAC stream, Fisher-Yates. */
#include "proto_draw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "proto_limits.h"

#define DOMAIN     "livegw-draw"
#define DOMAIN_LEN (sizeof(DOMAIN) - 1)

int proto_draw_seed_new(uint8_t seed[PROTO_DRAW_SEED_BYTES])
{
    return RAND_bytes(seed, PROTO_DRAW_SEED_BYTES) == 1 ? 0 : -EIO;
}

void proto_draw_hex(const uint8_t bytes[PROTO_DRAW_SEED_BYTES], char out[PROTO_DRAW_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < PROTO_DRAW_SEED_BYTES; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0xF];
    }
    out[PROTO_DRAW_HEX_LEN] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool proto_draw_hex_parse(const char *s, size_t len, uint8_t out[PROTO_DRAW_SEED_BYTES])
{
    if (len != PROTO_DRAW_HEX_LEN)
        return false;
    for (size_t i = 0; i < PROTO_DRAW_SEED_BYTES; i++) {
        int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void proto_draw_commit(const uint8_t seed[PROTO_DRAW_SEED_BYTES], char out[PROTO_DRAW_HEX_LEN + 1])
{
    uint8_t digest[SHA256_DIGEST_LENGTH];

    SHA256(seed, PROTO_DRAW_SEED_BYTES, digest);
    proto_draw_hex(digest, out);
}

bool proto_draw_commit_matches(const uint8_t seed[PROTO_DRAW_SEED_BYTES], const char *commit,
                               size_t len)
{
    uint8_t digest[SHA256_DIGEST_LENGTH], want[PROTO_DRAW_SEED_BYTES];

    if (!proto_draw_hex_parse(commit, len, want))
        return false;
    SHA256(seed, PROTO_DRAW_SEED_BYTES, digest);
    return CRYPTO_memcmp(digest, want, sizeof(want)) == 0;
}

static int uid_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t proto_draw_prepare(const char **uids, size_t n)
{
    size_t k = 0;

    if (n == 0)
        return 0;
    qsort(uids, n, sizeof(*uids), uid_cmp);
    for (size_t i = 0; i < n; i++)
        if (k == 0 || strcmp(uids[k - 1], uids[i]) != 0)
            uids[k++] = uids[i];
    return k;
}

bool proto_draw_accept(uint64_t u, uint64_t r, uint64_t *value)
{
    /* 2^64 mod r, in 64-bit arithmetic: (2^64 - r) mod r. The accepted values
     * [t, 2^64) are a whole number of runs of r, so u mod r is exactly uniform. */
    uint64_t t = (0 - r) % r;

    if (u < t)
        return false;
    *value = u % r;
    return true;
}

/* The uint64 stream of DRAW.md: HMAC-SHA256(seed, DOMAIN || bag || counter as 8 bytes
 * big-endian) for counter 0, 1, ..., each block read as four big-endian uint64s. */
struct stream {
    const uint8_t *seed;
    uint8_t msg[DOMAIN_LEN + PROTO_ID_MAX + 8];
    size_t msg_len; /* counter bytes included */
    uint64_t counter;
    uint8_t block[SHA256_DIGEST_LENGTH];
    size_t used; /* bytes of block consumed */
};

static void stream_init(struct stream *s, const uint8_t *seed, const char *bag, size_t bag_len)
{
    s->seed = seed;
    memcpy(s->msg, DOMAIN, DOMAIN_LEN);
    memcpy(s->msg + DOMAIN_LEN, bag, bag_len);
    s->msg_len = DOMAIN_LEN + bag_len + 8;
    s->counter = 0;
    s->used = sizeof(s->block);
}

static uint64_t stream_next(struct stream *s)
{
    uint64_t u = 0;

    if (s->used == sizeof(s->block)) {
        uint8_t *ctr = s->msg + s->msg_len - 8;
        unsigned int out_len = 0;

        for (int i = 0; i < 8; i++)
            ctr[i] = (uint8_t)(s->counter >> (56 - 8 * i));
        /* HMAC-SHA256 fails only when libcrypto itself is broken; a draw must then not
         * produce winners from a stale block, so stop loudly. */
        if (HMAC(EVP_sha256(), s->seed, PROTO_DRAW_SEED_BYTES, s->msg, s->msg_len, s->block,
                 &out_len) == NULL ||
            out_len != sizeof(s->block))
            abort();
        s->counter++;
        s->used = 0;
    }
    for (int i = 0; i < 8; i++)
        u = u << 8 | s->block[s->used + (size_t)i];
    s->used += 8;
    return u;
}

static uint64_t stream_below(struct stream *s, uint64_t r)
{
    uint64_t v;

    while (!proto_draw_accept(stream_next(s), r, &v))
        ;
    return v;
}

int proto_draw_winners(const uint8_t seed[PROTO_DRAW_SEED_BYTES], const char *bag,
                       const char *const *uids, size_t n, size_t n_winners, size_t *out,
                       size_t *n_out)
{
    size_t bag_len = strlen(bag), k = n_winners < n ? n_winners : n;
    struct stream s;
    size_t *perm;

    *n_out = 0;
    if (bag_len == 0 || bag_len > PROTO_ID_MAX)
        return -EINVAL;
    for (size_t i = 1; i < n; i++)
        if (strcmp(uids[i - 1], uids[i]) >= 0)
            return -EINVAL;
    if (k == 0)
        return 0;
    perm = malloc(n * sizeof(*perm));
    if (perm == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    stream_init(&s, seed, bag, bag_len);
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)stream_below(&s, (uint64_t)(n - i)), t = perm[i];

        perm[i] = perm[j];
        perm[j] = t;
        out[i] = perm[i];
    }
    free(perm);
    *n_out = k;
    return 0;
}

/* True when the distinct uids want[0..k) and got[0..k) hold the same set. */
static bool same_set(const char *const *want, const char *const *got, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        size_t found = 0;

        for (size_t j = 0; j < k; j++)
            if (strcmp(got[j], want[i]) == 0)
                found++;
        if (found != 1)
            return false;
    }
    return true;
}

int proto_draw_verify(const uint8_t seed[PROTO_DRAW_SEED_BYTES], const char *commit,
                      size_t commit_len, const char *bag, const char *const *uids, size_t n,
                      size_t n_winners, const char *const *announced, size_t n_announced,
                      enum proto_draw_verdict *verdict)
{
    size_t k = n_winners < n ? n_winners : n, got = 0;
    size_t *idx = malloc((k ? k : 1) * sizeof(*idx));
    const char **winners = malloc((k ? k : 1) * sizeof(*winners));
    bool in_order;
    int rc;

    if (idx == NULL || winners == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    rc = proto_draw_winners(seed, bag, uids, n, n_winners, idx, &got);
    if (rc < 0)
        goto out;
    if (!proto_draw_commit_matches(seed, commit, commit_len)) {
        *verdict = PROTO_DRAW_BAD_COMMIT;
        goto out;
    }
    for (size_t i = 0; i < got; i++)
        winners[i] = uids[idx[i]];
    in_order = n_announced == got;
    for (size_t i = 0; in_order && i < got; i++)
        in_order = strcmp(announced[i], winners[i]) == 0;
    if (in_order)
        *verdict = PROTO_DRAW_OK;
    else if (n_announced == got && same_set(winners, announced, got))
        *verdict = PROTO_DRAW_WINNERS_REORDERED;
    else
        *verdict = PROTO_DRAW_WINNERS_DIFFER;
out:
    free(idx);
    free(winners);
    return rc;
}
