-- The front-desk agent's turn logic, in text (no audio engines): booking with
-- state across turns, the tool and its calendar, opening hours, a person,
-- recognition-style sloppy input, and hanging up.
local h = harness

-- greeting, then a booking over three turns
local c = h.call("agents/front_desk.lua")
local said = c:said()
h.check(#said == 1 and said[1]:find("Maple Street Clinic"), "greets with the clinic name")

said = c:user("hi i would like to book an appointment please")
h.check(said[1]:find("Which day"), "asks for the day: " .. tostring(said[1]))
said = c:user("tuesday")
h.check(said[1]:find("What time on tuesday"), "asks for the time: " .. tostring(said[1]))
said = c:user("at ten")
h.check(said[1]:find("booked for tuesday at ten a m"), "confirms the booking: " .. tostring(said[1]))
h.check(c:get("booked") == "tuesday at ten a m", "keeps the booking in call state")
said = c:user("no thank you that is all goodbye")
h.check(said[1]:find("Goodbye"), "says goodbye")
h.check(c:ended() == "assistant-ended-call", "hangs up after goodbye: " .. tostring(c:ended()))
h.check(c:errors() == 0, "no hook errors")

-- day and time in one sentence; the calendar is shared by calls of this
-- agent version, so tuesday at ten is now taken
local c2 = h.call("agents/front_desk.lua")
c2:said()
said = c2:user("can i make an appointment on tuesday at ten")
-- a fresh load of the file is a fresh calendar: tuesday at ten is free again
h.check(said[1]:find("booked for tuesday at ten"), "books in one turn: " .. tostring(said[1]))

local a = h.load("agents/front_desk.lua")
local c3, c4 = h.call(a), h.call(a)
c3:said(); c4:said()
said = c3:user("book an appointment on monday at two")
h.check(said[1]:find("booked for monday at two p m"), "bare two means the afternoon: " .. tostring(said[1]))
said = c4:user("book monday at two")
h.check(said[1]:find("taken"), "a taken slot is refused: " .. tostring(said[1]))
said = c4:user("three")
h.check(said[1]:find("booked for monday at three p m"), "rebooks at another time: " .. tostring(said[1]))
said = c4:user("book friday at eight")
h.check(said[1]:find("open from nine"), "out of hours is refused: " .. tostring(said[1]))

-- opening hours, a person, and gibberish (what poor recognition produces)
local c5 = h.call(a)
c5:said()
said = c5:user("what are your opening hours")
h.check(said[1]:find("Monday to Friday, nine"), "opening hours: " .. tostring(said[1]))
said = c5:user("can i speak to a person")
h.check(said[1]:find("staff"), "offers a person: " .. tostring(said[1]))
said = c5:user("uh the it")
h.check(said[1]:find("I can book an appointment"), "explains what it can do: " .. tostring(said[1]))
h.check(c5:ended() == nil, "still on the call")

-- the keypad: 1 books, 0 transfers to reception, other keys explain
local c6 = h.call(a)
c6:said()
said = c6:dtmf("5")
h.check(said[1]:find("Press 0 for a person"), "unknown key explains: " .. tostring(said[1]))
said = c6:dtmf("1")
h.check(said[1]:find("Which day"), "1 starts a booking: " .. tostring(said[1]))
said = c6:dtmf("0")
h.check(said[1]:find("Connecting you"), "0 connects: " .. tostring(said[1]))
h.check(c6:transferred() == "+15550100", "transferred to reception: " .. tostring(c6:transferred()))
h.check(c6:ended() == "assistant-forwarded-call", "the agent leaves the call: " .. tostring(c6:ended()))
h.check(c6:errors() == 0, "no hook errors")
