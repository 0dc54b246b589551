/* wsframe.c: WebSocket frame codec for the bench client (see wsframe.h). */
#include "wsframe.h"

#include <string.h>

long ws_frame_parse(const uint8_t *buf, size_t len, size_t max_frame, struct ws_frame *f,
                    const char **why)
{
    if (len < 2)
        return 0;
    uint8_t b0 = buf[0], b1 = buf[1];
    if (b0 & 0x70) {
        *why = "reserved bits set";
        return -1;
    }
    if (b1 & 0x80) {
        *why = "server frame is masked";
        return -1;
    }
    size_t hdr = 2;
    uint64_t plen = b1 & 0x7f;
    if (plen == 126) {
        if (len < 4)
            return 0;
        plen = ((uint64_t)buf[2] << 8) | buf[3];
        hdr = 4;
    } else if (plen == 127) {
        if (len < 10)
            return 0;
        plen = 0;
        for (int i = 0; i < 8; i++)
            plen = (plen << 8) | buf[2 + i];
        hdr = 10;
    }
    int opcode = b0 & 0x0f;
    if (opcode >= 0x8 && (plen > 125 || !(b0 & 0x80))) {
        *why = "bad control frame";
        return -1;
    }
    if (plen > max_frame) {
        *why = "frame too large";
        return -1;
    }
    if (len - hdr < plen)
        return 0;
    f->fin = (b0 & 0x80) != 0;
    f->opcode = opcode;
    f->payload = buf + hdr;
    f->len = (size_t)plen;
    return (long)(hdr + plen);
}

size_t ws_frame_encode(uint8_t *out, size_t cap, int opcode, const void *payload, size_t len,
                       uint32_t mask)
{
    size_t hdr = len < 126 ? 6 : len <= 0xffff ? 8 : 14;
    if (cap < hdr + len)
        return 0;
    out[0] = (uint8_t)(0x80 | (opcode & 0x0f));
    size_t p;
    if (len < 126) {
        out[1] = (uint8_t)(0x80 | len);
        p = 2;
    } else if (len <= 0xffff) {
        out[1] = 0x80 | 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        p = 4;
    } else {
        out[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        p = 10;
    }
    uint8_t m[4] = {(uint8_t)(mask >> 24), (uint8_t)(mask >> 16), (uint8_t)(mask >> 8),
                    (uint8_t)mask};
    memcpy(out + p, m, 4);
    p += 4;
    const uint8_t *in = payload;
    for (size_t i = 0; i < len; i++)
        out[p + i] = in[i] ^ m[i & 3];
    return p + len;
}
