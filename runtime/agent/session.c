/* agent/session: the speech pipeline of one call, the same for `hark call`
 * and for phone calls. Inbound 20 ms mu-law frames -> decode -> recorder and
 * VAD -> STT (with 300 ms of pre-roll so first syllables are kept); VAD end of
 * speech closes the utterance; the final transcript becomes a user turn for the
 * agent's hook. Replies go to TTS; synthesised mu-law waits in a preallocated
 * ring (a cached phrase is queued by reference, media/outq, not copied) and
 * the pacer sends one frame every 20 ms of call time. Nothing here
 * blocks or allocates per frame. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/call.h"
#include "agent/call_events.h"
#include "core/log.h"
#include "core/metrics.h"
#include "media/g711.h"

#define HK_OUT_RING_BYTES (1u << 19) /* 65 s of 8 kHz mu-law */

static void pacer_tick(hk_timer *t, void *ud);

int hk_session_speaking(const hk_call *c) {
    return c->tts_pending > 0 || (c->out.ring.buf && hk_outq_used(&c->out) > 0);
}

void hk_session_net_hold(hk_call *c) {
    int want = !c->ended && ((c->tts_cloud && c->tts_pending > 0) || (c->stt_cloud && c->utt_open > 0));
    if (want != c->net_held) {
        hk_clock_hold(c->clock, want ? 1 : -1);
        c->net_held = want;
    }
}

static hk_message *find_req(hk_call *c, uint64_t req) {
    for (int i = c->n_msgs - 1; i >= 0; i--)
        if (c->msgs[i].role == 0 && c->msgs[i].req == req) return &c->msgs[i];
    return NULL;
}

/* ---- STT events ---- */

static void stt_transcript(void *ud, uint64_t utt, const char *text, int is_final, double conf) {
    hk_call *c = ud;
    if (!is_final) { /* interim text: for the log and the agent's on_transcript */
        hk_log(HK_LOG_DEBUG, c->id, "stt_interim", "\"%s\"", text);
        if (!c->ended && *text) hk_call_transcript_hook(c, text, 0, conf, -1);
        if (!c->ended && *text) hk_call_emit_text(c, HK_CE_TRANSCRIPT, "user", text, 0, -1);
        return;
    }
    if (c->utt_open > 0) c->utt_open--;
    hk_session_net_hold(c);
    if (c->ended) return;
    while (*text == ' ') text++;
    if (!*text) {
        hk_log(HK_LOG_DEBUG, c->id, "stt_empty", "utterance %llu had no words",
               (unsigned long long)utt);
        return;
    }
    if (c->record_full) return; /* the call is ending (logged when the cap was hit) */
    int t = hk_call_add_turn(c);
    if (t < 0) return;
    c->turns[t].user_end = c->utt_end[utt % 64];
    c->turns[t].stt_final = hk_call_now(c);
    int m = hk_call_add_message(c, 1, text, c->utt_start[utt % 64], c->utt_end[utt % 64]);
    if (m < 0) return;
    c->msgs[m].confidence = conf;
    c->msgs[m].turn = t;
    hk_call_transcript_hook(c, text, 1, conf, t);
    if (c->ended) return;
    hk_session_ev_user_final(c, m);
    hk_metric_inc(HK_M_TURNS);
    hk_metric_observe(HK_H_STT_LATENCY, c->turns[t].stt_final - c->turns[t].user_end);
    /* info: lengths only; what the caller said only at debug (core/log.h) */
    hk_log(HK_LOG_INFO, c->id, "user_turn", "%zu chars (confidence %.2f)", strlen(text), conf);
    hk_log(HK_LOG_DEBUG, c->id, "user_turn_text", "\"%s\"", text);
    hk_call_store_flush(c, 0);
    hk_call_run_hook(c, "on_user_turn", text, t);
}

/* The provider heard speech begin. hark's own VAD drives barge-in (it sees
 * every frame at once, the provider's event arrives a round trip later). */
