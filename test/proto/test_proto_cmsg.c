/* test_proto_cmsg.c: unit tests of proto_cmsg_decode, every message type and field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto_cmsg.h"

static struct proto_cmsg m;
static const char *reason;

static int decode(const char *json)
{
    reason = NULL;
    return proto_cmsg_decode(json, strlen(json), &m, &reason);
}

/* Expects json to be refused with exactly the reason want. */
static void refused(const char *json, const char *want)
{
    if (decode(json) != -1)
        fail_msg("accepted: %s", json);
    assert_non_null(reason);
    if (strcmp(reason, want) != 0)
        fail_msg("%s: reason \"%s\", want \"%s\"", json, reason, want);
}

/* snprintf that fails the test instead of truncating. */
static void fmt(char *buf, size_t size, const char *f, ...)
{
    va_list ap;
    int n;

    va_start(ap, f);
    n = vsnprintf(buf, size, f, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < size);
}

/* A string of n copies of the UTF-8 sequence unit, for length limits. */
static const char *repeat(const char *unit, size_t n)
{
    static char buf[4096];
    size_t u = strlen(unit);

    assert_true(u * n < sizeof(buf));
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * u, unit, u);
    buf[u * n] = '\0';
    return buf;
}

static void test_not_object(void **state)
{
    (void)state;
    refused("", "not valid JSON");
    refused("{", "not valid JSON");
    refused("{\"t\":\"ping\"", "not valid JSON");
    refused("{\"t\":\"ping\"} x", "not valid JSON");
    refused("{\"t\":NaN}", "not valid JSON");
    refused("{\"t\":\"like\",\"n\":Infinity}", "not valid JSON");
    refused("{'t':'ping'}", "not valid JSON");
    refused("{\"t\":\"like\",\"n\":99999999999999999999}", "not valid JSON");
    refused("{\"t\":\"comment\",\"text\":\"\\ud800\"}", "not valid JSON"); /* lone surrogate */
    refused("[]", "not a JSON object");
    refused("[{\"t\":\"ping\"}]", "not a JSON object");
    refused("\"ping\"", "not a JSON object");
    refused("1", "not a JSON object");
    refused("null", "not a JSON object");
    refused("true", "not a JSON object");
    refused("{\"t\":\"ping\",\"t\":\"ping\"}", "duplicate key in object");
    refused("{\"t\":\"like\",\"n\":1,\"n\":100}", "duplicate key in object");
}

static void test_type(void **state)
{
    (void)state;
    refused("{}", "missing or invalid field: t");
    refused("{\"t\":1}", "missing or invalid field: t");
    refused("{\"t\":null}", "missing or invalid field: t");
    refused("{\"t\":[\"ping\"]}", "missing or invalid field: t");
    refused("{\"t\":\"\"}", "unknown message type");
    refused("{\"t\":\"PING\"}", "unknown message type");
    refused("{\"t\":\"pong\"}", "unknown message type");
    refused("{\"t\":\"ping \"}", "unknown message type");
    refused("{\"t\":\"ping\\u0000\"}", "unknown message type");
    refused("{\"t\":\"welcome\"}", "unknown message type");

    assert_int_equal(decode("{\"t\":\"ping\"}"), 0);
    assert_int_equal(m.t, PROTO_C_PING);
    assert_false(m.has_req);
    /* Unknown extra fields are ignored, whatever they hold. */
    assert_int_equal(decode("{\"x\":[1,{\"y\":null}],\"t\":\"ping\",\"z\":1.5}"), 0);
    assert_int_equal(m.t, PROTO_C_PING);
}

