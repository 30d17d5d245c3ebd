/* cli/cmd_call: `hark call`, one whole simulated phone call through the same
 * call pipeline hark serve uses. A simulated caller sends 20 ms mu-law frames
 * (silence between lines, like an open phone line), speaks its next line once
 * the agent has finished and stayed quiet for a moment, and hangs up after its
 * last line has been answered. Prints the transcript with per-turn latencies
 * and writes the stereo recording and the JSON transcript. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/agent_dir.h"
#include "agent/call.h"
#include "core/config.h"
#include "providers/settings.h"
#include "api/webhooks.h"
#include "cli/cli.h"
#include "core/log.h"
#include "media/g711.h"
#include "store/store.h"

#define MAX_LINES 64

typedef struct caller {
    hk_call *call;
    hk_worker *w;
    uint8_t *lines[MAX_LINES];
    size_t line_len[MAX_LINES];
    double barge_after[MAX_LINES]; /* >= 0: speak this long into the agent's reply */
    const char *text[MAX_LINES];   /* what a --caller-text line says (NULL for WAVs) */
    int n_lines;
    int line;        /* line being spoken or next to speak */
    size_t pos;      /* bytes of the current line sent */
    int speaking;
    double quiet_since;
    double talk_since;  /* when the agent's current stretch of speech began */
    double gap_s;    /* how long the agent must be quiet before the caller talks */
    double max_s;
    double hold_s;      /* after the last line, stay on the line this long */
    hk_timer tick;
    int done;
    char reason[64];
} caller;

static void on_agent_audio(void *ud, const uint8_t *ulaw, size_t n) {
    (void)ud;
    (void)ulaw;
    (void)n; /* the recorder inside the call keeps what the caller heard */
}

static void on_ended(void *ud, const char *reason) {
    caller *cl = ud;
    cl->done = 1;
    snprintf(cl->reason, sizeof cl->reason, "%s", reason);
    ev_break(cl->w->loop, EVBREAK_ALL);
}

