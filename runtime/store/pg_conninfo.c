/* store/pg_conninfo: makes a connection string safe for the loop. libpq's
 * PQconnectStart resolves a host name with a blocking getaddrinfo, so a
 * DATABASE_URL naming a host would stall every call on each reconnect. Here,
 * once at startup (blocking is fine there), the name is resolved and the
 * address pinned as hostaddr= (host= stays for TLS and .pgpass). URLs and
 * key=value strings both come back as key=value. Host lists (a,b) and unix
 * socket paths are left alone. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "store/pg_internal.h"

static void append(char **buf, size_t *len, size_t *cap, const char *s) {
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = realloc(*buf, *cap);
        if (!*buf) abort();
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

/* 'value' with \ and ' escaped, as libpq's key=value syntax wants. */
static void append_quoted(char **buf, size_t *len, size_t *cap, const char *v) {
    append(buf, len, cap, "'");
    char two[3] = {'\\', 0, 0};
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '\'') {
            two[1] = *p;
            append(buf, len, cap, two);
        } else {
            char one[2] = {*p, 0};
            append(buf, len, cap, one);
        }
    }
    append(buf, len, cap, "'");
}

char *hk_pg_conninfo_pin(const char *conninfo, char *err, size_t errlen) {
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    if (!opts) {
        snprintf(err, errlen, "DATABASE_URL: %s", perr ? perr : "cannot parse");
        PQfreemem(perr);
        return NULL;
    }
    const char *host = NULL, *hostaddr = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val) continue;
        if (!strcmp(o->keyword, "host")) host = o->val;
        if (!strcmp(o->keyword, "hostaddr")) hostaddr = o->val;
    }
    char addr[NI_MAXHOST] = "";
    if (host && !hostaddr && host[0] != '/' && host[0] != '@' && !strchr(host, ',')) {
        struct addrinfo hints = {0}, *res = NULL;
        hints.ai_socktype = SOCK_STREAM;
        int rc = getaddrinfo(host, NULL, &hints, &res);
        if (rc != 0 || !res) {
            snprintf(err, errlen, "database host %s: %s", host, gai_strerror(rc));
            PQconninfoFree(opts);
            return NULL;
        }
        getnameinfo(res->ai_addr, res->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST);
        freeaddrinfo(res);
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    append(&buf, &len, &cap, "");
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val) continue;
        append(&buf, &len, &cap, o->keyword);
        append(&buf, &len, &cap, "=");
        append_quoted(&buf, &len, &cap, o->val);
        append(&buf, &len, &cap, " ");
    }
    if (addr[0]) {
        append(&buf, &len, &cap, "hostaddr=");
        append_quoted(&buf, &len, &cap, addr);
    }
    PQconninfoFree(opts);
    return buf;
}