static void test_req(void **state)
{
    char json[1024];

    (void)state;
    assert_int_equal(decode("{\"t\":\"ping\",\"req\":\"r-1\"}"), 0);
    assert_true(m.has_req);
    assert_string_equal(m.req, "r-1");

    /* 64 code points (192 bytes of 中) pass, 65 do not. */
    fmt(json, sizeof(json), "{\"t\":\"ping\",\"req\":\"%s\"}", repeat("\xE4\xB8\xAD", 64));
    assert_int_equal(decode(json), 0);
    assert_int_equal(strlen(m.req), 192);
    fmt(json, sizeof(json), "{\"t\":\"ping\",\"req\":\"%s\"}", repeat("a", 65));
    refused(json, "missing or invalid field: req");
    assert_false(m.has_req);

    refused("{\"t\":\"ping\",\"req\":\"\"}", "missing or invalid field: req");
    refused("{\"t\":\"ping\",\"req\":5}", "missing or invalid field: req");
    refused("{\"t\":\"ping\",\"req\":null}", "missing or invalid field: req");
    refused("{\"t\":\"ping\",\"req\":\"a\\u0000b\"}", "missing or invalid field: req");
    assert_false(m.has_req);
}

/* A refused frame still hands back its req so that the error can echo it. */
static void test_req_echo_on_error(void **state)
{
    (void)state;
    refused("{\"t\":\"nope\",\"req\":\"q1\"}", "unknown message type");
    assert_true(m.has_req);
    assert_string_equal(m.req, "q1");
    refused("{\"req\":\"q2\"}", "missing or invalid field: t");
    assert_true(m.has_req);
    assert_string_equal(m.req, "q2");
    refused("{\"t\":\"like\",\"n\":0,\"req\":\"q3\"}", "missing or invalid field: n");
    assert_true(m.has_req);
    assert_string_equal(m.req, "q3");
    refused("{\"t\":\"comment\",\"text\":\"a\\u0000\",\"req\":\"q4\"}",
            "missing or invalid field: text");
    assert_string_equal(m.req, "q4");
    /* A later failure with no req leaves none behind from an earlier call. */
    refused("{\"t\":\"nope\"}", "unknown message type");
    assert_false(m.has_req);
    assert_string_equal(m.req, "");
    refused("[\"req\"]", "not a JSON object");
    assert_false(m.has_req);
}

static void test_comment(void **state)
{
    char json[2048];

    (void)state;
    assert_int_equal(decode("{\"t\":\"comment\",\"text\":\"hello\"}"), 0);
    assert_int_equal(m.t, PROTO_C_COMMENT);
    assert_string_equal(m.u.comment.text, "hello");
    /* Trimmed, including U+3000 and escapes that decode to white space. */
    assert_int_equal(decode("{\"t\":\"comment\",\"text\":\" \\u3000\\t\xE5\xA5\xBD a\\n\"}"), 0);
    assert_string_equal(m.u.comment.text, "\xE5\xA5\xBD a");
    /* Escapes, quotes and emoji pass through decoded. */
    assert_int_equal(decode("{\"t\":\"comment\",\"text\":\"\\\"q\\\" \\ud83d\\ude00\"}"), 0);
    assert_string_equal(m.u.comment.text, "\"q\" \xF0\x9F\x98\x80");

    /* 200 code points of 4 bytes each fill the buffer exactly; 201 are refused. */
    fmt(json, sizeof(json), "{\"t\":\"comment\",\"text\":\" %s \"}",
        repeat("\xF0\x9F\x98\x80", 200));
    assert_int_equal(decode(json), 0);
    assert_int_equal(strlen(m.u.comment.text), 800);
    fmt(json, sizeof(json), "{\"t\":\"comment\",\"text\":\"%s\"}", repeat("x", 201));
    refused(json, "missing or invalid field: text");

    refused("{\"t\":\"comment\"}", "missing or invalid field: text");
    refused("{\"t\":\"comment\",\"text\":\"\"}", "missing or invalid field: text");
    refused("{\"t\":\"comment\",\"text\":\" \\u3000 \"}", "missing or invalid field: text");
    refused("{\"t\":\"comment\",\"text\":5}", "missing or invalid field: text");
    refused("{\"t\":\"comment\",\"text\":[\"a\"]}", "missing or invalid field: text");
    refused("{\"t\":\"comment\",\"text\":\"a\\u0000b\"}", "missing or invalid field: text");
}