static void stt_speech_started(void *ud) {
    hk_call *c = ud;
    hk_log(HK_LOG_DEBUG, c->id, "stt_speech_started", "at %.2f s", hk_call_now(c));
}

/* The provider's endpointing (Deepgram speech_final / UtteranceEnd) says the
 * caller finished: close the utterance now instead of waiting for hark's VAD
 * hangover. If the VAD never opened one (quiet speech it missed), open and
 * close one so the words still make a turn. */
static void stt_endpoint(void *ud) {
    hk_call *c = ud;
    if (c->ended || !c->stt) return;
    double now = hk_call_now(c);
    if (c->in_speech) {
        c->in_speech = 0;
        double quiet = c->vad.silence_ms / 1000.0;
        c->utt_end[c->utt_id % 64] = now - quiet;
        hk_session_ev_user_speech(c, 0);
    } else if (c->utt_open == 0) {
        c->utt_id++;
        c->utt_start[c->utt_id % 64] = c->utt_end[c->utt_id % 64] = now;
    } else {
        return; /* hark's VAD already closed it; the final is on its way */
    }
    hk_log(HK_LOG_DEBUG, c->id, "stt_endpoint", "provider ended the utterance at %.2f s", now);
    c->utt_open++;
    hk_session_net_hold(c);
    c->sttv->end_utterance(c->stt, c->utt_id);
}

/* A provider failed: switch providers on the next loop turn (a provider is
 * never closed from inside its own callback). */
static void failover_now(hk_timer *t, void *ud) {
    (void)t;
    hk_call *c = ud;
    if (c->ended) return;
    if (c->stt_failed) {
        c->stt_failed = 0;
        int ok = hk_session_stt_failover(c, c->fail_why) == 0;
        /* words the caller said may be lost: ask again; with none in flight
         * the switch is silent. No transcriber at all: give up politely. */
        if (!ok || c->stt_lost_words) hk_session_say(c, c->agent->fallback_message);
        if (!ok) hk_call_hangup(c, "pipeline-error-transcriber");
    }
    if (c->tts_failed) {
        c->tts_failed = 0;
        if (hk_session_tts_failover(c, c->fail_why) != 0) {
            for (int i = 0; i < c->n_msgs; i++) /* nothing more can be said */
                if (c->msgs[i].role == 0 && !c->msgs[i].synthesised) {
                    c->msgs[i].synthesised = 1;
                    c->msgs[i].streaming = 0;
                    if (c->msgs[i].start < 0) c->msgs[i].start = c->msgs[i].end = hk_call_now(c);
                }
            c->tts_pending = 0;
            hk_call_hangup(c, "pipeline-error-voice");
        }
        if (c->wait == HK_WAIT_SPEECH) hk_call_resume(c, 0);
    }
}

static void schedule_failover(hk_call *c, const char *why) {
    snprintf(c->fail_why, sizeof c->fail_why, "%s", why);
    hk_timer_start(c->clock, &c->failover_timer, 0, failover_now, c);
}

static void stt_error(void *ud, const char *msg) {
    hk_call *c = ud;
    hk_metric_inc(HK_M_STT_ERRORS);
    hk_log(HK_LOG_ERROR, c->id, "stt_error", "%s", msg);
    if (c->ended || c->stt_failed) return;
    c->stt_lost_words = c->in_speech || c->utt_open > 0;
    c->utt_open = 0; /* whatever was in flight is lost */
    c->stt_failed = 1;
    schedule_failover(c, msg);
}

hk_stt_sink hk_session_stt_sink(hk_call *c) {
    hk_stt_sink s = {c, stt_transcript, stt_speech_started, stt_error, stt_endpoint};
    return s;
}

/* ---- TTS events ---- */

/* Queue audio of request req for the pacer: streamed audio is copied into
 * the ring; a cached clip (clip != NULL) is queued by reference, holding its
 * cache entry until played (copied only when the segment queue is full). */
