-- hark.assistant: an API assistant (Vapi's JSON, as POST /assistant stores
-- it) as the agent table a Lua file returns. The C side (agent/agent_json.c)
-- runs the same checks on the result as on a file agent, and holds the other
-- direction (a file agent shown as an assistant). Owned here: which Vapi
-- fields hark runs, their agent names, and the refusal of what hark cannot
-- run yet, each naming the assistant's field. Fields hark does not read (Vapi
-- has many: analysisPlan, artifactPlan, ...) are kept by the store and
-- ignored here.
--
-- hark's extension: metadata.hark.script = "name.lua" names a Lua file in
-- the agents directory whose hooks (on_start, on_user_turn, on_tool, ...)
-- and tools run with this assistant's settings. (Loading it is not wired
-- yet: such an assistant is refused with a message saying so.)
local cjson = require("cjson")

local M = {}

local function bad(field, msg)
  error(field .. " " .. msg, 0)
end

local function is_array(t)
  if type(t) ~= "table" then return false end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  for i = 1, n do if t[i] == nil then return false end end
  return true
end

local function opt(v, field, kind)
  if v == nil or v == cjson.null then return nil end
  if type(v) ~= kind then bad(field, "must be a " .. (kind == "table" and "JSON object" or kind)) end
  return v
end

local function strings(v, field)
  v = opt(v, field, "table")
  if v == nil then return nil end
  if not is_array(v) then bad(field, "must be a list of strings") end
  for i, s in ipairs(v) do
    if type(s) ~= "string" then bad(field .. "[" .. (i - 1) .. "]", "must be a string") end
  end
  return v
end

-- Vapi's provider names that hark spells otherwise
local voice_providers = { ["11labs"] = "elevenlabs" }