static void test_like(void **state)
{
    (void)state;
    assert_int_equal(decode("{\"t\":\"like\",\"n\":1}"), 0);
    assert_int_equal(m.t, PROTO_C_LIKE);
    assert_int_equal(m.u.like.n, 1);
    assert_int_equal(decode("{\"t\":\"like\",\"n\":100}"), 0);
    assert_int_equal(m.u.like.n, 100);
    refused("{\"t\":\"like\"}", "missing or invalid field: n");
    refused("{\"t\":\"like\",\"n\":0}", "missing or invalid field: n");
    refused("{\"t\":\"like\",\"n\":101}", "missing or invalid field: n");
    refused("{\"t\":\"like\",\"n\":-1}", "missing or invalid field: n");
    refused("{\"t\":\"like\",\"n\":5.0}", "missing or invalid field: n");
    refused("{\"t\":\"like\",\"n\":1e1}", "missing or invalid field: n");
    refused("{\"t\":\"like\",\"n\":\"5\"}", "missing or invalid field: n");
    refused("{\"t\":\"like\",\"n\":true}", "missing or invalid field: n");
    refused("{\"t\":\"like\",\"n\":null}", "missing or invalid field: n");
    refused("{\"t\":\"like\",\"n\":9223372036854775807}", "missing or invalid field: n");
}

static void test_order(void **state)
{
    (void)state;
    assert_int_equal(decode("{\"t\":\"order\",\"sale\":\"s1\",\"qty\":2,\"req\":\"k1\"}"), 0);
    assert_int_equal(m.t, PROTO_C_ORDER);
    assert_string_equal(m.u.order.sale, "s1");
    assert_int_equal(m.u.order.qty, 2);
    assert_string_equal(m.req, "k1");
    assert_int_equal(decode("{\"t\":\"order\",\"sale\":\"s1\",\"qty\":1000000,\"req\":\"k\"}"), 0);
    assert_int_equal(m.u.order.qty, 1000000);

    refused("{\"t\":\"order\",\"sale\":\"s1\",\"qty\":2}", "missing or invalid field: req");
    refused("{\"t\":\"order\",\"qty\":2,\"req\":\"k\"}", "missing or invalid field: sale");
    refused("{\"t\":\"order\",\"sale\":\"s 1\",\"qty\":2,\"req\":\"k\"}",
            "missing or invalid field: sale");
    refused("{\"t\":\"order\",\"sale\":\"\",\"qty\":2,\"req\":\"k\"}",
            "missing or invalid field: sale");
    refused("{\"t\":\"order\",\"sale\":1,\"qty\":2,\"req\":\"k\"}",
            "missing or invalid field: sale");
    refused("{\"t\":\"order\",\"sale\":\"s1\",\"req\":\"k\"}", "missing or invalid field: qty");
    refused("{\"t\":\"order\",\"sale\":\"s1\",\"qty\":0,\"req\":\"k\"}",
            "missing or invalid field: qty");
    refused("{\"t\":\"order\",\"sale\":\"s1\",\"qty\":1000001,\"req\":\"k\"}",
            "missing or invalid field: qty");
    refused("{\"t\":\"order\",\"sale\":\"s1\",\"qty\":2.5,\"req\":\"k\"}",
            "missing or invalid field: qty");
}

