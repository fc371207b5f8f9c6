-- wrk script for bench/tracking.py: GET /api/v1/track/<no>/?id_suffix=XXXX
--
--   wrk -t2 -c50 -d30s -s bench/tracking.lua http://127.0.0.1:PORT -- PAIRS MODE THREADS
--
-- PAIRS is a file of "tracking_no id_suffix" lines. MODE "random": every request picks a
-- random line (cases come back); MODE "distinct": wrk thread i walks lines i, i+T, i+2T...
-- so no case is asked for twice (every request a cache miss) until the file runs out,
-- then it starts again and counts a wrap. done() prints one JSON line with wrk's exact
-- percentiles (microseconds, from its latency histogram), measured at the client.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   paths = {}
   for line in io.lines(args[1]) do
      local number, suffix = line:match("^(%S+)%s+(%S+)$")
      if number then
         paths[#paths + 1] = "/api/v1/track/" .. number .. "/?id_suffix=" .. suffix
      end
   end
   if #paths == 0 then
      error("no (tracking number, suffix) pairs in " .. args[1])
   end
   distinct = args[2] == "distinct"
   step = tonumber(args[3] or "1")
   position = id + 1 - step
   wraps = 0
   math.randomseed(os.time() * 1000 + id * 7919)
end

function request()
   local path
   if distinct then
      position = position + step
      if position > #paths then
         wraps = wraps + 1
         position = id + 1
      end
      path = paths[position]
   else
      path = paths[math.random(#paths)]
   end
   return wrk.format("GET", path)
end

function done(summary, latency, requests)
   local wrapped = 0
   for _, thread in ipairs(threads) do
      wrapped = wrapped + (thread:get("wraps") or 0)
   end
   local errors = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "bytes": %d, "non_2xx": %d, ' ..
      '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
      '"mean_us": %.1f, "wraps": %d}\n',
      summary.requests, summary.duration, summary.bytes, errors.status,
      errors.connect, errors.read, errors.write, errors.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(95),
      latency:percentile(99), latency.max, latency.mean, wrapped))
end
