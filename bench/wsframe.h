/* wsframe.h: WebSocket (RFC 6455) frame codec for the bench client: pure, no I/O, no allocation.
 *
 * The parser reads server frames (unmasked) out of a byte stream and tells the caller how many
 * bytes one complete frame takes, so the caller can keep the incomplete tail for the next read.
 * The encoder writes client frames, which RFC 6455 requires to be masked. */
#ifndef BENCH_WSFRAME_H
#define BENCH_WSFRAME_H

#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

/* One parsed frame. `payload` is borrowed: it points into the buffer given to ws_frame_parse
 * and is valid as long as that buffer is. */
struct ws_frame {
    int fin;
    int opcode;
    const uint8_t *payload;
    size_t len;
};

/* The largest frame header a client frame can need: 2 + 8 (length) + 4 (mask). */
#define WS_CLIENT_HDR_MAX 14

/* Parses the frame at buf[0..len). Returns the frame's total size in bytes (header plus
 * payload) when it is complete, 0 when more bytes are needed, or -1 on a protocol error with
 * *why set to a short reason. Frames larger than `max_frame` are an error. */
long ws_frame_parse(const uint8_t *buf, size_t len, size_t max_frame, struct ws_frame *f,
                    const char **why);

/* Writes a masked client frame (FIN set) carrying payload[0..len) into out[0..cap), masked with
 * `mask`. Returns the bytes written, or 0 when cap is too small (cap >= len +
 * WS_CLIENT_HDR_MAX always suffices). */
size_t ws_frame_encode(uint8_t *out, size_t cap, int opcode, const void *payload, size_t len,
                       uint32_t mask);

#endif
