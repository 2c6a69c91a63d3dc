-- wrk script: POST the file named by WRK_BODY on every request, and at the
-- end print one line "PAYHOOK_WRK {json}" with the counts drive.py reads.
--
--   WRK_BODY=body.json wrk -t1 -c16 -d3s -s bench/nginx/wrk_post.lua URL
--
-- No response() callback: with one, wrk hands every response's headers and
-- body to Lua, which slows the client down. wrk counts answers with a
-- status of 400 or more itself (summary.errors.status); the handlers never
-- answer 1xx or 3xx, so that count is the non-2xx count.

local path = assert(os.getenv("WRK_BODY"), "WRK_BODY is not set")
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
    local e = summary.errors
    io.write(("PAYHOOK_WRK {\"requests\":%d,\"duration_us\":%d,"
              .. "\"bytes\":%d,\"non2xx\":%d,\"connect_errors\":%d,"
              .. "\"read_errors\":%d,\"write_errors\":%d,\"timeouts\":%d,"
              .. "\"latency_p50_us\":%d,\"latency_p99_us\":%d,"
              .. "\"latency_max_us\":%d}\n"):format(
        summary.requests, summary.duration, summary.bytes, e.status,
        e.connect, e.read, e.write, e.timeout, latency:percentile(50),
        latency:percentile(99), latency.max))
end
