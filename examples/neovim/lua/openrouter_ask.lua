-- examples/neovim/lua/openrouter_ask.lua -- the plugin's work: one task per
-- question, driven by Neovim's own loop through openrouter.attach.
local openrouter = require "openrouter"

local M = {}
local client, attached

local function setup()
  if client then return client end
  client = openrouter.new { model = vim.g.openrouter_model or "openai/gpt-4o-mini",
                            app_title = "openrouter-lua Neovim example" }
  -- schedule = vim.schedule: tasks resume where the editor API is allowed
  attached = openrouter.attach(vim.uv or vim.loop, { schedule = vim.schedule })
  vim.api.nvim_create_autocmd("VimLeavePre", { callback = function() attached:detach() end })
  return client
end

function M.ask(question)
  local ok, c = pcall(setup)
  if not ok then vim.notify(tostring(c), vim.log.levels.ERROR) return end
  vim.cmd("botright new")
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype, vim.bo[buf].filetype = "nofile", "markdown"
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "# " .. question, "" })
  openrouter.spawn(function()
    local stream, err = c:stream { prompt = question }
    if not stream then vim.notify(tostring(err), vim.log.levels.ERROR) return end
    local text = ""
    while true do
      local chunk, e = stream:next()
      if e then vim.notify(tostring(e), vim.log.levels.ERROR) break end
      if not chunk then break end
      local choice = chunk.choices[1]
      local piece = choice and choice.delta and choice.delta.content
      if not vim.api.nvim_buf_is_valid(buf) then
        stream:close()                    -- the buffer was wiped: stop paying for tokens
        break
      end
      if type(piece) == "string" and piece ~= "" then
        text = text .. piece
        vim.api.nvim_buf_set_lines(buf, 2, -1, false, vim.split(text, "\n"))
      end
    end
  end)
end

return M
