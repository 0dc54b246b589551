/* guard.h: test helper that places input right before an unreadable page.
 *
 * As in picohttpparser's tests: a decoder that reads even one byte past `len` faults
 * at once, with or without sanitizers. One guarded region per test process suffices. */
#ifndef TEST_PROTO_GUARD_H
#define TEST_PROTO_GUARD_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUARD_AREA (64 * 1024)

/* Copies s[0..len) so that it ends exactly where a PROT_NONE page starts and returns
 * the copy; valid until the next call. len must be at most GUARD_AREA. */
static inline const char *guard_copy(const void *s, size_t len)
{
    static unsigned char *area;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    if (area == NULL) {
        void *m = mmap(NULL, GUARD_AREA + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);

        if (m == MAP_FAILED || mprotect((unsigned char *)m + GUARD_AREA, page, PROT_NONE) != 0)
            abort();
        area = m;
    }
    if (len > GUARD_AREA)
        abort();
    memcpy(area + GUARD_AREA - len, s, len);
    return (const char *)area + GUARD_AREA - len;
}

#endif
