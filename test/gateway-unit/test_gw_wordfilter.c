/* test_gw_wordfilter.c: the word filter: normalization, matching, masking, loading, and
 * reloads while other threads match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"
#include "gw_wordfilter.h"

static struct gw_wordfilter *build(const char *list)
{
    struct gw_wordfilter_err err = {0};
    struct gw_wordfilter *f = gw_wordfilter_build(list, strlen(list), &err);

    if (f == NULL)
        fail_msg("build failed: %s", err.msg);
    return f;
}

/* Matches text placed right before an unreadable page, so any over-read faults. */
static bool match(const struct gw_wordfilter *f, const char *text)
{
    size_t len = strlen(text);

    return gw_wordfilter_match(f, guard_copy(text, len), len);
}

/* Masks text (guarded as above) into a static buffer; *masked gets the count. */
static const char *mask(const struct gw_wordfilter *f, const char *text, size_t *masked)
{
    static char out[4096];
    size_t len = strlen(text), n;

    n = gw_wordfilter_mask(f, guard_copy(text, len), len, out, masked);
    assert_true(n <= len);
    assert_int_equal(strlen(out), n);
    return out;
}

static void test_fold(void **state)
{
    (void)state;
    assert_int_equal(gw_wordfilter_fold('A'), 'a');
    assert_int_equal(gw_wordfilter_fold('z'), 'z');
    assert_int_equal(gw_wordfilter_fold('7'), '7');
    assert_int_equal(gw_wordfilter_fold(0xFF26), 'f');    /* Ｆ */
    assert_int_equal(gw_wordfilter_fold(0xFF46), 'f');    /* ｆ */
    assert_int_equal(gw_wordfilter_fold(0xFF10), '0');    /* ０ */
    assert_int_equal(gw_wordfilter_fold(0x50BB), 0x50BB); /* 傻 */
    assert_int_equal(gw_wordfilter_fold(0x00E9), 0x00E9); /* é stays */
    assert_int_equal(gw_wordfilter_fold(0x0416), 0x0416); /* Cyrillic is not folded */
    static const uint32_t ignored[] = {
        0x00,   ' ',    '\t',   '.',    '*',     '#',     '_',     '~',     0x7F,       0x85,
        0xA0,   0xAD,   0xB7,   0xD7,   0x0336,  0x200B,  0x200D,  0x2060,  0x202E,     0x2026,
        0x3000, 0x3001, 0x3002, 0x300C, 0x3011,  0x30FB,  0xFEFF,  0xFF01,  0xFF0E,     0xFF0C,
        0xFF5E, 0xFF61, 0xFE0F, 0x2764, 0x1F600, 0x1F602, 0xE0041, 0xE0101, 0x2E80 - 1,
    };
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        if (gw_wordfilter_fold(ignored[i]) != GW_WORDFILTER_IGNORED)
            fail_msg("U+%04X should be ignored", ignored[i]);
    /* Neighbours of ignored ranges stay. */
    static const uint32_t kept[] = {0xC0, 0x2070, 0x2E80, 0x3004, 0x3012, 0x3041, 0xFF66, 0x1FB00};
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        if (gw_wordfilter_fold(kept[i]) != kept[i])
            fail_msg("U+%04X should be kept", kept[i]);
}

static void test_match_plain_and_evasions(void **state)
{
    struct gw_wordfilter *f = build("傻逼\nfuck\n加微信\n");

    (void)state;
    assert_int_equal(gw_wordfilter_count(f), 3);
    assert_true(match(f, "傻逼"));
    assert_true(match(f, "你个傻逼啊"));
    assert_true(match(f, "傻 逼"));
    assert_true(match(f, "傻\xe2\x80\x8b逼")); /* zero-width space */
    assert_true(match(f, "傻。逼"));           /* CJK full stop */
    assert_true(match(f, "傻\xe3\x80\x80逼")); /* ideographic space */
    assert_true(match(f, "傻😀逼"));            /* emoji between */
    assert_true(match(f, "FUCK"));
    assert_true(match(f, "f.u.c.k"));
    assert_true(match(f, "f u c k you"));
    assert_true(match(f, "ｆｕｃｋ")); /* full-width */
    assert_true(match(f, "ＦＵＣＫ"));
    assert_true(match(f, "f\xcc\xb6u\xcc\xb6"
                         "c\xcc\xb6k\xcc\xb6")); /* combining stroke */
    assert_true(match(f, "F-u_C*k!"));
    assert_true(match(f, "加 微 信 好友"));
    assert_true(match(f, "加【微】信"));

    assert_false(match(f, ""));
    assert_false(match(f, "傻"));
    assert_false(match(f, "傻子逼")); /* another character between breaks it */
    assert_false(match(f, "duck"));
    assert_false(match(f, "fuc"));
    assert_false(match(f, "f0ck"));
    assert_false(match(f, "加微"));
    assert_false(match(NULL, "fuck"));
    gw_wordfilter_free(f);
}

