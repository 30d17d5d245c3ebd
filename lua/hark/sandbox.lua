-- hark.sandbox: builds the environment agent code runs in.
-- Owned here: the list of what agent files may touch. No io, os (but
-- os.time/os.clock/os.date), debug, ffi, jit, package, loadfile, dofile,
-- bytecode loading, or getfenv/setfenv on functions that are not the agent's.
-- Runs in the trusted state at VM start; the C side calls new_env() once per
-- agent version so versions never share mutable tables: every table an agent
-- can reach (hark, hark.*, string, table, math, coroutine, os, cjson) is its
-- own deep copy, and its cjson is an instance of its own (cjson.new()), so
-- one agent can neither replace hark.llm.turn nor change cjson's settings for
-- another. What stays shared is immutable: functions (setfenv on them is
-- refused), strings (their metatable is protected by vm.c) and numbers.
local M = {}

-- Tables are copied at every depth; a table reached twice (hark.modules.llm
-- and require("hark.llm")) becomes one copy, through seen.
local function deep_copy(v, seen)
  if type(v) ~= "table" then return v end
  if seen[v] then return seen[v] end
  local c = {}
  seen[v] = c
  for k, x in next, v do c[deep_copy(k, seen)] = deep_copy(x, seen) end
  return c
end

-- cjson for one agent version: its own instance, so the setters change only
-- it, with the depth limits kept at most at the defaults (a deeper limit lets
-- a nested value overflow the C stack of the worker).
local CJSON_MAX_DEPTH = 1000

local function cjson_instance(cjson)
  local inst = cjson.new()
  local c = {}
  for k, v in next, inst do c[k] = v end
  for _, name in ipairs({ "encode_max_depth", "decode_max_depth" }) do
    local set = inst[name]
    c[name] = function(n, ...)
      if n ~= nil and (type(n) ~= "number" or n > CJSON_MAX_DEPTH) then
        error("cjson." .. name .. ": at most " .. CJSON_MAX_DEPTH .. " in agent code", 2)
      end
      return set(n, ...)
    end
  end
  c.new = function() return cjson_instance(cjson) end
  return c
end

-- coroutine for one agent version: resume and wrap only run coroutines the
-- agent created, so a hook's own coroutine (coroutine.running()) cannot be
-- resumed by agent code from another hook or call while it waits in a hark
-- API; a hook that yields to hark directly is failed by call.c.
local function coroutine_lib()
  local own = setmetatable({}, { __mode = "k" })
  local co = {}
  for k, v in next, coroutine do co[k] = v end
  co.create = function(f)
    local t = coroutine.create(f)
    own[t] = true
    return t
  end
  co.resume = function(t, ...)
    if not own[t] then
      error("coroutine.resume: agent code may only resume coroutines it created", 2)
    end
    return coroutine.resume(t, ...)
  end
  co.wrap = function(f)
    local t = co.create(f)
    return function(...)
      local r = { n = 0 }
      local function pack(...) r.n = select("#", ...); for i = 1, r.n do r[i] = (select(i, ...)) end end
      pack(coroutine.resume(t, ...))
      if not r[1] then error(r[2], 0) end
      return unpack(r, 2, r.n)
    end
  end
  return co
end

local safe_globals = {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "xpcall", "select",
  "tonumber", "tostring", "type", "unpack", "rawequal", "rawget", "rawset",
  "setmetatable", "getmetatable", "_VERSION",
}

-- modules agent code may require: copied per agent version, or made by
-- their factory (cjson)
local preload, factories = {}, {}

function M.register(name, mod, factory)
  preload[name] = mod
  factories[name] = factory
end
M.cjson_instance = cjson_instance

function M.new_env(agent_path, log)
  local env = {}
  local seen = {}
  for _, k in ipairs(safe_globals) do env[k] = _G[k] end
  env.string = deep_copy(string, seen)
  env.table = deep_copy(table, seen)
  env.math = deep_copy(math, seen)
  -- the generator is the worker's: reseeding it would steer other agents'
  env.math.randomseed = function() end
  env.coroutine = coroutine_lib()
  env.os = { time = os.time, clock = os.clock, date = os.date, difftime = os.difftime }
  local mods = {}
  for name, mod in pairs(preload) do
    if factories[name] then mods[name] = factories[name](mod)
    else mods[name] = deep_copy(mod, seen) end
  end
  env.collectgarbage = function(opt)
    if opt == nil or opt == "count" then return collectgarbage("count") end
    error("collectgarbage('" .. tostring(opt) .. "') is not allowed in agent code", 2)
  end
  env.print = function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
    log(agent_path, table.concat(parts, "\t"))
  end
  env.require = function(name)
    local mod = mods[name]
    if mod == nil then
      error("module '" .. tostring(name) .. "' is not available to agent code", 2)
    end
    return mod
  end
  local function check_text(chunk)
    if type(chunk) == "string" and chunk:byte(1) == 27 then
      error("loading bytecode is not allowed in agent code", 3)
    end
  end
  env.loadstring = function(s, name)
    check_text(s)
    local f, err = loadstring(s, name)
    if f then setfenv(f, env) end
    return f, err
  end
  env.load = function(chunk, name)
    if type(chunk) ~= "string" then
      error("load() of a function is not allowed in agent code; pass a string", 2)
    end
    return env.loadstring(chunk, name)
  end
  env.setfenv = function(f, t)
    if type(f) ~= "function" or getfenv(f) ~= env then
      error("setfenv is only allowed on the agent's own functions", 2)
    end
    return setfenv(f, t)
  end
  env.getfenv = function(f)
    if type(f) ~= "function" or getfenv(f) ~= env then
      error("getfenv is only allowed on the agent's own functions", 2)
    end
    return getfenv(f)
  end
  for name, mod in pairs(mods) do
    if not name:find(".", 1, true) then env[name] = mod end
  end
  env._G = env
  -- reading an undefined global is almost always a typo of an API name
  setmetatable(env, { __index = function(_, k)
    error("undefined global '" .. tostring(k) .. "'", 2)
  end })
  return env
end

return M
