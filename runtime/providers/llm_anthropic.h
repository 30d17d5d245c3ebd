/* providers/llm_anthropic: the streaming client of Anthropic's Messages API:
 * the provider-neutral (OpenAI-shaped) request translated to Messages, POST
 * {base_url}/v1/messages with stream:true, named SSE events routed by content
 * block index to the sink. */
#ifndef HK_LLM_ANTHROPIC_H
#define HK_LLM_ANTHROPIC_H

#include <stddef.h>

#include "providers/anthropic_event.h" /* hk_anthropic_finish_reason */
#include "providers/provider.h"

extern const hk_llm_vtable hk_llm_anthropic;

/* The Messages API body for a provider-neutral request (see provider.h):
 * system messages -> "system"; assistant tool_calls -> tool_use blocks (input =
 * the parsed arguments); consecutive tool messages -> one user message of
 * tool_result blocks; consecutive same-role messages merged (the API wants
 * user/assistant alternation); tools -> {name, description, input_schema};
 * model, max_tokens (cfg or 1024), temperature (when >= 0), stream:true.
 * malloc'ed JSON text, or NULL with err set when the request is unusable. */
char *hk_anthropic_request(const char *neutral_json, const hk_llm_config *cfg, char *err,
                           size_t errlen);

#endif
