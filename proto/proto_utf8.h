/* proto_utf8.h: UTF-8 validation and code-point arithmetic on outside bytes.
 *
 * Pure functions: no allocation, no globals, never read past `len`. */
#ifndef PROTO_UTF8_H
#define PROTO_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). An embedded NUL is valid UTF-8. */
bool proto_utf8_is_valid(const char *s, size_t len);

/* Byte length of the longest well-formed prefix of s[0..len) (as proto_utf8_is_valid
 * judges it); equals len exactly when the whole string is valid. Project addition: the
 * encoder uses it to pass valid runs through and replace a stray byte with U+FFFD. */
size_t proto_utf8_valid_prefix(const char *s, size_t len);

/* Number of code points in s[0..len), which must be valid UTF-8. */
size_t proto_utf8_count(const char *s, size_t len);

/* Byte length of the longest prefix of s[0..len) holding at most max_cp code points;
 * s must be valid UTF-8. Used to cut a nick to 32 code points without splitting one. */
size_t proto_utf8_prefix(const char *s, size_t len, size_t max_cp);

/* Narrows *s / *len to drop surrounding white space: ASCII space, \t \n \v \f \r,
 * U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 and U+FEFF.
 * The string must be valid UTF-8; nothing is written. */
void proto_utf8_trim(const char **s, size_t *len);

#endif
