/* proto_limits.h: the sizes the wire contract fixes, shared by decoder, encoder and gateway. */
#ifndef PROTO_LIMITS_H
#define PROTO_LIMITS_H

#define PROTO_ID_MAX            64 /* room, uid, sale, bag, sku ids: [A-Za-z0-9_-]{1,64} */
#define PROTO_REQ_MAX_CP        64 /* `req`: at most 64 code points */
#define PROTO_REQ_MAX_BYTES     (PROTO_REQ_MAX_CP * 4)
#define PROTO_COMMENT_MAX_CP    200 /* comment text after trimming: 1-200 code points */
#define PROTO_COMMENT_MAX_BYTES (PROTO_COMMENT_MAX_CP * 4)
#define PROTO_NICK_MAX_CP       32 /* a longer nick is cut to 32 code points */
#define PROTO_NICK_MAX_BYTES    (PROTO_NICK_MAX_CP * 4)
#define PROTO_TEXT_MAX_CP       500 /* host notice text, bag prize, wecom title / hook */
#define PROTO_TEXT_MAX_BYTES    (PROTO_TEXT_MAX_CP * 4)
#define PROTO_URL_MAX_BYTES     1024 /* card image / path, wecom link */
#define PROTO_TOKEN_MAX_BYTES   320  /* uid(64).role(6).room(64).exp(20).sig(64) plus dots */
#define PROTO_FRAME_MAX_DEFAULT 4096 /* client frames: at most 4 KiB by default */
#define PROTO_WS_HEADER_MAX     10   /* an unmasked server frame header is 2, 4 or 10 bytes */

#endif
