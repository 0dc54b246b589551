/* test_gw_trust.c: the trust index on scripted rooms: flat rooms never fire, spikes fire
 * once per cooldown, events fire within the cooldown's rules, warm-up holds, and small
 * noisy rooms stay quiet. Every series is generated from a fixed seed, so the counts
 * asserted are exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "gw_trust.h"

/* xorshift64*: a small deterministic generator for the series. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* Poisson(lambda) by Knuth's method, in pieces of at most 20 so exp() stays normal. */
static uint64_t poisson(uint64_t *s, double lambda)
{
    uint64_t n = 0;

    while (lambda > 0) {
        double part = lambda > 20 ? 20 : lambda, limit = exp(-part), p = rng_unit(s);

        lambda -= part;
        while (p > limit) {
            n++;
            p *= rng_unit(s);
        }
    }
    return n;
}

/* A room's per-second rates. */
struct rates {
    double comments, likes, clicks, orders, joins;
};

static struct gw_trust_counters sample(uint64_t *s, struct rates r, double mult)
{
    return (struct gw_trust_counters){
        .comments = poisson(s, r.comments * mult),
        .likes = poisson(s, r.likes * mult),
        .card_clicks = poisson(s, r.clicks * mult),
        .orders = poisson(s, r.orders * mult),
        .bag_joins = poisson(s, r.joins * mult),
    };
}

#define MAX_FIRES 64

struct fires {
    int64_t at[MAX_FIRES];
    int n;
};

/* Runs seconds [from, to) of a room at `base` rates times mult(t), with `online`
 * viewers; records the seconds that fire. */
static void run(struct gw_trust *t, uint64_t *s, int64_t from, int64_t to, struct rates base,
                double (*mult)(int64_t), uint32_t online, struct fires *f)
{
    for (int64_t now = from; now < to; now++) {
        struct gw_trust_counters d = sample(s, base, mult ? mult(now) : 1.0);
        struct gw_trust_status st;

        if (gw_trust_tick(t, now, &d, online, &st)) {
            assert_true(st.fire && st.peak && st.run_s >= t->cfg.sustain_s);
            assert_true(f->n < MAX_FIRES);
            f->at[f->n++] = now;
        } else {
            assert_false(st.fire);
        }
        assert_true(isfinite(st.index) && st.index >= 0);
        assert_true(isfinite(st.baseline) && isfinite(st.deviation));
    }
}

static const struct rates busy = {.comments = 3, .likes = 30, .clicks = 0.5, .orders = 0.05};

static void test_config(void **state)
{
    struct gw_trust_config c;
    struct gw_trust t;

    (void)state;
    gw_trust_config_defaults(&c);
    assert_int_equal(c.window_s, 20);
    assert_true(c.w_comment == 1.0 && c.w_like == 0.05 && c.w_click == 2.0 && c.w_order == 5.0 &&
                c.w_bag_join == 0.5);
    assert_true(c.online_floor == 20 && c.half_life_s == 180 && c.min_score == 40);
    assert_true(c.factor == 2.0 && c.z == 3.0);
    assert_int_equal(c.warmup_s, 120);
    assert_int_equal(c.min_online, 10);
    assert_int_equal(c.sustain_s, 5);
    assert_int_equal(c.cooldown_s, 300);
    assert_int_equal(gw_trust_init(&t, NULL), 0);
    assert_int_equal(gw_trust_init(&t, &c), 0);
    assert_int_equal(gw_trust_last(&t)->index, 0);

    struct gw_trust_config bad[8];
    for (int i = 0; i < 8; i++)
        bad[i] = c;
    bad[0].window_s = 0;
    bad[1].window_s = GW_TRUST_WINDOW_MAX + 1;
    bad[2].factor = 0.9;
    bad[3].w_like = -1;
    bad[4].w_order = NAN;
    bad[5].half_life_s = 0;
    bad[6].sustain_s = 0;
    bad[7].online_floor = 0;
    for (int i = 0; i < 8; i++)
        assert_int_equal(gw_trust_init(&t, &bad[i]), -EINVAL);
}

