/* providers/openai_event: the data of one SSE event of an OpenAI-compatible
 * streaming chat completion (a chat.completion.chunk, "[DONE]" or an error
 * object) -> a struct the client applies. Pure: no state, no I/O, no sink;
 * the assembly of tool calls across events stays in llm_openai.c. The bytes
 * come from a provider and are hostile: anything unusable is refused with a
 * "malformed event: ..." message and never crashes. */
#ifndef HK_OPENAI_EVENT_H
#define HK_OPENAI_EVENT_H

#include <stddef.h>

/* the largest tool call index accepted (OpenAI numbers calls 0, 1, 2, ...) */
#define HK_OPENAI_EVENT_INDEX_MAX 65535

enum { HK_OPENAI_EVENT_OK = 0, HK_OPENAI_EVENT_EMALFORMED = -1 };

typedef enum {
    HK_OPENAI_EVENT_CHUNK = 0, /* a chat.completion.chunk (or any other object) */
    HK_OPENAI_EVENT_DONE,      /* data: [DONE] */
    HK_OPENAI_EVENT_ERROR,     /* {"error":...} inside the stream (overload, server error) */
} hk_openai_event_kind;

/* One entry of delta.tool_calls: a fragment of the call numbered index. */
typedef struct hk_openai_tool_delta {
    int index;           /* 0..HK_OPENAI_EVENT_INDEX_MAX: "index", else the position */
    const char *id;      /* non-empty, or NULL when absent */
    const char *name;    /* function.name: non-empty, or NULL */
    const char *args;    /* function.arguments to append (a string, or an object
                            printed as JSON text), or NULL; args_len = strlen */
    size_t args_len;
    char *printed_;      /* private: the printed object args points to */
} hk_openai_tool_delta;

typedef struct hk_openai_event {
    hk_openai_event_kind kind;
    /* ERROR: error.type and error.message when they are strings, else NULL */
    const char *error_type, *error_message;
    /* "usage" (an object): the token counts, -1 each when absent or not sane */
    int has_usage;
    long prompt_tokens, completion_tokens;
    /* the first choice of index 0 (or without an index); 0: none in this event
     * (the usage-only chunk, another choice): the fields below are empty */
    int has_choice;
    const char *text;    /* delta.content when a non-empty string, else NULL; */
    size_t text_len;     /* text[text_len] == 0, no NUL before it */
    hk_openai_tool_delta *calls; /* delta.tool_calls (when an array), in order */
    size_t n_calls;
    const char *finish_reason; /* non-empty, or NULL */
    void *json_;         /* private: the parsed tree the pointers above live in */
} hk_openai_event;

/* Parses the len bytes of one event's data into ev (no NUL needed at
 * data[len]). HK_OPENAI_EVENT_OK, then ev's strings stay valid until
 * hk_openai_event_free(ev); or HK_OPENAI_EVENT_EMALFORMED with err set
 * ("malformed event: ...") and ev holding nothing. */
int hk_openai_event_parse(const char *data, size_t len, hk_openai_event *ev, char *err,
                          size_t errcap);

/* Frees what a parse kept (safe on a zeroed or failed ev; ev is zeroed). */
void hk_openai_event_free(hk_openai_event *ev);

#endif
