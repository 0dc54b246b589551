/* test_gw_strmap.c: the string map against a brute-force reference under churn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gw_strmap.h"

static void test_put_get_del(void **state)
{
    struct gw_strmap m;
    bool created;

    gw_strmap_init(&m);
    assert_null(gw_strmap_get(&m, "a"));
    *gw_strmap_put(&m, "a", &created) = (void *)1;
    assert_true(created);
    *gw_strmap_put(&m, "a", &created) = (void *)2;
    assert_false(created);
    assert_int_equal(m.count, 1);
    assert_ptr_equal(*gw_strmap_get(&m, "a"), (void *)2);
    assert_ptr_equal(gw_strmap_del(&m, "a"), (void *)2);
    assert_null(gw_strmap_del(&m, "a"));
    assert_int_equal(m.count, 0);
    gw_strmap_fini(&m);
}

/* Random inserts and deletes over a small key space, so that probe runs wrap and
 * backward-shift deletion is exercised; every key is checked after every step. */
static void test_churn_against_reference(void **state)
{
    enum { KEYS = 300, STEPS = 20000 };
    uintptr_t ref[KEYS] = {0};
    struct gw_strmap m;
    unsigned int seed = 12345;
    char key[16];

    gw_strmap_init(&m);
    for (int step = 0; step < STEPS; step++) {
        int k = (int)(rand_r(&seed) % KEYS);
        snprintf(key, sizeof(key), "uid-%d", k);
        if (rand_r(&seed) % 3) {
            *gw_strmap_put(&m, key, NULL) = (void *)(uintptr_t)(step + 1);
            ref[k] = (uintptr_t)(step + 1);
        } else {
            void *v = gw_strmap_del(&m, key);
            assert_ptr_equal(v, (void *)ref[k]);
            ref[k] = 0;
        }
        if (step % 97 == 0) {
            size_t live = 0;
            for (int i = 0; i < KEYS; i++) {
                void **slot;
                snprintf(key, sizeof(key), "uid-%d", i);
                slot = gw_strmap_get(&m, key);
                if (ref[i]) {
                    assert_non_null(slot);
                    assert_ptr_equal(*slot, (void *)ref[i]);
                    live++;
                } else {
                    assert_null(slot);
                }
            }
            assert_int_equal(m.count, live);
        }
    }
    gw_strmap_fini(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_del),
        cmocka_unit_test(test_churn_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
