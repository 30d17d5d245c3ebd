/* agent/vm_mem: the allocator of a worker's Lua state, with a memory account
 * per call. LuaJIT has no per-coroutine accounting, so every block carries a
 * small header naming the account that allocated it; a free credits that
 * account, whoever frees it. While agent code runs (vm.c makes a call's
 * account current around each resume), growth past the account's hard limit
 * or the worker's cap fails: LuaJIT raises "not enough memory" in that
 * coroutine alone. Allocations with no account current (trusted C and Lua
 * outside agent code) are never refused, so an unprotected API call cannot
 * panic the state. */
#ifndef HK_VM_MEM_H
#define HK_VM_MEM_H

#include <lua.h>
#include <stddef.h>

typedef struct hk_vm_mem hk_vm_mem;

/* worker_cap: bytes all agent code of the state may hold together. */
hk_vm_mem *hk_vm_mem_new(size_t worker_cap);
void hk_vm_mem_free(hk_vm_mem *m);
/* The lua_Alloc to give lua_newstate, with m as its ud. */
void *hk_vm_mem_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* A new account with budget bytes (growth fails at twice that, the CPU hook
 * checks the budget itself); 0 when every slot is taken (then only the
 * worker cap applies). */
unsigned hk_vm_mem_open(hk_vm_mem *m, size_t budget);
/* Forget the account: blocks it allocated still live are then the worker's. */
void hk_vm_mem_close(hk_vm_mem *m, unsigned id);
/* Make id the account charged; returns the previous one for restoring. */
unsigned hk_vm_mem_enter(hk_vm_mem *m, unsigned id);
unsigned hk_vm_mem_current(const hk_vm_mem *m);
/* Bytes the account holds (live or not yet collected); 0 for unknown ids. */
size_t hk_vm_mem_used(const hk_vm_mem *m, unsigned id);
size_t hk_vm_mem_budget(const hk_vm_mem *m, unsigned id);
size_t hk_vm_mem_total(const hk_vm_mem *m);
void hk_vm_mem_set_worker_cap(hk_vm_mem *m, size_t cap);

#endif
