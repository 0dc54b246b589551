/* test_proto_draw.c: unit tests of proto_draw: vectors of DRAW.md, invariants of every
 * draw, verification of tampered draws, and the fairness of many draws. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "proto_draw.h"

/* DRAW.md's worked example. SHA-256 of the bytes 00 01 .. 1f, a well-known value. */
#define EX_COMMIT "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"

static void example_seed(uint8_t seed[PROTO_DRAW_SEED_BYTES])
{
    for (int i = 0; i < PROTO_DRAW_SEED_BYTES; i++)
        seed[i] = (uint8_t)i;
}

static const char *example_list[] = {"alice", "bob", "carol", "dave", "erin"};

/* Draws from a sorted, distinct list and returns the winner uids (static storage). */
static size_t draw(const uint8_t *seed, const char *bag, const char *const *uids, size_t n,
                   size_t k, const char **winners)
{
    static size_t idx[PROTO_DRAW_WINNERS_MAX];
    size_t got = 99;

    assert_int_equal(proto_draw_winners(seed, bag, uids, n, k, idx, &got), 0);
    for (size_t i = 0; i < got; i++) {
        assert_true(idx[i] < n);
        winners[i] = uids[idx[i]];
    }
    return got;
}

static void test_hex_and_commit(void **state)
{
    uint8_t seed[PROTO_DRAW_SEED_BYTES], back[PROTO_DRAW_SEED_BYTES];
    char hex[PROTO_DRAW_HEX_LEN + 1], commit[PROTO_DRAW_HEX_LEN + 1];
    char upper[] = "630DCD2966C4336691125448BBB25B4FF412A49C732DB2C8ABC1B8581BD710DD";

    (void)state;
    example_seed(seed);
    proto_draw_hex(seed, hex);
    assert_string_equal(hex, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    assert_true(proto_draw_hex_parse(guard_copy(hex, 64), 64, back));
    assert_memory_equal(back, seed, sizeof(seed));

    proto_draw_commit(seed, commit);
    assert_string_equal(commit, EX_COMMIT);
    assert_true(proto_draw_commit_matches(seed, guard_copy(EX_COMMIT, 64), 64));
    assert_true(proto_draw_commit_matches(seed, guard_copy(upper, 64), 64));

    /* Wrong length, a non-hex digit, another seed. */
    assert_false(proto_draw_commit_matches(seed, guard_copy(EX_COMMIT, 63), 63));
    assert_false(proto_draw_commit_matches(seed, EX_COMMIT "0", 65));
    upper[10] = 'g';
    assert_false(proto_draw_commit_matches(seed, upper, 64));
    assert_false(proto_draw_hex_parse(upper, 64, back));
    assert_false(proto_draw_hex_parse(" " EX_COMMIT, 64, back));
    seed[31] ^= 1;
    assert_false(proto_draw_commit_matches(seed, EX_COMMIT, 64));
}

static void test_seed_new(void **state)
{
    uint8_t a[PROTO_DRAW_SEED_BYTES], b[PROTO_DRAW_SEED_BYTES];

    (void)state;
    assert_int_equal(proto_draw_seed_new(a), 0);
    assert_int_equal(proto_draw_seed_new(b), 0);
    assert_memory_not_equal(a, b, sizeof(a));
}

static void test_prepare(void **state)
{
    const char *u[] = {"b", "a_", "ab", "a", "B", "-", "0", "ab", "a", "zz", "a"};
    const char *want[] = {"-", "0", "B", "a", "a_", "ab", "b", "zz"};
    size_t n = proto_draw_prepare(u, sizeof(u) / sizeof(u[0]));

    (void)state;
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < n; i++)
        assert_string_equal(u[i], want[i]);
    assert_int_equal(proto_draw_prepare(u, 0), 0);
}

static void test_accept(void **state)
{
    uint64_t v = 12345;
    const uint64_t half = UINT64_C(1) << 63;

    (void)state;
    /* r = 1: 2^64 mod 1 = 0, every u is accepted and gives 0. */
    assert_true(proto_draw_accept(0, 1, &v) && v == 0);
    assert_true(proto_draw_accept(UINT64_MAX, 1, &v) && v == 0);
    /* r = 3: 2^64 mod 3 = 1, so only u = 0 is rejected. */
    assert_false(proto_draw_accept(0, 3, &v));
    assert_true(proto_draw_accept(1, 3, &v) && v == 1);
    assert_true(proto_draw_accept(UINT64_MAX, 3, &v) && v == 0);
    /* r = 2^63 + 1: 2^64 mod r = 2^63 - 1, nearly half the values are rejected. */
    assert_false(proto_draw_accept(half - 2, half + 1, &v));
    assert_true(proto_draw_accept(half - 1, half + 1, &v) && v == half - 1);
    assert_true(proto_draw_accept(UINT64_MAX, half + 1, &v) && v == half - 2);
    /* A power of two rejects nothing. */
    assert_true(proto_draw_accept(0, 4, &v) && v == 0);
}

