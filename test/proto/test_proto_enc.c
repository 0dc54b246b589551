/* test_proto_enc.c: unit tests of proto_enc (buffer, JSON writer, encoders, ws headers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "proto_enc.h"

#define HEADROOM 16 /* like LWS_PRE plus a frame header */

static struct proto_buf b;
static json_t *root;

static int setup(void **state)
{
    (void)state;
    proto_buf_init(&b, HEADROOM);
    root = NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(root);
    proto_buf_fini(&b);
    return 0;
}

/* Parses the buffer with jansson (strictly: one value, no duplicate keys) and keeps the
 * result in root for the field checks; fails the test when it is not valid JSON. */
static json_t *parsed(void)
{
    json_error_t err;

    json_decref(root);
    root = json_loadb((const char *)proto_buf_data(&b), b.len,
                      JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (root == NULL)
        fail_msg("invalid JSON (%s): %.*s", err.text, (int)b.len, proto_buf_data(&b));
    return root;
}

static void expect_text(const char *want)
{
    size_t n = strlen(want);

    if (b.len != n || memcmp(proto_buf_data(&b), want, n) != 0)
        fail_msg("got  %.*s\nwant %s", (int)b.len, proto_buf_data(&b), want);
}

static const char *str_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    if (!json_is_string(v))
        fail_msg("%s is not a string", key);
    return json_string_value(v);
}

static long long int_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    if (!json_is_integer(v))
        fail_msg("%s is not an integer", key);
    return json_integer_value(v);
}

static void test_buffer(void **state)
{
    unsigned char big[100000];

    (void)state;
    assert_int_equal(b.len, 0);
    assert_int_equal(b.headroom, HEADROOM);
    assert_ptr_equal(proto_buf_data(&b), b.mem + HEADROOM);
    proto_buf_append(&b, "abc", 3);
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (unsigned char)i;
    proto_buf_append(&b, big, sizeof(big));
    assert_int_equal(b.len, 3 + sizeof(big));
    assert_true(b.cap >= b.len);
    assert_memory_equal(proto_buf_data(&b), "abc", 3);
    assert_memory_equal(proto_buf_data(&b) + 3, big, sizeof(big));
    /* The headroom can be written without touching the payload. */
    memset(b.mem, 0xAA, HEADROOM);
    assert_memory_equal(proto_buf_data(&b), "abc", 3);
    proto_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_true(b.cap >= 3 + sizeof(big));
    proto_buf_append(&b, "", 0);
    assert_int_equal(b.len, 0);

    proto_buf_fini(&b);
    proto_buf_fini(&b); /* twice is harmless */
    proto_buf_fini(NULL);
    proto_buf_init(&b, 0);
    assert_non_null(proto_buf_data(&b));
}

static void test_writer_exact(void **state)
{
    (void)state;
    proto_json_obj_begin(&b);
    proto_json_cstr(&b, "s", "x");
    proto_json_int(&b, "i", -42);
    proto_json_int(&b, "min", INT64_MIN);
    proto_json_uint(&b, "u", UINT64_MAX);
    proto_json_bool(&b, "t", true);
    proto_json_bool(&b, "f", false);
    proto_json_null(&b, "n");
    proto_json_cstr(&b, "c", NULL);
    proto_json_arr_begin(&b, "a");
    proto_json_int(&b, NULL, 1);
    proto_json_cstr(&b, NULL, "two");
    proto_json_arr_begin(&b, NULL);
    proto_json_arr_end(&b);
    proto_json_obj_begin(&b);
    proto_json_obj_end(&b);
    proto_json_arr_end(&b);
    proto_json_raw(&b, "r", "{\"k\":[1]}", 9);
    proto_json_str(&b, "e", "", 0);
    proto_json_obj_end(&b);
    expect_text("{\"s\":\"x\",\"i\":-42,\"min\":-9223372036854775808,"
                "\"u\":18446744073709551615,\"t\":true,\"f\":false,\"n\":null,\"c\":null,"
                "\"a\":[1,\"two\",[],{}],\"r\":{\"k\":[1]},\"e\":\"\"}");
    /* Not handed to jansson: it refuses integers above INT64_MAX, which JSON allows. */
}

