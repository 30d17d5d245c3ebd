-- lua/hark/assistant.lua: Vapi's speaking plans and metadata.hark.script.
-- stopSpeakingPlan becomes the agent's barge_in (voiceSeconds ->
-- min_speech_ms, backoffSeconds -> resume_after_ms held to hark's
-- 20..5000 ms), numWords above 0 and values out of Vapi's ranges are
-- refused naming the field; startSpeakingPlan is checked, not mapped.
-- with_script merges a script's table under the assistant's: the JSON wins
-- where both set a field, the script's hooks and tools join (a JSON tool of
-- the same name wins), and a script that returns no table is refused.
local h = harness
local asst = require("hark.assistant")

local function doc(extra)
  local d = { model = { provider = "openai", model = "m" } }
  for k, v in pairs(extra or {}) do d[k] = v end
  return d
end

local function refused(d, want, what)
  local ok, err = pcall(asst.to_agent, d)
  h.check(not ok and tostring(err):find(want, 1, true), what .. " (" .. tostring(err) .. ")")
end

-- 1. stopSpeakingPlan -> barge_in
local a = asst.to_agent(doc({ stopSpeakingPlan = { numWords = 0, voiceSeconds = 0.35, backoffSeconds = 1.5 } }))
h.check(a.barge_in and a.barge_in.min_speech_ms == 350 and a.barge_in.resume_after_ms == 1500,
        "voiceSeconds / backoffSeconds -> min_speech_ms / resume_after_ms")
a = asst.to_agent(doc({ stopSpeakingPlan = { backoffSeconds = 10 } }))
h.check(a.barge_in.resume_after_ms == 5000 and a.barge_in.min_speech_ms == nil,
        "backoffSeconds past hark's 5 s is held to 5000 ms; voiceSeconds absent keeps the default")
a = asst.to_agent(doc({ stopSpeakingPlan = { backoffSeconds = 0 } }))
h.check(a.barge_in.resume_after_ms == 20, "backoffSeconds 0 is hark's least, 20 ms")
a = asst.to_agent(doc({ stopSpeakingPlan = { numWords = 0 } }))
h.check(a.barge_in == nil, "numWords 0 alone changes nothing")
a = asst.to_agent(doc())
h.check(a.barge_in == nil, "no plan: hark's defaults")
refused(doc({ stopSpeakingPlan = { numWords = 2 } }), "stopSpeakingPlan.numWords is not supported above 0",
        "numWords above 0")
refused(doc({ stopSpeakingPlan = { voiceSeconds = 0.8 } }), "stopSpeakingPlan.voiceSeconds must be 0..0.5",
        "voiceSeconds out of range")
refused(doc({ stopSpeakingPlan = { backoffSeconds = -1 } }), "stopSpeakingPlan.backoffSeconds must be 0..10",
        "backoffSeconds out of range")
refused(doc({ stopSpeakingPlan = { voiceSeconds = "0.2" } }), "stopSpeakingPlan.voiceSeconds must be a number",
        "voiceSeconds a string")
refused(doc({ stopSpeakingPlan = 3 }), "stopSpeakingPlan must be a JSON object", "not an object")

-- 2. startSpeakingPlan: checked, kept by the store, not mapped
a = asst.to_agent(doc({ startSpeakingPlan = { waitSeconds = 0.4, transcriptionEndpointingPlan =
  { onPunctuationSeconds = 0.1, onNoPunctuationSeconds = 1.5, onNumberSeconds = 0.5 } } }))
h.check(a.barge_in == nil and a.transcriber == nil, "startSpeakingPlan maps onto nothing")
refused(doc({ startSpeakingPlan = { waitSeconds = 9 } }), "startSpeakingPlan.waitSeconds must be 0..5",
        "waitSeconds out of range")
refused(doc({ startSpeakingPlan = { transcriptionEndpointingPlan = { onNumberSeconds = 4 } } }),
        "startSpeakingPlan.transcriptionEndpointingPlan.onNumberSeconds must be 0..3", "endpointing out of range")

-- 3. metadata.hark.script: the name comes back with the agent
local agent, script = asst.to_agent(doc({ metadata = { hark = { script = "helper.lua" } } }))
h.check(script == "helper.lua" and agent.model.provider == "openai", "the script's name is returned")
agent, script = asst.to_agent(doc())
h.check(script == nil, "no script: nil")
refused(doc({ metadata = { hark = { script = "../x.lua" } } }), "metadata.hark.script must name a file", "a path")
refused(doc({ metadata = { hark = { script = "x.txt" } } }), "metadata.hark.script must name a file", "not .lua")
refused(doc({ metadata = { hark = { script = 5 } } }), "metadata.hark.script must be a string", "not a string")

-- 4. with_script: the JSON wins, the script's hooks and tools join
local a2 = asst.to_agent(doc({ firstMessage = "json", model = { provider = "openai", model = "m",
  tools = { { type = "endCall" } } } }))
local on_start = function() end
local m = asst.with_script(a2, {
  first_message = "script", system_prompt = "script prompt", on_start = on_start,
  tools = { lookup = { name = "lookup", handler = function() end }, { name = "listed", handler = function() end },
            endCall = { name = "endCall", handler = function() return "script's" end } },
})
h.check(m.first_message == "json", "JSON wins where both set a field")
h.check(m.system_prompt == "script prompt", "the script fills what the JSON leaves unset")
h.check(m.on_start == on_start, "the script's hooks")
h.check(m.tools.lookup and m.tools.listed, "the script's tools, by key or by name")
h.check(m.tools.endCall == a2.tools.endCall, "a JSON tool wins over a script tool of the same name")
local ok, err = pcall(asst.with_script, a2, "nope")
h.check(not ok and err:find("metadata.hark.script must return the agent table", 1, true), "no table: refused")
ok, err = pcall(asst.with_script, a2, { tools = 3 })
h.check(not ok and err:find("metadata.hark.script tools must be a table", 1, true), "tools not a table")
ok, err = pcall(asst.with_script, a2, { tools = { { handler = function() end } } })
h.check(not ok and err:find("each tool needs a name", 1, true), "a tool with no name")