static void test_index_formula(void **state)
{
    struct gw_trust t;
    struct gw_trust_config c;
    struct gw_trust_status st;
    /* score per second: 2 + 0.05 * 20 + 2 * 1 = 5 */
    struct gw_trust_counters d = {.comments = 2, .likes = 20, .card_clicks = 1};
    struct gw_trust_counters none = {0};

    (void)state;
    gw_trust_config_defaults(&c);
    c.window_s = 10;
    gw_trust_init(&t, &c);
    gw_trust_tick(&t, 1000, &d, 100, &st);
    assert_true(fabs(st.index - 5.0) < 1e-9); /* 100 * 5 / (1 s * 100 viewers) */
    assert_true(fabs(st.score - 5.0) < 1e-9);
    assert_false(st.warm);
    for (int64_t s = 1001; s < 1010; s++)
        gw_trust_tick(&t, s, &d, 100, &st);
    assert_true(fabs(st.score - 50.0) < 1e-9);
    assert_true(fabs(st.index - 5.0) < 1e-9);    /* 100 * 50 / (10 s * 100) */
    assert_true(fabs(st.baseline - 5.0) < 1e-9); /* a flat series */
    assert_true(st.deviation < 1e-6);

    /* The same second again only adds to it. */
    assert_false(gw_trust_tick(&t, 1009, &d, 100, &st));
    assert_true(fabs(gw_trust_last(&t)->score - 50.0) < 1e-9);
    gw_trust_tick(&t, 1010, &none, 100, &st);
    assert_true(fabs(st.score - 50.0) < 1e-9); /* 1001..1008 + 1009 twice + 1010 empty */

    /* A gap: 1011..1014 silent, then 1015. The window holds 1006..1015. */
    gw_trust_tick(&t, 1015, &d, 100, &st);
    assert_true(fabs(st.score - (5.0 * 3 + 10.0 + 0 + 0 + 5.0)) < 1e-9);
    assert_int_equal(st.run_s, 0);

    /* Fewer viewers than the floor divide by the floor. */
    gw_trust_init(&t, &c);
    gw_trust_tick(&t, 0, &d, 5, &st);
    assert_true(fabs(st.index - 25.0) < 1e-9); /* 100 * 5 / (1 * 20) */
    /* A gap longer than the window clears it. */
    gw_trust_tick(&t, 100, &none, 5, &st);
    assert_true(st.score == 0 && st.index == 0);
}

static double flat(int64_t t)
{
    (void)t;
    return 1.0;
}

/* A steady busy room, and a perfectly constant one, never fire in four hours. */
static void test_flat_room_never_fires(void **state)
{
    struct gw_trust t;
    struct fires f = {0};
    uint64_t s = 42;
    struct gw_trust_counters d = {.comments = 3, .likes = 30, .card_clicks = 1};

    (void)state;
    gw_trust_init(&t, NULL);
    run(&t, &s, 0, 4 * 3600, busy, flat, 500, &f);
    assert_int_equal(f.n, 0);
    assert_true(gw_trust_last(&t)->warm);

    gw_trust_init(&t, NULL);
    for (int64_t now = 0; now < 4 * 3600; now++)
        assert_false(gw_trust_tick(&t, now, &d, 800, NULL));
}

/* Spikes of five times the activity at 600 s and 1000 s fire, about 10 s after they
 * start (5 s to double the window's sum, then 5 s of sustain); the one at 700 s falls
 * in the first one's cooldown; a ten-minute plateau at 1500 s fires once. */
static double spikes(int64_t t)
{
    if ((t >= 600 && t < 640) || (t >= 700 && t < 740) || (t >= 1000 && t < 1040) ||
        (t >= 1500 && t < 2100))
        return 5.0;
    return 1.0;
}

