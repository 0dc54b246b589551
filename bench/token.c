/* token.c: token minting with OpenSSL's one-shot HMAC (see token.h). */
#include "token.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

int bench_token_mint(char *out, size_t cap, const char *secret, const char *uid, const char *role,
                     const char *room, int64_t exp)
{
    int n = snprintf(out, cap, "%s.%s.%s.%lld", uid, role, room, (long long)exp);
    if (n < 0 || (size_t)n + 1 + 64 + 1 > cap)
        return -1;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)out, (size_t)n, mac,
              &mlen))
        return -1;
    static const char hex[] = "0123456789abcdef";
    char *p = out + n;
    *p++ = '.';
    for (unsigned int i = 0; i < mlen; i++) {
        *p++ = hex[mac[i] >> 4];
        *p++ = hex[mac[i] & 15];
    }
    *p = '\0';
    return (int)(p - out);
}
