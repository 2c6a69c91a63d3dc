-- RSS before and after N (default 1,000,000) decodes of each kind with the
-- prepared payhook decoders, good and bad inputs; the Lua side of
-- bench/memory_bench.py.
--
--   luajit bench/lua_memory.lua INPUTS_DIR OUT.json [N]
--
-- RSS comes from /proc/self/statm; the Lua heap (collectgarbage "count")
-- is reported too. Both are read after a full collection.

local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/?.lua;" .. package.path

local common = require "lua_common"
local payhook = require "payhook"

local inputs_dir = assert(arg[1], "usage: lua_memory.lua INPUTS_DIR OUT.json [N]")
local out_path = assert(arg[2], "usage: lua_memory.lua INPUTS_DIR OUT.json [N]")
local CALLS = tonumber(arg[3] or "") or 1000000
local WARMUP = 20000

local page = 4096
do
  local p = io.popen("getconf PAGESIZE")
  if p then
    page = tonumber(p:read("l") or "") or page
    p:close()
  end
end

local leanx_key, superpay_key, cases = common.load_inputs(inputs_dir)
local case = cases[1]
local leanx = payhook.leanx.new(leanx_key)
local superpay = payhook.superpay.new(superpay_key)

local function good(dec, body)
  return function(n)
    for _ = 1, n do
      if dec:decode(body) == nil then error("a good input was rejected") end
    end
  end
end

-- Bad inputs: payhook may raise or return nil plus a message; either way
-- the call must not succeed.
local function bad(dec, body)
  local decode = dec.decode
  return function(n)
    for _ = 1, n do
      local ok, value = pcall(decode, dec, body)
      if ok and value ~= nil then error("a bad input was accepted") end
    end
  end
end

local kinds = {
  { "leanx good", good(leanx, case.leanx_body) },
  { "leanx bad signature", bad(leanx, case.leanx_bad_body) },
  { "superpay good", good(superpay, case.superpay_body) },
  { "superpay bad padding", bad(superpay, case.superpay_bad_body) },
}

local function settle()
  collectgarbage("collect")
  collectgarbage("collect")
end

local result = { interpreter = common.interpreter, calls = CALLS,
                 warmup = WARMUP, kinds = {} }
result.rss_start = common.rss_bytes(page)
for _, kind in ipairs(kinds) do
  local name, run = kind[1], kind[2]
  run(WARMUP)
  settle()
  local before = common.rss_bytes(page)
  local heap_before = collectgarbage("count") * 1024
  -- RSS at each quarter: a leak grows with the calls, a one-off allocator
  -- step does not (delta_second_half tells them apart).
  local quarters = {}
  local t0 = os.clock()
  for q = 1, 4 do
    run(math.floor(CALLS / 4))
    quarters[q] = common.rss_bytes(page)
  end
  local seconds = os.clock() - t0
  settle()
  local after = common.rss_bytes(page)
  local heap_after = collectgarbage("count") * 1024
  result.kinds[name] = {
    rss_before = before, rss_after = after, delta = after - before,
    rss_quarters = quarters, delta_second_half = quarters[4] - quarters[2],
    lua_heap_before = heap_before, lua_heap_after = heap_after,
    seconds = seconds,
  }
  io.stderr:write(("memory %s: %s: %.2f -> %.2f MiB (%.1f s)\n"):format(
    common.interpreter, name, before / 1048576, after / 1048576, seconds))
end
result.rss_end = common.rss_bytes(page)

local f = assert(io.open(out_path, "w"))
f:write(common.cjson.encode(result))
f:close()