static void test_spike_fires_once_per_cooldown(void **state)
{
    struct gw_trust t;
    struct fires f = {0};
    uint64_t s = 7;

    (void)state;
    gw_trust_init(&t, NULL);
    run(&t, &s, 0, 3000, busy, spikes, 500, &f);
    assert_int_equal(f.n, 3);
    /* Each within a few seconds of its spike's start: sustain_s seconds and the
     * window's ramp. */
    assert_true(f.at[0] >= 605 && f.at[0] <= 615);
    assert_true(f.at[1] >= 1005 && f.at[1] <= 1015);
    assert_true(f.at[2] >= 1505 && f.at[2] <= 1515);
}

/* Events fire at once, warm-up or not, but never within the cooldown, which they
 * restart for automatic waves too. */
static double late_spikes(int64_t t)
{
    if ((t >= 400 && t < 440) || (t >= 700 && t < 740) || (t >= 1400 && t < 2000))
        return 5.0;
    return 1.0;
}

static void test_events_respect_cooldown(void **state)
{
    struct gw_trust t;
    struct fires f = {0};
    uint64_t s = 99;
    int64_t now;

    (void)state;
    gw_trust_init(&t, NULL);
    run(&t, &s, 0, 30, busy, late_spikes, 500, &f);
    assert_true(gw_trust_event(&t, GW_TRUST_EVENT_SOLD_OUT, 30)); /* during warm-up */
    run(&t, &s, 30, 100, busy, late_spikes, 500, &f);
    assert_false(gw_trust_event(&t, GW_TRUST_EVENT_BAG_DRAWN, 100)); /* cooldown */
    run(&t, &s, 100, 331, busy, late_spikes, 500, &f);
    assert_false(gw_trust_event(&t, GW_TRUST_EVENT_SOLD_OUT, 329));
    assert_true(gw_trust_event(&t, GW_TRUST_EVENT_SOLD_OUT, 331));
    run(&t, &s, 331, 700, busy, late_spikes, 500, &f);
    assert_int_equal(f.n, 0); /* the spike at 400 is inside the event's cooldown */
    run(&t, &s, 700, 800, busy, late_spikes, 500, &f);
    assert_int_equal(f.n, 1); /* the spike at 700 fires */
    assert_true(f.at[0] >= 705 && f.at[0] <= 715);
    assert_false(gw_trust_event(&t, GW_TRUST_EVENT_SOLD_OUT, 800));
    assert_true(gw_trust_event(&t, GW_TRUST_EVENT_BAG_DRAWN, f.at[0] + 300));

    /* An event at the start of a peak stands for it: the peak does not fire again when
     * the cooldown ends, although it lasts 600 s. */
    run(&t, &s, 800, 1400, busy, late_spikes, 500, &f);
    for (now = 1400; gw_trust_last(&t)->run_s == 0 && now < 1420; now++)
        run(&t, &s, now, now + 1, busy, late_spikes, 500, &f);
    assert_int_equal(f.n, 1);
    assert_true(gw_trust_last(&t)->run_s >= 1); /* the peak has begun, not yet fired */
    assert_true(gw_trust_event(&t, GW_TRUST_EVENT_SOLD_OUT, now));
    run(&t, &s, now, 2500, busy, late_spikes, 500, &f);
    assert_int_equal(f.n, 1);
}

/* A spike during warm-up does not fire; the same spike later does. */
static double warmup_spikes(int64_t t)
{
    if ((t >= 60 && t < 110) || (t >= 400 && t < 440))
        return 6.0;
    return 1.0;
}

static void test_warmup(void **state)
{
    struct gw_trust t;
    struct fires f = {0};
    uint64_t s = 3;

    (void)state;
    gw_trust_init(&t, NULL);
    run(&t, &s, 0, 120, busy, warmup_spikes, 500, &f);
    assert_int_equal(f.n, 0);
    assert_false(gw_trust_last(&t)->warm);
    assert_false(gw_trust_last(&t)->peak);
    run(&t, &s, 120, 121, busy, warmup_spikes, 500, &f);
    assert_true(gw_trust_last(&t)->warm);
    run(&t, &s, 121, 1000, busy, warmup_spikes, 500, &f);
    assert_int_equal(f.n, 1);
    assert_true(f.at[0] >= 405 && f.at[0] <= 415);
}

