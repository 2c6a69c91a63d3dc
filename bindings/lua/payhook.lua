--- payhook: verify and decrypt payment-gateway callbacks.
--
-- A thin arrangement of the C module payhook.core, which does all the
-- work.  Every decode function returns the payload, or nil, message, kind
-- for bad input (kind is the error's stable name, e.g.
-- "InvalidSignatureError"); a wrong argument type, an unknown option or an
-- unknown algorithm name raises.  See bindings/lua/README.md.
--
-- payhook.<gateway> (payhook.stripe, payhook.chip, ...) exists for every
-- gateway the C core registers, made from core.gateways(): a gateway added
-- to the core needs no Lua code.

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

--- The gateways, in the core's order: {name, title, covers_payload,
--- covers, payload ("json" or "form"), signs_time, tolerance,
--- reply = {status, body, content_type}}.
payhook.gateways = core.gateways()

local SIGN_OPTIONS = { timestamp = true, event_id = true }

-- A form gateway's fields as form text: a table of name = value (in byte
-- order of the names, so the text is the same on every run) or an array
-- of {name, value} pairs (in that order).  A value that is a list is a
-- repeated field, which the core refuses, so it is refused here too.
local function escape(s)
    return (s:gsub("[^%w%-%._~]", function(c)
        return ("%%%02X"):format(c:byte())
    end))
end

local function form_text(fields)
    local pairs_list = {}
    if fields[1] ~= nil then
        for i, p in ipairs(fields) do
            if type(p) ~= "table" or type(p[1]) ~= "string" or
                type(p[2]) ~= "string" then
                return nil, ("form field %d must be {name, value} "
                             .. "strings"):format(i)
            end
            pairs_list[#pairs_list + 1] = p
        end
    else
        local names = {}
        for k, v in next, fields do
            if type(k) ~= "string" then
                return nil, "form field names must be strings"
            end
            if type(v) == "table" then
                return nil, ("the form field '%s' is given more than "
                             .. "once"):format(k:sub(1, 40))
            end
            if type(v) ~= "string" then
                return nil, ("the form field '%s' must be a string"):format(
                    k:sub(1, 40))
            end
            names[#names + 1] = k
        end
        table.sort(names)
        for _, k in ipairs(names) do
            pairs_list[#pairs_list + 1] = { k, fields[k] }
        end
    end
    local out = {}
    for i, p in ipairs(pairs_list) do
        out[i] = escape(p[1]) .. "=" .. escape(p[2])
    end
    return table.concat(out, "&")
end

local IS_FORM = {}
for _, g in ipairs(core.gateways()) do
    IS_FORM[g.name] = g.payload == "form"
end

-- sign's arguments are checked here, so that a mistake names the
-- caller's argument; `level` is the caller's level for error().
local function sign(name, payload, key, opts, first, level)
    local text
    if type(payload) == "table" and IS_FORM[name] then
        local err
        text, err = form_text(payload)
        if text == nil then
            error(("bad argument #%d to 'sign' (%s)"):format(first, err),
                  level)
        end
    elseif type(payload) == "table" then
        text = core.json_encode(payload)
    elseif type(payload) == "string" then
        text = payload
    else
        error(("bad argument #%d to 'sign' (payload must be a table or a " ..
               "string)"):format(first), level)
    end
    if type(key) ~= "string" then
        error(("bad argument #%d to 'sign' (key must be a string)"):format(
            first + 1), level)
    end
    local timestamp, event_id
    if opts ~= nil then
        if type(opts) ~= "table" then
            error(("bad argument #%d to 'sign' (options must be a " ..
                   "table)"):format(first + 2), level)
        end
        -- Raw, as the C functions read their options.
        for k in next, opts do
            if not SIGN_OPTIONS[k] then
                error(("bad argument #%d to 'sign' (unknown option " ..
                       "'%s')"):format(first + 2, tostring(k)), level)
            end
        end
        timestamp = rawget(opts, "timestamp")
        event_id = rawget(opts, "event_id")
        if timestamp ~= nil and type(timestamp) ~= "number" then
            error(("bad argument #%d to 'sign' (option 'timestamp' must " ..
                   "be a number of seconds)"):format(first + 2), level)
        end
        if event_id ~= nil and type(event_id) ~= "string" then
            error(("bad argument #%d to 'sign' (option 'event_id' must " ..
                   "be a string)"):format(first + 2), level)
        end
    end
    if timestamp == nil then
        timestamp = os.time()
    end
    return core.gateway_sign(name, text, key, timestamp, event_id)
end

-- A form gateway also takes an already-parsed form as its body (a table,
-- as ngx.req.get_post_args() gives it): it is written back as form text
-- and checked like a raw body.  A redirect's query string is passed as
-- the body (ngx.var.args).
local function form_body(fn)
    return function(body, ...)
        if type(body) == "table" then
            local text, err = form_text(body)
            if text == nil then
                return nil, err, "DecodeError"
            end
            body = text
        end
        return fn(body, ...)
    end
end

-- core.gateway_verify(gateway, body, ...), the body taken as a form first
-- where the gateway's is one.
local verify_form = form_body(function(body, gateway, ...)
    return core.gateway_verify(gateway, body, ...)
end)

--- payhook.verify(gateway, body, key, headers [, opts]): authenticate a
--- callback of any gateway; the result table {payload, gateway, event_id,
--- timestamp, signed_fields, reply}, or nil, message, kind.
function payhook.verify(gateway, body, ...)
    if IS_FORM[gateway] then
        return verify_form(body, gateway, ...)
    end
    return core.gateway_verify(gateway, body, ...)
end

--- A genuine callback of a gateway, for tests: body, {name = value}.
function payhook.sign(gateway, payload, key, opts)
    return sign(gateway, payload, key, opts, 2, 3)
end

-- payhook.<name> for each gateway.  LeanX and SuperPay keep their own
-- decode and new (above), and gain verify and sign.
for _, g in ipairs(payhook.gateways) do
    local name = g.name
    local mod = payhook[name]
    assert(mod == nil or (name == "leanx" or name == "superpay"),
           "payhook: a gateway's name is taken: " .. name)
    local new, decode, verify = core.gateway_bind(name)
    if IS_FORM[name] then
        decode, verify = form_body(decode), form_body(verify)
    end
    if mod == nil then
        mod = {
            decode = decode,    -- (body, key, headers [, opts])
            new = new,          -- (key [, opts]):decode / :verify
        }
        payhook[name] = mod
    end
    mod.verify = verify         -- (body, key, headers [, opts]) -> result
    mod.sign = function(payload, key, opts)     -- -> body, headers
        return sign(name, payload, key, opts, 1, 3)
    end
    -- require "payhook.<name>" once payhook is loaded: the module of the
    -- payhook that package.loaded holds.
    package.preload["payhook." .. name] = function()
        return require("payhook")[name]
    end
end

return payhook
