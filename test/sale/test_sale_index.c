/* test_sale_index.c: the sale core's lock-free hash index alone: find and insert, the
 * overflow chains past the probe window, records whose hashes collide, and many threads
 * inserting the same keys at once (exactly one record per key wins, all agree on it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sale_index.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SCALE 10
#else
#define SCALE 1
#endif

struct rec {
    struct sale_index_node node;
    unsigned key;
    int owner; /* the thread that allocated it */
};

static bool rec_is(const struct sale_index_node *n, const void *key)
{
    return ((const struct rec *)n)->key == *(const unsigned *)key;
}

/* A well-mixed hash of key; with `collide`, every key gets one of 4 hashes, so tags and
 * slots collide and only rec_is tells the records apart. */
static uint64_t key_hash(unsigned key, bool collide)
{
    uint64_t h = collide ? key % 4 : key;
    h = (h + 1) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 31;
    return h * 0xbf58476d1ce4e5b9ull;
}

static struct sale_index *index_new(size_t expected)
{
    struct sale_index *ix = malloc(sizeof(*ix));
    size_t n = (sale_index_bytes(expected) + 63) / 64 * 64;
    void *mem = aligned_alloc(64, n);
    assert_non_null(ix);
    assert_non_null(mem);
    memset(mem, 0, n);
    sale_index_init(ix, expected, mem);
    return ix;
}

static void index_free(struct sale_index *ix)
{
    free((void *)ix->slots);
    free(ix);
}

static struct rec *rec_new(unsigned key, bool collide, int owner)
{
    struct rec *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->node.hash = key_hash(key, collide);
    r->key = key;
    r->owner = owner;
    return r;
}

static struct rec *find(struct sale_index *ix, unsigned key, bool collide)
{
    return (struct rec *)sale_index_find(ix, key_hash(key, collide), rec_is, &key);
}

/* One thread: every key inserted once is found, a second insert returns the first
 * record, absent keys are absent; `n` far past `expected` drives most keys into the
 * overflow chains, and `collide` makes whole runs of probe slots share one tag. */
static void check_single(size_t expected, unsigned n, bool collide)
{
    struct sale_index *ix = index_new(expected);
    struct rec **recs = calloc(n, sizeof(*recs));
    for (unsigned k = 0; k < n; k++) {
        assert_null(find(ix, k, collide));
        recs[k] = rec_new(k, collide, 0);
        assert_ptr_equal(sale_index_insert(ix, &recs[k]->node, rec_is, &k), &recs[k]->node);
    }
    for (unsigned k = 0; k < n; k++) {
        assert_ptr_equal(find(ix, k, collide), recs[k]);
        struct rec *again = rec_new(k, collide, 1);
        assert_ptr_equal(sale_index_insert(ix, &again->node, rec_is, &k), &recs[k]->node);
        free(again);
    }
    for (unsigned k = n; k < n + 1000; k++)
        assert_null(find(ix, k, collide));
    for (unsigned k = 0; k < n; k++)
        free(recs[k]);
    free(recs);
    index_free(ix);
}

static void test_within_size(void **state)
{
    (void)state;
    check_single(10000, 10000, false);
}

static void test_overflow(void **state)
{
    (void)state;
    /* 1,024 slots (the least) for 30,000 keys: 29,000 of them live in overflow chains. */
    check_single(10, 30000, false);
}

static void test_colliding_hashes(void **state)
{
    (void)state;
    /* 4 hashes for 500 keys: each probe window fills with one tag, the rest overflow
     * into four long chains of equal hashes. */
    check_single(1000, 500, true);
}

#define THREADS 4

struct racer {
    struct sale_index *ix;
    unsigned nkeys;
    bool collide;
    int id;
    pthread_barrier_t *go;
    struct rec **seen; /* per key: the record the index returned to this thread */
    unsigned won;      /* keys for which this thread's own record went in */
};

static void *race(void *p)
{
    struct racer *a = p;
    pthread_barrier_wait(a->go);
    for (unsigned i = 0; i < a->nkeys; i++) {
        /* Each thread walks the keys from its own starting point, so that every key is
         * contended at some moment by threads arriving in different orders. */
        unsigned k = (i + (unsigned)a->id * (a->nkeys / THREADS)) % a->nkeys;
        struct rec *mine = rec_new(k, a->collide, a->id);
        struct rec *in = (struct rec *)sale_index_insert(a->ix, &mine->node, rec_is, &k);
        a->seen[k] = in;
        if (in == mine)
            a->won++;
        else
            free(mine);
    }
    return NULL;
}

static void check_race(size_t expected, unsigned nkeys, bool collide)
{
    struct sale_index *ix = index_new(expected);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS);
    pthread_t th[THREADS];
    struct racer args[THREADS];
    for (int t = 0; t < THREADS; t++) {
        args[t] = (struct racer){.ix = ix,
                                 .nkeys = nkeys,
                                 .collide = collide,
                                 .id = t,
                                 .go = &go,
                                 .seen = calloc(nkeys, sizeof(struct rec *))};
        pthread_create(&th[t], NULL, race, &args[t]);
    }
    unsigned won = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        won += args[t].won;
    }
    assert_int_equal(won, nkeys); /* exactly one record per key went in */
    for (unsigned k = 0; k < nkeys; k++) {
        struct rec *in = find(ix, k, collide);
        assert_non_null(in);
        assert_int_equal(in->key, k);
        for (int t = 0; t < THREADS; t++)
            assert_ptr_equal(args[t].seen[k], in); /* every thread got that one */
    }
    /* Records chain to each other in overflow: free them only after the last find. */
    for (unsigned k = 0; k < nkeys; k++)
        free(args[0].seen[k]);
    for (int t = 0; t < THREADS; t++)
        free(args[t].seen);
    pthread_barrier_destroy(&go);
    index_free(ix);
}

static void test_race_slots(void **state)
{
    (void)state;
    check_race(200000 / SCALE, 200000 / SCALE, false);
}

static void test_race_overflow(void **state)
{
    (void)state;
    check_race(100, 50000 / SCALE, false);
}

static void test_race_colliding(void **state)
{
    (void)state;
    check_race(1000, 300, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_within_size),      cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_colliding_hashes), cmocka_unit_test(test_race_slots),
        cmocka_unit_test(test_race_overflow),    cmocka_unit_test(test_race_colliding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
