/* fuzz_token.c: fuzz target for proto_token_verify, with a mint round trip on success. */
#include <string.h>

#include "fuzz.h"
#include "proto_token.h"

/* The corpus's well-signed tokens use this secret and this clock. */
#define SECRET "fuzz-secret"
#define NOW    1700000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_token t, back;
    char minted[PROTO_TOKEN_MAX_BYTES + 1];
    enum proto_token_status st;
    int n;

    st = proto_token_verify((const char *)data, size, SECRET, strlen(SECRET), NOW, &t);
    CHECK(st == PROTO_TOKEN_OK || st == PROTO_TOKEN_MALFORMED || st == PROTO_TOKEN_BAD_SIG ||
          st == PROTO_TOKEN_EXPIRED);
    /* Nothing longer than the limit is ever accepted, however it is signed. */
    if (size > PROTO_TOKEN_MAX_BYTES)
        CHECK(st == PROTO_TOKEN_MALFORMED);
    if (st != PROTO_TOKEN_OK)
        return 0;

    CHECK(proto_id_is_valid(t.uid, strlen(t.uid)));
    CHECK(strcmp(t.room, "*") == 0 || proto_id_is_valid(t.room, strlen(t.room)));
    CHECK(t.role == PROTO_ROLE_VIEWER || t.role == PROTO_ROLE_HOST || t.role == PROTO_ROLE_ADMIN);
    CHECK(t.exp >= NOW - PROTO_TOKEN_SKEW_S);
    CHECK(proto_token_allows_room(&t, t.room));

    /* What verifies can be minted again, and the new token verifies to the same claims. */
    n = proto_token_mint(&t, SECRET, strlen(SECRET), minted, sizeof(minted));
    CHECK(n > 0 && (size_t)n <= size); /* the input may have had leading zeros in exp */
    CHECK(proto_token_verify(minted, (size_t)n, SECRET, strlen(SECRET), NOW, &back) ==
          PROTO_TOKEN_OK);
    CHECK(strcmp(back.uid, t.uid) == 0 && strcmp(back.room, t.room) == 0);
    CHECK(back.role == t.role && back.exp == t.exp);
    /* ... and under another secret it does not. */
    CHECK(proto_token_verify(minted, (size_t)n, "other", 5, NOW, &back) == PROTO_TOKEN_BAD_SIG);
    return 0;
}
