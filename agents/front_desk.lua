-- front_desk: the offline receptionist of Maple Street Clinic.
-- Books appointments into a small in-memory calendar through the book_slot
-- tool, answers opening hours, offers a person, and says goodbye. It matches
-- keywords rather than whole sentences because offline recognition gets words
-- wrong, and it confirms what it heard before booking.

local calendar = {
  -- day -> { [hour] = "taken" }; a few slots are already taken
  monday = { [9] = "taken" }, tuesday = { [11] = "taken" }, wednesday = {},
  thursday = { [14] = "taken" }, friday = {},
}
local OPEN, CLOSE = 9, 17

local function spoken_hour(h)
  local names = { "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                  "ten", "eleven", "twelve" }
  local h12 = h > 12 and h - 12 or h
  return names[h12] .. (h >= 12 and " p m" or " a m")
end

local book_slot = hark.tool {
  name = "book_slot",
  description = "Book an appointment slot at the clinic.",
  parameters = {
    type = "object",
    properties = {
      day = { type = "string", enum = { "monday", "tuesday", "wednesday", "thursday", "friday" } },
      hour = { type = "integer", description = "24-hour clock, 9 to 16" },
    },
    required = { "day", "hour" },
  },
  handler = function(call, args)
    local day = calendar[args.day]
    if args.hour < OPEN or args.hour >= CLOSE then
      return { ok = false, reason = "closed" }
    end
    if day[args.hour] then return { ok = false, reason = "taken" } end
    day[args.hour] = call.id
    call:log("booked " .. args.day .. " " .. args.hour, "debug") -- caller data: debug only
    return { ok = true, day = args.day, hour = args.hour }
  end,
}

local function try_booking(call)
  local day, hour = call:get("day"), call:get("hour")
  if not day then return "Which day would suit you? We are open Monday to Friday." end
  if not hour then return "What time on " .. day .. "? We have slots from nine to four." end
  local r = call:tool("book_slot", { day = day, hour = hour })
  if r.ok then
    call:set("booked", day .. " at " .. spoken_hour(hour))
    call:set("wants", nil)
    return "Your appointment is booked for " .. day .. " at " .. spoken_hour(hour) ..
           ". Is there anything else I can help with?"
  end
  call:set("hour", nil)
  if r.reason == "closed" then
    return "We are open from nine to five. What time would you like on " .. day .. "?"
  end
  return "Sorry, " .. day .. " at " .. spoken_hour(hour) .. " is taken. Would another time work?"
end

return {
  name = "Maple Street Clinic front desk",
  phone_number = "+15550199",
  first_message = "Hello, thank you for calling Maple Street Clinic. How can I help you today?",
  fallback_message = "Sorry, I did not catch that. Could you say it again?",
  system_prompt = "You are the friendly receptionist of Maple Street Clinic.",
  voice = { provider = "espeak", voice_id = "en-us", rate_wpm = 175 },
  model = { provider = "script" },
  transcriber = {
    provider = "sphinx",
    -- recognition hints: offline recognition is only accurate on expected phrases
    phrases = {
      "i would like to book an appointment", "book an appointment", "make an appointment",
      "what are your opening hours", "when are you open", "opening hours",
      "can i speak to a person", "speak to a person", "talk to someone", "a real person",
      "monday", "tuesday", "wednesday", "thursday", "friday",
      "at nine", "at ten", "at eleven", "at twelve", "at one", "at two", "at three", "at four",
      "in the morning", "in the afternoon", "yes please", "no thank you", "that is all",
      "goodbye", "bye", "thank you", "thanks",
    },
  },
  tools = { book_slot = book_slot },

  on_user_turn = function(call, text)
    local t = text:lower()
    local day, hour = hark.find_day(t), hark.find_time(t)
    if day and calendar[day] then call:set("day", day) end
    if hour then call:set("hour", hour) end

    if hark.has_any(t, { "person", "someone", "human", "receptionist" }) then
      call:say("Of course. Our staff are busy right now; please call back after five, " ..
               "or stay on the line and I can book you in.")
      return
    end
    -- booking words, a day or a time win over "open": recognition often
    -- inserts stray short words into a booking request
    if hark.has_any(t, { "book", "appointment", "schedule" }) or day or hour then
      call:set("wants", "booking")
    elseif hark.has_any(t, { "hours", "open", "opening" }) then
      return "We are open Monday to Friday, nine a m to five p m."
    end
    if call:get("wants") == "booking" then
      return try_booking(call)
    end
    if hark.has_any(t, { "bye", "goodbye", "all", "no" }) then
      call:say("Thank you for calling Maple Street Clinic. Goodbye!")
      call:hangup("assistant-ended-call")
      return
    end
    return "I can book an appointment, tell you our opening hours, or put you through to a person."
  end,

  -- keypad: 0 reaches a person (the clinic's main line), 1 starts a booking
  on_dtmf = function(call, digit)
    if digit == "0" then
      call:say("Connecting you to our reception desk. Please hold.")
      call:transfer("+15550100")
    elseif digit == "1" then
      call:set("wants", "booking")
      call:say(try_booking(call))
    else
      call:say("Press 0 for a person, or 1 to book an appointment.")
    end
  end,

  on_end = function(call, report)
    -- what was booked is the caller's business: at info only whether, the slot at debug
    call:log("call ended: " .. report.ended_reason .. (call:get("booked") and ", with a booking" or ""))
    call:log("booked: " .. tostring(call:get("booked")), "debug")
  end,
}
