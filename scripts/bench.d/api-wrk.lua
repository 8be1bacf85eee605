-- wrk script for scripts/bench api: each request is one line of the targets file
-- ("TOKEN PATH"), taken in turn, each thread starting at its own place, so the requests are
-- spread over many people and departments as real use would be. At the end prints one line,
--   api-wrk {"requests": n, "seconds": s, "non2xx": n, "errors": n, "p50_us": ..., ...}
-- for scripts/bench.d/api.sh to read.
--
--   wrk -s api-wrk.lua URL -- TARGETS-FILE
--
-- A line "TOKEN PATH METHOD ETAG" is a write (completing a task, with If-Match ETAG): such
-- lines are split between the threads and each is sent once, while the file lasts.

local targets = {}
local next_index = 1
local threads = {}
local counter = 0
local writes = false
local stride = 1

-- setup runs in the main state once per thread: gives each its own starting place.
function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  thread:set("threads_total", 2) -- scripts/bench.d/api.sh runs wrk -t 2
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open the targets file")
  for line in file:lines() do
    local token, path, method, etag = line:match("^(%S+)%s+(%S+)%s+(%S+)%s+(%S+)$")
    if token then -- a write: each line once, split between the threads (below)
      writes = true
      targets[#targets + 1] = wrk.format(method, path, {
        ["Authorization"] = "Bearer " .. token,
        ["Accept"] = "application/json",
        ["Content-Type"] = "application/json",
        ["If-Match"] = etag,
      }, '{"outcome": {"resultat": "ok"}, "note": null}')
    else
      token, path = line:match("^(%S+)%s+(%S+)$")
      if token then
        targets[#targets + 1] = wrk.format("GET", path, {
          ["Authorization"] = "Bearer " .. token,
          ["Accept"] = "application/json",
        })
      end
    end
  end
  file:close()
  assert(#targets > 0, "the targets file has no lines")
  local n = thread_number or 1
  if writes then
    -- thread n takes lines n, n + threads, ...: no two requests complete the same task
    next_index = n
    stride = threads_total or 2
  else
    next_index = 1 + ((n - 1) * 7919) % #targets
  end
end

function request()
  local r = targets[next_index]
  if writes then
    next_index = next_index + stride
    if next_index > #targets then next_index = (next_index - 1) % stride + 1 end
  else
    next_index = next_index % #targets + 1
  end
  return r
end

-- The first few answers that are not 2xx, for the log (scripts/bench.d/api.sh shows them).
local shown = 0
function response(status, headers, body)
  if status >= 300 and shown < 3 then
    shown = shown + 1
    io.write("api-wrk-answer ", status, " ", (body or ""):sub(1, 300):gsub("\n", " "), "\n")
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'api-wrk {"requests": %d, "seconds": %.3f, "non2xx": %d, "errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.0f}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
