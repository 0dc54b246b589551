/* test_proto_utf8.c: unit tests of proto_utf8 (validation, counting, cutting, trimming). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "guard.h"
#include "proto_utf8.h"

/* Every check runs on a guarded copy, so any read past the end faults. */
static bool valid(const char *s, size_t len)
{
    return proto_utf8_is_valid(guard_copy(s, len), len);
}

#define VALID(lit)   assert_true(valid(lit, sizeof(lit) - 1))
#define INVALID(lit) assert_false(valid(lit, sizeof(lit) - 1))

static void test_valid(void **state)
{
    (void)state;
    VALID("");
    VALID("plain ascii");
    VALID("\xC2\x80");         /* U+0080, smallest 2-byte */
    VALID("\xC3\xA9");         /* é */
    VALID("\xDF\xBF");         /* U+07FF */
    VALID("\xE0\xA0\x80");     /* U+0800, smallest 3-byte */
    VALID("\xE4\xB8\xAD");     /* 中 */
    VALID("\xED\x9F\xBF");     /* U+D7FF, just below the surrogates */
    VALID("\xEE\x80\x80");     /* U+E000, just above them */
    VALID("\xEF\xBF\xBF");     /* U+FFFF */
    VALID("\xF0\x90\x80\x80"); /* U+10000, smallest 4-byte */
    VALID("\xF0\x9F\x98\x80"); /* emoji */
    VALID("\xF4\x8F\xBF\xBF"); /* U+10FFFF, the last code point */
    VALID("a\0b");             /* NUL is a code point */
    VALID("mixed \xE4\xB8\xAD and \xF0\x9F\x98\x80!");
}

static void test_overlongs(void **state)
{
    (void)state;
    INVALID("\xC0\x80"); /* overlong NUL */
    INVALID("\xC0\xAF"); /* overlong '/' */
    INVALID("\xC1\xBF"); /* overlong U+007F */
    INVALID("\xE0\x80\x80");
    INVALID("\xE0\x9F\xBF"); /* overlong U+07FF */
    INVALID("\xF0\x80\x80\x80");
    INVALID("\xF0\x8F\xBF\xBF"); /* overlong U+FFFF */
}

static void test_surrogates_and_range(void **state)
{
    (void)state;
    INVALID("\xED\xA0\x80");             /* U+D800 */
    INVALID("\xED\xAF\xBF");             /* U+DBFF */
    INVALID("\xED\xB0\x80");             /* U+DC00 */
    INVALID("\xED\xBF\xBF");             /* U+DFFF */
    INVALID("\xED\xA0\xBD\xED\xB8\x80"); /* a CESU-8 pair */
    INVALID("\xF4\x90\x80\x80");         /* U+110000 */
    INVALID("\xF5\x80\x80\x80");
    INVALID("\xF7\xBF\xBF\xBF");
    INVALID("\xF8\x88\x80\x80\x80"); /* old 5-byte form */
    INVALID("\xFE");
    INVALID("\xFF");
}

static void test_truncated_and_broken(void **state)
{
    (void)state;
    INVALID("\xC3"); /* at the very end of the guarded area */
    INVALID("\xE4\xB8");
    INVALID("\xF0\x9F\x98");
    INVALID("\xF0");
    INVALID("ok\xE4");
    INVALID("\x80"); /* lone continuation */
    INVALID("\xBF\xBF");
    INVALID("\xC3\x41"); /* continuation replaced by ASCII */
    INVALID("\xE4\x41\xAD");
    INVALID("\xE4\xB8\x41");
    INVALID("\xF0\x9F\x98\x41");
    INVALID("\xF0\x9F\x98\x80\x80"); /* one continuation too many */
}

static void test_valid_prefix(void **state)
{
    (void)state;
    assert_int_equal(proto_utf8_valid_prefix(guard_copy("ab\xC3", 3), 3), 2);
    assert_int_equal(proto_utf8_valid_prefix(guard_copy("\xE4\xB8\xAD\xFFx", 5), 5), 3);
    assert_int_equal(proto_utf8_valid_prefix(guard_copy("\xED\xA0\x80", 3), 3), 0);
    assert_int_equal(proto_utf8_valid_prefix(guard_copy("abc", 3), 3), 3);
    assert_int_equal(proto_utf8_valid_prefix("", 0), 0);
}

