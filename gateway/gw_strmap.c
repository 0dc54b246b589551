/* gw_strmap.c: linear probing with backward-shift deletion (no tombstones). */
#include "gw_strmap.h"

#include <stdlib.h>
#include <string.h>

#include "gw_util.h"

/* FNV-1a: short ids, not attacker-chosen in bulk (uids come from signed tokens). */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

void gw_strmap_init(struct gw_strmap *m)
{
    m->cap = 16;
    m->count = 0;
    m->slots = gw_xcalloc(m->cap, sizeof(*m->slots));
}

void gw_strmap_fini(struct gw_strmap *m)
{
    if (!m->slots)
        return;
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}

static size_t find(const struct gw_strmap *m, const char *key, uint64_t h, bool *found)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)h & mask;

    for (;;) {
        const struct gw_strmap_entry *e = &m->slots[i];
        if (!e->key) {
            *found = false;
            return i;
        }
        if (e->hash == h && strcmp(e->key, key) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static void grow(struct gw_strmap *m)
{
    struct gw_strmap_entry *old = m->slots;
    size_t old_cap = m->cap;

    m->cap *= 2;
    m->slots = gw_xcalloc(m->cap, sizeof(*m->slots));
    for (size_t i = 0; i < old_cap; i++) {
        bool found;
        if (!old[i].key)
            continue;
        m->slots[find(m, old[i].key, old[i].hash, &found)] = old[i];
    }
    free(old);
}

void **gw_strmap_get(const struct gw_strmap *m, const char *key)
{
    bool found;
    size_t i;

    if (!m->slots)
        return NULL;
    i = find(m, key, hash_str(key), &found);
    return found ? &m->slots[i].val : NULL;
}

void **gw_strmap_put(struct gw_strmap *m, const char *key, bool *created)
{
    uint64_t h = hash_str(key);
    bool found;
    size_t i;

    if (!m->slots)
        gw_strmap_init(m);
    if ((m->count + 1) * 4 > m->cap * 3)
        grow(m);
    i = find(m, key, h, &found);
    if (created)
        *created = !found;
    if (!found) {
        m->slots[i].key = gw_xstrdup(key);
        m->slots[i].hash = h;
        m->slots[i].val = NULL;
        m->count++;
    }
    return &m->slots[i].val;
}

void *gw_strmap_del(struct gw_strmap *m, const char *key)
{
    size_t mask, i, j;
    bool found;
    void *val;

    if (!m->slots)
        return NULL;
    mask = m->cap - 1;
    i = find(m, key, hash_str(key), &found);
    if (!found)
        return NULL;
    val = m->slots[i].val;
    free(m->slots[i].key);
    m->slots[i].key = NULL;
    m->count--;
    /* Backward shift: move later members of the probe run into the hole when their
     * home slot does not lie cyclically within (hole, j]. */
    j = i;
    for (;;) {
        size_t home;
        j = (j + 1) & mask;
        if (!m->slots[j].key)
            break;
        home = (size_t)m->slots[j].hash & mask;
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            m->slots[i] = m->slots[j];
            m->slots[j].key = NULL;
            i = j;
        }
    }
    return val;
}

void gw_strmap_each(const struct gw_strmap *m, void (*fn)(const char *key, void *val, void *arg),
                    void *arg)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            fn(m->slots[i].key, m->slots[i].val, arg);
}
