/* store/pg_auth: the PostgreSQL store's reads for api/auth: an API key row
 * by its prefix, a user row by email (schema/004_tenants_auth.sql). Not
 * tenant-scoped: these are how the tenant is found. Text columns only. */
#include <string.h>

#include "store/pg_internal.h"

static void find(hk_store *s, int stmt, const char *arg, hk_store_read_cb cb, void *ud) {
    hk_pg_op *op = hk_pg_op_new(stmt, NULL);
    op->cb = cb;
    op->ud = ud;
    op->single = 1;
    hk_pg_op_text(op, 0, arg);
    hk_pg_submit_read(s, op);
}

void hk_pg_api_key_find(hk_store *s, const char *prefix, hk_store_read_cb cb, void *ud) {
    find(s, HK_SQL_API_KEY_FIND, prefix, cb, ud);
}

void hk_pg_user_find(hk_store *s, const char *email, hk_store_read_cb cb, void *ud) {
    find(s, HK_SQL_USER_FIND, email, cb, ud);
}
