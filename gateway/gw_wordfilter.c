/* gw_wordfilter.c: Aho-Corasick over normalized code points, and the reload holder.
 *
 * DESIGN. Every code point a word uses gets a dense symbol 1..nsym. One two-level table
 * maps any code point straight to what the matcher needs: its symbol, SYM_IGNORED for a
 * code point that normalization skips, or 0 for one no word contains (which sends the
 * automaton back to its root). Folding (full-width, ASCII case) is baked into that
 * table at build time, so matching a code point costs a decode, two loads and one
 * automaton step.
 *
 * The automaton's states are numbered in breadth-first order, root 0. The root's goto
 * function is a dense array over the symbols (most steps start from it); other states
 * keep their edges sorted in one compressed array (edge_start, edge_sym, edge_next),
 * searched linearly when short and by bisection otherwise. fail[] are the usual
 * failure links and out_len[s] is the length of the longest word that is a suffix of
 * the text read to reach s (0 for none): the longest one covers every shorter word
 * ending at the same place, so masking needs no output lists. */
#include "gw_wordfilter.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define CP_LIMIT    0x110000u
#define CP_PAGES    (CP_LIMIT >> 8)
#define CP_BAD      0xFFFFFFFEu /* decode's value for a byte that starts no valid sequence */
#define SYM_IGNORED 0xFFFFu     /* symbol table value of an ignored code point */
#define SYM_MAX     0xFFFEu     /* symbols are 1..SYM_MAX */
#define RING        GW_WORDFILTER_WORD_MAX_CP /* unit offsets remembered while masking */
#define MASK_MARK   0xFFu /* never a byte of valid UTF-8: marks masked bytes in out */
#define LINEAR_MAX  8     /* edges searched linearly up to this count */

struct gw_wordfilter {
    uint16_t page_of[CP_PAGES]; /* code point >> 8 -> index into pages (0: all zero) */
    uint16_t (*pages)[256];     /* page 0 is all zero */
    uint32_t npages;
    uint32_t nsym;
    uint32_t nstates;
    uint32_t *root_next;  /* nsym + 1: the root's goto per symbol (0 = root) */
    uint32_t *edge_start; /* nstates + 1: edges of s are [edge_start[s], edge_start[s + 1]) */
    uint16_t *edge_sym;   /* sorted within each state */
    uint32_t *edge_next;
    uint32_t *fail;
    uint8_t *out_len; /* longest word ending in this state, in symbols; 0 = none */
    size_t nwords;
    size_t bytes;
};

/* ---- normalization ---------------------------------------------------------------- */

/* Ignored code points at and above U+0080, sorted (gw_wordfilter.h lists them; the
 * full-width ASCII forms are folded before this table is consulted). */
static const struct {
    uint32_t lo, hi;
} ignored_ranges[] = {
    {0x0080, 0x00BF},   {0x00D7, 0x00D7}, {0x00F7, 0x00F7}, {0x0300, 0x036F},   {0x061C, 0x061C},
    {0x115F, 0x1160},   {0x1680, 0x1680}, {0x17B4, 0x17B5}, {0x180B, 0x180F},   {0x2000, 0x206F},
    {0x20D0, 0x20FF},   {0x2190, 0x23FF}, {0x2500, 0x2BFF}, {0x2E00, 0x2E7F},   {0x3000, 0x3003},
    {0x3008, 0x3011},   {0x3014, 0x301F}, {0x3030, 0x3030}, {0x303D, 0x303D},   {0x30FB, 0x30FB},
    {0x3164, 0x3164},   {0xFE00, 0xFE1F}, {0xFE30, 0xFE6F}, {0xFEFF, 0xFEFF},   {0xFF5F, 0xFF65},
    {0xFFA0, 0xFFA0},   {0xFFE0, 0xFFEE}, {0xFFF9, 0xFFFB}, {0x1F000, 0x1FAFF}, {0xE0000, 0xE007F},
    {0xE0100, 0xE01EF},
};
#define N_IGNORED_RANGES (sizeof(ignored_ranges) / sizeof(ignored_ranges[0]))

