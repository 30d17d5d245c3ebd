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
-- and tools run with this assistant's settings. decode returns the name as
-- its second value; the C side (agent_json.c) runs the file in a sandbox of
-- the assistant's own and hands its table to with_script, which merges it.
--
-- Vapi's speaking plans: stopSpeakingPlan {voiceSeconds, backoffSeconds}
-- becomes barge_in {min_speech_ms, resume_after_ms}; numWords above 0 is
-- refused (hark interrupts on voice length alone); startSpeakingPlan is
-- checked and kept but not used yet (hark has no such endpointing setting).
local cjson = require("cjson")
local tool_server = require("hark.tool_server")

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
-- destination numbers (call:transfer: calls over Twilio). A function tool
-- runs on the customer's server: the model's call goes there as Vapi's
-- tool-calls message (lua/hark/tool_server.lua) and the reply's result
-- goes back to the model. Other types (apiRequest, dtmf, ...) are refused.
-- f names the tool in errors ("model.tools[0]", "model.toolIds[1]").
local function one_server(s, f)
  s = opt(s, f .. ".server", "table")
  if not s then return nil end
  local url = opt(s.url, f .. ".server.url", "string")
  if not url then return nil end
  if not url:match("^https?://") then bad(f .. ".server.url", "must be an http:// or https:// URL") end
  local out = { url = url, secret = opt(s.secret, f .. ".server.secret", "string") }
  out.timeout_seconds = opt(s.timeoutSeconds, f .. ".server.timeoutSeconds", "number")
  if out.timeout_seconds and (out.timeout_seconds < 1 or out.timeout_seconds > 300) then
    bad(f .. ".server.timeoutSeconds", "must be 1..300")
  end
  local h = opt(s.headers, f .. ".server.headers", "table")
  if h then
    out.headers = {}
    for k, v in pairs(h) do
      if type(k) ~= "string" or type(v) ~= "string" or k:find("[\r\n:]") or v:find("[\r\n]") then
        bad(f .. ".server.headers", "must map header names to strings")
      end
      out.headers[k] = v
    end
  end
  return out
end

-- messages[]: request-start / request-complete / request-failed lines with
-- a plain content are spoken; conditional ones and other types are kept
-- for the tool server's view only.
local function tool_messages(list, f)
  list = opt(list, f .. ".messages", "table")
  if not list then return nil, nil end
  if not is_array(list) then bad(f .. ".messages", "must be a list") end
  local say = {}
  for j, m in ipairs(list) do
    local mf = f .. ".messages[" .. (j - 1) .. "]"
    if type(m) ~= "table" then bad(mf, "must be an object") end
    local ty = opt(m.type, mf .. ".type", "string")
    local content = m.content
    if type(content) == "string" and content ~= "" and m.conditions == nil
       and (ty == "request-start" or ty == "request-complete" or ty == "request-failed") then
      say[ty:sub(9)] = say[ty:sub(9)] or content
    end
  end
  return say, list
end

-- cjson (upstream) encodes an empty table as {}: an empty "required" or
-- "enum" list would reach the model as an object, which the LLM APIs
-- refuse; they mean nothing, so they go.
local function drop_empty_lists(t, depth)
  if depth > 16 then return end
  for k, v in pairs(t) do
    if type(v) == "table" then
      if (k == "required" or k == "enum") and next(v) == nil then t[k] = nil
      else drop_empty_lists(v, depth + 1) end
    end
  end
end

local function parameters(p, f)
  p = opt(p, f, "table")
  if p == nil then return { type = "object", properties = {} } end
  if is_array(p) and next(p) ~= nil then bad(f, "must be a JSON-schema object") end
  drop_empty_lists(p, 0)
  return p
end

