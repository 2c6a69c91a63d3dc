-- Calls for tests/lua/oom_harness.c: each function makes one payhook call
-- whose C memory must be freed after a Lua memory error at any point.  Inputs are
-- built here, before allocations start failing.

local payhook = require "payhook"
local core = require "payhook.core"

local KEY = "oom-test-key-0123456789abcdef"
local SP_KEY = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"

-- A payload with every kind of value, nested, so failures land in every
-- sink callback.
local parts = {}
for i = 1, 12 do
    parts[i] = ('{"id":%d,"name":"item %d","tags":["a","b",[]],' ..
                '"price":%d.25,"big":123456789012345678901234567890,' ..
                '"gone":null,"ok":true,"nul":"x\\u0000y"}'):format(i, i, i)
end
local PAYLOAD = '{"output":{"items":[' .. table.concat(parts, ",") ..
    '],"invoice_no":"INV-1","amount":"13.00"}}'
local TOKEN = core.jwt_sign('{"alg":"HS256","typ":"JWT"}', PAYLOAD, "HS256",
                            KEY)
local BODY = '{"data":"' .. TOKEN .. '","response_code":2100}'
local HEX = assert(payhook.superpay.encrypt(PAYLOAD, SP_KEY))
local SP_BODY = '{"encryptedData":"' .. HEX .. '"}'
local TABLE = assert(payhook.jwt.decode(TOKEN, KEY))
-- Numbers a Lua number cannot hold: text with exact_numbers, refused
-- without it.
local BIG = core.jwt_sign('{"alg":"HS256"}', '{"a":[9223372036854775808,' ..
    '1e400,-1e400,12345678901234567890123,1.5,7],"aud":"x"}', "HS256", KEY)
local EXACT = { exact_numbers = true, audience = { "w", "x" } }
local LEANX = payhook.leanx.new(KEY)
local SUPERPAY = payhook.superpay.new(SP_KEY)
-- The gateway pipeline: a header-signed JSON body, a signed form (whose
-- fields and Fiuu's re-post live in the call's scratch), and the
-- decoders of both.
local WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
local SW_BODY, SW_HEADERS = payhook.standardwebhooks.sign(PAYLOAD, WHSEC,
    { timestamp = 1700000000, event_id = "msg_1" })
local FIUU_BODY = payhook.fiuu.sign({ tranID = "T1", orderid = "O1",
    status = "00", domain = "m", amount = "10.00", currency = "MYR",
    paydate = "2023-11-14 22:13:20", nbcb = "2" }, KEY)
local SW = payhook.standardwebhooks.new(WHSEC)
local FIUU = payhook.fiuu.new(KEY)
local EXPECT = { now = 1700000000, expect = { ["output.amount"] = "13.00" } }
-- Tables are made when they close, at their final size; past 4,096 values
-- waiting on the stack the container being filled is made at once and
-- then filled as it comes (lua_sink.c).  Payloads that reach both, so an
-- allocation fails while a final-size table is made, while a fallback
-- moves what waits into its table, and while a fallen back table grows.
local JWT = payhook.jwt.new(KEY)
local function numbers(n, first)
    local t = {}
    for i = 1, n do t[i] = tostring(first + i) end
    return table.concat(t, ",")
end
-- n members over seven names (a repeated name counts each time it is
-- set, and few strings keep the allocation points few).
local function names(n)
    local t = {}
    for i = 1, n do t[i] = ('"k%d":%d'):format(i % 7, i) end
    return table.concat(t, ",")
end
local FINAL = core.jwt_sign('{"alg":"HS256"}', '{"a":[1,[2,[]],{}],' ..
    '"o":{"x":{"y":[true,null]},"x":{"z":"last"}},"n":[' .. numbers(40, 0) ..
    ']}', "HS256", KEY)
local WIDE_ARRAY = core.jwt_sign('{"alg":"HS256"}', '{"a":[' ..
    numbers(4200, 0) .. ']}', "HS256", KEY)
local WIDE_OBJECT = core.jwt_sign('{"alg":"HS256"}', '{"o":{' .. names(2100)
    .. '}}', "HS256", KEY)
