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
    -- one redraw per 50 ms at most, however fast the tokens come (Neovim's
    -- LuaJIT lets a task wait inside a for loop and a pcall)
    local read, e = pcall(function()
      for piece in stream:text { every = 0.05 } do
        if not vim.api.nvim_buf_is_valid(buf) then
          stream:close()                  -- the buffer was wiped: stop paying for tokens
          return
        end
        text = text .. piece
        vim.api.nvim_buf_set_lines(buf, 2, -1, false, vim.split(text, "\n"))
      end
    end)
    if not read then vim.notify(tostring(e), vim.log.levels.ERROR) end
  end)
end

return M
