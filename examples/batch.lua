-- examples/batch.lua -- a batch job: 50 prompts, 4 at a time, with a cost cap.
--   OPENROUTER_API_KEY=sk-or-... lua5.4 examples/batch.lua [max_cost_usd]
-- Every prompt is a task.  The client lets 4 of its requests run at once
-- (the others wait their turn, in order) and sends nothing more once
-- max_cost (default $0.05) is spent: those prompts end with kind "budget".
local openrouter = require "openrouter"

local max_cost = tonumber(arg[1] or "") or 0.05
local client = openrouter.new {
  model = os.getenv("OPENROUTER_MODEL") or "openai/gpt-4o-mini",
  max_concurrent = 4,
  max_cost = max_cost,
  app_title = "openrouter-lua batch example",
}

local tasks = {}
for i = 1, 50 do
  tasks[i] = openrouter.spawn(function()
    return client:chat { prompt = ("In five words: what is special about the number %d?"):format(i),
                         max_tokens = 20 }
  end)
end
openrouter.run()

local answered, skipped, failed = 0, 0, 0
for i, task in ipairs(tasks) do
  local res, err
  if task.ok then res, err = task.values[1], task.values[2] else err = task.error end
  if res then
    answered = answered + 1
    print(("%2d: %s"):format(i, res.text))
  elseif openrouter.is_error(err) and err.kind == "budget" then
    skipped = skipped + 1
  else
    failed = failed + 1
    io.stderr:write(("%2d: %s\n"):format(i, tostring(err)))
  end
end
local spent = client:spent()
print(("%d answered, %d skipped by max_cost, %d failed; spent $%.6f of $%.6f (%d + %d tokens)")
  :format(answered, skipped, failed, spent.cost, max_cost, spent.prompt_tokens, spent.completion_tokens))
os.exit(failed == 0 and 0 or 1)