static void test_invalid_utf8_text(void **state)
{
    struct gw_wordfilter *f = build("ab\n");
    size_t masked;

    (void)state;
    assert_true(match(f, "\xff"
                         "ab\xfe"));
    assert_false(match(f, "a\xff"
                          "b")); /* a stray byte breaks a match */
    assert_false(match(f, "a\xe5\xa5"
                          "b")); /* so does a truncated sequence */
    assert_false(match(f, "a\xc0\xae"
                          "b")); /* an overlong '.' is not a '.' */
    assert_string_equal(mask(f,
                             "\xff"
                             "ab\xff",
                             &masked),
                        "\xff**\xff");
    assert_int_equal(masked, 2);
    assert_string_equal(mask(f,
                             "a\xff"
                             "b",
                             &masked),
                        "a\xff"
                        "b");
    assert_int_equal(masked, 0);
    /* A match cut by the end of the text. */
    assert_false(match(f, "a\xe5"));
    gw_wordfilter_free(f);
}

static void test_mask(void **state)
{
    struct gw_wordfilter *f = build("傻逼\nfuck\nabc\nbcd\nxyz\nx\n");
    size_t masked;

    (void)state;
    assert_string_equal(mask(f, "hello fuck world", &masked), "hello **** world");
    assert_int_equal(masked, 4);
    assert_string_equal(mask(f, "f.u.c.k!", &masked), "*******!");
    assert_int_equal(masked, 7);
    assert_string_equal(mask(f, "傻 逼好", &masked), "***好");
    assert_string_equal(mask(f, "你傻逼", &masked), "你**");
    assert_int_equal(masked, 2);
    assert_string_equal(mask(f, "ｆｕｃｋ", &masked), "****");
    assert_string_equal(mask(f, "abcd", &masked), "****"); /* overlapping words merge */
    assert_string_equal(mask(f, "abce", &masked), "***e");
    assert_string_equal(mask(f, "zxyz", &masked), "z***"); /* x inside xyz */
    assert_string_equal(mask(f, "x.x", &masked), "*.*");
    assert_int_equal(masked, 2);
    assert_string_equal(mask(f, "nothing here", &masked), "nothing here");
    assert_int_equal(masked, 0);
    assert_string_equal(mask(f, "", &masked), "");
    assert_int_equal(masked, 0);
    assert_string_equal(mask(NULL, "fuck", &masked), "fuck");
    assert_int_equal(masked, 0);
    /* Ignored characters around an occurrence stay; those inside are masked. */
    assert_string_equal(mask(f, " (f\xe2\x80\x8buck) ", &masked), " (*****) ");
    gw_wordfilter_free(f);
}

static void test_list_format(void **state)
{
    struct gw_wordfilter *f;

    (void)state;
    /* BOM, CRLF, comments, blank lines, repeats in several forms, spaces inside. */
    f = build("\xef\xbb\xbf# sensitive words\r\n"
              "\r\n"
              "   \t \r\n"
              "FUCK   # English\r\n"
              "fuck\n"
              "ｆｕｃｋ\n"
              "f u c k\n"
              "  傻逼  \n"
              "#傻子\n"
              "last-word-no-newline");
    assert_int_equal(gw_wordfilter_count(f), 3);
    assert_true(match(f, "fuck"));
    assert_true(match(f, "傻逼"));
    assert_false(match(f, "傻子"));
    assert_true(match(f, "lastwordnonewline"));
    assert_true(gw_wordfilter_memory(f) > 0);
    gw_wordfilter_free(f);

    f = build("");
    assert_int_equal(gw_wordfilter_count(f), 0);
    assert_false(match(f, "anything"));
    gw_wordfilter_free(f);
}

