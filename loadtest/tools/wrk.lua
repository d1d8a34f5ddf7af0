-- wrk script of the harness (loadtest/tools/wrk.py), parameterised by environment because wrk
-- passes a script no options of its own:
--   WRK_SUMMARY  where done() writes its JSON summary (required)
--   WRK_METHOD   the request method (wrk has no -m), default GET
--   WRK_BODY     one literal body sent with every request
--   WRK_BODIES   a file of bodies, one per line: request n sends line n mod count
-- Headers (Content-Type, Connection: close) come from wrk's -H, which fills wrk.headers.

wrk.method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
if body and body ~= "" then
   wrk.body = body
end

local bodies_path = os.getenv("WRK_BODIES")
local threads = {}

if bodies_path and bodies_path ~= "" then
   local requests, count, index = {}, 0, 0

   -- Each request is formatted once here, so request() only indexes a table: defining it makes
   -- wrk call into Lua for every request, which must stay as cheap as a static request.
   -- sent starts at -1: wrk calls request() once before the run to check it (src/wrk.c).
   function init(args)
      sent = -1
      for line in io.lines(bodies_path) do
         if line ~= "" then
            count = count + 1
            requests[count] = wrk.format(nil, nil, nil, line)
         end
      end
      if count == 0 then
         error("WRK_BODIES " .. bodies_path .. " holds no body")
      end
   end

   function request()
      index = index % count + 1
      sent = sent + 1
      return requests[index]
   end

   -- done() runs in the main Lua state: it reads each thread's `sent` through its handle.
   function setup(thread)
      threads[#threads + 1] = thread
   end
end

-- Requests written but neither answered nor failed when wrk stopped: wrk drops them uncounted.
-- Known only when request() counts what it hands out (the per-request bodies); else null.
local function in_flight(summary)
   if #threads == 0 then
      return "null"
   end
   local sent = 0
   for _, thread in ipairs(threads) do
      sent = sent + (thread:get("sent") or 0)
   end
   local e = summary.errors
   return string.format("%d", math.max(sent - summary.requests - e.read - e.write, 0))
end

local PERCENTILES = { p50 = 50, p90 = 90, p95 = 95, p99 = 99 }

-- wrk's histogram is in microseconds. It is empty (#latency counts its distinct values) when no
-- response arrived in time: responses later than --timeout are counted but not recorded there.
local function latency_ms(latency)
   local out = {}
   if #latency == 0 then
      return '{"p50":null,"p90":null,"p95":null,"p99":null,"max":null,"mean":null}'
   end
   for name, p in pairs(PERCENTILES) do
      out[#out + 1] = string.format('"%s":%.3f', name, latency:percentile(p) / 1000)
   end
   out[#out + 1] = string.format('"max":%.3f', latency.max / 1000)
   out[#out + 1] = string.format('"mean":%.3f', latency.mean / 1000)
   return "{" .. table.concat(out, ",") .. "}"
end

function done(summary, latency, requests)
   local e = summary.errors
   local json = string.format(
      '{"tool":"wrk","duration_us":%d,"requests":%d,"bytes":%d,'
         .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
         .. '"latency_ms":%s,"bodies":%s,"in_flight_at_stop":%s}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency_ms(latency),
      bodies_path and bodies_path ~= "" and "true" or "false", in_flight(summary))
   local path = os.getenv("WRK_SUMMARY")
   local f = assert(io.open(path, "w"))
   f:write(json)
   f:close()
end
