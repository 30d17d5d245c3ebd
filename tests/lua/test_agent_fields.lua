-- Agent fields that used to pass validation and do nothing: each now works
-- or is refused at load with an error naming it. first_message_mode,
-- on_transcript (finals here; interims in tests/integration/test_agent_fields.sh),
-- on_tool, language, metadata, server_url / server, and misspelt top-level fields.
local h = harness
local dir = h.mkdtemp()
local n = 0
local function file(body)
  n = n + 1
  local path = dir .. "/a" .. n .. ".lua"
  h.write_file(path, body)
  return path
end
local function refused(body, want, what)
  local a, err = h.load(file(body))
  h.check(a == nil and err and err:find(want, 1, true), what .. " (" .. tostring(err) .. ")")
end
local turn = "on_user_turn = function(call, text) return 'ok' end"
local a, err

-- unknown and misspelt fields are named
refused("return { frist_message = 'hi', " .. turn .. " }", "'frist_message'", "a misspelt field is named")
refused("return { on_transcipt = function() end, " .. turn .. " }", "'on_transcipt'", "a misspelt hook is named")

-- server_url / server: where api/webhooks sends server messages; checked
a, err = h.load(file("return { server_url = 'https://example.com/hook', " .. turn .. " }"))
h.check(a ~= nil, "server_url is accepted (" .. tostring(err) .. ")")
a, err = h.load(file("return { server = { url = 'http://127.0.0.1:1/h', secret = 's', "
                     .. "headers = { ['X-A'] = 'b' }, timeout_seconds = 3 }, " .. turn .. " }"))
h.check(a ~= nil, "server = {url, secret, headers, timeout_seconds} is accepted (" .. tostring(err) .. ")")
refused("return { server_url = 'ftp://example.com/hook', " .. turn .. " }", "server url must start with http",
        "a server URL must be http(s)")
refused("return { server = 'x', " .. turn .. " }", "server must be a table", "server must be a table")
refused("return { server = { url = 'https://e.com', headers = { ['A:B'] = 'c' } }, " .. turn .. " }",
        "server.headers must map names to strings", "a header name with a colon is refused")
refused("return { server = { url = 'https://e.com', timeout_seconds = 0 }, " .. turn .. " }",
        "server.timeout_seconds must be between", "a zero timeout is refused")

-- metadata: a table, kept, readable as call.metadata
refused("return { metadata = 'x', " .. turn .. " }", "metadata must be a table", "metadata must be a table")
local c = h.call(file([[
return { metadata = { shop = "acme", tier = 2 },
  on_user_turn = function(call, text) return call.metadata.shop .. " " .. call.metadata.tier end }]]))
h.check(c:user("x")[1] == "acme 2", "call.metadata reads the agent's metadata")
c = h.call(file("return { " .. turn:gsub("'ok'", "tostring(call.metadata)") .. " }"))
h.check(c:user("x")[1] == "nil", "no metadata: call.metadata is nil")

-- first_message_mode
refused("return { first_message_mode = 'assistant-speaks-last', " .. turn .. " }", "first_message_mode must be",
        "an unknown first_message_mode is named")
refused("return { first_message_mode = 'assistant-speaks-first-with-model-generated-message', " .. turn .. " }",
        "needs an LLM model", "a model-generated first message needs an LLM")
refused("return { first_message_mode = 'assistant-speaks-first-with-model-generated-message', " ..
        "model = { provider = 'anthropic', model = 'claude-3-5-haiku-latest' } }",
        "needs an OpenAI-compatible model", "a model-generated first message cannot use Anthropic")
a, err = h.load(file("return { first_message_mode = 'assistant-speaks-first-with-model-generated-message', " ..
                     "model = { provider = 'openai', model = 'gpt-4o-mini' } }"))
h.check(a ~= nil, "a model-generated first message with an OpenAI model loads (" .. tostring(err) .. ")")
c = h.call(file("return { first_message = 'Hello there.', first_message_mode = 'assistant-speaks-first', " ..
                turn .. " }"))
h.check(c:said()[1] == "Hello there.", "speaks-first says the first message")
c = h.call(file("return { first_message = 'Hello there.', " .. turn .. " }"))
h.check(c:said()[1] == "Hello there.", "speaks-first is the default")
c = h.call(file([[
return { first_message = "Hello there.", first_message_mode = "assistant-waits-for-user",
  on_start = function(call) call:set("started", true) end,
  on_user_turn = function(call, text) return "you spoke first" end }]]))
