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
refused(doc({ tools = { { type = "function", ["function"] = { name = "f" }, async = "yes" } } },
            { serverUrl = "http://x/y" }), "model.tools[0].async must be a boolean", "async is a boolean")
refused(doc({ tools = { { type = "function", ["function"] = { name = "f" }, server = { url = "ftp://x" } } } }),
        "model.tools[0].server.url must be an http", "a tool server URL is http(s)")
refused(doc({ tools = { { type = "apiRequest" } } }), 'model.tools is not supported for type "apiRequest" (model.tools[0])',
        "other tool types")
refused(doc({ toolIds = { id1 }, tools = { lookup } }), 'model.toolIds[0] (tool ' .. id1 .. ').function.name "lookup_order" is the name of another tool',
        "a toolIds tool named like an inline one", { [id1] = lookup })
refused(doc({ tools = { lookup }, functions = { { name = "lookup_order" } } }, { serverUrl = "http://x/y" }),
        'model.functions[0].name "lookup_order" is the name of another tool', "a function named like a tool")

-- 5. hark.tool_server.run with a stand-in call (its call:http answers as
--    told): one message for two calls, arguments spliced as written,
--    results matched by id; arguments that are not strict JSON never leave
local sent, said = {}, {}
local reply = { status = 200, body = "" }
local fake = {
  log = function() end,
  tool_say = function(_, text) said[#said + 1] = text end,
  server_message = function(_, ty) return { type = ty, call = { id = "CA1" } } end,
  http = function(_, req) sent[#sent + 1] = req; return reply end,
}
a = asst.to_agent(doc({ tools = { lookup, { type = "function", ["function"] = { name = "other" },
                                            server = lookup.server } } }))
local items = { { id = "c1", def = a.tools.lookup_order, arguments = '{"order":"A1","n":12345678901234567,"l":[]}' },
                { id = "c2", def = a.tools.other, arguments = '{"order":"B2"}' },
                { id = "c3", def = a.tools.lookup_order, arguments = '{"order": nan}' },
                { id = "c4", def = a.tools.lookup_order, arguments = '{"n":1}' } }
reply.body = cjson.encode({ results = { { toolCallId = "c2", result = { ok = true } },
                                        { toolCallId = "c1", result = "shipped" } } })
ts.run(fake, items)
h.check(#sent == 1, "one request for the valid calls (" .. #sent .. ")")
local body = sent[1].body
h.check(body:find('"arguments":{"order":"A1","n":12345678901234567,"l":[]}', 1, true) ~= nil,
        "arguments spliced as the model wrote them: " .. body)
local m = cjson.decode(body).message
h.check(m.type == "tool-calls" and #m.toolCallList == 2 and m.toolCallList[2].id == "c2", "two calls (two tools, the same server) in one message")
h.check(sent[1].headers["X-Vapi-Secret"] == "tool-secret" and sent[1].headers["X-Tenant"] == "t1"
        and sent[1].timeout == 3 and sent[1].url == "http://127.0.0.1:9/tools", "secret, headers, timeout, url")
h.check(items[1].result == "shipped" and cjson.decode(items[2].result).ok == true, "results by id (string as is, object encoded)")
h.check(cjson.decode(items[3].result).error == "arguments are not a JSON object", "nan is refused before sending")
h.check(cjson.decode(items[4].result).error:find("missing required argument 'order'", 1, true), "schema checked before sending")
h.check(said[1] == "One moment." and said[2] == nil, "request-start said, no request-failed")
-- a failure: the request-failed line, an error for each call
sent, said = {}, {}
reply.status = 502
items = { { id = "d1", def = a.tools.lookup_order, arguments = '{"order":"A1"}' } }
ts.run(fake, items)
h.check(cjson.decode(items[1].result).error == "the tool server answered HTTP 502", "HTTP 502 -> an error result")
h.check(said[2] == "Sorry, that did not work.", "request-failed said")
-- call:http raising (it refuses a header with a line break) is an error result too
fake.http = function() error("call:http: header 'X' has a forbidden character") end
items = { { id = "e1", def = a.tools.lookup_order, arguments = '{"order":"A1"}' } }
ts.run(fake, items)
h.check(cjson.decode(items[1].result).error:find("forbidden character", 1, true), "a refused request -> an error result")

-- an async tool: its message goes out through call:post_async, nobody waits,
-- the model hears at once that no result comes
a = asst.to_agent(doc({ tools = { { type = "function", ["function"] = { name = "notify" }, async = true } } },
                      { serverUrl = "http://127.0.0.1:9/async" }))
h.check(a.tools.notify.async == true and a.tools.notify.vapi.async == true, "async: true is kept")
local posted = {}
fake.http = function() error("an async tool must not wait") end
fake.post_async = function(_, req) posted[#posted + 1] = req; return true end
items = { { id = "a1", def = a.tools.notify, arguments = '{"x":1}' } }
ts.run(fake, items)
h.check(#posted == 1 and posted[1].url == "http://127.0.0.1:9/async", "posted without waiting")
local am = cjson.decode(posted[1].body).message
h.check(am.type == "tool-calls" and am.toolCallList[1].id == "a1" and am.toolCallList[1]["function"].arguments.x == 1,
        "the same tool-calls message")
h.check(cjson.decode(items[1].result).status == "sent", "the model is told it was sent (" .. items[1].result .. ")")
