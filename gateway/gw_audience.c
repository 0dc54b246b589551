/* gw_audience.c: per-viewer records of a room and the funnel they add up to. */
#include "gw_audience.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_util.h"
#include "proto_enc.h"

#define TOP_INVITERS 20

void gw_audience_init(struct gw_audience *a)
{
    memset(a, 0, sizeof(*a));
    gw_strmap_init(&a->by_uid);
}

static void free_viewer(const char *key, void *val, void *arg)
{
    struct gw_viewer *v = val;
    (void)key;
    (void)arg;
    free(v->from);
    free(v);
}

void gw_audience_fini(struct gw_audience *a)
{
    gw_strmap_each(&a->by_uid, free_viewer, NULL);
    gw_strmap_fini(&a->by_uid);
}

struct gw_viewer *gw_audience_join(struct gw_audience *a, const char *uid, const char *from,
                                   int64_t now_ms, bool *created_out)
{
    bool created;
    void **slot = gw_strmap_put(&a->by_uid, uid, &created);
    struct gw_viewer *v = *slot;

    if (created) {
        v = gw_xcalloc(1, sizeof(*v));
        v->first_ms = now_ms;
        if (from && from[0])
            v->from = gw_xstrdup(from); /* most viewers have none: no bytes kept for it */
        *slot = v;
    }
    if (created_out)
        *created_out = created;
    if (v->conns++ == 0) {
        v->since_ms = now_ms;
        a->online++;
    }
    return v;
}

bool gw_audience_leave(struct gw_audience *a, const char *uid, int64_t now_ms)
{
    struct gw_viewer *v = gw_audience_get(a, uid);

    if (!v || !v->conns || --v->conns > 0)
        return false;
    if (now_ms > v->since_ms)
        v->watch_ms += now_ms - v->since_ms;
    a->online--;
    return true;
}

struct gw_viewer *gw_audience_get(const struct gw_audience *a, const char *uid)
{
    void **slot = gw_strmap_get(&a->by_uid, uid);
    return slot ? *slot : NULL;
}

void gw_audience_engage(struct gw_audience *a, const char *uid, enum gw_engage what)
{
    struct gw_viewer *v = gw_audience_get(a, uid);

    if (!v)
        return;
    switch (what) {
    case GW_ENGAGE_COMMENT:
        v->comments++;
        break;
    case GW_ENGAGE_CLICK:
        v->clicks++;
        break;
    case GW_ENGAGE_ORDER:
        if (v->orders++ == 0)
            a->buyers++;
        break;
    case GW_ENGAGE_PAID:
        v->paid++;
        break;
    case GW_ENGAGE_BAG_JOIN:
        v->bag_joins++;
        break;
    }
}

void gw_audience_order(struct gw_audience *a, const char *uid, const void *order)
{
    struct gw_viewer *v = gw_audience_get(a, uid);

    if (!v || v->last_order == order)
        return;
    v->last_order = order;
    gw_audience_engage(a, uid, GW_ENGAGE_ORDER);
}

void gw_audience_likes(struct gw_audience *a, const char *uid, uint32_t n)
{
    struct gw_viewer *v = gw_audience_get(a, uid);
    if (v)
        v->likes += n;
}

void gw_audience_wecom(struct gw_audience *a, const char *uid, enum gw_wecom_report what)
{
    struct gw_viewer *v = gw_audience_get(a, uid);

    if (!v)
        return;
    /* A later step implies the earlier ones (a client may skip a report). */
    if (!v->shown) {
        v->shown = true;
        a->shown++;
    }
    if (what >= GW_WECOM_REPORT_CLICKED && !v->clicked) {
        v->clicked = true;
        a->clicked++;
    }
    if (what == GW_WECOM_REPORT_ADDED && !v->added) {
        v->added = true;
        a->added++;
    }
}

int64_t gw_audience_watch_ms(const struct gw_viewer *v, int64_t now_ms)
{
    return v->watch_ms + (v->conns && now_ms > v->since_ms ? now_ms - v->since_ms : 0);
}

