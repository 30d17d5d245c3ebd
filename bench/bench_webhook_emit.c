/* bench/bench_webhook_emit: what sending Vapi server messages adds to the
 * audio path. Call events are emitted inside the pacer's tick (speech,
 * transcript, conversation), so the time api/webhooks spends in its event
 * callback (build the body, queue it, start the request on the shared curl
 * client) is time that tick takes. Measured per event type for a call whose
 * record holds N messages, each request started and refused (nothing listens
 * on the port) before the next event, so every event is built and sent; a
 * slow receiver costs the loop less (past 16 waiting, events are dropped
 * before they are built). Prints microseconds per event, p50 and p99.
 *   bench_webhook_emit [N messages, default 40] [events per type, default 2000] */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/call.h"
#include "agent/call_events.h"
#include "api/webhooks.h"
#include "core/pool.h"

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int n_msgs = argc > 1 ? atoi(argv[1]) : 40, n = argc > 2 ? atoi(argv[2]) : 2000;
    if (n_msgs < 1 || n < 10) return 2;
    struct ev_loop *loop = ev_loop_new(0);
    hk_clock *clock = hk_clock_new(loop, 0);
    char err[256];
    if (hk_webhooks_init(loop, NULL, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    hk_agent agent = {.id = "bench", .name = "Bench", .system_prompt = "Be brief.",
                      .server_url = "http://127.0.0.1:9/hook", .server_secret = "s3cret",
                      .server_timeout_s = 20,
                      .server_messages = HK_SM_DEFAULT | HK_SM_TRANSCRIPT};
    hk_call c = {.agent = &agent, .clock = clock, .inbound = 1};
    snprintf(c.id, sizeof c.id, "CAbench");
    snprintf(c.from, sizeof c.from, "+15551230000");
    c.msgs = calloc((size_t)n_msgs, sizeof *c.msgs);
    for (int i = 0; i < n_msgs; i++) {
        c.msgs[i].role = i % 2 ? HK_ROLE_USER : HK_ROLE_ASSISTANT;
        c.msgs[i].text = strdup(i % 2 ? "I would like to book a table for two on Friday at eight."
                                      : "Certainly, let me check what we have on Friday evening.");
        c.msgs[i].start = i;
        c.msgs[i].end = i + 0.8;
        c.msgs[i].turn = i / 2;
    }
    c.n_msgs = n_msgs;
    struct {
        const char *name;
        hk_call_event ev;
    } kinds[] = {
        {"speech-update", {.type = HK_CE_SPEECH, .role = "assistant", .status = "started", .turn = 3}},
        {"transcript", {.type = HK_CE_TRANSCRIPT, .role = "user", .text = "book a table", .final = 1}},
        {"conversation-update", {.type = HK_CE_CONVERSATION, .turn = 3}},
    };
    double *t = malloc((size_t)n * sizeof *t);
    printf("webhook event cost on the loop, %d messages in the call, %d events per type\n", n_msgs, n);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (int i = 0; i < n; i++) {
            double t0 = now_us();
            hk_call_emit(&c, &kinds[k].ev);
            t[i] = now_us() - t0;
            /* the refused request finishes before the next event: each one
             * is built and started (none dropped) */
            for (int w = 0; w < 1000 && hk_webhooks_pending() > 0; w++) ev_run(loop, EVRUN_ONCE);
        }
        qsort(t, (size_t)n, sizeof *t, cmp);
        printf("  %-20s p50 %7.1f us  p99 %7.1f us  max %7.1f us\n", kinds[k].name, t[n / 2],
               t[n * 99 / 100], t[n - 1]);
    }
    long dropped = 0, sent = 0;
    hk_webhooks_stats(&dropped, &sent);
    printf("  dropped (receiver slower than the events): %ld\n", dropped);
    hk_webhooks_shutdown();
    for (int i = 0; i < n_msgs; i++) free(c.msgs[i].text);
    free(c.msgs);
    free(t);
    hk_clock_free(clock);
    ev_loop_destroy(loop);
    return 0;
}
