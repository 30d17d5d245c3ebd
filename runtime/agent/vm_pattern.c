/* agent/vm_pattern: string.find, string.match, string.gmatch and string.gsub
 * with a work counter. LuaJIT's own matcher runs a backtracking pattern as
 * one C call the count hook cannot interrupt (string.find(("a"):rep(5000),
 * "a*a*a*a*a*b") takes minutes), so these replace them in the worker's state
 * (the shared string metatable included): same Lua 5.1 pattern semantics,
 * and every few thousand matching steps the CPU budget of the resume in
 * progress is checked (hk_vm_budget_check), so a pattern stops at the slice
 * like any other agent code. Trusted code outside a budget is unaffected.
 *
 * The matcher is Lua 5.1's lstrlib.c (Copyright (C) 1994-2012 Lua.org,
 * PUC-Rio, MIT licence) with the step counter added and LuaJIT's ASCII-only
 * character classes. */
#include <lauxlib.h>
#include <string.h>

#include "agent/vm.h"

#define L_ESC '%'
#define SPECIALS "^$*+?.([%-"
#define MAXCAPTURES 32
#define MAXDEPTH 200 /* recursion of the matcher, as Lua's MAXCCALLS */
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define STEPS_PER_CHECK 4096

typedef struct match_state {
    const char *src_init, *src_end;
    lua_State *L;
    int level, depth;
    unsigned steps;
    struct {
        const char *init;
        ptrdiff_t len;
    } capture[MAXCAPTURES];
} match_state;

static void count_step(match_state *ms) {
    if (++ms->steps % STEPS_PER_CHECK == 0) hk_vm_budget_check(ms->L, "a string pattern");
}

static ptrdiff_t posrelat(ptrdiff_t pos, size_t len) {
    return pos >= 0 ? pos : (0 == -pos) ? 0 : (ptrdiff_t)len + pos + 1;
}

static int check_capture(match_state *ms, int l) {
    l -= '1';
    if (l < 0 || l >= ms->level || ms->capture[l].len == CAP_UNFINISHED)
        return luaL_error(ms->L, "invalid capture index");
    return l;
}

static int capture_to_close(match_state *ms) {
    int level = ms->level;
    for (level--; level >= 0; level--)
        if (ms->capture[level].len == CAP_UNFINISHED) return level;
    return luaL_error(ms->L, "invalid pattern capture");
}

static const char *classend(match_state *ms, const char *p) {
    switch (*p++) {
    case L_ESC:
        if (*p == '\0') luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    case '[':
        if (*p == '^') p++;
        do { /* look for a ']' */
            if (*p == '\0') luaL_error(ms->L, "malformed pattern (missing ']')");
            if (*(p++) == L_ESC && *p != '\0') p++; /* skip escapes (e.g. '%]') */
        } while (*p != ']');
        return p + 1;
    default:
        return p;
    }
}