static void test_count(void **state)
{
    static const char s[] = "a\xE4\xB8\xAD\xF0\x9F\x98\x80\xC3\xA9";

    (void)state;
    assert_int_equal(proto_utf8_count("", 0), 0);
    assert_int_equal(proto_utf8_count("abc", 3), 3);
    assert_int_equal(proto_utf8_count(guard_copy(s, sizeof(s) - 1), sizeof(s) - 1), 4);
    assert_int_equal(proto_utf8_count("a\0b", 3), 3);
}

static void test_prefix(void **state)
{
    /* a(1) 中(3) 😀(4) b(1) */
    static const char s[] = "a\xE4\xB8\xAD\xF0\x9F\x98\x80"
                            "b";
    size_t len = sizeof(s) - 1;
    const char *g = guard_copy(s, len);

    (void)state;
    assert_int_equal(proto_utf8_prefix(g, len, 0), 0);
    assert_int_equal(proto_utf8_prefix(g, len, 1), 1);
    assert_int_equal(proto_utf8_prefix(g, len, 2), 4);
    assert_int_equal(proto_utf8_prefix(g, len, 3), 8);
    assert_int_equal(proto_utf8_prefix(g, len, 4), 9);
    assert_int_equal(proto_utf8_prefix(g, len, 100), 9);
    assert_int_equal(proto_utf8_prefix("", 0, 5), 0);
}

/* Trims lit and checks that exactly want remains. */
static void check_trim(const char *lit, size_t lit_len, const char *want)
{
    const char *s = guard_copy(lit, lit_len);
    size_t len = lit_len;

    proto_utf8_trim(&s, &len);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(s, want, len);
}

#define TRIM(lit, want) check_trim(lit, sizeof(lit) - 1, want)

static void test_trim(void **state)
{
    (void)state;
    TRIM("", "");
    TRIM("abc", "abc");
    TRIM("  abc  ", "abc");
    TRIM(" \t\n\v\f\rabc \t\n\v\f\r", "abc");
    TRIM("a b", "a b");                                             /* inner space stays */
    TRIM("\xE3\x80\x80\xE5\xA5\xBD\xE3\x80\x80", "\xE5\xA5\xBD");   /* U+3000 both sides */
    TRIM("\xE3\x80\x80\xE3\x80\x80", "");                           /* only ideographic spaces */
    TRIM("\xC2\xA0x\xC2\xA0", "x");                                 /* U+00A0 */
    TRIM("\xEF\xBB\xBFx", "x");                                     /* BOM U+FEFF */
    TRIM("\xE1\x9A\x80x\xE2\x80\x8A", "x");                         /* U+1680, U+200A */
    TRIM("\xE2\x80\x80x\xE2\x80\xA8\xE2\x80\xA9", "x");             /* U+2000, U+2028, U+2029 */
    TRIM("\xE2\x80\xAFx\xE2\x81\x9F", "x");                         /* U+202F, U+205F */
    TRIM("\xE2\x80\x8Bx\xE2\x80\x8B", "\xE2\x80\x8Bx\xE2\x80\x8B"); /* U+200B is not space */
    TRIM("   ", "");
    TRIM(" \xF0\x9F\x98\x80 ", "\xF0\x9F\x98\x80");
}

/* Broken input must not make trim read out of bounds; it stops at the bad bytes. */
static void test_trim_invalid_input(void **state)
{
    (void)state;
    TRIM(" \x80", "\x80");
    TRIM("\xE3\x80", "\xE3\x80");
    TRIM("x\xE3\x80", "x\xE3\x80");
    TRIM(" \xBF\xBF\xBF\xBF", "\xBF\xBF\xBF\xBF");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_overlongs),
        cmocka_unit_test(test_surrogates_and_range),
        cmocka_unit_test(test_truncated_and_broken),
        cmocka_unit_test(test_valid_prefix),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_trim),
        cmocka_unit_test(test_trim_invalid_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
