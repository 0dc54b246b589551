/* test_gw_wecom.c: WeCom prompt eligibility, the `state` naming a room, the prompt link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "gw_wecom.h"

#define NOW 1700000000

static struct gw_wecom_config cfg(void)
{
    struct gw_wecom_config c;

    gw_wecom_config_defaults(&c);
    return c;
}

/* A viewer who has watched 5 minutes, commented once, never been prompted. */
static struct gw_wecom_viewer engaged(void)
{
    return (struct gw_wecom_viewer){.joined_at_s = NOW - 300, .comments = 1};
}

static void test_defaults(void **state)
{
    struct gw_wecom_config c = cfg();

    (void)state;
    assert_int_equal(c.min_watch_s, 60);
    assert_int_equal(c.cooldown_s, 600);
    assert_int_equal(c.min_likes, 10);
}

static void test_eligibility(void **state)
{
    struct gw_wecom_config c = cfg();
    struct gw_wecom_viewer v = engaged();

    (void)state;
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_ELIGIBLE);

    /* Watch time: 59 s is too new, 60 s is enough. */
    v.joined_at_s = NOW - 59;
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_TOO_NEW);
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_MANUAL, NOW), GW_WECOM_ELIGIBLE);
    v.joined_at_s = NOW - 60;
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_ELIGIBLE);

    /* Cooldown: 599 s after a prompt is too soon, 600 s is not. */
    v.last_prompted_s = NOW - 599;
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_COOLDOWN);
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_MANUAL, NOW), GW_WECOM_ELIGIBLE);
    v.last_prompted_s = NOW - 600;
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_ELIGIBLE);

    /* Engagement: any comment, click or order, or enough likes. */
    v = engaged();
    v.comments = 0;
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_NOT_ENGAGED);
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_MANUAL, NOW), GW_WECOM_ELIGIBLE);
    v.likes = 9;
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_NOT_ENGAGED);
    v.likes = 10;
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_ELIGIBLE);
    v.likes = 0;
    v.clicks = 1;
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_ELIGIBLE);
    v.clicks = 0;
    v.orders = 1;
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_ELIGIBLE);

    /* Added: never again, not even by hand; it is the first rule reported. */
    v = engaged();
    v.added = true;
    v.joined_at_s = NOW;
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_ADDED);
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_MANUAL, NOW), GW_WECOM_ADDED);

    /* Rules are reported in order: too new before cooldown before engagement. */
    v = (struct gw_wecom_viewer){.joined_at_s = NOW, .last_prompted_s = NOW};
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_TOO_NEW);
    v.joined_at_s = NOW - 100;
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_COOLDOWN);
    v.last_prompted_s = 0;
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_NOT_ENGAGED);

    /* A zero configuration lets everyone who has not added through. */
    c = (struct gw_wecom_config){0};
    v = (struct gw_wecom_viewer){.joined_at_s = NOW, .last_prompted_s = NOW};
    assert_int_equal(gw_wecom_check(&c, &v, GW_WECOM_AUTO, NOW), GW_WECOM_ELIGIBLE);

    assert_string_equal(gw_wecom_verdict_name(GW_WECOM_ELIGIBLE), "eligible");
    assert_string_equal(gw_wecom_verdict_name(GW_WECOM_NOT_ENGAGED), "not_engaged");
}

static void test_state(void **state)
{
    char s1[GW_WECOM_STATE_MAX + 1], s2[GW_WECOM_STATE_MAX + 1];
    /* 30 characters: kept whole. */
    static const char r30[] = "abcdefghijklmnopqrstuvwxyz0123";
    static const char r31[] = "abcdefghijklmnopqrstuvwxyz01234";
#define R64 "abcdefghijklmnopqrstuvwxyz0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
    static const char r64[] = R64;

    (void)state;
    assert_int_equal(gw_wecom_state("demo", s1), 4);
    assert_string_equal(s1, "demo");
    assert_int_equal(gw_wecom_state(r30, s1), 30);
    assert_string_equal(s1, r30);

    /* Longer: 21 characters, '.', 8 hex digits of SHA-256(room) (test_state_vector). */
    assert_int_equal(gw_wecom_state(r31, s1), 30);
    assert_int_equal(strlen(s1), 30);
    assert_memory_equal(s1, "abcdefghijklmnopqrstu.", 22);
    assert_int_equal(gw_wecom_state(r64, s2), 30);
    assert_memory_equal(s2, "abcdefghijklmnopqrstu.", 22);
    assert_string_not_equal(s1, s2); /* same head, told apart by the hash */
    for (int i = 22; i < 30; i++)
        assert_non_null(strchr("0123456789abcdef", s1[i]));

    assert_int_equal(gw_wecom_state("", s1), -EINVAL);
    assert_int_equal(gw_wecom_state("a b", s1), -EINVAL);
    assert_int_equal(gw_wecom_state("a.b", s1), -EINVAL);
    assert_int_equal(gw_wecom_state(R64 "x", s1), -EINVAL); /* 65 characters */
}

