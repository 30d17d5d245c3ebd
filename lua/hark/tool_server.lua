-- hark.tool_server: tools whose implementation is the customer's server
-- (an API assistant's function tools, model.toolIds, legacy functions).
-- A model's tool calls go there as Vapi's server messages: tool-calls
-- ({message:{type, timestamp, call, assistant, customer, toolCallList,
-- toolWithToolCallList}}, several calls of one model turn in one message
-- per server) or, for legacy functions, function-call ({functionCall:
-- {name, parameters}}, one per call). The reply ({results:[{toolCallId,
-- result|error}]}, or {result}) is matched by toolCallId and becomes the
-- tool's result for the model: a string as is, anything else JSON-encoded.
-- A failed request, a timeout, a non-2xx status or a malformed reply
-- becomes an error result the model sees (and the tool's request-failed
-- line is spoken); nothing here raises into the turn. An async tool's
-- message is sent without waiting (call:post_async) and the model is told
-- at once that no result will come.
-- Requests go through call:http (agent/call_http.c): the hook's coroutine
-- waits, the loop never blocks, and a barge-in or hangup cancels the
-- request with the hook. This is Lua, not C, for that reason: the waiting,
-- cancelling and bounding of call:http come for free, and the envelope is a
-- handful of tables. Logs carry names, counts and status codes; arguments
-- and results only at debug (call:log with "debug").
local cjson = require("cjson")
local tool = require("hark.tool")

local M = { max_reply_bytes = 1024 * 1024, default_timeout = 20, max_timeout = 60 }

-- The model's arguments are checked with a strict decoder of their own
-- (cjson's default takes nan, inf and hex numbers, which would reach the
-- tool server spliced as they are, i.e. as invalid JSON).
local strict = cjson.new()
strict.decode_invalid_numbers(false)

local function err_result(msg)
  return cjson.encode({ error = msg })
end

local function as_result(v)
  if type(v) == "string" then return v end
  return cjson.encode(v)
end

-- Splices each call's arguments into the encoded body as the model wrote
-- them (validated as a JSON object before): a decode/encode round trip
-- through cjson would round numbers to 14 digits and turn [] into {}.
local function encode_with_args(body, args_by_mark)
  local text = cjson.encode(body)
  return (text:gsub('"(@hark%-args%-%d+%-%x+@)"', function(mark)
    return args_by_mark[mark] or cjson.encode(mark)
  end))
end

local nonce = 0
local function new_mark(args_by_mark, raw)
  nonce = nonce + 1
  local mark = string.format("@hark-args-%d-%x@", nonce, math.random(0, 0x7fffffff))
  args_by_mark[mark] = raw
  return mark
end

local function headers_for(server)
  local h = { ["Content-Type"] = "application/json" }
  for k, v in pairs(server.headers or {}) do h[k] = v end
  if server.secret then h["X-Vapi-Secret"] = server.secret end
  return h
end

-- POST body to server; returns the decoded reply object, or nil, why.
local function post(call, server, body, what)
  local timeout = server.timeout_seconds or M.default_timeout
  if timeout > M.max_timeout then timeout = M.max_timeout end
  -- call:http raises on what it refuses (a header with a line break, say):
  -- that too is the tool's error, not the turn's
  local ran, r, err = pcall(call.http, call, { url = server.url, method = "POST", body = body,
                            headers = headers_for(server), timeout = timeout,
                            max_response_bytes = M.max_reply_bytes })
  if not ran then r, err = nil, r end
  if not r then
    call:log(what .. " to the tool server failed: " .. tostring(err), "warn")
    return nil, "the tool server did not answer: " .. tostring(err)
  end
  if r.status < 200 or r.status > 299 then
    call:log(what .. ": the tool server answered HTTP " .. r.status, "warn")
    return nil, "the tool server answered HTTP " .. r.status
  end
  local ok, reply = pcall(cjson.decode, r.body)
  if not ok or type(reply) ~= "table" then
    call:log(what .. ": the tool server's reply is not a JSON object (" .. #r.body .. " bytes)", "warn")
    return nil, "the tool server's reply is not a JSON object"
  end
  return reply
end

local function say_line(call, defs, which)
  local said = {}
  for _, def in ipairs(defs) do
    local line = def.say and def.say[which]
    if line and not said[line] then
      said[line] = true
      call:tool_say(line)
    end
  end
end

-- The tool-calls message for items (all to the same server): the body
-- text and the tools' definitions.
local function tool_calls_body(call, server, items)
  local args_by_mark, list, with = {}, {}, {}
  local defs = {}
  for i, it in ipairs(items) do
    local mark = new_mark(args_by_mark, it.arguments)
    local tc = { id = it.id, type = "function", ["function"] = { name = it.def.name, arguments = mark },
                 name = it.def.name, arguments = mark }
    list[i] = tc
    local w = {}
    for k, v in pairs(it.def.vapi) do w[k] = v end
    w.server = { url = server.url }
    w.toolCall = { id = it.id, type = "function", ["function"] = { name = it.def.name, arguments = mark } }
    with[i] = w
    defs[i] = it.def
  end
  local msg = call:server_message("tool-calls")
  msg.toolCallList = list
  msg.toolWithToolCallList = with
  return encode_with_args({ message = msg }, args_by_mark), defs
end

-- async tools: the message goes out and nobody waits for it; the model is
-- told so at once
local function run_async(call, server, items)
  local body, defs = tool_calls_body(call, server, items)
  say_line(call, defs, "start")
  local h = headers_for(server)
  local timeout = math.min(server.timeout_seconds or M.default_timeout, M.max_timeout)
  local ran, ok, err = pcall(call.post_async, call, { url = server.url, body = body, headers = h, timeout = timeout })
  if not ran or not ok then
    call:log("async tool-calls could not be sent: " .. tostring(ran and err or ok), "warn")
    for _, it in ipairs(items) do it.result = err_result("the tool server could not be reached") end
    say_line(call, defs, "failed")
    return
  end
  for _, it in ipairs(items) do
    it.result = cjson.encode({ status = "sent", note = "this tool runs in the background: no result comes back" })
  end
end

-- One tool-calls message for items (all to the same server), waiting for
-- the reply: sets item.result for each.
local function run_tool_calls(call, server, items)
  local body, defs = tool_calls_body(call, server, items)
  say_line(call, defs, "start")
  local reply, why = post(call, server, body, "tool-calls (" .. #items .. " call(s))")
  local results = reply and reply.results
  if reply and type(results) ~= "table" then
    why, reply = "the tool server's reply has no results list", nil
    call:log("tool-calls: the tool server's reply has no results list", "warn")
  end
  local by_id = {}
  if reply then
    for _, r in ipairs(results) do
      if type(r) == "table" and type(r.toolCallId) == "string" then by_id[r.toolCallId] = r end
    end
  end
  local failed = not reply
  for _, it in ipairs(items) do
    local r = by_id[it.id]
    if not reply then
      it.result = err_result(why)
    elseif not r then
      failed = true
      it.result = err_result("the tool server's reply has no result for this tool call")
    elseif r.error ~= nil and r.error ~= cjson.null then
      failed = true
      it.result = err_result(as_result(r.error))
    elseif r.result == nil or r.result == cjson.null then
      failed = true
      it.result = err_result("the tool server's reply has neither result nor error for this tool call")
    else
      it.result = as_result(r.result)
    end
  end
  say_line(call, defs, failed and "failed" or "complete")
end

-- Legacy function-call: one message per call, reply {result}.
local function run_function_call(call, server, it)
  local args_by_mark = {}
  local msg = call:server_message("function-call")
  msg.functionCall = { name = it.def.name, parameters = new_mark(args_by_mark, it.arguments) }
  local reply, why = post(call, server, encode_with_args({ message = msg }, args_by_mark), "function-call")
  if not reply then
    it.result = err_result(why)
  elseif reply.error ~= nil and reply.error ~= cjson.null then
    it.result = err_result(as_result(reply.error))
  elseif reply.result == nil or reply.result == cjson.null then
    it.result = err_result("the function server's reply has no result")
  else
    it.result = as_result(reply.result)
  end
end

-- Tools whose servers are the same (URL, secret, headers, timeout) share
-- a message.
local function server_key(s)
  local parts = { s.url, s.secret or "", tostring(s.timeout_seconds or "") }
  local names = {}
  for k in pairs(s.headers or {}) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do parts[#parts + 1] = k .. ":" .. s.headers[k] end
  return table.concat(parts, "\n")
end

-- Is def a tool of this module?
function M.is_server_tool(def)
  return type(def) == "table" and def.server_tool == true
end

-- Run items = {{id=, def=, arguments=<JSON text>}, ...}, the server tool
-- calls of one model turn; sets item.result (text for the model) on each.
-- Arguments that are not a JSON object, or do not match the tool's
-- schema, get an error result without a request.
function M.run(call, items)
  local groups, order = {}, {}
  for _, it in ipairs(items) do
    local ok, args = pcall(strict.decode, it.arguments)
    if not ok or type(args) ~= "table" or (it.arguments:match("^%s*%[")) then
      it.result = err_result("arguments are not a JSON object")
    else
      local valid, why = tool.validate(it.def.parameters or {}, args)
      if not valid then
        it.result = err_result("tool " .. it.def.name .. ": " .. why)
      elseif it.def.kind == "function-call" then
        run_function_call(call, it.def.server, it)
      else
        local s = it.def.server
        local key = (it.def.async and "async\n" or "") .. server_key(s)
        if not groups[key] then
          groups[key] = {}
          order[#order + 1] = { key = key, server = s, async = it.def.async }
        end
        table.insert(groups[key], it)
      end
    end
  end
  for _, g in ipairs(order) do
    if g.async then run_async(call, g.server, groups[g.key]) else run_tool_calls(call, g.server, groups[g.key]) end
  end
  for _, it in ipairs(items) do
    call:log("tool " .. it.def.name .. " result: " .. it.result, "debug")
  end
end

local direct = 0

-- Marks def as a server tool and gives it a handler, so call:tool(name,
-- args) from agent code sends the same message (one call).
function M.define(def)
  def.server_tool = true
  def.handler = function(call, args)
    direct = direct + 1
    local it = { id = "call_hark_" .. direct, def = def, arguments = cjson.encode(args or {}) }
    M.run(call, { it })
    return it.result
  end
  return def
end

return M