static void test_escaping(void **state)
{
    static const char s[] = "q\" b\\ nl\n tab\t nul\0 x01\x01 x1f\x1f del\x7f / "
                            "\xE4\xB8\xAD ls\xE2\x80\xA8 ps\xE2\x80\xA9 emoji\xF0\x9F\x98\x80";
    json_t *v;

    (void)state;
    proto_json_obj_begin(&b);
    proto_json_str(&b, "k", s, sizeof(s) - 1);
    proto_json_obj_end(&b);
    expect_text("{\"k\":\"q\\\" b\\\\ nl\\u000a tab\\u0009 nul\\u0000 x01\\u0001 x1f\\u001f "
                "del\x7f / \xE4\xB8\xAD ls\\u2028 ps\\u2029 emoji\xF0\x9F\x98\x80\"}");
    /* jansson reads back exactly the original bytes, NUL included. */
    json_decref(root);
    root = json_loadb((const char *)proto_buf_data(&b), b.len, JSON_ALLOW_NUL, NULL);
    assert_non_null(root);
    v = json_object_get(root, "k");
    assert_int_equal(json_string_length(v), sizeof(s) - 1);
    assert_memory_equal(json_string_value(v), s, sizeof(s) - 1);
}

/* Bytes that are not UTF-8 become U+FFFD, one per bad byte, and the output stays JSON. */
static void test_invalid_utf8_replaced(void **state)
{
    (void)state;
    proto_json_obj_begin(&b);
    proto_json_cstr(&b, "k",
                    "a\xFF"
                    "b\xC3");
    proto_json_cstr(&b, "s", "\xED\xA0\x80");
    proto_json_obj_end(&b);
    expect_text("{\"k\":\"a\xEF\xBF\xBD"
                "b\xEF\xBF\xBD\","
                "\"s\":\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"}");
    parsed();
}

/* Messages appended one after another between arr_begin and arr_end form a batch. */
static void test_batch(void **state)
{
    json_t *a;

    (void)state;
    proto_json_arr_begin(&b, NULL);
    proto_enc_likes(&b, 10);
    proto_enc_online(&b, 3);
    proto_enc_pong(&b);
    proto_json_arr_end(&b);
    expect_text("[{\"t\":\"likes\",\"total\":10},{\"t\":\"online\",\"count\":3},{\"t\":\"pong\"}]");
    a = parsed();
    assert_int_equal(json_array_size(a), 3);
}

static void test_comment(void **state)
{
    json_t *o;

    (void)state;
    proto_enc_comment(&b, 7, "c1", "u1", "Bob", "hi \"all\"", 1700000000123LL);
    expect_text("{\"t\":\"comment\",\"seq\":7,\"id\":\"c1\",\"uid\":\"u1\",\"nick\":\"Bob\","
                "\"text\":\"hi \\\"all\\\"\",\"ts\":1700000000123}");
    parsed();

    /* Without a nick the uid is shown. */
    proto_buf_reset(&b);
    proto_enc_comment(&b, 8, "c2", "u2", NULL, "x", 1);
    o = parsed();
    assert_string_equal(str_of(o, "nick"), "u2");
    assert_int_equal(int_of(o, "seq"), 8);
}

static void test_small_messages(void **state)
{
    json_t *o;

    (void)state;
    proto_enc_comment_deleted(&b, 9, "c1");
    expect_text("{\"t\":\"comment_deleted\",\"seq\":9,\"id\":\"c1\"}");
    proto_buf_reset(&b);
    proto_enc_likes(&b, 12345);
    expect_text("{\"t\":\"likes\",\"total\":12345}");
    proto_buf_reset(&b);
    proto_enc_online(&b, 0);
    expect_text("{\"t\":\"online\",\"count\":0}");
    proto_buf_reset(&b);
    proto_enc_stock(&b, "s1", 17);
    expect_text("{\"t\":\"stock\",\"sale\":\"s1\",\"left\":17}");
    proto_buf_reset(&b);
    proto_enc_bag_count(&b, "b1", 250);
    expect_text("{\"t\":\"bag_count\",\"bag\":\"b1\",\"count\":250}");
    proto_buf_reset(&b);
    proto_enc_ack(&b, "r9");
    expect_text("{\"t\":\"ack\",\"req\":\"r9\"}");
    proto_buf_reset(&b);
    proto_enc_pong(&b);
    expect_text("{\"t\":\"pong\"}");
    proto_buf_reset(&b);
    proto_enc_wecom(&b, "p1", "Join us", "10% off", "https://w.example/c?state=r1");
    o = parsed();
    assert_string_equal(str_of(o, "t"), "wecom");
    assert_string_equal(str_of(o, "prompt"), "p1");
    assert_string_equal(str_of(o, "title"), "Join us");
    assert_string_equal(str_of(o, "hook"), "10% off");
    assert_string_equal(str_of(o, "link"), "https://w.example/c?state=r1");
    assert_null(json_object_get(o, "seq"));
}

