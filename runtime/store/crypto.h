/* store/crypto: encryption at rest for call records. Values are sealed in the
 * application with AES-256-GCM before they leave the process, so the database,
 * its backups and the spool hold only ciphertext. A sealed value is
 *   nonce (12 bytes, random) | ciphertext | tag (16 bytes)
 * and the row keeps the key id beside it. The additional data binds a value to
 * its tenant, column and row ("tenant|calls.transcript|CA123"): ciphertext
 * copied to another row or read on behalf of another tenant fails to open.
 * Keys come from HARK_DATA_KEY: one key (64 hex digits or base64 of 32 bytes,
 * id 1) or a comma list "id:key,id:key"; the highest id seals, every listed id
 * opens (so keys rotate: add the new one with a higher id, run `hark rekey`,
 * then drop the old one). */
#ifndef HK_STORE_CRYPTO_H
#define HK_STORE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

struct hk_config;

#define HK_KEY_MAX 8
#define HK_SEAL_OVERHEAD 28 /* nonce + tag */

typedef struct hk_keyring {
    int n;
    int ids[HK_KEY_MAX];
    uint8_t keys[HK_KEY_MAX][32];
    int newest; /* id that seals; 0 when n == 0 */
} hk_keyring;

/* Parse spec into kr. Returns 0, or -1 with err set. */
int hk_keyring_parse(hk_keyring *kr, const char *spec, char *err, size_t errlen);
/* From the HARK_DATA_KEY setting of cfg (environment or .env). No key:
 * refuses (-1) when HARK_ENV=production, else logs a loud warning and returns
 * 0 with an empty ring (values stored plain, key id 0). */
int hk_keyring_from_env(const struct hk_config *cfg, hk_keyring *kr, char *err, size_t errlen);
void hk_keyring_wipe(hk_keyring *kr);

/* Seal n bytes of plain under key id kid with aad. out must hold
 * n + HK_SEAL_OVERHEAD bytes. Returns sealed length or -1. kid 0 copies plain. */
int hk_seal(const hk_keyring *kr, int kid, const char *aad, const uint8_t *plain, size_t n,
            uint8_t *out);
/* Open a sealed value; out must hold n bytes. Returns plain length, or -1 when
 * the key is unknown or the value was tampered with or belongs elsewhere. */
int hk_open(const hk_keyring *kr, int kid, const char *aad, const uint8_t *sealed, size_t n,
            uint8_t *out);
/* The additional data of a column value: "tenant|column|row". */
void hk_seal_aad(char *out, size_t cap, const char *tenant, const char *column, const char *row);

#endif
