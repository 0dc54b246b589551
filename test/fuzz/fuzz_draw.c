/* fuzz_draw.c: fuzz target for proto_draw: hex parsing, list preparation and the draw.
 *
 * The input is 64 bytes read as a hex seed or commitment (parsed both ways), one byte
 * for the number of winners, then participant uids, one per line. Every draw must give
 * min(n, m) distinct indexes into the prepared list, the same twice, and pass its own
 * verification. */
#include <string.h>

#include "fuzz.h"
#include "proto_draw.h"

#define MAX_UIDS 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t seed[PROTO_DRAW_SEED_BYTES] = {0};
    char hex[PROTO_DRAW_HEX_LEN + 1], commit[PROTO_DRAW_HEX_LEN + 1], *copy;
    const char *uids[MAX_UIDS], *winners[MAX_UIDS];
    size_t n = 0, m, k, idx[MAX_UIDS], idx2[MAX_UIDS], got, got2, pos;
    enum proto_draw_verdict verdict;

    if (size < PROTO_DRAW_HEX_LEN + 1)
        return 0;
    /* Hex parsing: accepted exactly when all 64 bytes are hex digits, and round-trips
     * to the same digits in lowercase. */
    if (proto_draw_hex_parse((const char *)data, PROTO_DRAW_HEX_LEN, seed)) {
        proto_draw_hex(seed, hex);
        for (size_t i = 0; i < PROTO_DRAW_HEX_LEN; i++)
            CHECK(hex[i] == data[i] || hex[i] == (data[i] | 0x20));
    } else {
        bool all_hex = true;

        for (size_t i = 0; i < PROTO_DRAW_HEX_LEN; i++)
            all_hex = all_hex && strchr("0123456789abcdefABCDEF", data[i]) && data[i];
        CHECK(!all_hex);
        memcpy(seed, data, PROTO_DRAW_SEED_BYTES);
    }
    CHECK(!proto_draw_commit_matches(seed, (const char *)data, PROTO_DRAW_HEX_LEN - 1));
    k = 1 + data[PROTO_DRAW_HEX_LEN] % 16;

    /* Participants: the rest, split on LF into NUL-terminated pieces. */
    pos = PROTO_DRAW_HEX_LEN + 1;
    copy = malloc(size - pos + 1);
    CHECK(copy != NULL);
    memcpy(copy, data + pos, size - pos);
    copy[size - pos] = '\0';
    for (char *p = copy; n < MAX_UIDS;) {
        char *nl = strchr(p, '\n');

        uids[n++] = p;
        if (nl == NULL)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    m = proto_draw_prepare(uids, n);
    CHECK(m <= n);
    for (size_t i = 1; i < m; i++)
        CHECK(strcmp(uids[i - 1], uids[i]) < 0);

    CHECK(proto_draw_winners(seed, "fuzz", uids, m, k, idx, &got) == 0);
    CHECK(got == (k < m ? k : m));
    CHECK(proto_draw_winners(seed, "fuzz", uids, m, k, idx2, &got2) == 0);
    CHECK(got2 == got && memcmp(idx, idx2, got * sizeof(size_t)) == 0);
    for (size_t i = 0; i < got; i++) {
        CHECK(idx[i] < m);
        for (size_t j = 0; j < i; j++)
            CHECK(idx[i] != idx[j]);
        winners[i] = uids[idx[i]];
    }
    proto_draw_commit(seed, commit);
    CHECK(proto_draw_verify(seed, commit, PROTO_DRAW_HEX_LEN, "fuzz", uids, m, k, winners, got,
                            &verdict) == 0);
    CHECK(verdict == PROTO_DRAW_OK);
    if (got > 1) {
        const char *t = winners[0];

        winners[0] = winners[1];
        winners[1] = t;
        CHECK(proto_draw_verify(seed, commit, PROTO_DRAW_HEX_LEN, "fuzz", uids, m, k, winners, got,
                                &verdict) == 0);
        CHECK(verdict == PROTO_DRAW_WINNERS_REORDERED);
    }
    free(copy);
    return 0;
}