static uint32_t fold_ascii(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + ('a' - 'A');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return c;
    return GW_WORDFILTER_IGNORED; /* controls, space, DEL, punctuation and symbols */
}

uint32_t gw_wordfilter_fold(uint32_t cp)
{
    size_t lo = 0, hi = N_IGNORED_RANGES;

    if (cp < 0x80)
        return fold_ascii(cp);
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        return fold_ascii(cp - 0xFEE0);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (cp < ignored_ranges[mid].lo)
            hi = mid;
        else if (cp > ignored_ranges[mid].hi)
            lo = mid + 1;
        else
            return GW_WORDFILTER_IGNORED;
    }
    return cp;
}

/* White space for the loader's "blank line" rule: the trim set of proto_utf8, the
 * controls, and the invisible U+200B-U+200D, U+2060 and U+FEFF. */
static bool is_blank_cp(uint32_t c)
{
    return c <= 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0x1680 || (c >= 0x2000 && c <= 0x200D) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x2060 || c == 0x3000 ||
           c == 0xFEFF;
}

/* Decodes the code point at s[i] (i < len) per RFC 3629 (no overlongs, surrogates or
 * values above U+10FFFF). Returns its byte length, or 1 with *cp = CP_BAD for a byte
 * that does not start a well-formed sequence. Never reads at or past len. */
static inline size_t decode(const unsigned char *s, size_t len, size_t i, uint32_t *cp)
{
    unsigned c = s[i];
    size_t left = len - i;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        if (left >= 2 && (s[i + 1] & 0xC0) == 0x80) {
            *cp = ((uint32_t)(c & 0x1F) << 6) | (s[i + 1] & 0x3F);
            return 2;
        }
    } else if (c >= 0xE0 && c <= 0xEF) {
        if (left >= 3 && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80) {
            v = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) |
                (s[i + 2] & 0x3F);
            if (v >= 0x800 && (v < 0xD800 || v > 0xDFFF)) {
                *cp = v;
                return 3;
            }
        }
    } else if (c >= 0xF0 && c <= 0xF4) {
        if (left >= 4 && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80 &&
            (s[i + 3] & 0xC0) == 0x80) {
            v = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3F) << 12) |
                ((uint32_t)(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
            if (v >= 0x10000 && v < CP_LIMIT) {
                *cp = v;
                return 4;
            }
        }
    }
    *cp = CP_BAD;
    return 1;
}

/* ---- matching --------------------------------------------------------------------- */

static inline uint16_t sym_of(const struct gw_wordfilter *f, uint32_t cp)
{
    if (cp >= CP_LIMIT)
        return 0; /* CP_BAD: a stray byte matches nothing and breaks a match */
    return f->pages[f->page_of[cp >> 8]][cp & 0xFF];
}

