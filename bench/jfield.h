/* jfield.h: a JSON-light field extractor for the few fields the bench reads (t, seq, text,
 * total, likes, req, ok, code). Pure, no allocation; not a validating parser.
 *
 * It walks one object's top level, skipping nested values without looking into them, so the
 * cost is one pass over the bytes up to the wanted key. Server frames hold one object or an
 * array of objects (a batch); jf_next_object walks the latter. */
#ifndef BENCH_JFIELD_H
#define BENCH_JFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Finds top-level `key` in the object at s[0..len). On success returns a pointer to the value
 * and sets *vlen to its extent; a string value is returned without its quotes, still escaped.
 * *is_str tells which (may be NULL). Returns NULL when the key is absent or the text malformed. */
const char *jf_find(const char *s, size_t len, const char *key, size_t *vlen, bool *is_str);

/* jf_find for an integer value. */
bool jf_int(const char *s, size_t len, const char *key, int64_t *out);

/* jf_find for a string value: returns its (escaped) bytes. */
bool jf_str(const char *s, size_t len, const char *key, const char **v, size_t *vlen);

/* True when the string value of `key` equals `want`. */
bool jf_str_eq(const char *s, size_t len, const char *key, const char *want);

/* Iterates the objects in a frame payload: a single object, or an array of objects. *pos starts
 * at 0. Returns true and sets *obj, *olen for each object in turn; false at the end. */
bool jf_next_object(const char *s, size_t len, size_t *pos, const char **obj, size_t *olen);

#endif
