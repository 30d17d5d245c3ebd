-- order_status: an LLM-backed support line for a small online shop.
-- Shows the cloud path: Deepgram hears the caller, the model (OpenAI or any
-- compatible server) answers each turn with the system prompt, the
-- conversation and the tools below, and ElevenLabs speaks the reply clause by
-- clause as the model writes it. When the model calls lookup_order, the Lua
-- handler runs and its result goes back to the model. Needs DEEPGRAM_API_KEY,
-- OPENAI_API_KEY and ELEVENLABS_API_KEY (or *_BASE_URL pointing at
-- compatible servers); without them the voice and transcriber fall back to
-- the offline engines and each turn speaks the fallback line.
-- tests/integration/test_cloud_call.sh runs it against the fakes.

local orders = {
  ["1001"] = { status = "shipped", carrier = "UPS", eta = "Thursday" },
  ["1002"] = { status = "processing", eta = "next Monday" },
  ["1003"] = { status = "delivered", delivered = "yesterday" },
}

local lookup_order = hark.tool {
  name = "lookup_order",
  description = "Look up an order by its number and return its status and delivery estimate.",
  parameters = {
    type = "object",
    properties = {
      order_number = { type = "string", description = "The order number, digits only" },
    },
    required = { "order_number" },
  },
  handler = function(call, args)
    local digits = args.order_number:gsub("%D", "")
    local o = orders[digits]
    call:log("lookup_order " .. digits .. ": " .. (o and o.status or "not found"), "debug") -- caller data: debug only
    if not o then return { found = false } end
    return { found = true, order_number = digits, status = o.status, eta = o.eta,
             carrier = o.carrier, delivered = o.delivered }
  end,
}

return {
  name = "Acme Shop order line",
  phone_number = "+15550100",
  first_message = "Hi, this is the Acme Shop order line. What is your order number?",
  fallback_message = "Sorry, our assistant is unavailable right now. Please call back later.",
  system_prompt = [[You answer calls about orders for Acme Shop. Ask for the order number,
look it up with lookup_order, and tell the caller its status in one or two short
sentences. Never invent order details. Keep replies brief: this is a phone call.]],
  model = { provider = "openai", model = "gpt-4o-mini" },
  voice = { provider = "11labs", voiceId = "21m00Tcm4TlvDq8ikWAM" },
  transcriber = { provider = "deepgram", keywords = { "order:2", "number", "status" } },
  tools = { lookup_order = lookup_order },
}
