-- openrouter.spend: what a client's answers cost, summed from the usage
-- they reported (client:spent()), and the budget that stops new requests
-- once it is spent (the client option max_cost).

local errors = require "openrouter.errors"

local M = {}

local Ledger = {}
Ledger.__index = Ledger

function M.new(max_cost)
  return setmetatable({ cost = 0, prompt_tokens = 0, completion_tokens = 0, requests = 0,
                        max_cost = max_cost }, Ledger)
end

local function count(v) return type(v) == "number" and v == v and v or 0 end

-- One answer's usage (a table as OpenRouter sends it; anything else is
-- ignored): its cost and tokens added, and one more request.
function Ledger:add(usage)
  if type(usage) ~= "table" then return end
  self.cost = self.cost + count(usage.cost)
  self.prompt_tokens = self.prompt_tokens + count(usage.prompt_tokens)
  self.completion_tokens = self.completion_tokens + count(usage.completion_tokens)
  self.requests = self.requests + 1
end

-- client:spent(): a copy, the caller may keep it.
function Ledger:totals()
  return { cost = self.cost, prompt_tokens = self.prompt_tokens,
           completion_tokens = self.completion_tokens, requests = self.requests }
end

-- nil while a new request may go; the `budget` error once max_cost is spent.
function Ledger:refusal()
  if not self.max_cost or self.cost < self.max_cost then return nil end
  return errors.new { kind = "budget",
    message = ("max_cost is spent: $%.6f of $%.6f"):format(self.cost, self.max_cost),
    hint = ("nothing was sent; this client spent $%.6f over %d answers: raise max_cost, or " ..
            "make a new client for a new budget"):format(self.cost, self.requests) }
end

return M
