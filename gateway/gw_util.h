/* gw_util.h: allocation that aborts on out-of-memory, clocks, small helpers. */
#ifndef GW_UTIL_H
#define GW_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* malloc / calloc / realloc / strdup that abort the process on out-of-memory: a
 * gateway that cannot allocate cannot keep its promises, so it stops loudly. */
void *gw_xmalloc(size_t n);
void *gw_xcalloc(size_t n, size_t size);
void *gw_xrealloc(void *p, size_t n);
char *gw_xstrdup(const char *s);

/* Wall clock in unix milliseconds / seconds (for the wire), and a monotonic clock in
 * milliseconds (for rates and timeouts). */
int64_t gw_now_ms(void);
int64_t gw_now_s(void);
int64_t gw_mono_ms(void);

/* Copies src into dst[0..size) with NUL termination; truncates. */
void gw_strlcpy(char *dst, const char *src, size_t size);

#endif
