/* tests/unit/providers/fake_llm_proc: what the LLM client tests share: start
 * tests/fakes/fake_llm.py as a child (python3, --port 0, read `port N`), stop
 * it, read its --log lines, a recording hk_llm_sink and loop runners with a
 * wall-clock limit. Header-only, included after <cmocka.h> and guarded_run.h. */
#ifndef HK_TEST_FAKE_LLM_PROC_H
#define HK_TEST_FAKE_LLM_PROC_H

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../fake_proc.h"
#include "providers/provider.h"

typedef struct fake_llm {
    pid_t pid;
    int port;
    char base[64];     /* http://127.0.0.1:N */
    char log[256];     /* its --log file */
} fake_llm;

/* Starts the fake with extra arguments (NULL-terminated list). */
static inline void fake_llm_start(fake_llm *f, const char *const *args) {
    static int seq;
    snprintf(f->log, sizeof f->log, "/tmp/hark-fake-llm-%d-%d.log", (int)getpid(), seq++);
    unlink(f->log);
    const char *argv[32];
    int n = 0;
    argv[n++] = "python3";
    argv[n++] = "tests/fakes/fake_llm.py";
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--log";
    argv[n++] = f->log;
    for (; args && *args && n < 31; args++) argv[n++] = *args;
    argv[n] = NULL;
    f->port = fake_proc_start(argv, &f->pid);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", f->port);
}

static inline void fake_llm_stop(fake_llm *f) {
    fake_proc_stop(&f->pid);
    unlink(f->log);
}

/* The i-th line (0-based) of the fake's log, parsed; NULL when missing. */
static inline cJSON *fake_llm_log(const fake_llm *f, int i) {
    FILE *fp = fopen(f->log, "r");
    if (!fp) return NULL;
    static char line[1 << 20];
    cJSON *j = NULL;
    for (int k = 0; fgets(line, sizeof line, fp); k++)
        if (k == i) {
            j = cJSON_Parse(line);
            break;
        }
    fclose(fp);
    return j;
}

static inline int fake_llm_log_count(const fake_llm *f) {
    FILE *fp = fopen(f->log, "r");
    if (!fp) return 0;
    int n = 0, c;
    while ((c = fgetc(fp)) != EOF) n += c == '\n';
    fclose(fp);
    return n;
}

/* ---- a sink that records ------------------------------------------------ */

typedef struct rec_call {
    char id[128], name[128], args[1024];
} rec_call;

typedef struct rec {
    struct ev_loop *loop;
    char text[8192];
    int n_tokens;
    double t_first_token, t_done;
    rec_call calls[8];
    int n_calls;
    int n_done, ok;
    char reason[512];
    int in_flight;     /* completions started (rec_start) and not done/cancelled */
    int after_done;    /* callbacks with nothing in flight: must stay 0 */
    /* what the test wants done from inside a callback */
    const hk_llm_vtable *vt;
    hk_llm *llm;
    int cancel_at_token;   /* cancel() inside the N-th token callback */
    int close_at_token;    /* close() inside the N-th token callback */
    int close_in_done;
    void (*on_done)(struct rec *r); /* e.g. complete() again */
    long use_prompt, use_completion; /* the usage callbacks, summed */
    int n_usage;
} rec;

static inline void rec_token(void *ud, const char *text, size_t len) {
    rec *r = ud;
    if (!r->in_flight) r->after_done++;
    if (r->n_tokens++ == 0) r->t_first_token = wall_now();
    size_t have = strlen(r->text);
    snprintf(r->text + have, sizeof r->text - have, "%.*s", (int)len, text);
    if (r->cancel_at_token == r->n_tokens) {
        r->vt->cancel(r->llm);
        r->in_flight = 0;
    }
    if (r->close_at_token == r->n_tokens) {
        r->vt->close(r->llm);
        r->llm = NULL;
    }
}

static inline void rec_tool_call(void *ud, const char *id, const char *name, const char *args) {
    rec *r = ud;
    if (!r->in_flight) r->after_done++;
    if (r->n_calls < 8) {
        rec_call *c = &r->calls[r->n_calls];
        snprintf(c->id, sizeof c->id, "%s", id);
        snprintf(c->name, sizeof c->name, "%s", name);
        snprintf(c->args, sizeof c->args, "%s", args);
    }
    r->n_calls++;
}

