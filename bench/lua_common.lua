-- Shared by bench/lua_bench.lua, bench/lua_memory.lua and
-- bench/lua_gateways_bench.lua: inputs, the peer composition (lua-cjson +
-- luaossl + base64url/hex in Lua), the pieces a hand-written gateway
-- check needs (base64 in either alphabet, hex, a constant-time compare),
-- and a structural comparison of decoded values.
--
-- Runs unchanged under Lua 5.4 and LuaJIT; the base64 decoders and the
-- compare are compiled for each from source text, with native integer
-- operators in 5.4 and the bit library in LuaJIT, as a user of either
-- would write them.

local M = {}

local cjson = require "cjson"
local hmac = require "openssl.hmac"
local cipher = require "openssl.cipher"
local digest = require "openssl.digest"

M.cjson = cjson
M.is_luajit = type(jit) == "table"
M.interpreter = M.is_luajit and jit.version or _VERSION

function M.read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- The manifest and bodies written by `python3 bench/inputs.py DIR`.
function M.load_inputs(dir)
  local manifest = cjson.decode(M.read_file(dir .. "/manifest.json"))
  local cases = {}
  for i, entry in ipairs(manifest.cases) do
    local case = { size = entry.size }
    for _, name in ipairs { "leanx_payload", "leanx_signing_input",
                            "leanx_body", "leanx_bad_body",
                            "superpay_plaintext", "superpay_body",
                            "superpay_bad_body" } do
      case[name] = M.read_file(dir .. "/" .. entry[name])
    end
    cases[i] = case
  end
  return manifest.leanx_key, manifest.superpay_key, cases
end

-- Base64url (no padding) to bytes: 6-bit values from a byte table, two
-- quads (8 characters -> 6 bytes) per step, the tail quad by itself.
local B64_BODY = [[
local byte, char, concat = string.byte, string.char, table.concat
local V = {}
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
for i = 1, 64 do V[byte(alphabet, i)] = i - 1 end
return function(s)
  local n = #s
  local rem = n % 4
  if rem == 1 then return nil end
  local out, k = {}, 0
  local i = 1
  local whole8 = n - n % 8
  while i <= whole8 do
    local a, b, c, d, e, f, g, h = byte(s, i, i + 7)
    a, b, c, d, e, f, g, h = V[a], V[b], V[c], V[d], V[e], V[f], V[g], V[h]
    if not (a and b and c and d and e and f and g and h) then return nil end
    local x = OR(SHL(a, 18), SHL(b, 12), SHL(c, 6), d)
    local y = OR(SHL(e, 18), SHL(f, 12), SHL(g, 6), h)
    k = k + 1
    out[k] = char(SHR(x, 16), AND(SHR(x, 8), 255), AND(x, 255),
                  SHR(y, 16), AND(SHR(y, 8), 255), AND(y, 255))
    i = i + 8
  end
  local left = n - i + 1
  if left >= 4 then
    local a, b, c, d = byte(s, i, i + 3)
    a, b, c, d = V[a], V[b], V[c], V[d]
    if not (a and b and c and d) then return nil end
    local x = OR(SHL(a, 18), SHL(b, 12), SHL(c, 6), d)
    k = k + 1
    out[k] = char(SHR(x, 16), AND(SHR(x, 8), 255), AND(x, 255))
    i = i + 4
    left = left - 4
  end
  if left == 2 then
    local a, b = byte(s, i, i + 1)
    a, b = V[a], V[b]
    if not (a and b) then return nil end
    k = k + 1
    out[k] = char(OR(SHL(a, 2), SHR(b, 4)))
  elseif left == 3 then
    local a, b, c = byte(s, i, i + 2)
    a, b, c = V[a], V[b], V[c]
    if not (a and b and c) then return nil end
    local x = OR(SHL(a, 10), SHL(b, 4), SHR(c, 2))
    k = k + 1
    out[k] = char(SHR(x, 8), AND(x, 255))
  end
  return concat(out)
end
]]

local URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

