/* bench_gw_wordfilter.c: word filter build time, memory and matching throughput.
 *
 * Run by hand (not under ctest): bench_gw_wordfilter [words [comments]]. The list is
 * synthetic: three quarters CJK words of 2-4 ideographs drawn from 3,000 common ones,
 * a quarter ASCII words of 4-8 letters. Comments are 5-40 code points of the same
 * ideographs, ASCII letters, spaces and punctuation, as in a busy room; a few percent
 * hold a listed word. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_wordfilter.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t put_utf8(char *p, unsigned c)
{
    if (c < 0x80) {
        p[0] = (char)c;
        return 1;
    }
    p[0] = (char)(0xE0 | (c >> 12));
    p[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    p[2] = (char)(0x80 | (c & 0x3F));
    return 3;
}

static unsigned cjk(unsigned int *seed)
{
    return 0x4E00 + (unsigned)rand_r(seed) % 3000;
}

int main(int argc, char **argv)
{
    size_t nwords = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
    size_t ncomments = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
    unsigned int seed = 7;
    char *list = malloc(nwords * 32 + 1), *texts = malloc(ncomments * 128), *out = malloc(256);
    size_t *off = malloc((ncomments + 1) * sizeof(size_t)), ll = 0, tl = 0, hits = 0;
    struct gw_wordfilter_err err;
    struct gw_wordfilter *f;
    double t0, t1, bytes;
    int rounds = 20;

    if (!list || !texts || !out || !off)
        return 1;
    for (size_t k = 0; k < nwords; k++) {
        if (k % 4 != 3) {
            size_t n = 2 + (size_t)rand_r(&seed) % 3;

            for (size_t j = 0; j < n; j++)
                ll += put_utf8(list + ll, cjk(&seed));
        } else {
            size_t n = 4 + (size_t)rand_r(&seed) % 5;

            for (size_t j = 0; j < n; j++)
                list[ll++] = (char)('a' + rand_r(&seed) % 26);
        }
        list[ll++] = '\n';
    }
    for (size_t c = 0; c < ncomments; c++) {
        size_t n = 5 + (size_t)rand_r(&seed) % 36;

        off[c] = tl;
        for (size_t j = 0; j < n; j++) {
            int r = rand_r(&seed) % 10;

            if (r < 7)
                tl += put_utf8(texts + tl, cjk(&seed));
            else if (r < 9)
                texts[tl++] = (char)('a' + rand_r(&seed) % 26);
            else
                texts[tl++] = " .!,"[rand_r(&seed) % 4];
        }
    }
    off[ncomments] = tl;

    t0 = now_s();
    f = gw_wordfilter_build(list, ll, &err);
    t1 = now_s();
    if (f == NULL) {
        fprintf(stderr, "build: %s\n", err.msg);
        return 1;
    }
    printf("words %zu (list %zu bytes): build %.2f ms, memory %.1f KiB\n", gw_wordfilter_count(f),
           ll, (t1 - t0) * 1e3, (double)gw_wordfilter_memory(f) / 1024);

    bytes = (double)tl * rounds;
    t0 = now_s();
    for (int r = 0; r < rounds; r++)
        for (size_t c = 0; c < ncomments; c++)
            hits += gw_wordfilter_match(f, texts + off[c], off[c + 1] - off[c]);
    t1 = now_s();
    printf("match: %zu comments x %d, avg %.0f bytes: %.1f MB/s, %.2f M comments/s, "
           "%.0f ns per comment; %.1f%% hit\n",
           ncomments, rounds, (double)tl / (double)ncomments, bytes / (t1 - t0) / 1e6,
           (double)ncomments * rounds / (t1 - t0) / 1e6,
           (t1 - t0) * 1e9 / ((double)ncomments * rounds),
           100.0 * (double)hits / ((double)ncomments * rounds));

    t0 = now_s();
    for (int r = 0; r < rounds; r++)
        for (size_t c = 0; c < ncomments; c++)
            gw_wordfilter_mask(f, texts + off[c], off[c + 1] - off[c], out, NULL);
    t1 = now_s();
    printf("mask:  %.1f MB/s, %.2f M comments/s, %.0f ns per comment\n", bytes / (t1 - t0) / 1e6,
           (double)ncomments * rounds / (t1 - t0) / 1e6,
           (t1 - t0) * 1e9 / ((double)ncomments * rounds));
    gw_wordfilter_free(f);
    free(list);
    free(texts);
    free(out);
    free(off);
    return 0;
}