/* Small rooms: a dozen viewers commenting now and then, with bursts of likes, and a
 * room of forty, over four hours with several seeds: no wave. Five viewers in a real
 * frenzy: still none (min_online). Fifteen viewers in a real frenzy do fire. */
static const struct rates quiet12 = {.comments = 0.1, .likes = 1, .clicks = 0.02};
static const struct rates quiet40 = {.comments = 0.3, .likes = 3, .clicks = 0.05, .joins = 0.05};

static double like_bursts(int64_t t)
{
    /* Every 97 s someone taps the like button for ten seconds (the multiplier also
     * lifts comments: somebody is excited). */
    return t % 97 < 10 ? 4.0 : 1.0;
}

static double frenzy(int64_t t)
{
    return t >= 1000 && t < 1060 ? 40.0 : 1.0;
}

static void test_small_rooms_with_noise(void **state)
{
    struct gw_trust t;

    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct fires f = {0};
        uint64_t s = seed * 1000003;

        gw_trust_init(&t, NULL);
        run(&t, &s, 0, 4 * 3600, quiet12, like_bursts, 12, &f);
        assert_int_equal(f.n, 0);
        gw_trust_init(&t, NULL);
        run(&t, &s, 0, 4 * 3600, quiet40, flat, 40, &f);
        assert_int_equal(f.n, 0);
    }
    {
        struct fires f = {0};
        uint64_t s = 5;

        gw_trust_init(&t, NULL);
        run(&t, &s, 0, 2000, quiet12, frenzy, 5, &f);
        assert_int_equal(f.n, 0);
        gw_trust_init(&t, NULL);
        run(&t, &s, 0, 2000, quiet12, frenzy, 15, &f);
        assert_int_equal(f.n, 1);
        assert_true(f.at[0] >= 1005 && f.at[0] <= 1015);
    }
}

/* A room that gets three times hotter for good fires once, and its baseline catches
 * up: two hours later it is ordinary again. */
static double step_up(int64_t t)
{
    return t >= 600 ? 3.0 : 1.0;
}

static void test_step_up_is_absorbed(void **state)
{
    struct gw_trust t;
    struct fires f = {0};
    uint64_t s = 5;
    double before;

    (void)state;
    gw_trust_init(&t, NULL);
    run(&t, &s, 0, 600, busy, step_up, 500, &f);
    before = gw_trust_last(&t)->baseline;
    run(&t, &s, 600, 600 + 7200, busy, step_up, 500, &f);
    assert_int_equal(f.n, 1);
    assert_true(f.at[0] >= 605 && f.at[0] <= 620);
    assert_true(gw_trust_last(&t)->baseline > 2.5 * before);
    assert_false(gw_trust_last(&t)->peak);
}

/* An audience that grows twentyfold in an hour, with activity in proportion: the
 * index per viewer stays put, nothing fires. */
static void test_growing_audience(void **state)
{
    struct gw_trust t;
    uint64_t s = 11;
    int fires = 0;

    (void)state;
    gw_trust_init(&t, NULL);
    for (int64_t now = 0; now < 3600; now++) {
        double viewers = 100 + 1900.0 * (double)now / 3600;
        struct gw_trust_counters d = sample(&s, busy, viewers / 500);

        fires += gw_trust_tick(&t, now, &d, (uint32_t)viewers, NULL);
    }
    assert_int_equal(fires, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_index_formula),
        cmocka_unit_test(test_flat_room_never_fires),
        cmocka_unit_test(test_spike_fires_once_per_cooldown),
        cmocka_unit_test(test_events_respect_cooldown),
        cmocka_unit_test(test_warmup),
        cmocka_unit_test(test_small_rooms_with_noise),
        cmocka_unit_test(test_step_up_is_absorbed),
        cmocka_unit_test(test_growing_audience),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