static void test_state_vector(void **state)
{
    char s[GW_WECOM_STATE_MAX + 1];

    (void)state;
    /* printf %s abcdefghijklmnopqrstuvwxyz01234 | sha256sum -> 306e28ed... */
    gw_wecom_state("abcdefghijklmnopqrstuvwxyz01234", s);
    assert_string_equal(s, "abcdefghijklmnopqrstu.306e28ed");
}

static void expect_link(const char *link, const char *room, const char *want)
{
    char out[GW_WECOM_LINK_MAX];
    int n = gw_wecom_link(link, room, out, sizeof(out));

    if (n < 0)
        fail_msg("%s: error %d", link, n);
    assert_string_equal(out, want);
    assert_int_equal(n, (int)strlen(want));
}

static void test_link(void **state)
{
    (void)state;
    expect_link("https://work.weixin.qq.com/ca/cawcde1", "demo",
                "https://work.weixin.qq.com/ca/cawcde1?state=demo");
    expect_link("https://x.example/c?a=1&b=2", "r1", "https://x.example/c?a=1&b=2&state=r1");
    expect_link("https://x.example/c?", "r1", "https://x.example/c?state=r1");
    expect_link("https://x.example/c?&a=1&&", "r1", "https://x.example/c?a=1&state=r1");
    /* An existing state is replaced, wherever it is; look-alikes stay. */
    expect_link("https://x.example/c?state=old&a=1", "r1", "https://x.example/c?a=1&state=r1");
    expect_link("https://x.example/c?a=1&state=old", "r1", "https://x.example/c?a=1&state=r1");
    expect_link("https://x.example/c?a=1&state&b=2", "r1", "https://x.example/c?a=1&b=2&state=r1");
    expect_link("https://x.example/c?states=1&xstate=2", "r1",
                "https://x.example/c?states=1&xstate=2&state=r1");
    /* The fragment stays last, and a '?' inside it is not the query. */
    expect_link("https://x.example/c#top", "r1", "https://x.example/c?state=r1#top");
    expect_link("https://x.example/c?a=1#x?y=2", "r1", "https://x.example/c?a=1&state=r1#x?y=2");
}

static void test_link_errors_and_sizes(void **state)
{
    char out[GW_WECOM_LINK_MAX], big[1100];
    const char *want = "https://x.example/c?state=demo";
    size_t n = strlen(want);

    (void)state;
    assert_int_equal(gw_wecom_link("", "demo", out, sizeof(out)), -EINVAL);
    assert_int_equal(gw_wecom_link("https://x.example/a b", "demo", out, sizeof(out)), -EINVAL);
    assert_int_equal(gw_wecom_link("https://x.example/\t", "demo", out, sizeof(out)), -EINVAL);
    assert_int_equal(gw_wecom_link("https://x.example/", "de mo", out, sizeof(out)), -EINVAL);

    /* Exactly enough room, and one byte less. */
    assert_int_equal(gw_wecom_link("https://x.example/c", "demo", out, n + 1), (int)n);
    assert_string_equal(out, want);
    assert_int_equal(gw_wecom_link("https://x.example/c", "demo", out, n), -ENOSPC);
    assert_int_equal(gw_wecom_link("https://x.example/c", "demo", out, 0), -ENOSPC);
    assert_int_equal(gw_wecom_link("https://x.example/c#frag", "demo", out, n + 1), -ENOSPC);

    /* The longest configured link with the longest state fits GW_WECOM_LINK_MAX. */
    memset(big, 'a', 1024);
    memcpy(big, "https://x.example/", 18);
    big[1024] = '\0';
    assert_int_equal(gw_wecom_link(big, "abcdefghijklmnopqrstuvwxyz0123456789", out, sizeof(out)),
                     1024 + 7 + 30);
    big[1024] = 'a';
    big[1025] = '\0';
    assert_int_equal(gw_wecom_link(big, "demo", out, sizeof(out)), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults), cmocka_unit_test(test_eligibility),
        cmocka_unit_test(test_state),    cmocka_unit_test(test_state_vector),
        cmocka_unit_test(test_link),     cmocka_unit_test(test_link_errors_and_sizes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
