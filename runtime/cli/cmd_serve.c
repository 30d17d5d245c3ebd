/* cli/cmd_serve: `hark serve`. Sets up a worker (loop, clock, engine pool,
 * Lua VM), loads every agent in HARK_AGENTS_DIR (default agents/) with hot
 * reload, and serves HARK_PORT (default 8080): /healthz and /metrics today.
 * Twilio webhooks and Media Streams (calls through hk_call_new, exactly as
 * `hark call` does) come with the Twilio issue. Stops on SIGINT/SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_dir.h"
#include "api/routes.h"
#include "cli/cli.h"
#include "core/log.h"

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents) {
    (void)revents;
    hk_log(HK_LOG_INFO, NULL, "serve_stopping", "signal %d", w->signum);
    ev_break(loop, EVBREAK_ALL);
}

int hk_cmd_serve(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: hark serve\n\n"
                   "Loads the agents in $HARK_AGENTS_DIR (default: agents/) and watches them:\n"
                   "an edited file that loads replaces the old version for new calls, one that\n"
                   "fails is logged and the old version stays. Serves $HARK_PORT (default\n"
                   "8080): GET /healthz, GET /metrics (Prometheus text). Stops on SIGINT/SIGTERM.\n\n"
                   "Not built yet (Twilio issue): Twilio webhooks and Media Streams.\n");
            return 0;
        }
    }
    const char *dir = getenv("HARK_AGENTS_DIR");
    if (!dir) dir = "agents";
    hk_worker w;
    char err[1024];
    if (hk_worker_init(&w, 0, 2, err, sizeof err) != 0) {
        fprintf(stderr, "hark serve: %s\n", err);
        return 1;
    }
    hk_agent_dir *d = hk_agent_dir_open(w.vm, w.loop, dir);
    const char *port_s = getenv("HARK_PORT");
    int port = port_s ? atoi(port_s) : 8080;
    hk_server_handlers h = {NULL, hk_routes_http, hk_routes_ws_open, hk_routes_ws_text,
                            hk_routes_ws_closed};
    hk_server *srv = hk_server_new(w.loop, port, &h, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "hark serve: %s\n", err);
        hk_agent_dir_free(d);
        hk_worker_free(&w);
        return 1;
    }
    hk_log(HK_LOG_INFO, NULL, "serve_ready", "%d agent(s) from %s; listening on port %d",
           hk_agent_dir_count(d), dir, hk_server_port(srv));
    ev_signal sint, sterm;
    ev_signal_init(&sint, on_signal, SIGINT);
    ev_signal_init(&sterm, on_signal, SIGTERM);
    ev_signal_start(w.loop, &sint);
    ev_signal_start(w.loop, &sterm);
    ev_run(w.loop, 0);
    ev_signal_stop(w.loop, &sint);
    ev_signal_stop(w.loop, &sterm);
    hk_server_free(srv);
    hk_agent_dir_free(d);
    hk_worker_free(&w);
    return 0;
}
