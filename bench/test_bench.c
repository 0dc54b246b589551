/* test_bench.c: unit tests of the harness's pure parts: the frame codec over a stream split at
 * every boundary, the JSON-light extractor, the histogram, the bench message text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bench.h"
#include "hist.h"
#include "jfield.h"
#include "wsframe.h"

/* Writes an unmasked server frame. */
static size_t server_frame(uint8_t *out, int op, const char *p, size_t len)
{
    size_t h;
    out[0] = (uint8_t)(0x80 | op);
    if (len < 126) {
        out[1] = (uint8_t)len;
        h = 2;
    } else if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        h = 4;
    } else {
        out[1] = 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        h = 10;
    }
    memcpy(out + h, p, len);
    return h + len;
}

/* Three frames back to back (small, 16-bit and 64-bit lengths), fed in two pieces split at
 * every offset, as TCP may cut them: the parser must return "need more" and then the same
 * frames. */
static void test_frame_stream_split(void **state)
{
    static uint8_t stream[80000], carry[80000];
    static char big[70000];
    memset(big, 'b', sizeof(big));
    const char *a = "{\"t\":\"notice\",\"seq\":5,\"text\":\"hi\"}";
    char mid[300];
    memset(mid, 'm', sizeof(mid));
    size_t n = server_frame(stream, WS_OP_TEXT, a, strlen(a));
    n += server_frame(stream + n, WS_OP_TEXT, mid, sizeof(mid));
    size_t small_end = n;
    n += server_frame(stream + n, WS_OP_TEXT, big, sizeof(big));
    size_t lens[3] = {strlen(a), sizeof(mid), sizeof(big)};
    for (size_t cut = 0; cut <= small_end + 12; cut++) {
        size_t have = 0, off = 0;
        int got = 0;
        const char *why;
        /* first piece */
        memcpy(carry, stream, cut);
        have = cut;
        for (int piece = 0; piece < 2; piece++) {
            for (;;) {
                struct ws_frame f;
                long k = ws_frame_parse(carry + off, have - off, 100000, &f, &why);
                assert_true(k >= 0);
                if (k == 0)
                    break;
                assert_int_equal(f.opcode, WS_OP_TEXT);
                assert_int_equal(f.len, lens[got]);
                got++;
                off += (size_t)k;
            }
            if (piece == 0) {
                memmove(carry, carry + off, have - off);
                have -= off;
                off = 0;
                memcpy(carry + have, stream + cut, n - cut);
                have += n - cut;
            }
        }
        assert_int_equal(got, 3);
        assert_int_equal(off, have);
    }
}

static void test_frame_errors(void **state)
{
    struct ws_frame f;
    const char *why = NULL;
    uint8_t masked[] = {0x81, 0x82, 1, 2, 3, 4, 'a', 'b'};
    assert_int_equal(ws_frame_parse(masked, sizeof(masked), 1000, &f, &why), -1);
    assert_non_null(why);
    uint8_t rsv[] = {0xC1, 0x01, 'a'};
    assert_int_equal(ws_frame_parse(rsv, sizeof(rsv), 1000, &f, &why), -1);
    uint8_t big_ping[] = {0x89, 126, 0, 200};
    assert_int_equal(ws_frame_parse(big_ping, sizeof(big_ping), 1000, &f, &why), -1);
    uint8_t too_big[] = {0x81, 126, 0x10, 0x00};
    assert_int_equal(ws_frame_parse(too_big, sizeof(too_big), 1000, &f, &why), -1);
    uint8_t one[] = {0x81};
    assert_int_equal(ws_frame_parse(one, 1, 1000, &f, &why), 0);
}

/* A masked client frame unmasks to the payload. */
static void test_frame_encode(void **state)
{
    uint8_t out[600];
    char p[300];
    for (size_t i = 0; i < sizeof(p); i++)
        p[i] = (char)('a' + i % 26);
    for (size_t len = 0; len < sizeof(p); len += 37) {
        size_t n = ws_frame_encode(out, sizeof(out), WS_OP_TEXT, p, len, 0x11223344u);
        assert_true(n > len);
        assert_int_equal(out[0], 0x81);
        assert_true(out[1] & 0x80);
        size_t h = (out[1] & 0x7f) < 126 ? 2 : 4;
        assert_int_equal(out[1] & 0x7f, len < 126 ? len : 126);
        const uint8_t *m = out + h;
        for (size_t i = 0; i < len; i++)
            assert_int_equal(out[h + 4 + i] ^ m[i & 3], (uint8_t)p[i]);
    }
    assert_int_equal(ws_frame_encode(out, 10, WS_OP_TEXT, p, 100, 1), 0);
}

