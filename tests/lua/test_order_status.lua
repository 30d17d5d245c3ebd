-- The LLM-backed example agent: it loads with its cloud providers named
-- (Deepgram, OpenAI, ElevenLabs); with no key its LLM turn speaks the
-- fallback line and the call goes on; and its tool runs (with schema checks)
-- through call:tool from Lua.
local h = harness

h.setenv("OPENAI_API_KEY", nil)
h.setenv("OPENAI_BASE_URL", nil)
local a, err = h.load("agents/order_status.lua")
h.check(a, "order_status loads: " .. tostring(err))
local c = h.call(a)
local said = c:said()
h.check(said[1] and said[1]:find("order line"), "greets: " .. tostring(said[1]))
said = c:user("where is my order")
h.check(said[1] and said[1]:find("unavailable"), "without a key the turn speaks the fallback: " .. tostring(said[1]))
h.check(c:ended() == nil, "and the call goes on")
said = c:user("hello again")
h.check(said[1] and said[1]:find("unavailable"), "every failed turn is spoken, never silent")
-- the tool itself, driven by a tiny agent that calls it from turn logic
local dir = h.mkdtemp()
h.write_file(dir .. "/probe.lua", [[
return {
  name = "tool probe",
  tools = {
    echo = hark.tool {
      description = "echo a word",
      parameters = { type = "object", properties = { word = { type = "string" } }, required = { "word" } },
      handler = function(call, args) call:sleep(0.5); return "echo " .. args.word end,
    },
  },
  on_user_turn = function(call, text)
    if text == "bad" then return call:tool("echo", { word = 42 }) end
    if text == "missing" then return call:tool("echo", {}) end
    if text == "unknown" then return call:tool("nope", {}) end
    return call:tool("echo", { word = text })
  end,
}]])
local p = h.call(dir .. "/probe.lua")
local t0 = h.now()
said = p:user("hello")
h.check(said[1] == "echo hello", "a tool handler runs and may wait: " .. tostring(said[1]))
h.check(h.now() - t0 >= 0.5, "the tool's sleep yielded")
p:user("bad")
h.check(p:errors() == 1, "wrong argument type is refused")
p:user("missing")
h.check(p:errors() == 2, "missing required argument is refused")
p:user("unknown")
h.check(p:errors() == 3, "unknown tool is refused")