local function map_tool(tl, f, tools)
  if type(tl) ~= "table" then bad(f, "must be an object") end
  local ty = opt(tl.type, f .. ".type", "string")
  local fn = opt(tl["function"], f .. ".function", "table") or {}
  local name = opt(fn.name, f .. ".function.name", "string")
  local desc = opt(fn.description, f .. ".function.description", "string")
  if name and (#name > 64 or not name:match("^[%w_%-]+$")) then bad(f .. ".function.name", "must match ^[a-zA-Z0-9_-]{1,64}$") end
  if ty == "endCall" or ty == "transferCall" then name = name or ty end
  if ty == "function" and not name then bad(f .. ".function.name", "is required") end
  if name and tools[name] then bad(f .. ".function.name", "\"" .. name .. "\" is the name of another tool") end
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
  elseif ty == "function" then
    local async = opt(tl.async, f .. ".async", "boolean") == true
    local say, raw_messages = tool_messages(tl.messages, f)
    local params = parameters(fn.parameters, f .. ".function.parameters")
    tools[name] = tool_server.define {
      name = name, description = desc or "", parameters = params, kind = "tool-calls",
      server = one_server(tl.server, f), field = f, say = say, async = async,
      -- what the tool server is shown of its tool (toolWithToolCallList)
      vapi = { type = "function", ["function"] = { name = name, description = desc, parameters = params },
               messages = raw_messages, async = async or nil },
    }
  else
    bad("model.tools", "is not supported for type \"" .. tostring(ty) .. "\" (" .. f .. "): hark "
      .. "runs endCall and transferCall itself and function tools on their server (tool-calls); "
      .. "for others use a Lua script (metadata.hark.script) with hark tools")
  end
end

-- legacy functions [{name, description, parameters}]: Vapi's function-call
-- message to the assistant's server, one per call
local function map_functions(list, f, tools)
  list = opt(list, f, "table")
  if not list or next(list) == nil then return end
  if not is_array(list) then bad(f, "must be a list") end
  for i, fn in ipairs(list) do
    local ff = f .. "[" .. (i - 1) .. "]"
    if type(fn) ~= "table" then bad(ff, "must be an object") end
    local name = opt(fn.name, ff .. ".name", "string")
    if not name or #name > 64 or not name:match("^[%w_%-]+$") then bad(ff .. ".name", "must match ^[a-zA-Z0-9_-]{1,64}$") end
    if tools[name] then bad(ff .. ".name", "\"" .. name .. "\" is the name of another tool") end
    local desc = opt(fn.description, ff .. ".description", "string")
    tools[name] = tool_server.define {
      name = name, description = desc or "", parameters = parameters(fn.parameters, ff .. ".parameters"),
      kind = "function-call", field = ff,
    }
  end
end

local function model(m, a, tool_docs)
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
  a.tools = {}
  if tools and next(tools) ~= nil then
    if not is_array(tools) then bad("model.tools", "must be a list") end
    for i, tl in ipairs(tools) do map_tool(tl, "model.tools[" .. (i - 1) .. "]", a.tools) end
  end
  -- toolIds: /tool documents of the assistant's tenant, read by the C side
  -- (agent/tool_ids.c) and handed in as tool_docs (id -> document); an id
  -- with no document was refused by the API when the assistant was saved,
  -- and at a call it is skipped (tool_ids.c warns)
  local ids = opt(m.toolIds, "model.toolIds", "table")
  if ids and next(ids) ~= nil then
    if not is_array(ids) then bad("model.toolIds", "must be a list of tool ids") end
    if #ids > 32 then bad("model.toolIds", "has more than 32 ids") end
    if tool_docs == nil then
      bad("model.toolIds", "cannot be resolved here: tools are read from the store by hark serve "
        .. "(give them inline in model.tools)")
    end
    for i, id in ipairs(ids) do
      if type(id) ~= "string" then bad("model.toolIds[" .. (i - 1) .. "]", "must be a string") end
      local d = tool_docs[id]
      if d ~= nil then map_tool(d, "model.toolIds[" .. (i - 1) .. "] (tool " .. id .. ")", a.tools) end
    end
  end
  map_functions(m.functions, "model.functions", a.tools)
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

-- Vapi's speaking plans (hark-side ranges documented in README).
-- stopSpeakingPlan: voiceSeconds (0..0.5, Vapi's default 0.2) is the speech
-- that interrupts the agent (barge_in.min_speech_ms); backoffSeconds (0..10,
-- Vapi's default 1) the quiet after which playback resumes (resume_after_ms,
-- held to hark's 20..5000 ms); numWords must be 0 (hark has no word count
-- for interrupting). startSpeakingPlan is checked and kept, not used.
local function plan_num(t, k, f, lo, hi)
  local v = opt(t[k], f .. "." .. k, "number")
  if v and (v < lo or v > hi) then bad(f .. "." .. k, "must be " .. lo .. ".." .. hi) end
  return v
end

local function speaking_plans(doc, a)
  local sp = opt(doc.stopSpeakingPlan, "stopSpeakingPlan", "table")
  if sp then
    local f = "stopSpeakingPlan"
    local words = plan_num(sp, "numWords", f, 0, 10)
    if words and words ~= 0 then
      bad(f .. ".numWords", "is not supported above 0: hark interrupts on the caller's voice "
        .. "alone (stopSpeakingPlan.voiceSeconds)")
    end
    local voice_s = plan_num(sp, "voiceSeconds", f, 0, 0.5)
    local back_s = plan_num(sp, "backoffSeconds", f, 0, 10)
    if voice_s or back_s then
      local b = {}
      if voice_s then b.min_speech_ms = math.floor(voice_s * 1000 + 0.5) end
      if back_s then b.resume_after_ms = math.min(5000, math.max(20, math.floor(back_s * 1000 + 0.5))) end
      a.barge_in = b
    end
  end
  local st = opt(doc.startSpeakingPlan, "startSpeakingPlan", "table")
  if st then
    plan_num(st, "waitSeconds", "startSpeakingPlan", 0, 5)
    local ep = opt(st.transcriptionEndpointingPlan, "startSpeakingPlan.transcriptionEndpointingPlan", "table")
    if ep then
      for _, k in ipairs({ "onPunctuationSeconds", "onNoPunctuationSeconds", "onNumberSeconds" }) do
        plan_num(ep, k, "startSpeakingPlan.transcriptionEndpointingPlan", 0, 3)
      end
    end
  end
end

-- The agent table of assistant doc (a Lua table decoded from the JSON),
-- and the script's file name when metadata.hark.script names one.
function M.to_agent(doc, tool_docs)
  if type(doc) ~= "table" or is_array(doc) and next(doc) ~= nil then
    bad("assistant", "must be a JSON object")
  end
  local a, script = {}, nil
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
  model(doc.model, a, tool_docs)
  map_functions(doc.functions, "functions", a.tools or {})
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
      if #s > 128 or not s:match("^[%w_%-]+%.lua$") then
        bad("metadata.hark.script", "must name a file in the agents directory (\"name.lua\")")
      end
      script = s
    end
  end
  -- server tools without a server of their own use the assistant's
  for _, def in pairs(a.tools or {}) do
    if tool_server.is_server_tool(def) and not def.server then
      def.server = a.server
      if not def.server then
        bad(def.field .. (def.kind == "function-call" and "" or ".server.url"), "needs a server: "
          .. (def.kind == "function-call" and "" or "the tool has no server.url and ")
          .. "the assistant has no server.url / serverUrl to send the "
          .. def.kind .. " message to")
      end
    end
  end
  if a.tools and next(a.tools) == nil then a.tools = nil end
  speaking_plans(doc, a)
  return a, script
end

-- The assistant's agent a with the table s its script returned (built in
-- the script's own sandbox; read raw, as it is agent code): s supplies the
-- hooks, its tools and any setting the assistant leaves unset; the
-- assistant's JSON wins where both set a field, and its tools win over
-- script tools of the same name. The result goes through the same checks
-- as any agent (hk_agent_from_table).
function M.with_script(a, s)
  local f = "metadata.hark.script"
  if type(s) ~= "table" then bad(f, "must return the agent table (it returned " .. type(s) .. ")") end
  local out = {}
  for k, v in next, s do
    if k ~= "tools" then out[k] = v end
  end
  for k, v in pairs(a) do
    if k ~= "tools" then out[k] = v end
  end
  local tools = {}
  local st = rawget(s, "tools")
  if st ~= nil then
    if type(st) ~= "table" then bad(f, "tools must be a table of hark.tool definitions") end
    for k, def in next, st do
      local name = type(k) == "string" and k or (type(def) == "table" and rawget(def, "name"))
      if type(name) ~= "string" then bad(f, "tools: each tool needs a name") end
      tools[name] = def
    end
  end
  for name, def in pairs(a.tools or {}) do tools[name] = def end
  if next(tools) ~= nil then out.tools = tools end
  return out
end

-- JSON text -> agent table; errors are "field message" strings.
-- tools_text: the assistant's model.toolIds resolved (a JSON object id ->
-- /tool document), or nil where no store can resolve them.
function M.decode(text, tools_text)
  local ok, doc = pcall(cjson.decode, text)
  if not ok then error("assistant is not valid JSON", 0) end
  local tool_docs
  if tools_text then
    ok, tool_docs = pcall(cjson.decode, tools_text)
    if not ok or type(tool_docs) ~= "table" then error("model.toolIds: the tools read are not valid JSON", 0) end
  end
  return M.to_agent(doc, tool_docs)
end

return M
