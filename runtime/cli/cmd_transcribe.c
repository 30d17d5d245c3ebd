/* cli/cmd_transcribe: `hark transcribe --wav F` runs a recording through the
 * offline recogniser the way a call does: 20 ms mu-law frames, hark's VAD to
 * cut utterances, one transcript line per utterance. With --agent the agent's
 * recognition hints are used; --phrase adds more. Used by the tests to check
 * what the agent's audio actually said. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "media/g711.h"
#include "media/vad.h"
#include "providers/provider.h"

#define MAX_HINTS 512

typedef struct tstate {
    int expected, got;
    struct ev_loop *loop;
} tstate;

static void on_text(void *ud, uint64_t utt, const char *text, int is_final, double conf) {
    tstate *s = ud;
    if (!is_final) return;
    printf("%llu\t%.2f\t%s\n", (unsigned long long)utt, conf, text);
    fflush(stdout);
    if (++s->got >= s->expected) ev_break(s->loop, EVBREAK_ALL);
}

static void on_err(void *ud, const char *msg) {
    tstate *s = ud;
    fprintf(stderr, "hark transcribe: %s\n", msg);
    ev_break(s->loop, EVBREAK_ALL);
}

int hk_cmd_transcribe(int argc, char **argv, const hk_config *cfg) {
    static struct option opts[] = {{"wav", required_argument, 0, 'w'},
                                   {"channel", required_argument, 0, 'c'},
                                   {"agent", required_argument, 0, 'a'},
                                   {"phrase", required_argument, 0, 'p'},
                                   {"help", no_argument, 0, 'h'},
                                   {0, 0, 0, 0}};
    const char *wav = NULL, *agent_path = NULL;
    const char *hints[MAX_HINTS];
    size_t n_hints = 0;
    int channel = -1, o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'w': wav = optarg; break;
        case 'c': channel = strcmp(optarg, "left") == 0 ? 0 : strcmp(optarg, "right") == 0 ? 1 : -1; break;
        case 'a': agent_path = optarg; break;
        case 'p': if (n_hints < MAX_HINTS) hints[n_hints++] = optarg; break;
        case 'h':
        default:
            printf("usage: hark transcribe --wav F [--channel left|right|mix] [--agent FILE] "
                   "[--phrase P]...\n\nPrints one line per utterance: number, confidence, text.\n");
            return o == 'h' ? 0 : 2;
        }
    }
    if (!wav) {
        fprintf(stderr, "hark transcribe: --wav is required\n");
        return 2;
    }
    char err[1024];
    int16_t *pcm;
    size_t n;
    if (hk_wav_pcm8k(wav, channel, &pcm, &n, err, sizeof err) != 0) {
        fprintf(stderr, "hark transcribe: %s\n", err);
        return 1;
    }
    hk_worker w;
    if (hk_worker_init(&w, cfg, 0, 2, err, sizeof err) != 0) {
        fprintf(stderr, "hark transcribe: %s\n", err);
        free(pcm);
        return 1;
    }
    hk_agent *a = NULL;
    if (agent_path) {
        a = hk_agent_load(w.vm, agent_path, 1, err, sizeof err);
        if (!a) {
            fprintf(stderr, "hark transcribe: %s\n", err);
            free(pcm);
            hk_worker_free(&w);
            return 1;
        }
        for (size_t i = 0; i < a->n_phrases && n_hints < MAX_HINTS; i++) hints[n_hints++] = a->phrases[i];
    }
    tstate st = {0, 0, w.loop};
    hk_stt_config sc = {.provider = "sphinx", .language = "en", .phrases = hints, .n_phrases = n_hints};
    hk_stt_sink sink = {.ud = &st, .transcript = on_text, .error = on_err};
    const hk_stt_vtable *v = hk_stt_find("sphinx");
    hk_stt *stt = v->open(w.loop, &sc, &sink, err, sizeof err);
    int rc = 1;
    if (!stt) {
        fprintf(stderr, "hark transcribe: %s\n", err);
        goto out;
    }
    hk_vad_config vc;
    hk_vad_config_default(&vc);
    hk_vad vad;
    hk_vad_init(&vad, &vc, 8000);
    int in_speech = 0;
    for (size_t off = 0; off + 160 <= n; off += 160) {
        uint8_t u[160];
        int16_t p[160];
        hk_ulaw_encode_buf(pcm + off, u, 160);
        hk_ulaw_decode_buf(u, p, 160);
        hk_vad_event ev = hk_vad_process(&vad, p, 160);
        if (ev == HK_VAD_SPEECH_START) in_speech = 1;
        /* whole file to the recogniser, cut where the VAD ends a segment */
        v->push(stt, u, p, 160);
        if (ev == HK_VAD_SPEECH_END && in_speech) {
            in_speech = 0;
            v->end_utterance(stt, (uint64_t)++st.expected);
        }
    }
    v->end_utterance(stt, (uint64_t)++st.expected);
    ev_run(w.loop, 0);
    rc = st.got == st.expected ? 0 : 1;
    v->close(stt);
out:
    if (a) hk_agent_unref(a);
    free(pcm);
    hk_worker_free(&w);
    return rc;
}
