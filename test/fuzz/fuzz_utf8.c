/* fuzz_utf8.c: fuzz target for proto_utf8, checked against a slow reference decoder. */
#include <stdbool.h>

#include "fuzz.h"
#include "proto_utf8.h"

/* Reference: decode by value, then judge the value. It shares no code or approach with
 * proto_utf8.c (which checks byte ranges), so the two can disagree only on a bug.
 * Returns the sequence length at p, or 0 when malformed; the value goes to *cp. */
static size_t ref_decode(const uint8_t *p, size_t avail, uint32_t *cp)
{
    static const uint32_t min_value[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n;
    uint32_t v;

    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if ((p[0] & 0xE0) == 0xC0) {
        n = 2;
        v = p[0] & 0x1F;
    } else if ((p[0] & 0xF0) == 0xE0) {
        n = 3;
        v = p[0] & 0x0F;
    } else if ((p[0] & 0xF8) == 0xF0) {
        n = 4;
        v = p[0] & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min_value[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

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
        size_t n = ref_decode(data + ref_valid, size - ref_valid, &cp);

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
            size_t n = ref_decode(data + i, p - i, &cp);

            CHECK(n > 0 && ref_space(cp));
            i += n;
        }
        if (tl > 0) {
            size_t last = tl - 1;

            CHECK(ref_decode((const uint8_t *)t, tl, &cp) > 0 && !ref_space(cp));
            while (((unsigned char)t[last] & 0xC0) == 0x80)
                last--;
            CHECK(ref_decode((const uint8_t *)t + last, tl - last, &cp) > 0 && !ref_space(cp));
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
