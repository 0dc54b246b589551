/* sale_index.h: the sale core's insert-only, lock-free hash index of records (the
 * per-uid table and the (uid, req) table of a sale). Internal to sale/.
 *
 * Records live in the book's arena and are never removed, so the index only grows
 * until the book is destroyed. A record starts with a `struct sale_index_node` that
 * holds its 64-bit hash (well mixed: the low bits pick a slot, the high 16 bits are its
 * tag) and a link used only when the record overflows (see below).
 *
 * Layout and why. The table is open addressing with linear probing over 8-byte slots,
 * each the record's address with its 16-bit tag in the top bits (user addresses fit
 * in 48 bits; insertion aborts otherwise), 0 when empty. A lookup reads one cache line
 * of slots and touches a record only when its tag matches (a false match is 1 in
 * 65,536): a fresh key, the common case of a rush, costs one cache miss, where a
 * chained table costs one more per record on the chain. Sized at twice the expected
 * count, probes are short.
 *
 * Overflow. A key probes at most SALE_INDEX_PROBE slots. When all of them are taken
 * by other keys it goes to a chained overflow table instead, so that the index never
 * fills: beyond its size it slows down, it never refuses.
 *
 * Correctness (unique insertion). A slot goes from empty to a record once, by CAS, and
 * never changes again. Two threads inserting the same key probe the same slots in the
 * same order; each stops at the first slot that is empty or holds the key. Whichever
 * CAS fills a slot first with the key, the other thread either sees the key there or
 * fails its CAS on that slot and then sees it. A key goes to the overflow chain only
 * when all its probe slots were seen full, which stays true, so every thread that
 * inserts it ends up at the chain, where insertion is a prepend CAS after a scan and a
 * failed CAS rescans only the newcomers. A lookup that meets an empty probe slot can
 * stop: the key was not in the overflow chain at that moment either. */
#ifndef SALE_INDEX_H
#define SALE_INDEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SALE_INDEX_PROBE 32 /* slots a key probes before it overflows: 4 cache lines */

struct sale_index_node {
    struct sale_index_node *next; /* overflow chain; unused while in a slot */
    uint64_t hash;
};

/* True when the record n is the key `key` (n's hash equals the key's already). */
typedef bool (*sale_index_same_fn)(const struct sale_index_node *n, const void *key);

struct sale_index {
    size_t mask;               /* slots - 1 */
    _Atomic(uintptr_t) *slots; /* tag << 48 | address, 0 = empty */
    size_t omask;              /* overflow buckets - 1 */
    _Atomic(struct sale_index_node *) *overflow;
};

/* Bytes of zeroed memory that sale_index_init() needs for `expected` records. */
size_t sale_index_bytes(size_t expected);

/* Sets up an empty index over mem: sale_index_bytes(expected) zeroed bytes, 64-byte
 * aligned, that outlive the index. */
void sale_index_init(struct sale_index *ix, size_t expected, void *mem);

/* The record with hash h for which same(record, key) holds, or NULL. */
struct sale_index_node *sale_index_find(const struct sale_index *ix, uint64_t h,
                                        sale_index_same_fn same, const void *key);

/* Inserts `fresh` (its hash set, the rest of the record initialised: it is published
 * with release order) unless a record that is the same key is there already. Returns
 * the record in the index for the key: `fresh` if it went in, else the earlier one
 * (then `fresh` stays unused and the caller may drop it). */
struct sale_index_node *sale_index_insert(struct sale_index *ix, struct sale_index_node *fresh,
                                          sale_index_same_fn same, const void *key);

#endif
