-- An API assistant's tools as agent tools (lua/hark/assistant.lua): inline
-- function tools with their own server or the assistant's, model.toolIds
-- resolved to /tool documents (a missing one skipped), legacy functions
-- (model.functions and top-level functions) as function-call tools, and
-- the refusals, each naming the field.
local h = harness
local cjson = require("cjson")
local asst = require("hark.assistant")
local ts = require("hark.tool_server")

local function doc(model, extra)
  local d = { model = model }
  model.provider = model.provider or "openai"
  model.model = model.model or "m"
  for k, v in pairs(extra or {}) do d[k] = v end
  return d
end

local function refused(d, want, what, tool_docs)
  local ok, err = pcall(asst.to_agent, d, tool_docs)
  h.check(not ok and tostring(err):find(want, 1, true), what .. " (" .. tostring(err) .. ")")
end

local lookup = { type = "function", ["function"] = {
  name = "lookup_order", description = "Find an order",
  parameters = { type = "object", properties = { order = { type = "string" } }, required = { "order" } } },
  server = { url = "http://127.0.0.1:9/tools", secret = "tool-secret", headers = { ["X-Tenant"] = "t1" },
             timeoutSeconds = 3 },
  messages = { { type = "request-start", content = "One moment." },
               { type = "request-failed", content = "Sorry, that did not work." },
               { type = "request-start", content = "conditional", conditions = { { param = "x" } } } } }

-- 1. inline: a tool with its own server, one using the assistant's
local a = asst.to_agent(doc({ tools = { lookup,
  { type = "function", ["function"] = { name = "opening_hours", parameters = { type = "object",
    properties = {}, required = {} } } } } },
  { server = { url = "https://example.com/hook", secret = "asst-secret", timeoutSeconds = 7 } }))
local t = a.tools.lookup_order
h.check(ts.is_server_tool(t) and t.kind == "tool-calls", "a function tool is a server tool")
h.check(t.server.url == "http://127.0.0.1:9/tools" and t.server.secret == "tool-secret"
        and t.server.headers["X-Tenant"] == "t1" and t.server.timeout_seconds == 3, "its own server")
h.check(t.description == "Find an order" and t.parameters.required[1] == "order", "name, description, schema")
h.check(t.say.start == "One moment." and t.say.failed == "Sorry, that did not work.",
        "request-start / request-failed lines (the conditional one is not spoken)")
h.check(type(t.handler) == "function", "call:tool can run it too")
local oh = a.tools.opening_hours
h.check(oh.server.url == "https://example.com/hook" and oh.server.secret == "asst-secret"
        and oh.server.timeout_seconds == 7, "no server of its own: the assistant's server")
h.check(oh.parameters.required == nil, "an empty required list is dropped (cjson would send {})")
local schema = require("hark.tool").schema(a.tools)
h.check(#schema == 2 and schema[1]["function"].name == "lookup_order", "the model sees both")

-- 2. legacy serverUrl + serverUrlSecret, model.functions and top-level functions
a = asst.to_agent(doc({ functions = { { name = "weather", description = "Weather",
  parameters = { type = "object", properties = { city = { type = "string" } } } } } },
  { serverUrl = "http://127.0.0.1:9/legacy", serverUrlSecret = "s3",
    functions = { { name = "top_level" } } }))
h.check(a.tools.weather.kind == "function-call" and a.tools.weather.server.url == "http://127.0.0.1:9/legacy"
        and a.tools.weather.server.secret == "s3", "model.functions: function-call to serverUrl")
h.check(a.tools.top_level and a.tools.top_level.kind == "function-call", "top-level functions too")

-- 3. toolIds: resolved documents become tools; a missing one is skipped
local id1, id2 = "7a1c2d3e-0000-4000-8000-0000000000aa", "7a1c2d3e-0000-4000-8000-0000000000bb"
a = asst.to_agent(doc({ toolIds = { id1, id2 }, tools = { { type = "endCall" } } }),
                  { [id1] = lookup })
h.check(a.tools.lookup_order and a.tools.lookup_order.server.url == "http://127.0.0.1:9/tools",
        "a toolIds document becomes a tool")
h.check(a.tools.endCall and not a.tools[id2], "the missing id is skipped, inline tools stay")
a = asst.to_agent(doc({ toolIds = { id1 } }), { [id1] = { type = "endCall" } })
h.check(a.tools.endCall ~= nil, "a stored endCall tool")
-- via the C path (agent_json.c: the JSON text of the tools read)
local ok, e = pcall(asst.decode, cjson.encode(doc({ toolIds = { id1 } })), cjson.encode({ [id1] = lookup }))
h.check(ok and e.tools.lookup_order ~= nil, "decode(text, tools_text) (" .. tostring(e) .. ")")

-- 4. refusals
refused(doc({ toolIds = { id1 } }), "model.toolIds cannot be resolved here", "toolIds without a store")
refused(doc({ toolIds = { 5 } }), "model.toolIds[0] must be a string", "a toolIds entry is a string", {})
refused(doc({ tools = { { type = "function", ["function"] = { name = "f" } } } }),
        "model.tools[0].server.url needs a server", "a function tool with no server anywhere")
refused(doc({ functions = { { name = "f" } } }), "model.functions[0] needs a server",
        "legacy functions with no serverUrl")
refused(doc({ tools = { { type = "function", ["function"] = {} } } }, { serverUrl = "http://x/y" }),
        "model.tools[0].function.name is required", "a function tool needs a name")
refused(doc({ tools = { { type = "function", ["function"] = { name = "f" }, async = true } } },
            { serverUrl = "http://x/y" }), "model.tools[0].async true is not supported yet", "async tools")
refused(doc({ tools = { { type = "function", ["function"] = { name = "f" }, server = { url = "ftp://x" } } } }),
        "model.tools[0].server.url must be an http", "a tool server URL is http(s)")
refused(doc({ tools = { { type = "apiRequest" } } }), 'model.tools is not supported for type "apiRequest" (model.tools[0])',
        "other tool types")
refused(doc({ toolIds = { id1 }, tools = { lookup } }), 'model.toolIds[0] (tool ' .. id1 .. ').function.name "lookup_order" is the name of another tool',
        "a toolIds tool named like an inline one", { [id1] = lookup })
refused(doc({ tools = { lookup }, functions = { { name = "lookup_order" } } }, { serverUrl = "http://x/y" }),
        'model.functions[0].name "lookup_order" is the name of another tool', "a function named like a tool")
