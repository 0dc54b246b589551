/* fuzz_cmsg.c: fuzz target for proto_cmsg_decode; every accepted field is re-checked
 * against the contract and the decoded comment is carried through the encoder. */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "proto_cmsg.h"
#include "proto_enc.h"
#include "proto_token.h"
#include "proto_utf8.h"

static void check_id(const char *s)
{
    CHECK(proto_id_is_valid(s, strlen(s)));
}

/* Valid UTF-8, already trimmed, min_cp..max_cp code points. */
static void check_text(const char *s, size_t min_cp, size_t max_cp)
{
    size_t len = strlen(s), cp;
    const char *t = s;
    size_t tl = len;

    CHECK(proto_utf8_is_valid(s, len));
    cp = proto_utf8_count(s, len);
    CHECK(cp >= min_cp && cp <= max_cp);
    proto_utf8_trim(&t, &tl);
    CHECK(t == s && tl == len);
}

static void check_url(const char *s)
{
    size_t len = strlen(s);

    CHECK(len >= 1 && len <= PROTO_URL_MAX_BYTES);
    for (size_t i = 0; i < len; i++)
        CHECK((unsigned char)s[i] > 0x20 && s[i] != 0x7F);
}

/* The comment as a viewer would receive it parses back to the same text. */
static void check_comment_encodes(const char *text)
{
    struct proto_buf b;
    json_t *o;

    proto_buf_init(&b, 0);
    proto_enc_comment(&b, 1, "c1", "u1", NULL, text, 0);
    o = json_loadb((const char *)proto_buf_data(&b), b.len, 0, NULL);
    CHECK(o != NULL);
    CHECK(strcmp(json_string_value(json_object_get(o, "text")), text) == 0);
    json_decref(o);
    proto_buf_fini(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_cmsg m;
    const char *reason = NULL;
    int rc = proto_cmsg_decode((const char *)data, size, &m, &reason);

    CHECK(rc == 0 || rc == -1);
    if (m.has_req)
        CHECK(proto_utf8_is_valid(m.req, strlen(m.req)) &&
              proto_utf8_count(m.req, strlen(m.req)) >= 1 &&
              proto_utf8_count(m.req, strlen(m.req)) <= PROTO_REQ_MAX_CP);
    if (rc != 0) {
        CHECK(reason != NULL && reason[0] != '\0');
        return 0;
    }
    CHECK(strcmp(proto_ctype_name(m.t), "unknown") != 0);

    switch (m.t) {
    case PROTO_C_COMMENT:
        check_text(m.u.comment.text, 1, PROTO_COMMENT_MAX_CP);
        check_comment_encodes(m.u.comment.text);
        break;
    case PROTO_C_LIKE:
        CHECK(m.u.like.n >= 1 && m.u.like.n <= 100);
        break;
    case PROTO_C_ORDER:
        CHECK(m.has_req);
        check_id(m.u.order.sale);
        CHECK(m.u.order.qty >= 1);
        break;
    case PROTO_C_BAG_JOIN:
        check_id(m.u.bag_join.bag);
        break;
    case PROTO_C_CARD_CLICK:
        check_id(m.u.card_click.sku);
        break;
    case PROTO_C_WECOM:
        check_id(m.u.wecom.prompt);
        CHECK(m.u.wecom.action >= PROTO_WECOM_SHOWN && m.u.wecom.action <= PROTO_WECOM_ADDED);
        break;
    case PROTO_C_PING:
    case PROTO_C_CARD_CLEAR:
    case PROTO_C_ROOM_CLOSE:
        break;
    case PROTO_C_CARD:
        check_id(m.u.card.sku);
        check_text(m.u.card.title, 1, PROTO_TEXT_MAX_CP);
        CHECK(m.u.card.price >= 0 && m.u.card.live_price >= 0);
        check_url(m.u.card.image);
        check_url(m.u.card.path);
        break;
    case PROTO_C_SALE_START:
        check_id(m.u.sale_start.sale);
        check_id(m.u.sale_start.sku);
        CHECK(m.u.sale_start.stock >= 1 && m.u.sale_start.limit >= 1);
        CHECK(m.u.sale_start.price >= 0 && m.u.sale_start.starts_at >= 0);
        CHECK(m.u.sale_start.duration >= 1 && m.u.sale_start.pay_window >= 1);
        break;
    case PROTO_C_SALE_STOP:
        check_id(m.u.sale_stop.sale);
        break;
    case PROTO_C_BAG_START:
        check_id(m.u.bag_start.bag);
        check_text(m.u.bag_start.prize, 1, PROTO_TEXT_MAX_CP);
        check_text(m.u.bag_start.keyword, 1, PROTO_COMMENT_MAX_CP);
        CHECK(m.u.bag_start.winners >= 1 && m.u.bag_start.duration >= 1);
        CHECK(m.u.bag_start.min_watch >= 0);
        CHECK((m.u.bag_start.require & ~7u) == 0);
        break;
    case PROTO_C_BAG_DRAW:
        check_id(m.u.bag_draw.bag);
        break;
    case PROTO_C_WECOM_PUSH:
        check_text(m.u.wecom_push.title, 1, PROTO_TEXT_MAX_CP);
        check_text(m.u.wecom_push.hook, 1, PROTO_TEXT_MAX_CP);
        check_url(m.u.wecom_push.link);
        break;
    case PROTO_C_MUTE:
        check_id(m.u.mute.uid);
        CHECK(m.u.mute.secs >= 0);
        break;
    case PROTO_C_DELETE:
        check_id(m.u.del.id);
        break;
    case PROTO_C_NOTICE:
        check_text(m.u.notice.text, 1, PROTO_TEXT_MAX_CP);
        break;
    }
    return 0;
}
