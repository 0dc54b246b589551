/* sale.c: the lock-free flash-sale core (stock, per-uid allowance, req memory, orders).
 *
 * DESIGN
 *
 * Every shared structure here is insert-only until sale_book_destroy(): the book's
 * sale table and order table and a sale's order list are singly linked lists whose
 * heads are atomic pointers, grown by one compare-and-swap that prepends a fully
 * initialised node (release) and read by an acquire load of the head followed by plain
 * reads of immutable `next` links. A sale's per-uid table and its (uid, req) table,
 * which every attempt reads, are open-addressed indexes whose slots are filled once by
 * CAS (sale_index.h, with their correctness argument). Nothing is ever unlinked, so
 * there is no ABA and no reclamation problem: memory comes from a per-book arena
 * (thread-local bump chunks) and all of it goes back at destroy.
 *
 * Unique insertion ("find or insert" of a sale) scans the chain, and when the key is
 * absent, CASes a new node in front of the head it scanned from. If the CAS fails,
 * only the nodes added in front since then are new: it scans those, and retries. Two
 * threads inserting the same key therefore cannot both succeed: the second CAS fails
 * and its rescan finds the first node.
 *
 * Counters are plain atomic integers changed by read-modify-write: the stock `left`
 * and a uid's `used` allowance move by CAS loops that refuse instead of going below
 * zero or above the limit, so no interleaving can oversell or overrun a limit (all
 * RMWs of one location are totally ordered). They publish no other memory, which is
 * why they are relaxed.
 *
 * A req record is claimed by the thread that inserted it (state PENDING) and settled
 * once (state DONE, release) with its first result; repeats that arrive while it is
 * PENDING push a caller-owned waiter onto a per-req Treiber stack, which the settler
 * closes with one exchange and then notifies. An order's state moves only by CAS out
 * of RESERVED into an intermediate state owned by the winner (PAYING, CANCELLING,
 * EXPIRING); only that owner moves it on, to the final state or back to RESERVED, and
 * only the owner of a CANCELLING, EXPIRING or VOIDING order returns its stock. Hence a
 * payment racing an expiry resolves exactly once, and stock goes back exactly once. */
#include "sale.h"
#include "sale_index.h"

#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE    (2u * 1024u * 1024u)
#define ARENA_CHUNK  (HUGE_PAGE - sizeof(struct chunk)) /* a chunk fills one huge page */
#define ORDER_ID_MAX 56
#define BUYERS_MIN   4096 /* the per-uid table is sized for at least this many uids */
#define REQ_PENDING  0
#define REQ_DONE     1

/* ---- arena --------------------------------------------------------------------------- */

struct chunk {
    struct chunk *next;       /* every chunk of the book, for destroy */
    struct chunk *next_ready; /* in the book's pool of unused chunks */
    size_t size;              /* of the whole mapping */
    alignas(64) unsigned char data[];
};

/* The current chunk of this thread. Keyed by the book's unique id (never reused), so a
 * thread that outlives a book never bumps into freed memory. */
static _Thread_local struct {
    uint64_t book_uid;
    unsigned char *cur, *end;
} tl_arena;

/* Book ids. Relaxed: only uniqueness matters. */
static atomic_uint_fast64_t g_book_uid = 1;

struct buyer;
struct req;

struct sale_book {
    uint64_t uid;
    /* "<node>-<boot base36>-": every order id of this book starts with it. */
    char id_prefix[16 + 1 + 13 + 1 + 1];
    size_t id_prefix_len;
    _Atomic(struct chunk *) chunks;
    _Atomic(struct sale *) sales; /* every sale, newest first */
    _Atomic(struct sale *) sale_buckets[256];
    size_t omask;
    _Atomic(struct sale_order *) *orders; /* order table buckets, omask + 1 of them */
    atomic_uint_fast64_t order_seq;
    atomic_size_t mapped; /* bytes of arena chunks, for sale_book_memory() */
    /* Chunks made ahead (at sale start) for the threads' arenas: a stack that only ever
     * gets new chunks and gives each out once (see chunk_take). */
    _Atomic(struct chunk *) ready;
    atomic_size_t ready_bytes;
};

/* A req remembered for (sale, uid). The key (uid and req bytes) is stored inline so
 * that a repeat is answered from this record alone, without touching the uid's. The
 * uid's record is not linked from here: only the claimer needs it, and only when the
 * attempt gets past the checks that need no uid (see reserve()). */
struct req {
    struct sale_index_node node; /* hash of uid and req; first: the index's record */
    atomic_int state;            /* REQ_PENDING, then REQ_DONE once */
    enum sale_code code;         /* written before state becomes DONE */
    struct sale_order *order;
    _Atomic(struct sale_waiter *) waiters;
    uint8_t ulen;
    uint16_t rlen;
    char key[]; /* uid, NUL, req, NUL */
};

struct buyer {
    struct sale_index_node node; /* hash of the uid; first: the index's record */
    atomic_int_fast32_t used;    /* items held or paid by this uid */
    uint8_t len;
    char uid[];
};

struct sale_order {
    struct sale_order *next_in_sale;
    struct sale_order *next_in_table;
    uint64_t hash;
    struct sale *sale;
    struct buyer *buyer;
    struct req *req;
    int32_t qty;
    int64_t created_ms;
    int64_t pay_by_ms;
    atomic_int state;
    char id[ORDER_ID_MAX];
    char from[PROTO_ID_MAX + 1];
};

