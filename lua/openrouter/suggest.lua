-- openrouter.suggest: "did you mean …?" for misspelt option and field names.

local M = {}

-- Edit distance where swapping two neighbouring letters counts as one edit
-- ("modle" -> "model": the commonest typo), with an early exit once it
-- exceeds `limit` (optimal string alignment distance).
local function distance(a, b, limit)
  if math.abs(#a - #b) > limit then return limit + 1 end
  local before, prev = nil, {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur, best = { [0] = i }, i
    local ca = a:byte(i)
    for j = 1, #b do
      local cb = b:byte(j)
      local d = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca == cb and 0 or 1))
      if before and i > 1 and j > 1 and ca == b:byte(j - 1) and a:byte(i - 1) == cb then
        d = math.min(d, before[j - 2] + 1)
      end
      cur[j] = d
      if d < best then best = d end
    end
    if best > limit then return limit + 1 end
    before, prev = prev, cur
  end
  return prev[#b]
end

-- The candidate closest to `name` (case-insensitive), or nil when none is
-- close enough to be a plausible typo: a third of the name's letters
-- changed, at least one, at most `max` (default 3).
function M.closest(name, candidates, max)
  if type(name) ~= "string" then return nil end
  local lname = name:lower()
  local limit = math.max(1, math.min(max or 3, math.floor(#lname / 3)))
  local best, best_d
  for _, c in ipairs(candidates) do
    local d = distance(lname, c:lower(), limit)
    if d <= limit and (not best_d or d < best_d) then best, best_d = c, d end
  end
  return best
end

-- Up to n candidates close to `name`, closest first: by edit distance of
-- the whole id or of its slug (after "author/"), or containing the slug.
-- Made for model ids, where "gpt4o" should find "openai/gpt-4o".
function M.closest_n(name, candidates, n)
  if type(name) ~= "string" or name == "" then return {} end
  local lname = name:lower()
  local slug = lname:match("/(.+)$") or lname
  local limit = math.max(2, math.min(6, math.floor(#slug / 2)))
  local scored = {}
  for _, c in ipairs(candidates) do
    local lc = c:lower()
    local cslug = lc:match("/(.+)$") or lc
    local d = math.min(distance(lname, lc, limit), distance(slug, cslug, limit))
    if d > limit and #slug >= 3 and (cslug:find(slug, 1, true) or slug:find(cslug, 1, true)) then
      d = limit
    end
    if d <= limit then scored[#scored + 1] = { c, d } end
  end
  table.sort(scored, function(a, b)
    if a[2] ~= b[2] then return a[2] < b[2] end
    return a[1] < b[1]
  end)
  local out = {}
  for i = 1, math.min(n, #scored) do out[i] = scored[i][1] end
  return out
end

-- " (did you mean X?)" or "".
function M.hint(name, candidates)
  local c = M.closest(name, candidates)
  return c and (" (did you mean %s?)"):format(c) or ""
end

return M
