/* cli/cmd_user: `hark user create --tenant ID --email E`: a dashboard user;
 * the password is read from stdin (one line, at least HK_PASSWORD_MIN
 * characters), hashed with Argon2id here, never stored or shown. Exit: 0
 * done, 1 database error, 2 usage or HARK_STORE=memory. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api/password.h"
#include "cli/admin_db.h"
#include "cli/cli.h"

static int usage(FILE *out, int rc) {
    fprintf(out, "usage: hark user create --tenant ID --email EMAIL   (password on stdin)\n\n"
                 "The user logs in with POST /auth/login {email, password} and gets a session\n"
                 "token (JWT_SECRET must be set on the servers).\n");
    return rc;
}

int hk_cmd_user(int argc, char **argv, const hk_config *cfg) {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) return usage(stdout, 0);
    if (argc < 2 || strcmp(argv[1], "create") != 0) return usage(stderr, 2);
    const char *tenant = NULL, *email_in = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc) tenant = argv[++i];
        else if (strcmp(argv[i], "--email") == 0 && i + 1 < argc) email_in = argv[++i];
        else return usage(stderr, 2);
    }
    if (!tenant || !email_in) return usage(stderr, 2);
    char email[256];
    size_t el = strlen(email_in);
    const char *at = strchr(email_in, '@');
    if (el >= sizeof email || !at || at == email_in || !at[1]) {
        fprintf(stderr, "hark user: '%s' is not an email address\n", email_in);
        return 2;
    }
    for (size_t i = 0; i <= el; i++) email[i] = (char)tolower((unsigned char)email_in[i]);
    char pw[HK_PASSWORD_MAX + 2];
    if (!fgets(pw, sizeof pw, stdin)) pw[0] = 0;
    pw[strcspn(pw, "\r\n")] = 0;
    if (strlen(pw) < HK_PASSWORD_MIN || strlen(pw) > HK_PASSWORD_MAX) {
        fprintf(stderr, "hark user: the password (stdin, one line) must be %d to %d characters\n",
                HK_PASSWORD_MIN, HK_PASSWORD_MAX);
        return 2;
    }
    char hash[HK_PASSWORD_HASH_MAX];
    int hrc = hk_password_hash(pw, hash);
    memset(pw, 0, sizeof pw);
    if (hrc != 0) {
        fprintf(stderr, "hark user: password hashing failed\n");
        return 1;
    }
    int rc = 0;
    PGconn *pg = hk_admin_db("user", cfg, &rc);
    if (!pg) return rc;
    const char *p[3] = {tenant, email, hash};
    PGresult *r = hk_admin_exec(pg, "user", "INSERT INTO users (tenant_id, email, password_hash) "
                                "VALUES ($1::uuid, $2, $3) RETURNING id::text", 3, p);
    if (r) printf("%s\n", PQgetvalue(r, 0, 0));
    rc = r ? 0 : 1;
    PQclear(r);
    PQfinish(pg);
    return rc;
}