-- Vapi's built-in tool types that hark runs itself, as agent tools:
-- endCall hangs up (call:hangup), transferCall transfers to one of its
-- destination numbers (call:transfer: calls over Twilio). A tool of any
-- other type (function, apiRequest, ...) runs on a tool server, which needs
-- the tool-calls webhook hark does not send yet: refused.
local function builtin_tool(tl, i, tools)
  local f = "model.tools[" .. i .. "]"
  if type(tl) ~= "table" then bad(f, "must be an object") end
  local ty = opt(tl.type, f .. ".type", "string")
  local fn = opt(tl["function"], f .. ".function", "table") or {}
  local name = opt(fn.name, f .. ".function.name", "string")
  local desc = opt(fn.description, f .. ".function.description", "string")
  if name and (#name > 64 or not name:match("^[%w_%-]+$")) then bad(f .. ".function.name", "must match ^[a-zA-Z0-9_-]{1,64}$") end
  if ty == "endCall" or ty == "transferCall" then
    name = name or ty
    if tools[name] then bad(f .. ".function.name", "\"" .. name .. "\" is the name of another tool") end
  end
  if ty == "endCall" then
    tools[name] = {
      name = name, description = desc or "End the call, once the conversation is over.",
      parameters = { type = "object", properties = {} },
      handler = function(call)
        call:hangup("assistant-ended-call")
        return { ended = true }
      end,
    }
  elseif ty == "transferCall" then
    local dests = opt(tl.destinations, f .. ".destinations", "table") or {}
    local numbers = {}
    for j, d in ipairs(dests) do
      local df = f .. ".destinations[" .. (j - 1) .. "]"
      if type(d) ~= "table" then bad(df, "must be an object") end
      if d.type ~= "number" then
        bad(df .. ".type", "\"" .. tostring(d.type) .. "\" is not supported: hark transfers to phone numbers")
      end
      local n = opt(d.number, df .. ".number", "string")
      if not n or not n:match("^%+%d+$") then bad(df .. ".number", "must be an E.164 number") end
      numbers[#numbers + 1] = n
    end
    if #numbers == 0 then bad(f .. ".destinations", "must name at least one number") end
    tools[name] = {
      name = name, description = desc or "Transfer the call to a person.",
      parameters = { type = "object", properties = { destination = { type = "string", enum = numbers } },
                     required = { "destination" } },
      handler = function(call, args)
        call:transfer(args.destination)
        return { transferred = true }
      end,
    }
  else
    bad("model.tools", "is not supported yet for type \"" .. tostring(ty) .. "\" (" .. f .. "): hark "
      .. "runs endCall and transferCall itself, but does not call tool servers (tool-calls webhooks) "
      .. "yet; use a Lua script (metadata.hark.script) with hark tools")
  end
end

local function model(m, a)
  m = opt(m, "model", "table")
  if not m then return end
  local t = {}
  t.provider = opt(m.provider, "model.provider", "string")
  if not t.provider then bad("model.provider", "is required") end
  t.model = opt(m.model, "model.model", "string")
  t.url = opt(m.url, "model.url", "string")
  t.temperature = opt(m.temperature, "model.temperature", "number")
  if t.temperature and (t.temperature < 0 or t.temperature > 2) then
    bad("model.temperature", "must be 0..2")
  end
  t.maxTokens = opt(m.maxTokens, "model.maxTokens", "number")
  local msgs = opt(m.messages, "model.messages", "table")
  if msgs then
    if not is_array(msgs) then bad("model.messages", "must be a list") end
    local system = {}
    for i, msg in ipairs(msgs) do
      local f = "model.messages[" .. (i - 1) .. "]"
      if type(msg) ~= "table" then bad(f, "must be an object") end
      local role = opt(msg.role, f .. ".role", "string")
      local content = opt(msg.content, f .. ".content", "string")
      if role ~= "system" then
        bad(f .. ".role", "\"" .. tostring(role) .. "\" is not supported: hark takes the system "
          .. "prompt from model.messages (role \"system\"); seed conversations are not run")
      end
      system[#system + 1] = content or ""
    end
    if #system > 0 then a.system_prompt = table.concat(system, "\n\n") end
  end
  local tools = opt(m.tools, "model.tools", "table")
  if tools and next(tools) ~= nil then
    if not is_array(tools) then bad("model.tools", "must be a list") end
    a.tools = {}
    for i, tl in ipairs(tools) do builtin_tool(tl, i - 1, a.tools) end
  end
  local ids = opt(m.toolIds, "model.toolIds", "table")
  if ids and next(ids) ~= nil then
    bad("model.toolIds", "is not supported yet: assistants do not load /tool documents yet; "
      .. "give endCall / transferCall tools inline in model.tools")
  end
  local fns = opt(m.functions, "model.functions", "table")
  if fns and next(fns) ~= nil then bad("model.functions", "is not supported yet (legacy tools)") end
  a.model = t
end

local function voice(v, a)
  v = opt(v, "voice", "table")
  if not v then return end
  local p = opt(v.provider, "voice.provider", "string")
  if not p then bad("voice.provider", "is required") end
  a.voice = {
    provider = voice_providers[p] or p,
    voiceId = opt(v.voiceId, "voice.voiceId", "string"),
    model = opt(v.model, "voice.model", "string"),
    stability = opt(v.stability, "voice.stability", "number"),
    similarityBoost = opt(v.similarityBoost, "voice.similarityBoost", "number"),
  }
end

local function transcriber(t, a)
  t = opt(t, "transcriber", "table")
  if not t then return end
  local p = opt(t.provider, "transcriber.provider", "string")
  if not p then bad("transcriber.provider", "is required") end
  a.transcriber = {
    provider = p,
    model = opt(t.model, "transcriber.model", "string"),
    language = opt(t.language, "transcriber.language", "string"),
    keywords = strings(t.keywords, "transcriber.keywords"),
    endpointing = opt(t.endpointing, "transcriber.endpointing", "number"),
  }
end

-- The agent table of assistant doc (a Lua table decoded from the JSON).
function M.to_agent(doc)
  if type(doc) ~= "table" or is_array(doc) and next(doc) ~= nil then
    bad("assistant", "must be a JSON object")
  end
  local a = {}
  a.name = opt(doc.name, "name", "string")
  a.first_message = opt(doc.firstMessage, "firstMessage", "string")
  a.first_message_mode = opt(doc.firstMessageMode, "firstMessageMode", "string")
  a.end_message = opt(doc.endCallMessage, "endCallMessage", "string")
  a.end_call_phrases = strings(doc.endCallPhrases, "endCallPhrases")
  if a.end_call_phrases and #a.end_call_phrases > 16 then bad("endCallPhrases", "has more than 16 phrases") end
  a.max_duration = opt(doc.maxDurationSeconds, "maxDurationSeconds", "number")
  if a.max_duration and (a.max_duration < 10 or a.max_duration > 43200) then
    bad("maxDurationSeconds", "must be 10..43200")
  end
  a.silence_timeout = opt(doc.silenceTimeoutSeconds, "silenceTimeoutSeconds", "number")
  if doc.model == nil or doc.model == cjson.null then
    bad("model", "is required: hark runs the default LLM turn with it (provider, model)")
  end
  model(doc.model, a)
  voice(doc.voice, a)
  transcriber(doc.transcriber, a)
  -- server.url / serverUrl: where Vapi server messages go (api/webhooks);
  -- serverMessages picks which (default: all hark sends but transcript)
  local server = opt(doc.server, "server", "table")
  local url = server and opt(server.url, "server.url", "string")
  url = url or opt(doc.serverUrl, "serverUrl", "string")
  if url then
    if not url:match("^https?://") then bad(server and server.url and "server.url" or "serverUrl",
      "must be an http:// or https:// URL") end
    local s = {url = url}
    s.secret = (server and opt(server.secret, "server.secret", "string"))
      or opt(doc.serverUrlSecret, "serverUrlSecret", "string")
    s.timeout_seconds = server and opt(server.timeoutSeconds, "server.timeoutSeconds", "number")
    if s.timeout_seconds and (s.timeout_seconds < 1 or s.timeout_seconds > 300) then
      bad("server.timeoutSeconds", "must be 1..300")
    end
    local h = server and opt(server.headers, "server.headers", "table")
    if h then
      s.headers = {}
      for k, v in pairs(h) do
        if type(k) ~= "string" or type(v) ~= "string" then
          bad("server.headers", "must map header names to strings")
        end
        s.headers[k] = v
      end
    end
    local sm = opt(doc.serverMessages, "serverMessages", "table")
    if sm then
      s.messages = {}
      for i, v in ipairs(sm) do
        if type(v) ~= "string" then bad("serverMessages", "must be a list of message type names") end
        s.messages[i] = v
      end
    end
    a.server = s
  end
  local meta = opt(doc.metadata, "metadata", "table")
  if meta then
    a.metadata = meta
    local h = opt(meta.hark, "metadata.hark", "table")
    -- limits (hark's namespace): like a Lua agent's max_concurrent_calls / calls_per_minute
    if h then
      for json, field in pairs({ maxConcurrentCalls = "max_concurrent_calls", callsPerMinute = "calls_per_minute" }) do
        local v = h[json]
        if v ~= nil and v ~= cjson.null then
          if type(v) ~= "number" or v < 0 or v > 1000000 or v ~= math.floor(v) then
            bad("metadata.hark." .. json, "must be a whole number 0 (no limit) to 1000000")
          end
          a[field] = v
        end
      end
    end
    if h and h.script ~= nil and h.script ~= cjson.null then
      local s = opt(h.script, "metadata.hark.script", "string")
      if not s:match("^[%w_%-]+%.lua$") then
        bad("metadata.hark.script", "must name a file in the agents directory (\"name.lua\")")
      end
      bad("metadata.hark.script", "is not supported yet (an assistant with a Lua script)")
    end
  end
  return a
end

-- JSON text -> agent table; errors are "field message" strings.
function M.decode(text)
  local ok, doc = pcall(cjson.decode, text)
  if not ok then error("assistant is not valid JSON", 0) end
  return M.to_agent(doc)
end

return M
