/* fuzz.h: what every fuzz target and the corpus replay driver share. */
#ifndef TEST_FUZZ_H
#define TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The libFuzzer entry point; each target defines it, the replay driver calls it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant check that stays on in release builds (assert would not), so the
 * corpus replay in an ordinary build catches a broken invariant too. */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