static void expect_error(const char *list, size_t len, unsigned long line, const char *needle)
{
    struct gw_wordfilter_err err = {0};
    struct gw_wordfilter *f = gw_wordfilter_build(list, len, &err);

    assert_null(f);
    if (err.line != line || strstr(err.msg, needle) == NULL)
        fail_msg("want line %lu with '%s', got line %lu: %s", line, needle, err.line, err.msg);
}

static void test_load_errors(void **state)
{
    char big[GW_WORDFILTER_LINE_MAX + 40];
    char *many;
    size_t n = 0;

    (void)state;
    expect_error("ok\nok2\nbad\xff\n", 12, 3, "line 3: not valid UTF-8");
    expect_error("a\nb\0c\n", 6, 2, "line 2: holds a NUL byte");
    expect_error("a\n!!!\n", 6, 2, "only spaces, punctuation or symbols");
    expect_error("a\n😀😀\n", strlen("a\n😀😀\n"), 2, "can match");
    expect_error("a\xed\xa0\x80\n", 5, 1, "not valid UTF-8"); /* surrogate */

    /* 64 characters is fine, 65 is not; ignored characters do not count. */
    memset(big, 'a', 64);
    memcpy(big + 64, " . \n", 4);
    assert_non_null(big);
    {
        struct gw_wordfilter *f = gw_wordfilter_build(big, 68, NULL);

        assert_non_null(f);
        gw_wordfilter_free(f);
    }
    memset(big, 'a', 65);
    big[65] = '\n';
    expect_error(big, 66, 1, "word longer than 64 characters");

    /* Line length counts the comment, not the line end. */
    memset(big, ' ', sizeof(big));
    big[0] = 'a';
    big[1] = '#';
    big[GW_WORDFILTER_LINE_MAX] = '\r';
    big[GW_WORDFILTER_LINE_MAX + 1] = '\n';
    {
        struct gw_wordfilter *f = gw_wordfilter_build(big, GW_WORDFILTER_LINE_MAX + 2, NULL);

        assert_non_null(f);
        gw_wordfilter_free(f);
    }
    big[GW_WORDFILTER_LINE_MAX] = ' ';
    big[GW_WORDFILTER_LINE_MAX + 1] = '\n';
    memcpy(big + GW_WORDFILTER_LINE_MAX + 2, "ok\n", 3);
    expect_error(big, GW_WORDFILTER_LINE_MAX + 2, 1, "longer than 1024 bytes");

    /* Word count: the limit itself loads, one more fails on its line. */
    many = malloc((GW_WORDFILTER_WORDS_MAX + 1) * 8);
    assert_non_null(many);
    for (int i = 0; i <= GW_WORDFILTER_WORDS_MAX; i++)
        n += (size_t)sprintf(many + n, "w%d\n", i);
    {
        size_t upto = n - strlen("w100000\n");
        struct gw_wordfilter *f = gw_wordfilter_build(many, upto, NULL);

        assert_non_null(f);
        assert_int_equal(gw_wordfilter_count(f), GW_WORDFILTER_WORDS_MAX);
        assert_true(match(f, "xxw99999xx"));
        gw_wordfilter_free(f);
    }
    expect_error(many, n, GW_WORDFILTER_WORDS_MAX + 1, "more than 100000 words");
    free(many);
}

static void test_load_file(void **state)
{
    char path[] = "/tmp/test_gw_wordfilter_XXXXXX";
    struct gw_wordfilter_err err = {0};
    struct gw_wordfilter *f;
    int fd = mkstemp(path);
    static const char list[] = "# list\n傻逼\nfuck\n";

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, list, sizeof(list) - 1), (ssize_t)sizeof(list) - 1);
    close(fd);
    f = gw_wordfilter_load(path, &err);
    assert_non_null(f);
    assert_int_equal(gw_wordfilter_count(f), 2);
    assert_true(match(f, "傻.逼"));
    gw_wordfilter_free(f);

    fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "\xc3\n", 2), 2);
    close(fd);
    assert_null(gw_wordfilter_load(path, &err));
    assert_int_equal(err.line, 4);
    assert_non_null(strstr(err.msg, "not valid UTF-8"));
    unlink(path);

    assert_null(gw_wordfilter_load(path, &err));
    assert_int_equal(err.line, 0);
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_null(gw_wordfilter_load("/tmp", &err));
    assert_non_null(strstr(err.msg, "not a regular file"));
}

