/* cli/cmd_migrate: `hark migrate`. Skeleton: finds the numbered migrations in
 * schema/, checks their numbering (no gaps, no duplicates) and lists them in
 * the order they would apply. Applying them to PostgreSQL (transactions,
 * schema_migrations, checksums, the embedded cluster) is the database issue's
 * work; until then this command says so and exits 3. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int hk_cmd_migrate(int argc, char **argv) {
    const char *dir = HARK_SOURCE_DIR "/schema";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: hark migrate [--dir schema/]\n\n"
                   "Lists the numbered SQL migrations (NNN_name.sql) in order and checks the\n"
                   "numbering. Applying them to PostgreSQL is not built yet (database issue).\n");
            return 0;
        }
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) dir = argv[++i];
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "hark migrate: cannot open %s\n", dir);
        return 1;
    }
    char *names[512];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 512) {
        size_t len = strlen(de->d_name);
        if (len > 4 && strcmp(de->d_name + len - 4, ".sql") == 0) names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        int num = atoi(names[i]);
        if (num != i + 1) {
            fprintf(stderr, "hark migrate: %s: expected number %03d (numbering must start at 001 "
                    "with no gaps or duplicates)\n", names[i], i + 1);
            bad = 1;
        }
        printf("%s\n", names[i]);
        free(names[i]);
    }
    if (bad) return 1;
    fprintf(stderr, "hark migrate: %d migration(s) found; applying them needs the PostgreSQL "
            "store, which is not built yet\n", n);
    return 3;
}
