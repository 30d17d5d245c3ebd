-- hark.tool: agent tools, i.e. Lua functions with a JSON-schema description.
-- The description goes to the LLM (providers issue); turn logic calls tools
-- through call:tool(name, args), which validates args against the schema here
-- before the handler runs, so a model's malformed call gets a clear error.
local M = {}

-- hark.tool{ name=, description=, parameters=<JSON schema>, handler=function(call, args) }
function M.define(def)
  if type(def) ~= "table" then error("hark.tool expects a table", 2) end
  if type(def.handler) ~= "function" then error("hark.tool: handler must be a function", 2) end
  if def.parameters ~= nil and type(def.parameters) ~= "table" then
    error("hark.tool: parameters must be a JSON-schema table", 2)
  end
  def.parameters = def.parameters or { type = "object", properties = {} }
  def.description = def.description or ""
  return def
end

local json_types = {
  string = function(v) return type(v) == "string" end,
  number = function(v) return type(v) == "number" end,
  integer = function(v) return type(v) == "number" and v == math.floor(v) end,
  boolean = function(v) return type(v) == "boolean" end,
  object = function(v) return type(v) == "table" end,
  array = function(v) return type(v) == "table" end,
}

-- Returns true, or nil and a message naming the bad field.
function M.validate(schema, args)
  if type(args) ~= "table" then return nil, "arguments must be an object" end
  for _, req in ipairs(schema.required or {}) do
    if args[req] == nil then return nil, "missing required argument '" .. req .. "'" end
  end
  for name, prop in pairs(schema.properties or {}) do
    local v = args[name]
    if v ~= nil then
      local check = prop.type and json_types[prop.type]
      if check and not check(v) then
        return nil, "argument '" .. name .. "' must be of type " .. prop.type
      end
      if prop.enum then
        local ok = false
        for _, e in ipairs(prop.enum) do if e == v then ok = true end end
        if not ok then return nil, "argument '" .. name .. "' is not one of the allowed values" end
      end
    end
  end
  return true
end

-- The tools of an agent in OpenAI "function" form (Anthropic's is derived later).
function M.schema(tools)
  local out = {}
  for name, def in pairs(tools or {}) do
    out[#out + 1] = { type = "function", ["function"] = {
      name = def.name or name, description = def.description, parameters = def.parameters } }
  end
  table.sort(out, function(a, b) return a["function"].name < b["function"].name end)
  return out
end

return M
