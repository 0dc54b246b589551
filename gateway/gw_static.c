/* gw_static.c: the viewer page, host console and their assets from --static-dir. */
#include "gw_static.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gw_server.h"

struct mime {
    const char *ext, *type;
};

static const struct mime mimes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *mime_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++)
            if (!strcmp(dot, mimes[i].ext))
                return mimes[i].type;
    return "application/octet-stream";
}

int gw_static_path_is_safe(const char *rel)
{
    const char *p = rel;
    bool seg_start = true;

    if (!*rel || strlen(rel) > 200)
        return 0;
    for (; *p; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' || ch == '/';
        if (!ok || (seg_start && (ch == '.' || ch == '/')))
            return 0;
        seg_start = ch == '/';
    }
    return !seg_start; /* no trailing slash */
}

static int answer(struct lws *wsi, unsigned int status, const char *msg)
{
    if (lws_return_http_status(wsi, status, msg))
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int gw_static_serve(struct gw_worker *w, struct lws *wsi, const char *uri)
{
    const char *dir = w->srv->cfg.static_dir, *rel;
    char path[1024];
    struct stat st;
    static const char extra[] = "cache-control: no-cache\x0d\x0a";
    int n;

    if (!strcmp(uri, "/live") || !strcmp(uri, "/live.html"))
        rel = "live.html";
    else if (!strcmp(uri, "/console") || !strcmp(uri, "/console.html"))
        rel = "console.html";
    else if (!strncmp(uri, "/static/", 8))
        rel = uri + 8;
    else
        return 1;
    if (!dir[0])
        return answer(wsi, HTTP_STATUS_NOT_FOUND, "no --static-dir configured");
    if (!gw_static_path_is_safe(rel))
        return answer(wsi, HTTP_STATUS_BAD_REQUEST, "bad file name");
    n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return answer(wsi, HTTP_STATUS_NOT_FOUND, "no such file");
    n = lws_serve_http_file(wsi, path, mime_of(path), extra, (int)strlen(extra));
    if (n < 0)
        return -1;
    /* n > 0: lws completed the transaction itself; 0: it sends the file from its loop
     * and calls LWS_CALLBACK_HTTP_FILE_COMPLETION at the end. */
    return n > 0 ? (lws_http_transaction_completed(wsi) ? -1 : 0) : 0;
}
