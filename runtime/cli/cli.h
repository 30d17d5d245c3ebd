/* cli: the hark subcommands, one file each, plus the few helpers they share
 * (a worker setup for one-shot commands, caller-audio preparation). */
#ifndef HK_CLI_H
#define HK_CLI_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/vm.h"
#include "core/config.h"
#include "core/clock.h"
#include "core/pool.h"

typedef struct hk_command {
    const char *name;
    const char *help;
    int (*run)(int argc, char **argv, const hk_config *cfg);
} hk_command;

/* cfg: the settings main loaded once (environment, then ./.env); commands
 * read every setting from it, never from getenv. */
int hk_cmd_call(int argc, char **argv, const hk_config *cfg);
int hk_cmd_check(int argc, char **argv, const hk_config *cfg);
int hk_cmd_serve(int argc, char **argv, const hk_config *cfg);
int hk_cmd_dial(int argc, char **argv, const hk_config *cfg);
int hk_cmd_migrate(int argc, char **argv, const hk_config *cfg);
int hk_cmd_rekey(int argc, char **argv, const hk_config *cfg);
int hk_cmd_synth(int argc, char **argv, const hk_config *cfg);
int hk_cmd_transcribe(int argc, char **argv, const hk_config *cfg);
int hk_cmd_test_lua(int argc, char **argv, const hk_config *cfg);
int hk_cmd_tenant(int argc, char **argv, const hk_config *cfg);
int hk_cmd_key(int argc, char **argv, const hk_config *cfg);
int hk_cmd_user(int argc, char **argv, const hk_config *cfg);

/* What a worker owns: loop, call clock, engine pool, Lua VM. */
typedef struct hk_worker {
    struct ev_loop *loop;
    hk_clock *clock;
    hk_pool *pool;
    hk_vm *vm;
} hk_worker;

/* cfg: HARK_LUA_DIR for the VM. */
int hk_worker_init(hk_worker *w, const hk_config *cfg, int virtual_time, int threads, char *err,
                   size_t errlen);
void hk_worker_free(hk_worker *w);

/* The espeak-ng voice of simulated callers (not the agents' default). */
#define HK_CALLER_VOICE "en-us+klatt2"

/* Caller audio as 8 kHz mu-law: from a WAV of any common rate (mono or stereo,
 * mixed down) or synthesised from text. *out malloc'ed. */
int hk_caller_audio_wav(const char *path, uint8_t **out, size_t *n, char *err, size_t errlen);
int hk_caller_audio_text(const char *text, uint8_t **out, size_t *n, char *err, size_t errlen);
/* 8 kHz PCM of any WAV (mono mix or one channel: 0 left, 1 right, -1 mix). */
int hk_wav_pcm8k(const char *path, int channel, int16_t **out, size_t *n, char *err,
                 size_t errlen);

#endif