bool gw_audience_may_prompt(const struct gw_viewer *v, int64_t now_ms, bool manual,
                            int64_t cooldown_ms, int64_t min_watch_ms)
{
    if (!v || v->added || v->known_added)
        return false;
    if (manual)
        return true;
    if (v->prompted_ms && now_ms - v->prompted_ms < cooldown_ms)
        return false;
    return gw_audience_watch_ms(v, now_ms) >= min_watch_ms || v->comments || v->likes ||
           v->clicks || v->orders || v->bag_joins;
}

void gw_audience_prompted(struct gw_audience *a, struct gw_viewer *v, uint64_t prompt,
                          int64_t now_ms)
{
    v->last_prompt = prompt;
    if (!v->prompts++)
        a->prompted++;
    v->prompted_ms = now_ms;
}

/* ---- describe ------------------------------------------------------------------------ */

struct inviter {
    const char *from;
    uint64_t viewers, orders;
};

struct sums {
    int64_t now, watch_ms;
    struct inviter *inv;
    size_t n_inv, cap_inv;
};

static void add_viewer(const char *uid, void *val, void *arg)
{
    const struct gw_viewer *v = val;
    struct sums *s = arg;
    size_t i;

    (void)uid;
    s->watch_ms += gw_audience_watch_ms(v, s->now);
    if (!v->from)
        return;
    for (i = 0; i < s->n_inv && strcmp(s->inv[i].from, v->from); i++)
        ;
    if (i == s->n_inv) {
        if (s->n_inv == s->cap_inv) {
            s->cap_inv = s->cap_inv ? s->cap_inv * 2 : 8;
            s->inv = gw_xrealloc(s->inv, s->cap_inv * sizeof(*s->inv));
        }
        s->inv[s->n_inv++] = (struct inviter){v->from, 0, 0};
    }
    s->inv[i].viewers++;
    s->inv[i].orders += v->orders;
}

static int by_viewers_desc(const void *x, const void *y)
{
    const struct inviter *a = x, *b = y;
    if (a->viewers != b->viewers)
        return a->viewers < b->viewers ? 1 : -1;
    return strcmp(a->from, b->from);
}

static void json_ratio(struct proto_buf *b, const char *key, uint64_t num, uint64_t den)
{
    /* Four decimals, written as text: the JSON writer has no doubles. */
    uint64_t per10k = den ? (num * 10000 + den / 2) / den : 0;
    char txt[32];
    int n = snprintf(txt, sizeof(txt), "%llu.%04llu", (unsigned long long)(per10k / 10000),
                     (unsigned long long)(per10k % 10000));
    proto_json_raw(b, key, txt, (size_t)n);
}

void gw_audience_describe(const struct gw_audience *a, int64_t now_ms, struct proto_buf *b)
{
    struct sums s = {.now = now_ms};
    uint64_t viewers = a->by_uid.count;

    gw_strmap_each(&a->by_uid, add_viewer, &s);
    if (s.n_inv)
        qsort(s.inv, s.n_inv, sizeof(*s.inv), by_viewers_desc);
    proto_json_uint(b, "viewers", viewers);
    proto_json_int(b, "watch_avg_s", viewers ? s.watch_ms / (int64_t)viewers / 1000 : 0);
    proto_json_uint(b, "buyers", a->buyers);
    json_ratio(b, "conversion", a->buyers, viewers);
    {
        struct proto_buf w;
        proto_buf_init(&w, 0);
        proto_json_obj_begin(&w);
        proto_json_uint(&w, "prompted", a->prompted);
        proto_json_uint(&w, "shown", a->shown);
        proto_json_uint(&w, "clicked", a->clicked);
        proto_json_uint(&w, "added", a->added);
        json_ratio(&w, "add_rate", a->added, viewers);
        proto_json_obj_end(&w);
        proto_json_raw(b, "wecom", (const char *)proto_buf_data(&w), w.len);
        proto_buf_fini(&w);
    }
    proto_json_arr_begin(b, "inviters");
    for (size_t i = 0; i < s.n_inv && i < TOP_INVITERS; i++) {
        proto_json_obj_begin(b);
        proto_json_cstr(b, "from", s.inv[i].from);
        proto_json_uint(b, "viewers", s.inv[i].viewers);
        proto_json_uint(b, "orders", s.inv[i].orders);
        proto_json_obj_end(b);
    }
    proto_json_arr_end(b);
    free(s.inv);
}