static inline uint32_t find_edge(const struct gw_wordfilter *f, uint32_t s, uint16_t sym)
{
    uint32_t lo = f->edge_start[s], hi = f->edge_start[s + 1];

    if (hi - lo <= LINEAR_MAX) {
        for (; lo < hi; lo++)
            if (f->edge_sym[lo] == sym)
                return f->edge_next[lo];
        return 0;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (f->edge_sym[mid] < sym)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < f->edge_start[s + 1] && f->edge_sym[lo] == sym ? f->edge_next[lo] : 0;
}

/* One automaton step from state s on symbol sym (not SYM_IGNORED). No edge ever leads
 * back to the root, so a 0 from find_edge means "no edge". */
static inline uint32_t step(const struct gw_wordfilter *f, uint32_t s, uint16_t sym)
{
    if (sym == 0)
        return 0;
    while (s != 0) {
        uint32_t next = find_edge(f, s, sym);

        if (next != 0)
            return next;
        s = f->fail[s];
    }
    return f->root_next[sym];
}

bool gw_wordfilter_match(const struct gw_wordfilter *f, const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    uint32_t s = 0;
    size_t i = 0;

    if (f == NULL || f->nwords == 0)
        return false;
    while (i < len) {
        uint32_t cp = p[i];
        uint16_t sym;

        i += cp < 0x80 ? 1 : decode(p, len, i, &cp);
        sym = sym_of(f, cp);
        if (sym == SYM_IGNORED)
            continue;
        s = step(f, s, sym);
        if (f->out_len[s] != 0)
            return true;
    }
    return false;
}

size_t gw_wordfilter_mask(const struct gw_wordfilter *f, const char *text, size_t len, char *out,
                          size_t *masked)
{
    const unsigned char *p = (const unsigned char *)text;
    unsigned char *o = (unsigned char *)out;
    size_t ring[RING]; /* byte offset of the last RING units, by unit number % RING */
    size_t i = 0, unit = 0, w = 0, n_masked = 0;
    uint32_t s = 0;
    bool any = false;

    if (len > 0)
        memcpy(out, text, len);
    out[len] = '\0';
    if (masked != NULL)
        *masked = 0;
    if (f == NULL || f->nwords == 0)
        return len;

    /* Pass 1: mark the bytes of every occurrence, from its first unit's first byte to
     * its last unit's last byte. Only ignored code points lie between the units of an
     * occurrence, so a mark never covers a stray byte, and marks fall on code point
     * boundaries. */
    while (i < len) {
        size_t start = i;
        uint32_t cp = p[i];
        uint16_t sym;

        i += cp < 0x80 ? 1 : decode(p, len, i, &cp);
        sym = sym_of(f, cp);
        if (sym == SYM_IGNORED)
            continue;
        ring[unit % RING] = start;
        s = step(f, s, sym);
        if (f->out_len[s] != 0) {
            size_t from = ring[(unit + 1 - f->out_len[s]) % RING];

            memset(o + from, MASK_MARK, i - from);
            any = true;
        }
        unit++;
    }
    if (!any)
        return len;

    /* Pass 2: compact in place, one `*` per marked code point. A marked byte is one
     * that reads MASK_MARK in out but not in text (text may hold a stray 0xFF, never
     * inside a mark). The write position never passes the read position, and each
     * code point's mark is read before anything is written over it. */
    for (i = 0; i < len;) {
        uint32_t cp;
        size_t n = decode(p, len, i, &cp);

        if (o[i] == MASK_MARK && p[i] != MASK_MARK) {
            o[w++] = '*';
            n_masked++;
        } else {
            memmove(o + w, p + i, n);
            w += n;
        }
        i += n;
    }
    o[w] = '\0';
    if (masked != NULL)
        *masked = n_masked;
    return w;
}

size_t gw_wordfilter_count(const struct gw_wordfilter *f)
{
    return f->nwords;
}

size_t gw_wordfilter_memory(const struct gw_wordfilter *f)
{
    return f->bytes;
}

void gw_wordfilter_free(struct gw_wordfilter *f)
{
    if (f == NULL)
        return;
    free(f->pages);
    free(f->root_next);
    free(f->edge_start);
    free(f->edge_sym);
    free(f->edge_next);
    free(f->fail);
    free(f->out_len);
    free(f);
}

/* ---- building --------------------------------------------------------------------- */

static void set_err(struct gw_wordfilter_err *err, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(struct gw_wordfilter_err *err, unsigned long line, const char *fmt, ...)
{
    va_list ap;
    int n = 0;

    if (err == NULL)
        return;
    err->line = line;
    if (line > 0)
        n = snprintf(err->msg, sizeof(err->msg), "line %lu: ", line);
    va_start(ap, fmt);
    vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
    va_end(ap);
}

/* The parsed list: every word's normalized code points, back to back. */
struct words {
    uint32_t *cp;     /* all code points */
    size_t ncp, cap;  /* used and allocated */
    uint32_t *off;    /* word k is cp[off[k] .. off[k + 1]) */
    size_t n, offcap; /* words, allocated offsets */
};

static void words_fini(struct words *w)
{
    free(w->cp);
    free(w->off);
}

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    size_t ncap = *cap ? *cap : 64;
    void *q;

    if (need <= *cap)
        return true;
    while (ncap < need)
        ncap *= 2;
    q = realloc(*p, ncap * size);
    if (q == NULL)
        return false;
    *p = q;
    *cap = ncap;
    return true;
}

/* Parses one line (comment cut off already) into w. Returns 0, 1 for a blank line, or
 * -1 after set_err. */
static int parse_line(const unsigned char *s, size_t len, unsigned long line, struct words *w,
                      struct gw_wordfilter_err *err)
{
    size_t i = 0, first = w->ncp, ncp = 0;
    bool blank = true;

    while (i < len) {
        uint32_t cp, folded;
        size_t at = i;

        i += decode(s, len, i, &cp);
        if (cp == CP_BAD) {
            set_err(err, line, "not valid UTF-8 (byte %zu of the line)", at + 1);
            return -1;
        }
        if (cp == 0) {
            set_err(err, line, "holds a NUL byte");
            return -1;
        }
        blank = blank && is_blank_cp(cp);
        folded = gw_wordfilter_fold(cp);
        if (folded == GW_WORDFILTER_IGNORED)
            continue;
        if (++ncp > GW_WORDFILTER_WORD_MAX_CP) {
            set_err(err, line, "word longer than %d characters (after normalization)",
                    GW_WORDFILTER_WORD_MAX_CP);
            return -1;
        }
        if (!grow((void **)&w->cp, &w->cap, w->ncp + 1, sizeof(uint32_t))) {
            set_err(err, line, "out of memory");
            return -1;
        }
        w->cp[w->ncp++] = folded;
    }
    if (ncp == 0) {
        if (blank)
            return 1;
        set_err(err, line,
                "no character of this word can match (only spaces, punctuation or symbols)");
        return -1;
    }
    if (w->n >= GW_WORDFILTER_WORDS_MAX) {
        set_err(err, line, "more than %d words", GW_WORDFILTER_WORDS_MAX);
        return -1;
    }
    if (!grow((void **)&w->off, &w->offcap, w->n + 2, sizeof(uint32_t))) {
        set_err(err, line, "out of memory");
        return -1;
    }
    w->off[w->n] = (uint32_t)first;
    w->off[++w->n] = (uint32_t)w->ncp;
    return 0;
}

/* Splits data into lines and parses each. Returns 0 or -1 after set_err. */
static int parse_list(const char *data, size_t len, struct words *w, struct gw_wordfilter_err *err)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t pos = 0;
    unsigned long line = 0;

    if (len > GW_WORDFILTER_FILE_MAX) {
        set_err(err, 0, "word list larger than %d bytes", GW_WORDFILTER_FILE_MAX);
        return -1;
    }
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        pos = 3; /* byte order mark */
    while (pos < len) {
        const unsigned char *nl = memchr(s + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - s) : len, n = end - pos;
        const unsigned char *hash;

        line++;
        if (n > 0 && s[pos + n - 1] == '\r')
            n--;
        if (n > GW_WORDFILTER_LINE_MAX) {
            set_err(err, line, "longer than %d bytes", GW_WORDFILTER_LINE_MAX);
            return -1;
        }
        /* '#' (0x23) never occurs inside a multi-byte sequence, so cutting there
         * keeps the rest of the line's encoding intact. */
        hash = memchr(s + pos, '#', n);
        if (hash != NULL)
            n = (size_t)(hash - (s + pos));
        if (parse_line(s + pos, n, line, w, err) < 0)
            return -1;
        pos = end + 1;
    }
    return 0;
}

