rockspec_format = "3.0"
package = "openrouter"
version = "scm-1"
source = {
   url = "git+file:///dev/null",   -- installed from a checkout: luarocks make rockspec/openrouter-scm-1.rockspec
}
description = {
   summary = "OpenRouter client for Lua: streaming chat on a libcurl C core",
   detailed = [[
      One API key, hundreds of models.  Streams are iterators that cooperate
      with coroutines; every failure is an error object with a kind and a hint.
   ]],
   license = "MIT",
}
dependencies = {
   "lua >= 5.1, < 5.5",
}
-- Only the library: on Debian/Ubuntu curl.h lives under the multiarch
-- include directory, which a `header = "curl/curl.h"` check cannot find,
-- while the compiler finds it by itself.
external_dependencies = {
   CURL = { library = "curl" },
}
build = {
   type = "builtin",
   modules = {
      ["openrouter.core"] = {
         sources = {   -- the Makefile builds from this list too
            "csrc/engine/buf.c", "csrc/engine/sse.c", "csrc/engine/evq.c",
            "csrc/engine/jscan.c", "csrc/engine/chat.c", "csrc/engine/errclass.c",
            "csrc/engine/transfer.c", "csrc/engine/multi.c",
            "csrc/binding/or_core.c", "csrc/binding/or_engine.c",
            "csrc/binding/or_transfer.c", "csrc/binding/or_classify.c",
            "csrc/binding/or_json.c",
         },
         defines = { "_POSIX_C_SOURCE=200809L" },
         libraries = { "curl" },
         incdirs = { "csrc/engine", "csrc/binding", "$(CURL_INCDIR)" },
         libdirs = { "$(CURL_LIBDIR)" },
      },
      ["openrouter"] = "lua/openrouter/init.lua",
      ["openrouter.attach"] = "lua/openrouter/attach.lua",
      ["openrouter.client"] = "lua/openrouter/client.lua",
      ["openrouter.diagnose"] = "lua/openrouter/diagnose.lua",
      ["openrouter.each"] = "lua/openrouter/each.lua",
      ["openrouter.endpoints"] = "lua/openrouter/endpoints.lua",
      ["openrouter.errors"] = "lua/openrouter/errors.lua",
      ["openrouter.json"] = "lua/openrouter/json.lua",
      ["openrouter.loop"] = "lua/openrouter/loop.lua",
      ["openrouter.output"] = "lua/openrouter/output.lua",
      ["openrouter.provider"] = "lua/openrouter/provider.lua",
      ["openrouter.request"] = "lua/openrouter/request.lua",
      ["openrouter.response"] = "lua/openrouter/response.lua",
      ["openrouter.result"] = "lua/openrouter/result.lua",
      ["openrouter.retry"] = "lua/openrouter/retry.lua",
      ["openrouter.spend"] = "lua/openrouter/spend.lua",
      ["openrouter.slots"] = "lua/openrouter/slots.lua",
      ["openrouter.stream"] = "lua/openrouter/stream.lua",
      ["openrouter.suggest"] = "lua/openrouter/suggest.lua",
      ["openrouter.tools"] = "lua/openrouter/tools.lua",
      ["openrouter.trace"] = "lua/openrouter/trace.lua",
      ["openrouter.types"] = "lua/openrouter/types.lua",
   },
   copy_directories = { "examples" },
}
test_dependencies = { "busted" }
test = { type = "busted" }
