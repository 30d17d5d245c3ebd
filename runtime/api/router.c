/* api/router: route table matching. See router.h. */
#include "api/router.h"

#include <string.h>

/* Does path match pattern? Fills m's params when it does. */
static int match_path(const char *pattern, const char *path, hk_route_match *m) {
    size_t plen = strlen(path);
    if (plen > 1 && path[plen - 1] == '/') plen--; /* one trailing slash */
    const char *p = pattern, *s = path, *end = path + plen;
    int n = 0;
    while (*p && s < end) {
        if (*p != '/' || *s != '/') return 0;
        p++, s++;
        const char *pe = strchr(p, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p);
        const char *se = memchr(s, '/', (size_t)(end - s));
        size_t sl = se ? (size_t)(se - s) : (size_t)(end - s);
        if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
            if (sl == 0 || n >= HK_API_MAX_PARAMS) return 0;
            m->off[n] = (size_t)(s - path);
            m->len[n] = sl;
            n++;
        } else if (pl != sl || memcmp(p, s, pl) != 0) {
            return 0;
        }
        p += pl;
        s += sl;
    }
    if (*p || s != end) return 0;
    m->nparams = n;
    return 1;
}

int hk_router_match(const hk_api_route *table, const char *method, const char *path,
                    hk_route_match *m) {
    memset(m, 0, sizeof *m);
    if (!path || path[0] != '/') return 404;
    int path_known = 0;
    for (const hk_api_route *r = table; r->method; r++) {
        hk_route_match t;
        memset(&t, 0, sizeof t);
        if (!match_path(r->pattern, path, &t)) continue;
        path_known = 1;
        if (strcmp(r->method, method) != 0) continue;
        *m = t;
        m->route = r;
        return 200;
    }
    return path_known ? 405 : 404;
}
