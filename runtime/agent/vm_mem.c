/* agent/vm_mem: the Lua allocator with per-call accounts. See vm_mem.h.
 * Runs inside LuaJIT's allocation path: never calls Lua, never logs. */
#include "agent/vm_mem.h"

#include <stdint.h>
#include <stdlib.h>

#define HK_MEM_SLOTS 4096 /* accounts open at once; slot 0 means "none" */
#define HK_MEM_SLOT_BITS 12
#define HK_MEM_HDR 16     /* keeps the 16-byte alignment malloc gives */

typedef struct {
    unsigned id;  /* 0: free */
    size_t bytes;
    size_t budget;
} mem_account;

struct hk_vm_mem {
    size_t total;      /* every byte the state holds */
    size_t worker_cap; /* agent code may not grow the state past this */
    unsigned current;  /* account charged now (0: trusted code) */
    unsigned gen;
    unsigned cursor;
    mem_account acct[HK_MEM_SLOTS];
};

hk_vm_mem *hk_vm_mem_new(size_t worker_cap) {
    hk_vm_mem *m = calloc(1, sizeof *m);
    if (m) m->worker_cap = worker_cap;
    return m;
}

void hk_vm_mem_free(hk_vm_mem *m) { free(m); }

void hk_vm_mem_set_worker_cap(hk_vm_mem *m, size_t cap) { m->worker_cap = cap; }

static mem_account *find(const hk_vm_mem *m, unsigned id) {
    if (id == 0) return NULL;
    const mem_account *a = &m->acct[id & (HK_MEM_SLOTS - 1)];
    return a->id == id ? (mem_account *)a : NULL;
}

unsigned hk_vm_mem_open(hk_vm_mem *m, size_t budget) {
    for (unsigned n = 0; n < HK_MEM_SLOTS; n++) {
        unsigned slot = (m->cursor + n) % HK_MEM_SLOTS;
        if (slot == 0 || m->acct[slot].id != 0) continue;
        m->cursor = slot + 1;
        if (++m->gen >= (1u << (32 - HK_MEM_SLOT_BITS))) m->gen = 1;
        mem_account *a = &m->acct[slot];
        a->id = (m->gen << HK_MEM_SLOT_BITS) | slot;
        a->bytes = 0;
        a->budget = budget;
        return a->id;
    }
    return 0;
}

void hk_vm_mem_close(hk_vm_mem *m, unsigned id) {
    mem_account *a = find(m, id);
    if (a) a->id = 0;
    if (m->current == id) m->current = 0;
}

unsigned hk_vm_mem_enter(hk_vm_mem *m, unsigned id) {
    unsigned prev = m->current;
    m->current = id;
    return prev;
}

unsigned hk_vm_mem_current(const hk_vm_mem *m) { return m->current; }

size_t hk_vm_mem_used(const hk_vm_mem *m, unsigned id) {
    const mem_account *a = find(m, id);
    return a ? a->bytes : 0;
}

size_t hk_vm_mem_budget(const hk_vm_mem *m, unsigned id) {
    const mem_account *a = find(m, id);
    return a ? a->budget : 0;
}

size_t hk_vm_mem_total(const hk_vm_mem *m) { return m->total; }

void *hk_vm_mem_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    hk_vm_mem *m = ud;
    char *hdr = ptr ? (char *)ptr - HK_MEM_HDR : NULL;
    size_t old = ptr ? osize : 0;
    unsigned owner = hdr ? *(uint32_t *)hdr : 0;
    if (nsize == 0) {
        if (hdr) {
            mem_account *a = find(m, owner);
            if (a) a->bytes -= old < a->bytes ? old : a->bytes;
            m->total -= old;
            free(hdr);
        }
        return NULL;
    }
    /* Only growth by agent code is refused: LuaJIT must always be able to
     * shrink, and trusted code runs where a failure would be a panic. */
    mem_account *cur = find(m, m->current);
    if (m->current != 0 && nsize > old) {
        if (m->total - old + nsize > m->worker_cap) return NULL;
        if (cur) {
            size_t mine = owner == m->current ? old : 0;
            if (cur->bytes - mine + nsize > 2 * cur->budget) return NULL;
        }
    }
    char *q = realloc(hdr, nsize + HK_MEM_HDR);
    if (!q) return NULL;
    m->total = m->total - old + nsize;
    mem_account *a = find(m, owner);
    if (nsize <= old) { /* a shrink (the GC's too) stays with the block's owner */
        if (a) a->bytes -= old - nsize < a->bytes ? old - nsize : a->bytes;
        return q + HK_MEM_HDR;
    }
    /* growth: the block now belongs to whoever grew it */
    if (a) a->bytes -= old < a->bytes ? old : a->bytes;
    if (cur) cur->bytes += nsize;
    *(uint32_t *)q = cur ? m->current : 0;
    return q + HK_MEM_HDR;
}
