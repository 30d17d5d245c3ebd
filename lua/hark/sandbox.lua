-- hark.sandbox: builds the environment agent code runs in.
-- Owned here: the list of what agent files may touch. No io, os (but
-- os.time/os.clock/os.date), debug, ffi, jit, package, loadfile, dofile,
-- bytecode loading, or getfenv/setfenv on functions that are not the agent's.
-- Runs in the trusted state at VM start; the C side calls new_env() once per
-- agent version so versions never share mutable tables.
local M = {}

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local safe_globals = {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "xpcall", "select",
  "tonumber", "tostring", "type", "unpack", "rawequal", "rawget", "rawset",
  "setmetatable", "getmetatable", "_VERSION",
}

-- modules agent code may require: pure Lua or read-only copies
local preload = {}

function M.register(name, mod) preload[name] = mod end

function M.new_env(agent_path, log)
  local env = {}
  for _, k in ipairs(safe_globals) do env[k] = _G[k] end
  env.string = copy(string)
  env.table = copy(table)
  env.math = copy(math)
  env.coroutine = copy(coroutine)
  env.os = { time = os.time, clock = os.clock, date = os.date, difftime = os.difftime }
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
    local mod = preload[name]
    if mod == nil then
      error("module '" .. tostring(name) .. "' is not available to agent code", 2)
    end
    if type(mod) == "table" then return copy(mod) end
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
  for name, mod in pairs(preload) do
    if not name:find("%.") then env[name] = type(mod) == "table" and copy(mod) or mod end
  end
  env._G = env
  -- reading an undefined global is almost always a typo of an API name
  setmetatable(env, { __index = function(_, k)
    error("undefined global '" .. tostring(k) .. "'", 2)
  end })
  return env
end

return M
