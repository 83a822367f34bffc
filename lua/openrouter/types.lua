---@meta openrouter
-- openrouter.types: annotations of the public API for lua-language-server
-- (completion and checks in Neovim and other editors).  Nothing here runs:
-- the module is lua/openrouter/init.lua.  spec/unit/types_spec.lua keeps
-- these names equal to what the module exports.

---@class openrouter
---@field VERSION string the module's version, e.g. "0.2.0"
---@field null lightuserdata JSON null: send it, and what decoding gives for null
local openrouter = {}

---@alias openrouter.Kind "config"|"bad_request"|"auth"|"credits"|"moderation"|"not_found"|"timeout"|"rate_limited"|"provider"|"unavailable"|"overloaded"|"server"|"network"|"tls"|"interrupted"|"protocol"|"canceled"|"output"|"budget"

---@class openrouter.ClientOptions
---@field api_key? string default: $OPENROUTER_API_KEY; never printed or put into an error
---@field base_url? string default: $OPENROUTER_BASE_URL or "https://openrouter.ai/api/v1"
---@field app_url? string sent as HTTP-Referer
---@field app_title? string sent as X-OpenRouter-Title and X-Title
---@field model? string default model of requests that name none
---@field provider? table default provider-routing table
---@field fallbacks? string[] default fallback models
---@field headers? table<string, string> extra request headers
---@field timeout? number seconds for a whole request; for a stream, until its headers (600)
---@field connect_timeout? number seconds to connect (10)
---@field idle_timeout? number seconds a stream may go without a byte (120)
---@field first_token_timeout? number seconds until the first output (off)
---@field max_retries? integer retries of retryable failures before any chunk (2)
---@field allow_insecure? boolean allow http:// to a host other than loopback
---@field proxy? string a proxy URL (else libcurl's environment variables)
---@field ca_file? string CA certificates to trust
---@field max_event? integer largest SSE event accepted, in bytes (8 MiB)
---@field max_body? integer largest answer that is not a stream of events, in bytes (64 MiB)
---@field max_cost? number USD: once spent, chat/stream/embed return kind budget, nothing sent
---@field max_concurrent? integer at most this many requests in flight; the rest wait their turn
---@field trace? fun(event: openrouter.TraceEvent) told what the client does

---@class openrouter.Request
---@field model? string may carry a variant (":nitro")
---@field messages? table[] the chat messages
---@field prompt? string shorthand for one user message
---@field system? string shorthand for a system message
---@field variant? string appended to the model as ":variant"
---@field fallbacks? string[] sent as models = { model, ... }
---@field provider? table the provider-routing table, checked key by key
---@field headers? table<string, string> HTTP headers of this request
---@field timeout? number per-request override
---@field idle_timeout? number per-request override
---@field first_token_timeout? number per-request override
---@field max_retries? integer per-request override
---@field schema? table a JSON schema for the answer: parsed comes back decoded
---@field schema_name? string its name (default "output")
---@field [string] any any other OpenRouter field, sent unchanged

---@class openrouter.Error
---@field kind openrouter.Kind
---@field status? integer HTTP status
---@field code? integer|string error.code from the body
---@field message string
---@field provider? string
---@field raw? any error.metadata.raw
---@field metadata? table
---@field retryable boolean
---@field retry_after? number seconds
---@field hint? string how to fix it
---@field generation_id? string
---@field partial boolean chunks had already been delivered
---@field result? openrouter.Result what they carried (result.incomplete), when partial
---@field curl_code? integer libcurl's code, for a transport failure

---@class openrouter.Response: table the decoded JSON body, plus:
---@field text? string the first choice's message content
---@field model? string the model that actually served it
---@field provider? string
---@field usage? table
---@field status integer
---@field headers table<string, string> lower-case names
---@field parsed? any the answer decoded, when the request gave a schema

---@class openrouter.Result
---@field text string
---@field reasoning? string
---@field reasoning_details? table[]
---@field tool_calls? table[]
---@field finish_reason? string
---@field usage? table
---@field model? string
---@field provider? string
---@field id? string
---@field message table ready to append to messages
---@field choices table[] every choice, by index
---@field parsed? any the answer decoded, when the request gave a schema
---@field incomplete? true the stream broke (err.result); a cut tool call has .incomplete

---@class openrouter.TraceEvent
---@field type "request"|"response"|"retry"|"done"
---@field method? string
---@field url? string
---@field headers? table<string, string> the Authorization masked
---@field body? string the JSON text sent
---@field status? integer
---@field seconds? number
---@field attempt? integer
---@field wait? number
---@field error? openrouter.Error

---@class openrouter.Client
---@field base_url string
local Client = {}

---POST /chat/completions.
---@param req openrouter.Request
---@return openrouter.Response|nil response
---@return openrouter.Error|nil err
function Client:chat(req) end

---The same, streamed; returns once the HTTP status is known.
---@param req openrouter.Request
---@return openrouter.Stream|nil stream
---@return openrouter.Error|nil err
function Client:stream(req) end

---POST /embeddings: the decoded body plus vectors (one per input, in input order) and usage.
---@param req {model?: string, input: string|string[], [string]: any}
---@return table|nil response with .vectors, .usage
---@return openrouter.Error|nil err
function Client:embed(req) end

---The whole tool-calling loop: the final answer with .messages and .rounds.
---@param req openrouter.Request with tools
---@param handlers table<string, fun(args: table, call: table): any>
---@param opts? {max_rounds?: integer, on_text?: fun(piece: string), on_call?: fun(name: string, args: table, call: table): boolean?}
---@return openrouter.Result|nil result
---@return openrouter.Error|nil err
function Client:run_tools(req, handlers, opts) end

---What this client's answers cost so far (those that reported usage).
---@return {cost: number, prompt_tokens: integer, completion_tokens: integer, requests: integer}
function Client:spent() end

---GET /models.
---@param filter? { free?: boolean, search?: string }
---@return table[]|nil models
---@return openrouter.Error|nil err
function Client:models(filter) end

---GET /key: the key's limits and usage.
---@return table|nil data
---@return openrouter.Error|nil err
function Client:key() end

---GET /credits.
---@return table|nil data
---@return openrouter.Error|nil err
function Client:credits() end

---GET /generation?id=…: one call's cost and latency.
---@param id string
---@return table|nil data
---@return openrouter.Error|nil err
function Client:generation(id) end

---"Why is OpenRouter not working?" as a checklist; never raises.
---@param opts? { model?: string, live?: boolean, timeout?: number }
---@return openrouter.Report
function Client:diagnose(opts) end

---@class openrouter.Report
---@field ok boolean no check failed
---@field checks { name: string, ok: boolean|nil, detail: string, hint?: string }[]
---@field elapsed number

---@class openrouter.Stream
---@field status? integer
---@field headers? table<string, string>
---@field id? string
---@field model? string
---@field provider? string
---@field error? openrouter.Error
local Stream = {}

---The next chunk, nil at the end, or nil and an error; never raises.
---@return table|nil chunk
---@return openrouter.Error|nil err
function Stream:next() end

---Like next(), but never waits: false when nothing is ready yet.
---@return table|false|nil chunk
---@return openrouter.Error|nil err
function Stream:poll() end

---Drain the rest; the whole answer.
---@return openrouter.Result|nil result
---@return openrouter.Error|nil err
function Stream:result() end

---Cancel: abort the transfer now; idempotent.
---@return true
function Stream:close() end

---for chunk in stream:chunks() (on 5.4, break closes the stream); raises the error.
---@return fun(): table|nil
function Stream:chunks() end

---for text in stream:text(): the non-empty content strings; raises the error.
---With opts.every (seconds): coalesced, at most one string per interval.
---@param opts? {every: number}
---@return fun(): string|nil
function Stream:text(opts) end

---Timings and counts of the transfer.
---@return table
function Stream:info() end

---@class openrouter.Task
---@field done boolean
---@field ok? boolean false if the function raised
---@field error? any what it raised
---@field values? table what it returned, packed (with n)
local Task = {}

---Drive the loop until the task is done (or timeout seconds passed).
---@param timeout? number
---@return true|nil ok
---@return any ... the values, or the error
function Task:wait(timeout) end

---Stop a task that is still waiting.
---@return boolean
function Task:cancel() end

---@class openrouter.Attachment
local Attachment = {}

---Stop driving the scheduler from the luv loop.
function Attachment:detach() end

---A client; raises a config error on bad options.
---@param opts? openrouter.ClientOptions
---@return openrouter.Client
function openrouter.new(opts) end

---True for this module's error objects.
---@param v any
---@return boolean
function openrouter.is_error(v) end

---Run fn as a task: its waits yield instead of blocking.
---@param fn function
---@param ... any
---@return openrouter.Task
function openrouter.spawn(fn, ...) end

---Drive every transfer once, resume ready tasks; wait at most timeout seconds.
---@param timeout? number
---@return integer active
function openrouter.step(timeout) end

---Drive until every task finished (or timeout seconds passed).
---@param timeout? number
---@return boolean all_done
function openrouter.run(timeout) end

---Drive the scheduler from a luv loop (vim.uv) without blocking it.
---@param uv table
---@param opts? { schedule?: fun(fn: function) }
---@return openrouter.Attachment
function openrouter.attach(uv, opts) end

---Who hears of a task that ends by raising (nil: nobody).
---@param fn? fun(err: any, task: openrouter.Task)
function openrouter.on_error(fn) end

---Mark t to be sent as a JSON object, even when empty.
---@param t? table
---@return table
function openrouter.object(t) end

---Mark t to be sent as a JSON array.
---@param t? table
---@return table
function openrouter.array(t) end

return openrouter
