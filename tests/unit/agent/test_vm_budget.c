/* tests/unit/agent/test_vm_budget: the pieces under the Lua budgets.
 * vm_pattern.c's string.find/match/gmatch/gsub give the same results as
 * LuaJIT's own on random patterns and subjects (and the same errors), and stop
 * a backtracking pattern at the CPU slice; vm_mem.c charges, credits and
 * refuses allocations by account; the slice counts CPU time, not the wall clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <lauxlib.h>
#include <lualib.h>

#include "agent/vm.h"
#include "agent/vm_mem.h"

/* A random differential run: `orig` holds LuaJIT's functions, string.* ours. */
static const char *differential =
    "local mine = { find = string.find, match = string.match, gmatch = string.gmatch,\n"
    "               gsub = string.gsub }\n"
    "math.randomseed(7)\n"
    "local items = { 'a', 'b', ' ', '1', '.', '%a', '%d', '%s', '%w', '[ab]', '[^a]', '*', '+',\n"
    "  '-', '?', '(', ')', '^', '$', '%b()', '%f[%a]', '%1', '[a-c]', '%%', '()', '%z', '%A' }\n"
    "local chars = { 'a', 'b', 'c', ' ', '1', '(', ')', '.', '%', 'x', '\\0' }\n"
    "local reps = { '<%0>', '%1', '%%', 'x', 7, { a = 'A', b = false },\n"
    "  function(x) if x == 'a' then return nil end return 'F' .. tostring(x) end }\n"
    "local function run(f, ...)\n"
    "  local r = { pcall(f, ...) }\n"
    "  if not r[1] then return 'error' end\n"
    "  for i = 2, #r do r[i] = tostring(r[i]) end\n"
    "  return table.concat(r, '|', 2)\n"
    "end\n"
    "local function all(g, s, p)\n"
    "  local ok, it = pcall(g, s, p)\n"
    "  if not ok then return 'error' end\n"
    "  local out = {}\n"
    "  local ok2 = pcall(function() for a, b in it do out[#out + 1] = tostring(a) .. ',' .. tostring(b) end end)\n"
    "  return ok2 and table.concat(out, ';') or 'error'\n"
    "end\n"
    "local bad, first = 0, nil\n"
    "for _ = 1, 20000 do\n"
    "  local p, s = {}, {}\n"
    "  for i = 1, math.random(1, 6) do p[i] = items[math.random(#items)] end\n"
    "  for i = 1, math.random(0, 12) do s[i] = chars[math.random(#chars)] end\n"
    "  p, s = table.concat(p), table.concat(s)\n"
    "  local init, r = math.random(-3, 14), reps[math.random(#reps)]\n"
    "  local n = math.random(0, 1) == 1 and math.random(0, 3) or nil\n"
    "  local cases = {\n"
    "    { run(orig.find, s, p, init), run(mine.find, s, p, init) },\n"
    "    { run(orig.find, s, p, init, true), run(mine.find, s, p, init, true) },\n"
    "    { run(orig.match, s, p, init), run(mine.match, s, p, init) },\n"
    "    { run(orig.gsub, s, p, r, n), run(mine.gsub, s, p, r, n) },\n"
    "    { all(orig.gmatch, s, p), all(mine.gmatch, s, p) },\n"
    "  }\n"
    "  for _, c in ipairs(cases) do\n"
    "    if c[1] ~= c[2] then\n"
    "      bad = bad + 1\n"
    "      first = first or string.format('%q on %q: %s vs %s', p, s, c[1], c[2])\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return bad, first\n";

