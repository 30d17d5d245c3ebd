-- order_status: an LLM-backed support line for a small online shop.
-- Shows the LLM path: the model (OpenAI-compatible) answers each turn with
-- the system prompt, history and the tools below; when it calls
-- lookup_order, the Lua handler runs and its result goes back to the model.
-- Until the cloud providers land, hark loads this agent with a warning and
-- its calls speak the fallback line; `hark check` validates it today, and its
-- tool can already be called from Lua (tests/lua/test_order_status.lua).

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
    call:log("lookup_order " .. digits .. ": " .. (o and o.status or "not found"))
    if not o then return { found = false } end
    return { found = true, order_number = digits, status = o.status, eta = o.eta,
             carrier = o.carrier, delivered = o.delivered }
  end,
}

return {
  name = "Acme Shop order line",
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
