/* gw_trust.h: a room's trust index, its moving baseline, and when to fire a prompt wave.
 *
 * A pure, single-threaded module: one struct gw_trust per room, owned by the caller,
 * who calls gw_trust_tick once per second with what happened in the room during that
 * second, and gw_trust_event when a sale sells out or a bag is drawn. Calls for one
 * room must not overlap (e.g. make them under the room's lock, or from one thread). No
 * allocation, no clock, no I/O: time is the caller's now_s.
 *
 * THE INDEX. Every second s the counters are weighted into a score
 *
 *     score(s) = 1.0 * comments + 0.05 * likes + 2.0 * card_clicks + 5.0 * orders
 *                + 0.5 * bag_joins                      (weights: gw_trust_config)
 *
 * (likes are the sum of like.n, so twenty taps weigh one comment; a click on the
 * product card and, more, an order, show trust in the host). Over the last W = 20
 * seconds (window_s):
 *
 *     index = 100 * sum(score) / (W' * max(mean(online), online_floor = 20))
 *
 * where W' is the number of seconds of the window already seen (W after the first W
 * ticks): weighted interactions per 100 viewers per second. Dividing by the viewers
 * makes rooms of any size comparable and a room whose audience grows does not look
 * hotter; the floor of 20 viewers keeps a handful of viewers from producing huge
 * indexes.
 *
 * THE BASELINE is an exponentially weighted mean m and standard deviation d of the
 * index, with a half-life of 180 s (half_life_s), bias-corrected so that it is the
 * weighted mean of the seconds seen so far from the very first tick. Each second the
 * index is judged against the baseline of the seconds before it, then enters it. A
 * HIGH second (index >= threshold and window sum >= min_score, below; judged from the
 * second window on, during warm-up too) enters the mean as the threshold and stays out
 * of the deviation, which only ordinary seconds make: a burst neither lifts the bar for
 * the next one much nor widens d (which would make the room deaf for minutes), while a
 * room that stays hotter still lifts m by at least ln(2) * (factor - 1) * m per
 * half-life (70% with the defaults), and is absorbed within a few minutes.
 *
 * A PEAK SECOND is one where all of these hold:
 *   - warm-up is over: more than 120 seconds since the first tick (warmup_s);
 *   - online >= 10 (min_online): smaller rooms get no automatic waves;
 *   - sum(score) over the window >= 40 (min_score), i.e. 2 weighted interactions per
 *     second: the floor against noise, since a few random comments in a quiet room
 *     are a large relative jump;
 *   - index >= threshold = max(2.0 * m (factor), m + 3.0 * d (z)).
 * A WAVE fires (gw_trust_tick returns true) at the second when peak seconds have run for
 * 5 consecutive seconds (sustain_s), at most once per run of peak seconds, and only when
 * no wave fired in the last 300 s (cooldown_s); a run that is still going when the
 * cooldown ends fires then. gw_trust_event (a sale sold out, a bag drawn) fires a wave
 * at once, warm-up or not, whatever the room's size, subject to the same cooldown, which
 * it restarts; an event inside the cooldown is dropped, not deferred (the moment has
 * passed). An event during a run of peak seconds stands for that run's wave.
 *
 * WHY THESE DEFAULTS. Counts in a room are close to Poisson, and with weights of 2 and 5
 * on rare clicks and orders their windowed sums have a long right tail. Simulated
 * steady rooms (test/gateway-unit/test_gw_trust.c has such series), 80 room-hours each,
 * from 60 to 3,000 viewers with 2-20 weighted interactions per second: with a 10 s
 * window, factor 1.5, a floor of 20 and 3 s sustain, a 100-viewer room fired 162 false
 * waves; with these defaults none fired in four of five room types and one in the
 * fifth (60 viewers, mostly likes and bag joins). The price is latency: activity five
 * times the baseline fills the window enough after 5 s and fires about 10 s after the
 * rise; a mere doubling must last the whole window plus the sustain (25 s). Raise
 * factor or window_s if false waves show up; lower them to catch smaller rises.
 *
 * Ticks should come once per second (now_s + 1 each time). A tick that skips seconds
 * counts the skipped ones as silent and restarts the run of peak seconds; a tick for a
 * second already seen (or earlier) only adds its counters to the current second. */
#ifndef GW_TRUST_H
#define GW_TRUST_H

#include <stdbool.h>
#include <stdint.h>

#define GW_TRUST_WINDOW_MAX 60 /* seconds */

