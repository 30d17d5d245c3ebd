/* cli/cmd_dial: `hark dial --agent ID --to NUMBER [--from NUMBER]` places an
 * outbound call through Twilio's REST API. Twilio then requests the incoming-
 * call webhook (with ?agent=ID), so the call runs on the `hark serve` that
 * owns TWILIO_WEBHOOK_URL exactly like an inbound one. Prints the Call SID. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "cli/cli.h"
#include "telephony/twilio_rest.h"

typedef struct dial_result {
    int done, ok;
    struct ev_loop *loop;
} dial_result;

static void on_placed(void *ud, const char *sid, int status, const char *err) {
    dial_result *r = ud;
    r->done = 1;
    r->ok = sid != NULL;
    if (sid) printf("%s\n", sid);
    else fprintf(stderr, "hark dial: %s (HTTP %d)\n", err ? err : "failed", status);
    ev_break(r->loop, EVBREAK_ALL);
}

int hk_cmd_dial(int argc, char **argv, const hk_config *cfg) {
    static struct option opts[] = {{"agent", required_argument, 0, 'a'},
                                   {"to", required_argument, 0, 't'},
                                   {"from", required_argument, 0, 'f'},
                                   {"help", no_argument, 0, 'h'},
                                   {0, 0, 0, 0}};
    const char *agent = NULL, *to = NULL, *from = NULL;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'a': agent = optarg; break;
        case 't': to = optarg; break;
        case 'f': from = optarg; break;
        default:
            printf("usage: hark dial --agent ID --to +15551234567 [--from +15557654321]\n\n"
                   "Places an outbound call with Twilio's REST API (TWILIO_ACCOUNT_SID,\n"
                   "TWILIO_AUTH_TOKEN, TWILIO_WEBHOOK_URL, TWILIO_API_BASE_URL; --from defaults\n"
                   "to TWILIO_PHONE_NUMBER). When answered, the call runs on hark serve with the\n"
                   "agent ID (its file stem). Prints the new Call SID.\n");
            return o == 'h' ? 0 : 2;
        }
    }
    if (!agent || !to) {
        fprintf(stderr, "hark dial: --agent and --to are required\n");
        return 2;
    }
    hk_config own; /* the app holds a mutable configuration */
    char err[1024];
    if (hk_config_copy(&own, cfg) != 0) {
        fprintf(stderr, "hark dial: out of memory\n");
        return 1;
    }
    hk_app app;
    memset(&app, 0, sizeof app);
    app.cfg = &own;
    snprintf(app.stream_secret, sizeof app.stream_secret, "-"); /* dial signs no streams */
    struct ev_loop *loop = ev_default_loop(0);
    dial_result r = {0, 0, loop};
    hk_http_client *http = hk_http_client_new(loop);
    int rc = 1;
    if (hk_app_init_urls(&app, err, sizeof err) != 0 ||
        hk_twilio_place_call(http, &own, app.webhook_url, agent, to, from, on_placed, &r, err,
                             sizeof err) != 0) {
        fprintf(stderr, "hark dial: %s\n", err);
    } else {
        ev_run(loop, 0);
        rc = r.ok ? 0 : 1;
    }
    hk_http_client_free(http);
    hk_config_free(&own);
    return rc;
}
