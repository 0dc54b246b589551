/* gw_main.c: the livegw command: run the gateway, or mint / check a token. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "gw_config.h"
#include "gw_log.h"
#include "gw_server.h"
#include "gw_util.h"
#include "gw_verify_draw.h"
#include "gw_words.h"
#include "proto_token.h"

static int cmd_token(int argc, char **argv)
{
    struct proto_token t;
    const char *secret = NULL, *uid = NULL, *role = "viewer", *room = NULL;
    long ttl = 86400;
    char out[PROTO_TOKEN_MAX_BYTES + 1];

    for (int i = 2; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "livegw token: %s wants a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--secret"))
            secret = v;
        else if (!strcmp(a, "--uid"))
            uid = v;
        else if (!strcmp(a, "--role"))
            role = v;
        else if (!strcmp(a, "--room"))
            room = v;
        else if (!strcmp(a, "--ttl"))
            ttl = strtol(v, NULL, 10);
        else {
            fprintf(stderr, "livegw token: unknown option %s\n", a);
            return 2;
        }
    }
    if (!secret || !uid || !room || ttl <= 0) {
        fprintf(stderr, "usage: livegw token --secret S --uid U --room R|'*' "
                        "[--role viewer|host|admin] [--ttl SECONDS]\n");
        return 2;
    }
    memset(&t, 0, sizeof(t));
    if (strlen(uid) > PROTO_ID_MAX || strlen(room) > PROTO_ID_MAX ||
        !proto_role_parse(role, strlen(role), &t.role)) {
        fprintf(stderr, "livegw token: bad uid, room or role\n");
        return 2;
    }
    gw_strlcpy(t.uid, uid, sizeof(t.uid));
    gw_strlcpy(t.room, room, sizeof(t.room));
    t.exp = gw_now_s() + ttl;
    if (proto_token_mint(&t, secret, strlen(secret), out, sizeof(out)) < 0) {
        fprintf(stderr, "livegw token: uid and room must be [A-Za-z0-9_-]{1,64} (room may be *)\n");
        return 2;
    }
    printf("%s\n", out);
    return 0;
}

static int cmd_verify_token(int argc, char **argv)
{
    struct proto_token t;
    const char *secret = NULL, *tok = NULL;

    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--secret") && i + 1 < argc)
            secret = argv[++i];
        else
            tok = argv[i];
    }
    if (!secret || !tok) {
        fprintf(stderr, "usage: livegw verify-token --secret S TOKEN\n");
        return 2;
    }
    switch (proto_token_verify(tok, strlen(tok), secret, strlen(secret), gw_now_s(), &t)) {
    case PROTO_TOKEN_OK:
        printf("ok uid=%s role=%s room=%s exp=%lld\n", t.uid, proto_role_name(t.role), t.room,
               (long long)t.exp);
        return 0;
    case PROTO_TOKEN_EXPIRED:
        printf("expired\n");
        return 1;
    case PROTO_TOKEN_BAD_SIG:
        printf("bad signature\n");
        return 1;
    default:
        printf("malformed\n");
        return 1;
    }
}

int main(int argc, char **argv)
{
    struct gw_server srv;
    sigset_t set;
    int sig = 0, rc;

    if (argc > 1 && !strcmp(argv[1], "token"))
        return cmd_token(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "verify-token"))
        return cmd_verify_token(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "verify-draw"))
        return gw_verify_draw_main(argc - 1, argv + 1);

    memset(&srv, 0, sizeof(srv));
    gw_config_defaults(&srv.cfg);
    rc = gw_config_load(&srv.cfg, argc, argv, 1, stdout, stderr);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (gw_config_check(&srv.cfg, stderr) < 0)
        return 2;
    gw_log_set_level((enum gw_log_level)srv.cfg.log_level);
    /* lws logging is not thread-safe; keep it to errors and warnings. */
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    if (srv.cfg.guest)
        gw_warn("guest mode: viewers may connect without a token (demo only)");

    /* Signals are taken by the main thread with sigwait; workers never see them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (gw_server_start(&srv) < 0) {
        gw_err("could not start; see above");
        gw_server_fini(&srv);
        return 1;
    }
    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            gw_words_reload(&srv);
            continue;
        }
        break;
    }
    gw_info("%s: draining (close 1001 after flushing, at most %d s)",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", srv.cfg.drain_secs);
    gw_server_stop(&srv);
    gw_server_fini(&srv);
    gw_info("drained; exiting");
    return 0;
}