static void test_viewer_small_types(void **state)
{
    char json[256];

    (void)state;
    assert_int_equal(decode("{\"t\":\"bag_join\",\"bag\":\"b1\"}"), 0);
    assert_int_equal(m.t, PROTO_C_BAG_JOIN);
    assert_string_equal(m.u.bag_join.bag, "b1");
    refused("{\"t\":\"bag_join\"}", "missing or invalid field: bag");
    refused("{\"t\":\"bag_join\",\"bag\":\"b.1\"}", "missing or invalid field: bag");

    assert_int_equal(decode("{\"t\":\"card_click\",\"sku\":\"SKU-9\"}"), 0);
    assert_int_equal(m.t, PROTO_C_CARD_CLICK);
    assert_string_equal(m.u.card_click.sku, "SKU-9");
    fmt(json, sizeof(json), "{\"t\":\"card_click\",\"sku\":\"%s\"}", repeat("s", 64));
    assert_int_equal(decode(json), 0);
    fmt(json, sizeof(json), "{\"t\":\"card_click\",\"sku\":\"%s\"}", repeat("s", 65));
    refused(json, "missing or invalid field: sku");

    assert_int_equal(decode("{\"t\":\"wecom\",\"prompt\":\"p1\",\"action\":\"shown\"}"), 0);
    assert_int_equal(m.t, PROTO_C_WECOM);
    assert_string_equal(m.u.wecom.prompt, "p1");
    assert_int_equal(m.u.wecom.action, PROTO_WECOM_SHOWN);
    assert_int_equal(decode("{\"t\":\"wecom\",\"prompt\":\"p1\",\"action\":\"clicked\"}"), 0);
    assert_int_equal(m.u.wecom.action, PROTO_WECOM_CLICKED);
    assert_int_equal(decode("{\"t\":\"wecom\",\"prompt\":\"p1\",\"action\":\"added\"}"), 0);
    assert_int_equal(m.u.wecom.action, PROTO_WECOM_ADDED);
    refused("{\"t\":\"wecom\",\"action\":\"added\"}", "missing or invalid field: prompt");
    refused("{\"t\":\"wecom\",\"prompt\":\"p1\"}", "missing or invalid field: action");
    refused("{\"t\":\"wecom\",\"prompt\":\"p1\",\"action\":\"Added\"}",
            "missing or invalid field: action");
    refused("{\"t\":\"wecom\",\"prompt\":\"p1\",\"action\":\"add\"}",
            "missing or invalid field: action");
    refused("{\"t\":\"wecom\",\"prompt\":\"p1\",\"action\":\"added\\u0000\"}",
            "missing or invalid field: action");
    refused("{\"t\":\"wecom\",\"prompt\":\"p1\",\"action\":3}", "missing or invalid field: action");

    assert_int_equal(decode("{\"t\":\"card_clear\",\"req\":\"c\"}"), 0);
    assert_int_equal(m.t, PROTO_C_CARD_CLEAR);
}

#define CARD_OK                                                                                    \
    "\"sku\":\"k1\",\"title\":\" Tea \",\"price\":1999,\"live_price\":999,"                        \
    "\"image\":\"https://img.example.com/a.jpg\",\"path\":\"/pages/goods?id=1\""

