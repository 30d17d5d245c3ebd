/* core/json_arena: see json_arena.h. Owns the per-thread arena and cJSON's
 * allocation hooks. */
#include "core/json_arena.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>

#define ARENA_BYTES 16384

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_OFF 1
#endif
#endif

typedef struct {
    _Alignas(16) unsigned char mem[ARENA_BYTES];
    size_t used;
    int active;
} arena;

static _Thread_local arena *tl_arena;

#ifndef ARENA_OFF
static void *arena_malloc(size_t n) {
    arena *a = tl_arena;
    if (a && a->active) {
        size_t need = (n + 15) & ~(size_t)15;
        if (need >= n && need <= ARENA_BYTES - a->used) {
            void *p = a->mem + a->used;
            a->used += need;
            return p;
        }
    }
    return malloc(n);
}

static void arena_free(void *p) {
    arena *a = tl_arena;
    /* only this thread's arena can hold it: blocks never leave their scope */
    if (a && (uintptr_t)p >= (uintptr_t)a->mem && (uintptr_t)p < (uintptr_t)(a->mem + ARENA_BYTES)) return;
    free(p);
}
#endif

void hk_json_arena_install(void) {
#ifndef ARENA_OFF
    cJSON_Hooks h = {arena_malloc, arena_free};
    cJSON_InitHooks(&h);
#endif
}

void hk_json_arena_begin(void) {
#ifndef ARENA_OFF
    if (!tl_arena) {
        /* one per thread that parses on a hot path, for the thread's life */
        tl_arena = malloc(sizeof *tl_arena);
        if (!tl_arena) return;
        tl_arena->active = 0;
    }
    tl_arena->used = 0;
    tl_arena->active = 1;
#endif
}

void hk_json_arena_end(void) {
    if (tl_arena) {
        tl_arena->active = 0;
        tl_arena->used = 0;
    }
}

size_t hk_json_arena_used(void) { return tl_arena && tl_arena->active ? tl_arena->used : 0; }
