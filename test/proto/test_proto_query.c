/* test_proto_query.c: unit tests of proto_query (handshake query arguments). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "proto_query.h"

static struct proto_query q;
static const char *reason;

/* Parses a raw query string from a guarded copy into the file's q. */
static int parse(const char *qs)
{
    size_t len = strlen(qs);

    proto_query_init(&q);
    reason = NULL;
    return proto_query_parse(&q, guard_copy(qs, len), len, &reason);
}

static int add(const char *arg, size_t len)
{
    reason = NULL;
    return proto_query_add_arg(&q, guard_copy(arg, len), len, &reason);
}

/* Expects parse(qs) to fail with exactly the reason want. */
static void parse_fails(const char *qs, const char *want)
{
    if (parse(qs) != -1)
        fail_msg("accepted: %s", qs);
    assert_non_null(reason);
    assert_string_equal(reason, want);
}

static void test_all_keys(void **state)
{
    (void)state;
    assert_int_equal(parse("room=r-1_A&token=u.viewer.r.1.ab&since=42&nick=%E5%B0%8F%E6%98%8E"
                           "&from=inviter_9"),
                     0);
    assert_string_equal(q.room, "r-1_A");
    assert_true(q.has_token);
    assert_string_equal(q.token, "u.viewer.r.1.ab");
    assert_true(q.has_since);
    assert_int_equal(q.since, 42);
    assert_true(q.has_nick);
    assert_string_equal(q.nick, "\xE5\xB0\x8F\xE6\x98\x8E"); /* 小明 */
    assert_true(q.has_from);
    assert_string_equal(q.from, "inviter_9");
    assert_int_equal(proto_query_finish(&q, &reason), 0);
}

static void test_only_room(void **state)
{
    (void)state;
    assert_int_equal(parse("room=abc"), 0);
    assert_string_equal(q.room, "abc");
    assert_false(q.has_token);
    assert_false(q.has_since);
    assert_false(q.has_nick);
    assert_false(q.has_from);
    assert_int_equal(proto_query_finish(&q, &reason), 0);
}

static void test_room_required(void **state)
{
    (void)state;
    assert_int_equal(parse("token=x&nick=bob"), 0);
    assert_int_equal(proto_query_finish(&q, &reason), -1);
    assert_string_equal(reason, "room missing");
    assert_int_equal(parse(""), 0);
    assert_int_equal(proto_query_finish(&q, &reason), -1);
}

static void test_room_ids(void **state)
{
    char qs[128];

    (void)state;
    parse_fails("room=", "bad room id");
    parse_fails("room", "bad room id");
    parse_fails("room=a%20b", "bad room id");
    parse_fails("room=a+b", "bad room id");
    parse_fails("room=a/b", "bad room id");
    parse_fails("room=*", "bad room id");
    parse_fails("room=caf%C3%A9", "bad room id");
    snprintf(qs, sizeof(qs), "room=%064d", 7);
    assert_int_equal(parse(qs), 0);
    assert_int_equal(strlen(q.room), 64);
    snprintf(qs, sizeof(qs), "room=%065d", 7);
    parse_fails(qs, "bad room id");
    /* Escaped id characters are fine once decoded. */
    assert_int_equal(parse("room=%61%62"), 0);
    assert_string_equal(q.room, "ab");
}

static void test_percent_decoding(void **state)
{
    (void)state;
    assert_int_equal(parse("room=r&nick=a+b%2Bc%20d%2fe"), 0);
    assert_string_equal(q.nick, "a b+c d/e");
    /* An escaped '&' or '=' belongs to the value, not to the query's structure. */
    assert_int_equal(parse("room=r&nick=x%26y%3Dz"), 0);
    assert_string_equal(q.nick, "x&y=z");
    assert_int_equal(parse("ro%6Fm=r"), 0); /* the key is decoded too */
    assert_string_equal(q.room, "r");

    parse_fails("room=r&nick=%", "bad percent escape in query");
    parse_fails("room=r&nick=%4", "bad percent escape in query");
    parse_fails("room=r&nick=%G1", "bad percent escape in query");
    parse_fails("room=r&nick=%1G", "bad percent escape in query");
    parse_fails("utm=%zz&room=r", "bad percent escape in query"); /* even in unknown keys */
}