static void test_card(void **state)
{
    char json[4096];

    (void)state;
    assert_int_equal(decode("{\"t\":\"card\"," CARD_OK "}"), 0);
    assert_int_equal(m.t, PROTO_C_CARD);
    assert_string_equal(m.u.card.sku, "k1");
    assert_string_equal(m.u.card.title, "Tea");
    assert_int_equal(m.u.card.price, 1999);
    assert_int_equal(m.u.card.live_price, 999);
    assert_string_equal(m.u.card.image, "https://img.example.com/a.jpg");
    assert_string_equal(m.u.card.path, "/pages/goods?id=1");
    assert_int_equal(decode("{\"t\":\"card\",\"sku\":\"k\",\"title\":\"t\",\"price\":0,"
                            "\"live_price\":100000000000,\"image\":\"i\",\"path\":\"p\"}"),
                     0);
    assert_int_equal(m.u.card.live_price, 100000000000LL);

    refused("{\"t\":\"card\",\"title\":\"t\",\"price\":1,\"live_price\":1,\"image\":\"i\","
            "\"path\":\"p\"}",
            "missing or invalid field: sku");
    refused("{\"t\":\"card\",\"sku\":\"k\",\"title\":\"  \",\"price\":1,\"live_price\":1,"
            "\"image\":\"i\",\"path\":\"p\"}",
            "missing or invalid field: title");
    refused("{\"t\":\"card\",\"sku\":\"k\",\"title\":\"t\",\"price\":-1,\"live_price\":1,"
            "\"image\":\"i\",\"path\":\"p\"}",
            "missing or invalid field: price");
    refused("{\"t\":\"card\",\"sku\":\"k\",\"title\":\"t\",\"price\":1,\"live_price\":1.5,"
            "\"image\":\"i\",\"path\":\"p\"}",
            "missing or invalid field: live_price");
    refused("{\"t\":\"card\",\"sku\":\"k\",\"title\":\"t\",\"price\":1,"
            "\"live_price\":100000000001,\"image\":\"i\",\"path\":\"p\"}",
            "missing or invalid field: live_price");
    refused("{\"t\":\"card\",\"sku\":\"k\",\"title\":\"t\",\"price\":1,\"live_price\":1,"
            "\"image\":\"a b\",\"path\":\"p\"}",
            "missing or invalid field: image");
    refused("{\"t\":\"card\",\"sku\":\"k\",\"title\":\"t\",\"price\":1,\"live_price\":1,"
            "\"image\":\"\",\"path\":\"p\"}",
            "missing or invalid field: image");
    refused("{\"t\":\"card\",\"sku\":\"k\",\"title\":\"t\",\"price\":1,\"live_price\":1,"
            "\"image\":\"i\\n\",\"path\":\"p\"}",
            "missing or invalid field: image");
    refused("{\"t\":\"card\",\"sku\":\"k\",\"title\":\"t\",\"price\":1,\"live_price\":1,"
            "\"image\":\"i\"}",
            "missing or invalid field: path");

    /* Title: 500 code points pass, 501 do not; URL: 1024 bytes pass, 1025 do not. */
    fmt(json, sizeof(json),
        "{\"t\":\"card\",\"sku\":\"k\",\"title\":\"%s\",\"price\":1,\"live_price\":1,"
        "\"image\":\"i\",\"path\":\"p\"}",
        repeat("\xE4\xB8\xAD", 500));
    assert_int_equal(decode(json), 0);
    assert_int_equal(strlen(m.u.card.title), 1500);
    fmt(json, sizeof(json),
        "{\"t\":\"card\",\"sku\":\"k\",\"title\":\"%s\",\"price\":1,\"live_price\":1,"
        "\"image\":\"i\",\"path\":\"p\"}",
        repeat("x", 501));
    refused(json, "missing or invalid field: title");
    fmt(json, sizeof(json),
        "{\"t\":\"card\",\"sku\":\"k\",\"title\":\"t\",\"price\":1,\"live_price\":1,"
        "\"image\":\"i\",\"path\":\"%s\"}",
        repeat("p", 1024));
    assert_int_equal(decode(json), 0);
    assert_int_equal(strlen(m.u.card.path), 1024);
    fmt(json, sizeof(json),
        "{\"t\":\"card\",\"sku\":\"k\",\"title\":\"t\",\"price\":1,\"live_price\":1,"
        "\"image\":\"i\",\"path\":\"%s\"}",
        repeat("p", 1025));
    refused(json, "missing or invalid field: path");
}

#define SALE_HEAD "{\"t\":\"sale_start\",\"sale\":\"s1\",\"sku\":\"k1\","

