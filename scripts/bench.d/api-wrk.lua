-- wrk script for scripts/bench api: each request is one line of the targets file
-- ("TOKEN PATH"), taken in turn, each thread starting at its own place, so the requests are
-- spread over many people and departments as real use would be. At the end prints one line,
--   api-wrk {"requests": n, "seconds": s, "non2xx": n, "errors": n, "p50_us": ..., ...}
-- for scripts/bench.d/api.sh to read.
--
--   wrk -s api-wrk.lua URL -- TARGETS-FILE

local targets = {}
local next_index = 1
local threads = {}
local counter = 0

-- setup runs in the main state once per thread: gives each its own starting place.
function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open the targets file")
  for line in file:lines() do
    local token, path = line:match("^(%S+)%s+(%S+)$")
    if token then
      targets[#targets + 1] = wrk.format("GET", path, {
        ["Authorization"] = "Bearer " .. token,
        ["Accept"] = "application/json",
      })
    end
  end
  file:close()
  assert(#targets > 0, "the targets file has no lines")
  local n = thread_number or 1
  next_index = 1 + ((n - 1) * 7919) % #targets
end

function request()
  local r = targets[next_index]
  next_index = next_index % #targets + 1
  return r
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
