/* cli/cmd_serve: `hark serve [--workers N]`. Each worker process: loop,
 * clock, engine pool, Lua VM; configuration from the environment and .env
 * (loaded once by main, checked here before any worker is forked);
 * agents from HARK_AGENTS_DIR with hot reload; one port (HARK_PORT, shared by
 * the workers with SO_REUSEPORT) serving /healthz, /metrics, the Twilio
 * webhooks and Media Streams. With several workers the first process only
 * supervises (cli/serve_supervisor: forks, forwards signals, restarts a
 * worker that crashes, keeps the shared drain record). SIGTERM drains: /healthz answers
 * 503 at once, new calls are still taken for HARK_DRAIN_ACCEPT_SECONDS
 * (default 2: the balancer's time to notice; SIGINT skips it) and refused after, and live
 * calls get HARK_DRAIN_SECONDS (default 30) to finish before they are ended.
 * A worker waits STREAM_GRACE_S after it last offered a stream (its caller's
 * stream may still be on the way, to any worker). A worker whose calls are
 * done keeps answering (503 on /healthz, refusals) until every worker's are,
 * since a listener that closes early resets the connections the kernel
 * already queued on it.
 * SIGHUP re-reads the configuration. */
#include <errno.h>
#include <unistd.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/settings.h"
#include "agent/agent_dir.h"
#include "api/app.h"
#include "api/events.h"
#include "api/routes.h"
#include "api/web_static.h"
#include "api/webhooks.h"
#include "cluster/call_limits.h"
#include "cli/cli.h"
#include "cli/serve_supervisor.h"
#include "core/mkdirs.h"
#include "core/log.h"
#include "store/store.h"
#include "telephony/twilio_rest.h"

#define STREAM_GRACE_S 5.0 /* a stream arrives well within this of its webhook's answer */

typedef struct serve {
    hk_app app;
    hk_config cfg;
    hk_server *srv;
    ev_timer drain;
    hk_store *store;
    double drain_deadline;
    double accept_until; /* new calls are refused from then on */
} serve;

static void dial_placed(void *ud, const char *sid, int status, const char *err) {
    (void)ud;
    if (sid) hk_log(HK_LOG_INFO, sid, "call_dialled", "outbound call placed (HTTP %d)", status);
    else hk_log(HK_LOG_ERROR, NULL, "dial_failed", "%s", err ? err : "failed");
}

/* hark.dial from agent code */
static int serve_dial(void *ud, const char *agent, const char *to, const char *from, char *err,
                      size_t errlen) {
    hk_app *app = ud;
    if (app->draining) {
        snprintf(err, errlen, "the server is shutting down");
        return -1;
    }
    return hk_twilio_place_call(app->http, app->cfg, app->webhook_url, agent, to, from,
                                dial_placed, NULL, err, errlen);
}

