/* proto_draw.h: the verifiable lucky-bag draw: commitment, seed check and winners.
 *
 * proto/DRAW.md specifies the procedure so that anyone can re-implement it (and
 * proto/tools/verify_draw.py does, with Python's standard library). In short: when a
 * bag opens, publish commit = hex SHA-256 of a fresh 32-byte random seed; at the draw,
 * publish the seed; the winners are a partial Fisher-Yates shuffle of the participant
 * uids (sorted byte-wise, duplicates removed), driven by uint64s taken from
 * HMAC-SHA256(seed, "livegw-draw" || bag || counter) with rejection sampling.
 *
 * Pure functions on their arguments (safe from any thread), no I/O, no globals;
 * proto_draw_seed_new uses OpenSSL's CSPRNG and proto_draw_winners allocates one
 * index array (and returns -ENOMEM when it cannot). */
#ifndef PROTO_DRAW_H
#define PROTO_DRAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_DRAW_SEED_BYTES  32
#define PROTO_DRAW_HEX_LEN     64   /* seed or commitment in hex, without NUL */
#define PROTO_DRAW_WINNERS_MAX 1000 /* bag_start.winners, PROTOCOL.md A3 */

/* Fills seed with PROTO_DRAW_SEED_BYTES from OpenSSL's RAND_bytes. Returns 0, or -EIO
 * when the generator fails (then no draw should be offered). */
int proto_draw_seed_new(uint8_t seed[PROTO_DRAW_SEED_BYTES]);

/* Writes the 32 bytes as 64 lowercase hex digits and a NUL to out. */
void proto_draw_hex(const uint8_t bytes[PROTO_DRAW_SEED_BYTES], char out[PROTO_DRAW_HEX_LEN + 1]);

/* Parses exactly 64 hex digits (either case) into out. Returns false otherwise. */
bool proto_draw_hex_parse(const char *s, size_t len, uint8_t out[PROTO_DRAW_SEED_BYTES]);

/* The commitment to seed: SHA-256 of its 32 bytes, as 64 lowercase hex digits and NUL. */
void proto_draw_commit(const uint8_t seed[PROTO_DRAW_SEED_BYTES], char out[PROTO_DRAW_HEX_LEN + 1]);

/* True when commit[0..len) is 64 hex digits (either case) equal to seed's commitment.
 * The comparison takes the same time wherever the first difference is. */
bool proto_draw_commit_matches(const uint8_t seed[PROTO_DRAW_SEED_BYTES], const char *commit,
                               size_t len);

/* Sorts uids[0..n) byte-wise (strcmp order) and removes duplicates, in place. Returns
 * the number of distinct uids left at the front. The strings are borrowed, not copied. */
size_t proto_draw_prepare(const char **uids, size_t n);

/* One rejection-sampling step (DRAW.md "uniform"): true and *value = u mod r when u is
 * accepted for range r (r >= 1), false when u must be discarded (u < 2^64 mod r). */
bool proto_draw_accept(uint64_t u, uint64_t r, uint64_t *value);

/* Draws min(n_winners, n) winners from uids[0..n), which must be sorted and distinct
 * (as proto_draw_prepare leaves them), for the bag id bag (1-64 bytes, NUL-terminated).
 * Writes the winners' indexes into uids to out (room for min(n_winners, n)), in draw
 * order, and their number to *n_out. Returns 0, -EINVAL (uids not sorted and distinct,
 * a bad bag id) or -ENOMEM. n == 0 draws nobody. */
int proto_draw_winners(const uint8_t seed[PROTO_DRAW_SEED_BYTES], const char *bag,
                       const char *const *uids, size_t n, size_t n_winners, size_t *out,
                       size_t *n_out);

/* What proto_draw_verify found. */
enum proto_draw_verdict {
    PROTO_DRAW_OK,                /* seed matches the commitment, winners are the draw's */
    PROTO_DRAW_BAD_COMMIT,        /* the seed does not match the commitment */
    PROTO_DRAW_WINNERS_DIFFER,    /* the announced winners are not the draw's */
    PROTO_DRAW_WINNERS_REORDERED, /* the draw's winners, but not in draw order */
};

/* Checks an announced draw: the seed against commit[0..commit_len) (hex), then the
 * announced winner uids announced[0..n_announced) against the draw of uids[0..n)
 * (sorted and distinct, as proto_draw_prepare leaves them) for bag and n_winners.
 * Returns 0 with *verdict set, or a negative errno as proto_draw_winners. */
int proto_draw_verify(const uint8_t seed[PROTO_DRAW_SEED_BYTES], const char *commit,
                      size_t commit_len, const char *bag, const char *const *uids, size_t n,
                      size_t n_winners, const char *const *announced, size_t n_announced,
                      enum proto_draw_verdict *verdict);

#endif
