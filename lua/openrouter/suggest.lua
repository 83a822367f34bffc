-- openrouter.suggest: "did you mean …?" for misspelt option and field names.

local M = {}

-- Levenshtein distance, with an early exit once it exceeds `limit`.
local function distance(a, b, limit)
  if math.abs(#a - #b) > limit then return limit + 1 end
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur, best = { [0] = i }, i
    local ca = a:byte(i)
    for j = 1, #b do
      local cost = ca == b:byte(j) and 0 or 1
      local d = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      cur[j] = d
      if d < best then best = d end
    end
    if best > limit then return limit + 1 end
    prev = cur
  end
  return prev[#b]
end

-- The candidate closest to `name` (case-insensitive), or nil when none is
-- close enough to be a plausible typo.
function M.closest(name, candidates)
  if type(name) ~= "string" then return nil end
  local lname = name:lower()
  local limit = math.max(1, math.min(3, math.floor(#lname / 3)))
  local best, best_d
  for _, c in ipairs(candidates) do
    local d = distance(lname, c:lower(), limit)
    if d <= limit and (not best_d or d < best_d) then best, best_d = c, d end
  end
  return best
end

-- " (did you mean X?)" or "".
function M.hint(name, candidates)
  local c = M.closest(name, candidates)
  return c and (" (did you mean %s?)"):format(c) or ""
end

return M
