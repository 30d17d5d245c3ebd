-- llm_tools_webhook: an LLM agent with two tools, one answered in Lua and one
-- that hands the booking to your server over HTTP (call:http, a webhook).
-- The model (OpenAI, or any compatible server) hears each caller turn with
-- the system prompt and the tools below; when it calls a tool, the handler
-- runs and its result goes back to the model until it answers in words,
-- which are spoken clause by clause while the model is still writing.
--
-- Run it (examples/README.md): OPENAI_API_KEY=sk-... hark call --agent
-- examples/llm_tools_webhook.lua --caller-text "a table for four tonight at
-- seven please" --transcript out.json. BOOKING_WEBHOOK is your server's URL;
-- tests/integration/test_examples.sh runs this file against the fake LLM and
-- a local webhook server.

-- Agent code has no os.getenv (the sandbox): the server's URL lives here.
local BOOKING_WEBHOOK = "http://127.0.0.1:8787/bookings"

local TABLES = { [2] = 6, [4] = 4, [6] = 2 } -- seats per table -> tables free tonight

local check_availability = hark.tool {
  name = "check_availability",
  description = "How many tables are free tonight for a party of this size.",
  parameters = {
    type = "object",
    properties = { party_size = { type = "integer", description = "people, 1 to 6" } },
    required = { "party_size" },
  },
  handler = function(call, args)
    for seats, free in pairs(TABLES) do
      if args.party_size <= seats and free > 0 then return { available = true, seats = seats } end
    end
    return { available = false }
  end,
}

-- The booking itself belongs to your server: POST it as JSON and tell the
-- model what the server said. call:http yields while the request is out, so
-- other calls on this worker never wait for it; failures come back as data
-- the model can apologise for, never as a stuck call.
local book_table = hark.tool {
  name = "book_table",
  description = "Book a table tonight. Only after the caller confirmed the size and time.",
  parameters = {
    type = "object",
    properties = {
      party_size = { type = "integer" },
      time = { type = "string", description = "24-hour time like 19:00" },
      name = { type = "string", description = "the caller's name" },
    },
    required = { "party_size", "time" },
  },
  handler = function(call, args)
    local res, err = call:http {
      url = BOOKING_WEBHOOK,
      method = "POST",
      json = { call_id = call.id, caller = call.from, party_size = args.party_size,
               time = args.time, name = args.name },
      timeout = 5,
    }
    if not res then return { booked = false, error = err } end
    if res.status ~= 200 and res.status ~= 201 then
      return { booked = false, error = "the booking server answered " .. res.status }
    end
    local ok, body = pcall(require("cjson").decode, res.body)
    return { booked = true, reference = ok and type(body) == "table" and body.reference or nil }
  end,
}

return {
  name = "Trattoria Bella reservations",
  first_message = "Trattoria Bella, how can I help?",
  fallback_message = "Sorry, our booking line is having trouble. Please call back in a few minutes.",
  system_prompt = [[You take table reservations for Trattoria Bella for tonight.
Ask for the party size and time if missing, check availability, then book with
book_table and read back the reference. One or two short sentences: this is a phone call.]],
  model = { provider = "openai", model = "gpt-4o-mini", temperature = 0.3, timeout = 5 },
  voice = { provider = "11labs", voiceId = "21m00Tcm4TlvDq8ikWAM", fallback = { provider = "espeak" } },
  -- Deepgram hears the caller; offline (no DEEPGRAM_API_KEY) sphinx does, with these hints
  transcriber = { provider = "deepgram", model = "nova-2", keywords = { "table", "tonight" },
                  phrases = { "a table for four tonight at seven please", "thank you goodbye" },
                  fallback = { provider = "sphinx" } },
  end_call_phrases = { "goodbye" },
  tools = { check_availability = check_availability, book_table = book_table },
}
