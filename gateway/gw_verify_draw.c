/* gw_verify_draw.c: `livegw verify-draw`, the command-line check of a lucky-bag draw. */
#include "gw_verify_draw.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_draw.h"
#include "proto_token.h"

#define INPUT_MAX (64u * 1024 * 1024) /* bytes of a participants or winners file */

static const char usage[] =
    "usage: livegw verify-draw --bag BAG --commit HEX --seed HEX --winners N\n"
    "                          --participants FILE|- [--announced U1,U2,... | "
    "--announced-file FILE]\n";

/* A list of uids pointing into one owned buffer. */
struct uid_list {
    char *buf;
    const char **v;
    size_t n, cap;
};

static void uid_list_fini(struct uid_list *l)
{
    free(l->buf);
    free(l->v);
}

static int uid_list_push(struct uid_list *l, const char *uid)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        const char **v = realloc(l->v, cap * sizeof(*v));

        if (v == NULL)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = uid;
    return 0;
}

/* Reads all of path ("-" = stdin) into a NUL-terminated buffer. Returns 0 or -1 after
 * printing why. */
static int read_all(const char *path, char **out, size_t *len)
{
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = 4096, n = 0;
    char *buf;

    if (in == NULL) {
        fprintf(stderr, "verify-draw: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n - 1, in);

        n += got;
        if (got == 0)
            break;
        if (n + 1 == cap) {
            char *more = cap >= INPUT_MAX ? NULL : realloc(buf, cap * 2);

            if (more == NULL) {
                fprintf(stderr, "verify-draw: %s: larger than %u bytes or out of memory\n", path,
                        INPUT_MAX);
                free(buf);
                buf = NULL;
                break;
            }
            buf = more;
            cap *= 2;
        }
    }
    if (buf != NULL && ferror(in)) {
        fprintf(stderr, "verify-draw: cannot read %s: %s\n", path, strerror(errno));
        free(buf);
        buf = NULL;
    }
    if (in != stdin)
        fclose(in);
    if (buf == NULL)
        return -1;
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static bool is_trim(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Splits buf[0..len) in place at sep into trimmed uids; empty pieces are skipped.
 * Returns 0, or -1 after printing which piece is not a uid. */
static int split_uids(char *buf, size_t len, char sep, const char *what, struct uid_list *l)
{
    size_t pos = 0;
    unsigned long line = 0;

    while (pos <= len) {
        char *start = buf + pos, *end = memchr(start, sep, len - pos);
        size_t n;

        if (end == NULL)
            end = buf + len;
        *end = '\0';
        pos = (size_t)(end - buf) + 1;
        line++;
        while (is_trim(*start))
            start++;
        n = strlen(start);
        while (n > 0 && is_trim(start[n - 1]))
            start[--n] = '\0';
        if (n == 0)
            continue;
        if (!proto_id_is_valid(start, n)) {
            if (sep == '\n')
                fprintf(stderr, "verify-draw: %s line %lu: not a uid ([A-Za-z0-9_-]{1,64})\n", what,
                        line);
            else
                fprintf(stderr, "verify-draw: %s: not a uid: %s\n", what, start);
            return -1;
        }
        if (uid_list_push(l, start) < 0) {
            fprintf(stderr, "verify-draw: out of memory\n");
            return -1;
        }
    }
    return 0;
}

static int read_uids(const char *path, const char *what, struct uid_list *l)
{
    size_t len;

    if (read_all(path, &l->buf, &len) < 0)
        return -1;
    return split_uids(l->buf, len, '\n', what, l);
}

int gw_verify_draw_main(int argc, char **argv)
{
    const char *bag = NULL, *commit = NULL, *seed_hex = NULL, *winners = NULL, *parts = NULL;
    const char *announced = NULL, *announced_file = NULL;
    struct uid_list listed = {0}, ann = {0};
    uint8_t seed[PROTO_DRAW_SEED_BYTES], committed[PROTO_DRAW_SEED_BYTES];
    char hex[PROTO_DRAW_HEX_LEN + 1];
    const char **sorted = NULL;
    size_t *idx = NULL, n, got = 0, n_winners = 0;
    enum proto_draw_verdict verdict;
    int rc = 2;

    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = !strcmp(a, "--bag")              ? &bag
                            : !strcmp(a, "--commit")         ? &commit
                            : !strcmp(a, "--seed")           ? &seed_hex
                            : !strcmp(a, "--winners")        ? &winners
                            : !strcmp(a, "--participants")   ? &parts
                            : !strcmp(a, "--announced")      ? &announced
                            : !strcmp(a, "--announced-file") ? &announced_file
                                                             : NULL;

        if (slot == NULL || v == NULL) {
            fprintf(stderr, "verify-draw: unknown option or missing value: %s\n%s", a, usage);
            return 2;
        }
        *slot = v;
    }
    if (!bag || !commit || !seed_hex || !winners || !parts) {
        fputs(usage, stderr);
        return 2;
    }
    if (announced && announced_file) {
        fprintf(stderr, "verify-draw: give --announced or --announced-file, not both\n");
        return 2;
    }
    if (!proto_id_is_valid(bag, strlen(bag))) {
        fprintf(stderr, "verify-draw: --bag must be [A-Za-z0-9_-]{1,64}\n");
        return 2;
    }
    if (!proto_draw_hex_parse(seed_hex, strlen(seed_hex), seed) ||
        !proto_draw_hex_parse(commit, strlen(commit), committed)) {
        fprintf(stderr, "verify-draw: --seed and --commit must be 64 hex digits\n");
        return 2;
    }
    for (const char *p = winners; *p; p++)
        n_winners = *p >= '0' && *p <= '9' && p - winners < 4 ? n_winners * 10 + (size_t)(*p - '0')
                                                              : PROTO_DRAW_WINNERS_MAX + 1;
    if (n_winners < 1 || n_winners > PROTO_DRAW_WINNERS_MAX) {
        fprintf(stderr, "verify-draw: --winners must be 1-%d\n", PROTO_DRAW_WINNERS_MAX);
        return 2;
    }
    if (read_uids(parts, "participants", &listed) < 0)
        goto out;
    if (announced != NULL) {
        ann.buf = strdup(announced);
        if (ann.buf == NULL ||
            split_uids(ann.buf, strlen(ann.buf), ',', "announced winners", &ann) < 0)
            goto out;
    } else if (announced_file != NULL && read_uids(announced_file, "announced winners", &ann) < 0) {
        goto out;
    }

    sorted = malloc((listed.n ? listed.n : 1) * sizeof(*sorted));
    idx = malloc(n_winners * sizeof(*idx));
    if (sorted == NULL || idx == NULL) {
        fprintf(stderr, "verify-draw: out of memory\n");
        goto out;
    }
    if (listed.n > 0)
        memcpy(sorted, listed.v, listed.n * sizeof(*sorted));
    n = proto_draw_prepare(sorted, listed.n);
    if (proto_draw_winners(seed, bag, sorted, n, n_winners, idx, &got) < 0 ||
        proto_draw_verify(seed, commit, strlen(commit), bag, sorted, n, n_winners, ann.v, ann.n,
                          &verdict) < 0) {
        fprintf(stderr, "verify-draw: out of memory\n");
        goto out;
    }

    /* The same lines, in the same words, as proto/tools/verify_draw.py. */
    printf("bag: %s\n", bag);
    printf("participants: %zu distinct (%zu repeated lines ignored)\n", n, listed.n - n);
    proto_draw_commit(seed, hex);
    if (verdict != PROTO_DRAW_BAD_COMMIT) {
        printf("commit: ok, sha256(seed) = %s\n", hex);
    } else {
        printf("commit: MISMATCH, sha256(seed) = %s, ", hex);
        proto_draw_hex(committed, hex);
        printf("announced %s\n", hex);
    }
    printf("winners: %zu of %zu requested, in draw order\n", got, n_winners);
    for (size_t i = 0; i < got; i++)
        printf("%zu %s\n", i + 1, sorted[idx[i]]);
    rc = 1;
    if (verdict == PROTO_DRAW_BAD_COMMIT) {
        printf("result: FAILED: the seed does not match the commitment\n");
    } else if (announced == NULL && announced_file == NULL) {
        printf("result: ok (no announced winners given to compare)\n");
        rc = 0;
    } else if (verdict == PROTO_DRAW_OK) {
        printf("result: ok, the announced winners are the draw's\n");
        rc = 0;
    } else if (verdict == PROTO_DRAW_WINNERS_REORDERED) {
        printf("result: FAILED: the announced winners are the draw's in another order\n");
    } else {
        printf("result: FAILED: the announced winners differ from the draw: ");
        for (size_t i = 0; i < ann.n; i++)
            printf("%s%s", i ? "," : "", ann.v[i]);
        printf("%s\n", ann.n ? "" : "(none)");
    }
out:
    free(sorted);
    free(idx);
    uid_list_fini(&listed);
    uid_list_fini(&ann);
    return rc;
}