static void drain_tick(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    serve *sv = w->data;
    double now = ev_now(loop);
    if (!sv->app.refusing && now >= sv->accept_until) {
        sv->app.refusing = 1;
        hk_log(HK_LOG_INFO, NULL, "drain_refusing", "new calls are refused from now on; %d live call(s)",
               sv->app.live_calls);
    }
    /* this worker is done: no live call, no longer taking calls, and no
     * stream it offered may still arrive */
    int done = sv->app.live_calls <= 0 && sv->app.refusing &&
               (sv->app.last_stream_offer <= 0 || now >= sv->app.last_stream_offer + STREAM_GRACE_S);
    if (done) hk_supervisor_worker_done();
    int others_busy = hk_supervisor_others_busy();
    if ((done && !others_busy) || now >= sv->drain_deadline) {
        if (sv->app.live_calls > 0)
            hk_log(HK_LOG_WARN, NULL, "drain_timeout", "%d call(s) still live: stopping",
                   sv->app.live_calls);
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    ev_timer_again(loop, w);
}

static void on_term(struct ev_loop *loop, ev_signal *w, int revents) {
    (void)revents;
    serve *sv = w->data;
    if (sv->app.draining) { /* a second signal: stop now */
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    sv->app.draining = 1;
    double grace = (double)hk_config_long(&sv->cfg, HK_CFG_HARK_DRAIN_SECONDS, 30);
    ev_now_update(loop);
    sv->drain_deadline = ev_now(loop) + grace;
    /* SIGINT is someone at a terminal, with no balancer to wait for */
    double accept = w->signum == SIGTERM ? (double)hk_config_long(&sv->cfg, HK_CFG_HARK_DRAIN_ACCEPT_SECONDS, 2) : 0;
    sv->accept_until = ev_now(loop) + (accept < grace ? accept : grace);
    hk_log(HK_LOG_INFO, NULL, "serve_stopping",
           "signal %d: draining %d live call(s), up to %.0f s; new calls taken for %.0f s more",
           w->signum, sv->app.live_calls, grace, sv->accept_until - ev_now(loop));
    ev_timer_init(&sv->drain, drain_tick, 0., 0.1);
    sv->drain.data = sv;
    ev_timer_again(loop, &sv->drain);
}

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents) {
    (void)loop;
    (void)revents;
    serve *sv = w->data;
    hk_config fresh;
    char err[1024];
    if (hk_config_load(&fresh, NULL, err, sizeof err) != 0 ||
        hk_config_check(&fresh, "serve", err, sizeof err) != 0) {
        hk_log(HK_LOG_ERROR, NULL, "config_reload_failed", "%s (kept the old configuration)", err);
        hk_config_free(&fresh);
        return;
    }
    /* what the supervisor set (the generated stream secret, this worker's
     * spool file) is not in the environment or .env: carry it over */
    for (int k = 0; k < HK_CFG_COUNT; k++)
        if (sv->cfg.source[k] == HK_CFG_FROM_SET && fresh.source[k] != HK_CFG_FROM_ENV &&
            fresh.source[k] != HK_CFG_FROM_DOTENV)
            hk_config_set(&fresh, (hk_config_key)k, sv->cfg.value[k]);
    hk_config old = sv->cfg;
    sv->cfg = fresh;
    hk_provider_settings_load(&sv->cfg);
    char saved[sizeof sv->app.stream_secret];
    memcpy(saved, sv->app.stream_secret, sizeof saved);
    /* a configured secret is re-read; a generated one is kept (live streams
     * carry tokens it signed) */
    if (hk_config_str(&sv->cfg, HK_CFG_HARK_STREAM_SECRET)) sv->app.stream_secret[0] = 0;
    if (hk_app_init_urls(&sv->app, err, sizeof err) != 0) {
        hk_log(HK_LOG_ERROR, NULL, "config_reload_failed", "%s (kept the old configuration)", err);
        sv->cfg = old;
        hk_config_free(&fresh);
        memcpy(sv->app.stream_secret, saved, sizeof saved);
        hk_app_init_urls(&sv->app, err, sizeof err);
        return;
    }
    hk_config_free(&old);
    hk_log(HK_LOG_INFO, NULL, "config_reloaded", "webhook %s", sv->app.webhook_url);
}

int hk_cmd_serve(int argc, char **argv, const hk_config *cfg) {
    int workers = (int)hk_config_long(cfg, HK_CFG_HARK_WORKERS, 1);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
            workers = atoi(argv[++i]);
            continue;
        }
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: hark serve [--workers N]\n\n"
                   "Serves phone calls on one port: POST %s (Twilio's incoming-call\n"
                   "webhook, plus /connect-status and /status), WS /voice/stream/{CallSid} (Media\n"
                   "Streams), GET /healthz, GET /metrics (Prometheus text). Agents load from\n"
                   "$HARK_AGENTS_DIR and hot-reload. SIGTERM drains (HARK_DRAIN_SECONDS, default\n"
                   "30), SIGHUP re-reads the configuration. --workers N (or HARK_WORKERS) runs N\n"
                   "worker processes sharing the port; calls stay on the worker that took them.\n\n"
                   "Configuration (the environment wins over ./.env):\n",
                   "/api/v1/voice-agents/twilio/webhook");
            hk_config_print_help(stdout);
            return 0;
        }
    }
    if (workers < 1 || workers > HK_MAX_WORKERS) {
        fprintf(stderr, "hark serve: --workers must be 1..%d\n", HK_MAX_WORKERS);
        return 2;
    }
    serve sv;
    memset(&sv, 0, sizeof sv);
    char err[2048];
    if (hk_config_copy(&sv.cfg, cfg) != 0) {
        fprintf(stderr, "hark serve: out of memory\n");
        return 1;
    }
    if (hk_config_check(&sv.cfg, "serve", err, sizeof err) != 0) {
        fprintf(stderr, "hark serve: %s\n", err);
        hk_config_free(&sv.cfg);
        return 1;
    }
    if (workers > 1) {
        int rc = hk_supervise(&sv.cfg, workers);
        if (rc >= 0) { /* the supervisor is done */
            hk_config_free(&sv.cfg);
            return rc;
        }
    }
    hk_provider_settings_load(&sv.cfg);
    hk_worker w;
    if (hk_worker_init(&w, &sv.cfg, 0, 2, err, sizeof err) != 0) {
        fprintf(stderr, "hark serve: %s\n", err);
        hk_config_free(&sv.cfg);
        return 1;
    }
    sv.app.loop = w.loop;
    sv.app.clock = w.clock;
    sv.app.vm = w.vm;
    sv.app.cfg = &sv.cfg;
    int rc = 1;
    if (hk_app_init_urls(&sv.app, err, sizeof err) != 0) {
        fprintf(stderr, "hark serve: %s\n", err);
        goto out;
    }
    const char *recdir = hk_config_str(&sv.cfg, HK_CFG_HARK_RECORDINGS_DIR);
    if (recdir && hk_mkdirs(recdir) != 0) {
        fprintf(stderr, "hark serve: cannot create HARK_RECORDINGS_DIR %s: %s\n", recdir,
                strerror(errno));
        goto out;
    }
    sv.store = hk_store_from_env(&sv.cfg, w.loop, w.pool, err, sizeof err);
    if (!sv.store) {
        fprintf(stderr, "hark serve: store: %s\n", err);
        goto out;
    }
    sv.app.store = sv.store;
    { /* server messages (api/webhooks): their queue beside the store's spool */
        const char *spool = hk_config_str(&sv.cfg, HK_CFG_HARK_SPOOL_PATH);
        char whpath[600];
        hk_webhooks_path_for_spool(spool && *spool ? spool : "var/store-spool.jsonl", whpath,
                                   sizeof whpath);
        if (hk_mkdirs_parent(whpath) != 0) { /* var/ may not exist yet */
            fprintf(stderr, "hark serve: the directory of %s: %s (set HARK_SPOOL_PATH)\n", whpath, strerror(errno));
            goto out;
        }
        hk_webhooks_set_config(&sv.cfg);
        if (hk_webhooks_init(w.loop, w.pool, whpath, err, sizeof err) != 0) {
            fprintf(stderr, "hark serve: webhooks: %s\n", err);
            goto out;
        }
    }
    const char *dir = hk_config_str(&sv.cfg, HK_CFG_HARK_AGENTS_DIR);
    sv.app.agents = hk_agent_dir_open(w.vm, w.loop, dir ? dir : "agents");
    sv.app.http = hk_http_client_new(w.loop);
    if (hk_call_limits_init(w.loop, &sv.cfg, err, sizeof err) != 0) {
        fprintf(stderr, "hark serve: %s\n", err);
        goto out;
    }
    { /* the dashboard: its files (read once) and its live events socket */
        const char *wd = hk_config_str(&sv.cfg, HK_CFG_HARK_WEB_DIR);
        hk_web *web = hk_web_load(wd && *wd ? wd : HARK_SOURCE_DIR "/web", err, sizeof err);
        if (!web) hk_log(HK_LOG_WARN, NULL, "web_not_loaded", "no dashboard: %s", err);
        hk_web_set_global(web);
        if (hk_events_init(&sv.app, err, sizeof err) != 0) {
            fprintf(stderr, "hark serve: events: %s\n", err);
            goto out;
        }
    }
    w.vm->dial = serve_dial;
    w.vm->dial_ud = &sv.app;
    int port = (int)hk_config_long(&sv.cfg, HK_CFG_HARK_PORT, 8080);
    hk_server_handlers h = {.ud = &sv.app, .http = hk_routes_http, .ws_accept = hk_routes_ws_accept,
                            .ws_open = hk_routes_ws_open,
                            .ws_text = hk_routes_ws_text, .ws_closed = hk_routes_ws_closed,
                            .max_connections = (int)hk_config_long(&sv.cfg, HK_CFG_HARK_MAX_CONNECTIONS, 0)};
    sv.srv = hk_server_new(w.loop, port, workers > 1 ? HK_SERVER_SHARE_PORT : 0, &h, err, sizeof err);
    if (!sv.srv) {
        fprintf(stderr, "hark serve: %s\n", err);
        goto out;
    }
    hk_log(HK_LOG_INFO, NULL, "serve_ready", "%d agent(s) from %s; listening on port %d; webhook %s",
           hk_agent_dir_count(sv.app.agents), dir, hk_server_port(sv.srv), sv.app.webhook_url);
    ev_signal sint, sterm, shup;
    ev_signal_init(&sint, on_term, SIGINT);
    ev_signal_init(&sterm, on_term, SIGTERM);
    ev_signal_init(&shup, on_hup, SIGHUP);
    sint.data = sterm.data = shup.data = &sv;
    ev_signal_start(w.loop, &sint);
    ev_signal_start(w.loop, &sterm);
    ev_signal_start(w.loop, &shup);
    ev_run(w.loop, 0);
    ev_signal_stop(w.loop, &sint);
    ev_signal_stop(w.loop, &sterm);
    ev_signal_stop(w.loop, &shup);
    ev_timer_stop(w.loop, &sv.drain);
    rc = 0;
out:
    hk_server_free(sv.srv); /* closes streams: their calls end and are freed */
    if (sv.store) {
        /* let queued call records reach the database (or the spool), up to 5 s */
        for (int i = 0; i < 500 && hk_store_pending(sv.store) > 0; i++) {
            ev_run(w.loop, EVRUN_NOWAIT);
            struct timespec d = {0, 10 * 1000 * 1000};
            nanosleep(&d, NULL); /* shutting down: no call is served any more */
        }
        hk_store_free(sv.store);
    }
    hk_agent_dir_free(sv.app.agents);
    hk_events_shutdown();
    hk_web_free(hk_web_global());
    hk_web_set_global(NULL);
    hk_worker_free(&w); /* first: a finishing pool job may still start a request */
    hk_call_limits_shutdown();
    hk_http_client_free(sv.app.http);
    hk_config_free(&sv.cfg);
    return rc;
}
