-- openrouter.retry: when to send a failed request again, and after how long.
-- Only failures before any chunk reached the caller are retried, and only
-- the retryable kinds; the server's requested wait is honoured up to a
-- minute (a longer one, e.g. a daily cap, is returned to the caller).

local M = {}

-- Back-off: 0.5 s doubling, capped at 8 s, with "equal jitter" so that
-- many clients failing together do not retry together.
M.FIRST_BACKOFF = 0.5
M.MAX_BACKOFF = 8
M.MAX_SERVER_WAIT = 60

-- The one place that decides whether a failed call is sent again.
-- call: { retries = max retries, attempt = retries used so far }.
-- Returns the seconds to wait before the next attempt (and counts it), or
-- nil when err must go to the caller.  (An error after chunks reached the
-- caller is never retryable: errors.new makes sure of it.)
function M.wait(call, err)
  if not err.retryable or call.attempt >= call.retries then return nil end
  local wait = err.retry_after
  if wait then
    if wait > M.MAX_SERVER_WAIT then return nil end
  else
    local base = math.min(M.MAX_BACKOFF, M.FIRST_BACKOFF * 2 ^ call.attempt)
    wait = base / 2 + math.random() * base / 2
  end
  call.attempt = call.attempt + 1
  return wait
end

return M
