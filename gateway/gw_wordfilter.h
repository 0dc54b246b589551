/* gw_wordfilter.h: the sensitive-word filter: many words matched at once in comment text.
 *
 * A filter is built once from a word list (Aho-Corasick automaton over normalized code
 * points) and is immutable afterwards, so any number of threads may match with it at
 * the same time. A reload builds a new filter and swaps it into a struct
 * gw_wordfilter_ref (below), which frees the old one once no reader holds it.
 *
 * NORMALIZATION. Text and words are compared after the same per-code-point mapping
 * (gw_wordfilter_fold), which is the whole of what is normalized:
 *
 *   1. Full-width ASCII forms U+FF01-U+FF5E become U+0021-U+007E ("ｆｕｃｋ" -> "fuck").
 *   2. ASCII A-Z become a-z. Nothing else is case-folded (no Greek, Cyrillic, ...).
 *   3. These code points are IGNORED: skipped as if absent, so they neither match nor
 *      break a match ("f.u.c.k", "傻 逼", "傻\u200B逼" all read as the word):
 *        - C0 and C1 controls, DEL, and every white space (U+0000-U+0020, U+007F-U+00A0,
 *          U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000);
 *        - ASCII punctuation and symbols (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~), so also
 *          their full-width forms after step 1;
 *        - Latin-1 punctuation and symbols U+00A1-U+00BF (incl. soft hyphen U+00AD and
 *          middle dot U+00B7), U+00D7 and U+00F7;
 *        - combining marks U+0300-U+036F and U+20D0-U+20FF (strike-through and other
 *          overlays on letters), U+061C, Hangul fillers U+115F, U+1160, U+3164, U+FFA0,
 *          U+17B4, U+17B5, Mongolian U+180B-U+180F;
 *        - the General Punctuation block U+2000-U+206F (zero-width space, joiners,
 *          direction marks and overrides, word joiner, dashes, quotes, bullets,
 *          ellipsis, invisible operators) and Supplemental Punctuation U+2E00-U+2E7F;
 *        - symbols U+2190-U+23FF and U+2500-U+2BFF (arrows, math, technical, box
 *          drawing, shapes, miscellaneous symbols, dingbats);
 *        - CJK punctuation U+3001-U+3003, U+3008-U+3011, U+3014-U+301F, U+3030,
 *          U+303D, U+30FB, and the half- and full-width forms U+FF5F-U+FF65 and
 *          U+FFE0-U+FFEE (brackets, CJK punctuation, currency signs, arrows);
 *        - variation selectors U+FE00-U+FE0F and U+E0100-U+E01EF, vertical and
 *          compatibility forms U+FE10-U+FE1F and U+FE30-U+FE6F, U+FEFF, U+FFF9-U+FFFB;
 *        - emoji and pictographs U+1F000-U+1FAFF, and tags U+E0000-U+E007F.
 *   4. Everything else (letters, digits, CJK ideographs, ...) is compared as is.
 *
 * Not normalized: Unicode compatibility forms other than full-width ASCII (no NFKC;
 * circled letters, mathematical alphanumerics), precomposed accents (é is not e),
 * traditional vs simplified Chinese, homophones and pinyin. A byte that is not valid
 * UTF-8 in the text is one unit that matches no word and breaks a match.
 *
 * Matching is by substring of the normalized text (Chinese has no word boundaries), so
 * a word also matches inside a longer word and across ignored characters between two
 * words ("ab cd" contains "bc"): list words that are unambiguous on their own.
 *
 * WORD LIST FILE. UTF-8, one word per line (LF or CRLF), an optional UTF-8 byte order
 * mark at the start. Everything from a `#` to the end of its line is a comment (`#` is
 * ignored in words anyway). A line that is empty, or holds only white space and a
 * comment, is skipped. The rest of a line is one word, stored normalized, so spaces
 * and punctuation inside it do not count ("f u c k" is the word "fuck"); a word
 * repeated (also in another form that normalizes the same) counts once. Limits:
 * GW_WORDFILTER_LINE_MAX bytes per line (comment included), GW_WORDFILTER_WORD_MAX_CP
 * normalized code points per word, GW_WORDFILTER_WORDS_MAX words (repeats included),
 * GW_WORDFILTER_FILE_MAX bytes. A line that is not valid UTF-8, holds a NUL byte, breaks
 * a limit, or has characters but none that can match (only punctuation or symbols)
 * fails the whole load, with an error that names the line.
 *
 * THREADS. A struct gw_wordfilter is immutable: every function taking a const filter is
 * safe from any thread at once. gw_wordfilter_ref (below) is the holder for reloads. */
#ifndef GW_WORDFILTER_H
#define GW_WORDFILTER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GW_WORDFILTER_LINE_MAX    1024              /* bytes per line, without its line end */
#define GW_WORDFILTER_WORD_MAX_CP 64                /* normalized code points per word */
#define GW_WORDFILTER_WORDS_MAX   100000            /* distinct words per list */
#define GW_WORDFILTER_FILE_MAX    (8 * 1024 * 1024) /* bytes per list file */

/* gw_wordfilter_fold's answer for a code point that is ignored. */
#define GW_WORDFILTER_IGNORED UINT32_MAX

struct gw_wordfilter; /* opaque; immutable once built */

/* Why a build or load failed. line is the 1-based line at fault, or 0 when the fault
 * is not one line's (file unreadable, too large, out of memory). */
struct gw_wordfilter_err {
    unsigned long line;
    char msg[192]; /* a sentence naming the fault, NUL-terminated */
};