-- A prepared decoder's cache of member names: more names than it holds
-- (so every call replaces some, and pushes them) and a name past the
-- length it keeps.
local NAMES = {}
for i = 1, 200 do NAMES[i] = ('"name_%d":%d'):format(i, i) end
NAMES[#NAMES + 1] = '"' .. string.rep("long", 40) .. '":0'
local NAMES_BODY = '{"encryptedData":"' .. assert(payhook.superpay.encrypt(
    "{" .. table.concat(NAMES, ",") .. "}", SP_KEY)) .. '"}'
local NAMES_SP = payhook.superpay.new(SP_KEY)
local INNER_FIRST = core.jwt_sign('{"alg":"HS256"}', '{"a":[' ..
    numbers(4000, 0) .. ',[' .. numbers(200, 0) .. '],' .. numbers(200, 0) ..
    ']}', "HS256", KEY)

return {
    leanx_decode = function()
        assert(payhook.leanx.decode(BODY, KEY)).output.items[12].tags[3] = 1
    end,
    leanx_prepared = function()
        assert(LEANX:decode(BODY))
    end,
    leanx_new = function()
        assert(payhook.leanx.new({ "k1", "k2", KEY }, { leeway = 5 }))
    end,
    jwt_decode_claims = function()
        assert(payhook.jwt.decode(TOKEN, { "other", KEY }, {
            audience = { "a", "b" }, issuer = "c", subject = "d",
            verify_aud = false, verify_iss = false, require = {},
            algorithms = { "HS256", "HS512" }, now = 1,
        }))
    end,
    jwt_new_claims = function()
        assert(payhook.jwt.new({ KEY, "k2" }, {
            audience = { "a", "b", "c" }, issuer = { "i1", "i2" },
            subject = "s", leeway = 2, exact_numbers = true,
        }))
    end,
    jwt_decode_exact = function()
        assert(payhook.jwt.decode(BIG, KEY, EXACT).a[2] == "1e400")
    end,
    jwt_refuses_overflow = function()
        assert(not payhook.jwt.decode(BIG, KEY, { audience = "x" }))
    end,
    jwt_rejects = function()
        assert(not payhook.jwt.decode(TOKEN, "wrong key"))
    end,
    jwt_encode = function()
        assert(payhook.jwt.encode(TABLE, KEY, "HS384"))
    end,
    -- A case whose name ends in _raises must end in its own error once
    -- memory suffices: here a function, which cannot be encoded, found
    -- after part of the tree was built (the tree must still be freed).
    jwt_encode_raises = function()
        payhook.jwt.encode({ a = TABLE, z = { 1, 2, print } }, KEY)
    end,
    superpay_encrypt_raises = function()
        payhook.superpay.encrypt({ TABLE, 0 / 0 }, SP_KEY)
    end,
    superpay_decode = function()
        assert(payhook.superpay.decode(SP_BODY, SP_KEY))
    end,
    superpay_prepared = function()
        assert(SUPERPAY:decode(SP_BODY))
    end,
    superpay_new = function()
        assert(payhook.superpay.new(SP_KEY)):close()
    end,
    superpay_names = function()
        assert(NAMES_SP:decode(NAMES_BODY).name_200 == 200)
    end,
    superpay_decrypt = function()
        assert(payhook.superpay.decrypt(HEX, SP_KEY, string.rep("i", 16)))
    end,
    superpay_encrypt = function()
        assert(payhook.superpay.encrypt(TABLE, SP_KEY))
    end,
    superpay_rejects = function()
        assert(not payhook.superpay.decode(HEX:sub(1, -33), SP_KEY))
    end,
    json_encode = function()
        assert(core.json_encode(TABLE))
    end,
    gateway_verify = function()
        assert(payhook.verify("standardwebhooks", SW_BODY, WHSEC, SW_HEADERS,
                              EXPECT))
    end,
    gateway_prepared = function()
        assert(SW:verify(SW_BODY, SW_HEADERS, 1700000000))
    end,
    gateway_rejects = function()
        assert(not SW:verify(SW_BODY .. " ", SW_HEADERS, 1700000000))
    end,
    gateway_new = function()
        assert(payhook.stripe.new({ KEY, KEY .. "2" })):close()
    end,
    gateway_sign = function()
        assert(payhook.razorpay.sign(PAYLOAD, KEY, { event_id = "evt_1" }))
    end,
    form_verify = function()
        assert(payhook.fiuu.verify(FIUU_BODY, KEY, nil).reply.repost)
    end,
    form_prepared = function()
        assert(FIUU:verify(FIUU_BODY, nil))
    end,
    tables_final_size = function()
        assert(JWT:decode(FINAL, 1).o.x.z == "last")
    end,
    tables_fallback_array = function()
        assert(#JWT:decode(WIDE_ARRAY, 1).a == 4200)
    end,
    tables_fallback_object = function()
        assert(JWT:decode(WIDE_OBJECT, 1).o.k0 == 2100)
    end,
    tables_fallback_inner_then_outer = function()
        assert(#JWT:decode(INNER_FIRST, 1).a[4001] == 200)
    end,
    form_table_body = function()
        assert(payhook.toyyibpay.verify({ refno = "R", status = "1",
            order_id = "O", hash = string.rep("0", 32) }, KEY, nil) == nil)
    end,
}