static void test_worked_example(void **state)
{
    uint8_t seed[PROTO_DRAW_SEED_BYTES];
    const char *w[8];

    (void)state;
    example_seed(seed);
    assert_int_equal(draw(seed, "bag1", example_list, 5, 3, w), 3);
    assert_string_equal(w[0], "alice");
    assert_string_equal(w[1], "erin");
    assert_string_equal(w[2], "carol");

    /* More winners than participants: everyone, once, in the shuffle's order. */
    assert_int_equal(draw(seed, "bag1", example_list, 5, 10, w), 5);
    assert_string_equal(w[0], "alice");
    assert_string_equal(w[1], "erin");
    assert_string_equal(w[2], "carol");
    assert_string_equal(w[3], "dave");
    assert_string_equal(w[4], "bob");

    /* The bag id is part of the stream. */
    assert_int_equal(draw(seed, "bag2", example_list, 5, 3, w), 3);
    assert_string_equal(w[0], "alice");
    assert_string_equal(w[1], "dave");
    assert_string_equal(w[2], "bob");

    assert_int_equal(draw(seed, "bag1", example_list, 0, 3, w), 0);
}

static void test_bad_arguments(void **state)
{
    uint8_t seed[PROTO_DRAW_SEED_BYTES] = {0};
    const char *unsorted[] = {"b", "a"};
    const char *dup[] = {"a", "a"};
    char long_bag[80];
    size_t idx[4], got = 7;

    (void)state;
    assert_int_equal(proto_draw_winners(seed, "b", unsorted, 2, 1, idx, &got), -EINVAL);
    assert_int_equal(got, 0);
    assert_int_equal(proto_draw_winners(seed, "b", dup, 2, 1, idx, &got), -EINVAL);
    assert_int_equal(proto_draw_winners(seed, "", example_list, 5, 1, idx, &got), -EINVAL);
    memset(long_bag, 'x', 65);
    long_bag[65] = '\0';
    assert_int_equal(proto_draw_winners(seed, long_bag, example_list, 5, 1, idx, &got), -EINVAL);
    long_bag[64] = '\0';
    assert_int_equal(proto_draw_winners(seed, long_bag, example_list, 5, 1, idx, &got), 0);
    assert_int_equal(got, 1);
}

/* Winners are distinct participants, exactly min(n, k) of them, and the same inputs
 * give the same draw. */
static void test_invariants(void **state)
{
    static char names[60][8];
    const char *uids[60], *w1[70], *w2[70];
    unsigned int r = 99;

    (void)state;
    for (int i = 0; i < 60; i++) {
        snprintf(names[i], sizeof(names[i]), "u%03d", i);
        uids[i] = names[i];
    }
    for (int round = 0; round < 2000; round++) {
        uint8_t seed[PROTO_DRAW_SEED_BYTES];
        size_t n = (size_t)rand_r(&r) % 61, k = 1 + (size_t)rand_r(&r) % 70, got;

        assert_int_equal(proto_draw_seed_new(seed), 0);
        got = draw(seed, "inv", uids, n, k, w1);
        assert_int_equal(got, n < k ? n : k);
        for (size_t i = 0; i < got; i++)
            for (size_t j = 0; j < i; j++)
                assert_string_not_equal(w1[i], w1[j]);
        assert_int_equal(draw(seed, "inv", uids, n, k, w2), got);
        for (size_t i = 0; i < got; i++)
            assert_ptr_equal(w1[i], w2[i]);
    }
}

static enum proto_draw_verdict verify(const uint8_t *seed, const char *commit,
                                      const char *const *uids, size_t n, const char *const *ann,
                                      size_t n_ann)
{
    enum proto_draw_verdict v = PROTO_DRAW_OK;

    assert_int_equal(
        proto_draw_verify(seed, commit, strlen(commit), "bag1", uids, n, 3, ann, n_ann, &v), 0);
    return v;
}