static void caller_tick(hk_timer *t, void *ud) {
    caller *cl = ud;
    hk_call *c = cl->call;
    if (cl->done || c->ended) return;
    double now = hk_call_now(c);
    uint8_t frame[HK_FRAME_SAMPLES];
    memset(frame, HK_ULAW_SILENCE, sizeof frame);
    if (cl->speaking) {
        size_t left = cl->line_len[cl->line] - cl->pos;
        size_t n = left < HK_FRAME_SAMPLES ? left : HK_FRAME_SAMPLES;
        memcpy(frame, cl->lines[cl->line] + cl->pos, n);
        cl->pos += n;
        if (cl->pos >= cl->line_len[cl->line]) {
            cl->speaking = 0;
            cl->line++;
            cl->quiet_since = -1;
        }
    } else if (cl->line < cl->n_lines && cl->barge_after[cl->line] >= 0) {
        /* this line interrupts: wait for the agent to talk, then cut in (a
         * reply still being synthesised counts, gaps between clauses too) */
        int talking = hk_session_speaking(c);
        if (!talking) cl->talk_since = -1;
        else if (cl->talk_since < 0) cl->talk_since = now;
        if (talking && now - cl->talk_since >= cl->barge_after[cl->line]) {
            cl->speaking = 1;
            cl->pos = 0;
        }
    } else if (!hk_call_idle(c)) {
        cl->quiet_since = -1;
    } else {
        if (cl->quiet_since < 0) cl->quiet_since = now;
        if (now - cl->quiet_since >= cl->gap_s) {
            if (cl->line < cl->n_lines) {
                cl->speaking = 1;
                cl->pos = 0;
            } else if (now - cl->quiet_since >= cl->gap_s + cl->hold_s) {
                hk_call_end(c, "customer-ended-call");
                return;
            }
        }
    }
    if (now > cl->max_s) {
        hk_call_end(c, "exceeded-max-duration");
        return;
    }
    hk_session_feed(c, frame, HK_FRAME_SAMPLES);
    if (!c->ended) hk_timer_start(cl->w->clock, t, HK_FRAME_MS / 1000.0, caller_tick, cl);
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: hark call --agent FILE (--caller-wav F | --caller-text LINE)... [options]\n\n"
            "Holds one phone call offline: the caller's lines enter as 20 ms 8 kHz mu-law frames\n"
            "(as Twilio sends them), pass VAD endpointing, speech recognition, the agent's Lua\n"
            "hooks and speech synthesis, and the reply is paced out frame by frame.\n\n"
            "  --agent FILE         the agent file (agents/front_desk.lua)\n"
            "  --assistant-json F   instead of --agent: an API assistant (Vapi's JSON, as POST\n"
            "                       /assistant takes it), run as the API would run it\n"
            "  --caller-wav F       a caller line as a WAV (any common rate, mono or stereo);\n"
            "                       repeat for several lines, each spoken when the agent is quiet\n"
            "  --caller-text LINE   a caller line, synthesised with espeak-ng; repeatable\n"
            "                       (prefix \"@S:\" to either: speak S seconds into the agent's\n"
            "                       next reply instead of waiting, i.e. barge in)\n"
            "  --out F              write the call as a stereo WAV (left caller, right agent)\n"
            "  --transcript F       write the JSON transcript with per-turn latencies\n"
            "  --realtime           run at wall-clock speed (default: simulated time that skips\n"
            "                       idle waits but runs engine work in real time)\n"
            "  --gap-ms N           agent quiet time before the caller speaks (default 700)\n"
            "  --max-seconds N      end the call after N seconds of call time (default 300)\n"
            "  --hold-seconds N     after its last line the caller stays silent on the line\n"
            "                       this long before hanging up (default 1.5)\n"
            "  --from NUM, --to NUM caller and called numbers (default +15550100, +15550199)\n"
            "  --store              write the call record to the store as a phone call does\n"
            "                       (PostgreSQL at DATABASE_URL, else the private cluster;\n"
            "                       HARK_STORE=memory for none; run hark migrate first)\n"
            "  --assistant-id ID    the API assistant ID from the store (with --store), loaded\n"
            "                       as a phone call loads it (model.toolIds read from /tool)\n"
            "  --tenant ID          the organisation of --assistant-id (default: the default one)\n"
            "  --quiet              do not print the transcript\n");
}

static void free_lines(caller *cl) {
    for (int i = 0; i < cl->n_lines; i++) free(cl->lines[i]);
    cl->n_lines = 0;
}

/* Lower-case words of s into w (at most max), letters, digits and ' only. */
static int split_words(const char *s, char w[][32], int max) {
    int n = 0, k = 0;
    for (;; s++) {
        char ch = *s;
        int word = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '\'';
        if (word && k < 31 && n < max) w[n][k++] = (char)(ch | (ch >= 'A' && ch <= 'Z' ? 0x20 : 0));
        if ((!word || !*s) && k) {
            w[n++][k] = 0;
            k = 0;
        }
        if (!*s) break;
    }
    return n;
}

