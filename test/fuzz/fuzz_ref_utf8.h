/* fuzz_ref_utf8.h: a slow reference UTF-8 decoder for the fuzz targets to check the
 * byte-range decoders against (proto_utf8.c, gw_wordfilter.c). It decodes by value and
 * then judges the value, sharing no code or approach with them, so that the two can
 * disagree only on a bug. */
#ifndef TEST_FUZZ_REF_UTF8_H
#define TEST_FUZZ_REF_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length of the sequence at p (1 to 4), its value in *cp; 0 when malformed
 * (overlong, surrogate, above U+10FFFF, truncated, a stray byte), *cp then unset. */
static inline size_t fuzz_ref_utf8_decode(const uint8_t *p, size_t avail, uint32_t *cp)
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

#endif
