-- schema/009_call_llm_tokens: the LLM tokens a call used (the providers'
-- reported usage summed over all its requests, cancelled ones included),
-- written when the call ends (runtime/agent/call_store.c) and priced in the
-- call object's costBreakdown (runtime/api/call_json.c). Calls recorded
-- before this migration keep NULL (unknown); new rows start at 0.
ALTER TABLE calls ADD COLUMN llm_prompt_tokens bigint;
ALTER TABLE calls ADD COLUMN llm_completion_tokens bigint;
ALTER TABLE calls ALTER COLUMN llm_prompt_tokens SET DEFAULT 0;
ALTER TABLE calls ALTER COLUMN llm_completion_tokens SET DEFAULT 0;