-- The decoder above for `alphabet` (64 characters; the url one if nil).
local function compile_b64(alphabet)
  local body = B64_BODY
  if alphabet ~= nil and alphabet ~= URL_ALPHABET then
    assert(#alphabet == 64 and not alphabet:find("[%%\"\\]"))
    body = body:gsub('local alphabet = "[^"]*"',
                     function() return ('local alphabet = "%s"'):format(alphabet) end)
    assert(body ~= B64_BODY, "base64 alphabet rewrite failed")
  end
  local src
  if M.is_luajit then
    src = "local bit = require 'bit'\n" ..
          "local OR, AND, SHL, SHR = bit.bor, bit.band, bit.lshift, bit.rshift\n" ..
          body
  else
    -- Lua 5.4 operators, spelled out in the text so LuaJIT never parses them.
    src = body
      :gsub("OR%(SHL%(a, 18%), SHL%(b, 12%), SHL%(c, 6%), d%)",
            "a << 18 | b << 12 | c << 6 | d")
      :gsub("OR%(SHL%(e, 18%), SHL%(f, 12%), SHL%(g, 6%), h%)",
            "e << 18 | f << 12 | g << 6 | h")
      :gsub("OR%(SHL%(a, 10%), SHL%(b, 4%), SHR%(c, 2%)%)",
            "a << 10 | b << 4 | c >> 2")
      :gsub("OR%(SHL%(a, 2%), SHR%(b, 4%)%)", "a << 2 | b >> 4")
      :gsub("AND%(SHR%((%a), 8%), 255%)", "%1 >> 8 & 255")
      :gsub("AND%((%a), 255%)", "%1 & 255")
      :gsub("SHR%((%a), 16%)", "%1 >> 16")
      :gsub("SHR%((%a), 8%)", "%1 >> 8")
    assert(not src:find("OR%(") and not src:find("SH[LR]%(") and
           not src:find("AND%("), "base64url source rewrite incomplete")
  end
  return assert(load(src, "=b64url"))()
end

M.b64url_decode = compile_b64()

-- Standard base64 with its padding (RFC 4648 section 4) to bytes: the
-- length a multiple of 4, at most two '=' at the end.
do
  local raw = compile_b64(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
  local byte, sub = string.byte, string.sub
  local EQ = byte("=")
  function M.b64_decode(s)
    local n = #s
    if n % 4 ~= 0 then return nil end
    if byte(s, n) == EQ then
      n = n - 1
      if byte(s, n) == EQ then n = n - 1 end
    end
    return raw(sub(s, 1, n))
  end
end

-- Two strings equal, in a time that depends on their length only (the
-- XOR of every byte pair ORed together); false for a non-string.
local CT_BODY = [[
local byte, type = string.byte, type
return function(a, b)
  if type(a) ~= "string" or type(b) ~= "string" or #a ~= #b then
    return false
  end
  local acc = 0
  for i = 1, #a do
    acc = OR(acc, XOR(byte(a, i), byte(b, i)))
  end
  return acc == 0
end
]]

do
  local src
  if M.is_luajit then
    src = "local bit = require 'bit'\nlocal OR, XOR = bit.bor, bit.bxor\n" ..
          CT_BODY
  else
    src = CT_BODY:gsub("OR%(acc, XOR%(byte%(a, i%), byte%(b, i%)%)%)",
                       "acc | (byte(a, i) ~ byte(b, i))")
    assert(not src:find("OR%("), "constant-time compare rewrite incomplete")
  end
  M.ct_equal = assert(load(src, "=ct_equal"))()
end

-- Bytes to lower-case hex, from a table of the 256 byte values' digits.
do
  local byte, concat = string.byte, table.concat
  local HEX = {}
  for i = 0, 255 do HEX[i] = ("%02x"):format(i) end
  function M.hex_encode(s)
    local out = { byte(s, 1, -1) }
    for i = 1, #out do out[i] = HEX[out[i]] end
    return concat(out)
  end
end

-- Hex (either case) to bytes: nibble values from a byte table, 16 digits
-- (8 bytes) per step, then pair by pair.
do
  local byte, char, concat = string.byte, string.char, table.concat
  local N = {}
  local digits = "0123456789abcdef"
  for i = 1, 16 do
    N[byte(digits, i)] = i - 1
    N[byte(digits:upper(), i)] = i - 1
  end
  function M.hex_decode(s)
    local n = #s
    if n % 2 ~= 0 then return nil end
    local out, k = {}, 0
    local i = 1
    local whole = n - n % 16
    while i <= whole do
      local a, b, c, d, e, f, g, h, p, q, r, t, u, v, w, x = byte(s, i, i + 15)
      a, b, c, d, e, f, g, h = N[a], N[b], N[c], N[d], N[e], N[f], N[g], N[h]
      p, q, r, t, u, v, w, x = N[p], N[q], N[r], N[t], N[u], N[v], N[w], N[x]
      if not (a and b and c and d and e and f and g and h and
              p and q and r and t and u and v and w and x) then
        return nil
      end
      k = k + 1
      out[k] = char(a * 16 + b, c * 16 + d, e * 16 + f, g * 16 + h,
                    p * 16 + q, r * 16 + t, u * 16 + v, w * 16 + x)
      i = i + 16
    end
    while i < n do
      local a, b = byte(s, i, i + 1)
      a, b = N[a], N[b]
      if not (a and b) then return nil end
      k = k + 1
      out[k] = char(a * 16 + b)
      i = i + 2
    end
    return concat(out)
  end
end

-- The LeanX job as a Lua user composes it: envelope JSON, split the token,
-- check the header's alg, HMAC-SHA256 of the signing input with luaossl,
-- compare with the base64url-decoded signature, decode the payload.
function M.make_peer_leanx(key)
  local decode, b64 = cjson.decode, M.b64url_decode
  local find, sub = string.find, string.sub
  local hmac_new = hmac.new
  return function(body)
    local env = decode(body)
    local tok = type(env) == "table" and env.data
    if type(tok) ~= "string" then return nil, "no token" end
    local d1 = find(tok, ".", 1, true)
    local d2 = d1 and find(tok, ".", d1 + 1, true)
    if not d2 then return nil, "malformed token" end
    local hjson = b64(sub(tok, 1, d1 - 1))
    local header = hjson and decode(hjson)
    if type(header) ~= "table" or header.alg ~= "HS256" then
      return nil, "bad header"
    end
    local sig = b64(sub(tok, d2 + 1))
    local mac = hmac_new(key, "sha256"):final(sub(tok, 1, d2 - 1))
    if sig ~= mac then return nil, "bad signature" end
    local pjson = b64(sub(tok, d1 + 1, d2 - 1))
    local payload = pjson and decode(pjson)
    if type(payload) ~= "table" then return nil, "payload not an object" end
    return payload
  end
end

-- The SuperPay job: envelope JSON, hex to bytes in Lua, AES-256-CBC with
-- PKCS#7 in luaossl (IV = MD5(key), computed once), decode the plaintext.
function M.make_peer_superpay(key)
  local decode, hex = cjson.decode, M.hex_decode
  local cipher_new = cipher.new
  local iv = digest.new("md5"):final(key)
  return function(body)
    local env = decode(body)
    local h = type(env) == "table" and env.encryptedData
    if type(h) ~= "string" then return nil, "no encryptedData" end
    local ct = hex(h)
    if not ct then return nil, "bad hex" end
    local pt = cipher_new("aes-256-cbc"):decrypt(key, iv):final(ct)
    if not pt then return nil, "decryption failed" end
    local ok, payload = pcall(decode, pt)
    if not ok or type(payload) ~= "table" then
      return nil, "decryption failed"
    end
    return payload
  end
end

-- The least any decoder returning these tables can cost: Lua source that
-- builds `value` (a cjson.decode result) with plain table constructors,
-- compiled once; calling the returned function builds the same tables,
-- strings and numbers again with no parsing at all.  JSON null cannot be
-- written in source, so it is the upvalue `null` (pass cjson.null or
-- payhook.null).  Integral numbers are written as integers (Lua 5.4 then
-- builds integers, as payhook does), others with 17 digits (exact).
local function constructor_source(v, out)
  local t = type(v)
  if t == "table" then
    local n = #v
    local count = 0
    for _ in pairs(v) do count = count + 1 end
    out[#out + 1] = "{"
    if n > 0 and n == count then
      for i = 1, n do
        constructor_source(v[i], out)
        out[#out + 1] = ","
      end
    else
      for k, item in pairs(v) do
        out[#out + 1] = ("[%q]="):format(k)
        constructor_source(item, out)
        out[#out + 1] = ","
      end
    end
    out[#out + 1] = "}"
  elseif t == "string" then
    out[#out + 1] = ("%q"):format(v)
  elseif t == "number" then
    if v == math.floor(v) and math.abs(v) < 2 ^ 53 then
      out[#out + 1] = ("%d"):format(v)
    else
      out[#out + 1] = ("%.17g"):format(v)
    end
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  else
    out[#out + 1] = "null"
  end
end

function M.table_constructor(value, null)
  local out = { "local null = ...\nreturn function() return " }
  constructor_source(value, out)
  out[#out + 1] = " end\n"
  return assert(load(table.concat(out), "=table constructor"))(null)
end

-- Structural equality: tables by keys and values, numbers by value (1 and
-- 1.0 are equal; cjson in 5.4 gives floats), every null sentinel equal.
function M.same(a, b, nulls)
  if nulls[a] and nulls[b] then return true end
  local ta, tb = type(a), type(b)
  if ta ~= tb then return false end
  if ta ~= "table" then return a == b end
  for k, v in pairs(a) do
    if not M.same(v, b[k], nulls) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

-- Resident set size in bytes from /proc/self/statm, and the page size.
-- The page size statm counts in (getconf; 4096 if it cannot say).
function M.page_size()
  local page = 4096
  local p = io.popen("getconf PAGESIZE")
  if p then
    page = tonumber(p:read("l") or "") or page
    p:close()
  end
  return page
end

function M.rss_bytes(page)
  local f = assert(io.open("/proc/self/statm", "r"))
  local _, resident = f:read("n", "n")
  f:close()
  return resident * page
end

local function settle()
  collectgarbage("collect")
  collectgarbage("collect")
end

-- RSS (and the Lua heap) around run(calls) after run(warmup), both after a
-- full collection, with the RSS at each quarter: a leak grows with the
-- calls, a one-off allocator step does not (delta_second_half tells them
-- apart).
function M.measure_rss(run, calls, warmup, page)
  run(warmup)
  settle()
  local before = M.rss_bytes(page)
  local heap_before = collectgarbage("count") * 1024
  local quarters = {}
  local t0 = os.clock()
  for q = 1, 4 do
    run(math.floor(calls / 4))
    quarters[q] = M.rss_bytes(page)
  end
  local seconds = os.clock() - t0
  settle()
  local after = M.rss_bytes(page)
  return {
    rss_before = before, rss_after = after, delta = after - before,
    rss_quarters = quarters, delta_second_half = quarters[4] - quarters[2],
    lua_heap_before = heap_before,
    lua_heap_after = collectgarbage("count") * 1024, seconds = seconds,
  }
end

-- How many calls make a batch of about `target` seconds: `seconds(n)`
-- times n calls, and is tried at 1, 4, 16, ... calls until a batch takes
-- an eighth of the target (or 2^20 calls).
function M.calibrate(seconds, target)
  local n = 1
  while true do
    local t = seconds(n)
    if t >= target / 8 or n >= 2 ^ 20 then
      return math.max(1, math.floor(n * target / math.max(t, 1e-6)))
    end
    n = n * 4
  end
end

-- The q-quantile of sorted samples, interpolated between neighbours.
function M.quantile(sorted, q)
  local pos = (#sorted - 1) * q + 1
  local lo = math.floor(pos)
  local hi = math.min(lo + 1, #sorted)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
end

-- The bench's timing method, shared by lua_bench and lua_gateways_bench:
-- for each case c of `list`, a batch size c.n of about `target` seconds
-- (calibrated, one warm-up batch, calibrated again), then `rounds` rounds
-- of one batch of every case, in an order shuffled afresh each round.
-- `batch(c, n)` runs n calls of c and gives the seconds they took;
-- c.samples gets the seconds per call of each round, in round order.
--
-- Shuffled, not rotated: a batch also pays for the collector's debt that
-- the batch before it left (a garbage collector runs when allocation
-- asks, not when the allocating code ends), and rotating an order keeps
-- every case behind the same neighbour round after round, so one case
-- paid for its neighbour's garbage in every round and its median with it
-- (Lua 5.4, Standard Webhooks at 16 KB: 2.5x Stripe's time on the same
-- body). With a new neighbour each round that debt falls on different
-- cases and the median steps over it. The shuffle is seeded, so a run's
-- order can be repeated.
local function shuffled(k, state)
  local order = {}
  for i = 1, k do order[i] = i end
  for i = k, 2, -1 do
    -- Park and Miller's generator: exact in a double and in an integer.
    state = state * 16807 % 2147483647
    local j = state % i + 1
    order[i], order[j] = order[j], order[i]
  end
  return order, state
end

function M.interleaved_rounds(list, rounds, target, batch)
  for _, c in ipairs(list) do
    local function seconds(n) return batch(c, n) end
    batch(c, M.calibrate(seconds, target))
    c.n = M.calibrate(seconds, target)
    c.samples = {}
  end
  local state = 20261207
  for _ = 1, rounds do
    local order
    order, state = shuffled(#list, state)
    for _, i in ipairs(order) do
      local c = list[i]
      c.samples[#c.samples + 1] = batch(c, c.n) / c.n
    end
  end
end

return M