struct wordref {
    const uint16_t *sym;
    uint32_t len;
};

static int wordref_cmp(const void *a, const void *b)
{
    const struct wordref *x = a, *y = b;
    uint32_t n = x->len < y->len ? x->len : y->len;

    for (uint32_t i = 0; i < n; i++)
        if (x->sym[i] != y->sym[i])
            return x->sym[i] < y->sym[i] ? -1 : 1;
    return x->len < y->len ? -1 : x->len > y->len;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* Symbol of code point cp (1-based index in the sorted distinct list), 0 if absent. */
static uint16_t lookup_sym(const uint32_t *distinct, size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (distinct[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && distinct[lo] == cp ? (uint16_t)(lo + 1) : 0;
}

/* Sets the symbol table entry of cp, allocating its page on first use. */
static bool map_set(struct gw_wordfilter *f, uint32_t cp, uint16_t v)
{
    uint32_t pg = cp >> 8;

    if (v == 0)
        return true;
    if (f->page_of[pg] == 0) {
        void *q = realloc(f->pages, (f->npages + 1) * sizeof(*f->pages));

        if (q == NULL)
            return false;
        f->pages = q;
        memset(f->pages[f->npages], 0, sizeof(*f->pages));
        f->page_of[pg] = (uint16_t)f->npages++;
    }
    f->pages[f->page_of[pg]][cp & 0xFF] = v;
    return true;
}

/* The table entry of cp: its folded code point's symbol, or SYM_IGNORED. */
static uint16_t map_value(const uint32_t *distinct, size_t n, uint32_t cp)
{
    uint32_t folded = gw_wordfilter_fold(cp);

    return folded == GW_WORDFILTER_IGNORED ? SYM_IGNORED : lookup_sym(distinct, n, folded);
}

/* Fills the code point table. Only these code points can have a non-zero entry: the
 * ignored ones, ASCII and full-width ASCII (which fold), and the words' own. */
static bool build_map(struct gw_wordfilter *f, const uint32_t *distinct, size_t n)
{
    f->pages = calloc(1, sizeof(*f->pages)); /* the zero page */
    if (f->pages == NULL)
        return false;
    f->npages = 1;
    for (uint32_t cp = 0; cp < 0x80; cp++)
        if (!map_set(f, cp, map_value(distinct, n, cp)))
            return false;
    for (uint32_t cp = 0xFF01; cp <= 0xFF5E; cp++)
        if (!map_set(f, cp, map_value(distinct, n, cp)))
            return false;
    for (size_t r = 0; r < N_IGNORED_RANGES; r++)
        for (uint32_t cp = ignored_ranges[r].lo; cp <= ignored_ranges[r].hi; cp++)
            if (!map_set(f, cp, SYM_IGNORED))
                return false;
    for (size_t k = 0; k < n; k++)
        if (!map_set(f, distinct[k], (uint16_t)(k + 1)))
            return false;
    return true;
}

/* The temporary trie, built from the sorted words: each node's children are created in
 * increasing symbol order, so they are appended to a list and never searched. */
struct trie {
    uint32_t *first, *last, *next; /* first child, last child, next sibling (0 = none) */
    uint16_t *sym;
    uint8_t *word; /* word length ending here, 0 = none */
    uint32_t n;
};

static void trie_fini(struct trie *t)
{
    free(t->first);
    free(t->last);
    free(t->next);
    free(t->sym);
    free(t->word);
}

static bool trie_build(struct trie *t, const struct wordref *ws, size_t nw, size_t max_nodes,
                       size_t *distinct_words)
{
    uint32_t path[GW_WORDFILTER_WORD_MAX_CP + 1];
    const struct wordref *prev = NULL;

    t->first = calloc(max_nodes, sizeof(uint32_t));
    t->last = calloc(max_nodes, sizeof(uint32_t));
    t->next = calloc(max_nodes, sizeof(uint32_t));
    t->sym = calloc(max_nodes, sizeof(uint16_t));
    t->word = calloc(max_nodes, sizeof(uint8_t));
    if (!t->first || !t->last || !t->next || !t->sym || !t->word)
        return false;
    t->n = 1; /* the root */
    path[0] = 0;
    *distinct_words = 0;
    for (size_t k = 0; k < nw; k++) {
        const struct wordref *w = &ws[k];
        uint32_t common = 0;

        if (prev != NULL)
            while (common < prev->len && common < w->len && prev->sym[common] == w->sym[common])
                common++;
        if (prev == NULL || common < w->len || prev->len != w->len)
            ++*distinct_words;
        for (uint32_t d = common; d < w->len; d++) {
            uint32_t parent = path[d], node = t->n++;

            t->sym[node] = w->sym[d];
            if (t->first[parent] == 0)
                t->first[parent] = node;
            else
                t->next[t->last[parent]] = node;
            t->last[parent] = node;
            path[d + 1] = node;
        }
        t->word[path[w->len]] = (uint8_t)w->len;
        prev = w;
    }
    return true;
}

/* Lays the trie out breadth-first into f, then computes failure links and out_len. */
static bool automaton_build(struct gw_wordfilter *f, const struct trie *t)
{
    uint32_t *order = malloc(t->n * sizeof(uint32_t));  /* BFS position -> trie node */
    uint32_t *parent = malloc(t->n * sizeof(uint32_t)); /* by new id */
    uint16_t *via = malloc(t->n * sizeof(uint16_t));    /* symbol into the state */
    uint32_t head = 0, tail = 1, nedges = 0;
    bool ok = false;

    f->nstates = t->n;
    f->root_next = calloc(f->nsym + 1, sizeof(uint32_t));
    f->edge_start = calloc(t->n + 1, sizeof(uint32_t));
    f->edge_sym = malloc((t->n > 1 ? t->n - 1 : 1) * sizeof(uint16_t));
    f->edge_next = malloc((t->n > 1 ? t->n - 1 : 1) * sizeof(uint32_t));
    f->fail = calloc(t->n, sizeof(uint32_t));
    f->out_len = calloc(t->n, sizeof(uint8_t));
    if (!order || !parent || !via || !f->root_next || !f->edge_start || !f->edge_sym ||
        !f->edge_next || !f->fail || !f->out_len)
        goto out;

    /* Breadth-first: the new id of a node is its position in order[]. Children are
     * visited in symbol order, so each state's edges come out sorted. */
    order[0] = 0;
    while (head < tail) {
        uint32_t id = head, node = order[head++];

        f->edge_start[id] = nedges;
        f->out_len[id] = t->word[node];
        for (uint32_t c = t->first[node]; c != 0; c = t->next[c]) {
            uint32_t cid = tail;

            order[tail++] = c;
            parent[cid] = id;
            via[cid] = t->sym[c];
            f->edge_sym[nedges] = t->sym[c];
            f->edge_next[nedges++] = cid;
            if (id == 0)
                f->root_next[t->sym[c]] = cid;
        }
    }
    f->edge_start[t->n] = nedges;

    /* Failure links in breadth-first order: a state's link is shallower, so it and its
     * out_len are final when the state is reached. */
    for (uint32_t v = 1; v < t->n; v++) {
        uint32_t g = parent[v], target = 0;

        if (g != 0) {
            for (g = f->fail[g];; g = f->fail[g]) {
                target = g == 0 ? f->root_next[via[v]] : find_edge(f, g, via[v]);
                if (target != 0 || g == 0)
                    break;
            }
        }
        f->fail[v] = target;
        if (f->out_len[target] > f->out_len[v])
            f->out_len[v] = f->out_len[target];
    }
    f->bytes += (f->nsym + 1) * sizeof(uint32_t) + (t->n + 1) * sizeof(uint32_t) +
                nedges * (sizeof(uint16_t) + sizeof(uint32_t)) +
                t->n * (sizeof(uint32_t) + sizeof(uint8_t));
    ok = true;
out:
    free(order);
    free(parent);
    free(via);
    return ok;
}

struct gw_wordfilter *gw_wordfilter_build(const char *data, size_t len,
                                          struct gw_wordfilter_err *err)
{
    struct words w = {0};
    struct trie t = {0};
    struct gw_wordfilter *f = NULL;
    uint32_t *distinct = NULL;
    uint16_t *syms = NULL;
    struct wordref *refs = NULL;
    size_t ndistinct = 0;

    if (parse_list(data, len, &w, err) < 0)
        goto fail;
    f = calloc(1, sizeof(*f));
    distinct = malloc((w.ncp ? w.ncp : 1) * sizeof(uint32_t));
    syms = malloc((w.ncp ? w.ncp : 1) * sizeof(uint16_t));
    refs = malloc((w.n ? w.n : 1) * sizeof(*refs));
    if (!f || !distinct || !syms || !refs)
        goto oom;

    /* Symbols: the distinct code points in increasing order. */
    if (w.ncp > 0)
        memcpy(distinct, w.cp, w.ncp * sizeof(uint32_t));
    qsort(distinct, w.ncp, sizeof(uint32_t), u32_cmp);
    for (size_t k = 0; k < w.ncp; k++)
        if (ndistinct == 0 || distinct[ndistinct - 1] != distinct[k])
            distinct[ndistinct++] = distinct[k];
    if (ndistinct > SYM_MAX) {
        set_err(err, 0, "the words use more than %u distinct characters", SYM_MAX);
        goto fail;
    }
    f->nsym = (uint32_t)ndistinct;
    for (size_t k = 0; k < w.ncp; k++)
        syms[k] = lookup_sym(distinct, ndistinct, w.cp[k]);
    for (size_t k = 0; k < w.n; k++) {
        refs[k].sym = syms + w.off[k];
        refs[k].len = w.off[k + 1] - w.off[k];
    }
    qsort(refs, w.n, sizeof(*refs), wordref_cmp);

    if (!build_map(f, distinct, ndistinct) || !trie_build(&t, refs, w.n, w.ncp + 1, &f->nwords) ||
        !automaton_build(f, &t))
        goto oom;
    f->bytes += sizeof(*f) + f->npages * sizeof(*f->pages);
    trie_fini(&t);
    free(refs);
    free(syms);
    free(distinct);
    words_fini(&w);
    return f;
oom:
    set_err(err, 0, "out of memory");
fail:
    trie_fini(&t);
    free(refs);
    free(syms);
    free(distinct);
    words_fini(&w);
    gw_wordfilter_free(f);
    return NULL;
}

struct gw_wordfilter *gw_wordfilter_load(const char *path, struct gw_wordfilter_err *err)
{
    struct gw_wordfilter *f;
    struct stat st;
    FILE *in = fopen(path, "rb");
    char *data;
    size_t got;

    if (in == NULL) {
        set_err(err, 0, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode)) {
        set_err(err, 0, "%s is not a regular file", path);
        fclose(in);
        return NULL;
    }
    if (st.st_size > GW_WORDFILTER_FILE_MAX) {
        set_err(err, 0, "%s is larger than %d bytes", path, GW_WORDFILTER_FILE_MAX);
        fclose(in);
        return NULL;
    }
    data = malloc((size_t)st.st_size + 1);
    if (data == NULL) {
        set_err(err, 0, "out of memory");
        fclose(in);
        return NULL;
    }
    /* Read one byte more than the size said, to notice a file that grew meanwhile. */
    got = fread(data, 1, (size_t)st.st_size + 1, in);
    if (ferror(in) || got > (size_t)st.st_size) {
        set_err(err, 0, "cannot read %s: %s", path,
                ferror(in) ? strerror(errno) : "it changed while being read");
        free(data);
        fclose(in);
        return NULL;
    }
    fclose(in);
    f = gw_wordfilter_build(data, got, err);
    free(data);
    return f;
}

/* ---- the holder ------------------------------------------------------------------- *
 *
 * CORRECTNESS. The swap frees the old filter F only after it has exchanged cur away
 * from F and then seen every slot not equal to F. Take a reader that returns F from
 * acquire: it stored hazard = F, then loaded cur and read F. All three are seq_cst
 * (the swap's exchange and its slot loads too), so they sit in one total order S.
 * The reader's load of cur read F, so it precedes the swap's exchange in S (after it,
 * cur is never F again until a new filter happens to get F's address, which is
 * harmless: that reader then uses the new filter, valid and protected alike). The
 * reader's store of hazard precedes its load, hence precedes the exchange, hence
 * precedes the swap's load of that slot: the swap reads F or a later value of the
 * slot, which is only written by that reader's release (or a later acquire). So the
 * swap waits until the reader releases, and the release store (release) read by the
 * swap's load (seq_cst, so acquire) orders every read of F before the free. A reader
 * whose check of cur reads something else simply retries with that value, having
 * read nothing through F. Readers never wait; a swap waits only for matches that
 * started before it. */

int gw_wordfilter_ref_init(struct gw_wordfilter_ref *r, unsigned nreaders,
                           struct gw_wordfilter *initial)
{
    if (nreaders == 0)
        return -EINVAL;
    r->slots = aligned_alloc(64, nreaders * sizeof(*r->slots));
    if (r->slots == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < nreaders; i++)
        atomic_init(&r->slots[i].hazard, NULL);
    r->nreaders = nreaders;
    atomic_init(&r->cur, initial);
    pthread_mutex_init(&r->swap_lock, NULL);
    return 0;
}

void gw_wordfilter_ref_fini(struct gw_wordfilter_ref *r)
{
    if (r->slots == NULL)
        return;
    /* relaxed: no reader is active, so nothing else touches cur any more. */
    gw_wordfilter_free(atomic_load_explicit(&r->cur, memory_order_relaxed));
    free(r->slots);
    r->slots = NULL;
    pthread_mutex_destroy(&r->swap_lock);
}

void gw_wordfilter_ref_swap(struct gw_wordfilter_ref *r, struct gw_wordfilter *next)
{
    struct gw_wordfilter *old;

    pthread_mutex_lock(&r->swap_lock);
    /* seq_cst: publishes next (its release half pairs with the acquire of readers that
     * read it) and orders this exchange before the slot loads below in S, against the
     * readers' hazard store + cur check (see CORRECTNESS above). */
    old = atomic_exchange_explicit(&r->cur, next, memory_order_seq_cst);
    if (old != NULL) {
        for (unsigned i = 0; i < r->nreaders; i++) {
            /* seq_cst: the other half of the Dekker pair; as an acquire it pairs with
             * the reader's release store, so its reads of old happen before the free. */
            while (atomic_load_explicit(&r->slots[i].hazard, memory_order_seq_cst) == old) {
                struct timespec nap = {0, 20000};

                nanosleep(&nap, NULL);
            }
        }
        gw_wordfilter_free(old);
    }
    pthread_mutex_unlock(&r->swap_lock);
}

const struct gw_wordfilter *gw_wordfilter_ref_acquire(struct gw_wordfilter_ref *r, unsigned reader)
{
    struct gw_wordfilter_slot *slot;
    struct gw_wordfilter *f;

    assert(reader < r->nreaders);
    slot = &r->slots[reader];
    /* relaxed: only a first guess; the seq_cst load below validates it and is the
     * load that synchronizes with the swap that published the filter. */
    f = atomic_load_explicit(&r->cur, memory_order_relaxed);

    for (;;) {
        struct gw_wordfilter *now;

        /* seq_cst store, then seq_cst load: no store-load reordering, so either the
         * swap sees this hazard or this load sees the swap (CORRECTNESS above). */
        atomic_store_explicit(&slot->hazard, f, memory_order_seq_cst);
        now = atomic_load_explicit(&r->cur, memory_order_seq_cst);
        if (now == f)
            return f;
        f = now;
    }
}

void gw_wordfilter_ref_release(struct gw_wordfilter_ref *r, unsigned reader)
{
    assert(reader < r->nreaders);
    /* release: pairs with the swap's slot load; this reader's reads of the filter
     * happen before that swap frees it. */
    atomic_store_explicit(&r->slots[reader].hazard, NULL, memory_order_release);
}

bool gw_wordfilter_ref_match(struct gw_wordfilter_ref *r, unsigned reader, const char *text,
                             size_t len)
{
    bool hit = gw_wordfilter_match(gw_wordfilter_ref_acquire(r, reader), text, len);

    gw_wordfilter_ref_release(r, reader);
    return hit;
}

size_t gw_wordfilter_ref_mask(struct gw_wordfilter_ref *r, unsigned reader, const char *text,
                              size_t len, char *out, size_t *masked)
{
    size_t n = gw_wordfilter_mask(gw_wordfilter_ref_acquire(r, reader), text, len, out, masked);

    gw_wordfilter_ref_release(r, reader);
    return n;
}
