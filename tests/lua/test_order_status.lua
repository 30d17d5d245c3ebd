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
-- the tool itself, driven by a tiny agent that calls it from turn logic. A
-- refused call must be refused by the schema check, before the handler runs:
-- each case keeps its error message and the handler counts its runs.
local dir = h.mkdtemp()
h.write_file(dir .. "/probe.lua", [[
local function raise(call, f)
  local ok, res = pcall(f)
  call:set("err", not ok and tostring(res) or nil)
  if not ok then error(res, 0) end
  return res
end
return {
  name = "tool probe",
  tools = {
    echo = hark.tool {
      description = "echo a word",
      parameters = {
        type = "object",
        properties = {
          word = { type = "string" },
          mood = { type = "string", enum = { "happy", "sad" } },
        },
        required = { "word" },
      },
      handler = function(call, args)
        call:set("runs", (call:get("runs") or 0) + 1)
        call:sleep(0.5)
        return "echo " .. tostring(args.word)
      end,
    },
  },
  on_user_turn = function(call, text)
    return raise(call, function()
      if text == "bad" then return call:tool("echo", { word = 42 }) end
      if text == "missing" then return call:tool("echo", {}) end
      if text == "enum" then return call:tool("echo", { word = "hi", mood = "angry" }) end
      if text == "unknown" then return call:tool("nope", {}) end
      return call:tool("echo", { word = text })
    end)
  end,
}]])
local p = h.call(dir .. "/probe.lua")
local t0 = h.now()
said = p:user("hello")
h.check(said[1] == "echo hello", "a tool handler runs and may wait: " .. tostring(said[1]))
h.check(h.now() - t0 >= 0.5, "the tool's sleep yielded")
h.check(p:get("runs") == 1, "the handler ran once")
local function refused(text, errors, want, what)
  said = p:user(text)
  local err = tostring(p:get("err"))
  h.check(p:errors() == errors, what .. " is an error")
  h.check(err:find(want, 1, true), what .. " is refused by the schema check: " .. err)
  h.check(p:get("runs") == 1, what .. ": the handler never ran")
end
refused("bad", 1, "tool echo: argument 'word' must be of type string", "wrong argument type")
refused("missing", 2, "tool echo: missing required argument 'word'", "missing required argument")
refused("enum", 3, "tool echo: argument 'mood' is not one of the allowed values", "a value outside the enum")
refused("unknown", 4, "unknown tool 'nope'", "unknown tool")
said = p:user("again")
h.check(said[1] == "echo again" and p:get("runs") == 2, "a valid call still runs after refusals")
