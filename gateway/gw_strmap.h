/* gw_strmap.h: a string-keyed hash map (open addressing, linear probing).
 *
 * Not thread-safe: each map belongs to one owner (a room under its lock, a worker
 * thread). Keys are copied in; values are opaque pointers the caller owns. */
#ifndef GW_STRMAP_H
#define GW_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gw_strmap_entry {
    char *key; /* owned copy; NULL = empty slot */
    uint64_t hash;
    void *val;
};

struct gw_strmap {
    struct gw_strmap_entry *slots;
    size_t cap; /* power of two */
    size_t count;
};

void gw_strmap_init(struct gw_strmap *m);
/* Frees the keys and slots, not the values. Accepts a zeroed map. */
void gw_strmap_fini(struct gw_strmap *m);

/* The value slot for key, or NULL when absent. The pointer is valid until the next
 * put or del. */
void **gw_strmap_get(const struct gw_strmap *m, const char *key);

/* The value slot for key, inserting it with value NULL when absent (*created says
 * which). Valid until the next put or del. */
void **gw_strmap_put(struct gw_strmap *m, const char *key, bool *created);

/* Removes key; returns its value, or NULL when absent. */
void *gw_strmap_del(struct gw_strmap *m, const char *key);

/* Calls fn on each entry; fn must not modify the map. */
void gw_strmap_each(const struct gw_strmap *m, void (*fn)(const char *key, void *val, void *arg),
                    void *arg);

#endif