/* ---- against a brute-force reference ------------------------------------------------ */

/* Code points the random words and texts are made of: letters in both cases and
 * widths, CJK, ignored ones, and characters no word holds. */
static const uint32_t alphabet[] = {'a', 'b', 'c',    'A',    'B', 0xFF41 /* ａ */, 0x50BB, 0x903C,
                                    '.', ' ', 0x200B, 0x3002, 'x', 0x4F60,          0x1F600};
#define ALPHA_N (sizeof(alphabet) / sizeof(alphabet[0]))

static size_t put_utf8(char *p, uint32_t c)
{
    if (c < 0x80) {
        p[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        p[0] = (char)(0xC0 | (c >> 6));
        p[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        p[0] = (char)(0xE0 | (c >> 12));
        p[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        p[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    p[0] = (char)(0xF0 | (c >> 18));
    p[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    p[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    p[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* The reference: fold both sides, drop ignored code points, find every occurrence by
 * brute force, and mask the code points from its first to its last character. */
static void reference(uint32_t words[][6], const size_t *wlen, size_t nw, const uint32_t *text,
                      size_t tn, bool *hit, bool *masked_cp)
{
    uint32_t norm[64];
    size_t where[64], nn = 0;

    for (size_t i = 0; i < tn; i++) {
        uint32_t c = gw_wordfilter_fold(text[i]);

        masked_cp[i] = false;
        if (c != GW_WORDFILTER_IGNORED) {
            norm[nn] = c;
            where[nn++] = i;
        }
    }
    *hit = false;
    for (size_t k = 0; k < nw; k++) {
        uint32_t w[6];
        size_t wn = 0;

        for (size_t j = 0; j < wlen[k]; j++)
            if (gw_wordfilter_fold(words[k][j]) != GW_WORDFILTER_IGNORED)
                w[wn++] = gw_wordfilter_fold(words[k][j]);
        for (size_t s = 0; wn > 0 && s + wn <= nn; s++) {
            if (memcmp(norm + s, w, wn * sizeof(uint32_t)) != 0)
                continue;
            *hit = true;
            for (size_t i = where[s]; i <= where[s + wn - 1]; i++)
                masked_cp[i] = true;
        }
    }
}

static void test_against_reference(void **state)
{
    unsigned int seed = 20240611;

    (void)state;
    for (int round = 0; round < 3000; round++) {
        uint32_t words[6][6], text[40];
        size_t wlen[6], nw = 1 + (size_t)rand_r(&seed) % 6, tn = (size_t)rand_r(&seed) % 40;
        char list[512], tbuf[256], want[256], out[257];
        size_t ln = 0, tl = 0, wl = 0, got_masked = 0, want_masked = 0;
        bool hit, mcp[40];
        struct gw_wordfilter *f;

        for (size_t k = 0; k < nw; k++) {
            wlen[k] = 1 + (size_t)rand_r(&seed) % 5;
            for (size_t j = 0; j < wlen[k]; j++) {
                /* Words mostly from the matchable letters, so they occur often. */
                words[k][j] = alphabet[(size_t)rand_r(&seed) % (j == 0 ? 8 : ALPHA_N)];
                ln += put_utf8(list + ln, words[k][j]);
            }
            list[ln++] = '\n';
        }
        for (size_t i = 0; i < tn; i++) {
            text[i] = alphabet[(size_t)rand_r(&seed) % ALPHA_N];
            tl += put_utf8(tbuf + tl, text[i]);
        }
        reference(words, wlen, nw, text, tn, &hit, mcp);
        for (size_t i = 0; i < tn; i++) {
            if (mcp[i]) {
                want[wl++] = '*';
                want_masked++;
            } else {
                wl += put_utf8(want + wl, text[i]);
            }
        }
        want[wl] = '\0';

        f = gw_wordfilter_build(list, ln, NULL);
        assert_non_null(f); /* every word starts with a matchable letter */
        assert_true(gw_wordfilter_count(f) >= 1 && gw_wordfilter_count(f) <= nw);
        if (gw_wordfilter_match(f, guard_copy(tbuf, tl), tl) != hit)
            fail_msg("round %d: match says %d, reference %d", round, !hit, hit);
        assert_int_equal(gw_wordfilter_mask(f, guard_copy(tbuf, tl), tl, out, &got_masked), wl);
        if (strcmp(out, want) != 0)
            fail_msg("round %d: mask '%s', reference '%s'", round, out, want);
        assert_int_equal(got_masked, want_masked);
        gw_wordfilter_free(f);
    }
}

/* ---- reload while matching ---------------------------------------------------------- */

#define READERS 3

struct reload_ctx {
    struct gw_wordfilter_ref ref;
    atomic_bool stop;
    atomic_long reads[READERS];
    atomic_int bad;
};

struct reader_arg {
    struct reload_ctx *ctx;
    unsigned idx;
};

/* Every filter the writer installs holds exactly one of "alpha" and "beta", and the
 * reader checks that the filter it holds stays whole while it uses it. */
static void *reader_main(void *p)
{
    struct reader_arg *a = p;
    struct reload_ctx *c = a->ctx;
    char out[64];
    long n = 0;

    /* relaxed: a stop flag; the join orders everything else. */
    while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
        const struct gw_wordfilter *f = gw_wordfilter_ref_acquire(&c->ref, a->idx);

        if (f != NULL) {
            bool alpha = gw_wordfilter_match(f, "say a.l.p.h.a!", 14);
            bool beta = gw_wordfilter_match(f, "say b e t a", 11);
            size_t masked;

            gw_wordfilter_mask(f, "alphabeta", 9, out, &masked);
            if (alpha == beta || masked != (alpha ? 5u : 4u) || gw_wordfilter_count(f) != 2)
                atomic_fetch_add_explicit(&c->bad, 1, memory_order_relaxed);
        }
        gw_wordfilter_ref_release(&c->ref, a->idx);
        /* Through the convenience wrapper too. */
        if (gw_wordfilter_ref_match(&c->ref, a->idx, "nothing", 7))
            atomic_fetch_add_explicit(&c->bad, 1, memory_order_relaxed);
        n++;
    }
    atomic_store_explicit(&c->reads[a->idx], n, memory_order_relaxed);
    return NULL;
}

static void test_reload_while_matching(void **state)
{
    struct reload_ctx *c = calloc(1, sizeof(*c));
    struct reader_arg args[READERS];
    pthread_t th[READERS];
    char out[32];
    size_t masked;

    (void)state;
    assert_non_null(c);
    assert_int_equal(gw_wordfilter_ref_init(&c->ref, 0, NULL), -EINVAL);
    assert_int_equal(gw_wordfilter_ref_init(&c->ref, READERS, build("alpha\nzzz\n")), 0);
    for (unsigned i = 0; i < READERS; i++) {
        args[i] = (struct reader_arg){c, i};
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &args[i]), 0);
    }
    for (int k = 0; k < 300; k++) {
        gw_wordfilter_ref_swap(&c->ref, build(k % 2 ? "alpha\nyyy\n" : "beta\nzzz\n"));
        if (k % 50 == 0)
            gw_wordfilter_ref_swap(&c->ref, NULL); /* no filter for a moment */
        if (k % 50 == 0)
            gw_wordfilter_ref_swap(&c->ref, build("alpha\nxxx\n"));
    }
    /* Let every reader get going on the last filter before stopping. */
    usleep(20000);
    atomic_store_explicit(&c->stop, true, memory_order_relaxed);
    for (unsigned i = 0; i < READERS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&c->bad), 0);
    for (unsigned i = 0; i < READERS; i++)
        assert_true(atomic_load(&c->reads[i]) > 0);
    /* The last filter installed holds "alpha". */
    assert_true(gw_wordfilter_ref_match(&c->ref, 0, "alpha", 5));
    assert_int_equal(gw_wordfilter_ref_mask(&c->ref, 1, "xalphax", 7, out, &masked), 7);
    assert_string_equal(out, "x*****x");
    gw_wordfilter_ref_fini(&c->ref);
    gw_wordfilter_ref_fini(&c->ref); /* idempotent */
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_match_plain_and_evasions),
        cmocka_unit_test(test_invalid_utf8_text),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_list_format),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_reload_while_matching),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
