-- The agent registry and the call record under load: a long call keeps every
-- turn (no silent loss after the 256th turn or 512th message) until a logged
-- hard cap, where it ends gracefully with its end_message; a deleted agent
-- file is unloaded for new calls while a live call keeps its version; agents
-- are found by id (file stem), never by display name.
local h = harness
local dir = h.mkdtemp()

-- 1. a long call: every turn answered and recorded
h.write_file(dir .. "/echo.lua", [[
return {
  name = "Echo Line",
  end_message = "This call is too long, goodbye.",
  on_user_turn = function(call, text) return "heard " .. text end,
}]])
local c = h.call(dir .. "/echo.lua")
local said
for i = 1, 300 do said = c:user("turn " .. i) end
h.check(said[1] == "heard turn 300", "turn 300 is answered (" .. tostring(said[1]) .. ")")
local msgs = c:messages()
h.check(#msgs == 600, "600 messages recorded, not 512 (" .. #msgs .. ")")
h.check(msgs[600].text == "heard turn 300" and msgs[599].text == "turn 300",
        "the last turn is in the record")
h.check(c:ended() == nil, "the call goes on")

-- 2. the hard cap (4096 turns): logged, the end message, then the call ends
for i = 301, 4096 do said = c:user("turn " .. i) end
h.check(said[1] == "heard turn 4096", "turn 4096 is still answered")
h.check(c:ended() == nil, "not ended at the cap itself")
said = c:user("one too many")
h.check(said[1] == "This call is too long, goodbye.", "the end message at the cap (" .. tostring(said[1]) .. ")")
h.check(c:ended() == "exceeded-max-turns", "ended as exceeded-max-turns (" .. tostring(c:ended()) .. ")")
msgs = c:messages()
h.check(msgs[#msgs].text == "This call is too long, goodbye.", "goodbye is the last message")

-- 3. a deleted agent file is unloaded; a live call keeps its version
local rdir = h.mkdtemp()
local path = rdir .. "/front.lua"
h.write_file(path, "return { name = 'Front Desk', phone_number = '+15550001', " ..
                   "on_user_turn = function(call, text) return 'v' .. call.agent_version end }")
local d = h.agent_dir(rdir)
h.check(d:get("front") ~= nil, "found by id (file stem)")
h.check(d:get("+15550001") ~= nil, "found by phone number")
h.check(d:get("Front Desk") == nil, "not found by display name")
h.check(d:get(path) == nil, "not found by path")
local live = h.call(d:get("front"))
h.check(live:user("x")[1] == "v1", "the live call answers")
assert(os.remove(path))
d:poll(300)
h.check(d:get("front") == nil, "a deleted file's agent is gone for new calls")
h.check(d:get("+15550001") == nil, "and its number no longer routes to it")
h.check(live:user("y")[1] == "v1", "the live call keeps its version")
h.write_file(path, "return { name = 'Front Desk', on_user_turn = function(call, text) " ..
                   "return 'v' .. call.agent_version end }")
d:poll(300)
local back = d:get("front")
h.check(back ~= nil and back:version() == 2, "a file put back loads as the next version")
assert(os.rename(path, rdir .. "/front.lua.off"))
d:poll(300)
h.check(d:get("front") == nil, "a file renamed away is unloaded too")