static void queue_audio(hk_call *c, uint64_t req, const uint8_t *ulaw, size_t n, const hk_tts_clip *clip) {
    hk_message *m = find_req(c, req);
    if (!m || c->ended) return;
    if (!clip) hk_tts_fill_audio(&c->tts_fill, req, ulaw, n);
    if (!m->has_audio) {
        m->has_audio = 1;
        m->ring_start = c->out.head;
        m->tts_first_audio = hk_call_now(c);
        if (m->turn >= 0 && c->turns[m->turn].tts_first_audio < 0) {
            hk_turn *t = &c->turns[m->turn];
            t->tts_first_audio = m->tts_first_audio;
            if (t->reply_ready >= 0) hk_metric_observe(HK_H_TTS_FIRST_AUDIO, t->tts_first_audio - t->reply_ready);
        }
    }
    int was_idle = hk_outq_used(&c->out) == 0;
    size_t w = 0;
    void *held = clip ? hk_tts_clip_hold(clip) : NULL;
    if (held && hk_outq_push_ref(&c->out, ulaw, n, held, hk_tts_clip_release)) w = n;
    else {
        hk_tts_clip_release(held);
        w = hk_outq_write(&c->out, ulaw, n);
    }
    /* the first audio after a quiet spell goes out now, not at the next tick
     * of the 20 ms grid (up to 20 ms saved on every reply) */
    if (was_idle && w > 0 && !c->paused && c->pacer.armed &&
        hk_clock_now(c->clock) - c->last_frame_at >= HK_FRAME_MS / 1000.0) {
        c->pacer_next = hk_clock_now(c->clock);
        hk_timer_start(c->clock, &c->pacer, 0, pacer_tick, c);
    }
    if (w < n)
        hk_log(HK_LOG_WARN, c->id, "audio_overflow", "dropped %zu bytes of speech", n - w);
    m->ring_end = c->out.head;
}

static void tts_audio(void *ud, uint64_t req, const uint8_t *ulaw, size_t n) {
    queue_audio(ud, req, ulaw, n, NULL);
}

static void tts_words(void *ud, uint64_t req, const hk_word_mark *marks, size_t n) {
    hk_call *c = ud;
    hk_message *m = find_req(c, req);
    if (!m || !n) return;
    hk_tts_fill_words(&c->tts_fill, req, marks, n);
    hk_word_mark *grown = realloc(m->marks, (m->n_marks + n) * sizeof *marks);
    if (!grown) return;
    memcpy(grown + m->n_marks, marks, n * sizeof *marks);
    m->marks = grown;
    m->n_marks += n;
}

static void tts_done(void *ud, uint64_t req, int ok, const char *err) {
    hk_call *c = ud;
    hk_message *m = find_req(c, req);
    c->tts_pending--;
    hk_session_net_hold(c);
    if (c->tts_fill.req == req) { /* a whole fixed phrase: cached only if all of it came */
        hk_tts_cache *cache = hk_tts_cache_worker();
        if (hk_tts_fill_end(&c->tts_fill, cache, req, ok && m && !m->tts_failed)) {
            hk_tts_cache_stats st;
            hk_tts_cache_stats_get(cache, &st);
            hk_metric_tts_cache_bytes(st.bytes);
        }
    }
    if (!ok) {
        hk_metric_inc(HK_M_TTS_ERRORS);
        hk_log(HK_LOG_ERROR, c->id, "tts_error", "%s", err ? err : "synthesis failed");
        /* switch to the fallback voice (next loop turn); messages none of
         * which was heard are spoken again by it */
        if (!c->ended) {
            c->tts_pending++; /* still owed until the switch re-issues it */
            if (!c->tts_failed) {
                c->tts_failed = 1;
                schedule_failover(c, err ? err : "synthesis failed");
            }
            return;
        }
    }
    if (m) {
        m->synthesised = 1;
        if (!m->has_audio) {
            m->start = m->end = hk_call_now(c);
            hk_call_store_flush(c, 0);
        }
    }
    if (c->wait == HK_WAIT_SPEECH && c->wait_req == req) hk_call_resume(c, 0);
}