static const struct proto_card card = {
    .sku = "k1",
    .title = "Green tea",
    .price = 1999,
    .live_price = 999,
    .image = "https://img/a.jpg",
    .path = "/pages/goods?id=1",
};

static void test_card(void **state)
{
    json_t *o;
    static const char *const keys[] = {"sku", "title", "price", "live_price", "image", "path"};

    (void)state;
    proto_enc_card(&b, 3, &card);
    expect_text("{\"t\":\"card\",\"seq\":3,\"sku\":\"k1\",\"title\":\"Green tea\",\"price\":1999,"
                "\"live_price\":999,\"image\":\"https://img/a.jpg\","
                "\"path\":\"/pages/goods?id=1\"}");
    parsed();

    /* A cleared card: same keys, every one null, and still a seq. */
    proto_buf_reset(&b);
    proto_enc_card(&b, 4, NULL);
    o = parsed();
    assert_int_equal(int_of(o, "seq"), 4);
    for (size_t i = 0; i < 6; i++)
        assert_true(json_is_null(json_object_get(o, keys[i])));
    assert_int_equal(json_object_size(o), 8);

    proto_buf_reset(&b);
    proto_json_obj_begin(&b);
    proto_enc_card_value(&b, "a", &card);
    proto_enc_card_value(&b, "b", NULL);
    proto_json_obj_end(&b);
    o = parsed();
    assert_string_equal(str_of(json_object_get(o, "a"), "title"), "Green tea");
    assert_null(json_object_get(json_object_get(o, "a"), "t"));
    assert_true(json_is_null(json_object_get(o, "b")));
}

static void test_notice_error(void **state)
{
    (void)state;
    proto_enc_notice(&b, 11, NULL, "Back soon");
    expect_text("{\"t\":\"notice\",\"seq\":11,\"text\":\"Back soon\"}");
    proto_buf_reset(&b);
    proto_enc_notice(&b, 0, "replay_gap", "missed events");
    expect_text("{\"t\":\"notice\",\"code\":\"replay_gap\",\"text\":\"missed events\"}");
    proto_buf_reset(&b);
    proto_enc_error(&b, PROTO_ERR_BAD_REQUEST, "unknown message type", "q1");
    expect_text("{\"t\":\"error\",\"code\":\"bad_request\",\"msg\":\"unknown message type\","
                "\"req\":\"q1\"}");
    proto_buf_reset(&b);
    proto_enc_error(&b, PROTO_ERR_MUTED, "muted", NULL);
    expect_text("{\"t\":\"error\",\"code\":\"muted\",\"msg\":\"muted\"}");
    parsed();
}

static void test_names(void **state)
{
    static const char *const want[] = {
        NULL,           "bad_request",    "unauthorized", "forbidden",   "too_large",
        "rate_limited", "muted",          "not_found",    "not_started", "ended",
        "sold_out",     "limit_exceeded", "not_eligible", "unavailable", "conflict",
    };

    (void)state;
    for (int e = PROTO_ERR_BAD_REQUEST; e <= PROTO_ERR_CONFLICT; e++)
        assert_string_equal(proto_err_name((enum proto_err)e), want[e]);
    assert_string_equal(proto_err_name((enum proto_err)0), "unknown");
    assert_string_equal(proto_err_name((enum proto_err)99), "unknown");
    assert_string_equal(proto_sale_state_name(PROTO_SALE_LIVE), "live");
    assert_string_equal(proto_sale_state_name(PROTO_SALE_SOLD_OUT), "sold_out");
    assert_string_equal(proto_sale_state_name(PROTO_SALE_ENDED), "ended");
    assert_string_equal(proto_sale_state_name((enum proto_sale_state)0), "unknown");
}

