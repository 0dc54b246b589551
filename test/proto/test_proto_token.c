/* test_proto_token.c: unit tests of proto_token (mint, verify, roles, ids, rooms). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "proto_token.h"

#define SECRET "secret"
/* Computed independently: printf %s alice.viewer.room1.1700000000 |
 * openssl dgst -sha256 -hmac secret */
#define ALICE_SIG "1fc3f7710f462743a5a6c6dc02727d17f17db42f35dd717534898c2e97e62936"
#define ALICE     "alice.viewer.room1.1700000000." ALICE_SIG
#define ALICE_EXP 1700000000

static enum proto_token_status verify_at(const char *tok, size_t len, int64_t now,
                                         struct proto_token *out)
{
    return proto_token_verify(guard_copy(tok, len), len, SECRET, strlen(SECRET), now, out);
}

static enum proto_token_status verify(const char *tok, int64_t now)
{
    struct proto_token t;

    return verify_at(tok, strlen(tok), now, &t);
}

static void test_known_vector(void **state)
{
    struct proto_token t;
    char out[PROTO_TOKEN_MAX_BYTES + 1];

    (void)state;
    assert_int_equal(verify_at(ALICE, strlen(ALICE), ALICE_EXP, &t), PROTO_TOKEN_OK);
    assert_string_equal(t.uid, "alice");
    assert_int_equal(t.role, PROTO_ROLE_VIEWER);
    assert_string_equal(t.room, "room1");
    assert_int_equal(t.exp, ALICE_EXP);

    assert_int_equal(proto_token_mint(&t, SECRET, strlen(SECRET), out, sizeof(out)),
                     (int)strlen(ALICE));
    assert_string_equal(out, ALICE);
}

static void test_round_trip_any_room(void **state)
{
    /* printf %s 'ops_1.admin.*.9223372036854775807' | openssl dgst -sha256 -hmac k3y */
    static const char want[] = "ops_1.admin.*.9223372036854775807."
                               "dff756d33369428d652027dde2786579f727c29912c381488c5afc085d718039";
    struct proto_token t = {
        .uid = "ops_1", .role = PROTO_ROLE_ADMIN, .room = "*", .exp = INT64_MAX};
    struct proto_token back;
    char out[PROTO_TOKEN_MAX_BYTES + 1];
    int n;

    (void)state;
    n = proto_token_mint(&t, "k3y", 3, out, sizeof(out));
    assert_int_equal(n, (int)sizeof(want) - 1);
    assert_string_equal(out, want);
    assert_int_equal(
        proto_token_verify(guard_copy(out, (size_t)n), (size_t)n, "k3y", 3, INT64_MAX, &back),
        PROTO_TOKEN_OK);
    assert_string_equal(back.uid, "ops_1");
    assert_int_equal(back.role, PROTO_ROLE_ADMIN);
    assert_string_equal(back.room, "*");
    assert_int_equal(back.exp, INT64_MAX);
    assert_true(proto_token_allows_room(&back, "any-room"));
    assert_true(proto_token_allows_room(&back, "r2"));
}

static void test_round_trip_limits(void **state)
{
    struct proto_token t = {.role = PROTO_ROLE_HOST, .exp = 0};
    struct proto_token back;
    char out[PROTO_TOKEN_MAX_BYTES + 1];
    int n;

    (void)state;
    /* The longest token: 64-byte uid and room, 19-digit exp, "viewer". */
    memset(t.uid, 'u', PROTO_ID_MAX);
    memset(t.room, 'r', PROTO_ID_MAX);
    t.role = PROTO_ROLE_VIEWER;
    t.exp = INT64_MAX;
    n = proto_token_mint(&t, "", 0, out, sizeof(out)); /* an empty secret still works */
    assert_int_equal(n, 64 + 1 + 6 + 1 + 64 + 1 + 19 + 1 + 64);
    assert_true(n <= PROTO_TOKEN_MAX_BYTES);
    assert_int_equal(proto_token_verify(guard_copy(out, (size_t)n), (size_t)n, "", 0, 0, &back),
                     PROTO_TOKEN_OK);
    assert_memory_equal(back.uid, t.uid, PROTO_ID_MAX + 1);
    assert_memory_equal(back.room, t.room, PROTO_ID_MAX + 1);
    /* The same token under another secret is badly signed. */
    assert_int_equal(proto_token_verify(out, (size_t)n, "x", 1, 0, &back), PROTO_TOKEN_BAD_SIG);
}

