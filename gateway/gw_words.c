/* gw_words.c: the sensitive-word filter of the gateway (see gw_words.h). */
#include "gw_words.h"

#include <stdlib.h>
#include <string.h>

#include "gw_log.h"
#include "gw_server.h"
#include "gw_util.h"

int gw_words_init(struct gw_server *srv)
{
    const struct gw_config *cfg = &srv->cfg;
    struct gw_wordfilter *f = NULL;
    struct gw_wordfilter_err err;

    srv->words_refuse = strcmp(cfg->words_action, "refuse") == 0;
    if (cfg->words[0]) {
        f = gw_wordfilter_load(cfg->words, &err);
        if (!f) {
            if (err.line)
                gw_err("--words %s: line %lu: %s", cfg->words, err.line, err.msg);
            else
                gw_err("--words %s: %s", cfg->words, err.msg);
            return -1;
        }
        gw_info("word filter: %zu words from %s (%zu KB), comments with them are %s",
                gw_wordfilter_count(f), cfg->words, gw_wordfilter_memory(f) / 1024,
                srv->words_refuse ? "refused" : "masked");
        srv->words_on = true;
    }
    if (gw_wordfilter_ref_init(&srv->words, (unsigned)srv->nworkers, f) < 0) {
        gw_wordfilter_free(f);
        gw_err("word filter: out of memory");
        return -1;
    }
    return 0;
}

int gw_words_reload(struct gw_server *srv)
{
    struct gw_wordfilter_err err;
    struct gw_wordfilter *f;

    if (!srv->words_on) {
        gw_info("SIGHUP: no --words list to reload");
        return 0;
    }
    f = gw_wordfilter_load(srv->cfg.words, &err);
    if (!f) {
        gw_err("SIGHUP: %s not reloaded (line %lu: %s); the current list stays", srv->cfg.words,
               err.line, err.msg);
        return -1;
    }
    gw_info("SIGHUP: word filter reloaded: %zu words from %s", gw_wordfilter_count(f),
            srv->cfg.words);
    gw_wordfilter_ref_swap(&srv->words, f);
    return 0;
}

enum gw_words_verdict gw_words_filter(struct gw_worker *w, const char *text, char **masked)
{
    struct gw_server *srv = w->srv;
    size_t len = strlen(text), n = 0;
    char *out;

    *masked = NULL;
    if (srv->words_refuse) {
        if (!gw_wordfilter_ref_match(&srv->words, (unsigned)w->idx, text, len))
            return GW_WORDS_CLEAN;
        gw_count(&w->m.comments_blocked, 1);
        return GW_WORDS_BLOCKED;
    }
    out = gw_xmalloc(len + 1);
    gw_wordfilter_ref_mask(&srv->words, (unsigned)w->idx, text, len, out, &n);
    if (!n) {
        free(out);
        return GW_WORDS_CLEAN;
    }
    gw_count(&w->m.comments_masked, 1);
    *masked = out;
    return GW_WORDS_MASKED;
}

void gw_words_fini(struct gw_server *srv)
{
    gw_wordfilter_ref_fini(&srv->words);
}
