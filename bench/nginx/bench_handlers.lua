--- The handlers bench/nginx_bench.sh times in a real nginx.
--
-- Each one does a callback endpoint's whole job: read the request body,
-- verify it (all but the floors), decode the payload to a table and answer
-- one field of it (LeanX: output.invoice_no; SuperPay:
-- data.transaction.id) as text, or 401 when the body does not verify.
--
--   static            a fixed answer, the body left unread: nginx + Lua
--   floor_*           the body read and its JSON decoded (the LeanX
--                     envelope, the SuperPay envelope), no crypto; answers
--                     the envelope's response_code / the hex's length
--   resty_jwt_leanx   lua-resty-jwt's jwt:verify(key, token), HS256 only
--   hand_leanx        cjson + ngx.base64's base64url + lua-resty-hmac,
--                     the MACs compared in constant time
--   hand_superpay     cjson + hex decoded in an FFI loop + lua-resty-
--                     string's resty.aes (AES-256-CBC, IV = MD5(key))
--   payhook_*         payhook.leanx.new(key) / payhook.superpay.new(key),
--                     prepared once per worker, :decode(body)
--   helper_*          payhook.openresty.new{...} without a guard, :handle
--
-- (examples/openresty's own handler is served beside these by nginx.conf.)
--
-- What each handler keeps (a decoder, a cipher or HMAC context) is built
-- once per worker in init_worker(). Keys come from LEANX_HASH_KEY and
-- SUPERPAY_SYMMETRIC_KEY (nginx.conf's env lines pass them through). The
-- peers' libraries are optional: when one does not load, the worker logs
-- why, its handlers answer 503 and /info leaves them out of "ready".

local cjson = require "cjson.safe"
local ffi = require "ffi"
local bit = require "bit"
local payhook = require "payhook"
local openresty = require "payhook.openresty"

local ngx = ngx
local decode_json, encode_json = cjson.decode, cjson.encode
local byte, find, sub = string.byte, string.find, string.sub
local bor, bxor = bit.bor, bit.bxor
local type, pcall, tostring, tonumber = type, pcall, tostring, tonumber
local clock = os.clock

local _M = {}

-- name -> function(body) -> the answer, or nil when the body is refused
local jobs = {}
-- name -> true once init_worker() has prepared the job
local ready = {}

-- Set up by init_worker().
local leanx_key
local leanx_decoder, superpay_decoder
local jwt                       -- a lua-resty-jwt object, HS256 only
local b64url                    -- ngx.base64.decode_base64url
local hmac_sha256               -- lua-resty-hmac, keyed once
local aes_cbc                   -- resty.aes, key and IV set once
local helpers = {}

-- The body, from memory (nginx.conf's client_body_buffer_size holds every
-- bench body) or from nginx's temporary file should it ever write one.
local function read_body()
    ngx.req.read_body()
    local body = ngx.req.get_body_data()
    if body then
        return body
    end
    local path = ngx.req.get_body_file()
    if not path then
        return ""
    end
    local f = io.open(path, "rb")
    if not f then
        return nil
    end
    body = f:read("*a")
    f:close()
    return body
end

local function leanx_field(payload)
    local out = type(payload) == "table" and payload.output
    return type(out) == "table" and out.invoice_no or nil
end

local function superpay_field(payload)
    local data = type(payload) == "table" and payload.data
    local tr = type(data) == "table" and data.transaction
    return type(tr) == "table" and tr.id or nil
end

-- The floors ------------------------------------------------------------

function jobs.floor_leanx(body)
    local env = decode_json(body)
    return type(env) == "table" and env.response_code or nil
end

function jobs.floor_superpay(body)
    local env = decode_json(body)
    local hex = type(env) == "table" and env.encryptedData
    return type(hex) == "string" and #hex or nil
end

-- payhook ---------------------------------------------------------------

function jobs.payhook_leanx(body)
    return leanx_field(leanx_decoder:decode(body))
end

function jobs.payhook_superpay(body)
    return superpay_field(superpay_decoder:decode(body))
end

-- What payhook.openresty's helper calls: the gateway decoder's verify,
-- with the headers as ngx.req.get_headers(0, true) gives them, and the
-- result table (payload, event id, reply) it returns. Timed by /time
-- only, to split the helper's cost between this call and its own Lua.
local gateway_decoders = {}

function jobs.verify_leanx(body)
    local result = gateway_decoders.leanx:verify(body,
                                                 ngx.req.get_headers(0, true))
    return result and leanx_field(result.payload)
end

function jobs.verify_superpay(body)
    local result = gateway_decoders.superpay:verify(
        body, ngx.req.get_headers(0, true))
    return result and superpay_field(result.payload)
end

-- lua-resty-jwt ---------------------------------------------------------

function jobs.resty_jwt_leanx(body)
    local env = decode_json(body)
    local token = type(env) == "table" and env.data
    if type(token) ~= "string" then
        return nil
    end
    local res = jwt:verify(leanx_key, token)
    if not res.verified then
        return nil
    end
    return leanx_field(res.payload)
end

-- LeanX by hand ---------------------------------------------------------

-- Equal strings, in a time that depends on their length only.
local function same_bytes(a, b)
    if #a ~= #b then
        return false
    end
    local diff = 0
    for i = 1, #a do
        diff = bor(diff, bxor(byte(a, i), byte(b, i)))
    end
    return diff == 0
end

function jobs.hand_leanx(body)
    local env = decode_json(body)
    local token = type(env) == "table" and env.data
    if type(token) ~= "string" then
        return nil
    end
    local d1 = find(token, ".", 1, true)
    local d2 = d1 and find(token, ".", d1 + 1, true)
    if not d2 or find(token, ".", d2 + 1, true) then
        return nil
    end
    local header = decode_json(b64url(sub(token, 1, d1 - 1)) or "")
    if type(header) ~= "table" or header.alg ~= "HS256" then
        return nil
    end
    -- The context keeps the key; reset() readies it for the next request
    -- (nothing between final and reset can yield to another request).
    local mac = hmac_sha256:final(sub(token, 1, d2 - 1))
    hmac_sha256:reset()
    local sig = b64url(sub(token, d2 + 1))
    if not mac or not sig or not same_bytes(mac, sig) then
        return nil
    end
    local payload = decode_json(b64url(sub(token, d1 + 1, d2 - 1)) or "")
    if type(payload) ~= "table" then
        return nil
    end
    return leanx_field(payload)
end

-- SuperPay by hand ------------------------------------------------------

-- Hex digit -> value, -1 for any other byte.
local NIBBLE = ffi.new("int16_t[256]")
for i = 0, 255 do
    NIBBLE[i] = -1
end
for i = 0, 9 do
    NIBBLE[48 + i] = i
end
for i = 0, 5 do
    NIBBLE[65 + i] = 10 + i
    NIBBLE[97 + i] = 10 + i
end

-- One output buffer per worker, grown when a body needs more.
local hex_out, hex_out_len = nil, 0

local function hex_decode(s)
    local n = #s
    if n % 2 ~= 0 then
        return nil
    end
    local m = n / 2
    if m > hex_out_len then
        hex_out_len = math.max(m, 2 * hex_out_len, 65536)
        hex_out = ffi.new("uint8_t[?]", hex_out_len)
    end
    local src = ffi.cast("const uint8_t *", s)
    local bad = 0
    for j = 0, m - 1 do
        local hi, lo = NIBBLE[src[2 * j]], NIBBLE[src[2 * j + 1]]
        bad = bor(bad, hi, lo)
        hex_out[j] = hi * 16 + lo
    end
    if bad < 0 then
        return nil
    end
    return ffi.string(hex_out, m)
end

function jobs.hand_superpay(body)
    local env = decode_json(body)
    local hex = type(env) == "table" and env.encryptedData
    if type(hex) ~= "string" then
        return nil
    end
    local ct = hex_decode(hex)
    if not ct or #ct == 0 or #ct % 16 ~= 0 then
        return nil
    end
    local pt = aes_cbc:decrypt(ct)
    if not pt then
        return nil
    end
    local payload = decode_json(pt)
    if type(payload) ~= "table" then
        return nil
    end
    return superpay_field(payload)
end

-- Preparing a worker ----------------------------------------------------

local function prepare(name, fn)
    local ok, err = pcall(fn)
    if ok then
        ready[name] = true
    else
        ngx.log(ngx.ERR, "bench: ", name, " is not available: ",
                tostring(err))
    end
end

local function helper(gateway, key, field)
    local cb = assert(openresty.new { gateway = gateway, key = key,
                                      name = gateway })
    local function answer(result)
        return 200, tostring(field(result.payload)) .. "\n"
    end
    return function()
        return cb:handle(answer)
    end
end

function _M.init_worker()
    leanx_key = os.getenv("LEANX_HASH_KEY")
    local superpay_key = os.getenv("SUPERPAY_SYMMETRIC_KEY")
    ready.floor_leanx, ready.floor_superpay = true, true
    prepare("payhook_leanx", function()
        leanx_decoder = assert(payhook.leanx.new(leanx_key))
    end)
    prepare("payhook_superpay", function()
        superpay_decoder = assert(payhook.superpay.new(superpay_key))
    end)
    for gateway, key in pairs { leanx = leanx_key, superpay = superpay_key } do
        prepare("verify_" .. gateway, function()
            gateway_decoders[gateway] = assert(
                require("payhook.core").gateway_new(gateway, key, {}))
        end)
    end
    prepare("helper_leanx", function()
        helpers.leanx = helper("leanx", leanx_key, leanx_field)
    end)
    prepare("helper_superpay", function()
        helpers.superpay = helper("superpay", superpay_key, superpay_field)
    end)
    prepare("resty_jwt_leanx", function()
        jwt = require("resty.jwt").new()
        jwt:set_alg_whitelist { HS256 = true }
    end)
    prepare("hand_leanx", function()
        b64url = require("ngx.base64").decode_base64url
        local hmac = require "resty.hmac"
        hmac_sha256 = assert(hmac:new(leanx_key, hmac.ALGOS.SHA256))
    end)
    prepare("hand_superpay", function()
        local aes = require "resty.aes"
        aes_cbc = assert(aes:new(superpay_key, nil, aes.cipher(256, "cbc"),
                                 { iv = ngx.md5_bin(superpay_key) }))
    end)
end

-- Locations -------------------------------------------------------------

function _M.static()
    ngx.say("ok")
end

local function serve(name)
    local job = jobs[name]
    return function()
        if not ready[name] then
            return ngx.exit(ngx.HTTP_SERVICE_UNAVAILABLE)
        end
        local body = read_body()
        local answer = body and job(body)
        if answer == nil then
            return ngx.exit(ngx.HTTP_UNAUTHORIZED)
        end
        ngx.say(answer)
    end
end

for name in pairs(jobs) do
    if not name:find("^verify_") then
        _M[name] = serve(name)
    end
end

for _, gateway in ipairs { "leanx", "superpay" } do
    _M["helper_" .. gateway] = function()
        local h = helpers[gateway]
        if not h then
            return ngx.exit(ngx.HTTP_SERVICE_UNAVAILABLE)
        end
        return h()
    end
end

--- GET /info: the worker's pid, the versions, the handlers ready.
function _M.info()
    local names = {}
    for name in pairs(ready) do
        names[#names + 1] = name
    end
    table.sort(names)
    ngx.say(encode_json {
        pid = ngx.worker.pid(),
        luajit = jit.version,
        ngx_lua = ngx.config.ngx_lua_version,
        nginx = ngx.config.nginx_version,
        payhook = payhook.version,
        ready = names,
    })
end

--- POST /time?job=NAME&n=N: the job alone, N times on the posted body, in
--- this worker; answers {"us_per_call": ...} (process CPU time). For the
--- profile: the request's cost less this is nginx's and the binding's.
function _M.time()
    local args = ngx.req.get_uri_args()
    local name, n = args.job, tonumber(args.n) or 1000
    local job = type(name) == "string" and jobs[name]
    if not job or not ready[name] then
        return ngx.exit(ngx.HTTP_NOT_FOUND)
    end
    local body = read_body()
    if job(body) == nil then
        return ngx.exit(ngx.HTTP_UNAUTHORIZED)
    end
    local t0 = clock()
    for _ = 1, n do
        job(body)
    end
    ngx.say(encode_json { job = name, n = n,
                          us_per_call = (clock() - t0) / n * 1e6 })
end

return _M
