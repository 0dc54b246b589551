/* fuzz_query.c: fuzz target for proto_query_parse and proto_query_add_arg.
 *
 * The first byte chooses the entry point: even feeds the rest as a raw query string to
 * proto_query_parse; odd splits the rest at '&' and hands each piece, undecoded and in
 * a buffer of exactly its size, to proto_query_add_arg as libwebsockets would. */
#include <string.h>

#include "fuzz.h"
#include "proto_query.h"
#include "proto_token.h"
#include "proto_utf8.h"

/* Whatever was accepted obeys the contract. */
static void check_result(const struct proto_query *q)
{
    size_t n;

    n = strlen(q->room);
    CHECK(n == 0 || proto_id_is_valid(q->room, n));
    if (q->has_token)
        CHECK(strlen(q->token) <= PROTO_TOKEN_MAX_BYTES);
    else
        CHECK(q->token[0] == '\0');
    if (q->has_nick) {
        const char *t = q->nick;
        size_t tl;

        n = strlen(q->nick);
        CHECK(n > 0 && proto_utf8_is_valid(q->nick, n));
        CHECK(proto_utf8_count(q->nick, n) <= PROTO_NICK_MAX_CP);
        /* It was trimmed before the cut, so at least it does not start with space. */
        tl = n;
        proto_utf8_trim(&t, &tl);
        CHECK(t == q->nick);
    } else {
        CHECK(q->nick[0] == '\0');
    }
    if (q->has_from)
        CHECK(proto_id_is_valid(q->from, strlen(q->from)));
    else
        CHECK(q->from[0] == '\0');
    if (!q->has_since)
        CHECK(q->since == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_query q;
    const char *reason = NULL;
    const char *s;
    int rc = 0;

    if (size == 0)
        return 0;
    s = (const char *)data + 1;
    size--;
    proto_query_init(&q);
    if ((data[0] & 1) == 0) {
        rc = proto_query_parse(&q, s, size, &reason);
    } else {
        size_t start = 0;

        for (size_t i = 0; i <= size && rc == 0; i++) {
            char *piece;

            if (i < size && s[i] != '&')
                continue;
            piece = malloc(i - start + 1);
            CHECK(piece != NULL);
            memcpy(piece, s + start, i - start);
            rc = proto_query_add_arg(&q, piece, i - start, &reason);
            free(piece);
            start = i + 1;
        }
    }
    if (rc != 0) {
        CHECK(rc == -1 && reason != NULL && reason[0] != '\0');
        return 0;
    }
    check_result(&q);
    rc = proto_query_finish(&q, &reason);
    CHECK(rc == 0 ? q.room[0] != '\0' : q.room[0] == '\0');
    return 0;
}
