-- openrouter.result: builds the final answer of a stream from its chunks,
-- the way a non-streamed response would have carried it.
--
--   local acc = result.new()
--   acc:add(chunk)            -- every decoded chat.completion.chunk, in order
--   local res = acc:finish()  -- may be called again after more add()s
--
-- res.text                 concatenated delta.content; always a string ("" if none)
-- res.reasoning            concatenated delta.reasoning, or nil
-- res.reasoning_details    delta.reasoning_details merged by `index`, or nil
-- res.tool_calls           { {id=, type="function", ["function"]={name=, arguments=}} … }, or nil
-- res.refusal, res.annotations, res.images   likewise, or nil
-- res.finish_reason, res.native_finish_reason   the last non-null values
-- res.message              { role, content, tool_calls?, reasoning?, reasoning_details? …}:
--                          ready to append to `messages` for the next turn (content
--                          is nil, not "", when the turn only calls tools)
-- res.choices              every choice: choices[index + 1] = { index, text,
--                          reasoning, tool_calls, message, finish_reason,
--                          native_finish_reason } (n > 1)
-- res.usage                the last non-null usage (the final chunk carries it)
-- res.id, res.model, res.provider, res.created, res.system_fingerprint
--                          the first non-null values
-- res.chunks               how many chunks were added
-- res.incomplete           true for finish(true): the answer of a stream that
--                          broke (a tool call cut mid-arguments is flagged
--                          tool_calls[i].incomplete and keeps its fragment)
--
-- The top-level fields describe choice index 0 (or the lowest index seen,
-- should a stream have no choice 0).  Choices are told apart by their
-- `index` field, not their position in a chunk, because with n > 1 each
-- chunk usually carries one choice, whichever advanced.
--
-- JSON null (json.null) is treated as absent everywhere: none reaches res.

local each = require "openrouter.each"
local json = require "openrouter.json"

local M = {}

local null = json.null

local nonnull = json.nonnull

-- Lua 5.3+ only.  The lua-cjson that distributions ship decodes every JSON
-- number as a float there, so token counts would print as "29.0"; whole
-- numbers are turned back into integers (no-op on 5.1 and LuaJIT).
local tointeger = math.tointeger

local function whole(v)
  if tointeger and type(v) == "number" then return tointeger(v) or v end
  return v
end

