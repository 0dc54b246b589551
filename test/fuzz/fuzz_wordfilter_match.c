/* fuzz_wordfilter_match.c: fuzz target for gw_wordfilter matching and masking, checked
 * against a brute-force reference.
 *
 * The input is a word list, a NUL byte, then the text (without a NUL: the input is
 * both). The reference shares only the per-code-point fold with the filter: it splits
 * the list itself, decodes by value, and finds occurrences by comparing at every
 * position, so it can disagree with the automaton only on a bug. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_ref_utf8.h"
#include "gw_wordfilter.h"

#define MAX_UNITS 8192

/* Decodes one code point by value (shares no code with the filter's byte-range
 * decoder). Returns its length, or 1 with *cp = UINT32_MAX for a stray byte. */
static size_t ref_decode(const uint8_t *p, size_t avail, uint32_t *cp)
{
    size_t n = fuzz_ref_utf8_decode(p, avail, cp);
    if (n == 0)
        *cp = UINT32_MAX;
    return n ? n : 1;
}

/* A normalized unit of text: its folded value (UINT32_MAX for a stray byte, which
 * equals no word character) and where it lies. */
struct unit {
    uint32_t c;
    size_t from, to;
};

static size_t units_of(const uint8_t *s, size_t len, struct unit *u)
{
    size_t n = 0;

    for (size_t i = 0; i < len;) {
        uint32_t cp, f;
        size_t k = ref_decode(s + i, len - i, &cp);

        f = cp == UINT32_MAX ? UINT32_MAX : gw_wordfilter_fold(cp);
        if (f != GW_WORDFILTER_IGNORED || cp == UINT32_MAX) {
            u[n].c = cp == UINT32_MAX ? UINT32_MAX : f;
            u[n].from = i;
            u[n++].to = i + k;
        }
        i += k;
    }
    return n;
}

static struct unit text_units[MAX_UNITS], word_units[MAX_UNITS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    const uint8_t *list = data, *text = nul ? nul + 1 : data;
    size_t list_len = nul ? (size_t)(nul - data) : size, text_len = size - (size_t)(text - data);
    struct gw_wordfilter *f;
    uint8_t *marked, *out, *want;
    size_t nt, pos = 0, n, masked, want_len = 0, want_masked = 0;
    bool hit = false;

    if (size > MAX_UNITS)
        return 0;
    f = gw_wordfilter_build((const char *)list, list_len, NULL);
    if (f == NULL)
        return 0;

    /* Reference occurrences: mark every byte from an occurrence's first unit to its
     * last. */
    marked = calloc(text_len + 1, 1);
    out = malloc(text_len + 1);
    want = malloc(text_len + 1);
    CHECK(marked && out && want);
    nt = units_of(text, text_len, text_units);
    if (list_len >= 3 && !memcmp(list, "\xef\xbb\xbf", 3))
        pos = 3;
    while (pos < list_len) {
        const uint8_t *nl = memchr(list + pos, '\n', list_len - pos);
        size_t end = nl ? (size_t)(nl - list) : list_len, ln = end - pos, nw;
        const uint8_t *hash = memchr(list + pos, '#', ln);

        if (hash != NULL)
            ln = (size_t)(hash - (list + pos));
        nw = units_of(list + pos, ln, word_units);
        for (size_t s = 0; nw > 0 && s + nw <= nt; s++) {
            size_t k = 0;

            while (k < nw && text_units[s + k].c == word_units[k].c)
                k++;
            if (k == nw) {
                hit = true;
                memset(marked + text_units[s].from, 1,
                       text_units[s + nw - 1].to - text_units[s].from);
            }
        }
        pos = end + 1;
    }

    /* The reference mask: one '*' per marked code point, the rest copied. */
    for (size_t i = 0; i < text_len;) {
        uint32_t cp;
        size_t k = ref_decode(text + i, text_len - i, &cp);

        if (marked[i]) {
            want[want_len++] = '*';
            want_masked++;
        } else {
            memcpy(want + want_len, text + i, k);
            want_len += k;
        }
        i += k;
    }

    CHECK(gw_wordfilter_match(f, (const char *)text, text_len) == hit);
    n = gw_wordfilter_mask(f, (const char *)text, text_len, (char *)out, &masked);
    CHECK(n == want_len);
    CHECK(memcmp(out, want, n) == 0);
    CHECK(out[n] == '\0');
    CHECK(masked == want_masked);
    free(marked);
    free(out);
    free(want);
    gw_wordfilter_free(f);
    return 0;
}
