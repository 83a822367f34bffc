-- examples/doctor.lua [model] -- "why is OpenRouter not working?" as a checklist.
--   lua5.4 examples/doctor.lua openai/gpt-4o-mini
-- Uses OPENROUTER_API_KEY (and OPENROUTER_BASE_URL if set); never prints the key.
-- Exits 0 when every check passed, 1 otherwise.
local openrouter = require "openrouter"

local ok, client = pcall(openrouter.new, {})
if not ok then
  io.stderr:write(tostring(client), "\n")
  os.exit(2)
end
local report = client:diagnose { model = arg[1] or os.getenv("OPENROUTER_MODEL"),
                                 live = os.getenv("DOCTOR_LIVE") ~= "0" }
print(report)
os.exit(report.ok and 0 or 1)
