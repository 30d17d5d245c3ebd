-- Lua budgets without holes (issue 10, item 4): memory per call, string
-- patterns under the CPU budget, agent tables read raw, hooks that yield
-- without a hark API. Each attack runs in one call while a second call ticks
-- every 20 ms of wall time (standing in for a caller's audio frames): the
-- attack ends with the fallback line and the error that names it, the other
-- call's ticks keep their pace.
local h = harness
h.realtime()
local hostile = h.load("tests/fixtures/agents/hostile_budget.lua")
local ticker = h.load("tests/fixtures/agents/ticker.lua")
local report = {}

local function max_gap(ticks)
  local m = 0
  for i = 2, #ticks do m = math.max(m, ticks[i] - ticks[i - 1]) end
  return m
end

-- attack: the user turn that names it; expect: text the hook error must hold
-- (nil: the turn must succeed and say ok_reply)
local function attack(name, expect, ok_reply)
  local t, a = h.call(ticker), h.call(hostile)
  local w0 = h.wall()
  t:user("25", true) -- 25 ticks: 0.5 s
  a:user(name, true) -- the hook sleeps 50 ms first: the attack runs amid the ticks
  h.run(10)
  local took = h.wall() - w0
  local said, err = a:said(), tostring(a:last_error())
  if expect then
    h.check(said[1] == "fallback", name .. ": the call says its fallback line (" .. tostring(said[1]) .. ")")
    h.check(err:find(expect, 1, true), name .. ": the error names the cause: " .. err:sub(1, 200))
  else
    h.check(said[1] == ok_reply and a:errors() == 0, name .. ": works (" .. tostring(said[1]) ..
            ", " .. err:sub(1, 120) .. ")")
  end
  local ticks = t:get("ticks") or {}
  local gap = max_gap(ticks)
  h.check(t:said()[1] == "ticked 25" and #ticks == 25 and t:errors() == 0,
          name .. ": the other call finished its ticks")
  -- one 10 ms slice (plus a full GC when a budget trips) is the design's stall;
  -- 1 s is generous for ASan on a loaded 2-core machine and still far below
  -- what each attack did before the budgets (4.5 s to forever)
  h.check(gap < 1.0, name .. ": the other call kept its pace (worst gap " .. math.floor(gap * 1000) .. " ms)")
  h.check(took < 5, name .. ": over in " .. took .. " s")
  report[#report + 1] = string.format("%s: worst tick gap %.0f ms, took %.2f s", name, gap * 1000, took)
  return a
end

-- memory: one allocation past the budget, a growing table, doubling concatenation
attack("rep", "memory budget exceeded")
attack("concat", "memory budget exceeded")
-- (allocating 16 MB takes about as long as the 10 ms slice: with a longer
-- slice, memory is what stops it)
h.slice_ms(200)
attack("grow", "memory budget exceeded")
h.slice_ms(10)
attack("creep", "memory budget exceeded")
attack("wait_holding", "memory budget exceeded")
attack("rep_caught", nil, "caught: not enough memory")
-- patterns that backtrack for minutes stop at the slice, as methods too
attack("pattern", "CPU budget exceeded: a string pattern ran longer than 10 ms")
attack("pattern_method", "CPU budget exceeded: a string pattern")
attack("gsub", "CPU budget exceeded: a string pattern")
attack("gmatch", "CPU budget exceeded: a string pattern")
attack("pattern_caught", "CPU budget exceeded")
-- a loop the JIT would compile (the state runs with the JIT off)
attack("numeric_for", "CPU budget exceeded: agent code ran longer than 10 ms")
-- a bare yield would park the hook forever
attack("yield", "coroutine.yield() outside a hark call API")
-- what ordinary agent code does still works
attack("own_coroutines", nil, "1 2 3 2 20 dead")
attack("small", nil, "ok 2000")

-- memory held in the call's state across turns: the turn that passes the
-- budget fails, and the call, which cannot run another hook, hangs up
local hoarder = h.call(hostile)
local said = hoarder:user("hoard")
h.check(said[1] == "hoarding 12", "12 MB is within the budget: " .. tostring(said[1]))
said = hoarder:user("hoard")
h.check(said[1] == "fallback" and tostring(hoarder:last_error()):find("memory budget exceeded", 1, true),
        "24 MB is not: " .. tostring(said[1]) .. " " .. tostring(hoarder:last_error()):sub(1, 120))
h.check(hoarder:ended() == "error-memory-budget", "the call ends: " .. tostring(hoarder:ended()))
hoarder:finish()

-- the worker's cap: a call budget larger than the worker may hold
h.memory(64, 40)
local big = h.call(hostile)
said = big:user("rep")
h.check(said[1] == "fallback" and tostring(big:last_error()):find("memory", 1, true),
        "the worker's cap refuses what the call budget would allow")
h.memory(16, 1024)

-- the budget also covers loading an agent file
local w0 = h.wall()
local ok, err = h.load("tests/fixtures/agents/load_memory.lua")
h.check(not ok and tostring(err):find("memory", 1, true), "load-time allocation is bounded: " .. tostring(err))
h.check(h.wall() - w0 < 2, "and stopped quickly")

-- agent tables are read raw: an __index that errors or loops is never run by hark
local a = h.call("tests/fixtures/agents/index_error.lua")
h.check(a:user("hi")[1] == "fine", "an erroring __index on the agent table is not run (no panic)")
w0 = h.wall()
a = h.call("tests/fixtures/agents/index_loop_load.lua")
h.check(a:user("hi")[1] == "fine" and h.wall() - w0 < 1, "a looping __index at load is not run")
a = h.call("tests/fixtures/agents/index_loop.lua")
h.check(a:user("arm")[1] == "armed", "the hook set a looping __index on its agent table")
w0 = h.wall()
a:dtmf("1")
said = a:user("again")
h.check(said[1] == "fine again" and h.wall() - w0 < 1, "hook lookups after that are raw: " .. tostring(said[1]))

for _, line in ipairs(report) do print(line) end
