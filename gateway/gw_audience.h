/* gw_audience.h: who watched a room and what they did: one record per viewer uid.
 *
 * The room funnel (watched, engaged, clicked, added, ordered, paid), the WeCom
 * eligibility of a viewer and the per-viewer record written for the store's CRM when
 * the room closes all come from here. A record is per uid (all its connections
 * together) and lives as long as the room.
 *
 * Every function runs under the owning room's lock (gw_room.h): the records are part
 * of the room's shared state, like its online map. Hosts and admins have no record. */
#ifndef GW_AUDIENCE_H
#define GW_AUDIENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "gw_strmap.h"
#include "proto_limits.h"

struct proto_buf;

struct gw_viewer {
    int64_t first_ms;       /* first connection, unix ms */
    int64_t since_ms;       /* start of the current connected stretch (conns > 0) */
    int64_t watch_ms;       /* closed stretches */
    uint32_t conns;         /* open connections */
    uint32_t comments;      /* accepted comments */
    uint64_t likes;         /* likes sent (sum of n) */
    uint32_t clicks;        /* card_click */
    uint32_t orders;        /* reservations acknowledged */
    uint32_t paid;          /* orders paid */
    uint32_t bag_joins;     /* lucky bags joined */
    int64_t prompted_ms;    /* last WeCom prompt sent to this uid (0: never) */
    uint64_t last_prompt;   /* id number of the last prompt sent */
    const void *last_order; /* the last order counted (a repeat is not counted twice) */
    uint32_t prompts;       /* WeCom prompts sent (beside the flags: no padding) */
    bool shown, clicked, added;
    bool known_added; /* the store knew it had added before (Redis lg:wecom:added) */
    char *from;       /* inviter of the first connection (owned), NULL when none */
};

enum gw_engage {
    GW_ENGAGE_COMMENT,
    GW_ENGAGE_CLICK,
    GW_ENGAGE_ORDER,
    GW_ENGAGE_PAID,
    GW_ENGAGE_BAG_JOIN,
};

enum gw_wecom_report { GW_WECOM_REPORT_SHOWN, GW_WECOM_REPORT_CLICKED, GW_WECOM_REPORT_ADDED };

struct gw_audience {
    struct gw_strmap by_uid; /* uid -> struct gw_viewer * (owned) */
    /* Room totals of the WeCom funnel: uids counted once per step. */
    uint64_t prompted, shown, clicked, added;
    uint64_t buyers; /* uids with at least one acknowledged order */
    uint64_t online; /* uids with an open connection now: the room's `online` */
};

void gw_audience_init(struct gw_audience *a);
void gw_audience_fini(struct gw_audience *a);

/* A connection of uid joins at now_ms. from may be NULL. Returns the record, whose
 * `conns` is 1 when uid just came online; *created (when not NULL) says whether the
 * record is new (uid's first connection of the session). */
struct gw_viewer *gw_audience_join(struct gw_audience *a, const char *uid, const char *from,
                                   int64_t now_ms, bool *created);
/* A connection of uid leaves at now_ms. Returns true when uid went offline (its last
 * connection), false otherwise or when uid has no record. */
bool gw_audience_leave(struct gw_audience *a, const char *uid, int64_t now_ms);

/* The record of uid, or NULL when it never joined. */
struct gw_viewer *gw_audience_get(const struct gw_audience *a, const char *uid);

/* Counts one engagement of uid (ignored when uid has no record). */
void gw_audience_engage(struct gw_audience *a, const char *uid, enum gw_engage what);
void gw_audience_likes(struct gw_audience *a, const char *uid, uint32_t n);

/* An acknowledged order of uid; `order` identifies it, so the answer to a repeated
 * request right after it is not counted again. */
void gw_audience_order(struct gw_audience *a, const char *uid, const void *order);

/* A WeCom report from uid's client; `added` stops further prompts to it. */
void gw_audience_wecom(struct gw_audience *a, const char *uid, enum gw_wecom_report what);

/* Whether uid may get a WeCom prompt at now_ms: it has a record, has not added (nor
 * is known to have added), and
 * (unless `manual`) was not prompted within cooldown_ms and is engaged: watched at
 * least min_watch_ms, or commented, liked, clicked, ordered or joined a bag. */
bool gw_audience_may_prompt(const struct gw_viewer *v, int64_t now_ms, bool manual,
                            int64_t cooldown_ms, int64_t min_watch_ms);

/* Records that v was chosen for prompt number `prompt` at now_ms. */
void gw_audience_prompted(struct gw_audience *a, struct gw_viewer *v, uint64_t prompt,
                          int64_t now_ms);

/* Seconds uid has watched up to now_ms (open stretches included). */
int64_t gw_audience_watch_ms(const struct gw_viewer *v, int64_t now_ms);

/* Appends the room funnel members to an open JSON object: "viewers", "watch_avg_s",
 * "buyers", "conversion" (buyers / viewers), "wecom" {prompted, shown, clicked, added,
 * add_rate (added / viewers)}, and "inviters" [{from, viewers, orders}] (top 20 by
 * viewers). */
void gw_audience_describe(const struct gw_audience *a, int64_t now_ms, struct proto_buf *b);

#endif
