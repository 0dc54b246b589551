/* gw_trust.c: the trust index, its baseline and the prompt-wave decision (see gw_trust.h,
 * which gives the formula and the defaults). */
#include "gw_trust.h"

#include <errno.h>
#include <math.h>
#include <string.h>

void gw_trust_config_defaults(struct gw_trust_config *c)
{
    *c = (struct gw_trust_config){
        .window_s = 20,
        .w_comment = 1.0,
        .w_like = 0.05,
        .w_click = 2.0,
        .w_order = 5.0,
        .w_bag_join = 0.5,
        .online_floor = 20,
        .half_life_s = 180,
        .warmup_s = 120,
        .min_online = 10,
        .min_score = 40,
        .factor = 2.0,
        .z = 3.0,
        .sustain_s = 5,
        .cooldown_s = 300,
    };
}

static bool is_weight(double w)
{
    return isfinite(w) && w >= 0;
}

int gw_trust_init(struct gw_trust *t, const struct gw_trust_config *cfg)
{
    struct gw_trust_config c;

    if (cfg != NULL)
        c = *cfg;
    else
        gw_trust_config_defaults(&c);
    if (c.window_s < 1 || c.window_s > GW_TRUST_WINDOW_MAX || !is_weight(c.w_comment) ||
        !is_weight(c.w_like) || !is_weight(c.w_click) || !is_weight(c.w_order) ||
        !is_weight(c.w_bag_join) || !isfinite(c.online_floor) || c.online_floor < 1 ||
        !isfinite(c.half_life_s) || c.half_life_s <= 0 || !is_weight(c.min_score) ||
        !isfinite(c.factor) || c.factor < 1 || !is_weight(c.z) || c.sustain_s < 1)
        return -EINVAL;
    memset(t, 0, sizeof(*t));
    t->cfg = c;
    t->keep = exp2(-1.0 / c.half_life_s);
    return 0;
}

static double weigh(const struct gw_trust_config *c, const struct gw_trust_counters *d)
{
    return c->w_comment * (double)d->comments + c->w_like * (double)d->likes +
           c->w_click * (double)d->card_clicks + c->w_order * (double)d->orders +
           c->w_bag_join * (double)d->bag_joins;
}

static bool in_cooldown(const struct gw_trust *t, int64_t now_s)
{
    return t->waved && now_s - t->wave_s < (int64_t)t->cfg.cooldown_s;
}

bool gw_trust_tick(struct gw_trust *t, int64_t now_s, const struct gw_trust_counters *delta,
                   uint32_t online, struct gw_trust_status *st)
{
    const struct gw_trust_config *c = &t->cfg;
    unsigned w = c->window_s, pos = (unsigned)(t->ticks % w), filled;
    struct gw_trust_status s = {0};
    double sum = 0, viewers = 0, mean = 0, var = 0, x;
    bool high;
    uint64_t gap;

    /* A second already accounted: its counters join that second, nothing is judged. */
    if (t->ticks > 0 && now_s <= t->now_s) {
        t->score[(t->ticks - 1) % w] += weigh(c, delta);
        t->online[(t->ticks - 1) % w] = online;
        if (st != NULL) {
            *st = t->last;
            st->fire = false;
        }
        return false;
    }

    /* Slots are by tick number; seconds skipped since the last tick become silent slots
     * (with the viewers of now), and break the run of peak seconds. */
    gap = t->ticks == 0 ? 1 : (uint64_t)(now_s - t->now_s);
    if (gap > 1) {
        uint64_t skip = gap - 1 < w ? gap - 1 : w;

        for (uint64_t i = 0; i < skip; i++) {
            t->score[pos] = 0;
            t->online[pos] = online;
            pos = (pos + 1) % w;
        }
        t->ticks += gap - 1;
        pos = (unsigned)(t->ticks % w);
        t->run_s = 0;
        t->run_fired = false;
    }
    t->score[pos] = weigh(c, delta);
    t->online[pos] = online;
    t->now_s = now_s;
    t->ticks++;

    filled = t->ticks < w ? (unsigned)t->ticks : w;
    for (unsigned i = 0; i < w; i++) {
        sum += t->score[i];
        viewers += t->online[i];
    }
    viewers /= filled;
    s.score = sum;
    s.index =
        100.0 * sum / ((double)filled * (viewers > c->online_floor ? viewers : c->online_floor));

    /* Judge the second against the baseline of the seconds before it. */
    if (t->ew_w > 0)
        mean = t->ew_x / t->ew_w;
    if (t->ew_rw > 0)
        var = t->ew_rr / t->ew_rw;
    s.baseline = mean;
    s.deviation = var > 0 ? sqrt(var) : 0;
    s.threshold = fmax(c->factor * mean, mean + c->z * s.deviation);
    s.warm = t->ticks > c->warmup_s;
    /* High: at peak level, warm or not (only once a whole window stands behind the
     * baseline). A peak second is a high one that may fire. */
    high = t->ticks > w && sum >= c->min_score && s.index >= s.threshold;
    s.peak = high && s.warm && online >= c->min_online;
    if (s.peak) {
        t->run_s++;
    } else {
        t->run_s = 0;
        t->run_fired = false;
    }
    s.run_s = t->run_s;
    if (s.peak && t->run_s >= c->sustain_s && !t->run_fired && !in_cooldown(t, now_s)) {
        s.fire = true;
        t->run_fired = true;
        t->waved = true;
        t->wave_s = now_s;
    }

    /* Then let the second into the baseline. A high second enters the mean only up to
     * the threshold and stays out of the deviation: a burst, even during warm-up,
     * neither lifts the bar for the next one much nor makes the room deaf through a
     * wide deviation, while a room that stays hotter still lifts the mean (at up to
     * (factor - 1) times the mean per half-life). */
    x = high ? s.threshold : s.index;
    if (!high && t->ew_w > 0) {
        t->ew_rw = t->keep * t->ew_rw + 1;
        t->ew_rr = t->keep * t->ew_rr + (x - mean) * (x - mean);
    }
    t->ew_w = t->keep * t->ew_w + 1;
    t->ew_x = t->keep * t->ew_x + x;

    t->last = s;
    if (st != NULL)
        *st = s;
    return s.fire;
}

bool gw_trust_event(struct gw_trust *t, enum gw_trust_event_kind kind, int64_t now_s)
{
    (void)kind; /* every event kind fires alike; the caller knows which it reported */
    if (in_cooldown(t, now_s))
        return false;
    t->waved = true;
    t->wave_s = now_s;
    /* A run of peak seconds going on now is this event's wave: it does not fire again
     * when the cooldown ends. */
    if (t->run_s > 0)
        t->run_fired = true;
    return true;
}

const struct gw_trust_status *gw_trust_last(const struct gw_trust *t)
{
    return &t->last;
}