struct sale {
    struct sale *next_in_book;
    struct sale *next_in_bucket;
    uint64_t hash;
    struct sale_book *book;
    char room[PROTO_ID_MAX + 1];
    char id[PROTO_ID_MAX + 1];
    char sku[PROTO_ID_MAX + 1];
    int64_t price, stock;
    int32_t limit;
    int64_t starts_at, ends_at, pay_window;
    struct sale_index buyers; /* every uid seen, by hash */
    struct sale_index reqs;   /* every (uid, req) seen, by hash of both */
    /* Read by every attempt and written once (sale_stop): it stays with the fields
     * above that never change, away from the lines that every reservation writes,
     * so that one thread's reservations do not evict it from the other's cache. */
    atomic_bool ended;
    /* The hot counter gets a cache line of its own so that polling readers of the
     * other fields do not bounce it. */
    alignas(64) atomic_int_fast64_t left;
    /* Written by every reservation (and by the poller): a line of their own. */
    alignas(64) atomic_int_fast64_t reserved;
    atomic_int_fast64_t paid, norders;
    _Atomic(struct sale_order *) orders;
    atomic_int_fast64_t pub_left;
    atomic_int pub_state;
};

static void *xcalloc(size_t n)
{
    void *p = calloc(1, n);
    if (!p)
        abort();
    return p;
}

static void chunk_push(struct sale_book *b, struct chunk *c)
{
    /* Relaxed: a gauge, read for display only. */
    atomic_fetch_add_explicit(&b->mapped, c->size, memory_order_relaxed);
    /* Release: the chunk's header is complete before destroy can walk it; destroy
     * runs after every user thread stopped, so this is belt and braces. */
    c->next = atomic_load_explicit(&b->chunks, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&b->chunks, &c->next, c, memory_order_release,
                                                  memory_order_relaxed))
        ;
}

/* A zeroed chunk with at least `size` bytes of data, in whole 2 MiB huge pages: mapped
 * at a 2 MiB boundary and advised MADV_HUGEPAGE, so that with transparent huge pages
 * ("madvise" or "always" mode) the kernel backs it with huge pages. The order path reads
 * req and uid records and bucket arrays scattered over the arena; with 4 KiB pages
 * nearly each of those reads also missed the TLB, and on a virtual machine a TLB miss
 * is a two-level page walk: huge pages cut the core's CPU per attempt by more than half
 * on the 2-core VM (bench/micro). Without huge pages it works as before with 4 KiB
 * pages. All pages are then populated in one call (MADV_POPULATE_WRITE, or a write per
 * page on kernels before 5.14) instead of one page fault per page on the order path. */
