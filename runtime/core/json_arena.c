/* core/json_arena: see json_arena.h. Owns the per-thread arena and cJSON's
 * allocation hooks. Under AddressSanitizer the arena stays on and guards
 * itself: what no block holds is poisoned, each block is followed by a
 * poisoned red zone and preceded by a poisoned header with its size (a free
 * poisons the block again), and the end of a scope poisons the whole arena,
 * so overflows, use after free and use after the scope are reported as they
 * are for malloc. */
#include "core/json_arena.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ARENA_BYTES 16384

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif

#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define GUARD 16 /* header before a block (its size) and red zone after it */
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define GUARD 0
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

typedef struct {
    _Alignas(16) unsigned char mem[ARENA_BYTES];
    size_t used;
    int active;
} arena;

static _Thread_local arena *tl_arena;

static void *arena_malloc(size_t n) {
    arena *a = tl_arena;
    if (a && a->active) {
        /* a block: [GUARD header][n rounded up to 16][GUARD red zone] */
        size_t need = ((n + 15) & ~(size_t)15) + 2 * GUARD;
        if (need >= n && need <= ARENA_BYTES - a->used) {
            unsigned char *p = a->mem + a->used + GUARD;
            a->used += need;
#ifdef ARENA_ASAN
            UNPOISON(p - GUARD, sizeof(size_t));
            *(size_t *)(void *)(p - GUARD) = n;
            POISON(p - GUARD, sizeof(size_t));
#endif
            UNPOISON(p, n);
            return p;
        }
    }
    return malloc(n);
}

static void arena_free(void *p) {
    arena *a = tl_arena;
    /* only this thread's arena can hold it: blocks never leave their scope */
    if (a && (uintptr_t)p >= (uintptr_t)a->mem && (uintptr_t)p < (uintptr_t)(a->mem + ARENA_BYTES)) {
#ifdef ARENA_ASAN
        unsigned char *b = p;
        if (__asan_address_is_poisoned(b)) {
            fprintf(stderr, "json_arena: a block freed twice, or after its scope ended\n");
            abort();
        }
        UNPOISON(b - GUARD, sizeof(size_t));
        size_t n = *(size_t *)(void *)(b - GUARD);
        POISON(b - GUARD, GUARD + n); /* a second free or a late read is reported */
#endif
        return;
    }
    free(p);
}

void hk_json_arena_install(void) {
    cJSON_Hooks h = {arena_malloc, arena_free};
    cJSON_InitHooks(&h);
}

/* a thread's arena is freed when the thread exits */
static pthread_key_t g_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

static void arena_release(void *p) {
    UNPOISON(((arena *)p)->mem, ARENA_BYTES);
    free(p);
}

static void key_create(void) { pthread_key_create(&g_key, arena_release); }

void hk_json_arena_begin(void) {
    if (!tl_arena) {
        /* one per thread that parses on a hot path, for the thread's life */
        tl_arena = malloc(sizeof *tl_arena);
        if (!tl_arena) return;
        tl_arena->active = 0;
        pthread_once(&g_key_once, key_create);
        pthread_setspecific(g_key, tl_arena);
    }
    tl_arena->used = 0;
    tl_arena->active = 1;
    POISON(tl_arena->mem, ARENA_BYTES);
}

void hk_json_arena_end(void) {
    if (tl_arena) {
        tl_arena->active = 0;
        tl_arena->used = 0;
        POISON(tl_arena->mem, ARENA_BYTES); /* a tree kept past its scope is reported */
    }
}

size_t hk_json_arena_used(void) { return tl_arena && tl_arena->active ? tl_arena->used : 0; }
