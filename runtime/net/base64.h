/* net/base64: RFC 4648 base64, standard alphabet (Twilio media payloads) and
 * base64url without padding (stream tokens), into caller buffers. This is the
 * audio hot path (50 frames/s per call, 160 bytes -> 216 chars): it never
 * allocates. Decoding is strict: bad characters, whitespace, misplaced or
 * missing padding and non-zero trailing bits are all rejected, so every
 * accepted input is the one canonical encoding of its bytes. */
#ifndef HK_BASE64_H
#define HK_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters hk_base64_encode writes for n bytes, without the NUL. */
size_t hk_base64_encoded_len(size_t n);
/* Upper bound of the bytes hk_base64_decode writes for n characters. */
size_t hk_base64_decoded_max(size_t n);
/* Characters hk_base64url_encode writes for n bytes (no padding), without the NUL. */
size_t hk_base64url_encoded_len(size_t n);

/* Encodes n bytes into out (NUL-terminated). Returns the characters written
 * (without the NUL), or -1 when cap < encoded_len + 1 (out untouched). */
long hk_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* Decodes n characters (padded, length a multiple of 4). Returns bytes written,
 * or -1 on invalid input or when the result does not fit in cap. */
long hk_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* base64url ('-', '_'), never padded; decode rejects '=' and a length of 4k+1. */
long hk_base64url_encode(const uint8_t *in, size_t n, char *out, size_t cap);
long hk_base64url_decode(const char *in, size_t n, uint8_t *out, size_t cap);

#endif
