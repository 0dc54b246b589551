/* proto_utf8.c: UTF-8 validation, counting, cutting and trimming of outside bytes. */
#include "proto_utf8.h"

#include <stdint.h>

/* Length of the well-formed sequence that starts at p (avail >= 1 bytes readable), or 0
 * when none does. The byte ranges are those of Unicode Table 3-7: narrowing the second
 * byte after E0, ED, F0 and F4 is what excludes overlongs, surrogates and code points
 * above U+10FFFF, and C0, C1, F5-FF never start a sequence. */
static size_t seq_len(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    unsigned lo = 0x80, hi = 0xBF;
    size_t n;

    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        n = 2;
    } else if (c < 0xF0) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c < 0xF5) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    }
    return n;
}

/* The code point of the n-byte sequence at p, which seq_len has accepted. */
static uint32_t seq_value(const unsigned char *p, size_t n)
{
    static const unsigned lead_mask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    uint32_t cp = p[0] & lead_mask[n];

    for (size_t i = 1; i < n; i++)
        cp = (cp << 6) | (p[i] & 0x3F);
    return cp;
}

size_t proto_utf8_valid_prefix(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        size_t n;

        /* ASCII dominates chat text; skip it without the general case. */
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        n = seq_len(p + i, len - i);
        if (n == 0)
            break;
        i += n;
    }
    return i;
}

bool proto_utf8_is_valid(const char *s, size_t len)
{
    return proto_utf8_valid_prefix(s, len) == len;
}

/* In valid UTF-8 every byte that is not a continuation byte (10xxxxxx) starts one code
 * point, so counting and cutting need no decoding. */
size_t proto_utf8_count(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            n++;
    }
    return n;
}

size_t proto_utf8_prefix(const char *s, size_t len, size_t max_cp)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            if (n == max_cp)
                return i;
            n++;
        }
    }
    return len;
}

static bool is_space(uint32_t cp)
{
    switch (cp) {
    case 0x20:
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x00A0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

/* Trimming re-checks each sequence it decodes and stops at anything malformed, so even
 * a caller that broke the "valid UTF-8" precondition gets no read outside [s, s+len). */
void proto_utf8_trim(const char **s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t start = 0, end = *len;

    while (start < end) {
        size_t n = seq_len(p + start, end - start);

        if (n == 0 || !is_space(seq_value(p + start, n)))
            break;
        start += n;
    }
    while (end > start) {
        size_t j = end - 1, n;

        /* Step back over at most three continuation bytes to the lead byte. */
        while (j > start && end - j < 4 && (p[j] & 0xC0) == 0x80)
            j--;
        n = seq_len(p + j, end - j);
        if (n != end - j || !is_space(seq_value(p + j, n)))
            break;
        end = j;
    }
    /* Only move a pointer that points somewhere: an empty input may be NULL. */
    if (start > 0)
        *s += start;
    *len = end - start;
}
