/* sale_index.c: the insert-only lock-free hash index (see sale_index.h for the design
 * and its correctness argument). */
#include "sale_index.h"

#include <stdio.h>
#include <stdlib.h>

#define TAG_SHIFT 48
#define ADDR_MASK ((UINT64_C(1) << TAG_SHIFT) - 1)

_Static_assert(sizeof(uintptr_t) == 8, "the index packs a tag into 64-bit addresses");

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

static size_t slot_count(size_t expected)
{
    size_t n = pow2_at_least(expected * 2);
    return n < 1024 ? 1024 : n;
}

/* One overflow bucket per 16 slots: the chains stay short for a long way past the
 * expected count. */
static size_t overflow_count(size_t slots)
{
    return slots / 16;
}

size_t sale_index_bytes(size_t expected)
{
    size_t n = slot_count(expected);
    return n * sizeof(uintptr_t) + overflow_count(n) * sizeof(struct sale_index_node *);
}

void sale_index_init(struct sale_index *ix, size_t expected, void *mem)
{
    size_t n = slot_count(expected);
    ix->mask = n - 1;
    ix->slots = mem;
    ix->omask = overflow_count(n) - 1;
    ix->overflow = (void *)((char *)mem + n * sizeof(uintptr_t));
}

static uintptr_t tag_of(uint64_t h)
{
    return (uintptr_t)(h >> TAG_SHIFT);
}

static struct sale_index_node *node_of(uintptr_t v)
{
    return (struct sale_index_node *)(v & ADDR_MASK);
}

static struct sale_index_node *chain_scan(struct sale_index_node *from,
                                          const struct sale_index_node *stop, uint64_t h,
                                          sale_index_same_fn same, const void *key)
{
    for (struct sale_index_node *x = from; x != stop; x = x->next)
        if (x->hash == h && same(x, key))
            return x;
    return NULL;
}

struct sale_index_node *sale_index_find(const struct sale_index *ix, uint64_t h,
                                        sale_index_same_fn same, const void *key)
{
    uintptr_t tag = tag_of(h);
    for (size_t i = 0; i < SALE_INDEX_PROBE; i++) {
        /* Acquire: pairs with the release CAS that filled the slot, so the record's
         * fields are visible. */
        uintptr_t v = atomic_load_explicit(&ix->slots[(h + i) & ix->mask], memory_order_acquire);
        if (v == 0)
            return NULL; /* an empty probe slot: the key is nowhere (see the header) */
        if (v >> TAG_SHIFT == tag) {
            struct sale_index_node *x = node_of(v);
            if (x->hash == h && same(x, key))
                return x;
        }
    }
    /* Acquire: pairs with the release CAS of the chain's prepends. */
    return chain_scan(atomic_load_explicit(&ix->overflow[h & ix->omask], memory_order_acquire),
                      NULL, h, same, key);
}

static struct sale_index_node *overflow_insert(struct sale_index *ix, struct sale_index_node *fresh,
                                               sale_index_same_fn same, const void *key)
{
    uint64_t h = fresh->hash;
    _Atomic(struct sale_index_node *) *head = &ix->overflow[h & ix->omask];
    /* Acquire: pairs with the release CAS below of other inserters. */
    struct sale_index_node *seen = atomic_load_explicit(head, memory_order_acquire);
    struct sale_index_node *x = chain_scan(seen, NULL, h, same, key);
    if (x)
        return x;
    for (;;) {
        struct sale_index_node *scanned = seen;
        fresh->next = seen;
        /* Release: publishes the record; acquire on failure to scan the newcomers. */
        if (atomic_compare_exchange_weak_explicit(head, &seen, fresh, memory_order_release,
                                                  memory_order_acquire))
            return fresh;
        x = chain_scan(seen, scanned, h, same, key);
        if (x)
            return x;
    }
}

struct sale_index_node *sale_index_insert(struct sale_index *ix, struct sale_index_node *fresh,
                                          sale_index_same_fn same, const void *key)
{
    uint64_t h = fresh->hash;
    uintptr_t tag = tag_of(h);
    if ((uintptr_t)fresh & ~ADDR_MASK) {
        fprintf(stderr, "sale_index: record address %p does not fit in 48 bits\n", (void *)fresh);
        abort();
    }
    uintptr_t mine = tag << TAG_SHIFT | (uintptr_t)fresh;
    for (size_t i = 0; i < SALE_INDEX_PROBE; i++) {
        _Atomic(uintptr_t) *slot = &ix->slots[(h + i) & ix->mask];
        /* Acquire: pairs with the release CAS that filled the slot. */
        uintptr_t v = atomic_load_explicit(slot, memory_order_acquire);
        /* Release: publishes the record with its address. Acquire on failure: v is then
         * another inserter's record, read below. */
        if (v == 0 && atomic_compare_exchange_strong_explicit(slot, &v, mine, memory_order_release,
                                                              memory_order_acquire))
            return fresh;
        if (v >> TAG_SHIFT == tag) {
            struct sale_index_node *x = node_of(v);
            if (x->hash == h && same(x, key))
                return x;
        }
    }
    return overflow_insert(ix, fresh, same, key);
}
