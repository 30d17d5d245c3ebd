/* bench/bench_twilio_msg: the Media Streams message path of one 20 ms frame
 * per call, each way: parsing an inbound `media` message as Twilio sends it
 * (JSON, base64 payload) and building an outbound one. Prints ns per message,
 * best of five runs. Numbers, not pass/fail. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/json_arena.h"
#include "net/base64.h"
#include "telephony/twilio_msg.h"

#define RUNS 5
#define ITERS 200000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static hk_twilio_msg msg; /* ~10 KB: static, as in the stream handler */

int main(void)
{
    hk_json_arena_install(); /* as hark's main does */
    uint8_t ulaw[160];
    for (size_t i = 0; i < sizeof ulaw; i++)
        ulaw[i] = (uint8_t)(0x80 ^ (i * 37));
    char b64[256];
    if (hk_base64_encode(ulaw, sizeof ulaw, b64, sizeof b64) < 0)
        return 1;
    char in[1024];
    int n = snprintf(in, sizeof in,
                     "{\"event\":\"media\",\"sequenceNumber\":\"123\",\"media\":{\"track\":\"inbound\","
                     "\"chunk\":\"122\",\"timestamp\":\"2440\",\"payload\":\"%s\"},"
                     "\"streamSid\":\"MZ18ad3ab5a668481ce02b83e7395059f0\"}", b64);
    if (n < 0 || (size_t)n >= sizeof in)
        return 1;
    char err[128], out[1024];
    double best_parse = 1e9, best_build = 1e9;
    long sink = 0;
    for (int r = 0; r < RUNS; r++) {
        double t0 = now();
        for (int i = 0; i < ITERS; i++) {
            if (hk_twilio_msg_parse(in, (size_t)n, &msg, err, sizeof err) != HK_TWILIO_MSG_OK)
                return fprintf(stderr, "parse: %s\n", err), 1;
            sink += (long)msg.payload_len;
        }
        double t1 = now();
        for (int i = 0; i < ITERS; i++)
            sink += hk_twilio_msg_build_media(out, sizeof out, "MZ18ad3ab5a668481ce02b83e7395059f0", ulaw,
                                              sizeof ulaw);
        double t2 = now();
        if ((t1 - t0) / ITERS < best_parse)
            best_parse = (t1 - t0) / ITERS;
        if ((t2 - t1) / ITERS < best_build)
            best_build = (t2 - t1) / ITERS;
    }
    printf("twilio media parse: %.0f ns/message (%d bytes)\n", best_parse * 1e9, n);
    printf("twilio media build: %.0f ns/message\n", best_build * 1e9);
    return sink == 0;
}
