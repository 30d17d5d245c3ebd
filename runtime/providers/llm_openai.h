/* providers/llm_openai: the streaming client of OpenAI's chat completions API
 * and of the servers that copy it (vLLM, llama.cpp, Ollama, OpenRouter, Groq):
 * POST {base_url}/chat/completions with stream:true, SSE deltas to the sink,
 * tool calls assembled from their streamed fragments. */
#ifndef HK_LLM_OPENAI_H
#define HK_LLM_OPENAI_H

#include <stddef.h>

#include "providers/provider.h"

extern const hk_llm_vtable hk_llm_openai;

/* The wire body for a provider-neutral request (see provider.h): the request
 * plus model, stream, stream_options, tool_choice, temperature, max_tokens.
 * malloc'ed JSON text, or NULL with err set when request_json is unusable. */
char *hk_openai_request(const char *request_json, const hk_llm_config *cfg, char *err,
                        size_t errlen);

#endif