/* Word errors (substitutions + insertions + deletions) of hyp against ref. */
static int word_errors(const char *ref, const char *hyp, int *nref) {
    char r[64][32], h[64][32];
    int nr = split_words(ref, r, 64), nh = split_words(hyp, h, 64);
    int d[65][65];
    for (int i = 0; i <= nr; i++) d[i][0] = i;
    for (int j = 0; j <= nh; j++) d[0][j] = j;
    for (int i = 1; i <= nr; i++)
        for (int j = 1; j <= nh; j++) {
            int sub = d[i - 1][j - 1] + (strcmp(r[i - 1], h[j - 1]) != 0);
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    *nref = nr;
    return d[nr][nh];
}

/* How well the recogniser heard the caller lines given as text. */
static void print_accuracy(const caller *cl) {
    int words = 0, errors = 0, line = 0, lines = 0;
    for (int i = 0; i < cl->call->n_msgs && line < cl->n_lines; i++) {
        const hk_message *m = &cl->call->msgs[i];
        if (m->role != HK_ROLE_USER) continue;
        if (cl->text[line]) {
            int nref;
            errors += word_errors(cl->text[line], m->text, &nref);
            words += nref;
            lines++;
        }
        line++;
    }
    if (words > 0)
        printf("\nrecognition of the %d caller line(s): %d words, %d errors, word accuracy %.0f%%\n",
               lines, words, errors, 100.0 * (words - errors) / words);
}

static void print_transcript(const hk_call *c) {
    printf("\ncall %s with agent '%s' (version %d), ended: %s after %.1f s\n\n", c->id,
           c->agent->name, c->agent->version, c->end_reason, hk_call_now(c));
    for (int i = 0; i < c->n_msgs; i++) {
        const hk_message *m = &c->msgs[i];
        if (m->dropped) continue;
        if (m->role == HK_ROLE_TOOL_CALLS || m->role == HK_ROLE_TOOL_RESULT) {
            /* arguments and results are caller content: their size only */
            printf("[%6.2fs] %-6s %s (%zu bytes)\n", m->start < 0 ? 0 : m->start, "tool",
                   m->role == HK_ROLE_TOOL_CALLS ? "calls" : "result", strlen(m->tool_json ? m->tool_json : ""));
            continue;
        }
        printf("[%6.2fs] %-6s %s\n", m->start < 0 ? 0 : m->start, m->role ? "caller" : "agent",
               m->text);
        if (m->role && m->turn >= 0) {
            const hk_turn *t = &c->turns[m->turn];
            if (t->first_audio >= 0 && t->llm_first_token >= 0)
                printf("          turn %d: stt %.0f ms, llm first token %.0f ms, first clause %.0f ms, "
                       "tts first audio %.0f ms, first frame %.0f ms: %.0f ms from end of speech "
                       "to agent audio\n",
                       m->turn + 1, (t->stt_final - t->user_end) * 1000,
                       (t->llm_first_token - t->stt_final) * 1000,
                       (t->reply_ready - t->stt_final) * 1000,
                       (t->tts_first_audio - t->stt_final) * 1000,
                       (t->first_audio - t->stt_final) * 1000,
                       (t->first_audio - t->user_end) * 1000);
            else if (t->first_audio >= 0)
                printf("          turn %d: stt %.0f ms, reply %.0f ms, first audio %.0f ms: "
                       "%.0f ms from end of speech to agent audio\n",
                       m->turn + 1, (t->stt_final - t->user_end) * 1000,
                       (t->reply_ready - t->stt_final) * 1000,
                       (t->first_audio - t->reply_ready) * 1000,
                       (t->first_audio - t->user_end) * 1000);
        }
    }
}

/* --assistant-json: the file's JSON as an API assistant (agent_json.c); its
 * id is the file's stem. */
static hk_agent *load_assistant_json(hk_vm *vm, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %m", path);
        return NULL;
    }
    char *text = malloc(1024 * 1024 + 1);
    if (!text) abort();
    size_t n = fread(text, 1, 1024 * 1024, f);
    int big = !feof(f);
    fclose(f);
    text[n] = 0;
    hk_agent *a = NULL;
    if (big) {
        snprintf(err, errlen, "%s: larger than 1 MB", path);
    } else {
        const char *base = strrchr(path, '/');
        char id[128], msg[900];
        snprintf(id, sizeof id, "%s", base ? base + 1 : path);
        id[strcspn(id, ".")] = 0;
        a = hk_agent_load_json(vm, id, text, 1, msg, sizeof msg);
        if (!a) snprintf(err, errlen, "%s: %s", path, msg);
    }
    free(text);
    return a;
}

/* --assistant-id: the assistant as a phone call gets it (agent_dir.c: the
 * store's document, its toolIds read), waiting on the loop for the reads. */
