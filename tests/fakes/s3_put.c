/* tests/fakes/s3_put: drives net/s3 once, the way hark uploads a recording,
 * for tests/integration/test_s3_upload.sh: a libev loop, the http client and
 * a one-thread pool, one hk_s3_put_file, then run until done.
 * usage: s3_put --endpoint URL --bucket B --region R --access-key K
 *               --secret-key S --key recordings/CA1.wav --file F
 *               [--content-type T] [--virtual-host]
 * Prints the object URL on stdout and exits 0, or the error on stderr and
 * exits 1. */
#include <ev.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "core/pool.h"
#include "net/http_client.h"
#include "net/s3.h"

static int g_rc = 1;

static void on_done(void *ud, const char *url, const char *err) {
    (void)ud;
    if (url) {
        printf("%s\n", url);
        g_rc = 0;
    } else {
        fprintf(stderr, "s3_put: %s\n", err);
    }
}

int main(int argc, char **argv) {
    hk_s3_config cfg = {.path_style = 1};
    const char *key = NULL, *file = NULL, *ctype = "audio/wav";
    static const struct option opts[] = {
        {"endpoint", required_argument, 0, 'e'},   {"bucket", required_argument, 0, 'b'},
        {"region", required_argument, 0, 'r'},     {"access-key", required_argument, 0, 'a'},
        {"secret-key", required_argument, 0, 's'}, {"key", required_argument, 0, 'k'},
        {"file", required_argument, 0, 'f'},       {"content-type", required_argument, 0, 't'},
        {"virtual-host", no_argument, 0, 'v'},     {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'e': cfg.endpoint = optarg; break;
        case 'b': cfg.bucket = optarg; break;
        case 'r': cfg.region = optarg; break;
        case 'a': cfg.access_key = optarg; break;
        case 's': cfg.secret_key = optarg; break;
        case 'k': key = optarg; break;
        case 'f': file = optarg; break;
        case 't': ctype = optarg; break;
        case 'v': cfg.path_style = 0; break;
        default:
            fprintf(stderr, "usage: s3_put --endpoint URL --bucket B --region R --access-key K "
                            "--secret-key S --key KEY --file F [--content-type T] [--virtual-host]\n");
            return 2;
        }
    }
    struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
    hk_http_client *http = hk_http_client_new(loop);
    hk_pool *pool = hk_pool_new(loop, 1);
    hk_pool_global_set(pool);
    char err[512];
    if (hk_s3_put_file(http, &cfg, key, file, ctype, on_done, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "s3_put: %s\n", err);
    } else {
        ev_run(loop, 0);
    }
    hk_pool_free(pool);
    hk_http_client_free(http);
    return g_rc;
}