/* ASCII classes, as LuaJIT's (locale-independent) */
static int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alpha(int c) { return is_lower(c) || is_upper(c); }
static int is_space(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static int is_cntrl(int c) { return c < 32 || c == 127; }
static int is_punct(int c) { return c > 32 && c < 127 && !is_alpha(c) && !is_digit(c); }
static int is_xdigit(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int to_lower(int c) { return is_upper(c) ? c + 32 : c; }

static int match_class(int c, int cl) {
    int res;
    switch (to_lower(cl)) {
    case 'a': res = is_alpha(c); break;
    case 'c': res = is_cntrl(c); break;
    case 'd': res = is_digit(c); break;
    case 'l': res = is_lower(c); break;
    case 'p': res = is_punct(c); break;
    case 's': res = is_space(c); break;
    case 'u': res = is_upper(c); break;
    case 'w': res = is_alpha(c) || is_digit(c); break;
    case 'x': res = is_xdigit(c); break;
    case 'z': res = (c == 0); break;
    default: return (cl == c);
    }
    if (is_upper(cl)) res = !res;
    return res;
}

static int matchbracketclass(int c, const char *p, const char *ec) {
    int sig = 1;
    if (*(p + 1) == '^') {
        sig = 0;
        p++; /* skip the '^' */
    }
    while (++p < ec) {
        if (*p == L_ESC) {
            p++;
            if (match_class(c, (unsigned char)*p)) return sig;
        } else if (*(p + 1) == '-' && (p + 2 < ec)) {
            p += 2;
            if ((unsigned char)*(p - 2) <= c && c <= (unsigned char)*p) return sig;
        } else if ((unsigned char)*p == c) {
            return sig;
        }
    }
    return !sig;
}

static int singlematch(int c, const char *p, const char *ep) {
    switch (*p) {
    case '.': return 1;
    case L_ESC: return match_class(c, (unsigned char)*(p + 1));
    case '[': return matchbracketclass(c, p, ep - 1);
    default: return ((unsigned char)*p == c);
    }
}

static const char *match(match_state *ms, const char *s, const char *p);

static const char *matchbalance(match_state *ms, const char *s, const char *p) {
    if (*p == 0 || *(p + 1) == 0) luaL_error(ms->L, "unbalanced pattern");
    if (*s != *p) return NULL;
    int b = *p, e = *(p + 1), cont = 1;
    while (++s < ms->src_end) {
        count_step(ms);
        if (*s == e) {
            if (--cont == 0) return s + 1;
        } else if (*s == b) {
            cont++;
        }
    }
    return NULL; /* string ends out of balance */
}

static const char *max_expand(match_state *ms, const char *s, const char *p, const char *ep) {
    ptrdiff_t i = 0; /* counts maximum expand for item */
    while ((s + i) < ms->src_end && singlematch((unsigned char)*(s + i), p, ep)) {
        count_step(ms);
        i++;
    }
    /* keeps trying to match with the maximum repetitions */
    while (i >= 0) {
        count_step(ms);
        const char *res = match(ms, (s + i), ep + 1);
        if (res) return res;
        i--; /* else didn't match; reduce 1 repetition to try again */
    }
    return NULL;
}

static const char *min_expand(match_state *ms, const char *s, const char *p, const char *ep) {
    for (;;) {
        count_step(ms);
        const char *res = match(ms, s, ep + 1);
        if (res != NULL) return res;
        if (s < ms->src_end && singlematch((unsigned char)*s, p, ep)) s++;
        else return NULL;
    }
}

static const char *start_capture(match_state *ms, const char *s, const char *p, int what) {
    int level = ms->level;
    if (level >= MAXCAPTURES) luaL_error(ms->L, "too many captures");
    ms->capture[level].init = s;
    ms->capture[level].len = what;
    ms->level = level + 1;
    const char *res = match(ms, s, p);
    if (res == NULL) ms->level--; /* undo capture */
    return res;
}

static const char *end_capture(match_state *ms, const char *s, const char *p) {
    int l = capture_to_close(ms);
    ms->capture[l].len = s - ms->capture[l].init; /* close capture */
    const char *res = match(ms, s, p);
    if (res == NULL) ms->capture[l].len = CAP_UNFINISHED; /* undo capture */
    return res;
}

static const char *match_capture(match_state *ms, const char *s, int l) {
    l = check_capture(ms, l);
    size_t len = (size_t)ms->capture[l].len;
    if ((size_t)(ms->src_end - s) >= len && memcmp(ms->capture[l].init, s, len) == 0)
        return s + len;
    return NULL;
}

static const char *match_default(match_state *ms, const char *s, const char *p) {
    const char *ep = classend(ms, p); /* points to what is next */
    int m = s < ms->src_end && singlematch((unsigned char)*s, p, ep);
    switch (*ep) {
    case '?': {
        const char *res;
        if (m && ((res = match(ms, s + 1, ep + 1)) != NULL)) return res;
        return match(ms, s, ep + 1);
    }
    case '*': return max_expand(ms, s, p, ep);
    case '+': return (m ? max_expand(ms, s + 1, p, ep) : NULL);
    case '-': return min_expand(ms, s, p, ep);
    default:
        if (!m) return NULL;
        return match(ms, s + 1, ep);
    }
}

static const char *match_escape(match_state *ms, const char *s, const char *p) {
    switch (*(p + 1)) {
    case 'b': /* balanced string? */
        s = matchbalance(ms, s, p + 2);
        if (s == NULL) return NULL;
        return match(ms, s, p + 4);
    case 'f': { /* frontier? */
        p += 2;
        if (*p != '[') luaL_error(ms->L, "missing '[' after '%%f' in pattern");
        const char *ep = classend(ms, p); /* points to what is next */
        char previous = (s == ms->src_init) ? '\0' : *(s - 1);
        if (matchbracketclass((unsigned char)previous, p, ep - 1) ||
            !matchbracketclass((unsigned char)*s, p, ep - 1))
            return NULL;
        return match(ms, s, ep);
    }
    default:
        if (is_digit((unsigned char)*(p + 1))) { /* capture results (%0-%9)? */
            s = match_capture(ms, s, (unsigned char)*(p + 1));
            if (s == NULL) return NULL;
            return match(ms, s, p + 2);
        }
        return match_default(ms, s, p);
    }
}

static const char *match_one(match_state *ms, const char *s, const char *p) {
    switch (*p) {
    case '(':
        if (*(p + 1) == ')') return start_capture(ms, s, p + 2, CAP_POSITION);
        return start_capture(ms, s, p + 1, CAP_UNFINISHED);
    case ')': return end_capture(ms, s, p + 1);
    case L_ESC: return match_escape(ms, s, p);
    case '\0': return s; /* end of pattern */
    case '$':
        if (*(p + 1) == '\0') return (s == ms->src_end) ? s : NULL;
        return match_default(ms, s, p);
    default: return match_default(ms, s, p);
    }
}

static const char *match(match_state *ms, const char *s, const char *p) {
    count_step(ms);
    if (++ms->depth > MAXDEPTH) luaL_error(ms->L, "pattern too complex");
    const char *res = match_one(ms, s, p);
    ms->depth--;
    return res;
}

static const char *lmemfind(const char *s1, size_t l1, const char *s2, size_t l2) {
    if (l2 == 0) return s1; /* empty strings are everywhere */
    if (l2 > l1) return NULL;
    l1 = l1 - l2 + 1;
    const char *init;
    while (l1 > 0 && (init = memchr(s1, *s2, l1)) != NULL) {
        init++; /* 1st char is already checked */
        if (memcmp(init, s2 + 1, l2 - 1) == 0) return init - 1;
        l1 -= (size_t)(init - s1);
        s1 = init;
    }
    return NULL;
}

static void push_onecapture(match_state *ms, int i, const char *s, const char *e) {
    if (i >= ms->level) {
        if (i == 0) lua_pushlstring(ms->L, s, (size_t)(e - s)); /* whole match */
        else luaL_error(ms->L, "invalid capture index");
    } else {
        ptrdiff_t l = ms->capture[i].len;
        if (l == CAP_UNFINISHED) luaL_error(ms->L, "unfinished capture");
        if (l == CAP_POSITION)
            lua_pushinteger(ms->L, ms->capture[i].init - ms->src_init + 1);
        else
            lua_pushlstring(ms->L, ms->capture[i].init, (size_t)l);
    }
}

static int push_captures(match_state *ms, const char *s, const char *e) {
    int nlevels = (ms->level == 0 && s) ? 1 : ms->level;
    luaL_checkstack(ms->L, nlevels, "too many captures");
    for (int i = 0; i < nlevels; i++) push_onecapture(ms, i, s, e);
    return nlevels; /* number of strings pushed */
}

static void ms_init(match_state *ms, lua_State *L, const char *s, size_t ls) {
    memset(ms, 0, sizeof *ms);
    ms->L = L;
    ms->src_init = s;
    ms->src_end = s + ls;
}

static int str_find_aux(lua_State *L, int find) {
    size_t l1, l2;
    const char *s = luaL_checklstring(L, 1, &l1);
    const char *p = luaL_checklstring(L, 2, &l2);
    ptrdiff_t init = posrelat(luaL_optinteger(L, 3, 1), l1) - 1;
    if (init < 0) init = 0;
    else if ((size_t)init > l1) init = (ptrdiff_t)l1;
    if (find && (lua_toboolean(L, 4) || strpbrk(p, SPECIALS) == NULL)) {
        /* plain search: linear, no backtracking */
        const char *s2 = lmemfind(s + init, l1 - (size_t)init, p, l2);
        if (s2) {
            lua_pushinteger(L, s2 - s + 1);
            lua_pushinteger(L, (lua_Integer)((size_t)(s2 - s) + l2));
            return 2;
        }
    } else {
        match_state ms;
        int anchor = (*p == '^') ? (p++, 1) : 0;
        const char *s1 = s + init;
        ms_init(&ms, L, s, l1);
        do {
            const char *res;
            ms.level = 0;
            ms.depth = 0;
            if ((res = match(&ms, s1, p)) != NULL) {
                if (find) {
                    lua_pushinteger(L, s1 - s + 1); /* start */
                    lua_pushinteger(L, res - s);    /* end */
                    return push_captures(&ms, NULL, 0) + 2;
                }
                return push_captures(&ms, s1, res);
            }
        } while (s1++ < ms.src_end && !anchor);
    }
    lua_pushnil(L); /* not found */
    return 1;
}

static int str_find(lua_State *L) { return str_find_aux(L, 1); }

static int str_match(lua_State *L) { return str_find_aux(L, 0); }

static int gmatch_aux(lua_State *L) {
    match_state ms;
    size_t ls;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tostring(L, lua_upvalueindex(2));
    ms_init(&ms, L, s, ls);
    for (const char *src = s + (size_t)lua_tointeger(L, lua_upvalueindex(3)); src <= ms.src_end;
         src++) {
        const char *e;
        ms.level = 0;
        ms.depth = 0;
        if ((e = match(&ms, src, p)) != NULL) {
            lua_Integer newstart = e - s;
            if (e == src) newstart++; /* empty match? go at least one position */
            lua_pushinteger(L, newstart);
            lua_replace(L, lua_upvalueindex(3));
            return push_captures(&ms, src, e);
        }
    }
    return 0; /* not found */
}

static int str_gmatch(lua_State *L) {
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    lua_settop(L, 2);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, gmatch_aux, 3);
    return 1;
}

static void add_s(match_state *ms, luaL_Buffer *b, const char *s, const char *e) {
    size_t l;
    const char *news = lua_tolstring(ms->L, 3, &l);
    for (size_t i = 0; i < l; i++) {
        if (news[i] != L_ESC) {
            luaL_addchar(b, news[i]);
        } else {
            i++; /* skip ESC */
            if (!is_digit((unsigned char)news[i])) {
                luaL_addchar(b, news[i]);
            } else if (news[i] == '0') {
                luaL_addlstring(b, s, (size_t)(e - s));
            } else {
                push_onecapture(ms, news[i] - '1', s, e);
                luaL_addvalue(b); /* add capture to accumulated result */
            }
        }
    }
}

static void add_value(match_state *ms, luaL_Buffer *b, const char *s, const char *e) {
    lua_State *L = ms->L;
    switch (lua_type(L, 3)) {
    case LUA_TNUMBER:
    case LUA_TSTRING: add_s(ms, b, s, e); return;
    case LUA_TFUNCTION: {
        lua_pushvalue(L, 3);
        int n = push_captures(ms, s, e);
        lua_call(L, n, 1);
        break;
    }
    case LUA_TTABLE:
        push_onecapture(ms, 0, s, e);
        lua_gettable(L, 3);
        break;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false? */
        lua_pop(L, 1);
        lua_pushlstring(L, s, (size_t)(e - s)); /* keep original text */
    } else if (!lua_isstring(L, -1)) {
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    }
    luaL_addvalue(b); /* add result to accumulator */
}

static int str_gsub(lua_State *L) {
    size_t srcl;
    const char *src = luaL_checklstring(L, 1, &srcl);
    const char *p = luaL_checkstring(L, 2);
    int tr = lua_type(L, 3);
    int max_s = luaL_optint(L, 4, (int)srcl + 1);
    int anchor = (*p == '^') ? (p++, 1) : 0;
    int n = 0;
    match_state ms;
    luaL_Buffer b;
    luaL_argcheck(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION ||
                         tr == LUA_TTABLE,
                  3, "string/function/table expected");
    luaL_buffinit(L, &b);
    ms_init(&ms, L, src, srcl);
    while (n < max_s) {
        const char *e;
        ms.level = 0;
        ms.depth = 0;
        e = match(&ms, src, p);
        if (e) {
            n++;
            add_value(&ms, &b, src, e);
        }
        if (e && e > src) src = e; /* non empty match? skip it */
        else if (src < ms.src_end) luaL_addchar(&b, *src++);
        else break;
        if (anchor) break;
        count_step(&ms);
    }
    luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
    luaL_pushresult(&b);
    lua_pushinteger(L, n); /* number of substitutions */
    return 2;
}

void hk_vm_patterns_install(lua_State *L) {
    static const luaL_Reg fns[] = {{"find", str_find}, {"match", str_match},
                                   {"gmatch", str_gmatch}, {"gsub", str_gsub}, {NULL, NULL}};
    lua_getglobal(L, "string");
    for (const luaL_Reg *r = fns; r->name; r++) {
        lua_pushcfunction(L, r->func);
        lua_setfield(L, -2, r->name);
    }
    lua_pop(L, 1);
}