static void test_sale(void **state)
{
    struct proto_sale_view s = {.sale = "s1",
                                .sku = "k1",
                                .price = 990,
                                .stock = 100,
                                .left = 0,
                                .limit = 2,
                                .state = PROTO_SALE_SOLD_OUT,
                                .ends_at = 1700000060000LL};
    json_t *o;

    (void)state;
    proto_enc_sale(&b, 5, &s, true);
    expect_text("{\"t\":\"sale\",\"seq\":5,\"sale\":\"s1\",\"sku\":\"k1\",\"price\":990,"
                "\"stock\":100,\"left\":0,\"limit\":2,\"state\":\"sold_out\","
                "\"ends_at\":1700000060000}");
    proto_buf_reset(&b);
    s.state = PROTO_SALE_LIVE;
    s.starts_at = 1700000000000LL;
    proto_enc_sale(&b, 0, &s, false);
    o = parsed();
    assert_null(json_object_get(o, "t"));
    assert_null(json_object_get(o, "seq"));
    assert_string_equal(str_of(o, "state"), "live");
    assert_int_equal(int_of(o, "starts_at"), 1700000000000LL);
    assert_int_equal(json_object_size(o), 9);
}

static void test_order(void **state)
{
    (void)state;
    proto_enc_order_ok(&b, "k1", "o-123", "s1", 2, 1700000300000LL);
    expect_text("{\"t\":\"order\",\"req\":\"k1\",\"ok\":true,\"order\":\"o-123\",\"sale\":\"s1\","
                "\"qty\":2,\"pay_by\":1700000300000}");
    proto_buf_reset(&b);
    proto_enc_order_fail(&b, "k2", PROTO_ERR_SOLD_OUT, "sold out");
    expect_text("{\"t\":\"order\",\"req\":\"k2\",\"ok\":false,\"code\":\"sold_out\","
                "\"msg\":\"sold out\"}");
    proto_buf_reset(&b);
    proto_enc_order_fail(&b, "k3", PROTO_ERR_UNAVAILABLE, NULL);
    expect_text("{\"t\":\"order\",\"req\":\"k3\",\"ok\":false,\"code\":\"unavailable\","
                "\"msg\":\"\"}");
}

static void test_bag(void **state)
{
    static const char *const winners[] = {"u1", "u\"2"};
    struct proto_bag_view v = {.bag = "b1",
                               .state = PROTO_BAG_OPEN,
                               .prize = "Mug",
                               .keyword = "\xE5\xA5\xBD",
                               .winners_count = 3,
                               .ends_at = 1700000120000LL};
    json_t *o, *w;

    (void)state;
    proto_enc_bag(&b, 6, &v, true, false, false, false, false);
    expect_text("{\"t\":\"bag\",\"seq\":6,\"bag\":\"b1\",\"state\":\"open\",\"prize\":\"Mug\","
                "\"keyword\":\"\xE5\xA5\xBD\",\"winners\":3,\"ends_at\":1700000120000}");

    /* The viewer's own reply: no seq, joined: true, commit shown while open. */
    proto_buf_reset(&b);
    v.commit = "ab12";
    proto_enc_bag(&b, 0, &v, true, true, true, false, false);
    o = parsed();
    assert_null(json_object_get(o, "seq"));
    assert_true(json_is_true(json_object_get(o, "joined")));
    assert_null(json_object_get(o, "you_won"));
    assert_string_equal(str_of(o, "commit"), "ab12");
    assert_null(json_object_get(o, "seed"));

    /* Drawn: winners is the uid list, and the seed is revealed. */
    proto_buf_reset(&b);
    v.state = PROTO_BAG_DRAWN;
    v.winners = winners;
    v.n_winners = 2;
    v.seed = "cd34";
    proto_enc_bag(&b, 0, &v, true, false, false, true, true);
    o = parsed();
    assert_string_equal(str_of(o, "state"), "drawn");
    w = json_object_get(o, "winners");
    assert_int_equal(json_array_size(w), 2);
    assert_string_equal(json_string_value(json_array_get(w, 0)), "u1");
    assert_string_equal(json_string_value(json_array_get(w, 1)), "u\"2");
    assert_true(json_is_true(json_object_get(o, "you_won")));
    assert_null(json_object_get(o, "joined"));
    assert_string_equal(str_of(o, "seed"), "cd34");

    /* Drawn with nobody, and the welcome.bag form without t. */
    proto_buf_reset(&b);
    v.n_winners = 0;
    proto_enc_bag(&b, 0, &v, false, false, false, false, false);
    o = parsed();
    assert_null(json_object_get(o, "t"));
    assert_int_equal(json_array_size(json_object_get(o, "winners")), 0);
}

