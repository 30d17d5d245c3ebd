-- outbound_call: an appointment reminder that hark calls out with. The agent
-- is the same kind of file as an inbound one; only who dials differs. It runs
-- offline (espeak voice, pocketsphinx with hints, turn logic in Lua).
--
-- Placing the call (Twilio; examples/README.md has the whole setup):
--   1. run `HARK_AGENTS_DIR=examples hark serve` where Twilio can reach it
--      (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WEBHOOK_URL,
--      TWILIO_PHONE_NUMBER in the environment or .env);
--   2. `hark dial --agent outbound_call --to +15551234567` asks Twilio's REST
--      API to ring the number; when it is answered, Twilio fetches the
--      webhook with ?agent=outbound_call and this agent speaks first;
--   3. or from another agent's code during a live call under hark serve:
--        hark.dial { agent = "outbound_call", to = "+15551234567" }
--      (numbers in E.164; hark.dial is an error outside hark serve).
-- Try the conversation without a phone:
--   hark call --agent examples/outbound_call.lua --caller-text "yes I can make it" --transcript out.json

local function confirm(call, answer, line)
  call:set("answer", answer)
  call:say(line)
  call:hangup()
end

return {
  name = "Appointment reminder",
  first_message = "Hello, this is Maple Street Clinic with a reminder of your appointment "
    .. "tomorrow at ten a m. Can you still make it?",
  fallback_message = "Sorry, I did not catch that. Please call the clinic to confirm.",
  voice = { provider = "espeak", voice_id = "en-us" },
  transcriber = { provider = "sphinx",
                  phrases = { "yes I can make it", "no I need to cancel", "can you say that again" },
                  keywords = { "yes", "no", "cancel", "again" } },
  model = { provider = "script" }, -- the turn logic below answers; no LLM
  max_duration = 120,

  on_user_turn = function(call, text)
    if hark.has_any(text, { "yes", "sure", "yeah", "fine" }) then
      confirm(call, "confirmed", "Thank you, we will see you tomorrow at ten. Goodbye.")
      return
    end
    if hark.has_any(text, { "no", "cancel" }) then
      confirm(call, "cancelled", "I have cancelled it. Call us when you would like a new time. Goodbye.")
      return
    end
    local tries = call:get("tries", 0) + 1
    call:set("tries", tries)
    if tries >= 2 then
      confirm(call, "unclear", "I will ask the clinic to call you back. Goodbye.")
      return
    end
    return "Sorry, was that a yes or a no? Can you make it tomorrow at ten?"
  end,

  on_end = function(call, report)
    -- where a real agent would tell your system (call:http) what the callee said
    call:log("reminder " .. call.id .. ": " .. tostring(call:get("answer", "no answer"))
      .. " after " .. report.turns .. " turn(s)", "debug") -- the callee's answer: debug only
  end,
}