static void test_empty_pieces_and_unknown(void **state)
{
    (void)state;
    assert_int_equal(parse("&&room=r&&utm_source=x&utm_source=y&=&x&"), 0);
    assert_string_equal(q.room, "r");
    assert_false(q.has_token);
    assert_int_equal(parse("Room=r"), 0); /* keys are case-sensitive: ignored */
    assert_string_equal(q.room, "");
}

static void test_nick(void **state)
{
    char qs[512];
    size_t n;

    (void)state;
    /* 40 x 中 is cut to 32 code points (96 bytes). */
    n = (size_t)snprintf(qs, sizeof(qs), "room=r&nick=");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(qs + n, sizeof(qs) - n, "%%E4%%B8%%AD");
    assert_int_equal(parse(qs), 0);
    assert_true(q.has_nick);
    assert_int_equal(strlen(q.nick), 96);
    for (int i = 0; i < 32; i++)
        assert_memory_equal(q.nick + 3 * i, "\xE4\xB8\xAD", 3);

    /* Exactly 32 ASCII characters stay whole; 33 lose the last. */
    assert_int_equal(parse("room=r&nick=abcdefghijklmnopqrstuvwxyz012345"), 0);
    assert_string_equal(q.nick, "abcdefghijklmnopqrstuvwxyz012345");
    assert_int_equal(parse("room=r&nick=abcdefghijklmnopqrstuvwxyz0123456"), 0);
    assert_string_equal(q.nick, "abcdefghijklmnopqrstuvwxyz012345");

    /* Surrounding space is trimmed before cutting; all-space means no nick. */
    assert_int_equal(parse("room=r&nick=+%E3%80%80bob+"), 0);
    assert_string_equal(q.nick, "bob");
    assert_int_equal(parse("room=r&nick=++"), 0);
    assert_false(q.has_nick);
    assert_int_equal(parse("room=r&nick="), 0);
    assert_false(q.has_nick);

    parse_fails("room=r&nick=%FF", "nick is not UTF-8");
    parse_fails("room=r&nick=%C0%80", "nick is not UTF-8");
    parse_fails("room=r&nick=%ED%A0%80", "nick is not UTF-8");
    parse_fails("room=r&nick=a%00b", "NUL byte in query argument");
}

static void test_since(void **state)
{
    (void)state;
    assert_int_equal(parse("room=r&since=0"), 0);
    assert_true(q.has_since);
    assert_int_equal(q.since, 0);
    assert_int_equal(parse("room=r&since=007"), 0);
    assert_int_equal(q.since, 7);
    assert_int_equal(parse("room=r&since=18446744073709551615"), 0);
    assert_true(q.since == UINT64_MAX);

    parse_fails("room=r&since=", "since is not a decimal integer");
    parse_fails("room=r&since", "since is not a decimal integer");
    parse_fails("room=r&since=-1", "since is not a decimal integer");
    parse_fails("room=r&since=%2B1", "since is not a decimal integer");
    parse_fails("room=r&since=1.5", "since is not a decimal integer");
    parse_fails("room=r&since=0x10", "since is not a decimal integer");
    parse_fails("room=r&since=+1", "since is not a decimal integer");
    parse_fails("room=r&since=12a", "since is not a decimal integer");
    parse_fails("room=r&since=18446744073709551616", "since is not a decimal integer");
    parse_fails("room=r&since=99999999999999999999", "since is not a decimal integer");
    parse_fails("room=r&since=1%000", "NUL byte in query argument");
}

static void test_token_and_from(void **state)
{
    char qs[PROTO_TOKEN_MAX_BYTES + 32];
    int n;

    (void)state;
    /* The token's content is left to proto_token_verify (a 401, not a 400). */
    assert_int_equal(parse("room=r&token=not+a+token"), 0);
    assert_string_equal(q.token, "not a token");
    assert_int_equal(parse("room=r&token="), 0);
    assert_true(q.has_token);
    assert_string_equal(q.token, "");

    n = snprintf(qs, sizeof(qs), "room=r&token=");
    memset(qs + n, 't', PROTO_TOKEN_MAX_BYTES);
    qs[n + PROTO_TOKEN_MAX_BYTES] = '\0';
    assert_int_equal(parse(qs), 0);
    assert_int_equal(strlen(q.token), PROTO_TOKEN_MAX_BYTES);
    qs[n + PROTO_TOKEN_MAX_BYTES] = 't';
    qs[n + PROTO_TOKEN_MAX_BYTES + 1] = '\0';
    parse_fails(qs, "token too long");
    parse_fails("room=r&token=good%00junk", "NUL byte in query argument");

    assert_int_equal(parse("room=r&from=u-1"), 0);
    assert_string_equal(q.from, "u-1");
    parse_fails("room=r&from=", "bad from id");
    parse_fails("room=r&from=a.b", "bad from id");
}