static void test_mint_refusals(void **state)
{
    struct proto_token t = {.uid = "bob", .role = PROTO_ROLE_HOST, .room = "r1", .exp = 42};
    char out[PROTO_TOKEN_MAX_BYTES + 1];
    int n;

    (void)state;
    n = proto_token_mint(&t, SECRET, 6, out, sizeof(out));
    assert_int_equal(n, (int)strlen("bob.host.r1.42.") + 64);
    /* Exactly large enough, then one byte short. */
    assert_int_equal(proto_token_mint(&t, SECRET, 6, out, (size_t)n + 1), n);
    assert_int_equal(proto_token_mint(&t, SECRET, 6, out, (size_t)n), -1);
    assert_int_equal(proto_token_mint(&t, SECRET, 6, out, 0), -1);

    t.exp = -1;
    assert_int_equal(proto_token_mint(&t, SECRET, 6, out, sizeof(out)), -1);
    t.exp = 42;
    strcpy(t.uid, "bo.b");
    assert_int_equal(proto_token_mint(&t, SECRET, 6, out, sizeof(out)), -1);
    strcpy(t.uid, "");
    assert_int_equal(proto_token_mint(&t, SECRET, 6, out, sizeof(out)), -1);
    strcpy(t.uid, "bob");
    strcpy(t.room, "r 1");
    assert_int_equal(proto_token_mint(&t, SECRET, 6, out, sizeof(out)), -1);
    strcpy(t.room, "r1");
    t.role = (enum proto_role)7;
    assert_int_equal(proto_token_mint(&t, SECRET, 6, out, sizeof(out)), -1);
}

static void test_bad_signature(void **state)
{
    char tok[sizeof(ALICE)];
    struct proto_token t;

    (void)state;
    /* Each single-digit change of the signature is caught. */
    for (size_t i = strlen(ALICE) - 64; i < strlen(ALICE); i++) {
        strcpy(tok, ALICE);
        tok[i] = tok[i] == '0' ? '1' : '0';
        assert_int_equal(verify(tok, ALICE_EXP), PROTO_TOKEN_BAD_SIG);
    }
    /* A change of the signed part with the old signature. */
    assert_int_equal(verify("alice.host.room1.1700000000." ALICE_SIG, ALICE_EXP),
                     PROTO_TOKEN_BAD_SIG);
    assert_int_equal(verify("alice.viewer.room2.1700000000." ALICE_SIG, ALICE_EXP),
                     PROTO_TOKEN_BAD_SIG);
    assert_int_equal(verify("alice.viewer.room1.1700000001." ALICE_SIG, ALICE_EXP),
                     PROTO_TOKEN_BAD_SIG);
    assert_int_equal(verify("alice.viewer.room1.01700000000." ALICE_SIG, ALICE_EXP),
                     PROTO_TOKEN_BAD_SIG);
    /* Wrong secret. */
    assert_int_equal(proto_token_verify(ALICE, strlen(ALICE), "secreT", 6, ALICE_EXP, &t),
                     PROTO_TOKEN_BAD_SIG);
    /* A bad signature is reported before expiry. */
    assert_int_equal(verify("alice.viewer.room1.1700000001." ALICE_SIG, INT64_MAX),
                     PROTO_TOKEN_BAD_SIG);
}

static void test_expiry_skew(void **state)
{
    (void)state;
    assert_int_equal(verify(ALICE, 0), PROTO_TOKEN_OK);
    assert_int_equal(verify(ALICE, ALICE_EXP), PROTO_TOKEN_OK);
    assert_int_equal(verify(ALICE, ALICE_EXP + 29), PROTO_TOKEN_OK);
    assert_int_equal(verify(ALICE, ALICE_EXP + PROTO_TOKEN_SKEW_S), PROTO_TOKEN_OK);
    assert_int_equal(verify(ALICE, ALICE_EXP + PROTO_TOKEN_SKEW_S + 1), PROTO_TOKEN_EXPIRED);
    assert_int_equal(verify(ALICE, INT64_MAX), PROTO_TOKEN_EXPIRED);
    assert_int_equal(verify(ALICE, INT64_MIN), PROTO_TOKEN_OK);
}

