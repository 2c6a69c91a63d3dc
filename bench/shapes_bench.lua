-- payhook's prepared LeanX decoder on the payloads of bench/shapes.py,
-- next to the lua-cjson + luaossl composition of lua_bench.lua and to
-- cjson.decode of the payload alone, under whichever interpreter runs it.
--
--   luajit bench/shapes_bench.lua SHAPES_DIR OUT.json [ROUNDS] [BATCH_MS]
--
-- SHAPES_DIR is what `python3 bench/shapes.py SHAPES_DIR` wrote.  Every
-- implementation must return cjson.decode(payload); then every case of
-- every shape is timed in the rounds of lua_common.interleaved_rounds,
-- with a full collection before each batch (below).
-- cjson.decode(payload) alone does less than the others (no envelope, no
-- HMAC, no base64url): it is the floor, and the Lua binding's target is
-- to cost no more than it on the vendors' payloads.

local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/?.lua;" .. package.path

local common = require "lua_common"
local payhook = require "payhook"
local cjson = common.cjson

local dir = assert(arg[1], "usage: shapes_bench.lua SHAPES_DIR OUT.json")
local out_path = assert(arg[2], "usage: shapes_bench.lua SHAPES_DIR OUT.json")
local ROUNDS = tonumber(arg[3] or "") or 61
local BATCH_MS = tonumber(arg[4] or "") or 2

local clock = os.clock
local manifest = cjson.decode(common.read_file(dir .. "/manifest.json"))
local key = manifest.leanx_key
local nulls = { [cjson.null] = true }
if payhook.null ~= nil then nulls[payhook.null] = true end

local decoder = payhook.leanx.new(key)
local composition = common.make_peer_leanx(key)
local list = {}
for _, shape in ipairs(manifest.shapes) do
  local body = common.read_file(dir .. "/" .. shape.body)
  local payload = common.read_file(dir .. "/" .. shape.payload)
  local want = cjson.decode(payload)
  for _, c in ipairs {
    { "payhook.leanx.new(key):decode", function(b) return decoder:decode(b) end,
      body },
    { "lua-cjson + luaossl hmac + Lua base64url", composition, body },
    { "cjson.decode(payload) alone", cjson.decode, payload },
  } do
    local got, err = c[2](c[3])
    if got == nil or not common.same(got, want, nulls) then
      error(("%s on %s: result differs from cjson.decode(payload) (%s)")
            :format(c[1], shape.name, tostring(err)))
    end
    list[#list + 1] = { shape = shape, name = c[1], fn = c[2], input = c[3] }
  end
end

-- A full collection (not timed) before each batch, as shapes_bench.py
-- does: a call makes tens of thousands of tables, and a batch would
-- otherwise pay for the garbage of the one before it.
common.interleaved_rounds(list, ROUNDS, BATCH_MS / 1000, function(c, n)
  local fn, input = c.fn, c.input
  collectgarbage("collect")
  local t0 = clock()
  for _ = 1, n do fn(input) end
  return clock() - t0
end)

local result = { interpreter = common.interpreter, rounds = ROUNDS,
                 clock = "os.clock (process CPU time)", shapes = {} }
local by_shape = {}
for _, c in ipairs(list) do
  local entry = by_shape[c.shape.name]
  if entry == nil then
    entry = { name = c.shape.name, payload_bytes = c.shape.payload_bytes,
              cases = {} }
    by_shape[c.shape.name] = entry
    result.shapes[#result.shapes + 1] = entry
  end
  table.sort(c.samples)
  entry.cases[c.name] = {
    median_us = common.quantile(c.samples, 0.5) * 1e6,
    p25_us = common.quantile(c.samples, 0.25) * 1e6,
    p75_us = common.quantile(c.samples, 0.75) * 1e6,
    calls_per_batch = c.n,
  }
end

local f = assert(io.open(out_path, "w"))
f:write(cjson.encode(result))
f:close()
