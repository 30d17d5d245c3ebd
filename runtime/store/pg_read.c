/* store/pg_read: turns a read's PGresult into the cJSON the API serves.
 * Column types decide the JSON type (bool, numbers, json/jsonb text parsed
 * back to JSON); bytea columns are the sealed ones and are opened here for the
 * tenant that asked, with the row's key_id and the column's additional data
 * (a value that does not open for this tenant comes back null and is logged:
 * it never leaks another tenant's text). key_id itself is not returned. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/crypto.h"
#include "store/pg_internal.h"

/* type OIDs (pg_type.h is server-side; these never change) */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

static int is_json_col(const char *name) {
    return !strcmp(name, "latency") || !strcmp(name, "tool_calls") || !strcmp(name, "tool_results") ||
           !strcmp(name, "tools") || !strcmp(name, "config");
}

static cJSON *open_value(const hk_keyring *keys, const char *tenant, const char *table,
                         const char *col, const char *rowkey, int kid, const char *hex) {
    size_t n = 0;
    uint8_t *raw = PQunescapeBytea((const unsigned char *)hex, &n);
    if (!raw) return cJSON_CreateNull();
    char column[96], aad[256];
    snprintf(column, sizeof column, "%s.%s", table, col);
    hk_seal_aad(aad, sizeof aad, tenant, column, rowkey);
    char *plain = malloc(n + 1);
    if (!plain) abort();
    int len = hk_open(keys, kid, aad, raw, n, (uint8_t *)plain);
    PQfreemem(raw);
    cJSON *v;
    if (len < 0) {
        hk_log(HK_LOG_ERROR, NULL, "db_value_unreadable", "%s of %s does not open with key %d for "
               "this tenant", column, rowkey ? rowkey : "?", kid);
        v = cJSON_CreateNull();
    } else {
        plain[len] = 0;
        v = cJSON_CreateString(plain);
    }
    free(plain);
    return v;
}

cJSON *hk_pg_result_json(PGresult *res, const hk_keyring *keys, const char *tenant, int single,
                         char *err, size_t errlen) {
    int nrows = PQntuples(res), ncols = PQnfields(res);
    int kid_col = PQfnumber(res, "key_id");
    int id_col = PQfnumber(res, "id"), sid_col = PQfnumber(res, "call_sid");
    /* messages are keyed by their id, calls by call_sid */
    int is_msgs = PQfnumber(res, "content") >= 0;
    const char *table = is_msgs ? "call_messages" : "calls";
    int rowkey_col = is_msgs ? id_col : sid_col;
    cJSON *arr = cJSON_CreateArray();
    for (int r = 0; r < nrows; r++) {
        cJSON *o = cJSON_CreateObject();
        int kid = kid_col >= 0 ? atoi(PQgetvalue(res, r, kid_col)) : 0;
        const char *rowkey = rowkey_col >= 0 ? PQgetvalue(res, r, rowkey_col) : NULL;
        for (int c = 0; c < ncols; c++) {
            if (c == kid_col) continue;
            const char *name = PQfname(res, c);
            if (PQgetisnull(res, r, c)) {
                cJSON_AddNullToObject(o, name);
                continue;
            }
            const char *v = PQgetvalue(res, r, c);
            Oid t = PQftype(res, c);
            cJSON *j;
            switch (t) {
            case OID_BOOL: j = cJSON_CreateBool(v[0] == 't'); break;
            case OID_INT2: case OID_INT4: case OID_INT8: case OID_FLOAT4: case OID_FLOAT8:
            case OID_NUMERIC: j = cJSON_CreateNumber(strtod(v, NULL)); break;
            case OID_BYTEA: j = open_value(keys, tenant, table, name, rowkey, kid, v); break;
            default:
                j = is_json_col(name) ? cJSON_Parse(v) : NULL;
                if (!j) j = cJSON_CreateString(v);
            }
            cJSON_AddItemToObject(o, name, j);
        }
        cJSON_AddItemToArray(arr, o);
    }
    (void)err, (void)errlen;
    if (!single) return arr;
    cJSON *first = cJSON_DetachItemFromArray(arr, 0);
    cJSON_Delete(arr);
    return first;
}