static void test_sale(void **state)
{
    (void)state;
    assert_int_equal(decode(SALE_HEAD "\"stock\":100,\"limit\":2,\"price\":990,"
                                      "\"duration\":60,\"pay_window\":300}"),
                     0);
    assert_int_equal(m.t, PROTO_C_SALE_START);
    assert_string_equal(m.u.sale_start.sale, "s1");
    assert_string_equal(m.u.sale_start.sku, "k1");
    assert_int_equal(m.u.sale_start.stock, 100);
    assert_int_equal(m.u.sale_start.limit, 2);
    assert_int_equal(m.u.sale_start.price, 990);
    assert_int_equal(m.u.sale_start.duration, 60);
    assert_int_equal(m.u.sale_start.pay_window, 300);
    assert_int_equal(m.u.sale_start.starts_at, 0);
    assert_int_equal(decode(SALE_HEAD "\"stock\":1,\"limit\":1,\"price\":0,\"duration\":1,"
                                      "\"pay_window\":1,\"starts_at\":1700000000000}"),
                     0);
    assert_int_equal(m.u.sale_start.starts_at, 1700000000000LL);

    refused("{\"t\":\"sale_start\",\"sku\":\"k\",\"stock\":1,\"limit\":1,\"price\":0,"
            "\"duration\":1,\"pay_window\":1}",
            "missing or invalid field: sale");
    refused("{\"t\":\"sale_start\",\"sale\":\"s\",\"stock\":1,\"limit\":1,\"price\":0,"
            "\"duration\":1,\"pay_window\":1}",
            "missing or invalid field: sku");
    refused(SALE_HEAD "\"stock\":0,\"limit\":1,\"price\":0,\"duration\":1,\"pay_window\":1}",
            "missing or invalid field: stock");
    refused(SALE_HEAD "\"stock\":1000000001,\"limit\":1,\"price\":0,\"duration\":1,"
                      "\"pay_window\":1}",
            "missing or invalid field: stock");
    refused(SALE_HEAD "\"stock\":1,\"limit\":0,\"price\":0,\"duration\":1,\"pay_window\":1}",
            "missing or invalid field: limit");
    refused(SALE_HEAD "\"stock\":1,\"limit\":1,\"price\":-5,\"duration\":1,\"pay_window\":1}",
            "missing or invalid field: price");
    refused(SALE_HEAD "\"stock\":1,\"limit\":1,\"price\":0,\"duration\":0,\"pay_window\":1}",
            "missing or invalid field: duration");
    refused(SALE_HEAD "\"stock\":1,\"limit\":1,\"price\":0,\"duration\":31622401,"
                      "\"pay_window\":1}",
            "missing or invalid field: duration");
    refused(SALE_HEAD "\"stock\":1,\"limit\":1,\"price\":0,\"duration\":1}",
            "missing or invalid field: pay_window");
    refused(SALE_HEAD "\"stock\":1,\"limit\":1,\"price\":0,\"duration\":1,\"pay_window\":1,"
                      "\"starts_at\":-1}",
            "missing or invalid field: starts_at");
    refused(SALE_HEAD "\"stock\":1,\"limit\":1,\"price\":0,\"duration\":1,\"pay_window\":1,"
                      "\"starts_at\":null}",
            "missing or invalid field: starts_at");

    assert_int_equal(decode("{\"t\":\"sale_stop\",\"sale\":\"s1\"}"), 0);
    assert_int_equal(m.t, PROTO_C_SALE_STOP);
    assert_string_equal(m.u.sale_stop.sale, "s1");
    refused("{\"t\":\"sale_stop\"}", "missing or invalid field: sale");
}

#define BAG_HEAD "{\"t\":\"bag_start\",\"bag\":\"b1\","

