/* gw_static.h: the clients served from --static-dir (the viewer page, the host console
 * and their assets), so the quick start needs no other web server.
 *
 *   GET /live[?...]        -> <static-dir>/live.html
 *   GET /console[?...]     -> <static-dir>/console.html
 *   GET /static/<path>     -> <static-dir>/<path>  (letters, digits, '.', '-', '_', '/';
 *                             no segment starting with '.', so never outside the dir)
 *
 * Files are sent by lws from disk (lws_serve_http_file), with a MIME type from the
 * extension and `Cache-Control: no-cache`. */
#ifndef GW_STATIC_H
#define GW_STATIC_H

#include <libwebsockets.h>

struct gw_worker;

/* Serves `uri` when it is a static path and the directory is configured. Returns 1
 * when `uri` is not a static path (the caller routes it), else what the LWS_CALLBACK_HTTP
 * handler must return (0 while lws sends the file, -1 to close). Missing files and
 * bad names get a 404 / 400 answer here. */
int gw_static_serve(struct gw_worker *w, struct lws *wsi, const char *uri);

/* Whether `rel` (relative to the static dir) is a safe name as described above. */
int gw_static_path_is_safe(const char *rel);

#endif
