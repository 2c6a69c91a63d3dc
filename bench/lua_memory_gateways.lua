-- RSS over N (default 1,000,000) verifications per gateway, genuine and
-- forged, for every gateway: the Lua side of bench/memory_gateways.py.
--
--   luajit bench/lua_memory_gateways.lua OUT.json [N [GATEWAY,...]]
--
-- Inputs come from the shared vectors (tests/vectors/<gateway>.json): the
-- first genuine callback, and a forged one under the same key (refused
-- with InvalidSignatureError, DecryptionError for SuperPay). One prepared
-- decoder per gateway, as an OpenResty worker holds them. RSS is read from
-- /proc/self/statm after a full collection, at each quarter of the N calls
-- and after them.

local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/?.lua;" .. package.path

local common = require "lua_common"
local payhook = require "payhook"
local core = require "payhook.core"
local cjson = common.cjson

local out_path = assert(arg[1],
  "usage: lua_memory_gateways.lua OUT.json [N [GATEWAY,...]]")
local CALLS = tonumber(arg[2] or "") or 1000000
local only = arg[3]
local WARMUP = 20000
local vectors_dir = here .. "/../tests/vectors"

local FORGED = { superpay = "DecryptionError" }

local page = common.page_size()

local function body_of(input)
  if input.body then return input.body end
  if input.body_hex then
    return (input.body_hex:gsub("..", function(h)
      return string.char(tonumber(h, 16))
    end))
  end
  return input.token
end

local function key_of(input)
  if input.key then return input.key end
  if input.key_hex then return body_of({ body_hex = input.key_hex }) end
  return input.keys
end

local function is_error(v, kind)
  local e = v.expect.error
  if type(e) == "table" then e = e.kind or e.class or e.name end
  if kind == nil then return e ~= nil end
  return e == kind
end

-- (genuine call, forged call) for one gateway, both through one prepared
-- decoder; a call returns the result, or nil plus the error's kind.
local function calls_for(name)
  local file = common.read_file(("%s/%s.json"):format(vectors_dir, name))
  local vectors = cjson.decode(file).vectors
  local good, bad
  for _, v in ipairs(vectors) do
    if not is_error(v) and v.expect.payload ~= nil and v.input.query == nil
        and type(v.input.key) == "string" then
      good = v
      break
    end
  end
  assert(good, name .. ": no genuine vector")
  local key = key_of(good.input)
  local forged = FORGED[name] or "InvalidSignatureError"
  for _, v in ipairs(vectors) do
    if is_error(v, forged) and key_of(v.input) == key
        and v.input.query == nil then
      bad = v
      break
    end
  end
  assert(bad, name .. ": no forged vector under the genuine one's key")
  local prep = {}
  for k, v in pairs(good.input.options or {}) do
    if k ~= "now" and k ~= "algorithms" then prep[k] = v end
  end
  local dec = assert(core.gateway_new(name, key, prep))
  local function call(v)
    local body = body_of(v.input)
    local headers = {}
    for _, h in ipairs(v.input.headers or {}) do headers[h[1]] = h[2] end
    local now = (v.input.options or {}).now
    return function() return dec:verify(body, headers, now) end
  end
  return call(good), call(bad), forged
end

local function good_loop(fn)
  return function(n)
    for _ = 1, n do
      if fn() == nil then error("a genuine callback was refused") end
    end
  end
end

local function bad_loop(fn, forged)
  return function(n)
    for _ = 1, n do
      local r, _, kind = fn()
      if r ~= nil or kind ~= forged then
        error("a forged callback was not refused as " .. forged)
      end
    end
  end
end

local result = { interpreter = common.interpreter, calls = CALLS,
                 warmup = WARMUP, kinds = {} }
for _, g in ipairs(payhook.gateways) do
  local name = g.name
  if only == nil or ("," .. only .. ","):find("," .. name .. ",", 1, true) then
    local good, bad, forged = calls_for(name)
    for _, kind in ipairs({ { "genuine", good_loop(good) },
                            { "forged", bad_loop(bad, forged) } }) do
      local label = name .. " " .. kind[1]
      local got = common.measure_rss(kind[2], CALLS, WARMUP, page)
      result.kinds[label] = got
      io.stderr:write(("memory %s: %s: %.2f -> %.2f MiB (%.1f s)\n"):format(
        common.interpreter, label, got.rss_before / 1048576,
        got.rss_after / 1048576, got.seconds))
    end
  end
end

local f = assert(io.open(out_path, "w"))
f:write(cjson.encode(result))
f:close()