hk_tts_sink hk_session_tts_sink(hk_call *c) {
    hk_tts_sink s = {c, tts_audio, tts_words, tts_done};
    return s;
}

/* ---- open / close ---- */

int hk_session_open(hk_call *c, char *err, size_t errlen) {
    hk_g711_init();
    c->ev_turn = c->hang_turn = -1;
    if (c->text_only) return 0;
    if (hk_outq_init(&c->out, HK_OUT_RING_BYTES) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (hk_session_open_providers(c, err, errlen) != 0) return -1;
    c->pacer_next = hk_clock_now(c->clock) + HK_FRAME_MS / 1000.0;
    hk_timer_start(c->clock, &c->pacer, HK_FRAME_MS / 1000.0, pacer_tick, c);
    return 0;
}

void hk_session_close(hk_call *c) {
    if (c->net_held) hk_clock_hold(c->clock, -1);
    c->net_held = 0;
    hk_timer_stop(c->clock, &c->pacer);
    hk_timer_stop(c->clock, &c->failover_timer);
    hk_session_ev_close(c);
    if (c->stt) c->sttv->close(c->stt);
    if (c->tts) c->ttsv->close(c->tts);
    c->stt = NULL;
    c->tts = NULL;
    hk_tts_fill_drop(&c->tts_fill);
    free(c->tts_cache_voice);
    c->tts_cache_voice = NULL;
    free(c->stt_name);
    free(c->tts_name);
    c->stt_name = c->tts_name = NULL;
    hk_outq_free(&c->out);
}

/* ---- outbound ---- */

int hk_session_say_begin(hk_call *c) {
    if (c->ended) return -1;
    int m = hk_call_add_message(c, 0, "", -1, -1);
    if (m < 0) return -1;
    hk_message *msg = &c->msgs[m];
    msg->turn = c->current_turn;
    msg->streaming = 1;
    if (!c->text_only && c->tts) {
        msg->req = ++c->tts_req;
        c->tts_pending++;
        hk_session_net_hold(c);
    }
    return m;
}

/* providers/tts_cache: a fixed phrase (say, first/fallback/end message;
 * never a streamed LLM reply) in the voice in use plays from the worker's
 * cache at once, without the provider, when no earlier request is still
 * being synthesised (requests complete in order). 1: played from the cache. */
static int say_cached(hk_call *c, hk_message *msg, const char *text) {
    hk_tts_cache *cache = hk_tts_cache_worker();
    hk_tts_clip clip;
    if (!cache || !c->tts_cache_voice) return 0;
    if (c->tts_pending == 1 && hk_tts_cache_get(cache, c->tts_cache_voice, text, &clip)) {
        uint64_t req = msg->req;
        hk_metric_inc(HK_M_TTS_CACHE_HITS);
        hk_log(HK_LOG_DEBUG, c->id, "tts_cache_hit", "%zu bytes, %zu words", clip.n, clip.n_marks);
        queue_audio(c, req, clip.ulaw, clip.n, &clip);
        if (clip.n_marks) tts_words(c, req, clip.marks, clip.n_marks);
        tts_done(c, req, 1, NULL);
        return 1;
    }
    hk_metric_inc(HK_M_TTS_CACHE_MISSES);
    return 0;
}

static int say_push(hk_call *c, int m, const char *text, int last, int fixed) {
    if (m < 0 || m >= c->n_msgs) return -1;
    hk_message *msg = &c->msgs[m];
    if (!msg->streaming) return -1; /* ended, or cut off by a barge-in */
    double now = hk_call_now(c);
    size_t have = strlen(msg->text), add = strlen(text);
    if (add) {
        char *grown = realloc(msg->text, have + add + 1);
        if (!grown) return -1;
        memcpy(grown + have, text, add + 1);
        msg->text = grown;
        if (msg->turn >= 0 && c->turns[msg->turn].reply_ready < 0) c->turns[msg->turn].reply_ready = now;
        hk_log(HK_LOG_INFO, c->id, "assistant_say", "%zu chars%s", add, last ? "" : " ...");
        hk_log(HK_LOG_DEBUG, c->id, "assistant_say_text", "\"%s\"%s", text, last ? "" : " ...");
    }
    if (last) msg->streaming = 0;
    for (size_t i = 0; i < c->agent->n_end_phrases && add; i++)
        if (strcasestr(msg->text, c->agent->end_phrases[i]))
            hk_call_hangup(c, "assistant-said-end-call-phrase");
    if (c->text_only || !c->tts || !msg->req) {
        if (last) {
            msg->start = msg->end = now;
            msg->synthesised = 1;
            hk_call_store_flush(c, 0);
            hk_session_ev_heard(c, m);
        }
        return 0;
    }
    if (msg->tts_failed) return 0;
    int whole = fixed && last && have == 0; /* the phrase in one piece */
    if (whole && say_cached(c, msg, text)) return 0;
    int rc = c->ttsv->push ? c->ttsv->push(c->tts, msg->req, text, 1, last)
                           : (last ? c->ttsv->speak(c->tts, msg->req, msg->text) : 0);
    if (rc != 0) {
        c->tts_pending--;
        msg->synthesised = 1;
        msg->streaming = 0;
        msg->start = msg->end = now;
        hk_log(HK_LOG_ERROR, c->id, "tts_error", "could not start synthesis");
        return -1;
    }
    hk_tts_cache *cache = hk_tts_cache_worker();
    if (whole && cache && c->tts_cache_voice && !c->tts_fill.req) { /* one fill at a time */
        hk_tts_cache_stats st;
        hk_tts_cache_stats_get(cache, &st);
        hk_tts_fill_begin(&c->tts_fill, msg->req, c->tts_cache_voice, text, st.max_bytes / 8);
    }
    return 0;
}

int hk_session_say_push(hk_call *c, int m, const char *text, int last) {
    return say_push(c, m, text, last, 0);
}

int hk_session_say(hk_call *c, const char *text) {
    int m = hk_session_say_begin(c);
    if (m < 0) return -1;
    say_push(c, m, text, 1, 1);
    return m;
}

/* Mark message start/end as the bytes [p0, p1) leave the ring at time now. */
static void account_played(hk_call *c, uint64_t p0, uint64_t p1, double now) {
    for (int i = c->n_msgs - 1; i >= 0; i--) {
        hk_message *m = &c->msgs[i];
        if (m->role != 0 || !m->has_audio) continue;
        if (m->ring_end <= p0 && m->end >= 0) break; /* older ones are done */
        if (m->start < 0 && m->ring_start < p1) {
            m->start = now + (double)(m->ring_start > p0 ? m->ring_start - p0 : 0) / 8000.0;
            c->ev_turn = m->turn;
            if (m->turn >= 0 && c->turns[m->turn].first_audio < 0) {
                hk_turn *t = &c->turns[m->turn];
                t->first_audio = m->start;
                hk_metric_observe(HK_H_TURN_LATENCY, t->first_audio - t->user_end);
            }
        }
        if (m->end < 0 && m->synthesised && m->ring_end <= p1) {
            m->end = now + (double)(m->ring_end - p0) / 8000.0;
            if (c->io.mark) {
                char name[32];
                snprintf(name, sizeof name, "msg-%d", i);
                c->io.mark(c->io.ud, name);
            }
            hk_session_ev_heard(c, i);
        }
    }
}

/* silence_timeout: nobody has made a sound for that long while the agent
 * waits for the caller: reprompt once, then end the call. */
static void silence_check(hk_call *c, double now) {
    double limit = c->agent->silence_timeout_s;
    if (limit <= 0 || c->hangup_requested) return;
    if (!hk_call_idle(c)) {
        c->last_activity = now;
        return;
    }
    if (now - c->last_activity < limit) return;
    c->last_activity = now;
    if (!c->reprompted) {
        c->reprompted = 1;
        hk_session_say(c, c->agent->reprompt_message ? c->agent->reprompt_message
                                                     : "Are you still there?");
    } else {
        if (c->agent->end_message) hk_session_say(c, c->agent->end_message);
        hk_call_hangup(c, "silence-timed-out");
    }
}

static void pacer_tick(hk_timer *t, void *ud) {
    hk_call *c = ud;
    if (c->ended) return;
    silence_check(c, hk_call_now(c));
    size_t used = c->paused ? 0 : hk_outq_used(&c->out);
    if (used > 0) {
        uint8_t frame[HK_FRAME_SAMPLES];
        uint64_t p0 = c->out.tail;
        size_t n = hk_outq_read(&c->out, frame, HK_FRAME_SAMPLES);
        if (n < HK_FRAME_SAMPLES) memset(frame + n, HK_ULAW_SILENCE, HK_FRAME_SAMPLES - n);
        double now = hk_call_now(c);
        if (c->rec) {
            int16_t pcm[HK_FRAME_SAMPLES];
            hk_ulaw_decode_buf(frame, pcm, HK_FRAME_SAMPLES);
            hk_recorder_put(c->rec, HK_REC_AGENT, now, pcm, HK_FRAME_SAMPLES);
        }
        c->last_frame_at = hk_clock_now(c->clock);
        /* the frame first: a reply's mark must follow its last audio */
        if (c->io.send_audio) c->io.send_audio(c->io.ud, frame, HK_FRAME_SAMPLES);
        account_played(c, p0, c->out.tail, now);
        /* a position mark every 200 ms: the carrier echoes it once played,
         * which is what barge-in trims to */
        if (c->io.mark && ++c->frames_since_mark >= 10) {
            char name[40];
            snprintf(name, sizeof name, "pos-%llu", (unsigned long long)c->out.tail);
            c->io.mark(c->io.ud, name);
            c->frames_since_mark = 0;
        }
        hk_call_store_flush(c, 0);
    }
    hk_session_ev_tick(c, used > 0);
    hk_session_net_hold(c);
    c->pacer_next += HK_FRAME_MS / 1000.0;
    double delay = c->pacer_next - hk_clock_now(c->clock);
    if (delay < -0.2) { /* fell far behind (a stalled loop): resync, don't burst */
        c->pacer_next = hk_clock_now(c->clock) + HK_FRAME_MS / 1000.0;
        delay = HK_FRAME_MS / 1000.0;
    }
    hk_timer_start(c->clock, t, delay, pacer_tick, c);
}

/* ---- barge-in ---- */

size_t hk_session_heard_cut(const char *text, double fraction) {
    size_t len = strlen(text);
    if (fraction >= 1) return len;
    if (fraction <= 0) return 0;
    size_t pos = (size_t)(fraction * (double)len);
    if (pos >= len) return len;
    /* never inside a UTF-8 sequence: back up over continuation bytes */
    while (pos > 0 && ((unsigned char)text[pos] & 0xC0) == 0x80) pos--;
    if (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\t') return pos;
    /* the word under the cut was not all heard: keep the words before it,
     * unless it is the only one (then the whole characters heard so far) */
    size_t w = pos;
    while (w > 0 && text[w - 1] != ' ' && text[w - 1] != '\n' && text[w - 1] != '\t') w--;
    if (w == 0) return pos;
    while (w > 0 && (text[w - 1] == ' ' || text[w - 1] == '\n' || text[w - 1] == '\t')) w--;
    return w;
}

/* Cut the assistant message being played to the words the caller heard:
 * every word whose audio had started when playback stopped. */
static void trim_to_heard(hk_message *m, uint64_t played) {
    uint64_t heard_bytes = played > m->ring_start ? played - m->ring_start : 0;
    size_t keep = 0;
    for (size_t i = 0; i < m->n_marks; i++) {
        if ((uint64_t)m->marks[i].audio_ms * 8 >= heard_bytes) break;
        keep = m->marks[i].text_pos + m->marks[i].text_len;
    }
    if (!m->n_marks) /* no word times: by proportion, at a word (or UTF-8) boundary */
        keep = hk_session_heard_cut(m->text, (double)heard_bytes /
                                                 (double)(m->ring_end - m->ring_start + 1));
    if (keep < strlen(m->text)) m->text[keep] = 0;
    m->interrupted = 1;
}

/* Stop speaking now: what was heard stays in the record, the rest is dropped. */
/* How far the caller has heard: the carrier's last echoed mark advanced by
 * the time since (playback runs at real time), never past what was sent.
 * Without marks (a local call), what was sent is what was heard. */
static uint64_t heard_position(const hk_call *c, double now) {
    if (!c->io.mark || c->heard_at <= 0) return c->out.tail;
    double p = (double)c->heard_pos + (now - c->heard_at) * 8000.0;
    return p < (double)c->out.tail ? (uint64_t)p : c->out.tail;
}

static void interrupt(hk_call *c, double now) {
    uint64_t played = heard_position(c, now);
    c->interrupts++;
    hk_outq_clear(&c->out);
    if (c->io.clear) c->io.clear(c->io.ud);
    if (c->tts) c->ttsv->cancel(c->tts);
    hk_tts_fill_drop(&c->tts_fill); /* a cancelled phrase is never cached */
    c->tts_pending = 0;
    c->paused = 0;
    hk_session_ev_interrupted(c, c->ev_turn >= 0 ? c->ev_turn : c->current_turn);
    for (int i = 0; i < c->n_msgs; i++) {
        hk_message *m = &c->msgs[i];
        if (m->role != 0 || m->end >= 0) continue;
        if (m->has_audio && m->ring_start < played) {
            trim_to_heard(m, played);
            hk_log(HK_LOG_INFO, c->id, "assistant_trimmed", "%zu chars kept (%.0f ms heard)",
                   strlen(m->text), (double)(played - m->ring_start) / 8.0);
            hk_log(HK_LOG_DEBUG, c->id, "assistant_trimmed_text", "\"%s\"", m->text);
            m->end = now;
            hk_session_ev_heard(c, i);
        } else {
            m->dropped = 1; /* never reached the caller: not part of the conversation */
            m->start = now;
        }
        m->end = now;
        m->synthesised = 1;
        m->streaming = 0;
    }
    hk_session_ev_tick(c, 0); /* the assistant's speech stopped */
    hk_call_store_flush(c, 0);
    hk_log(HK_LOG_INFO, c->id, "barge_in", "caller interrupted at %.2f s", now);
    hk_call_interrupt(c);
}

/* While the agent talks, caller speech pauses output at once; if it goes on
 * for barge_in_min_ms it interrupts, if it stops first (a backchannel, a
 * cough) playback resumes where it paused. */
static void barge_in_check(hk_call *c, hk_vad_event ev, double now) {
    if (!c->agent->barge_in) return;
    if (!c->paused) {
        /* the agent is mid-reply: audio queued, or more being synthesised
         * (a streamed LLM answer can leave the ring empty between clauses) */
        if (ev == HK_VAD_SPEECH_START && hk_session_speaking(c)) c->paused = 1;
        return;
    }
    double speech_s = c->in_speech ? now - c->utt_start[c->utt_id % 64] : 0;
    if (c->in_speech && speech_s * 1000 >= c->agent->barge_in_min_ms) {
        interrupt(c, now);
    } else if (c->vad.silence_ms >= c->agent->barge_in_resume_ms || ev == HK_VAD_SPEECH_END) {
        c->paused = 0;
        hk_log(HK_LOG_INFO, c->id, "barge_in_resumed", "short sound, playback resumed");
    }
}

/* ---- inbound ---- */

void hk_session_feed(hk_call *c, const uint8_t *ulaw, size_t n) {
    if (c->ended || c->text_only || n != HK_FRAME_SAMPLES) return;
    int16_t pcm[HK_FRAME_SAMPLES];
    hk_ulaw_decode_buf(ulaw, pcm, n);
    double now = hk_call_now(c);
    if (c->rec) hk_recorder_put(c->rec, HK_REC_CALLER, now, pcm, n);
    if (!c->in_speech) {
        memcpy(c->preroll[c->preroll_head], ulaw, n);
        c->preroll_head = (c->preroll_head + 1) % HK_PREROLL_FRAMES;
        if (c->preroll_n < HK_PREROLL_FRAMES) c->preroll_n++;
    }
    /* a streaming STT hears the whole call (it does its own endpointing) */
    int continuous = c->stt && c->sttv->continuous;
    if (continuous) c->sttv->push(c->stt, ulaw, pcm, n);
    hk_vad_event ev = hk_vad_process(&c->vad, pcm, n);
    barge_in_check(c, ev, now);
    if (ev == HK_VAD_SPEECH_START && !c->in_speech) {
        c->in_speech = 1;
        c->reprompted = 0;
        c->utt_id++;
        c->utt_start[c->utt_id % 64] = now - c->vad.cfg.start_ms / 1000.0;
        hk_log(HK_LOG_DEBUG, c->id, "speech_started", "at %.2f s", now);
        hk_session_ev_user_speech(c, 1);
        int first = (c->preroll_head - c->preroll_n + HK_PREROLL_FRAMES) % HK_PREROLL_FRAMES;
        for (int i = 0; i < c->preroll_n && !continuous; i++) {
            const uint8_t *f = c->preroll[(first + i) % HK_PREROLL_FRAMES];
            int16_t p[HK_FRAME_SAMPLES];
            hk_ulaw_decode_buf(f, p, HK_FRAME_SAMPLES);
            if (c->stt) c->sttv->push(c->stt, f, p, HK_FRAME_SAMPLES);
        }
        c->preroll_n = 0;
        return;
    }
    if (!c->in_speech) return;
    if (c->stt && !continuous) c->sttv->push(c->stt, ulaw, pcm, n);
    if (ev == HK_VAD_SPEECH_END) {
        c->in_speech = 0;
        c->utt_end[c->utt_id % 64] = now - c->vad.cfg.hangover_ms / 1000.0;
        hk_log(HK_LOG_DEBUG, c->id, "speech_ended", "at %.2f s", now);
        hk_session_ev_user_speech(c, 0);
        if (c->stt) {
            c->utt_open++;
            hk_session_net_hold(c);
            c->sttv->end_utterance(c->stt, c->utt_id);
        }
    }
}

void hk_session_user_text(hk_call *c, const char *text) {
    if (c->ended) return;
    uint64_t utt = ++c->utt_id;
    c->utt_open++;
    c->utt_start[utt % 64] = c->utt_end[utt % 64] = hk_call_now(c);
    stt_transcript(c, utt, text, 1, 1.0);
}

void hk_session_mark_played(hk_call *c, const char *name) {
    uint64_t pos = 0;
    if (strncmp(name, "pos-", 4) == 0) {
        pos = strtoull(name + 4, NULL, 10);
    } else if (strncmp(name, "msg-", 4) == 0) {
        int i = atoi(name + 4);
        if (i >= 0 && i < c->n_msgs && c->msgs[i].has_audio) pos = c->msgs[i].ring_end;
    }
    /* marks echoed by a clear report nothing new: positions only move forward */
    if (pos > c->heard_pos && pos <= c->out.head) {
        c->heard_pos = pos;
        c->heard_at = hk_call_now(c);
    }
    hk_log(HK_LOG_DEBUG, c->id, "mark_played", "%s", name);
}

void hk_session_dtmf(hk_call *c, const char *digits) {
    /* keypad digits may be a PIN or a card number: count at info */
    hk_log(HK_LOG_INFO, c->id, "dtmf", "%zu digit(s)", strlen(digits));
    hk_log(HK_LOG_DEBUG, c->id, "dtmf_digits", "%s", digits);
    hk_call_run_hook(c, "on_dtmf", digits, -1);
}
