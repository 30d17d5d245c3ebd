-- hark: the Lua side of the agent API, preloaded in every agent sandbox.
-- Owns the pure-Lua helpers agent files use (tool definitions, text matching);
-- the call object's methods (say, sleep, hangup, ...) are C functions in
-- runtime/agent/call_*.c and are reached through the call passed to hooks.
local tool = require("hark.tool")
local text = require("hark.text")
local llm = require("hark.llm")

local hark = {
  version = "0.1.0",
  tool = tool.define,
  tools_schema = tool.schema,
  validate_args = tool.validate,
  words = text.words,
  has_any = text.has_any,
  has_all = text.has_all,
  find_day = text.find_day,
  find_time = text.find_time,
  llm_turn = llm.turn,
  llm_messages = llm.messages,
  modules = { tool = tool, text = text, llm = llm },
}

return hark
