/* proto_query.h: the WebSocket handshake query `room`, `token`, `since`, `nick`, `from`.
 *
 * Pure decoder of outside bytes: no allocation, no globals. */
#ifndef PROTO_QUERY_H
#define PROTO_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto_limits.h"

struct proto_query {
    char room[PROTO_ID_MAX + 1];
    bool has_token;
    char token[PROTO_TOKEN_MAX_BYTES + 1];
    bool has_since;
    uint64_t since;
    bool has_nick;
    char nick[PROTO_NICK_MAX_BYTES + 1]; /* valid UTF-8, cut to 32 code points */
    bool has_from;
    char from[PROTO_ID_MAX + 1];
};

/* Clears *q before the first proto_query_add_arg. */
void proto_query_init(struct proto_query *q);

/* Takes one already URL-decoded argument "key=value" (as libwebsockets hands out
 * WSI_TOKEN_HTTP_URI_ARGS fragments). Unknown keys are ignored. Returns 0, or -1 with
 * *reason set to a short static text: bad room id, token too long, since not a
 * decimal integer, nick not UTF-8, bad from id, a key given twice. */
int proto_query_add_arg(struct proto_query *q, const char *arg, size_t len, const char **reason);

/* Parses a raw query string "a=b&c=d" (no leading '?'): splits on '&', percent-decodes
 * each argument ('+' is a space) and feeds it to proto_query_add_arg. A bad escape is
 * an error. Returns 0 or -1 with *reason. */
int proto_query_parse(struct proto_query *q, const char *qs, size_t len, const char **reason);

/* Checks what must be present once all arguments are in: `room`. Returns 0 or -1 with
 * *reason. */
int proto_query_finish(const struct proto_query *q, const char **reason);

#endif