-- A deep copy without json.null, so nested nulls (usage.cost_details.
-- upstream_inference_cost, a detail's signature) never reach the user.
local function clean(v)
  if v == null then return nil end
  if type(v) ~= "table" then return whole(v) end
  local c = {}
  for k, x in each(v) do c[k] = clean(x) end
  return c
end

local function is_index(v)
  return type(v) == "number" and v >= 0 and v == math.floor(v)
end

-- The text one decoded chunk carries for choice 0 (the choice whose index
-- is 0, or the first when it gives no index; with n > 1 a chunk carries
-- whichever choice advanced), or nil.  What stream:text() yields.
function M.content(chunk)
  local choices = type(chunk) == "table" and chunk.choices
  if type(choices) ~= "table" then return nil end
  for pos, choice in ipairs(choices) do
    local index = type(choice) == "table" and nonnull(choice.index)
    if index == 0 or (index == nil and pos == 1) then
      local delta = choice.delta
      local content = type(delta) == "table" and delta.content
      if type(content) == "string" and content ~= "" then return content end
      return nil
    end
  end
end

-- Accumulated state of one choice ---------------------------------------------

local function new_choice(index)
  return {
    index = index,
    content = {}, reasoning = {}, refusal = {},
    details = {}, detail_slot = {},   -- reasoning_details entries, and index -> entry
    tools = {}, tool_slot = {},       -- tool-call entries, and index -> entry
    annotations = {}, images = {},
    seq = 0,
  }
end

local function next_seq(st)
  st.seq = st.seq + 1
  return st.seq
end

-- Append s to the pieces of a text: a stack whose every piece is longer
-- than the one above it, merged as it grows (Programming in Lua's string
-- buffer).  What is kept grows with the text's bytes, not with how many
-- pieces it came in, and each byte is copied O(log n) times.
local function push(stack, s)
  local n = #stack + 1
  stack[n] = s
  while n > 1 and #stack[n] >= #stack[n - 1] do
    stack[n - 1] = stack[n - 1] .. stack[n]
    stack[n] = nil
    n = n - 1
  end
end

local function append_string(parts, v)
  if type(v) == "string" and v ~= "" then push(parts, v) end
end

-- Fields of a reasoning detail whose streamed pieces are concatenated.
local DETAIL_TEXT = { text = true, summary = true, data = true }

-- One streamed reasoning_details item.  Items with the same `index` are
-- pieces of one detail.  An item without `index` continues the last one
-- (or index 0).  An item whose `type` differs from the detail at its index
-- starts a new detail at that index: merging a reasoning.encrypted blob
-- into a reasoning.text would corrupt both when sent back.
local function add_detail(st, item)
  if type(item) ~= "table" then return end
  local has_index = is_index(item.index)
  local index = has_index and whole(item.index) or st.last_detail_index or 0
  local kind = nonnull(item.type)
  local e = st.detail_slot[index]
  if not e or (kind and e.fields.type and kind ~= e.fields.type) then
    e = { index = index, seq = next_seq(st), parts = {}, fields = {} }
    st.details[#st.details + 1] = e
    st.detail_slot[index] = e
  end
  st.last_detail_index = index
  if has_index then e.has_index = true end
  for k, v in each(item) do
    if DETAIL_TEXT[k] and type(v) == "string" then
      local parts = e.parts[k] or {}
      e.parts[k] = parts
      push(parts, v)
    elseif k ~= "index" and v ~= null then
      e.fields[k] = clean(v)     -- type, id, format, signature…: the latest wins
    end
  end
end

-- Arguments normally arrive as JSON text; a provider that sends an object
-- gets it re-encoded, so `arguments` is always a string.
local function arguments_text(v)
  if type(v) == "string" then return v end
  if type(v) == "table" then
    local ok, s = pcall(json.encode, v)
    if ok then return s end
  end
end

-- One tool-call fragment.  The first fragment of a call carries id, type
-- and function.name; later ones append to function.arguments.  A fragment
-- without `index` continues the last call (or index 0).  A fragment whose
-- id differs from the call already at its index starts a new call: some
-- providers number every parallel call 0.
local function add_tool(st, frag)
  if type(frag) ~= "table" then return end
  local index = is_index(frag.index) and whole(frag.index) or st.last_tool_index or 0
  local id = nonnull(frag.id)
  if type(id) ~= "string" or id == "" then id = nil end
  local e = st.tool_slot[index]
  if not e or (id and e.id and id ~= e.id) then
    e = { index = index, seq = next_seq(st), args = {} }
    st.tools[#st.tools + 1] = e
    st.tool_slot[index] = e
  end
  st.last_tool_index = index
  e.id = e.id or id
  local kind = nonnull(frag.type)
  if type(kind) == "string" then e.type = kind end
  local fn = nonnull(frag["function"])
  if type(fn) == "table" then
    -- The name comes once; some providers repeat it on every fragment,
    -- so the first one is kept rather than concatenated.
    local name = nonnull(fn.name)
    if type(name) == "string" and name ~= "" and not e.name then e.name = name end
    local args = arguments_text(nonnull(fn.arguments))
    if args then push(e.args, args) end
  end
end

local function append_items(list, items)
  if type(items) ~= "table" then return end
  for _, item in ipairs(items) do
    if item ~= null then list[#list + 1] = clean(item) end
  end
end

-- Called for every chunk of every stream: the common delta (content only,
-- nulls elsewhere) must cost a few field reads, so each rarer field is
-- looked at only when present.  (json.null is a userdata: type() tells it
-- from strings and tables without a call.)
local function add_choice(st, choice)
  local reason = choice.finish_reason
  if type(reason) == "string" then st.finish_reason = reason end
  local native = choice.native_finish_reason
  if native ~= nil and native ~= null and type(native) ~= "table" then
    st.native_finish_reason = native
  end
  local delta = choice.delta
  if type(delta) ~= "table" then return end
  local role = delta.role
  if type(role) == "string" then st.role = role end
  local content = delta.content
  if type(content) == "string" and content ~= "" then push(st.content, content) end
  if delta.reasoning ~= nil then append_string(st.reasoning, delta.reasoning) end
  if delta.refusal ~= nil then append_string(st.refusal, delta.refusal) end
  local details, tools = delta.reasoning_details, delta.tool_calls
  if type(details) == "table" then
    for _, item in ipairs(details) do add_detail(st, item) end
  end
  if type(tools) == "table" then
    for _, frag in ipairs(tools) do add_tool(st, frag) end
  end
  if delta.annotations ~= nil then append_items(st.annotations, delta.annotations) end
  if delta.images ~= nil then append_items(st.images, delta.images) end
end

-- Building the result ----------------------------------------------------------

local function by_index_then_arrival(a, b)
  if a.index ~= b.index then return a.index < b.index end
  return a.seq < b.seq
end

local function joined(parts)
  if #parts > 0 then return table.concat(parts) end
end

local function sorted_copy(list)
  local c = {}
  for i, v in ipairs(list) do c[i] = v end
  table.sort(c, by_index_then_arrival)
  return c
end

local function build_details(st)
  if #st.details == 0 then return nil end
  local out = {}
  for i, e in ipairs(sorted_copy(st.details)) do
    local d = clean(e.fields)
    if e.has_index then d.index = e.index end
    for k, parts in each(e.parts) do d[k] = table.concat(parts) end
    out[i] = d
  end
  return out
end

local function build_tools(st)
  if #st.tools == 0 then return nil end
  local out = {}
  for i, e in ipairs(sorted_copy(st.tools)) do
    out[i] = {
      id = e.id,
      type = e.type or "function",
      ["function"] = { name = e.name, arguments = table.concat(e.args) },
    }
  end
  return out
end

local function nonempty(list)
  if #list > 0 then return list end
end

-- A choice in the shape of a non-streamed one: { index, message, finish_reason… }.
local function build_choice(st)
  local tool_calls = build_tools(st)
  local text = joined(st.content) or ""
  local message = {
    role = st.role or "assistant",
    -- An assistant turn that only calls tools has no text; "" would be
    -- sent back as an empty text block, which some providers reject.
    content = (text ~= "" or not tool_calls) and text or nil,
    reasoning = joined(st.reasoning),
    reasoning_details = build_details(st),
    tool_calls = tool_calls,
    refusal = joined(st.refusal),
    annotations = nonempty(st.annotations) and clean(st.annotations),
    images = nonempty(st.images) and clean(st.images),
  }
  return {
    index = st.index,
    message = message,
    text = text,
    reasoning = message.reasoning,
    tool_calls = tool_calls,
    finish_reason = st.finish_reason,
    native_finish_reason = st.native_finish_reason,
  }, text
end

-- The accumulator ---------------------------------------------------------------

local Accumulator = { __name = "openrouter.Result" }
Accumulator.__index = Accumulator

-- Fields of the chunk envelope kept from the first chunk that has them.
local META = { "id", "model", "provider", "created", "system_fingerprint" }

function M.new()
  return setmetatable({ chunks = 0, _choices = {}, _meta = {}, _meta_missing = #META }, Accumulator)
end

-- Feed one decoded chunk.  Anything but a table is ignored.
function Accumulator:add(chunk)
  if type(chunk) ~= "table" then return self end
  self.chunks = self.chunks + 1
  if self._meta_missing > 0 then
    local meta = self._meta
    for _, k in ipairs(META) do
      local v = nonnull(chunk[k])
      if meta[k] == nil and v ~= nil and type(v) ~= "table" then
        meta[k] = whole(v)
        self._meta_missing = self._meta_missing - 1
      end
    end
  end
  -- The last usage wins: it arrives in a `choices: []` chunk, or (2025) in
  -- a chunk after the stop chunk whose choice has an empty delta.
  if type(chunk.usage) == "table" then self._usage = chunk.usage end
  local choices = chunk.choices
  if type(choices) ~= "table" then return self end
  for pos, choice in ipairs(choices) do
    if type(choice) == "table" then
      local index = is_index(choice.index) and whole(choice.index) or pos - 1
      local st = self._choices[index]
      if not st then
        st = new_choice(index)
        self._choices[index] = st
      end
      add_choice(st, choice)
    end
  end
  return self
end

-- The text of a chunk that carried nothing else (stream:text()'s fast
-- path: the C core read it without a table): as if add() had been given
-- a chunk whose only choice, index 0, had delta.content = s.  The stream
-- sends that way only chunks whose id, model, provider, created and role
-- the accumulator already holds (see has()).
-- (n: how many chunks s came from; default 1.)
function Accumulator:add_text(s, n)
  self.chunks = self.chunks + (n or 1)
  local st = self._choices[0]
  if not st then
    st = new_choice(0)
    self._choices[0] = st
  end
  if s ~= "" then push(st.content, s) end
  return self
end

-- Does the accumulator already hold `field` ("id", "model", "provider",
-- "created"; "role": choice 0's role is "assistant")?
function Accumulator:has(field)
  if field == "role" then
    local st = self._choices[0]
    return st ~= nil and st.role == "assistant"
  end
  return self._meta[field] ~= nil
end

-- A cut answer's tool calls whose arguments are not whole JSON: they keep
-- the fragment that came, flagged, never turned into {}.
local function flag_cut_calls(choices)
  for _, choice in ipairs(choices) do
    for _, call in ipairs(choice.message.tool_calls or {}) do
      if not pcall(json.decode, call["function"].arguments) then call.incomplete = true end
    end
  end
end

-- The response built so far.  Fresh tables on every call: the caller may
-- modify them without disturbing the accumulator.  cut: the stream broke
-- before its end (res.incomplete = true, and its tool calls checked).
function Accumulator:finish(cut)
  local indices = {}
  for index in each(self._choices) do indices[#indices + 1] = index end
  table.sort(indices)
  local res = { text = "", chunks = self.chunks, choices = {}, usage = clean(self._usage) }
  for _, k in ipairs(META) do res[k] = self._meta[k] end
  local built = {}                         -- the choices in index order
  for i, index in ipairs(indices) do
    local choice, text = build_choice(self._choices[index])
    built[i] = choice
    res.choices[index + 1] = choice
    if i == 1 then
      local m = choice.message
      res.message = m
      res.text = text
      res.reasoning = m.reasoning
      res.reasoning_details = m.reasoning_details
      res.tool_calls = m.tool_calls
      res.refusal = m.refusal
      res.annotations = m.annotations
      res.images = m.images
      res.finish_reason = choice.finish_reason
      res.native_finish_reason = choice.native_finish_reason
    end
  end
  if cut then
    res.incomplete = true
    flag_cut_calls(built)
  end
  return res
end

return M
