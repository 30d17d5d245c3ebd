/* media/g711: ITU-T G.711 mu-law and A-law, exactly as G.191's reference
 * ulaw_compress/alaw_compress (see shared/reference/protocols.md section 6).
 * Table-driven after hk_g711_init(); the per-sample functions never allocate. */
#ifndef HK_G711_H
#define HK_G711_H

#include <stddef.h>
#include <stdint.h>

void hk_g711_init(void); /* builds the lookup tables; idempotent, thread-safe after first call */

uint8_t hk_ulaw_encode(int16_t x);
int16_t hk_ulaw_decode(uint8_t code);
uint8_t hk_alaw_encode(int16_t x);
int16_t hk_alaw_decode(uint8_t code);

void hk_ulaw_encode_buf(const int16_t *in, uint8_t *out, size_t n);
void hk_ulaw_decode_buf(const uint8_t *in, int16_t *out, size_t n);

#define HK_ULAW_SILENCE 0xFF

#endif