static void test_duplicates(void **state)
{
    (void)state;
    parse_fails("room=a&room=a", "query key given twice");
    parse_fails("room=a&token=x&token=x", "query key given twice");
    parse_fails("room=a&token=&token=x", "query key given twice");
    parse_fails("room=a&since=1&since=2", "query key given twice");
    parse_fails("room=a&nick=x&nick=y", "query key given twice");
    parse_fails("room=a&from=x&from=y", "query key given twice");
    /* An empty nick counts as not given, so it does not make a duplicate. */
    assert_int_equal(parse("room=a&nick=&nick=y"), 0);
    assert_string_equal(q.nick, "y");
}

static void test_add_arg_direct(void **state)
{
    (void)state;
    proto_query_init(&q);
    /* Arguments from lws are already decoded: nothing is decoded again. */
    assert_int_equal(add("room=r%41", 9), -1);
    assert_string_equal(reason, "bad room id");
    assert_int_equal(add("room=r", 6), 0);
    assert_int_equal(add("token=a=b", 9), 0);
    assert_string_equal(q.token, "a=b");
    assert_int_equal(add("nick=a+b", 8), 0);
    assert_string_equal(q.nick, "a+b");
    assert_int_equal(add("since=5", 7), 0);
    assert_int_equal(add("whatever", 8), 0);
    assert_int_equal(add("", 0), 0);
    assert_int_equal(add("from=f", 6), 0);
    assert_int_equal(add("room=r", 6), -1);
    assert_string_equal(reason, "query key given twice");
    assert_string_equal(q.room, "r");
    assert_string_equal(q.token, "a=b");
    assert_int_equal(q.since, 5);
    assert_string_equal(q.from, "f");
    /* A decoded value may hold a NUL. */
    assert_int_equal(add("nick=a\0b", 8), -1);
    assert_string_equal(reason, "NUL byte in query argument");
    /* Truncated UTF-8 at the end of the guarded area. */
    proto_query_init(&q);
    assert_int_equal(add("nick=\xE4\xB8", 7), -1);
    assert_string_equal(reason, "nick is not UTF-8");
}

static void test_long_arguments(void **state)
{
    static char qs[8192];
    size_t n;

    (void)state;
    /* An unknown argument too long to keep is ignored. */
    n = (size_t)snprintf(qs, sizeof(qs), "room=r&utm=");
    memset(qs + n, 'x', 5000);
    qs[n + 5000] = '\0';
    assert_int_equal(parse(qs), 0);
    assert_string_equal(q.room, "r");

    /* A known one is refused. */
    n = (size_t)snprintf(qs, sizeof(qs), "room=r&nick=");
    memset(qs + n, 'x', 5000);
    qs[n + 5000] = '\0';
    parse_fails(qs, "query argument too long");

    /* A nick that fits the decode buffer but not 32 code points is cut. */
    n = (size_t)snprintf(qs, sizeof(qs), "room=r&nick=");
    memset(qs + n, 'y', 2000);
    qs[n + 2000] = '\0';
    assert_int_equal(parse(qs), 0);
    assert_int_equal(strlen(q.nick), 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_keys),
        cmocka_unit_test(test_only_room),
        cmocka_unit_test(test_room_required),
        cmocka_unit_test(test_room_ids),
        cmocka_unit_test(test_percent_decoding),
        cmocka_unit_test(test_empty_pieces_and_unknown),
        cmocka_unit_test(test_nick),
        cmocka_unit_test(test_since),
        cmocka_unit_test(test_token_and_from),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_add_arg_direct),
        cmocka_unit_test(test_long_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
