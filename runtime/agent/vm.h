/* agent/vm: the LuaJIT state of one worker. Owns the trusted state, the
 * sandbox builder (lua/hark/sandbox.lua), the CPU budget (a count hook that
 * stops agent code running longer than one slice per resume; string patterns
 * check it too, vm_pattern.c), the memory budget per call (the state's
 * allocator keeps an account per call, vm_mem.c) and coroutine resumption
 * with tracebacks. The JIT is off in this state: LuaJIT runs no
 * hooks inside compiled traces, so a budget needs the interpreter (see
 * build-notes.md); turn logic is fast enough without it. */
#ifndef HK_VM_H
#define HK_VM_H

#include <lua.h>
#include <stddef.h>

/* Defaults; hark serve sets HARK_CALL_MEMORY_MB through hk_vm_set_memory. */
#define HK_VM_CALL_MEMORY_MB 16
#define HK_VM_WORKER_MEMORY_MB 1024

struct hk_vm_mem;

typedef struct hk_vm {
    lua_State *L;
    struct hk_vm_mem *mem; /* the state's allocator and per-call accounts (vm_mem.c) */
    size_t call_budget;    /* bytes one call's agent code may hold */
    int sandbox_ref;  /* the lua/hark/sandbox.lua module table */
    double slice_s;   /* CPU budget per resume, seconds */
    char lua_dir[512];
    /* hark.dial(...) places an outbound call through the worker's carrier;
     * set by hark serve, NULL elsewhere (then hark.dial errors clearly). */
    int (*dial)(void *ud, const char *agent, const char *to, const char *from, char *err,
                size_t errlen);
    void *dial_ud;
    /* where an API assistant's metadata.hark.script is read (the agents
     * directory: set by hk_agent_dir_open, and by hark call); "" refuses
     * such assistants */
    char agents_dir[512];
} hk_vm;

/* lua_dir: where lua/hark/ lives (the HARK_LUA_DIR setting; NULL: the source tree). */
hk_vm *hk_vm_new(const char *lua_dir, char *err, size_t errlen);
void hk_vm_free(hk_vm *vm);
void hk_vm_set_slice_ms(hk_vm *vm, int ms);
/* Per-call memory budget and the cap of all agent code in the worker, bytes
 * (0 keeps the current value). */
void hk_vm_set_memory(hk_vm *vm, size_t call_bytes, size_t worker_bytes);

/* A call's memory account: what its hooks allocate is charged to it. Past
 * the budget (checked by the CPU hook and after each resume, after one full
 * collection) the hook errors; an allocation past twice the budget fails at
 * once. 0 is "no account" (only the worker cap applies). */
unsigned hk_vm_account_open(hk_vm *vm);
void hk_vm_account_close(hk_vm *vm, unsigned acct);
size_t hk_vm_account_used(hk_vm *vm, unsigned acct);
/* The account holds more than its budget after a full collection. */
int hk_vm_account_over(hk_vm *vm, unsigned acct);

/* Resume co with nargs arguments under the CPU budget, charging its
 * allocations to acct. Returns LUA_YIELD, 0 (finished; results on co's
 * stack) or an error status with the message and traceback in tb (tb may be
 * NULL). LUA_ERRMEM after a yield or return that left the account over its
 * budget (co may still be suspended: the caller drops it). */
int hk_vm_resume(hk_vm *vm, unsigned acct, lua_State *co, int nargs, char *tb, size_t tblen);
/* pcall under the CPU budget on vm->L: function and args on the stack. */
int hk_vm_pcall(hk_vm *vm, int nargs, int nresults, char *err, size_t errlen);
/* Push a fresh sandbox environment for agent_path. */
int hk_vm_new_env(hk_vm *vm, const char *agent_path, char *err, size_t errlen);

/* lua_getfield without metamethods, for reading agent tables from C: an
 * __index on an agent's table would run outside any budget or pcall. Pushes
 * nil when the value at idx is not a table. */
void hk_vm_rawgetfield(lua_State *L, int idx, const char *k);

/* The count hook (exposed so vm_pattern.c can re-arm it). */
void hk_vm_budget_hook(lua_State *L, lua_Debug *ar);
/* For C functions that loop on agent input (string patterns): errors once the
 * resume in progress has used its slice; what names the work in the message. */
void hk_vm_budget_check(lua_State *L, const char *what);
/* vm_pattern.c: replaces string.find/match/gmatch/gsub in the state with
 * versions that call hk_vm_budget_check as they backtrack. */
void hk_vm_patterns_install(lua_State *L);

#endif