static void test_jfield(void **state)
{
    const char *o = "{\"t\":\"welcome\",\"card\":{\"t\":\"x\",\"seq\":99},\"sales\":[{\"seq\":1}],"
                    "\"note\":\"a \\\"q\\\" seq\",\"seq\":42,\"likes\":-3,\"ok\":true}";
    size_t n = strlen(o);
    int64_t v;
    assert_true(jf_int(o, n, "seq", &v));
    assert_int_equal(v, 42);
    assert_true(jf_int(o, n, "likes", &v));
    assert_int_equal(v, -3);
    assert_true(jf_str_eq(o, n, "t", "welcome"));
    assert_false(jf_int(o, n, "missing", &v));
    assert_false(jf_int(o, n, "t", &v));
    size_t vl;
    bool is_str;
    const char *ok = jf_find(o, n, "ok", &vl, &is_str);
    assert_non_null(ok);
    assert_false(is_str);
    assert_int_equal(vl, 4);
    /* A batch of objects. */
    const char *b =
        "[{\"t\":\"likes\",\"total\":7}, {\"t\":\"notice\",\"seq\":3,\"text\":\"B0:1:2:x\"}]";
    size_t pos = 0, ol;
    const char *obj;
    int count = 0;
    while (jf_next_object(b, strlen(b), &pos, &obj, &ol)) {
        count++;
        assert_true(jf_str(obj, ol, "t", &ok, &vl));
    }
    assert_int_equal(count, 2);
    pos = 0;
    assert_true(jf_next_object(o, n, &pos, &obj, &ol));
    assert_int_equal(ol, n);
    assert_false(jf_next_object(o, n, &pos, &obj, &ol));
    /* Truncated input is not read past. */
    for (size_t cut = 0; cut < n; cut++)
        jf_int(o, cut, "seq", &v);
}

static void test_hist(void **state)
{
    static struct hist h, h2;
    hist_init(&h);
    hist_init(&h2);
    for (uint64_t v = 1; v <= 100000; v++)
        hist_add(v <= 50000 ? &h : &h2, v * 1000);
    hist_merge(&h, &h2);
    assert_int_equal(h.count, 100000);
    double p50 = (double)hist_quantile(&h, 0.5), p99 = (double)hist_quantile(&h, 0.99);
    assert_true(p50 > 50000e3 * 0.97 && p50 < 50000e3 * 1.03);
    assert_true(p99 > 99000e3 * 0.97 && p99 < 99000e3 * 1.03);
    assert_int_equal(hist_quantile(&h, 1.0), 100000000);
    for (int i = 0; i < HIST_BUCKETS - 1; i++)
        assert_true(hist_bucket_low(i) < hist_bucket_low(i + 1));
    for (uint64_t v = 1; v < (1ull << 39); v = v * 3 + 1) {
        int k = hist_index(v);
        assert_true(hist_bucket_low(k) <= v);
        assert_true(hist_bucket_low(k + 1) > v);
    }
}

static void test_bench_text(void **state)
{
    char t[200];
    int n = bench_text_make(t, sizeof(t), 7, 12345, 987654321012ull, 64);
    assert_int_equal(n, 64);
    int room;
    int64_t pub;
    uint64_t ts;
    assert_true(bench_text_parse(t, (size_t)n, &room, &pub, &ts));
    assert_int_equal(room, 7);
    assert_int_equal(pub, 12345);
    assert_int_equal(ts, 987654321012ull);
    assert_false(bench_text_parse("hello", 5, &room, &pub, &ts));
    assert_false(bench_text_parse("B1:2", 4, &room, &pub, &ts));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_stream_split),
        cmocka_unit_test(test_frame_errors),
        cmocka_unit_test(test_frame_encode),
        cmocka_unit_test(test_jfield),
        cmocka_unit_test(test_hist),
        cmocka_unit_test(test_bench_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
