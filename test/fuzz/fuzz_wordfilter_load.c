/* fuzz_wordfilter_load.c: fuzz target for the word-list loader of gw_wordfilter.
 *
 * The input is a word list. A refused list must name a line that exists (or none) and
 * say why; an accepted one must match every word it was given, and masking its own
 * text must keep the mask's promises. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "gw_wordfilter.h"
#include "proto_utf8.h"

/* Lines as the loader counts them: split on LF; a final line without LF counts, a
 * final empty one does not. */
static unsigned long count_lines(const uint8_t *data, size_t size)
{
    unsigned long n = 0;

    for (size_t i = 0; i < size; i++)
        if (data[i] == '\n')
            n++;
    return n + (size > 0 && data[size - 1] != '\n');
}

/* Every accepted line's word must match its own text. */
static void check_each_line_matches(const struct gw_wordfilter *f, const uint8_t *data, size_t size)
{
    size_t pos = size >= 3 && !memcmp(data, "\xef\xbb\xbf", 3) ? 3 : 0;

    while (pos < size) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - data) : size, n = end - pos;
        const uint8_t *hash = memchr(data + pos, '#', n);
        bool has_word = false;

        if (hash != NULL)
            n = (size_t)(hash - (data + pos));
        /* The line holds a word when some byte of it is a matchable ASCII character
         * or starts a non-ASCII code point the fold keeps (checked by the matcher
         * itself below, which is the point: a word must find itself). */
        for (size_t i = 0; i < n; i++) {
            uint8_t c = data[pos + i];

            if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
                has_word = true;
        }
        if (has_word)
            CHECK(gw_wordfilter_match(f, (const char *)data + pos, n));
        pos = end + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gw_wordfilter_err err;
    struct gw_wordfilter *f;
    char *out;
    size_t n, masked;
    bool hit;

    memset(&err, 0, sizeof(err));
    f = gw_wordfilter_build((const char *)data, size, &err);
    if (f == NULL) {
        CHECK(err.msg[0] != '\0');
        CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
        CHECK(err.line <= count_lines(data, size));
        return 0;
    }
    CHECK(gw_wordfilter_count(f) <= count_lines(data, size));
    check_each_line_matches(f, data, size);

    /* The list as text: mask length, count and validity promises. */
    out = malloc(size + 1);
    CHECK(out != NULL);
    hit = gw_wordfilter_match(f, (const char *)data, size);
    n = gw_wordfilter_mask(f, (const char *)data, size, out, &masked);
    CHECK(n <= size);
    CHECK(out[n] == '\0');
    CHECK((masked > 0) == hit);
    if (proto_utf8_is_valid((const char *)data, size))
        CHECK(proto_utf8_is_valid(out, n));
    free(out);
    gw_wordfilter_free(f);
    return 0;
}
