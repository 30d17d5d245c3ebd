-- The Lua agent runtime: hooks in coroutines that yield to the loop, calls
-- that interleave, per-call error isolation, the CPU budget, the sandbox,
-- bad agent files, and hot reload that keeps live calls on their version.
local h = harness
local dir = h.mkdtemp()

local function agent(name, body)
  local path = dir .. "/" .. name .. ".lua"
  h.write_file(path, body)
  return path
end

-- 1. a hook that sleeps yields; two calls sleeping at once overlap in time
local sleeper = agent("sleeper", [[
return {
  name = "sleeper",
  on_user_turn = function(call, text)
    call:say("one " .. text)
    call:sleep(1)
    call:say("two " .. text)
    call:set("done", true)
  end,
}]])
local a, b = h.call(sleeper), h.call(sleeper)
local t0 = h.now()
a:user("A", true)
b:user("B", true)
h.run()
local elapsed = h.now() - t0
h.check(a:get("done") and b:get("done"), "both hooks resumed after their sleep")
h.check(elapsed >= 1 and elapsed < 1.5, "sleeps overlapped (took " .. elapsed .. " s, not 2)")
local ma, mb = a:messages(), b:messages()
h.check(ma[3].text == "two A" and mb[3].text == "two B", "each call said its own lines")
h.check(mb[2].time < ma[3].time, "call B spoke while call A slept (interleaved)")

-- 2. an error in one call's hook: fallback line, other calls unaffected
local flaky = agent("flaky", [[
return {
  name = "flaky",
  fallback_message = "Sorry, let me try that again.",
  on_user_turn = function(call, text)
    if text == "boom" then local t = nil; return t.field end
    return "fine: " .. text
  end,
}]])
local f1, f2 = h.call(flaky), h.call(flaky)
local said = f1:user("boom")
h.check(said[1] == "Sorry, let me try that again.", "error speaks the fallback")
h.check(f1:errors() == 1, "error counted on that call")
said = f1:user("again")
h.check(said[1] == "fine: again", "the call goes on after an error")
said = f2:user("hello")
h.check(said[1] == "fine: hello" and f2:errors() == 0, "the other call never noticed")

-- 3. a runaway loop in a hook is stopped by the CPU budget (10 ms slice)
local spinner = agent("spinner", [[
return {
  name = "spinner",
  fallback_message = "fallback",
  on_user_turn = function(call, text)
    if text == "spin" then
      local n = 0
      while true do n = n + 1 end
    elseif text == "sneaky" then
      -- catching the budget error must not buy more time
      while true do pcall(function() while true do end end) end
    end
    return "ok"
  end,
}]])
local s = h.call(spinner)
local w0 = h.wall()
said = s:user("spin")
local took = h.wall() - w0
h.check(said[1] == "fallback", "runaway hook speaks the fallback")
h.check(s:errors() == 1, "the runaway counts as one hook error")
h.check(took < 1.0, "stopped quickly (" .. took .. " s)")
said = s:user("sneaky")
h.check(said[1] == "fallback", "pcall cannot swallow the budget")
said = s:user("fine")
h.check(said[1] == "ok", "the call still works")

-- 4. the sandbox: no io, os.execute, ffi, debug, require of C modules, bytecode
local probe = agent("probe", [[
local function try(f) local ok, err = pcall(f); return ok, tostring(err) end
return {
  name = "probe",
  on_user_turn = function(call, what)
    local checks = {
      io = function() return io.open("/etc/passwd") end,
      execute = function() return os.execute("true") end,
      exit = function() return os.exit(1) end,
      ffi = function() return require("ffi") end,
      debug = function() return debug.getinfo(1) end,
      loadfile = function() return loadfile("/etc/passwd") end,
      dofile = function() return dofile("/etc/passwd") end,
      bytecode = function() return loadstring(string.dump(function() end)) end,
      cmodule = function() return require("socket.core") end,
      package = function() return package.loadlib("x", "y") end,
      strmeta = function() return getmetatable("").__index end,
      gc = function() return collectgarbage("stop") end,
    }
    local ok, err = try(checks[what])
    call:set("err", err)
    return ok and "allowed" or "denied"
  end,
}]])
local p = h.call(probe)
for _, what in ipairs({ "io", "execute", "exit", "ffi", "debug", "loadfile", "dofile",
                        "bytecode", "cmodule", "package", "strmeta", "gc" }) do
  said = p:user(what)
  h.check(said[1] == "denied", "sandbox denies " .. what .. " (" .. tostring(p:get("err")) .. ")")
end
local allowed = agent("allowed", [[
local cjson = require("cjson")
return {
  name = "allowed",
  on_user_turn = function(call, text)
    local t = os.time() + math.floor(1.5) + #string.rep("a", 3)
    return cjson.encode({ n = 1 }) .. " " .. type(t) .. " " .. hark.version
  end,
}]])
said = h.call(allowed):user("x")
h.check(said[1] == '{"n":1} number 0.1.0', "sandbox allows cjson, os.time, string, math: " .. tostring(said[1]))