/* Builds a filter from a word list held in memory (the file format above; data need not
 * be NUL-terminated). Returns the filter (owned by the caller, free it with
 * gw_wordfilter_free or hand it to a gw_wordfilter_ref), or NULL with *err filled in.
 * err may be NULL. */
struct gw_wordfilter *gw_wordfilter_build(const char *data, size_t len,
                                          struct gw_wordfilter_err *err);

/* Reads the word list file at path and builds a filter from it, as gw_wordfilter_build.
 * On failure *err names the file's problem, e.g. line 12: "not valid UTF-8". */
struct gw_wordfilter *gw_wordfilter_load(const char *path, struct gw_wordfilter_err *err);

/* Frees a filter. Accepts NULL. No reader may be using it. */
void gw_wordfilter_free(struct gw_wordfilter *f);

/* Number of distinct (normalized) words in the filter. */
size_t gw_wordfilter_count(const struct gw_wordfilter *f);

/* Bytes the filter occupies in memory (for the log and metrics). */
size_t gw_wordfilter_memory(const struct gw_wordfilter *f);

/* True when any word of f occurs in text[0..len) (after normalization). text need not
 * be valid UTF-8 nor NUL-terminated. Never allocates. f may be NULL (matches nothing). */
bool gw_wordfilter_match(const struct gw_wordfilter *f, const char *text, size_t len);

/* Writes text[0..len) to out with every matched span masked: each code point from the
 * first to the last character of an occurrence (including the ignored characters
 * between them, so "f.u.c.k" becomes "*******") is replaced by one `*`. Everything
 * else is copied unchanged (a byte that is not valid UTF-8 too), so valid UTF-8 in
 * gives valid UTF-8 out. out must hold len + 1 bytes and must not overlap text; it is
 * NUL-terminated. Returns the length written (at most len). *masked (may be NULL)
 * receives the number of code points replaced: 0 exactly when nothing matched. Never
 * allocates. f may be NULL (plain copy). */
size_t gw_wordfilter_mask(const struct gw_wordfilter *f, const char *text, size_t len, char *out,
                          size_t *masked);

/* The normalization of one code point (steps 1-4 above): the code point compared in
 * its place, or GW_WORDFILTER_IGNORED. Exposed for tests and reference matchers. */
uint32_t gw_wordfilter_fold(uint32_t cp);

/* ---- the holder: lock-free reads, reload by pointer swap --------------------------
 *
 * DESIGN. Readers are numbered 0..nreaders-1 (a gateway worker uses its index); each
 * index belongs to one thread at a time and its acquire/release pairs do not nest.
 * Each reader publishes the filter it is using in its own slot (a hazard pointer, on
 * its own cache line), so a read costs one store and two loads, touches no shared
 * cache line for writing, and takes no lock. A swap publishes the new filter with one
 * exchange, then waits until no slot holds the old one, then frees it. Why that is
 * safe is argued in gw_wordfilter.c above gw_wordfilter_ref_acquire. Swaps are
 * serialized by a mutex that readers never touch; a swap waits for at most the
 * readers' current matches (microseconds), so it belongs on a control thread (the
 * SIGHUP handler), not on a worker. */

struct gw_wordfilter_slot {
    _Atomic(struct gw_wordfilter *) hazard; /* the filter reader i is using, or NULL */
} __attribute__((aligned(64)));

struct gw_wordfilter_ref {
    _Atomic(struct gw_wordfilter *) cur; /* owned: the current filter, or NULL */
    struct gw_wordfilter_slot *slots;    /* owned: nreaders slots */
    unsigned nreaders;
    pthread_mutex_t swap_lock; /* serializes swaps (never taken by readers) */
};

/* Initializes r for nreaders (>= 1) reader indexes with the filter initial (NULL means
 * no filter yet). On success r owns initial; on failure the caller still does. Returns
 * 0, -EINVAL (nreaders 0) or -ENOMEM. */
int gw_wordfilter_ref_init(struct gw_wordfilter_ref *r, unsigned nreaders,
                           struct gw_wordfilter *initial);

/* Frees the current filter and the slots. No reader may be active. Accepts a zeroed r. */
void gw_wordfilter_ref_fini(struct gw_wordfilter_ref *r);

/* Makes next (ownership transferred; NULL removes the filter) the current filter, waits
 * until no reader still uses the previous one, and frees it. Readers that start after
 * the call see next. Any thread but a reader's own while it holds a filter. */
void gw_wordfilter_ref_swap(struct gw_wordfilter_ref *r, struct gw_wordfilter *next);

/* Reader `reader` takes the current filter (NULL when none). The filter stays valid
 * (borrowed) until gw_wordfilter_ref_release(r, reader). Lock-free; a swap in
 * progress can make it retry, never wait. */
const struct gw_wordfilter *gw_wordfilter_ref_acquire(struct gw_wordfilter_ref *r, unsigned reader);

/* Ends reader `reader`'s use of the filter it acquired. */
void gw_wordfilter_ref_release(struct gw_wordfilter_ref *r, unsigned reader);

/* acquire + gw_wordfilter_match + release. */
bool gw_wordfilter_ref_match(struct gw_wordfilter_ref *r, unsigned reader, const char *text,
                             size_t len);

/* acquire + gw_wordfilter_mask + release. */
size_t gw_wordfilter_ref_mask(struct gw_wordfilter_ref *r, unsigned reader, const char *text,
                              size_t len, char *out, size_t *masked);

#endif