typedef struct id_load {
    int done;
    hk_agent *agent;
    char err[512];
} id_load;

static void id_loaded(void *ud, hk_agent *a, long long version_ms, const char *err) {
    (void)version_ms;
    id_load *l = ud;
    l->done = 1;
    l->agent = a;
    snprintf(l->err, sizeof l->err, "%s", err ? err : "no such assistant");
}

static void probe_done(void *ud, cJSON *doc, const char *err) {
    id_load *l = ud;
    l->done = 1;
    snprintf(l->err, sizeof l->err, "%s", err ? err : "");
    cJSON_Delete(doc);
}

static void nap_done(struct ev_loop *loop, ev_timer *t, int revents) {
    (void)t;
    (void)revents;
    ev_break(loop, EVBREAK_ONE);
}

static hk_agent *load_assistant_id(hk_worker *w, hk_store *store, const char *tenant, const char *id,
                                   char *err, size_t errlen) {
    hk_agent_dir *d = hk_agent_dir_open(w->vm, NULL, NULL);
    id_load l = {0};
    /* the store connects on the loop: until it is up, reads fail; ask the
     * store directly (every 50 ms, for up to 10 s) before the registry,
     * which logs a failed read as an error */
    for (int attempt = 0; attempt < 200; attempt++) {
        l = (id_load){0};
        hk_store_doc_get(store, HK_DOC_ASSISTANT, tenant, id, probe_done, &l);
        for (int i = 0; !l.done && i < 100000; i++) ev_run(w->loop, EVRUN_ONCE);
        if (!strstr(l.err, "unavailable")) break;
        ev_timer t;
        ev_timer_init(&t, nap_done, 0.05, 0);
        ev_timer_start(w->loop, &t);
        ev_run(w->loop, 0); /* the store's watchers are busy too: nap_done breaks out */
        ev_timer_stop(w->loop, &t);
    }
    l = (id_load){0};
    hk_agent_dir_get_api(d, store, tenant, id, 0, id_loaded, &l);
    for (int i = 0; !l.done && i < 100000; i++) ev_run(w->loop, EVRUN_ONCE);
    hk_agent_dir_free(d); /* the call holds its own reference */
    if (!l.agent) snprintf(err, errlen, "assistant %s: %s", id, l.done ? l.err : "the store did not answer");
    return l.agent;
}

