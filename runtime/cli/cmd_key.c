/* cli/cmd_key: private API keys of a tenant. `hark key create --tenant ID
 * [--name N]` prints the key once (stdout; its id on stderr): only its
 * prefix and SHA-256 are stored. `hark key list --tenant ID`, `hark key
 * revoke KEYID` (servers stop accepting it within HK_AUTH_CACHE_TTL_S).
 * Exit: 0 done, 1 database error or unknown key, 2 usage or HARK_STORE=memory. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "api/apikey.h"
#include "api/auth.h"
#include "cli/admin_db.h"
#include "cli/cli.h"

static int usage(FILE *out, int rc) {
    fprintf(out, "usage: hark key create --tenant ID [--name NAME]   prints the key (shown once)\n"
                 "       hark key list --tenant ID                   id, prefix, created, revoked\n"
                 "       hark key revoke KEYID\n\n"
                 "Requests send it as Authorization: Bearer <key>. A revoked key stops working\n"
                 "within %.0f s on every server.\n", HK_AUTH_CACHE_TTL_S);
    return rc;
}

static int key_create(PGconn *pg, const char *tenant, const char *name) {
    char key[HK_APIKEY_LEN + 1], prefix[HK_APIKEY_PREFIX_LEN + 1], hex[65];
    uint8_t hash[32];
    if (hk_apikey_new(key, prefix, hash) != 0) {
        fprintf(stderr, "hark key: no randomness\n");
        return 1;
    }
    for (int i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", hash[i]);
    const char *p[4] = {tenant, name, prefix, hex};
    PGresult *r = hk_admin_exec(pg, "key", "INSERT INTO api_keys (tenant_id, name, key_prefix, key_hash) "
                                "VALUES ($1::uuid, $2, $3, decode($4, 'hex')) RETURNING id::text", 4, p);
    if (r) {
        fprintf(stderr, "key %s created for tenant %s (shown once: store it now)\n", PQgetvalue(r, 0, 0), tenant);
        printf("%s\n", key);
    }
    OPENSSL_cleanse(key, sizeof key);
    PQclear(r);
    return r ? 0 : 1;
}

static int key_list(PGconn *pg, const char *tenant) {
    const char *p[1] = {tenant};
    PGresult *r = hk_admin_exec(pg, "key", "SELECT id::text, key_prefix, "
                                "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                                "coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'), name "
                                "FROM api_keys WHERE tenant_id = $1::uuid ORDER BY created_at", 1, p);
    if (!r) return 1;
    printf("%-36s  %-12s  %-20s  %-20s  %s\n", "id", "prefix", "created", "revoked", "name");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%-36s  %-12s  %-20s  %-20s  %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
    PQclear(r);
    return 0;
}

static int key_revoke(PGconn *pg, const char *id) {
    const char *p[1] = {id};
    PGresult *r = hk_admin_exec(pg, "key", "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) "
                                "WHERE id = $1::uuid RETURNING id", 1, p);
    if (!r) return 1;
    int n = PQntuples(r);
    PQclear(r);
    if (!n) {
        fprintf(stderr, "hark key: no key %s\n", id);
        return 1;
    }
    fprintf(stderr, "key %s revoked\n", id);
    return 0;
}

int hk_cmd_key(int argc, char **argv, const hk_config *cfg) {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) return usage(stdout, 0);
    if (argc < 2) return usage(stderr, 2);
    const char *tenant = NULL, *name = "", *id = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc) tenant = argv[++i];
        else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) name = argv[++i];
        else if (argv[i][0] != '-' && !id) id = argv[i];
        else return usage(stderr, 2);
    }
    const char *verb = argv[1];
    int ok = (strcmp(verb, "create") == 0 || strcmp(verb, "list") == 0) ? tenant && !id
             : strcmp(verb, "revoke") == 0                              ? id && !tenant
                                                                        : 0;
    if (!ok) return usage(stderr, 2);
    int rc = 0;
    PGconn *pg = hk_admin_db("key", cfg, &rc);
    if (!pg) return rc;
    if (strcmp(verb, "create") == 0) rc = key_create(pg, tenant, name);
    else if (strcmp(verb, "list") == 0) rc = key_list(pg, tenant);
    else rc = key_revoke(pg, id);
    PQfinish(pg);
    return rc;
}
