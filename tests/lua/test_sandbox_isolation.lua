-- Agents cannot change each other (issue 10, item 3): a hostile agent tries
-- every route to what other agents run (hark.modules, require'd hark.*
-- modules, cjson's global setters, the standard library, the string
-- metatable, function environments, another hook's coroutine) and an agent
-- loaded next to it, and the worker's own modules, are unaffected.
local h = harness
local cjson = require("cjson")
local loaded = package.loaded
local real = {
  turn = loaded["hark.llm"].turn, messages = loaded["hark.llm"].messages,
  run_tool = loaded["hark.llm"].run_tool, max_rounds = loaded["hark.llm"].max_rounds,
  validate = loaded["hark.tool"].validate, schema = loaded["hark.tool"].schema,
  words = loaded["hark.text"].words, has_any = loaded["hark.text"].has_any,
  hark_words = loaded.hark.words, llm_turn = loaded.hark.llm_turn,
  encode = cjson.encode, upper = string.upper, insert = table.insert,
}
local depth = cjson.encode_max_depth()
local precision = cjson.encode_number_precision()

local hostile = h.call("tests/fixtures/agents/hostile_isolation.lua")
local victim = h.call("tests/fixtures/agents/victim_isolation.lua")
local before = {
  cjson = victim:user("cjson")[1], hark = victim:user("hark")[1], stdlib = victim:user("stdlib")[1],
}
h.check(before.cjson:find('"pi":3.1415926', 1, true) and before.cjson:find('"sparse":[1,null,3]', 1, true)
        and before.cjson:sub(-2) == " 1", "victim's cjson works: " .. before.cjson)
h.check(before.hark == "true 5 true hello+there book+monday true friday", "victim's hark: " .. before.hark)
h.check(before.stdlib == "ABC DEF 2 number suspended", "victim's stdlib: " .. before.stdlib)

-- routes that only change the hostile agent's own copies: allowed, harmless
for _, route in ipairs({ "llm_turn", "tool", "text", "cjson", "stdlib" }) do
  local said = hostile:user(route)
  h.check(said[1] == "done", route .. ": the hostile agent changed its own copy (" ..
          tostring(said[1]) .. ", " .. tostring(hostile:last_error()) .. ")")
end
h.check(hostile:errors() == 0, "no errors so far")

-- routes that reach shared things: refused
local refused = {
  cjson_deep = "at most 1000",          -- a depth past the C stack, even on its own instance
  strmeta = "attempt to index",         -- getmetatable("") is false
  strmeta_raw = "bad argument #1 to 'rawset'",
  setfenv = "setfenv is only allowed on the agent's own functions",
  hark_fn_env = "getfenv is only allowed on the agent's own functions",
}
for route, why in pairs(refused) do
  local n = hostile:errors()
  local said = hostile:user(route)
  local err = tostring(hostile:last_error())
  h.check(said[1] == "denied" and hostile:errors() == n + 1 and err:find(why, 1, true),
          route .. " is refused (" .. err:sub(1, 160) .. ")")
end

-- the victim sees exactly what it saw before
h.check(victim:user("cjson")[1] == before.cjson, "cjson setters did not reach the victim: " ..
        tostring(victim:said()[1]))
h.check(victim:user("hark")[1] == before.hark, "hark.modules/require did not reach the victim")
h.check(victim:user("stdlib")[1] == before.stdlib, "stdlib changes did not reach the victim")
h.check(victim:errors() == 0, "the victim had no errors")

-- and so does the worker: its modules and cjson settings are untouched
for k, v in pairs({ turn = loaded["hark.llm"].turn, messages = loaded["hark.llm"].messages,
                    run_tool = loaded["hark.llm"].run_tool, max_rounds = loaded["hark.llm"].max_rounds,
                    validate = loaded["hark.tool"].validate, schema = loaded["hark.tool"].schema,
                    words = loaded["hark.text"].words, has_any = loaded["hark.text"].has_any,
                    hark_words = loaded.hark.words, llm_turn = loaded.hark.llm_turn,
                    encode = cjson.encode, upper = string.upper, insert = table.insert }) do
  h.check(real[k] == v, "the worker's " .. k .. " is unchanged")
end
h.check(cjson.encode_max_depth() == depth and cjson.encode_number_precision() == precision,
        "the worker's cjson settings are unchanged")
h.check(cjson.encode({ x = 0.5 }) == '{"x":0.5}', "the worker's cjson encodes as before")

-- a version loaded after the attack (a hot reload) starts clean too
local fresh = h.call("tests/fixtures/agents/victim_isolation.lua")
h.check(fresh:user("hark")[1] == before.hark and fresh:user("cjson")[1] == before.cjson,
        "a version loaded after the attack is clean")

-- within one agent: a hook's own coroutine, kept by another call, cannot be resumed
local one = h.load("tests/fixtures/agents/hostile_isolation.lua") -- both calls share its globals
local keeper = h.call(one)
keeper:user("keep", true)
local other = h.call(one)
local said = other:user("resume", true)
h.run(1)
h.check(said[1] == "denied" and tostring(other:last_error()):find("only resume coroutines it created", 1, true),
        "another hook's coroutine cannot be resumed: " .. tostring(other:last_error()))