static void test_bag(void **state)
{
    (void)state;
    assert_int_equal(decode(BAG_HEAD "\"prize\":\"A mug\",\"keyword\":\" \xE5\xA5\xBD \","
                                     "\"winners\":3,\"duration\":120,\"min_watch\":0}"),
                     0);
    assert_int_equal(m.t, PROTO_C_BAG_START);
    assert_string_equal(m.u.bag_start.bag, "b1");
    assert_string_equal(m.u.bag_start.prize, "A mug");
    assert_string_equal(m.u.bag_start.keyword, "\xE5\xA5\xBD");
    assert_int_equal(m.u.bag_start.winners, 3);
    assert_int_equal(m.u.bag_start.duration, 120);
    assert_int_equal(m.u.bag_start.min_watch, 0);
    assert_false(m.u.bag_start.not_won_today);
    assert_int_equal(m.u.bag_start.require, 0);

    /* The optional rules (project addition). */
#define BAG_OK                                                                                     \
    BAG_HEAD "\"prize\":\"p\",\"keyword\":\"k\",\"winners\":1,\"duration\":1,\"min_watch\":0,"
    assert_int_equal(decode(BAG_OK "\"not_won_today\":true,\"require\":[\"order\",\"comment\"]}"),
                     0);
    assert_true(m.u.bag_start.not_won_today);
    assert_int_equal(m.u.bag_start.require, PROTO_BAG_REQ_ORDER | PROTO_BAG_REQ_COMMENT);
    assert_int_equal(decode(BAG_OK "\"not_won_today\":false,\"require\":[]}"), 0);
    assert_false(m.u.bag_start.not_won_today);
    assert_int_equal(m.u.bag_start.require, 0);
    refused(BAG_OK "\"not_won_today\":1}", "missing or invalid field: not_won_today");
    refused(BAG_OK "\"require\":\"comment\"}", "missing or invalid field: require");
    refused(BAG_OK "\"require\":[\"dance\"]}", "missing or invalid field: require");
    refused(BAG_OK "\"require\":[\"like\",null]}", "missing or invalid field: require");
    refused(BAG_OK "\"require\":[\"like\",\"like\",\"like\",\"like\"]}",
            "missing or invalid field: require");
#undef BAG_OK

    assert_int_equal(decode("{\"t\":\"room_close\"}"), 0);
    assert_int_equal(m.t, PROTO_C_ROOM_CLOSE);

    refused(BAG_HEAD "\"keyword\":\"k\",\"winners\":1,\"duration\":1,\"min_watch\":0}",
            "missing or invalid field: prize");
    refused(BAG_HEAD "\"prize\":\"p\",\"keyword\":\"\",\"winners\":1,\"duration\":1,"
                     "\"min_watch\":0}",
            "missing or invalid field: keyword");
    refused(BAG_HEAD "\"prize\":\"p\",\"keyword\":\"k\",\"winners\":0,\"duration\":1,"
                     "\"min_watch\":0}",
            "missing or invalid field: winners");
    refused(BAG_HEAD "\"prize\":\"p\",\"keyword\":\"k\",\"winners\":1001,\"duration\":1,"
                     "\"min_watch\":0}",
            "missing or invalid field: winners");
    refused(BAG_HEAD "\"prize\":\"p\",\"keyword\":\"k\",\"winners\":1,\"duration\":0,"
                     "\"min_watch\":0}",
            "missing or invalid field: duration");
    refused(BAG_HEAD "\"prize\":\"p\",\"keyword\":\"k\",\"winners\":1,\"duration\":1,"
                     "\"min_watch\":-1}",
            "missing or invalid field: min_watch");
    refused(BAG_HEAD "\"prize\":\"p\",\"keyword\":\"k\",\"winners\":1,\"duration\":1}",
            "missing or invalid field: min_watch");
    refused("{\"t\":\"bag_start\",\"prize\":\"p\",\"keyword\":\"k\",\"winners\":1,"
            "\"duration\":1,\"min_watch\":0}",
            "missing or invalid field: bag");

    assert_int_equal(decode("{\"t\":\"bag_draw\",\"bag\":\"b1\"}"), 0);
    assert_int_equal(m.t, PROTO_C_BAG_DRAW);
    assert_string_equal(m.u.bag_draw.bag, "b1");
    refused("{\"t\":\"bag_draw\",\"bag\":\"\"}", "missing or invalid field: bag");
}

