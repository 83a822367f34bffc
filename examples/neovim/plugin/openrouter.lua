-- examples/neovim/plugin/openrouter.lua -- :OpenRouterAsk {question}
-- Streams the answer into a scratch buffer without ever blocking the editor.
-- Put examples/neovim on 'runtimepath' (and the module on package.path /
-- package.cpath: the LuaJIT build, make LUA_VERSION=luajit), set
-- OPENROUTER_API_KEY, then   :OpenRouterAsk What is a monad?
vim.api.nvim_create_user_command("OpenRouterAsk", function(cmd)
  require("openrouter_ask").ask(cmd.args)
end, { nargs = "+", desc = "Ask OpenRouter; the answer streams into a new buffer" })
