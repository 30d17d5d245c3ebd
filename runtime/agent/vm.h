/* agent/vm: the LuaJIT state of one worker. Owns the trusted state, the
 * sandbox builder (lua/hark/sandbox.lua), the CPU budget (a count hook that
 * stops agent code running longer than one slice per resume) and coroutine
 * resumption with tracebacks. The JIT is off in this state: LuaJIT runs no
 * hooks inside compiled traces, so a budget needs the interpreter (see
 * build-notes.md); turn logic is fast enough without it. */
#ifndef HK_VM_H
#define HK_VM_H

#include <lua.h>
#include <stddef.h>

typedef struct hk_vm {
    lua_State *L;
    int sandbox_ref;  /* the lua/hark/sandbox.lua module table */
    double slice_s;   /* CPU budget per resume, seconds */
    char lua_dir[512];
    /* hark.dial(...) places an outbound call through the worker's carrier;
     * set by hark serve, NULL elsewhere (then hark.dial errors clearly). */
    int (*dial)(void *ud, const char *agent, const char *to, const char *from, char *err,
                size_t errlen);
    void *dial_ud;
} hk_vm;

/* lua_dir: where lua/hark/ lives (the HARK_LUA_DIR setting; NULL: the source tree). */
hk_vm *hk_vm_new(const char *lua_dir, char *err, size_t errlen);
void hk_vm_free(hk_vm *vm);
void hk_vm_set_slice_ms(hk_vm *vm, int ms);

/* Resume co with nargs arguments under the CPU budget. Returns LUA_YIELD, 0
 * (finished; results on co's stack) or an error status with the message and
 * traceback in tb (tb may be NULL). */
int hk_vm_resume(hk_vm *vm, lua_State *co, int nargs, char *tb, size_t tblen);
/* pcall under the CPU budget on vm->L: function and args on the stack. */
int hk_vm_pcall(hk_vm *vm, int nargs, int nresults, char *err, size_t errlen);
/* Push a fresh sandbox environment for agent_path. */
int hk_vm_new_env(hk_vm *vm, const char *agent_path, char *err, size_t errlen);

#endif
