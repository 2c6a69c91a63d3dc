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

local page = common.page_size()

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

local result = { interpreter = common.interpreter, calls = CALLS,
                 warmup = WARMUP, kinds = {} }
result.rss_start = common.rss_bytes(page)
for _, kind in ipairs(kinds) do
  local name, run = kind[1], kind[2]
  local got = common.measure_rss(run, CALLS, WARMUP, page)
  result.kinds[name] = got
  io.stderr:write(("memory %s: %s: %.2f -> %.2f MiB (%.1f s)\n"):format(
    common.interpreter, name, got.rss_before / 1048576,
    got.rss_after / 1048576, got.seconds))
end
result.rss_end = common.rss_bytes(page)

local f = assert(io.open(out_path, "w"))
f:write(common.cjson.encode(result))
f:close()