static void test_host_misc(void **state)
{
    char json[4096];

    (void)state;
    assert_int_equal(decode("{\"t\":\"wecom_push\",\"title\":\"Join\",\"hook\":\"Coupon\","
                            "\"link\":\"https://work.weixin.qq.com/ca/x?state=r1\"}"),
                     0);
    assert_int_equal(m.t, PROTO_C_WECOM_PUSH);
    assert_string_equal(m.u.wecom_push.title, "Join");
    assert_string_equal(m.u.wecom_push.hook, "Coupon");
    assert_string_equal(m.u.wecom_push.link, "https://work.weixin.qq.com/ca/x?state=r1");
    refused("{\"t\":\"wecom_push\",\"hook\":\"h\",\"link\":\"l\"}",
            "missing or invalid field: title");
    refused("{\"t\":\"wecom_push\",\"title\":\"t\",\"link\":\"l\"}",
            "missing or invalid field: hook");
    refused("{\"t\":\"wecom_push\",\"title\":\"t\",\"hook\":\"h\",\"link\":\"\"}",
            "missing or invalid field: link");
    fmt(json, sizeof(json),
        "{\"t\":\"wecom_push\",\"title\":\"t\",\"hook\":\"%s\","
        "\"link\":\"l\"}",
        repeat("h", 501));
    refused(json, "missing or invalid field: hook");

    assert_int_equal(decode("{\"t\":\"mute\",\"uid\":\"u9\",\"secs\":600}"), 0);
    assert_int_equal(m.t, PROTO_C_MUTE);
    assert_string_equal(m.u.mute.uid, "u9");
    assert_int_equal(m.u.mute.secs, 600);
    assert_int_equal(decode("{\"t\":\"mute\",\"uid\":\"u9\",\"secs\":0}"), 0);
    assert_int_equal(m.u.mute.secs, 0);
    refused("{\"t\":\"mute\",\"uid\":\"u9\",\"secs\":-1}", "missing or invalid field: secs");
    refused("{\"t\":\"mute\",\"uid\":\"u9\"}", "missing or invalid field: secs");
    refused("{\"t\":\"mute\",\"uid\":\"u 9\",\"secs\":1}", "missing or invalid field: uid");

    assert_int_equal(decode("{\"t\":\"delete\",\"id\":\"c42\"}"), 0);
    assert_int_equal(m.t, PROTO_C_DELETE);
    assert_string_equal(m.u.del.id, "c42");
    refused("{\"t\":\"delete\"}", "missing or invalid field: id");
    refused("{\"t\":\"delete\",\"id\":42}", "missing or invalid field: id");

    assert_int_equal(decode("{\"t\":\"notice\",\"text\":\"  Back in 5  \"}"), 0);
    assert_int_equal(m.t, PROTO_C_NOTICE);
    assert_string_equal(m.u.notice.text, "Back in 5");
    fmt(json, sizeof(json), "{\"t\":\"notice\",\"text\":\"%s\"}", repeat("\xF0\x9F\x98\x80", 500));
    assert_int_equal(decode(json), 0);
    assert_int_equal(strlen(m.u.notice.text), 2000);
    fmt(json, sizeof(json), "{\"t\":\"notice\",\"text\":\"%s\"}", repeat("n", 501));
    refused(json, "missing or invalid field: text");
    refused("{\"t\":\"notice\",\"text\":\"\"}", "missing or invalid field: text");
}

static void test_type_table(void **state)
{
    static const struct {
        enum proto_ctype t;
        const char *name;
        bool host;
    } types[] = {
        {PROTO_C_COMMENT, "comment", false},
        {PROTO_C_LIKE, "like", false},
        {PROTO_C_ORDER, "order", false},
        {PROTO_C_BAG_JOIN, "bag_join", false},
        {PROTO_C_CARD_CLICK, "card_click", false},
        {PROTO_C_WECOM, "wecom", false},
        {PROTO_C_PING, "ping", false},
        {PROTO_C_CARD, "card", true},
        {PROTO_C_CARD_CLEAR, "card_clear", true},
        {PROTO_C_SALE_START, "sale_start", true},
        {PROTO_C_SALE_STOP, "sale_stop", true},
        {PROTO_C_BAG_START, "bag_start", true},
        {PROTO_C_BAG_DRAW, "bag_draw", true},
        {PROTO_C_WECOM_PUSH, "wecom_push", true},
        {PROTO_C_MUTE, "mute", true},
        {PROTO_C_DELETE, "delete", true},
        {PROTO_C_NOTICE, "notice", true},
        {PROTO_C_ROOM_CLOSE, "room_close", true},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        assert_string_equal(proto_ctype_name(types[i].t), types[i].name);
        assert_int_equal(proto_ctype_is_host(types[i].t), types[i].host);
    }
    assert_string_equal(proto_ctype_name((enum proto_ctype)0), "unknown");
    assert_string_equal(proto_ctype_name((enum proto_ctype)99), "unknown");
    assert_false(proto_ctype_is_host((enum proto_ctype)99));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_object), cmocka_unit_test(test_type),
        cmocka_unit_test(test_req),        cmocka_unit_test(test_req_echo_on_error),
        cmocka_unit_test(test_comment),    cmocka_unit_test(test_like),
        cmocka_unit_test(test_order),      cmocka_unit_test(test_viewer_small_types),
        cmocka_unit_test(test_card),       cmocka_unit_test(test_sale),
        cmocka_unit_test(test_bag),        cmocka_unit_test(test_host_misc),
        cmocka_unit_test(test_type_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