static struct chunk *chunk_new(size_t size)
{
    size_t total = (sizeof(struct chunk) + size + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
    unsigned char *raw =
        mmap(NULL, total + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        abort();
    unsigned char *p =
        (unsigned char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    /* Give the unaligned head and tail of the mapping back. */
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (raw + total + HUGE_PAGE > p + total)
        munmap(p + total, (size_t)(raw + total + HUGE_PAGE - (p + total)));
    (void)madvise(p, total, MADV_HUGEPAGE); /* a hint: 4 KiB pages when refused */
    if (madvise(p, total, MADV_POPULATE_WRITE) != 0) {
        for (size_t off = 0; off < total; off += 4096)
            ((volatile unsigned char *)p)[off] = 0;
    }
    struct chunk *c = (struct chunk *)p;
    c->size = total;
    return c;
}

#define POOL_MAX (128u * HUGE_PAGE) /* what one sale start may prepare at most */

/* Makes chunks ahead until the pool holds about `bytes`, so that the order path finds its
 * memory mapped and populated: a sale's start prepares what its expected audience will
 * bring (a few ms at the host's sale_start, instead of page population in the first
 * second of the rush). */
static void pool_fill(struct sale_book *b, size_t bytes)
{
    if (bytes > POOL_MAX)
        bytes = POOL_MAX;
    /* Relaxed: a sizing heuristic; concurrent fills may overshoot by a chunk or two. */
    while (atomic_load_explicit(&b->ready_bytes, memory_order_relaxed) < bytes) {
        struct chunk *c = chunk_new(ARENA_CHUNK);
        chunk_push(b, c);
        atomic_fetch_add_explicit(&b->ready_bytes, ARENA_CHUNK, memory_order_relaxed);
        c->next_ready = atomic_load_explicit(&b->ready, memory_order_relaxed);
        /* Release: c's header (next_ready) is visible to the popper's acquire. */
        while (!atomic_compare_exchange_weak_explicit(&b->ready, &c->next_ready, c,
                                                      memory_order_release, memory_order_relaxed))
            ;
    }
}

/* A chunk for a thread's arena: one from the pool, or a new one. The pool is a Treiber
 * stack without ABA: a chunk taken from it is never put back (it stays that thread's
 * arena until destroy), so the head a popper read can never reappear under it, and the
 * next_ready it read is never written again. */
static struct chunk *chunk_take(struct sale_book *b)
{
    /* Acquire: pairs with the release push, so c->next_ready is the pusher's. */
    struct chunk *c = atomic_load_explicit(&b->ready, memory_order_acquire);
    while (c && !atomic_compare_exchange_weak_explicit(&b->ready, &c, c->next_ready,
                                                       memory_order_acquire, memory_order_acquire))
        ;
    if (c) {
        /* Relaxed: the fill heuristic's gauge. */
        atomic_fetch_sub_explicit(&b->ready_bytes, ARENA_CHUNK, memory_order_relaxed);
        return c;
    }
    c = chunk_new(ARENA_CHUNK);
    chunk_push(b, c);
    return c;
}

/* Zeroed memory of n bytes aligned to `align` (<= 64), owned by the book. */
static void *arena_alloc(struct sale_book *b, size_t n, size_t align)
{
    if (n > ARENA_CHUNK / 4) {
        struct chunk *c = chunk_new(n);
        chunk_push(b, c);
        return c->data;
    }
    uintptr_t cur = (uintptr_t)tl_arena.cur;
    cur = (cur + align - 1) & ~(uintptr_t)(align - 1);
    if (tl_arena.book_uid != b->uid || cur + n > (uintptr_t)tl_arena.end) {
        struct chunk *c = chunk_take(b);
        tl_arena.book_uid = b->uid;
        tl_arena.end = c->data + ARENA_CHUNK;
        cur = (uintptr_t)c->data;
    }
    tl_arena.cur = (unsigned char *)(cur + n);
    return (void *)cur;
}

/* ---- small helpers ------------------------------------------------------------------- */

/* FNV-1a, one byte. */
static uint64_t hash_step(uint64_t h, unsigned char c)
{
    return (h ^ c) * 0x100000001b3ull;
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = hash_step(h, s[i]);
    return h;
}

static uint64_t hash_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

#define HASH_SEED 0xcbf29ce484222325ull

static bool id_ok(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return n >= 1 && n <= max;
}

/* Writes v in base 36 (at most 13 digits), without a NUL; returns the length. */
static size_t base36(char *out, uint64_t v)
{
    char tmp[13];
    size_t n = 0;
    do {
        tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
        v /= 36;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

/* ---- outcomes ------------------------------------------------------------------------ */

enum proto_err sale_code_err(enum sale_code c)
{
    switch (c) {
    case SALE_OK:
        return 0;
    case SALE_NOT_STARTED:
        return PROTO_ERR_NOT_STARTED;
    case SALE_ENDED:
        return PROTO_ERR_ENDED;
    case SALE_SOLD_OUT:
        return PROTO_ERR_SOLD_OUT;
    case SALE_LIMIT_EXCEEDED:
        return PROTO_ERR_LIMIT_EXCEEDED;
    case SALE_UNAVAILABLE:
        return PROTO_ERR_UNAVAILABLE;
    }
    return PROTO_ERR_UNAVAILABLE;
}

const char *sale_code_msg(enum sale_code c)
{
    switch (c) {
    case SALE_OK:
        return "ok";
    case SALE_NOT_STARTED:
        return "the sale has not started";
    case SALE_ENDED:
        return "the sale has ended";
    case SALE_SOLD_OUT:
        return "sold out";
    case SALE_LIMIT_EXCEEDED:
        return "over the limit per viewer";
    case SALE_UNAVAILABLE:
        return "orders are unavailable, nothing was taken";
    }
    return "?";
}

const char *sale_order_state_name(enum sale_order_state st)
{
    switch (st) {
    case SALE_ORDER_PENDING:
        return "pending";
    case SALE_ORDER_RESERVED:
        return "reserved";
    case SALE_ORDER_PAYING:
        return "paying";
    case SALE_ORDER_CANCELLING:
        return "cancelling";
    case SALE_ORDER_EXPIRING:
        return "expiring";
    case SALE_ORDER_PAID:
        return "paid";
    case SALE_ORDER_CANCELLED:
        return "cancelled";
    case SALE_ORDER_EXPIRED:
        return "expired";
    case SALE_ORDER_VOIDING:
        return "voiding";
    case SALE_ORDER_ABORTED:
        return "aborted";
    }
    return "?";
}

/* ---- book ---------------------------------------------------------------------------- */

struct sale_book *sale_book_create(const char *node, int64_t boot_ms, size_t order_buckets)
{
    if (!node || !id_ok(node, 16))
        return NULL;
    struct sale_book *b = xcalloc(sizeof(*b));
    b->uid = atomic_fetch_add_explicit(&g_book_uid, 1, memory_order_relaxed);
    size_t len = strlen(node);
    memcpy(b->id_prefix, node, len);
    b->id_prefix[len++] = '-';
    len += base36(b->id_prefix + len, boot_ms > 0 ? (uint64_t)boot_ms : 0);
    b->id_prefix[len++] = '-';
    b->id_prefix_len = len;
    size_t nb = pow2_at_least(order_buckets ? order_buckets : 65536);
    b->omask = nb - 1;
    b->orders = xcalloc(nb * sizeof(*b->orders));
    return b;
}

size_t sale_book_memory(const struct sale_book *b)
{
    /* Relaxed: a gauge (see chunk_push). */
    return atomic_load_explicit(&b->mapped, memory_order_relaxed) +
           (b->omask + 1) * sizeof(*b->orders) + sizeof(*b);
}

void sale_book_destroy(struct sale_book *b)
{
    if (!b)
        return;
    struct chunk *c = atomic_load_explicit(&b->chunks, memory_order_acquire);
    while (c) {
        struct chunk *next = c->next;
        munmap(c, c->size);
        c = next;
    }
    free(b->orders);
    free(b);
}

/* ---- sales ----------------------------------------------------------------------------- */

static uint64_t sale_key_hash(const char *room, const char *sale)
{
    uint64_t h = hash_bytes(HASH_SEED, room, strlen(room) + 1);
    return hash_mix(hash_bytes(h, sale, strlen(sale)));
}

static struct sale *bucket_find(struct sale *from, struct sale *stop, uint64_t h, const char *room,
                                const char *id)
{
    for (struct sale *s = from; s != stop; s = s->next_in_bucket)
        if (s->hash == h && strcmp(s->room, room) == 0 && strcmp(s->id, id) == 0)
            return s;
    return NULL;
}

struct sale *sale_book_find(struct sale_book *b, const char *room, const char *sale)
{
    uint64_t h = sale_key_hash(room, sale);
    /* Acquire: pairs with the release CAS in sale_insert, so the sale's fields are
     * visible once its pointer is. */
    struct sale *head = atomic_load_explicit(&b->sale_buckets[h & 255], memory_order_acquire);
    return bucket_find(head, NULL, h, room, sale);
}

static bool params_ok(const struct sale_params *p)
{
    return p && p->room && p->sale && p->sku && id_ok(p->room, PROTO_ID_MAX) &&
           id_ok(p->sale, PROTO_ID_MAX) && strlen(p->sku) >= 1 && strlen(p->sku) <= PROTO_ID_MAX &&
           p->stock >= 1 && p->limit >= 1 && p->price >= 0 && p->pay_window_ms >= 1 &&
           p->ends_at_ms > 0;
}

static int sale_insert(struct sale_book *b, const struct sale_params *p, int64_t left, bool ended,
                       struct sale **out)
{
    if (!params_ok(p))
        return -EINVAL;
    uint64_t h = sale_key_hash(p->room, p->sale);
    _Atomic(struct sale *) *slot = &b->sale_buckets[h & 255];
    /* Acquire: pairs with the release CAS below (another starter's sale is complete). */
    struct sale *head = atomic_load_explicit(slot, memory_order_acquire);
    struct sale *old = bucket_find(head, NULL, h, p->room, p->sale);
    if (old) {
        *out = old;
        return -EEXIST;
    }
    struct sale *s = arena_alloc(b, sizeof(*s), 64);
    s->hash = h;
    s->book = b;
    strcpy(s->room, p->room);
    strcpy(s->id, p->sale);
    strcpy(s->sku, p->sku);
    s->price = p->price;
    s->stock = p->stock;
    s->limit = p->limit;
    s->starts_at = p->starts_at_ms;
    s->ends_at = p->ends_at_ms;
    s->pay_window = p->pay_window_ms;
    size_t nb = p->buyers_hint > BUYERS_MIN ? p->buyers_hint : BUYERS_MIN;
    sale_index_init(&s->buyers, nb, arena_alloc(b, sale_index_bytes(nb), 64));
    size_t nr = p->reqs_hint ? p->reqs_hint : nb * 8;
    sale_index_init(&s->reqs, nr, arena_alloc(b, sale_index_bytes(nr), 64));
    /* The records the expected audience brings: reqs and uids with their keys. */
    pool_fill(b, nr * (sizeof(struct req) + 24) + nb * (sizeof(struct buyer) + 24));
    atomic_init(&s->left, left);
    atomic_init(&s->ended, ended);
    atomic_init(&s->reserved, 0);
    atomic_init(&s->paid, 0);
    atomic_init(&s->norders, 0);
    atomic_init(&s->orders, NULL);
    atomic_init(&s->pub_left, -1);
    atomic_init(&s->pub_state, 0);
    struct sale *stop = NULL;
    for (;;) {
        s->next_in_bucket = head;
        /* Release: publishes the sale's fields with its pointer (pairs with the acquire
         * loads in sale_book_find and above). Acquire on failure: we scan what the
         * winner inserted. */
        if (atomic_compare_exchange_weak_explicit(slot, &head, s, memory_order_release,
                                                  memory_order_acquire))
            break;
        old = bucket_find(head, stop ? stop : s->next_in_bucket, h, p->room, p->sale);
        if (old) {
            *out = old; /* our node is abandoned in the arena */
            return -EEXIST;
        }
        stop = s->next_in_bucket;
    }
    /* Iteration list. Release pairs with the acquire in sale_book_first. */
    s->next_in_book = atomic_load_explicit(&b->sales, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&b->sales, &s->next_in_book, s,
                                                  memory_order_release, memory_order_relaxed))
        ;
    *out = s;
    return 0;
}

int sale_book_start(struct sale_book *b, const struct sale_params *p, struct sale **out)
{
    return sale_insert(b, p, p ? p->stock : 0, false, out);
}

int sale_book_restore(struct sale_book *b, const struct sale_params *p, int64_t left, bool ended,
                      struct sale **out)
{
    if (left < 0)
        left = 0;
    return sale_insert(b, p, left, ended, out);
}

struct sale *sale_book_first(struct sale_book *b)
{
    /* Acquire: pairs with the release CAS that pushed the sale. */
    return atomic_load_explicit(&b->sales, memory_order_acquire);
}

struct sale *sale_next(const struct sale *s)
{
    return s->next_in_book;
}

bool sale_stop(struct sale *s)
{
    /* Relaxed: the flag stands alone; readers act on it, not on data behind it. */
    return !atomic_exchange_explicit(&s->ended, true, memory_order_relaxed);
}

int64_t sale_left(const struct sale *s)
{
    /* Relaxed: a snapshot of one counter; CAS loops keep it >= 0. */
    return atomic_load_explicit(&s->left, memory_order_relaxed);
}

static bool sale_is_ended(const struct sale *s, int64_t now_ms)
{
    /* Relaxed: see sale_stop. */
    return atomic_load_explicit(&s->ended, memory_order_relaxed) || now_ms >= s->ends_at;
}

enum proto_sale_state sale_state(const struct sale *s, int64_t now_ms)
{
    if (sale_is_ended(s, now_ms))
        return PROTO_SALE_ENDED;
    return sale_left(s) == 0 ? PROTO_SALE_SOLD_OUT : PROTO_SALE_LIVE;
}

void sale_view(const struct sale *s, int64_t now_ms, struct proto_sale_view *v)
{
    v->sale = s->id;
    v->sku = s->sku;
    v->price = s->price;
    v->stock = s->stock;
    v->left = sale_left(s);
    v->limit = s->limit;
    v->state = sale_state(s, now_ms);
    v->ends_at = s->ends_at;
    v->starts_at = s->starts_at;
}

const char *sale_room(const struct sale *s)
{
    return s->room;
}
const char *sale_id(const struct sale *s)
{
    return s->id;
}
const char *sale_sku(const struct sale *s)
{
    return s->sku;
}
int64_t sale_price(const struct sale *s)
{
    return s->price;
}
int64_t sale_stock(const struct sale *s)
{
    return s->stock;
}
int32_t sale_limit(const struct sale *s)
{
    return s->limit;
}
int64_t sale_ends_at(const struct sale *s)
{
    return s->ends_at;
}
int64_t sale_starts_at(const struct sale *s)
{
    return s->starts_at;
}
int64_t sale_pay_window(const struct sale *s)
{
    return s->pay_window;
}

void sale_poll(struct sale *s, int64_t now_ms, struct sale_change *c)
{
    c->left = sale_left(s);
    c->state = sale_state(s, now_ms);
    /* Relaxed exchanges: the published values are self-contained; the exchange makes
     * exactly one caller see each difference. */
    int64_t pl = atomic_exchange_explicit(&s->pub_left, c->left, memory_order_relaxed);
    int ps = atomic_exchange_explicit(&s->pub_state, (int)c->state, memory_order_relaxed);
    c->left_changed = pl != c->left;
    c->state_changed = ps != (int)c->state;
}

void sale_counts_get(const struct sale *s, struct sale_counts *c)
{
    /* Relaxed: statistics. */
    c->left = sale_left(s);
    c->reserved = atomic_load_explicit(&s->reserved, memory_order_relaxed);
    c->paid = atomic_load_explicit(&s->paid, memory_order_relaxed);
    c->orders = atomic_load_explicit(&s->norders, memory_order_relaxed);
}

/* ---- per-uid table and req memory ------------------------------------------------------ */

struct buyer_key {
    const char *uid;
    size_t len;
};

static bool buyer_is(const struct sale_index_node *n, const void *key)
{
    const struct buyer *x = (const struct buyer *)n;
    const struct buyer_key *k = key;
    return x->len == k->len && memcmp(x->uid, k->uid, k->len) == 0;
}

/* The key of an attempt: its uid and req, their lengths and unmixed hashes. A uid's
 * record is keyed by hash_mix(uh), a (uid, req) record by hash_mix(rh), where rh is uh
 * continued over NUL and the req: each string is read once, for its hash and length
 * together (strlen first cost as much as the hash). */
struct ask_key {
    const char *uid, *req;
    size_t ulen, rlen;
    uint64_t uh, rh;
};

static uint64_t hash_str(uint64_t h, const char *s, size_t *len)
{
    size_t i = 0;
    for (; s[i]; i++)
        h = hash_step(h, (unsigned char)s[i]);
    *len = i;
    return h;
}

static void ask_key_of(const char *uid, const char *req, struct ask_key *k)
{
    k->uid = uid;
    k->req = req;
    k->uh = hash_str(HASH_SEED, uid, &k->ulen);
    k->rh = hash_str(hash_bytes(k->uh, "", 1), req, &k->rlen);
}

/* The uid's record in the sale, created on first sight. Lock-free (see sale_index.h). */
static struct buyer *buyer_get(struct sale *s, const struct ask_key *a)
{
    const char *uid = a->uid;
    size_t len = a->ulen;
    uint64_t h = hash_mix(a->uh);
    struct buyer_key k = {uid, len};
    struct buyer *x = (struct buyer *)sale_index_find(&s->buyers, h, buyer_is, &k);
    if (x)
        return x;
    x = arena_alloc(s->book, sizeof(*x) + len + 1, 8);
    x->node.hash = h;
    x->len = (uint8_t)len;
    memcpy(x->uid, uid, len);
    atomic_init(&x->used, 0);
    /* A record that lost the race stays unused in the arena. */
    return (struct buyer *)sale_index_insert(&s->buyers, &x->node, buyer_is, &k);
}

struct req_key {
    const char *uid, *req;
    size_t ulen, rlen;
};

static bool req_is(const struct sale_index_node *n, const void *key)
{
    const struct req *x = (const struct req *)n;
    const struct req_key *k = key;
    return x->ulen == k->ulen && x->rlen == k->rlen && memcmp(x->key, k->uid, k->ulen) == 0 &&
           memcmp(x->key + k->ulen + 1, k->req, k->rlen) == 0;
}

/* Finds the (uid, req) record of the sale, or inserts it as PENDING owned by the
 * caller (*claimed) when may_claim; returns NULL when it is new and may_claim is
 * false. */
static struct req *req_get(struct sale *s, const struct ask_key *a, bool may_claim, bool *claimed)
{
    *claimed = false;
    const char *uid = a->uid, *r = a->req;
    size_t ulen = a->ulen, rlen = a->rlen;
    uint64_t h = hash_mix(a->rh);
    struct req_key k = {uid, r, ulen, rlen};
    struct req *x = (struct req *)sale_index_find(&s->reqs, h, req_is, &k);
    if (x || !may_claim)
        return x;
    x = arena_alloc(s->book, sizeof(*x) + ulen + rlen + 2, 8);
    x->node.hash = h;
    x->ulen = (uint8_t)ulen;
    x->rlen = (uint16_t)rlen;
    memcpy(x->key, uid, ulen);
    memcpy(x->key + ulen + 1, r, rlen);
    atomic_init(&x->state, REQ_PENDING);
    atomic_init(&x->waiters, NULL);
    struct req *in = (struct req *)sale_index_insert(&s->reqs, &x->node, req_is, &k);
    *claimed = in == x;
    return in;
}

/* The sentinel that closes a req's waiter stack once it is settled. */
static struct sale_waiter g_closed;

static void req_result(const struct req *r, struct sale_result *out)
{
    out->code = r->code;
    out->order = r->code == SALE_OK ? r->order : NULL;
}

/* Sets the first result of a claimed req and notifies the waiters of its repeats. */
static void req_settle(struct req *r, enum sale_code code, struct sale_order *o)
{
    r->code = code;
    r->order = o;
    /* Release: code and order are visible to whoever acquires DONE (req_answer). */
    atomic_store_explicit(&r->state, REQ_DONE, memory_order_release);
    /* Acquire: pairs with the release CAS of each pushed waiter, so its fields are
     * visible here. Release: a pusher that then loads the sentinel (acquire) sees
     * DONE and the result stored above. */
    struct sale_waiter *w = atomic_exchange_explicit(&r->waiters, &g_closed, memory_order_acq_rel);
    struct sale_result res;
    req_result(r, &res);
    while (w) {
        struct sale_waiter *next = w->next; /* w may be freed by on_result */
        w->on_result(w, &res);
        w = next;
    }
}

/* Answers a repeat of a req claimed by someone else. */
static enum sale_place req_answer(struct req *r, struct sale_waiter *w, struct sale_result *out)
{
    /* Acquire: pairs with the release store of DONE in req_settle. */
    if (atomic_load_explicit(&r->state, memory_order_acquire) == REQ_DONE) {
        req_result(r, out);
        return SALE_PLACE_DONE;
    }
    if (!w) {
        out->code = SALE_UNAVAILABLE;
        out->order = NULL;
        return SALE_PLACE_DONE;
    }
    /* Acquire: if this reads the sentinel, it synchronises with the settler's
     * exchange, after which DONE and the result are visible. */
    struct sale_waiter *h = atomic_load_explicit(&r->waiters, memory_order_acquire);
    for (;;) {
        if (h == &g_closed) {
            assert(atomic_load_explicit(&r->state, memory_order_acquire) == REQ_DONE);
            req_result(r, out);
            return SALE_PLACE_DONE;
        }
        w->next = h;
        /* Release: publishes w's fields to the settler's acquire exchange. */
        if (atomic_compare_exchange_weak_explicit(&r->waiters, &h, w, memory_order_release,
                                                  memory_order_acquire))
            return SALE_PLACE_WAIT;
    }
}

/* ---- orders ---------------------------------------------------------------------------- */

static uint64_t order_id_hash(const char *id)
{
    return hash_mix(hash_bytes(HASH_SEED, id, strlen(id)));
}

static struct sale_order *table_find(struct sale_order *from, uint64_t h, const char *id)
{
    for (struct sale_order *o = from; o; o = o->next_in_table)
        if (o->hash == h && strcmp(o->id, id) == 0)
            return o;
    return NULL;
}

struct sale_order *sale_book_order_find(struct sale_book *b, const char *id)
{
    uint64_t h = order_id_hash(id);
    /* Acquire: pairs with the release CAS in order_publish. */
    return table_find(atomic_load_explicit(&b->orders[h & b->omask], memory_order_acquire), h, id);
}

/* Makes an initialised order findable by id and by its sale's expiry walk. Ids made
 * here are unique by construction; restored ids are checked by the caller. */
static void order_publish(struct sale *s, struct sale_order *o)
{
    struct sale_book *b = s->book;
    _Atomic(struct sale_order *) *slot = &b->orders[o->hash & b->omask];
    o->next_in_table = atomic_load_explicit(slot, memory_order_relaxed);
    /* Release: the order's fields are visible to finders (acquire loads). */
    while (!atomic_compare_exchange_weak_explicit(slot, &o->next_in_table, o, memory_order_release,
                                                  memory_order_relaxed))
        ;
    o->next_in_sale = atomic_load_explicit(&s->orders, memory_order_relaxed);
    /* Release: pairs with the acquire in sale_expire_due. */
    while (!atomic_compare_exchange_weak_explicit(&s->orders, &o->next_in_sale, o,
                                                  memory_order_release, memory_order_relaxed))
        ;
}

static struct sale_order *order_new(struct sale *s, struct buyer *by, struct req *r, int32_t qty,
                                    const char *from, int64_t created, int64_t pay_by,
                                    enum sale_order_state st)
{
    struct sale_order *o = arena_alloc(s->book, sizeof(*o), 8);
    o->sale = s;
    o->buyer = by;
    o->req = r;
    o->qty = qty;
    o->created_ms = created;
    o->pay_by_ms = pay_by;
    atomic_init(&o->state, st);
    if (from && strlen(from) <= PROTO_ID_MAX)
        strcpy(o->from, from);
    return o;
}

/* Takes qty from the uid's allowance and then from the stock, or neither; *by is the
 * uid's record when the allowance was looked at (always when SALE_OK). The uid's
 * record is looked up (created on first sight) only after the checks that do not
 * need it: in a rush most attempts come after the sale sold out, and they are
 * refused without touching the per-uid table. */
static enum sale_code reserve(struct sale *s, const struct ask_key *k, int32_t qty, int64_t now_ms,
                              struct buyer **by_out)
{
    if (sale_is_ended(s, now_ms))
        return SALE_ENDED;
    if (now_ms < s->starts_at)
        return SALE_NOT_STARTED;
    if (qty > s->limit)
        return SALE_LIMIT_EXCEEDED;
    /* Relaxed throughout: these counters publish nothing else (see DESIGN); the CAS
     * loops alone guarantee used <= limit and left >= 0. A cheap look at the stock
     * first keeps the allowance line quiet once the sale is sold out. */
    int_fast64_t left = atomic_load_explicit(&s->left, memory_order_relaxed);
    if (left < qty)
        return SALE_SOLD_OUT;
    struct buyer *by = buyer_get(s, k);
    *by_out = by;
    int_fast32_t used = atomic_load_explicit(&by->used, memory_order_relaxed);
    do {
        if (used + qty > s->limit)
            return SALE_LIMIT_EXCEEDED;
    } while (!atomic_compare_exchange_weak_explicit(&by->used, &used, used + qty,
                                                    memory_order_relaxed, memory_order_relaxed));
    do {
        if (left < qty) {
            /* Relaxed: gives back what this call took a moment ago. */
            atomic_fetch_sub_explicit(&by->used, qty, memory_order_relaxed);
            return SALE_SOLD_OUT;
        }
    } while (!atomic_compare_exchange_weak_explicit(&s->left, &left, left - qty,
                                                    memory_order_relaxed, memory_order_relaxed));
    return SALE_OK;
}

enum sale_place sale_order_place(struct sale *s, const struct sale_ask *a, int64_t now_ms,
                                 bool store_up, struct sale_waiter *w, struct sale_result *out)
{
    struct ask_key k;
    ask_key_of(a->uid, a->req, &k);
    assert(k.ulen >= 1 && k.ulen <= PROTO_ID_MAX && k.rlen >= 1 && k.rlen <= PROTO_REQ_MAX_BYTES);
    assert(a->qty >= 1);
    bool claimed;
    struct req *r = req_get(s, &k, store_up, &claimed);
    if (!r) {
        out->code = SALE_UNAVAILABLE;
        out->order = NULL;
        return SALE_PLACE_DONE;
    }
    if (!claimed)
        return req_answer(r, w, out);
    struct buyer *by = NULL;
    enum sale_code c = reserve(s, &k, a->qty, now_ms, &by);
    if (c != SALE_OK) {
        req_settle(r, c, NULL);
        out->code = c;
        out->order = NULL;
        return SALE_PLACE_DONE;
    }
    struct sale_order *o =
        order_new(s, by, r, a->qty, a->from, now_ms, now_ms + s->pay_window, SALE_ORDER_PENDING);
    /* Relaxed: the sequence only has to be unique. */
    uint64_t n = atomic_fetch_add_explicit(&s->book->order_seq, 1, memory_order_relaxed) + 1;
    /* "<node>-<boot36>-<n base36>": at most 16 + 1 + 13 + 1 + 13 bytes and a NUL, within
     * ORDER_ID_MAX. Formatted by hand: snprintf cost more than the rest of a reservation. */
    size_t idlen = s->book->id_prefix_len;
    memcpy(o->id, s->book->id_prefix, idlen);
    idlen += base36(o->id + idlen, n);
    o->id[idlen] = '\0';
    o->hash = order_id_hash(o->id);
    /* Relaxed: statistics and the expiry walk's "anything held?" hint. */
    atomic_fetch_add_explicit(&s->reserved, a->qty, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->norders, 1, memory_order_relaxed);
    order_publish(s, o);
    out->code = SALE_OK;
    out->order = o;
    return SALE_PLACE_RESERVED;
}

/* Moves an order out of a state that the caller owns. acq_rel: release publishes
 * what the owner did before (for instance the stock it returned), acquire keeps the
 * owner's later steps after it. */
static void order_move(struct sale_order *o, enum sale_order_state from, enum sale_order_state to)
{
    int expected = from;
    bool ok = atomic_compare_exchange_strong_explicit(&o->state, &expected, to,
                                                      memory_order_acq_rel, memory_order_relaxed);
    assert(ok && "order transition by a caller that does not own it");
    (void)ok;
}

/* Returns the stock and allowance of a released order. Called once per order, by the
 * owner of its CANCELLING, EXPIRING or VOIDING state. */
static void order_give_back(struct sale_order *o)
{
    struct sale *s = o->sale;
    /* Relaxed: counters only (see DESIGN). The allowance first, so that a retry by the
     * same uid that sees the stock also finds its allowance. */
    atomic_fetch_sub_explicit(&o->buyer->used, o->qty, memory_order_relaxed);
    atomic_fetch_sub_explicit(&s->reserved, o->qty, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->left, o->qty, memory_order_relaxed);
}

void sale_order_commit(struct sale_order *o)
{
    order_move(o, SALE_ORDER_PENDING, SALE_ORDER_RESERVED);
    req_settle(o->req, SALE_OK, o);
}

void sale_order_fail(struct sale_order *o)
{
    order_move(o, SALE_ORDER_PENDING, SALE_ORDER_VOIDING);
    req_settle(o->req, SALE_UNAVAILABLE, o);
}

void sale_order_void_end(struct sale_order *o)
{
    order_give_back(o);
    order_move(o, SALE_ORDER_VOIDING, SALE_ORDER_ABORTED);
}

enum sale_order_state sale_order_state(const struct sale_order *o)
{
    /* Acquire: pairs with the acq_rel transitions. */
    return (enum sale_order_state)atomic_load_explicit(&o->state, memory_order_acquire);
}

const char *sale_order_id(const struct sale_order *o)
{
    return o->id;
}
struct sale *sale_order_sale(const struct sale_order *o)
{
    return o->sale;
}
const char *sale_order_uid(const struct sale_order *o)
{
    return o->buyer->uid;
}
const char *sale_order_req(const struct sale_order *o)
{
    return o->req->key + o->req->ulen + 1;
}
const char *sale_order_from(const struct sale_order *o)
{
    return o->from;
}
int32_t sale_order_qty(const struct sale_order *o)
{
    return o->qty;
}
int64_t sale_order_created(const struct sale_order *o)
{
    return o->created_ms;
}
int64_t sale_order_pay_by(const struct sale_order *o)
{
    return o->pay_by_ms;
}

/* The common shape of `paid` and `cancel`: CAS RESERVED -> mid, else classify. */
static enum sale_tr order_begin(struct sale_order *o, enum sale_order_state mid,
                                enum sale_order_state done_a, enum sale_order_state done_b,
                                enum sale_order_state conflict_a, enum sale_order_state conflict_b)
{
    /* Acquire: pairs with the acq_rel transitions, so a final state read here comes
     * with everything its owner did. */
    int st = atomic_load_explicit(&o->state, memory_order_acquire);
    for (;;) {
        if (st == SALE_ORDER_RESERVED) {
            /* acq_rel: exactly one of the racing begin calls (paid, cancel, expiry)
             * wins this CAS; the winner owns the order until it calls _end. */
            if (atomic_compare_exchange_weak_explicit(&o->state, &st, mid, memory_order_acq_rel,
                                                      memory_order_acquire))
                return SALE_TR_STARTED;
            continue;
        }
        if (st == (int)done_a || st == (int)done_b)
            return SALE_TR_ALREADY;
        if (st == (int)conflict_a || st == (int)conflict_b)
            return SALE_TR_CONFLICT;
        if (st == SALE_ORDER_PAYING || st == SALE_ORDER_CANCELLING || st == SALE_ORDER_EXPIRING)
            return SALE_TR_BUSY;
        return SALE_TR_NOT_FOUND;
    }
}

enum sale_tr sale_order_pay_begin(struct sale_order *o)
{
    return order_begin(o, SALE_ORDER_PAYING, SALE_ORDER_PAID, SALE_ORDER_PAID, SALE_ORDER_CANCELLED,
                       SALE_ORDER_EXPIRED);
}

void sale_order_pay_end(struct sale_order *o, bool durable)
{
    if (durable) {
        struct sale *s = o->sale;
        /* Relaxed: statistics. */
        atomic_fetch_sub_explicit(&s->reserved, o->qty, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->paid, o->qty, memory_order_relaxed);
        order_move(o, SALE_ORDER_PAYING, SALE_ORDER_PAID);
    } else {
        order_move(o, SALE_ORDER_PAYING, SALE_ORDER_RESERVED);
    }
}

enum sale_tr sale_order_cancel_begin(struct sale_order *o)
{
    return order_begin(o, SALE_ORDER_CANCELLING, SALE_ORDER_CANCELLED, SALE_ORDER_EXPIRED,
                       SALE_ORDER_PAID, SALE_ORDER_PAID);
}

void sale_order_cancel_end(struct sale_order *o, bool durable)
{
    if (durable) {
        order_give_back(o);
        order_move(o, SALE_ORDER_CANCELLING, SALE_ORDER_CANCELLED);
    } else {
        order_move(o, SALE_ORDER_CANCELLING, SALE_ORDER_RESERVED);
    }
}

bool sale_order_expire_begin(struct sale_order *o, int64_t now_ms)
{
    if (now_ms < o->pay_by_ms)
        return false;
    int expected = SALE_ORDER_RESERVED;
    /* acq_rel: the same race as order_begin; one winner. */
    return atomic_compare_exchange_strong_explicit(&o->state, &expected, SALE_ORDER_EXPIRING,
                                                   memory_order_acq_rel, memory_order_relaxed);
}

void sale_order_expire_end(struct sale_order *o, bool durable)
{
    if (durable) {
        order_give_back(o);
        order_move(o, SALE_ORDER_EXPIRING, SALE_ORDER_EXPIRED);
    } else {
        order_move(o, SALE_ORDER_EXPIRING, SALE_ORDER_RESERVED);
    }
}

size_t sale_expire_due(struct sale *s, int64_t now_ms, void (*fn)(void *arg, struct sale_order *o),
                       void *arg)
{
    /* Relaxed: a hint; an order reserved after this load is not due yet anyway unless
     * the clock jumped, and the next pass catches it. */
    if (atomic_load_explicit(&s->reserved, memory_order_relaxed) == 0)
        return 0;
    size_t n = 0;
    /* Acquire: pairs with the release CAS in order_publish. */
    for (struct sale_order *o = atomic_load_explicit(&s->orders, memory_order_acquire); o;
         o = o->next_in_sale) {
        if (sale_order_expire_begin(o, now_ms)) {
            fn(arg, o);
            n++;
        }
    }
    return n;
}

/* ---- restore --------------------------------------------------------------------------- */

int sale_order_restore(struct sale *s, const struct sale_order_rec *r)
{
    if (!r->id || !r->uid || !r->req || r->qty < 1 || strlen(r->id) >= ORDER_ID_MAX ||
        strlen(r->uid) < 1 || strlen(r->uid) > PROTO_ID_MAX || strlen(r->req) < 1 ||
        strlen(r->req) > PROTO_REQ_MAX_BYTES)
        return -EINVAL;
    if (r->state != SALE_ORDER_RESERVED && r->state != SALE_ORDER_PAID &&
        r->state != SALE_ORDER_CANCELLED && r->state != SALE_ORDER_EXPIRED)
        return -EINVAL;
    if (sale_book_order_find(s->book, r->id))
        return -EEXIST;
    bool claimed;
    struct ask_key k;
    ask_key_of(r->uid, r->req, &k);
    struct req *q = req_get(s, &k, true, &claimed);
    if (!claimed)
        return -EEXIST;
    struct buyer *by = buyer_get(s, &k);
    struct sale_order *o =
        order_new(s, by, q, r->qty, r->from, r->created_ms, r->pay_by_ms, r->state);
    snprintf(o->id, sizeof(o->id), "%s", r->id);
    o->hash = order_id_hash(o->id);
    /* Relaxed: single-threaded startup; the book is published to workers later by
     * whatever starts them (thread creation is a synchronisation point). */
    if (r->state == SALE_ORDER_RESERVED || r->state == SALE_ORDER_PAID)
        atomic_fetch_add_explicit(&by->used, r->qty, memory_order_relaxed);
    if (r->state == SALE_ORDER_RESERVED)
        atomic_fetch_add_explicit(&s->reserved, r->qty, memory_order_relaxed);
    if (r->state == SALE_ORDER_PAID)
        atomic_fetch_add_explicit(&s->paid, r->qty, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->norders, 1, memory_order_relaxed);
    order_publish(s, o);
    req_settle(q, SALE_OK, o);
    return 0;
}
