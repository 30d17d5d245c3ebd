/* providers/anthropic_event: one named SSE event of Anthropic's streaming
 * Messages API (message_start, content_block_start/delta/stop, message_delta,
 * message_stop, ping, error) -> a struct the client applies. Pure: no state,
 * no I/O, no sink; which block holds a tool call and its gathered input JSON
 * stay in llm_anthropic.c. The bytes come from a provider and are hostile:
 * anything unusable is refused with a "malformed event: ..." message and
 * never crashes; an event kind hark does not know is not an error. */
#ifndef HK_ANTHROPIC_EVENT_H
#define HK_ANTHROPIC_EVENT_H

#include <stddef.h>

/* content block indexes accepted: 0..HK_ANTHROPIC_EVENT_MAX_BLOCKS-1 */
#define HK_ANTHROPIC_EVENT_MAX_BLOCKS 256

enum { HK_ANTHROPIC_EVENT_OK = 0, HK_ANTHROPIC_EVENT_EMALFORMED = -1 };

typedef enum {
    HK_ANTHROPIC_EVENT_OTHER = 0, /* ping, a kind hark does not know: nothing to do */
    HK_ANTHROPIC_EVENT_ERROR,
    HK_ANTHROPIC_EVENT_MESSAGE_START,
    HK_ANTHROPIC_EVENT_MESSAGE_DELTA,
    HK_ANTHROPIC_EVENT_MESSAGE_STOP,
    HK_ANTHROPIC_EVENT_BLOCK_START,
    HK_ANTHROPIC_EVENT_BLOCK_DELTA,
    HK_ANTHROPIC_EVENT_BLOCK_STOP,
    HK_ANTHROPIC_EVENT_BLOCK_OTHER, /* content_block_<new kind>: nothing to do */
} hk_anthropic_event_kind;

/* BLOCK_START: content_block.type; BLOCK_DELTA: delta.type */
typedef enum {
    HK_ANTHROPIC_PART_NONE = 0, /* absent, or a type hark does not use (thinking, ...) */
    HK_ANTHROPIC_PART_TEXT,     /* start: a text block; delta: text_delta */
    HK_ANTHROPIC_PART_TOOL,     /* start: a tool_use block; delta: input_json_delta */
} hk_anthropic_part;

typedef struct hk_anthropic_event {
    hk_anthropic_event_kind kind;
    /* ERROR: error.type and error.message when they are strings, else NULL */
    const char *error_type, *error_message;
    /* MESSAGE_START (message.usage), MESSAGE_DELTA (usage): has_usage when
     * usage is an object; prompt = input + cache read + cache creation tokens
     * (-1 when none is given), completion = output_tokens (-1 when absent) */
    int has_usage;
    long prompt_tokens, completion_tokens;
    /* MESSAGE_DELTA: delta.stop_reason in OpenAI's words, or NULL */
    const char *finish_reason;
    /* BLOCK_*: the content block, 0..HK_ANTHROPIC_EVENT_MAX_BLOCKS-1 */
    int index;
    hk_anthropic_part part;
    /* BLOCK_START of a tool: its id and name ("" when absent, never NULL) */
    const char *id, *name;
    /* BLOCK_START of text (its first text) or a text_delta: non-empty or NULL */
    const char *text;
    size_t text_len;     /* text[text_len] == 0, no NUL before it */
    /* input_json_delta: the fragment to append (may be ""), or NULL */
    const char *partial_json;
    size_t partial_len;
    void *json_;         /* private: the parsed tree the pointers above live in */
} hk_anthropic_event;

/* Parses one event: event is the SSE event name (NULL or "" when none),
 * data/len its data (no NUL needed at data[len]). The data's own "type"
 * wins over the name. HK_ANTHROPIC_EVENT_OK, then ev's strings stay valid
 * until hk_anthropic_event_free(ev); or HK_ANTHROPIC_EVENT_EMALFORMED with
 * err set ("malformed event: ...") and ev holding nothing. */
int hk_anthropic_event_parse(const char *event, const char *data, size_t len,
                             hk_anthropic_event *ev, char *err, size_t errcap);

/* Frees what a parse kept (safe on a zeroed or failed ev; ev is zeroed). */
void hk_anthropic_event_free(hk_anthropic_event *ev);

/* Anthropic's stop_reason in OpenAI's words (end_turn -> stop, ...). */
const char *hk_anthropic_finish_reason(const char *stop_reason);

#endif