h.check(#c:said() == 0, "waits-for-user says nothing at the start")
h.check(c:get("started") == true, "on_start still runs")
local said = c:user("hello")
h.check(#said == 1 and said[1] == "you spoke first", "the caller's turn is answered first")
h.check(c:messages()[1].role == "user", "the conversation opens with the caller")

-- language
refused("return { language = 'es', " .. turn .. " }", "only an English model",
        "a non-English language with the offline transcriber fails at load")
refused("return { transcriber = { provider = 'sphinx', language = 'fr' }, " .. turn .. " }",
        "only an English model", "transcriber.language is checked the same way")
refused("return { language = 'en_US!', " .. turn .. " }", "language must be a language tag", "a malformed tag")
refused("return { language = 'zz', transcriber = { provider = 'deepgram' }, " .. turn .. " }",
        "espeak-ng has no voice", "a language espeak cannot speak, with espeak as the voice")
a, err = h.load(file("return { language = 'de-DE', transcriber = { provider = 'deepgram' }, " .. turn .. " }"))
h.check(a ~= nil, "German with Deepgram and espeak loads (" .. tostring(err) .. ")")
a, err = h.load(file("return { language = 'en-GB', " .. turn .. " }"))
h.check(a ~= nil, "English loads with the offline transcriber (" .. tostring(err) .. ")")
a, err = h.load(file("return { language = 'zz', transcriber = { provider = 'deepgram' }, " ..
                     "voice = { provider = 'espeak', voice_id = 'en-us' }, " .. turn .. " }"))
h.check(a ~= nil, "an explicit voice id wins over the language (" .. tostring(err) .. ")")

-- on_transcript: every final transcript, in its own coroutine, before the turn
c = h.call(file([[
return {
  on_transcript = function(call, t)
    local seen = call:get("seen", "")
    call:set("seen", seen .. (t.final and "F" or "I") .. t.turn .. ":" .. t.text .. ";")
    if t.text == "wait" then call:sleep(1) end          -- may not wait
    if t.text == "spin" then while true do end end      -- stopped by the CPU budget
    if t.text == "fail" then error("bad transcript hook") end
  end,
  on_user_turn = function(call, text) return "turn " .. call.turn .. " saw " .. call:get("seen") end,
}]]))
said = c:user("hello")
h.check(said[1] == "turn 1 saw F1:hello;", "on_transcript ran for the final before the turn (" .. tostring(said[1]) .. ")")
h.check(c:errors() == 0, "no errors so far")
for i, word in ipairs({ "wait", "spin", "fail" }) do
  said = c:user(word)
  h.check(#said == 1 and said[1]:find("^turn " .. (i + 1) .. " saw "), word .. ": the turn is still answered, " ..
          "no fallback line (" .. tostring(said[1]) .. ")")
  h.check(c:errors() == i, word .. ": counted as a hook error")
end

-- on_tool: the catch-all for tools without a handler, and for undeclared names
local tool_agent = [[
return {
  tools = {
    lookup = { description = "look an order up", parameters = { type = "object",
               properties = { id = { type = "string" } }, required = { "id" } } },
    local_one = hark.tool { description = "has its own handler", handler = function(call, args) return "own" end },
  },
  %s
  on_user_turn = function(call, text)
    local ok, r = pcall(call.tool, call, text, text == "lookup" and { id = "7" } or text == "bad" and {} or {})
    if text == "bad" then ok, r = pcall(call.tool, call, "lookup", {}) end
    if not ok then return "error: " .. tostring(r) end
    return "result: " .. tostring(r)
  end,
}]]
c = h.call(file(tool_agent:format([[
  on_tool = function(call, name, args) call:sleep(0.5); return name .. "/" .. tostring(args.id) end,]])))
h.check(c:user("lookup")[1] == "result: lookup/7", "a tool without a handler goes to on_tool (which may wait)")
h.check(c:user("local_one")[1] == "result: own", "a tool with a handler runs its handler")
h.check(c:user("undeclared")[1] == "result: undeclared/nil", "an undeclared name goes to on_tool")
said = c:user("bad")
h.check(said[1]:find("missing required argument 'id'", 1, true), "arguments are validated before on_tool (" .. said[1] .. ")")
c = h.call(file(tool_agent:format("")))
said = c:user("lookup")
h.check(said[1]:find("has no handler", 1, true), "without on_tool a handler-less tool is an error (" .. said[1] .. ")")
said = c:user("undeclared")
h.check(said[1]:find("unknown tool 'undeclared'", 1, true), "and an undeclared name too (" .. said[1] .. ")")
