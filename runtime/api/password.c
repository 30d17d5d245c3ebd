/* api/password: Argon2id password hashing on the pool. See password.h. */
#include "api/password.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"

_Static_assert(crypto_pwhash_STRBYTES <= HK_PASSWORD_HASH_MAX, "hash buffer");

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int sodium_ok;
static char dummy_hash[crypto_pwhash_STRBYTES];

/* libsodium, and the hash an unknown email is checked against (made once,
 * on the first thread that needs it). */
static void init(void) {
    sodium_ok = sodium_init() >= 0;
    if (sodium_ok && crypto_pwhash_str(dummy_hash, "hark-no-such-user", 17,
                                       crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                       crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        sodium_ok = 0;
}

int hk_password_hash(const char *password, char out[HK_PASSWORD_HASH_MAX]) {
    pthread_once(&init_once, init);
    if (!sodium_ok) return -1;
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0 ? 0 : -1;
}

typedef struct verify_job {
    hk_job job; /* first: the pool hands this back */
    char hash[HK_PASSWORD_HASH_MAX];
    int have_hash;
    char *password;
    size_t len;
    int ok;
    hk_password_cb cb;
    void *ud;
} verify_job;

static void verify_work(hk_job *j) {
    verify_job *v = (verify_job *)j;
    pthread_once(&init_once, init);
    if (!sodium_ok) return;
    const char *h = v->have_hash ? v->hash : dummy_hash;
    int ok = crypto_pwhash_str_verify(h, v->password, v->len) == 0;
    v->ok = ok && v->have_hash;
}

static void verify_done(hk_job *j) {
    verify_job *v = (verify_job *)j;
    sodium_memzero(v->password, v->len);
    free(v->password);
    v->cb(v->ud, v->ok);
    free(v);
}

void hk_password_verify(hk_pool *pool, const char *hash, const char *password, hk_password_cb cb,
                        void *ud) {
    verify_job *v = calloc(1, sizeof *v);
    if (!v || !(v->password = strdup(password))) {
        free(v);
        cb(ud, 0);
        return;
    }
    v->len = strlen(password);
    if (hash && strlen(hash) < sizeof v->hash) {
        memcpy(v->hash, hash, strlen(hash) + 1);
        v->have_hash = 1;
    }
    v->cb = cb;
    v->ud = ud;
    v->job.work = verify_work;
    v->job.done = verify_done;
    hk_pool_submit(pool, &v->job);
}
