-- custom_turn: your own on_user_turn around the model. Lua decides what it
-- can (goodbye, a person, the known outage) without a model round trip, asks
-- the model silently (call:llm{speak = false}) to classify the rest, and only
-- then lets it answer aloud (call:llm streams the reply into speech clause by
-- clause, as the default turn does). The agent's model settings apply to
-- every call:llm.
--
-- Run it (examples/README.md): OPENAI_API_KEY=sk-... hark call --agent
-- examples/custom_turn.lua --caller-text "why is my bill so high this month"
-- --transcript out.json. tests/integration/test_examples.sh runs it against
-- the fake LLM.

local HUMAN_LINE = "+15550123" -- where call:transfer sends a caller who asks for a person

local CLASSIFY = [[Classify the caller's request. Answer with one word:
billing, outage or other.]]

local agent = {
  name = "Northwind Energy support",
  first_message = "Northwind Energy, how can I help?",
  fallback_message = "Sorry, I cannot look that up right now. Please try again later.",
  system_prompt = [[You answer questions for Northwind Energy customers in one or two
short sentences. If you do not know an account detail, offer to put them through to a person.]],
  model = { provider = "openai", model = "gpt-4o-mini", temperature = 0.2, timeout = 5 },
  voice = { provider = "espeak" },
  transcriber = { provider = "sphinx",
                  phrases = { "why is my bill so high this month", "is there a power cut",
                              "can I talk to a person", "thank you goodbye" },
                  keywords = { "bill", "power", "person", "goodbye" } },
}

function agent.on_user_turn(call, text)
  if hark.has_any(text, { "goodbye", "bye" }) then
    call:say("Thanks for calling Northwind Energy. Goodbye.")
    call:hangup()
    return
  end
  if hark.has_any(text, { "person", "human", "operator" }) then
    call:say("Putting you through to a colleague now.")
    call:transfer(HUMAN_LINE)
    return
  end

  -- 1. a silent completion: nothing is spoken, the text comes back to Lua
  local r = call:llm { speak = false, messages = {
    { role = "system", content = CLASSIFY },
    { role = "user", content = "Classify: " .. text },
  } }
  if not r then return end -- every attempt failed: the fallback line was spoken
  local intent = (r.text:lower():match("%a+")) or "other"
  call:set("intent", intent)
  call:log("intent " .. intent)

  -- 2. what Lua knows needs no model
  if intent == "outage" then
    return "There is a known outage in your area. Power should be back by six this evening."
  end

  -- 3. the answer, spoken while the model writes: the system prompt and the
  -- conversation as heard, plus a hint for this intent
  local msgs = hark.llm_messages(call, agent)
  if intent == "billing" then
    table.insert(msgs, 2, { role = "system",
      content = "This caller asks about billing. Winter bills include the heating top-up." })
  end
  call:llm { messages = msgs }
end

return agent
