/* store/memory_org: see memory_org.h. The PostgreSQL store's contract
 * (pg_org.c): times at millisecond precision, updatedAt strictly moving
 * forward on a patch, the server kept verbatim (secret included; the API
 * hides it). Answers before the call returns. */
#include "store/memory_org.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct hk_mem_org {
    char tenant[37];
    char *name;
    cJSON *server; /* NULL: none */
    int64_t created_ms, updated_ms;
    hk_mem_org *next;
};

static cJSON *org_json(const hk_mem_org *o) {
    char c[32], u[32];
    hk_store_time_iso((double)o->created_ms / 1000.0, c);
    hk_store_time_iso((double)o->updated_ms / 1000.0, u);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", o->tenant);
    cJSON_AddStringToObject(j, "name", o->name);
    cJSON_AddItemToObject(j, "server", o->server ? cJSON_Duplicate(o->server, 1) : cJSON_CreateNull());
    cJSON_AddStringToObject(j, "createdAt", c);
    cJSON_AddStringToObject(j, "updatedAt", u);
    return j;
}

/* the tenant's org, made on first use; NULL for a malformed tenant id */
static hk_mem_org *find(hk_store *s, const char *tenant) {
    if (!hk_store_is_uuid(tenant)) return NULL;
    hk_mem_org **head = hk_store_memory_orgs(s);
    for (hk_mem_org *o = *head; o; o = o->next)
        if (!strcasecmp(o->tenant, tenant)) return o;
    hk_mem_org *o = calloc(1, sizeof *o);
    if (!o) abort();
    memcpy(o->tenant, tenant, 36);
    o->name = strdup("");
    if (!o->name) abort();
    o->created_ms = o->updated_ms = hk_store_now_ms();
    o->next = *head;
    *head = o;
    return o;
}

void hk_mem_org_get(hk_store *s, const char *tenant, hk_store_read_cb cb, void *ud) {
    hk_mem_org *o = find(s, tenant);
    cb(ud, o ? org_json(o) : NULL, NULL);
}

void hk_mem_org_patch(hk_store *s, const char *tenant, const cJSON *patch, hk_store_read_cb cb,
                      void *ud) {
    hk_mem_org *o = find(s, tenant);
    if (!o) {
        cb(ud, NULL, NULL);
        return;
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(patch, "name");
    const cJSON *server = cJSON_GetObjectItemCaseSensitive(patch, "server");
    if ((name && !cJSON_IsString(name)) || (server && !cJSON_IsObject(server) && !cJSON_IsNull(server))) {
        cb(ud, NULL, "org patch: name is a string, server an object or null");
        return;
    }
    if (name) {
        char *n = strdup(name->valuestring);
        if (!n) abort();
        free(o->name);
        o->name = n;
    }
    if (server) {
        cJSON_Delete(o->server);
        o->server = cJSON_IsObject(server) ? cJSON_Duplicate(server, 1) : NULL;
    }
    int64_t now = hk_store_now_ms();
    o->updated_ms = now > o->updated_ms ? now : o->updated_ms + 1;
    cb(ud, org_json(o), NULL);
}

void hk_mem_orgs_free(hk_mem_org *head) {
    while (head) {
        hk_mem_org *o = head;
        head = o->next;
        free(o->name);
        cJSON_Delete(o->server);
        free(o);
    }
}