int hk_cmd_call(int argc, char **argv, const hk_config *cfg) {
    static struct option opts[] = {{"agent", required_argument, 0, 'a'},
                                   {"caller-wav", required_argument, 0, 'w'},
                                   {"caller-text", required_argument, 0, 't'},
                                   {"out", required_argument, 0, 'o'},
                                   {"transcript", required_argument, 0, 'j'},
                                   {"realtime", no_argument, 0, 'r'},
                                   {"gap-ms", required_argument, 0, 'g'},
                                   {"max-seconds", required_argument, 0, 'm'},
                                   {"from", required_argument, 0, 'f'},
                                   {"to", required_argument, 0, 'T'},
                                   {"quiet", no_argument, 0, 'q'},
                                   {"hold-seconds", required_argument, 0, 'H'},
                                   {"store", no_argument, 0, 'S'},
                                   {"assistant-json", required_argument, 0, 'J'},
                                   {"assistant-id", required_argument, 0, 'I'},
                                   {"tenant", required_argument, 0, 'N'},
                                   {"help", no_argument, 0, 'h'},
                                   {0, 0, 0, 0}};
    const char *agent_path = NULL, *out = NULL, *tjson = NULL, *assistant_json = NULL;
    const char *assistant_id = NULL, *tenant = HK_DEFAULT_TENANT;
    const char *from = "+15550100", *to = "+15550199";
    int realtime = 0, quiet = 0, use_store = 0;
    hk_store *store = NULL;
    caller cl;
    memset(&cl, 0, sizeof cl);
    cl.gap_s = 0.7;
    cl.max_s = 300;
    cl.hold_s = 1.5;
    cl.quiet_since = -1;
    cl.talk_since = -1;
    char err[1024];
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'a': agent_path = optarg; break;
        case 'w':
        case 't':
            cl.barge_after[cl.n_lines] = -1;
            if (optarg[0] == '@' && strchr(optarg, ':')) { /* "@1.5:line": barge in 1.5 s into a reply */
                cl.barge_after[cl.n_lines] = atof(optarg + 1);
                optarg = strchr(optarg, ':') + 1;
            }
            if (cl.n_lines >= MAX_LINES) {
                fprintf(stderr, "hark call: at most %d caller lines\n", MAX_LINES);
                free_lines(&cl);
                return 2;
            }
            cl.text[cl.n_lines] = o == 't' ? optarg : NULL;
            if ((o == 'w' ? hk_caller_audio_wav(optarg, &cl.lines[cl.n_lines],
                                                &cl.line_len[cl.n_lines], err, sizeof err)
                          : hk_caller_audio_text(optarg, &cl.lines[cl.n_lines],
                                                 &cl.line_len[cl.n_lines], err, sizeof err)) != 0) {
                fprintf(stderr, "hark call: %s\n", err);
                free_lines(&cl);
                return 1;
            }
            cl.n_lines++;
            break;
        case 'o': out = optarg; break;
        case 'j': tjson = optarg; break;
        case 'r': realtime = 1; break;
        case 'g': cl.gap_s = atof(optarg) / 1000.0; break;
        case 'm': cl.max_s = atof(optarg); break;
        case 'f': from = optarg; break;
        case 'T': to = optarg; break;
        case 'q': quiet = 1; break;
        case 'H': cl.hold_s = atof(optarg); break;
        case 'S': use_store = 1; break;
        case 'J': assistant_json = optarg; break;
        case 'I': assistant_id = optarg; use_store = 1; break;
        case 'N': tenant = optarg; break;
        case 'h': usage(stdout); free_lines(&cl); return 0;
        default: usage(stderr); free_lines(&cl); return 2;
        }
    }
    if ((agent_path != NULL) + (assistant_json != NULL) + (assistant_id != NULL) != 1) {
        fprintf(stderr, "hark call: one of --agent, --assistant-json or --assistant-id is required\n\n");
        usage(stderr);
        free_lines(&cl);
        return 2;
    }
    /* the same checks as serve (ranges, choices, URLs): a bad value is named
     * here, not found mid-call */
    if (hk_config_check(cfg, "call", err, sizeof err) != 0) {
        fprintf(stderr, "hark call: %s\n", err);
        free_lines(&cl);
        return 1;
    }
    hk_worker w;
    if (hk_worker_init(&w, cfg, !realtime, 2, err, sizeof err) != 0) {
        fprintf(stderr, "hark call: %s\n", err);
        free_lines(&cl);
        return 1;
    }
    cl.w = &w;
    { /* an assistant's metadata.hark.script is read from the agents directory */
        const char *adir = hk_config_str(cfg, HK_CFG_HARK_AGENTS_DIR);
        snprintf(w.vm->agents_dir, sizeof w.vm->agents_dir, "%s", adir ? adir : "agents");
    }
    int rc = 1;
    if (assistant_id && !(store = hk_store_from_env(cfg, w.loop, w.pool, err, sizeof err))) {
        fprintf(stderr, "hark call: store: %s\n", err);
        goto out;
    }
    hk_agent *agent = agent_path       ? hk_agent_load(w.vm, agent_path, 1, err, sizeof err)
                      : assistant_json ? load_assistant_json(w.vm, assistant_json, err, sizeof err)
                                       : load_assistant_id(&w, store, tenant, assistant_id, err, sizeof err);
    if (!agent) {
        fprintf(stderr, "hark call: %s\n", err);
        goto out;
    }
    /* keys and base URLs of cloud providers, from the environment and .env */
    hk_provider_settings_load(cfg);
    /* a streaming transcriber listens at the pace of real audio, so a call
     * with one runs at wall-clock speed */
    const hk_stt_vtable *sv = hk_stt_find(agent->stt_provider);
    if (!realtime && sv && sv->continuous && hk_clock_make_real(w.clock) == 0) {
        realtime = 1;
        if (!quiet) fprintf(stderr, "hark call: %s streams audio in real time: running at wall-clock speed\n",
                            agent->stt_provider);
    }
    if (use_store && !store && !(store = hk_store_from_env(cfg, w.loop, w.pool, err, sizeof err))) {
        fprintf(stderr, "hark call: store: %s\n", err);
        hk_agent_unref(agent);
        goto out;
    }
    { /* server messages: durable beside the spool when HARK_SPOOL_PATH is set */
        const char *spool = hk_config_str(cfg, HK_CFG_HARK_SPOOL_PATH);
        char whpath[600];
        if (spool && *spool) hk_webhooks_path_for_spool(spool, whpath, sizeof whpath);
        hk_webhooks_set_config(cfg);
        if (hk_webhooks_init(w.loop, w.pool, spool && *spool ? whpath : NULL, err, sizeof err) != 0) {
            fprintf(stderr, "hark call: webhooks: %s\n", err);
            hk_agent_unref(agent);
            goto out;
        }
    }
    char call_id[64];
    snprintf(call_id, sizeof call_id, "SIM%lx%05x", (unsigned long)time(NULL), (unsigned)getpid() & 0xfffff);
    hk_call_opts co = {.loop = w.loop, .clock = w.clock, .id = call_id, .from = from,
                       .to = to, .record = 1, .store = store, .inbound = 1, .tenant_id = tenant,
                       .recording_url = out};
    hk_vad_config_default(&co.vad);
    hk_call_io io = {.ud = &cl, .send_audio = on_agent_audio, .ended = on_ended};
    cl.call = hk_call_new(agent, &co, &io, err, sizeof err);
    hk_agent_unref(agent);
    if (!cl.call) {
        fprintf(stderr, "hark call: %s\n", err);
        goto out;
    }
    hk_call_start(cl.call);
    if (!cl.call->ended) hk_timer_start(w.clock, &cl.tick, HK_FRAME_MS / 1000.0, caller_tick, &cl);
    ev_run(w.loop, 0);
    hk_timer_stop(w.clock, &cl.tick);
    if (!cl.call->ended) hk_call_end(cl.call, "pipeline-stalled");

    rc = 0;
    if (!quiet) {
        print_transcript(cl.call);
        print_accuracy(&cl);
    }
    if (out && hk_recorder_write_wav(cl.call->rec, out, err, sizeof err) != 0) {
        fprintf(stderr, "hark call: %s\n", err);
        rc = 1;
    }
    if (tjson && hk_call_write_transcript(cl.call, tjson, err, sizeof err) != 0) {
        fprintf(stderr, "hark call: %s\n", err);
        rc = 1;
    }
    if (store) { /* let the record reach the database (or the spool) */
        for (int i = 0; i < 1000 && hk_store_pending(store) > 0; i++) ev_run(w.loop, EVRUN_ONCE);
        if (hk_store_pending(store) > 0)
            fprintf(stderr, "hark call: %d record(s) not yet stored (spooled for replay)\n",
                    hk_store_pending(store));
        if (!quiet) printf("\nstored as call %s\n", call_id);
    }
    /* let server messages reach the agent's server URL (retries included) */
    while (hk_webhooks_pending() > 0) ev_run(w.loop, EVRUN_ONCE);
    if (!quiet && out) printf("\nrecording: %s\n", out);
    if (!quiet && tjson) printf("transcript: %s\n", tjson);
    hk_call_free(cl.call);
out:
    free_lines(&cl);
    hk_store_free(store);
    hk_worker_free(&w);
    return rc;
}
