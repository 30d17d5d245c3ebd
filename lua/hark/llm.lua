-- hark.llm: the default turn of an agent whose model is an LLM, and the
-- pieces of it agents can reuse in their own on_user_turn.
-- turn(call, text, agent): the system prompt + the conversation as heard
-- (call:history()) go to call:llm with the agent's tools; while the model
-- writes, its reply is spoken clause by clause (C: call_llm.c + chunker.c).
-- When the model asks for tools, each runs (call:tool validates the
-- arguments; a handler may wait, e.g. call:http) and the results go back to
-- the model, until it answers in words or max_rounds is reached. The tool
-- calls and results are kept in the call's history (call:remember_tool_*),
-- so the model sees them again in later turns of the call. Tools served by
-- the customer's server (API assistants' function tools) go out in one
-- message per server for all calls of a round (lua/hark/tool_server.lua).
local cjson = require("cjson")
local tool = require("hark.tool")
local tool_server = require("hark.tool_server")

local M = { max_rounds = 5 }

-- The chat so far, in the provider-neutral (OpenAI) shape call:llm takes.
function M.messages(call, agent)
  local msgs = {}
  if agent.system_prompt and agent.system_prompt ~= "" then
    msgs[1] = { role = "system", content = agent.system_prompt }
  end
  for _, m in ipairs(call:history()) do msgs[#msgs + 1] = m end
  return msgs
end

-- Run one tool call from the model; errors go back to the model as data so
-- it can apologise or ask again instead of the turn failing.
function M.run_tool(call, tc)
  local ok, args = pcall(cjson.decode, tc.arguments)
  if not ok or type(args) ~= "table" then
    return cjson.encode({ error = "arguments are not a JSON object" })
  end
  local ran, result = pcall(call.tool, call, tc.name, args)
  if not ran then
    -- the error may quote the caller's arguments: its text only at debug
    call:log("tool " .. tc.name .. " failed")
    call:log("tool " .. tc.name .. " failed: " .. tostring(result), "debug")
    return cjson.encode({ error = tostring(result) })
  end
  if type(result) == "string" then return result end
  if result == nil then return "{}" end
  return cjson.encode(result)
end

function M.turn(call, text, agent)
  local msgs = M.messages(call, agent)
  local tools = agent.tools and tool.schema(agent.tools) or nil
  for _ = 1, M.max_rounds do
    local r = call:llm({ messages = msgs, tools = tools })
    if not r then return end -- call:llm has spoken the fallback line
    if #r.tool_calls == 0 then return end
    local calls = {}
    for i, tc in ipairs(r.tool_calls) do
      calls[i] = { id = tc.id, type = "function",
                   ["function"] = { name = tc.name, arguments = tc.arguments } }
    end
    msgs[#msgs + 1] = { role = "assistant", content = r.text ~= "" and r.text or cjson.null,
                        tool_calls = calls }
    -- the exchange joins the call's history as it happens: a later turn
    -- sees what the tools did (a booking made stays made), and a call cut
    -- short by barge-in is answered "did not finish" there (call_llm.c)
    call:remember_tool_calls(r.tool_calls)
    -- the calls of tools on the customer's server go out together (one
    -- tool-calls message per server, hark.tool_server); the others run here
    local served, batch = {}, {}
    for _, tc in ipairs(r.tool_calls) do
      local def = agent.tools and agent.tools[tc.name]
      if tool_server.is_server_tool(def) then
        local it = { id = tc.id, def = def, arguments = tc.arguments }
        served[tc.id] = it
        batch[#batch + 1] = it
      end
    end
    if #batch > 0 then tool_server.run(call, batch) end
    for _, tc in ipairs(r.tool_calls) do
      local result = served[tc.id] and served[tc.id].result or M.run_tool(call, tc)
      call:remember_tool_result(tc.id, tc.name, result)
      msgs[#msgs + 1] = { role = "tool", tool_call_id = tc.id, content = result }
    end
  end
  call:log("the model kept calling tools for " .. M.max_rounds .. " rounds; giving up")
  call:say(agent.fallback_message or "Sorry, I could not finish that.")
end

return M
