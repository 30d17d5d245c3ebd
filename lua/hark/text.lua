-- hark.text: matching what a caller said, robust to imperfect recognition.
-- Offline speech recognition gets words wrong, so turn logic matches on
-- keywords and a few spoken forms of days and times instead of whole sentences.
local M = {}

function M.words(s)
  local out = {}
  for w in tostring(s or ""):lower():gmatch("[%a%d']+") do out[#out + 1] = w end
  return out
end

local function set_of(s)
  local set = {}
  for _, w in ipairs(M.words(s)) do set[w] = true end
  return set
end

-- true when s contains any of the words (or multi-word phrases) given
function M.has_any(s, list)
  local set, low = set_of(s), " " .. table.concat(M.words(s), " ") .. " "
  for _, w in ipairs(list) do
    if w:find(" ") then
      if low:find(" " .. w .. " ", 1, true) then return true end
    elseif set[w] then
      return true
    end
  end
  return false
end

function M.has_all(s, list)
  local set = set_of(s)
  for _, w in ipairs(list) do if not set[w] then return false end end
  return true
end

local days = { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" }

function M.find_day(s)
  local set = set_of(s)
  for _, d in ipairs(days) do if set[d] then return d end end
  if set.today then return "today" end
  if set.tomorrow then return "tomorrow" end
  return nil
end

local numbers = { one = 1, two = 2, three = 3, four = 4, five = 5, six = 6, seven = 7,
  eight = 8, nine = 9, ten = 10, eleven = 11, twelve = 12, noon = 12 }

-- Returns the hour (1..23) said in s, or nil. "ten", "10", "10 am", "two pm",
-- "three thirty" (minutes are returned as the second value).
function M.find_time(s)
  local w = M.words(s)
  for i, word in ipairs(w) do
    local h = numbers[word] or tonumber(word:match("^(%d%d?)$"))
    local hh, mm = word:match("^(%d%d?):(%d%d)$")
    if hh then h = tonumber(hh) end
    if h and h >= 1 and h <= 23 then
      local nxt = w[i + 1]
      local minutes = tonumber(mm) or 0
      if nxt == "thirty" then minutes = 30 elseif nxt == "fifteen" then minutes = 15 end
      local ampm = (nxt == "pm" or nxt == "p" or w[i + 2] == "pm") and "pm" or
                   ((nxt == "am" or nxt == "a" or w[i + 2] == "am") and "am" or nil)
      if ampm == "pm" and h < 12 then h = h + 12 end
      -- a bare hour 1..6 at a daytime business means the afternoon
      if not ampm and h >= 1 and h <= 6 then h = h + 12 end
      return h, minutes
    end
  end
  return nil
end

return M