struct gw_trust_config {
    unsigned window_s;   /* 20: seconds in the sliding window, 1..GW_TRUST_WINDOW_MAX */
    double w_comment;    /* 1.0 */
    double w_like;       /* 0.05 (per like, i.e. per unit of like.n) */
    double w_click;      /* 2.0: card clicks */
    double w_order;      /* 5.0 */
    double w_bag_join;   /* 0.5 */
    double online_floor; /* 20: the index divides by at least this many viewers */
    double half_life_s;  /* 180: of the baseline's weights, > 0 */
    unsigned warmup_s;   /* 120: seconds from the first tick without automatic waves */
    unsigned min_online; /* 10: fewer viewers online, no automatic wave */
    double min_score;    /* 40: least weighted interactions in the window for a peak */
    double factor;       /* 2.0: a peak is at least factor * baseline, >= 1 */
    double z;            /* 3.0: and at least baseline + z * deviation, >= 0 */
    unsigned sustain_s;  /* 5: consecutive peak seconds before a wave, >= 1 */
    unsigned cooldown_s; /* 300: least seconds between two waves (automatic or event) */
};

/* What the room did during one second (or since the previous tick). */
struct gw_trust_counters {
    uint64_t comments;    /* accepted comments */
    uint64_t likes;       /* sum of like.n */
    uint64_t card_clicks; /* card_click messages */
    uint64_t orders;      /* orders placed */
    uint64_t bag_joins;   /* lucky-bag joins (first join per uid) */
};

enum gw_trust_event_kind {
    GW_TRUST_EVENT_SOLD_OUT = 1, /* a sale's stock reached 0 */
    GW_TRUST_EVENT_BAG_DRAWN,    /* a lucky bag was drawn */
};

/* The room's figures after a tick, for display (GET /api/rooms/<room>, logs). */
struct gw_trust_status {
    double index;     /* the trust index this second */
    double baseline;  /* m, before this second entered it */
    double deviation; /* d, likewise */
    double threshold; /* max(factor * m, m + z * d) */
    double score;     /* weighted interactions in the window */
    bool warm;        /* warm-up over */
    bool peak;        /* this second is a peak second */
    unsigned run_s;   /* consecutive peak seconds up to this one */
    bool fire;        /* this tick fires a wave (what gw_trust_tick returned) */
};

/* One room's state. Fields are private to gw_trust.c; the caller allocates it. */
struct gw_trust {
    struct gw_trust_config cfg;
    double keep; /* 2^(-1 / half_life_s): weight kept by the older seconds each tick */
    double score[GW_TRUST_WINDOW_MAX];    /* by second % window_s */
    uint32_t online[GW_TRUST_WINDOW_MAX]; /* likewise */
    int64_t now_s;                        /* second of the last tick */
    uint64_t ticks;                       /* seconds since the first tick, that one included */
    double ew_w, ew_x;                    /* exponentially weighted sums of 1 and of the index */
    double ew_rw, ew_rr; /* likewise of 1 and of squared residuals (ordinary seconds) */
    unsigned run_s;
    bool run_fired;
    bool waved;
    int64_t wave_s; /* second of the last wave */
    struct gw_trust_status last;
};

/* Fills *c with the defaults above. */
void gw_trust_config_defaults(struct gw_trust_config *c);

/* Starts a room's state with the configuration cfg (copied; NULL = defaults). Returns 0,
 * or -EINVAL when a setting is out of its range (listed in struct gw_trust_config). */
int gw_trust_init(struct gw_trust *t, const struct gw_trust_config *cfg);

/* Accounts second now_s: delta is what happened since the previous tick (borrowed for
 * the call), online the viewers online now. Returns true when a prompt wave should be
 * fired now (a sustained peak outside the cooldown); *st (may be NULL) receives the
 * figures. */
bool gw_trust_tick(struct gw_trust *t, int64_t now_s, const struct gw_trust_counters *delta,
                   uint32_t online, struct gw_trust_status *st);

/* Reports an event peak at now_s. Returns true when a wave should be fired now (no wave
 * in the last cooldown_s seconds); the cooldown then restarts. */
bool gw_trust_event(struct gw_trust *t, enum gw_trust_event_kind kind, int64_t now_s);

/* The figures of the last tick (all zero before the first). Borrowed until the next
 * gw_trust_tick. */
const struct gw_trust_status *gw_trust_last(const struct gw_trust *t);

#endif
