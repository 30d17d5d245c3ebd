/* core/mkdirs: mkdir -p, for start-up paths (recordings, spools). Blocking
 * filesystem calls: use before the loop serves, never on it. */
#ifndef HK_MKDIRS_H
#define HK_MKDIRS_H

/* Creates path and its missing parents (mode 0755): 0, or -1 with errno. */
int hk_mkdirs(const char *path);

/* The same for the directory a file goes in (nothing when it has none). */
int hk_mkdirs_parent(const char *file);

#endif
