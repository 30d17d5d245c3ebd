/* providers/llm_stream: the plumbing both streaming LLM clients share (OpenAI,
 * Anthropic): one POST on the loop's shared hk_http_client, the SSE body cut
 * into events, the first-token and idle deadlines on an ev_timer, cancel, and
 * the exactly-once done. Sink callbacks only ever run from this file's own ev
 * callbacks, never from inside libcurl's, so a callback may call complete(),
 * cancel() or close() on its provider. Never blocks the loop. */
#ifndef HK_LLM_STREAM_H
#define HK_LLM_STREAM_H

#include <ev.h>
#include <stddef.h>

#include "net/http_client.h"
#include "net/sse.h"
#include "providers/provider.h"

typedef struct hk_llm_stream hk_llm_stream;

/* A queued SSE event (copied out of the parser, dispatched from the loop). */
typedef struct hk_llm_event {
    char *event;
    char *data;
    size_t len;
} hk_llm_event;

struct hk_llm_stream {
    struct ev_loop *loop;
    hk_http_client *http;
    hk_llm_sink sink;
    const char *who; /* "openai", "anthropic": for logs */
    char log_id[64]; /* the call's id in log lines */
    double connect_s, first_token_s, idle_s;
    /* the request settings from the config (copied) */
    char *model, *api_key; /* "" when unset */
    double temperature;    /* <0: provider default */
    int max_tokens;        /* 0: provider default */
    /* The provider's parser: one SSE event of the response. It calls the
     * hk_llm_stream_token/tool_call/finish helpers below. */
    void (*on_event)(hk_llm_stream *s, const char *event, const char *data, size_t len);
    /* The 2xx body ended without hk_llm_stream_finish: the provider may still
     * finish (OpenAI: a finish_reason came but no [DONE]); else "stream dropped". */
    void (*on_eof)(hk_llm_stream *s);

    /* ---- the completion in flight ---- */
    int busy;              /* complete() started, done not delivered yet */
    hk_http_call *call;
    hk_sse sse;
    char *in;              /* bytes from libcurl not yet parsed */
    size_t in_len, in_cap;
    char *head;            /* the first bytes of the body, for an error status */
    size_t head_len;
    hk_llm_event *q;       /* parsed events not yet dispatched */
    size_t q_len, q_cap;
    int sse_failed;
    size_t n_bytes;        /* body bytes received */
    int got_event;
    double started, last_byte;
    int ended;             /* the transfer finished (status/err below) */
    int status;
    char *end_err;
    int finishing;         /* a result is set; done waits for the transfer end */
    int fin_ok;
    char fin_reason[512];
    long use_prompt, use_completion; /* usage this completion reported so far */
    ev_timer tick;         /* deadlines: first token, idle, end-of-transfer grace */
    ev_timer kick;         /* zero-delay: work handed over from libcurl's callbacks */
    unsigned gen;          /* moves at every complete/cancel/finish: stale work stops */
    int *alive;            /* set while dispatching; close() clears *alive */
};

/* Sets up s (embedded in the provider's struct) and its own http client. */
int hk_llm_stream_init(hk_llm_stream *s, struct ev_loop *loop, const hk_llm_config *cfg,
                       const hk_llm_sink *sink, const char *who);
/* POSTs body (JSON) to url with headers ("Name: value", NULL-terminated).
 * -1 when busy or the request cannot start (nothing is called then). */
int hk_llm_stream_start(hk_llm_stream *s, const char *url, const char *const *headers,
                        const char *body, size_t body_len);
/* For on_event: deliver to the sink. Return 1 when the caller may go on,
 * 0 when the completion was cancelled, finished or the provider closed from
 * inside the callback (then touch nothing of the provider and return). */
int hk_llm_stream_token(hk_llm_stream *s, const char *text, size_t len);
int hk_llm_stream_tool_call(hk_llm_stream *s, const char *id, const char *name, const char *args);
/* For on_event: the usage the provider reported, as this completion's totals
 * so far (<0: not in this event); the sink hears the increase. */
void hk_llm_stream_usage(hk_llm_stream *s, long prompt_tokens, long completion_tokens);
/* For on_event/on_eof: the completion's result. ok=0 ends it at once (the
 * transfer is stopped); ok=1 lets the transfer end first (briefly) so the
 * connection can be reused, then calls done. Later events are dropped. */
void hk_llm_stream_finish(hk_llm_stream *s, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Drop the completion in flight: no more callbacks for it. */
void hk_llm_stream_cancel(hk_llm_stream *s);
/* Cancel and free what init made (not s itself). Safe from inside callbacks. */
void hk_llm_stream_close(hk_llm_stream *s);

/* "base" without trailing slashes + "path" in out; 0, or -1 when too long. */
int hk_llm_join_url(char *out, size_t cap, const char *base, const char *path);

#endif