-- 5. bad agent files: clear messages naming file and line
local ok, err = h.load("tests/fixtures/agents/not_lua.lua")
h.check(not ok and err:find("not_lua.lua:1:"), "not Lua: " .. tostring(err))
ok, err = h.load("tests/fixtures/agents/no_table.lua")
h.check(not ok and err:find("must return the agent table"), "no table: " .. tostring(err))
local w1 = h.wall()
ok, err = h.load("tests/fixtures/agents/load_loop.lua")
h.check(not ok and err:find("CPU budget") and err:find("load_loop.lua:3:"), "load loop: " .. tostring(err))
h.check(h.wall() - w1 < 1.0, "load loop stopped quickly")
ok, err = h.load("tests/fixtures/agents/bad_field.lua")
h.check(not ok and err:find("first_mesage"), "misspelt field: " .. tostring(err))
ok, err = h.load("tests/fixtures/agents/unknown_provider.lua")
h.check(not ok and err:find("no%-such%-voice"), "unknown provider: " .. tostring(err))
local unknown_api = agent("unknown_api", [[
-- each failing call is caught once to keep its message, then raised again so
-- the runtime still counts it as the hook's error
local function raise(call, f)
  local ok, err = pcall(f)
  call:set("err", tostring(err))
  if not ok then error(err, 0) end
end
return {
  name = "unknown api",
  on_user_turn = function(call, text)
    if text == "method" then raise(call, function() call:sya("hello") end) end
    if text == "global" then raise(call, function() return hark.sya("x") end) end
    return "ok"
  end,
}]])
local u = h.call(unknown_api)
u:user("method")
h.check(u:errors() == 1, "unknown call method is an error")
h.check(tostring(u:get("err")):find("sya", 1, true), "the error names the unknown method: " .. tostring(u:get("err")))
u:user("global")
h.check(u:errors() == 2, "unknown hark function is an error")
h.check(tostring(u:get("err")):find("sya", 1, true), "the error names the unknown function: " .. tostring(u:get("err")))
h.check(u:user("x")[1] == "ok", "and the call goes on")

-- 6. hot reload: a live call keeps its version, the next call gets the new one,
-- a broken edit keeps the old version
local rdir = h.mkdtemp()
local rpath = rdir .. "/greeter.lua"
local function greeter(word)
  return "return { name = 'greeter', on_user_turn = function(call, text) return '" .. word .. "' end }"
end
h.write_file(rpath, greeter("v1"))
local d = h.agent_dir(rdir)
local live = h.call(d:get("greeter"))
h.check(live:user("x")[1] == "v1", "first version answers")
h.write_file(rpath, greeter("v2"))
d:poll(300) -- the inotify watcher picks the edit up
h.check(live:user("x")[1] == "v1", "the live call stays on version 1")
local newer = h.call(d:get("greeter"))
h.check(newer:user("x")[1] == "v2", "a new call gets version 2")
h.check(newer:version() == 2, "version number is 2")
h.write_file(rpath, "return { name = 'greeter', on_user_turn = ")
d:poll(300)
h.check(d:failures() == 1, "the broken edit was rejected")
local after = h.call(d:get("greeter"))
h.check(after:user("x")[1] == "v2", "a broken edit keeps version 2")
h.check(live:user("x")[1] == "v1", "the old live call is still on version 1")

-- 7. hark.dial needs a carrier (hark serve); numbers must be E.164. Each case
-- keeps its own message, so a missing hark.dial ("attempt to call a nil
-- value") or a check that no longer runs cannot pass as the right error.
local dialer = agent("dialer", [[
return {
  name = "dialer",
  on_user_turn = function(call, text)
    local to = text == "bad" and "555" or "+15557654321"
    local ok, err = pcall(hark.dial, { agent = "x", to = to })
    call:set(text, tostring(err))
    if not ok then error(err, 0) end
    return "dialled"
  end,
}]])
local dc = h.call(dialer)
dc:user("bad")
h.check(dc:errors() == 1, "hark.dial with a bad number is an error")
h.check(tostring(dc:get("bad")):find("E.164", 1, true), "the bad number is refused as not E.164: " .. tostring(dc:get("bad")))
dc:user("good")
h.check(dc:errors() == 2, "hark.dial without a carrier is an error")
h.check(tostring(dc:get("good")):find("needs a phone carrier", 1, true),
        "a good number without a carrier is refused for the carrier: " .. tostring(dc:get("good")))
for _, m in ipairs(dc:messages()) do
  h.check(m.text ~= "dialled", "no dial was reported as placed")
end
