/* gw_log.h: the gateway's own thread-safe logging (lws logging is not thread-safe). */
#ifndef GW_LOG_H
#define GW_LOG_H

enum gw_log_level { GW_LOG_ERR = 0, GW_LOG_WARN = 1, GW_LOG_INFO = 2, GW_LOG_DEBUG = 3 };

/* Messages above this level are discarded; set once at start-up before threads run. */
void gw_log_set_level(enum gw_log_level level);

/* Writes one line "<time> <level> <message>" to stderr with a single write(2), so lines
 * from several threads never interleave. */
void gw_log(enum gw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define gw_err(...)   gw_log(GW_LOG_ERR, __VA_ARGS__)
#define gw_warn(...)  gw_log(GW_LOG_WARN, __VA_ARGS__)
#define gw_info(...)  gw_log(GW_LOG_INFO, __VA_ARGS__)
#define gw_debug(...) gw_log(GW_LOG_DEBUG, __VA_ARGS__)

#endif
