/* gw_host.c: what host commands do to a room. */
#include "gw_host.h"

#include "gw_bag.h"
#include "gw_live.h"
#include "gw_sales.h"
#include "gw_server.h"

int gw_host_exec(struct gw_worker *w, struct gw_room *r, struct gw_conn *c,
                 const struct proto_cmsg *m, enum proto_err *code, const char **msg)
{
    switch (m->t) {
    case PROTO_C_CARD:
        gw_room_card(r, w, &m->u.card);
        return 0;
    case PROTO_C_CARD_CLEAR:
        gw_room_card(r, w, NULL);
        return 0;
    case PROTO_C_NOTICE:
        gw_room_notice(r, w, m->u.notice.text);
        return 0;
    case PROTO_C_MUTE:
        gw_room_mute(r, m->u.mute.uid, m->u.mute.secs);
        return 0;
    case PROTO_C_DELETE:
        if (gw_room_delete_comment(r, w, m->u.del.id) < 0) {
            *code = PROTO_ERR_NOT_FOUND;
            *msg = "no comment with that id in this room";
            return -1;
        }
        return 0;
    case PROTO_C_SALE_START:
    case PROTO_C_SALE_STOP:
        return gw_sales_host(w, r, c, m, code, msg);
    case PROTO_C_WECOM_PUSH:
        /* Also what the room's automatic waves will say. */
        gw_live_set_prompt(r, m->u.wecom_push.title, m->u.wecom_push.hook, m->u.wecom_push.link);
        gw_room_wecom_push(r, w, m->u.wecom_push.title, m->u.wecom_push.hook, m->u.wecom_push.link,
                           true);
        return 0;
    case PROTO_C_BAG_START:
    case PROTO_C_BAG_DRAW:
        return gw_bag_host(w, r, c, m, code, msg);
    case PROTO_C_ROOM_CLOSE:
        /* The ack is queued now; the close reaches the shards at their next tick. */
        gw_live_close(w, r, "closed by the host");
        return 0;
    default:
        *code = PROTO_ERR_BAD_REQUEST;
        *msg = "not a host command";
        return -1;
    }
}
