/* cli/cmd_synth: `hark synth --text T --out F.wav [--rate 8000]` writes speech
 * from the offline voice, e.g. to make caller audio for tests. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "media/resample.h"
#include "media/wav.h"
#include "providers/tts_espeak.h"

int hk_cmd_synth(int argc, char **argv, const hk_config *cfg) {
    (void)cfg; /* the offline voice needs no settings */
    static struct option opts[] = {{"text", required_argument, 0, 't'},
                                   {"out", required_argument, 0, 'o'},
                                   {"rate", required_argument, 0, 'r'},
                                   {"voice", required_argument, 0, 'v'},
                                   {"wpm", required_argument, 0, 'w'},
                                   {"help", no_argument, 0, 'h'},
                                   {0, 0, 0, 0}};
    const char *text = NULL, *out = NULL, *voice = HK_CALLER_VOICE;
    int rate = 0, wpm = 165, o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 't': text = optarg; break;
        case 'o': out = optarg; break;
        case 'r': rate = atoi(optarg); break;
        case 'v': voice = optarg; break;
        case 'w': wpm = atoi(optarg); break;
        case 'h':
        default:
            printf("usage: hark synth --text TEXT --out FILE.wav [--rate HZ] [--voice V] [--wpm N]\n\n"
                   "Synthesises TEXT with espeak-ng (22050 Hz, or resampled to --rate). The default\n"
                   "voice is the simulated callers' (" HK_CALLER_VOICE ").\n");
            return o == 'h' ? 0 : 2;
        }
    }
    if (!text || !out) {
        fprintf(stderr, "hark synth: --text and --out are required\n");
        return 2;
    }
    int16_t *pcm;
    size_t n;
    int sr;
    if (hk_espeak_synth_pcm(text, voice, wpm, &pcm, &n, &sr) != 0) {
        fprintf(stderr, "hark synth: synthesis failed (voice %s)\n", voice);
        return 1;
    }
    if (rate && rate != sr) {
        int16_t *r;
        size_t rn;
        if (hk_resample_buffer(sr, rate, pcm, n, &r, &rn) != 0) {
            fprintf(stderr, "hark synth: unsupported rate %d\n", rate);
            free(pcm);
            return 1;
        }
        free(pcm);
        pcm = r;
        n = rn;
        sr = rate;
    }
    char err[512];
    int rc = hk_wav_write_file(out, pcm, n, sr, 1, err, sizeof err);
    free(pcm);
    if (rc != 0) {
        fprintf(stderr, "hark synth: %s\n", err);
        return 1;
    }
    return 0;
}
