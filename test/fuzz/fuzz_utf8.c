/* fuzz_utf8.c: fuzz target for proto_utf8, checked against a slow reference decoder. */
#include <stdbool.h>

#include "fuzz.h"
#include "fuzz_ref_utf8.h"
#include "proto_utf8.h"

static bool ref_space(uint32_t c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t ref_valid = 0, ref_count = 0, p;
    uint32_t cp;

    /* Validity and the valid prefix agree with the reference. */
    while (ref_valid < size) {
        size_t n = fuzz_ref_utf8_decode(data + ref_valid, size - ref_valid, &cp);

        if (n == 0)
            break;
        ref_valid += n;
        ref_count++;
    }
    p = proto_utf8_valid_prefix(s, size);
    CHECK(p == ref_valid);
    CHECK(proto_utf8_is_valid(s, size) == (p == size));
    CHECK(proto_utf8_is_valid(s, p));

    /* Counting and cutting, on the valid prefix. */
    CHECK(proto_utf8_count(s, p) == ref_count);
    for (size_t k = 0; k <= ref_count + 1; k += (k < 3 || k + 3 > ref_count) ? 1 : ref_count / 3) {
        size_t cut = proto_utf8_prefix(s, p, k);

        CHECK(cut <= p);
        CHECK(proto_utf8_is_valid(s, cut));
        CHECK(proto_utf8_count(s, cut) == (k < ref_count ? k : ref_count));
    }

    /* Trimming the valid prefix: stays inside, stays valid, removes only white space
     * from the ends and leaves none there, and is idempotent. */
    {
        const char *t = s;
        size_t tl = p, again_len;
        const char *again;

        proto_utf8_trim(&t, &tl);
        CHECK(t >= s && t + tl <= s + p);
        CHECK(proto_utf8_is_valid(t, tl));
        for (size_t i = 0; i < (size_t)(t - s);) {
            size_t n = fuzz_ref_utf8_decode(data + i, p - i, &cp);

            CHECK(n > 0 && ref_space(cp));
            i += n;
        }
        if (tl > 0) {
            size_t last = tl - 1;

            CHECK(fuzz_ref_utf8_decode((const uint8_t *)t, tl, &cp) > 0 && !ref_space(cp));
            while (((unsigned char)t[last] & 0xC0) == 0x80)
                last--;
            CHECK(fuzz_ref_utf8_decode((const uint8_t *)t + last, tl - last, &cp) > 0 &&
                  !ref_space(cp));
        }
        again = t;
        again_len = tl;
        proto_utf8_trim(&again, &again_len);
        CHECK(again == t && again_len == tl);
    }

    /* Trim must also stay inside the input when its precondition is broken. */
    {
        const char *t = s;
        size_t tl = size;

        proto_utf8_trim(&t, &tl);
        CHECK(t >= s && t + tl <= s + size);
    }
    return 0;
}
