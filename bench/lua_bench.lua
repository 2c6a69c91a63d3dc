-- Per-call cost of payhook's Lua binding next to the lua-cjson + luaossl
-- composition, under whichever interpreter runs this file (lua5.4, luajit).
--
--   lua5.4 bench/lua_bench.lua INPUTS_DIR OUT.json [ROUNDS] [BATCH_MS]
--
-- package.path / package.cpath must find payhook (run.sh sets LUA_PATH and
-- LUA_CPATH to bindings/lua and build/<lua54|luajit>).
--
-- Method, as in python_bench.py: every implementation is first checked to
-- return the same value as cjson.decode(payload); then, per size, rounds of
-- one batch per case (case order shuffled each round: lua_common.lua
-- says why), batches sized to about BATCH_MS; the median of the per-call
-- times over rounds is kept.
-- The floors "table constructor (...)" build the payload's tables from
-- compiled constructors (lua_common.table_constructor), checked like the
-- decoders.  The clock is os.clock() (process CPU time, clock_gettime underneath,
-- 1 microsecond steps), so batches of milliseconds resolve far below 1 us
-- per call and time stolen by other processes on the shared cores is not
-- counted.

local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/?.lua;" .. package.path

local common = require "lua_common"
local payhook = require "payhook"
local cjson = common.cjson

local inputs_dir = assert(arg[1], "usage: lua_bench.lua INPUTS_DIR OUT.json")
local out_path = assert(arg[2], "usage: lua_bench.lua INPUTS_DIR OUT.json")
local ROUNDS = tonumber(arg[3] or "") or 61
local BATCH_MS = tonumber(arg[4] or "") or 2

local clock = os.clock
local leanx_key, superpay_key, cases = common.load_inputs(inputs_dir)

local nulls = { [cjson.null] = true }
if payhook.null ~= nil then nulls[payhook.null] = true end

local function batch_seconds(fn, body, n)
  local t0 = clock()
  for _ = 1, n do fn(body) end
  return clock() - t0
end

local quantile = common.quantile

local function cases_for(case)
  local list = {}
  local function add(group, name, fn, body, want)
    list[#list + 1] = { group = group, name = name, fn = fn, body = body,
                        want = want }
  end
  local lp = cjson.decode(case.leanx_payload)
  local sp = cjson.decode(case.superpay_plaintext)
  local ldec = payhook.leanx.new(leanx_key)
  local sdec = payhook.superpay.new(superpay_key)
  local lbody, sbody = case.leanx_body, case.superpay_body
  add("leanx", "payhook.leanx.decode",
      function(b) return payhook.leanx.decode(b, leanx_key) end, lbody, lp)
  add("leanx", "payhook.leanx.new(key):decode",
      function(b) return ldec:decode(b) end, lbody, lp)
  add("leanx", "lua-cjson + luaossl hmac + Lua base64url",
      common.make_peer_leanx(leanx_key), lbody, lp)
  add("superpay", "payhook.superpay.decode",
      function(b) return payhook.superpay.decode(b, superpay_key) end,
      sbody, sp)
  add("superpay", "payhook.superpay.new(key):decode",
      function(b) return sdec:decode(b) end, sbody, sp)
  add("superpay", "lua-cjson + luaossl cipher + Lua hex",
      common.make_peer_superpay(superpay_key), sbody, sp)
  add("floor", "cjson.decode(LeanX payload)", cjson.decode,
      case.leanx_payload)
  add("floor", "cjson.decode(SuperPay plaintext)", cjson.decode,
      case.superpay_plaintext)
  -- The same tables built by compiled constructors, no parsing: the
  -- building floor of "Where the time goes".
  add("floor", "table constructor (LeanX payload)",
      common.table_constructor(lp, cjson.null), nil, lp)
  add("floor", "table constructor (SuperPay plaintext)",
      common.table_constructor(sp, cjson.null), nil, sp)
  local hmac_new = require("openssl.hmac").new
  add("floor", "luaossl hmac sha256(signing input)",
      function(m) return hmac_new(leanx_key, "sha256"):final(m) end,
      case.leanx_signing_input)
  return list
end

local function run_size(case)
  local list = cases_for(case)
  for _, c in ipairs(list) do
    if c.want ~= nil then
      local ok, got, err = pcall(c.fn, c.body)
      if not ok or got == nil then
        error(("%s at %s failed: %s"):format(c.name, case.size,
                                             tostring(ok and err or got)))
      end
      if not common.same(got, c.want, nulls) then
        error(("%s at %s: result differs from cjson.decode(payload)")
              :format(c.name, case.size))
      end
    end
  end
  common.interleaved_rounds(list, ROUNDS, BATCH_MS / 1000, function(c, n)
    return batch_seconds(c.fn, c.body, n)
  end)
  local result = {}
  for _, c in ipairs(list) do
    local by_round = {}
    for i, v in ipairs(c.samples) do by_round[i] = v * 1e6 end
    c.by_round = by_round
    table.sort(c.samples)
    result[c.group] = result[c.group] or {}
    result[c.group][c.name] = {
      median_us = quantile(c.samples, 0.5) * 1e6,
      p25_us = quantile(c.samples, 0.25) * 1e6,
      p75_us = quantile(c.samples, 0.75) * 1e6,
      min_us = c.samples[1] * 1e6,
      rounds = ROUNDS,
      calls_per_batch = c.n,
      rounds_us = c.by_round,     -- per round, in round order
    }
  end
  return result
end

local result = {
  interpreter = common.interpreter,
  clock = "os.clock (process CPU time)",
  rounds = ROUNDS,
  batch_ms = BATCH_MS,
  sizes = {},
}
local t_all = clock()
for _, case in ipairs(cases) do
  local t0 = clock()
  result.sizes[case.size] = run_size(case)
  io.stderr:write(("lua (%s): %s done in %.1f s (CPU)\n")
                  :format(common.interpreter, case.size, clock() - t0))
end
result.cpu_seconds = clock() - t_all

local f = assert(io.open(out_path, "w"))
f:write(cjson.encode(result))
f:close()
