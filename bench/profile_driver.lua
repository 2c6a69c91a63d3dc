-- N decodes of one kind, for bench/profile.sh to run under callgrind.
--
--   luajit bench/profile_driver.lua INPUTS_DIR leanx|superpay SIZE_INDEX N [oneoff]
--
-- SIZE_INDEX: 1 = 1.2 KB, 2 = 16 KB, 3 = 256 KB. With "oneoff" the module
-- function decode(body, key) is called; otherwise a decoder made once.

local here = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = here .. "/?.lua;" .. package.path

local common = require "lua_common"
local payhook = require "payhook"

local dir, provider = arg[1], arg[2]
local size, n = tonumber(arg[3]), tonumber(arg[4])
local oneoff = arg[5] == "oneoff"
local leanx_key, superpay_key, cases = common.load_inputs(dir)
local key = provider == "leanx" and leanx_key or superpay_key
local body = cases[size][provider .. "_body"]
local module = payhook[provider]

if oneoff then
  local decode = module.decode
  for _ = 1, n do decode(body, key) end
else
  local dec = module.new(key)
  for _ = 1, n do dec:decode(body) end
end