static void test_verify_tampering(void **state)
{
    uint8_t seed[PROTO_DRAW_SEED_BYTES], other[PROTO_DRAW_SEED_BYTES];
    const char *winners[] = {"alice", "erin", "carol"};
    const char *reordered[] = {"erin", "alice", "carol"};
    const char *swapped[] = {"alice", "erin", "dave"};
    const char *doubled[] = {"alice", "erin", "erin"};
    const char *added[] = {"alice", "bob", "carol", "dave", "erin", "mallory"};
    const char *no_bob[] = {"alice", "carol", "dave", "erin"};
    const char *no_dave[] = {"alice", "bob", "carol", "erin"};

    (void)state;
    example_seed(seed);
    assert_int_equal(verify(seed, EX_COMMIT, example_list, 5, winners, 3), PROTO_DRAW_OK);

    /* Tampered announced winners. */
    assert_int_equal(verify(seed, EX_COMMIT, example_list, 5, reordered, 3),
                     PROTO_DRAW_WINNERS_REORDERED);
    assert_int_equal(verify(seed, EX_COMMIT, example_list, 5, swapped, 3),
                     PROTO_DRAW_WINNERS_DIFFER);
    assert_int_equal(verify(seed, EX_COMMIT, example_list, 5, doubled, 3),
                     PROTO_DRAW_WINNERS_DIFFER);
    assert_int_equal(verify(seed, EX_COMMIT, example_list, 5, winners, 2),
                     PROTO_DRAW_WINNERS_DIFFER);

    /* Tampered participant lists, with the winners announced for the true one: a uid
     * slipped in (it would have drawn mallory, bob, dave), one left out (carol,
     * alice, erin: the same uids, in another order; bob, alice, erin). */
    assert_int_equal(verify(seed, EX_COMMIT, added, 6, winners, 3), PROTO_DRAW_WINNERS_DIFFER);
    assert_int_equal(verify(seed, EX_COMMIT, no_bob, 4, winners, 3), PROTO_DRAW_WINNERS_REORDERED);
    assert_int_equal(verify(seed, EX_COMMIT, no_dave, 4, winners, 3), PROTO_DRAW_WINNERS_DIFFER);

    /* Another seed than the committed one. */
    memcpy(other, seed, sizeof(other));
    other[0] = 0xff;
    assert_int_equal(verify(other, EX_COMMIT, example_list, 5, winners, 3), PROTO_DRAW_BAD_COMMIT);
}

/* Fairness. 20,000 draws of 3 winners among 10 participants, each with a fresh seed
 * from RAND_bytes.
 *
 * Wins per participant: a draw picks 3 distinct of 10, so the counts are not
 * multinomial; with p = k/m each count has variance N p (m-k)/(m-1) in every direction
 * that keeps their sum, so Pearson's X^2 = sum (C - Np)^2 / (Np), scaled by
 * (m-1)/(m-k) = 9/7, follows chi-square with m-1 = 9 degrees of freedom. The first
 * winner alone is uniform over 10, a multinomial count with the plain X^2 on 9
 * degrees of freedom.
 *
 * Each statistic is compared with 46.43, the chi-square(9) quantile for an upper tail
 * of 5e-7 (computed from the closed form of the odd-degree chi-square survival
 * function); the two checks together fail a fair draw with probability at most 1e-6,
 * whatever the seeds. A biased draw fails by far: one participant that wins 5% less
 * often adds about 9/7 * 300^2/6000 = 19 by itself, one never drawn first adds 2000. */
#define STAT_DRAWS 20000
#define STAT_M     10
#define STAT_K     3
#define CHI2_9_5E7 46.43

static void test_fairness(void **state)
{
    static char names[STAT_M][4];
    const char *uids[STAT_M];
    uint64_t wins[STAT_M] = {0}, first[STAT_M] = {0};
    double x2_wins = 0, x2_first = 0, e_wins, e_first;

    (void)state;
    for (int i = 0; i < STAT_M; i++) {
        snprintf(names[i], sizeof(names[i]), "p%d", i);
        uids[i] = names[i];
    }
    for (int d = 0; d < STAT_DRAWS; d++) {
        uint8_t seed[PROTO_DRAW_SEED_BYTES];
        size_t idx[STAT_K], got;

        assert_int_equal(proto_draw_seed_new(seed), 0);
        assert_int_equal(proto_draw_winners(seed, "stat", uids, STAT_M, STAT_K, idx, &got), 0);
        assert_int_equal(got, STAT_K);
        for (int i = 0; i < STAT_K; i++)
            wins[idx[i]]++;
        first[idx[0]]++;
    }
    e_wins = (double)STAT_DRAWS * STAT_K / STAT_M;
    e_first = (double)STAT_DRAWS / STAT_M;
    for (int i = 0; i < STAT_M; i++) {
        x2_wins += ((double)wins[i] - e_wins) * ((double)wins[i] - e_wins) / e_wins;
        x2_first += ((double)first[i] - e_first) * ((double)first[i] - e_first) / e_first;
    }
    x2_wins *= (double)(STAT_M - 1) / (STAT_M - STAT_K);
    print_message("fairness: wins X^2 (scaled) = %.2f, first-winner X^2 = %.2f, limit %.2f\n",
                  x2_wins, x2_first, CHI2_9_5E7);
    assert_true(x2_wins < CHI2_9_5E7);
    assert_true(x2_first < CHI2_9_5E7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_and_commit), cmocka_unit_test(test_seed_new),
        cmocka_unit_test(test_prepare),        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_worked_example), cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_invariants),     cmocka_unit_test(test_verify_tampering),
        cmocka_unit_test(test_fairness),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