static void test_malformed(void **state)
{
    static const char *const bad[] = {
        "",
        ".",
        "....",
        "alice.viewer.room1.1700000000",                 /* four fields */
        "alice.viewer.room1.1700000000." ALICE_SIG ".x", /* six fields */
        "alice.viewer.room1.1700000000." ALICE_SIG ".",
        ".viewer.room1.1700000000." ALICE_SIG, /* empty uid */
        "al ce.viewer.room1.1700000000." ALICE_SIG,
        "alice.Viewer.room1.1700000000." ALICE_SIG, /* role is case-sensitive */
        "alice.guest.room1.1700000000." ALICE_SIG,
        "alice..room1.1700000000." ALICE_SIG,
        "alice.viewer..1700000000." ALICE_SIG, /* empty room */
        "alice.viewer.**.1700000000." ALICE_SIG,
        "alice.viewer.room/1.1700000000." ALICE_SIG,
        "alice.viewer.room1.." ALICE_SIG, /* empty exp */
        "alice.viewer.room1.-1." ALICE_SIG,
        "alice.viewer.room1.+1." ALICE_SIG,
        "alice.viewer.room1.1e9." ALICE_SIG,
        "alice.viewer.room1. 1700000000." ALICE_SIG,
        "alice.viewer.room1.9223372036854775808." ALICE_SIG,  /* INT64_MAX + 1 */
        "alice.viewer.room1.10000000000000000000." ALICE_SIG, /* 20 digits */
        "alice.viewer.room1.1700000000.",                     /* empty sig */
        "alice.viewer.room1.1700000000."
        "1fc3f7710f462743a5a6c6dc02727d17f17db42f35dd717534898c2e97e6293",
        "alice.viewer.room1.1700000000." ALICE_SIG "0", /* 65 hex digits */
        "alice.viewer.room1.1700000000."
        "1FC3F7710F462743A5A6C6DC02727D17F17DB42F35DD717534898C2E97E62936",
        "alice.viewer.room1.1700000000."
        "1fc3f7710f462743a5a6c6dc02727d17f17db42f35dd717534898c2e97e6293g",
    };
    char tok[512];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (verify(bad[i], 0) != PROTO_TOKEN_MALFORMED)
            fail_msg("not malformed: %s", bad[i]);
    }

    /* A 65-byte uid, and a token over PROTO_TOKEN_MAX_BYTES. */
    snprintf(tok, sizeof(tok), "%065d.viewer.r.1.%s", 0, ALICE_SIG);
    assert_int_equal(verify(tok, 0), PROTO_TOKEN_MALFORMED);
    memset(tok, 'a', PROTO_TOKEN_MAX_BYTES + 1);
    assert_int_equal(verify_at(tok, PROTO_TOKEN_MAX_BYTES + 1, 0, &(struct proto_token){0}),
                     PROTO_TOKEN_MALFORMED);

    /* An embedded NUL is just a bad byte, never the end of the token. */
    {
        static const char nul[] = "alice.viewer.room1.1700000000." ALICE_SIG "\0";
        struct proto_token t;

        assert_int_equal(verify_at(nul, sizeof(nul) - 1, 0, &t), PROTO_TOKEN_MALFORMED);
        assert_int_equal(verify_at("ali\0e.viewer.r.1.x", 18, 0, &t), PROTO_TOKEN_MALFORMED);
    }
}

static void test_roles(void **state)
{
    enum proto_role r = PROTO_ROLE_ADMIN;

    (void)state;
    assert_true(proto_role_parse("viewer", 6, &r));
    assert_int_equal(r, PROTO_ROLE_VIEWER);
    assert_true(proto_role_parse("host", 4, &r));
    assert_int_equal(r, PROTO_ROLE_HOST);
    assert_true(proto_role_parse("admin", 5, &r));
    assert_int_equal(r, PROTO_ROLE_ADMIN);
    assert_true(proto_role_parse("hostile", 4, &r)); /* only len bytes count */
    assert_int_equal(r, PROTO_ROLE_HOST);
    assert_false(proto_role_parse("hos", 3, &r));
    assert_false(proto_role_parse("hostx", 5, &r));
    assert_false(proto_role_parse("", 0, &r));
    assert_false(proto_role_parse("ADMIN", 5, &r));
    assert_false(proto_role_parse("admin\0", 6, &r));

    assert_string_equal(proto_role_name(PROTO_ROLE_VIEWER), "viewer");
    assert_string_equal(proto_role_name(PROTO_ROLE_HOST), "host");
    assert_string_equal(proto_role_name(PROTO_ROLE_ADMIN), "admin");
    assert_string_equal(proto_role_name((enum proto_role)9), "unknown");
}

static void test_rooms(void **state)
{
    struct proto_token t = {.uid = "u", .role = PROTO_ROLE_HOST, .room = "r1", .exp = 1};

    (void)state;
    assert_true(proto_token_allows_room(&t, "r1"));
    assert_false(proto_token_allows_room(&t, "r2"));
    assert_false(proto_token_allows_room(&t, "r1x"));
    assert_false(proto_token_allows_room(&t, "*"));
    assert_false(proto_token_allows_room(&t, NULL));
    strcpy(t.room, "*");
    assert_true(proto_token_allows_room(&t, "r2"));
    assert_false(proto_token_allows_room(&t, NULL));
}

static void test_ids(void **state)
{
    char id[PROTO_ID_MAX + 1];

    (void)state;
    memset(id, 'z', sizeof(id));
    assert_true(proto_id_is_valid(guard_copy(id, PROTO_ID_MAX), PROTO_ID_MAX));
    assert_false(proto_id_is_valid(guard_copy(id, PROTO_ID_MAX + 1), PROTO_ID_MAX + 1));
    assert_true(proto_id_is_valid("aZ09_-", 6));
    assert_true(proto_id_is_valid("-", 1));
    assert_false(proto_id_is_valid("", 0));
    assert_false(proto_id_is_valid("a.b", 3));
    assert_false(proto_id_is_valid("a b", 3));
    assert_false(proto_id_is_valid("*", 1));
    assert_false(proto_id_is_valid("caf\xC3\xA9", 5));
    assert_false(proto_id_is_valid("a\0", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vector),
        cmocka_unit_test(test_round_trip_any_room),
        cmocka_unit_test(test_round_trip_limits),
        cmocka_unit_test(test_mint_refusals),
        cmocka_unit_test(test_bad_signature),
        cmocka_unit_test(test_expiry_skew),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_rooms),
        cmocka_unit_test(test_ids),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
