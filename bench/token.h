/* token.h: mints gateway access tokens `<uid>.<role>.<room>.<exp>.<sig>` for simulated clients,
 * sig = lowercase hex HMAC-SHA256(secret, "<uid>.<role>.<room>.<exp>") (OpenSSL). */
#ifndef BENCH_TOKEN_H
#define BENCH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

/* Writes the NUL-terminated token into out[0..cap). Returns its length, or -1 when it does not
 * fit or HMAC fails. */
int bench_token_mint(char *out, size_t cap, const char *secret, const char *uid, const char *role,
                     const char *room, int64_t exp);

#endif
