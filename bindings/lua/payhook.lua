--- payhook: verify and decrypt payment-gateway payout callbacks.
--
-- A thin arrangement of the C module payhook.core, which does all the
-- work.  Every decode function returns the payload, or nil, message, kind
-- for bad input (kind is the error's stable name, e.g.
-- "InvalidSignatureError"); a wrong argument type, an unknown option or an
-- unknown algorithm name raises.  See bindings/lua/README.md.

local core = require "payhook.core"

-- Decoded arrays carry payhook.array_mt so they stay arrays when encoded
-- again.  OpenResty's lua-cjson recognises only its own cjson.array_mt, so
-- when that module is there its table is the one used.
local array_mt = core.array_mt
do
    local ok, cjson = pcall(require, "cjson")
    if ok and type(cjson) == "table" and type(cjson.array_mt) == "table" then
        array_mt = core.set_array_mt(cjson.array_mt)
    end
end

local payhook = {
    _VERSION = core.version,
    version = core.version,
    null = core.null,
    array_mt = array_mt,
    DEFAULT_MAX_BYTES = core.DEFAULT_MAX_BYTES,
    MAX_DEPTH = core.MAX_DEPTH,
}

--- LeanX payout callbacks: an HS256 JWT in {"data": "<jwt>", ...}.
payhook.leanx = {
    decode = core.leanx_decode,     -- (body, hash_key [, opts])
    new = core.leanx_new,           -- (hash_key [, opts]):decode(body [, now])
}

--- SuperPay (GGGPay) callbacks: AES-256-CBC, IV = MD5(key), hex.
payhook.superpay = {
    decode = core.superpay_decode,      -- (body, key [, opts])
    decrypt = core.superpay_decrypt,    -- (hex, key [, iv [, opts]])
    encrypt = core.superpay_encrypt,    -- (payload, key) -> hex
    new = core.superpay_new,            -- (key [, opts]):decode(body)
}

--- HS256/HS384/HS512 JSON Web Tokens.
payhook.jwt = {
    decode = core.jwt_decode,       -- (token, key [, opts])
    encode = core.jwt_encode,       -- (payload, key [, alg]) -> token
    new = core.jwt_new,             -- (key [, opts]):decode(token [, now])
}

return payhook