static inline void rec_done(void *ud, int ok, const char *reason) {
    rec *r = ud;
    if (!r->in_flight) r->after_done++;
    else r->in_flight--;
    r->n_done++;
    r->ok = ok;
    r->t_done = wall_now();
    snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
    if (r->close_in_done) {
        r->vt->close(r->llm);
        r->llm = NULL;
    }
    if (r->on_done) r->on_done(r);
}

static inline void rec_usage(void *ud, long prompt, long completion) {
    rec *r = ud;
    if (!r->in_flight) r->after_done++;
    r->n_usage++;
    r->use_prompt += prompt;
    r->use_completion += completion;
}

/* complete() through the recorder, so it knows what may call back */
static inline int rec_start(rec *r, const char *req) {
    int rc = r->vt->complete(r->llm, req);
    if (rc == 0) r->in_flight++;
    return rc;
}

static inline void rec_cancel(rec *r) {
    r->vt->cancel(r->llm);
    r->in_flight = 0;
}

static inline hk_llm_sink rec_sink(rec *r) {
    hk_llm_sink s = {.ud = r, .token = rec_token, .tool_call = rec_tool_call, .done = rec_done,
                     .usage = rec_usage};
    return s;
}

/* ---- loop runners ------------------------------------------------------ */

static inline void on_beat(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)w;
    (void)revents;
}

/* Run the loop until *flag >= want or limit seconds pass. */
static inline void run_until(struct ev_loop *loop, const int *flag, int want, double limit) {
    ev_timer beat; /* wakes EVRUN_ONCE so the wall-clock limit is seen */
    ev_timer_init(&beat, on_beat, 0.05, 0.05);
    ev_timer_start(loop, &beat);
    double t0 = wall_now();
    while (*flag < want && wall_now() - t0 < limit) ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &beat);
}

/* Run the loop for secs (to see that nothing more comes). */
static inline void run_for(struct ev_loop *loop, double secs) {
    int never = 0;
    run_until(loop, &never, 1, secs);
}

/* ---- faults ---------------------------------------------------------- */

/* Opens the provider under test on the fake at base (timeouts: first-token
 * and idle deadlines, 0 for the defaults). */
typedef hk_llm *(*fake_llm_open_fn)(rec *r, const char *base, const char *key, double timeouts);

/* The fake's fault kind on the first request only: exactly one done(0) whose
 * reason starts with reason, nothing after it, and the next request works. */
static inline void fake_llm_check_fault(struct ev_loop *loop, const hk_llm_vtable *vt,
                                        fake_llm_open_fn open, const char *kind, const char *reason) {
    fake_llm f;
    const char *args[] = {"--fault", kind, "--fault-count", "1", "--ttft-ms", "30",
                          "--tokens-per-s", "100", NULL};
    fake_llm_start(&f, args);
    rec r = {0};
    open(&r, f.base, "", 1.5);
    const char *req = "{\"messages\":[{\"role\":\"user\",\"content\":\"tell me a story please\"}]}";
    double t0 = wall_now();
    assert_int_equal(rec_start(&r, req), 0);
    run_until(loop, &r.n_done, 1, 15);
    print_message("fault %s: done(%d, %s) after %.2f s\n", kind, r.ok, r.reason, wall_now() - t0);
    assert_int_equal(r.n_done, 1);
    assert_int_equal(r.ok, 0);
    assert_true(strncmp(r.reason, reason, strlen(reason)) == 0);
    run_for(loop, 0.3);
    assert_int_equal(r.n_done, 1);
    assert_int_equal(r.after_done, 0);
    r.n_done = 0;
    r.text[0] = 0;
    assert_int_equal(rec_start(&r, req), 0);
    run_until(loop, &r.n_done, 1, 15);
    assert_int_equal(r.ok, 1);
    assert_string_equal(r.text, "I heard: tell me a story please");
    vt->close(r.llm);
    fake_llm_stop(&f);
}

#endif
