/* gw_msg.c: creation and release of shared framed messages. */
#include "gw_msg.h"

#include <stdlib.h>
#include <string.h>

#include "gw_util.h"

struct gw_msg *gw_msg_create(const struct proto_buf *b, enum gw_msg_kind kind, uint64_t seq)
{
    unsigned char hdr[PROTO_WS_HEADER_MAX];
    size_t hl = proto_ws_text_header(hdr, b->len);
    struct gw_msg *m = gw_xmalloc(sizeof(*m) + hl + b->len);

    atomic_init(&m->refs, 1);
    m->kind = (uint8_t)kind;
    m->seq = seq;
    m->comment_id = 0;
    m->author[0] = '\0';
    m->len = (uint32_t)(hl + b->len);
    memcpy(m->data, hdr, hl);
    memcpy(m->data + hl, proto_buf_data(b), b->len);
    return m;
}

void gw_msg_unref(struct gw_msg *m)
{
    if (!m)
        return;
    /* acq_rel: the release half publishes this holder's last use of the message; the
     * acquire half lets the thread that frees it see every other holder's uses. */
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        free(m);
}