static void test_welcome(void **state)
{
    struct proto_sale_view s = {.sale = "s1",
                                .sku = "k1",
                                .price = 990,
                                .stock = 10,
                                .left = 4,
                                .limit = 1,
                                .state = PROTO_SALE_LIVE,
                                .ends_at = 5};
    struct proto_bag_view v = {.bag = "b1",
                               .state = PROTO_BAG_OPEN,
                               .prize = "p",
                               .keyword = "k",
                               .winners_count = 1,
                               .ends_at = 9};
    struct proto_buf sales, bag;
    struct proto_welcome w = {
        .uid = "u1", .room = "r1", .seq = 42, .online = 3, .likes = 99, .role = "viewer"};
    json_t *o;

    (void)state;
    /* Empty room state: card and bag null, no sales. */
    proto_enc_welcome(&b, &w);
    expect_text("{\"t\":\"welcome\",\"uid\":\"u1\",\"room\":\"r1\",\"role\":\"viewer\","
                "\"seq\":42,\"online\":3,\"likes\":99,\"card\":null,\"sales\":[],\"bag\":null}");

    /* Full state, with the pieces encoded separately as the room would cache them. */
    proto_buf_init(&sales, 0);
    proto_json_arr_begin(&sales, NULL);
    proto_enc_sale(&sales, 0, &s, false);
    proto_enc_sale(&sales, 0, &s, false);
    proto_json_arr_end(&sales);
    proto_buf_init(&bag, 0);
    proto_enc_bag(&bag, 0, &v, false, false, false, false, false);
    w.card = &card;
    w.sales_json = (const char *)proto_buf_data(&sales);
    w.sales_len = sales.len;
    w.bag_json = (const char *)proto_buf_data(&bag);
    w.bag_len = bag.len;
    w.role = NULL;
    proto_buf_reset(&b);
    proto_enc_welcome(&b, &w);
    proto_buf_fini(&sales);
    proto_buf_fini(&bag);
    o = parsed();
    assert_string_equal(str_of(o, "t"), "welcome");
    assert_null(json_object_get(o, "role"));
    assert_int_equal(int_of(o, "seq"), 42);
    assert_string_equal(str_of(json_object_get(o, "card"), "sku"), "k1");
    assert_int_equal(json_array_size(json_object_get(o, "sales")), 2);
    assert_int_equal(int_of(json_array_get(json_object_get(o, "sales"), 1), "left"), 4);
    assert_string_equal(str_of(json_object_get(o, "bag"), "bag"), "b1");
}

static void check_header(uint64_t len, size_t want_n, const unsigned char *want)
{
    unsigned char out[PROTO_WS_HEADER_MAX];

    memset(out, 0xEE, sizeof(out));
    assert_int_equal(proto_ws_text_header(out, len), want_n);
    assert_memory_equal(out, want, want_n);
}

static void test_ws_header(void **state)
{
    (void)state;
    check_header(0, 2, (const unsigned char[]){0x81, 0});
    check_header(125, 2, (const unsigned char[]){0x81, 125});
    check_header(126, 4, (const unsigned char[]){0x81, 126, 0, 126});
    check_header(65535, 4, (const unsigned char[]){0x81, 126, 0xFF, 0xFF});
    check_header(65536, 10, (const unsigned char[]){0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0});
    check_header(0x0102030405060708ULL, 10,
                 (const unsigned char[]){0x81, 127, 1, 2, 3, 4, 5, 6, 7, 8});
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_buffer),
        T(test_writer_exact),
        T(test_escaping),
        T(test_invalid_utf8_replaced),
        T(test_batch),
        T(test_comment),
        T(test_small_messages),
        T(test_card),
        T(test_notice_error),
        T(test_names),
        T(test_sale),
        T(test_order),
        T(test_bag),
        T(test_welcome),
        T(test_ws_header),
    };
#undef T

    return cmocka_run_group_tests(tests, NULL, NULL);
}