static void test_patterns_match_luajit(void **state) {
    (void)state;
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    assert_int_equal(luaL_dostring(L, "orig = {} for _, k in ipairs({'find', 'match', 'gmatch', "
                                      "'gsub'}) do orig[k] = string[k] end"), 0);
    hk_vm_patterns_install(L);
    lua_getglobal(L, "string");
    lua_getfield(L, -1, "find");
    lua_getglobal(L, "orig");
    lua_getfield(L, -1, "find");
    assert_false(lua_rawequal(L, -1, -3)); /* ours are installed */
    lua_settop(L, 0);
    int rc = luaL_dostring(L, differential);
    if (rc) fail_msg("%s", lua_tostring(L, -1));
    if (lua_tointeger(L, 1) != 0) fail_msg("%d mismatches, first: %s", (int)lua_tointeger(L, 1),
                                            lua_tostring(L, 2));
    lua_close(L);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_backtracking_stops_at_the_slice(void **state) {
    (void)state;
    char err[512];
    hk_vm *vm = hk_vm_new(NULL, err, sizeof err);
    assert_non_null(vm);
    const char *src = "return string.find(string.rep('a', 5000), 'a*a*a*a*a*a*b')";
    assert_int_equal(luaL_loadstring(vm->L, src), 0);
    double t0 = now_s();
    assert_int_not_equal(hk_vm_pcall(vm, 0, 1, err, sizeof err), 0);
    double took = now_s() - t0;
    assert_non_null(strstr(err, "CPU budget exceeded: a string pattern ran longer than 10 ms"));
    assert_true(took < 0.5);
    /* outside a budget (trusted code) an ordinary pattern is untouched */
    assert_int_equal(luaL_dostring(vm->L, "return ('key=value'):match('(%w+)=(%w+)')"), 0);
    assert_string_equal(lua_tostring(vm->L, -2), "key");
    hk_vm_free(vm);
}

/* a C function that is off the CPU (as a preempted worker is) */
static int lua_off_cpu(lua_State *L) {
    struct timespec ts = {0, (long)(luaL_checknumber(L, 1) * 1e6)};
    nanosleep(&ts, NULL);
    return 0;
}

/* The slice is CPU time: Lua preempted (here: asleep) for longer than a slice
 * and then running briefly is not stopped, and a loop that does burn the CPU
 * still is. (A wall-clock slice refused valid assistants on a loaded machine.) */
static void test_slice_is_cpu_time(void **state) {
    (void)state;
    char err[512];
    hk_vm *vm = hk_vm_new(NULL, err, sizeof err);
    assert_non_null(vm);
    lua_register(vm->L, "off_cpu", lua_off_cpu);
    const char *src = "off_cpu(40) local n = 0 for i = 1, 20000 do n = n + i end return n";
    assert_int_equal(luaL_loadstring(vm->L, src), 0);
    if (hk_vm_pcall(vm, 0, 1, err, sizeof err) != 0) fail_msg("stopped although it used no CPU: %s", err);
    assert_int_equal((long)lua_tonumber(vm->L, -1), 200010000L);
    lua_pop(vm->L, 1);
    assert_int_equal(luaL_loadstring(vm->L, "local n = 0 while true do n = n + 1 end"), 0);
    assert_int_not_equal(hk_vm_pcall(vm, 0, 0, err, sizeof err), 0);
    assert_non_null(strstr(err, "CPU budget exceeded"));
    hk_vm_free(vm);
}

static void test_accounts(void **state) {
    (void)state;
    hk_vm_mem *m = hk_vm_mem_new(100000);
    unsigned a = hk_vm_mem_open(m, 1000), b = hk_vm_mem_open(m, 1000);
    assert_true(a && b && a != b);
    /* trusted allocations (no account) are never refused and charge no one */
    void *t = hk_vm_mem_alloc(m, NULL, 0, 50000);
    assert_non_null(t);
    assert_int_equal(hk_vm_mem_used(m, a), 0);

    hk_vm_mem_enter(m, a);
    void *p = hk_vm_mem_alloc(m, NULL, 0, 600);
    assert_non_null(p);
    assert_int_equal(hk_vm_mem_used(m, a), 600);
    p = hk_vm_mem_alloc(m, p, 600, 1900); /* growth within twice the budget */
    assert_non_null(p);
    assert_int_equal(hk_vm_mem_used(m, a), 1900);
    assert_null(hk_vm_mem_alloc(m, NULL, 0, 200)); /* past 2000: refused */
    assert_null(hk_vm_mem_alloc(m, p, 1900, 2100));
    p = hk_vm_mem_alloc(m, p, 1900, 100); /* shrinking never fails */
    assert_non_null(p);
    assert_int_equal(hk_vm_mem_used(m, a), 100);

    /* b frees a's block: a is credited */
    hk_vm_mem_enter(m, b);
    hk_vm_mem_alloc(m, p, 100, 0);
    assert_int_equal(hk_vm_mem_used(m, a), 0);
    assert_int_equal(hk_vm_mem_used(m, b), 0);
    /* the worker cap applies to agent code only */
    hk_vm_mem_close(m, b);
    unsigned c = hk_vm_mem_open(m, 1000000);
    hk_vm_mem_enter(m, c);
    assert_null(hk_vm_mem_alloc(m, NULL, 0, 60000)); /* 50000 + 60000 > 100000 */
    hk_vm_mem_enter(m, 0);
    void *u = hk_vm_mem_alloc(m, NULL, 0, 60000);
    assert_non_null(u);
    /* a closed account's blocks are the worker's; a reused slot is a new id */
    hk_vm_mem_enter(m, c);
    void *q = hk_vm_mem_alloc(m, NULL, 0, 10);
    assert_null(q); /* the worker is over its cap now */
    hk_vm_mem_enter(m, 0);
    hk_vm_mem_alloc(m, u, 60000, 0);
    hk_vm_mem_enter(m, c);
    q = hk_vm_mem_alloc(m, NULL, 0, 10);
    assert_non_null(q);
    hk_vm_mem_close(m, c);
    assert_int_equal(hk_vm_mem_used(m, c), 0);
    unsigned d = hk_vm_mem_open(m, 1000);
    assert_int_not_equal(d, c);
    hk_vm_mem_enter(m, d);
    hk_vm_mem_alloc(m, q, 10, 0); /* c's block freed: d is not credited */
    assert_int_equal(hk_vm_mem_used(m, d), 0);
    hk_vm_mem_enter(m, 0);
    hk_vm_mem_alloc(m, t, 50000, 0);
    assert_int_equal(hk_vm_mem_total(m), 0);
    hk_vm_mem_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patterns_match_luajit),
        cmocka_unit_test(test_backtracking_stops_at_the_slice),
        cmocka_unit_test(test_accounts),
        cmocka_unit_test(test_slice_is_cpu_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
