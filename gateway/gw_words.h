/* gw_words.h: the sensitive-word filter as the gateway uses it: loaded at start from
 * --words, reloaded on SIGHUP, applied to viewers' comments (hosts are not filtered).
 *
 * The filter itself (matching, normalization, the lock-free reload holder) is
 * gw_wordfilter.h; the holder lives in struct gw_server (`words`), with one reader slot
 * per worker thread. --words-action says whether a comment with a listed word is
 * refused (error `blocked`) or broadcast with the word masked as `*`. */
#ifndef GW_WORDS_H
#define GW_WORDS_H

struct gw_server;
struct gw_worker;

/* Loads --words (if set) into srv->words. Returns 0, or -1 after logging why the list
 * does not load (the gateway then does not start). Before the workers start. */
int gw_words_init(struct gw_server *srv);

/* Reloads the word list file (SIGHUP, main thread). A list that does not load keeps
 * the current one, with an error in the log. Returns 0 or -1. */
int gw_words_reload(struct gw_server *srv);

enum gw_words_verdict { GW_WORDS_CLEAN, GW_WORDS_MASKED, GW_WORDS_BLOCKED };

/* Runs a viewer's comment text through the filter on worker w. MASKED: *masked is the
 * text with the listed words as `*` (the caller frees it). */
enum gw_words_verdict gw_words_filter(struct gw_worker *w, const char *text, char **masked);

/* Frees the filter (process exit). */
void gw_words_fini(struct gw_server *srv);

#endif
