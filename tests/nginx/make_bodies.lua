-- Writes the callback bodies tests/nginx/run.sh posts, one file each, and
-- a manifest line per body: "<file> <path> <status> <expected text>".
--
--   luajit tests/nginx/make_bodies.lua OUTDIR
--
-- Keys come from LEANX_HASH_KEY and SUPERPAY_SYMMETRIC_KEY.  Good bodies
-- are built with payhook's builders; forged ones by hand.

local payhook = require "payhook"
local core = require "payhook.core"

local out = assert(arg[1], "usage: make_bodies.lua OUTDIR")
local LEANX_KEY = assert(os.getenv("LEANX_HASH_KEY"))
local SP_KEY = assert(os.getenv("SUPERPAY_SYMMETRIC_KEY"))

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local function b64url(s)
    local t = {}
    for i = 1, #s, 3 do
        local a, b, c = s:byte(i, i + 2)
        local n = a * 65536 + (b or 0) * 256 + (c or 0)
        local q = { math.floor(n / 262144) % 64, math.floor(n / 4096) % 64,
                    math.floor(n / 64) % 64, n % 64 }
        for j = 1, (c and 4) or (b and 3) or 2 do
            t[#t + 1] = B64:sub(q[j] + 1, q[j] + 1)
        end
    end
    return table.concat(t)
end

local manifest = {}
local function body(name, path, status, want, text)
    local f = assert(io.open(out .. "/" .. name, "wb"))
    f:write(text)
    f:close()
    manifest[#manifest + 1] = table.concat({ name, path, status, want }, " ")
end

local function leanx_body(tok)
    return '{"data":"' .. tok .. '","response_code":2100}'
end

-- LeanX ----------------------------------------------------------------
local payout = {
    output = {
        invoice_no = "17254613886HGPiuRu",
        invoice_status = "SUCCESS",
        amount = "13.00",
        error_description = setmetatable({}, payhook.array_mt),
        client_transaction_details = payhook.null,
    },
}
local good = assert(payhook.jwt.encode(payout, LEANX_KEY))
local h, p, s = good:match("^([^.]*)%.([^.]*)%.([^.]*)$")
body("leanx_good.json", "/callbacks/leanx", 200, "OK 17254613886HGPiuRu",
     leanx_body(good))
-- The same callback in another envelope: the replay guard has its event
-- id with another body's digest, and flags it.
body("leanx_other_envelope.json", "/callbacks/leanx", 409, "conflict",
     '{"data":"' .. good .. '","response_code":2101}')
-- The bare token, for an invoice of its own.
payout.output.invoice_no = "17254613886HGPiuRv"
body("leanx_bare_token.txt", "/callbacks/leanx", 200,
     "OK 17254613886HGPiuRv",
     assert(payhook.jwt.encode(payout, LEANX_KEY)) .. "\n")

payout.output.invoice_no = "FORGED-1"
payout.output.amount = "99999.00"
body("leanx_wrong_key.json", "/callbacks/leanx", 401, "-",
     leanx_body(assert(payhook.jwt.encode(payout, "not-the-merchant-key"))))
local forged = assert(payhook.jwt.encode(payout, LEANX_KEY))
local _, p2 = forged:match("^([^.]*)%.([^.]*)%.")
body("leanx_tampered.json", "/callbacks/leanx", 401, "-",
     leanx_body(h .. "." .. p2 .. "." .. s))
body("leanx_alg_none.json", "/callbacks/leanx", 401, "-",
     leanx_body(b64url('{"alg":"none","typ":"JWT"}') .. "." .. p2 .. "."))
body("leanx_alg_hs512.json", "/callbacks/leanx", 401, "-",
     leanx_body(assert(payhook.jwt.encode(payout, LEANX_KEY, "HS512"))))
body("leanx_not_json.json", "/callbacks/leanx", 401, "-", "hello")
body("leanx_empty.json", "/callbacks/leanx", 401, "-", "")

-- SuperPay -------------------------------------------------------------
local sp_payout = {
    message = "Success",
    data = {
        status = "SUCCESS",
        transaction = { id = 10025, amountWithdraw = 0, confirmedAt = 0,
                        commissionFee = 0 },
        order = { id = "10006", amount = "1", currencyType = "MYR" },
        recipient = { name = "Long Wan", methodRef = payhook.null },
    },
}
local hex = assert(payhook.superpay.encrypt(sp_payout, SP_KEY))
body("superpay_good.json", "/callbacks/superpay", 200, "OK 10025",
     '{"encryptedData":"' .. hex .. '"}')
-- The vendor's own sample (when the key is the vendor's sample key).
if SP_KEY == "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ" then
    body("superpay_vendor.json", "/callbacks/superpay", 200, "OK 10556",
         '{\n"encryptedData": "e4e9ac1120ed867a7af108af8b1ab918cbec6db7b4' ..
         'd7c29908085a73e2b29e97547da6eae91928b3330241f1fb898eebd8c3355105' ..
         'fdd5c68b6ceea761f41dc3085ed888d3c0473beef128ebd208c4f60299df64a6' ..
         '22d04d21d81513c02e2d47bfcce2a6c246eabcc1c823aaf3d9133004cf7c4c08' ..
         '236395a05dc19a98c33a301c8b73d4e7fd33cd911619de86dfdb45"\n}')
end
local function flip_last(h16, back)
    local i = #h16 - back
    local c = h16:sub(i, i)
    return h16:sub(1, i - 1) .. (c == "0" and "1" or "0") .. h16:sub(i + 1)
end
body("superpay_bad_padding.json", "/callbacks/superpay", 401, "-",
     '{"encryptedData":"' .. flip_last(hex, 0) .. '"}')
body("superpay_tampered.json", "/callbacks/superpay", 401, "-",
     '{"encryptedData":"' .. flip_last(hex, 40) .. '"}')
body("superpay_wrong_key.json", "/callbacks/superpay", 401, "-",
     '{"encryptedData":"' .. assert(payhook.superpay.encrypt(
         sp_payout, "QCd1dlEmFnBXaVce06Pzp7Vike0oHnVX")) .. '"}')
body("superpay_truncated.json", "/callbacks/superpay", 401, "-",
     '{"encryptedData":"' .. hex:sub(1, -33) .. '"}')
body("superpay_not_hex.json", "/callbacks/superpay", 401, "-",
     '{"encryptedData":"zz' .. hex:sub(3) .. '"}')
body("superpay_not_json.json", "/callbacks/superpay", 401, "-",
     '{"encryptedData":"' .. assert(payhook.superpay.encrypt("plain text",
                                                             SP_KEY)) .. '"}')
-- A LeanX body at the SuperPay endpoint and the other way round.
body("cross_leanx_to_superpay.json", "/callbacks/superpay", 401, "-",
     leanx_body(good))
body("cross_superpay_to_leanx.json", "/callbacks/leanx", 401, "-",
     '{"encryptedData":"' .. hex .. '"}')

local f = assert(io.open(out .. "/manifest", "wb"))
f:write(table.concat(manifest, "\n"), "\n")
f:close()
assert(core.version == payhook.version)
