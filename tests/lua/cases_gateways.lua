-- The gateway pipeline's Lua API (payhook.<gateway>, payhook.verify,
-- payhook.sign, core.gateway_*): sign -> verify round trips for every
-- gateway, headers as ngx.req.get_headers() gives them and as pairs, the
-- result table, expected fields, what raises, decoders, require, and
-- tables that finalisers change while a call reads them.  The vectors
-- themselves are run by cases_vectors.lua.

local T = require "testlib"
local core = require "payhook.core"

local NOW = 1700000000
local TEXT_KEY = "gw-TEXT-KEY-0123456789abcdef0123456789"
local OTHER_KEY = "gw-OTHER-KEY-00000000000000000000000"
local SP_KEY = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

-- Standard padded base64, with arithmetic only (5.4 and LuaJIT alike).
local function b64(s)
    local out = {}
    for i = 1, #s, 3 do
        local a, b, c = s:byte(i, i + 2)
        local n = a * 65536 + (b or 0) * 256 + (c or 0)
        local q = { math.floor(n / 262144) % 64, math.floor(n / 4096) % 64,
                    math.floor(n / 64) % 64, n % 64 }
        local k = (c and 4) or (b and 3) or 2
        for j = 1, 4 do
            out[#out + 1] = j <= k and B64:sub(q[j] + 1, q[j] + 1) or "="
        end
    end
    return table.concat(out)
end

local WHSEC = "whsec_" .. b64(string.rep("\1\2\3\4\5\6\7\8", 4))

local function pack(...)
    return { n = select("#", ...), ... }
end

-- {name = value} as a list of {name, value} pairs.
local function as_pairs(headers)
    local list = {}
    for k, v in pairs(headers) do list[#list + 1] = { k, v } end
    return list
end

-- The one header of a signed callback (the signature's).
local function only(headers, want)
    for k, v in pairs(headers) do
        if k:lower() == want then return k, v end
    end
    T.fail("no %s header", want)
end

return function(payhook, root)
    local case = T.case
    local keydir = root .. "/tests/vectors/keys/"
    local CHIP_PRIVATE = T.read_file(keydir .. "chip-2048-private.pem")
    local CHIP_PUBLIC = T.read_file(keydir .. "chip-2048-public.pem")
    local OTHER_PUBLIC = T.read_file(keydir .. "other-2048-public.pem")

    -- Per gateway: the key that signs, the key that verifies, a payload
    -- and the event id it must give (nil: a random one from a header).
    local SETUP = {
        leanx = { TEXT_KEY, TEXT_KEY,
            { output = { invoice_no = "INV-7", invoice_status = "SUCCESS",
                         amount = "13.00" }, response_code = 2100 },
            "INV-7:SUCCESS" },
        superpay = { SP_KEY, SP_KEY,
            { data = { transaction = { id = 10556 }, status = "SUCCESS" } },
            "10556:SUCCESS" },
        twoc2p = { TEXT_KEY, TEXT_KEY,
            { invoiceNo = "INV-8", respCode = "0000", amount = 12.5 },
            "INV-8:0000" },
        standardwebhooks = { WHSEC, WHSEC,
            { type = "invoice.paid", data = { id = "in_1" } }, nil },
        stripe = { TEXT_KEY, TEXT_KEY,
            { id = "evt_1", object = "event", data = { object = {} } },
            "evt_1" },
        razorpay = { TEXT_KEY, TEXT_KEY,
            { event = "payment.captured", payload = {} }, nil },
        chip = { CHIP_PRIVATE, CHIP_PUBLIC,
            { id = "pur_1", status = "paid", amount = 100 }, "pur_1:paid" },
        chip_send = { CHIP_PRIVATE, CHIP_PUBLIC,
            { id = 77, status = "completed" }, "77:completed" },
        -- The form gateways: the payload is the form's fields.
        billplz = { TEXT_KEY, TEXT_KEY,
            { id = "W_79pJDk", state = "paid", paid = "true",
              amount = "200", mobile = "" }, "W_79pJDk:paid" },
        fiuu = { TEXT_KEY, TEXT_KEY,
            { tranID = "T1", orderid = "O1", status = "00", domain = "m",
              amount = "10.00", currency = "MYR",
              paydate = "2023-11-14 22:13:20", nbcb = "1" }, "T1:00" },
        senangpay = { TEXT_KEY, TEXT_KEY,
            { status_id = "1", order_id = "O1", transaction_id = "T9",
              msg = "Payment_was_successful" }, "T9:1" },
        senangpay_md5 = { TEXT_KEY, TEXT_KEY,
            { status_id = "1", order_id = "O1", transaction_id = "T9",
              msg = "Payment_was_successful" }, "T9:1" },
        toyyibpay = { TEXT_KEY, TEXT_KEY,
            { refno = "R1", status = "1", order_id = "O1",
              amount = "100" }, "R1:1" },
    }

    local INFO = {}
    for _, g in ipairs(payhook.gateways) do INFO[g.name] = g end

    -- A signed callback of `name` at NOW: body, headers, verifying key.
    local function signed(name, payload, opts)
        local s = SETUP[name]
        opts = opts or {}
        if opts.timestamp == nil then opts.timestamp = NOW end
        local body, headers = payhook[name].sign(payload or s[3], s[1], opts)
        T.check(body ~= nil, "%s.sign: %s", name, tostring(headers))
        return body, headers, s[2]
    end

    -- ----------------------------------------------------------------
    -- The list and the modules

    case("gateways: the core's list, every field", function()
        local list = core.gateways()
        T.check(#list >= 8, "%d gateways", #list)
        local seen = {}
        for i, g in ipairs(list) do
            T.eq(type(g.name), "string", "name")
            T.eq(type(g.title), "string", g.name .. ".title")
            T.eq(type(g.covers_payload), "boolean", g.name .. ".covers")
            T.eq(type(g.signs_time), "boolean", g.name .. ".signs_time")
            T.eq(type(g.tolerance), "number", g.name .. ".tolerance")
            T.eq(g.signs_time, g.tolerance > 0, g.name .. ": signs_time")
            T.eq(type(g.reply), "table", g.name .. ".reply")
            T.check(math.type == nil or math.type(g.reply.status) ==
                    "integer", "%s.reply.status is an integer", g.name)
            T.check(g.reply.status >= 100 and g.reply.status <= 599,
                    "%s.reply.status %s", g.name, tostring(g.reply.status))
            T.eq(type(g.reply.body), "string", g.name .. ".reply.body")
            T.eq(type(g.reply.content_type), "string",
                 g.name .. ".reply.content_type")
            T.eq(payhook.gateways[i].name, g.name, "payhook.gateways order")
            seen[g.name] = true
        end
        for name in pairs(SETUP) do
            T.check(seen[name], "gateway %s listed", name)
        end
        T.eq(INFO.superpay.covers_payload, false, "SuperPay covers nothing")
        T.eq(INFO.stripe.covers_payload, true, "Stripe covers the payload")
        T.eq(INFO.stripe.tolerance, 300, "Stripe's tolerance")
        T.eq(INFO.standardwebhooks.signs_time, true, "Standard Webhooks")
        T.eq(INFO.razorpay.signs_time, false, "Razorpay signs no time")
    end)

    case("gateways: payhook.<name> for each, LeanX and SuperPay kept",
         function()
        for _, g in ipairs(payhook.gateways) do
            local mod = payhook[g.name]
            T.eq(type(mod), "table", "payhook." .. g.name)
            for _, f in ipairs { "decode", "new", "verify", "sign" } do
                T.eq(type(mod[f]), "function", g.name .. "." .. f)
            end
        end
        T.check(rawequal(payhook.leanx.decode, core.leanx_decode),
                "leanx.decode is still core.leanx_decode")
        T.check(rawequal(payhook.leanx.new, core.leanx_new), "leanx.new")
        T.check(rawequal(payhook.superpay.decode, core.superpay_decode),
                "superpay.decode")
        T.check(rawequal(payhook.superpay.new, core.superpay_new),
                "superpay.new")
        T.check(rawequal(payhook.superpay.decrypt, core.superpay_decrypt),
                "superpay.decrypt")
        T.check(rawequal(payhook.superpay.encrypt, core.superpay_encrypt),
                "superpay.encrypt")
        T.eq(payhook.jwt.verify, nil, "payhook.jwt is no gateway")
    end)

    case("gateways: require \"payhook.<name>\" after require \"payhook\"",
         function()
        T.check(rawequal(require "payhook.stripe", payhook.stripe),
                "payhook.stripe")
        for _, g in ipairs(payhook.gateways) do
            T.check(rawequal(require("payhook." .. g.name), payhook[g.name]),
                    "payhook.%s", g.name)
        end
    end)

    -- ----------------------------------------------------------------
    -- Round trips

    local function check_result(name, r, payload, want_id, how)
        T.eq(type(r), "table", how .. ": result")
        T.eq(r.gateway, name, how .. ": gateway")
        local ok, why = T.same(r.payload, payload, payhook)
        T.check(ok, "%s: %s", how, tostring(why))
        if want_id ~= nil then
            T.eq(r.event_id, want_id, how .. ": event_id")
        else
            T.eq(type(r.event_id), "string", how .. ": event_id")
        end
        if INFO[name].signs_time then
            T.eq(r.timestamp, NOW, how .. ": timestamp")
            if T.has_integers then
                T.eq(math.type(r.timestamp), "integer", how .. ": integer")
            end
        else
            T.eq(r.timestamp, nil, how .. ": timestamp")
        end
        T.eq(getmetatable(r.signed_fields), payhook.array_mt,
             how .. ": signed_fields is an array")
        if INFO[name].covers_payload then
            local names = {}
            for k in pairs(r.payload) do names[#names + 1] = k end
            table.sort(names)
            T.eq(table.concat(r.signed_fields, ","), table.concat(names, ","),
                 how .. ": signed_fields")
        elseif INFO[name].covers == "fields" then
            -- The form's covered fields: each is in the payload, and the
            -- signature field is not among them.
            T.check(#r.signed_fields > 0, "%s: some fields are signed", how)
            for _, f in ipairs(r.signed_fields) do
                T.check(r.payload[f] ~= nil, "%s: %s in the payload", how, f)
                T.check(f ~= "x_signature" and f ~= "skey" and f ~= "hash",
                        "%s: the signature field %s is not signed", how, f)
            end
        else
            T.eq(#r.signed_fields, 0, how .. ": signed_fields")
        end
        T.eq(r.reply.status, INFO[name].reply.status, how .. ": reply")
        if name == "fiuu" then
            -- Fiuu's depends on the post: nbcb=1 wants this text back.
            T.eq(r.reply.body, r.payload.nbcb == "1" and "CBTOKEN:MPSTATOK"
                 or "", how .. ": Fiuu's reply body")
            T.eq(r.reply.repost ~= nil, r.payload.nbcb ~= "1",
                 how .. ": Fiuu's re-post")
        else
            T.eq(r.reply.body, INFO[name].reply.body, how .. ": reply body")
        end
        T.eq(r.reply.content_type, INFO[name].reply.content_type,
             how .. ": reply type")
    end

    for _, g in ipairs(payhook.gateways) do
        local name = g.name
        case("round trip: " .. name .. ".sign -> verify", function()
            local s = SETUP[name]
            if s == nil then
                -- Loud: a gateway the core gained after this file.
                print(("SKIPPED: %s round trip: no keys or payload for it " ..
                       "in tests/lua/cases_gateways.lua"):format(name))
                return
            end
            if s[1] == nil then
                -- Loud: a gateway that is not tested at all.
                print(("SKIPPED: %s round trip: no private key in %s"):format(
                    name, keydir))
                return
            end
            local body, headers, key = signed(name)
            local want = assert(require("json_reader").decode(
                core.json_encode(s[3])))
            local form = INFO[name].payload == "form"
            if form then
                -- The payload is every received field: the signature
                -- field the signer appended too.
                local sig_name, sig = body:match("&([%w_]+)=(%x+)$")
                T.check(sig_name ~= nil, "%s: a signature field at the end",
                        name)
                want[sig_name] = sig
            end
            local opts = { now = NOW }
            -- One-shot, generic, prepared, headers as pairs.
            check_result(name, payhook[name].verify(body, key, headers, opts),
                         want, s[4], name .. ".verify")
            check_result(name, payhook.verify(name, body, key, headers, opts),
                         want, s[4], "payhook.verify")
            local d = assert(core.gateway_new(name, key))
            check_result(name, d:verify(body, headers, NOW), want, s[4],
                         "decoder:verify")
            check_result(name, d:verify(body, as_pairs(headers), NOW), want,
                         s[4], "decoder:verify, pairs")
            local ok, why = T.same(d:decode(body, headers, NOW), want, payhook)
            T.check(ok, "decoder:decode: %s", tostring(why))
            d:close()
            if name ~= "leanx" and name ~= "superpay" then
                local p = assert(payhook[name].new(key))
                ok, why = T.same(p:decode(body, headers, NOW), want, payhook)
                T.check(ok, "%s.new():decode: %s", name, tostring(why))
                ok, why = T.same(payhook[name].decode(body, key, headers,
                                                       opts), want, payhook)
                T.check(ok, "%s.decode: %s", name, tostring(why))
            end
            -- A payload given as text is sent as it is.
            local text = core.json_encode(s[3])
            if form then
                text = body:match("^(.*)&[%w_]+=%x+$")
            end
            local body2 = payhook[name].sign(text, s[1], { timestamp = NOW })
            if form then
                T.eq(body2, body, name .. ": the form text, signed")
            elseif name ~= "superpay" and name ~= "leanx" and
                name ~= "twoc2p" then
                -- (Those three wrap the payload in an envelope.)
                T.eq(body2, text, name .. ": the text is the body")
            end
            -- Bad input: another key, a tampered body.
            local other = (name == "chip" or name == "chip_send") and
                OTHER_PUBLIC or (name == "superpay" and
                string.rep("x", 32)) or (name == "standardwebhooks" and
                "whsec_" .. b64(string.rep("z", 32))) or OTHER_KEY
            local v, msg, kind = payhook.verify(name, body, other, headers,
                                                opts)
            T.check(v == nil and (kind == "InvalidSignatureError" or
                                  kind == "DecryptionError"),
                    "%s with another key: %s %s", name, tostring(kind),
                    tostring(msg))
            T.bad(kind, { TEXT_KEY, SP_KEY, WHSEC }, v, msg, kind)
            -- A rotation: the right key second.
            check_result(name, payhook.verify(name, body,
                         name == "superpay" and key or { other, key },
                         headers, opts), want, s[4], "rotation")
        end)
    end

    case("round trip: sign's defaults, timestamp and event_id", function()
        -- The timestamp defaults to now, and verify's clock to now.
        local body, headers = payhook.stripe.sign({ id = "evt_2" }, TEXT_KEY)
        local r = assert(payhook.stripe.verify(body, TEXT_KEY, headers))
        T.check(math.abs(r.timestamp - os.time()) <= 2, "timestamp now")
        -- An event id where the scheme carries one in a header, as given.
        body, headers = payhook.standardwebhooks.sign({ a = 1 }, WHSEC,
            { timestamp = NOW, event_id = "msg_2fEk0" })
        r = assert(payhook.standardwebhooks.verify(body, WHSEC, headers,
                                                   { now = NOW }))
        T.eq(r.event_id, "msg_2fEk0", "standardwebhooks event_id")
        -- A random one when none is given, different each time.
        local _, h1 = payhook.razorpay.sign({ a = 1 }, TEXT_KEY)
        local _, h2 = payhook.razorpay.sign({ a = 1 }, TEXT_KEY)
        local _, id1 = only(h1, "x-razorpay-event-id")
        local _, id2 = only(h2, "x-razorpay-event-id")
        T.check(id1 ~= id2, "random event ids differ")
        -- An id from a header may be any bytes: returned as they are.
        body, headers = payhook.razorpay.sign({ a = 1 }, TEXT_KEY)
        local sig_name, sig = only(headers, "x-razorpay-signature")
        local raw = "evt\0\255\1 z"
        r = assert(payhook.razorpay.verify(body, TEXT_KEY,
            { [sig_name] = sig, ["x-razorpay-event-id"] = raw }))
        T.eq(r.event_id, raw, "raw event id")
        r = assert(payhook.razorpay.verify(body, TEXT_KEY,
                                           { [sig_name] = sig }))
        T.eq(r.event_id, nil, "no event id header")
        -- An event id for a gateway whose id comes from the payload, and
        -- bad option values, raise.
        T.raises(payhook.stripe.sign, { id = "x" }, TEXT_KEY,
                 { event_id = "y" })
        T.raises(payhook.stripe.sign, { id = "x" }, TEXT_KEY,
                 { timestamp = "now" })
        T.raises(payhook.stripe.sign, { id = "x" }, TEXT_KEY,
                 { timestamp = -1 })
        T.raises(payhook.stripe.sign, { id = "x" }, TEXT_KEY,
                 { timestamp = 1.5 })
        T.raises(payhook.stripe.sign, { id = "x" }, TEXT_KEY, { when = 1 })
        T.raises(payhook.stripe.sign, 42, TEXT_KEY)
        T.raises(payhook.stripe.sign, { id = "x" }, 42)
        T.raises(payhook.stripe.sign, { f = print }, TEXT_KEY)
        -- A bad key is bad input.
        T.bad("InvalidKeyError", nil, payhook.stripe.sign({ id = "x" }, ""))
        T.bad("InvalidKeyError", nil,
              payhook.superpay.sign({ a = 1 }, "short"))
        -- payhook.sign is the same for any gateway by name.
        body, headers = payhook.sign("stripe", { id = "evt_3" }, TEXT_KEY,
                                     { timestamp = NOW })
        T.eq(assert(payhook.verify("stripe", body, TEXT_KEY, headers,
                                   { now = NOW })).event_id, "evt_3", "sign")
        -- core.gateway_sign directly.
        local cbody, cheaders = core.gateway_sign("stripe", '{"id":"e"}',
                                                  TEXT_KEY, NOW, nil)
        T.eq(cbody, '{"id":"e"}', "core.gateway_sign body")
        T.eq(type(cheaders["Stripe-Signature"]), "string", "its header")
    end)

    -- ----------------------------------------------------------------
    -- Headers

    case("headers: ngx-style, mixed case, repeated, pairs", function()
        local body, headers = signed("stripe")
        local name, sig = only(headers, "stripe-signature")
        local opts = { now = NOW }
        -- ngx.req.get_headers() lower-cases names; any case works.
        for _, n in ipairs { "stripe-signature", "STRIPE-SIGNATURE",
                             "sTrIpE-sIgNaTuRe", name } do
            assert(payhook.stripe.verify(body, TEXT_KEY, { [n] = sig,
                ["content-type"] = "application/json" }, opts))
            assert(payhook.stripe.verify(body, TEXT_KEY, { { n, sig } }, opts))
        end
        -- A value list of one is that value.
        assert(payhook.stripe.verify(body, TEXT_KEY,
                                     { ["stripe-signature"] = { sig } }, opts))
        -- A repeated header, as ngx gives it: a list, each value its own
        -- header, so the core sees the repetition.
        T.bad("DecodeError", nil, payhook.stripe.verify(body, TEXT_KEY,
            { ["stripe-signature"] = { sig, sig } }, opts))
        T.bad("DecodeError", nil, payhook.stripe.verify(body, TEXT_KEY,
            { ["stripe-signature"] = sig, ["Stripe-Signature"] = sig }, opts))
        T.bad("DecodeError", nil, payhook.stripe.verify(body, TEXT_KEY,
            { { "stripe-signature", sig }, { "STRIPE-SIGNATURE", sig } },
            opts))
        -- Another header repeated is no concern; an empty list is no
        -- header.
        assert(payhook.stripe.verify(body, TEXT_KEY, { [name] = sig,
            accept = { "a", "b" }, cookie = {} }, opts))
        -- Absent headers.
        T.bad("MissingSignatureError", nil,
              payhook.stripe.verify(body, TEXT_KEY, nil, opts))
        T.bad("MissingSignatureError", nil,
              payhook.stripe.verify(body, TEXT_KEY, {}, opts))
        T.bad("MissingSignatureError", nil,
              payhook.stripe.verify(body, TEXT_KEY, { [name] = "" }, opts))
        -- More headers than the core takes.
        local many = { [name] = sig }
        for i = 1, 300 do many["x-h" .. i] = "v" end
        T.bad("DecodeError", nil,
              payhook.stripe.verify(body, TEXT_KEY, many, opts))
        local list = { { name, sig } }
        for i = 1, 300 do list[#list + 1] = { "x-h" .. i, "v" } end
        T.bad("DecodeError", nil,
              payhook.stripe.verify(body, TEXT_KEY, list, opts))
        local repeated = { [name] = sig, ["x-h"] = {} }
        for i = 1, 300 do repeated["x-h"][i] = "v" end
        T.bad("DecodeError", nil,
              payhook.stripe.verify(body, TEXT_KEY, repeated, opts))
        local fits = { [name] = sig }
        for i = 1, 255 do fits["x-h" .. i] = "v" end
        assert(payhook.stripe.verify(body, TEXT_KEY, fits, opts))
        -- Wrong types raise.
        for _, bad in ipairs {
            42, "stripe-signature", { [name] = 42 }, { [name] = true },
            { [name] = { sig, 42 } }, { [2] = sig }, { [true] = sig },
            { { name } }, { { name, 42 } }, { { 42, sig } }, { sig },
        } do
            T.raises(payhook.stripe.verify, body, TEXT_KEY, bad, opts)
        end
    end)

    -- ----------------------------------------------------------------
    -- Options, time and sizes

    case("options: tolerance, now, max_bytes, unknown names", function()
        local body, headers = signed("stripe")
        local ok = { now = NOW + 300 }
        assert(payhook.stripe.verify(body, TEXT_KEY, headers, ok))
        T.bad("InvalidTimestampError", nil, payhook.stripe.verify(body,
              TEXT_KEY, headers, { now = NOW + 301 }))
        T.bad("InvalidTimestampError", nil, payhook.stripe.verify(body,
              TEXT_KEY, headers, { now = NOW - 301 }))
        assert(payhook.stripe.verify(body, TEXT_KEY, headers,
                                     { now = NOW + 600, tolerance = 600 }))
        T.bad("InvalidTimestampError", nil, payhook.stripe.verify(body,
              TEXT_KEY, headers, { now = NOW + 61, tolerance = 60 }))
        local d = assert(payhook.stripe.new(TEXT_KEY, { tolerance = 10 }))
        assert(d:verify(body, headers, NOW + 10))
        T.bad("InvalidTimestampError", nil, d:verify(body, headers, NOW + 11))
        -- The clock defaults to now: a callback from 2023 is too old.
        T.bad("InvalidTimestampError", nil, d:verify(body, headers))
        -- max_bytes
        T.bad("PayloadTooLargeError", nil, payhook.stripe.verify(body,
              TEXT_KEY, headers, { now = NOW, max_bytes = #body - 1 }))
        assert(payhook.stripe.verify(body, TEXT_KEY, headers,
                                     { now = NOW, max_bytes = #body }))
        -- leeway for the JWT gateways.
        local lbody = payhook.twoc2p.sign({ invoiceNo = "I", exp = NOW },
                                          TEXT_KEY)
        T.bad("ExpiredSignatureError", nil, payhook.twoc2p.verify(lbody,
              TEXT_KEY, nil, { now = NOW }))
        assert(payhook.twoc2p.verify(lbody, TEXT_KEY, nil,
                                     { now = NOW, leeway = 5 }))
        -- Misuse raises.
        local v = payhook.stripe.verify
        for _, bad in ipairs {
            { nope = 1 }, { tolerance = -1 }, { tolerance = "300" },
            { tolerance = 1 / 0 }, { tolerance = 2e15 }, { max_bytes = -1 },
            { max_bytes = 1.5 }, { now = "now" }, { now = 0 / 0 },
            { leeway = -1 }, { exact_numbers = 1 }, { algorithms = {} },
            { [1] = true }, "opts",
        } do
            T.raises(v, body, TEXT_KEY, headers, bad)
            if type(bad) ~= "table" or bad.now == nil then
                T.raises(payhook.stripe.new, TEXT_KEY, bad)
            end
        end
        -- now is an argument of a decoder, not an option.
        T.raises(payhook.stripe.new, TEXT_KEY, { now = NOW })
        T.raises(d.verify, d, body, headers, "now")
        T.raises(d.verify, d, body, headers, 1 / 0)
        -- expect belongs to verify only.
        T.raises(payhook.stripe.decode, body, TEXT_KEY, headers,
                 { now = NOW, expect = {} })
        T.raises(d.decode, d, body, headers, NOW, {})
        -- Wrong argument types raise.
        T.raises(v, 42, TEXT_KEY, headers, { now = NOW })
        T.raises(v, body, 42, headers, { now = NOW })
        T.raises(v, body, nil, headers, { now = NOW })
        T.raises(v, body, { TEXT_KEY, 42 }, headers, { now = NOW })
        T.raises(d.verify, d, 42, headers)
        T.raises(d.verify, "d", body, headers)
        -- Bad keys are bad input, as for leanx.new / leanx.decode.
        T.bad("InvalidKeyError", nil, payhook.stripe.new(""))
        T.bad("InvalidKeyError", nil, payhook.stripe.new({}))
        local seventeen = {}
        for i = 1, 17 do seventeen[i] = TEXT_KEY .. i end
        T.bad("InvalidKeyError", nil, payhook.stripe.new(seventeen))
        T.bad("InvalidKeyError", nil,
              payhook.stripe.verify(body, "", headers, { now = NOW }))
        T.bad("InvalidKeyError", nil, payhook.superpay.verify("{}", "short"))
        T.bad("InvalidKeyError", nil, payhook.chip.new("not a PEM key"))
        T.bad("InvalidKeyError", nil, payhook.standardwebhooks.new("whsec_!"))
    end)

    case("unknown gateway raises", function()
        local msg = T.raises(payhook.verify, "paypal", "{}", TEXT_KEY, nil)
        T.check(msg:find("unknown gateway 'paypal'", 1, true), "%s", msg)
        T.check(msg:find("stripe", 1, true), "lists the gateways: %s", msg)
        T.raises(payhook.verify, 42, "{}", TEXT_KEY, nil)
        T.raises(payhook.sign, "paypal", {}, TEXT_KEY)
        T.raises(core.gateway_new, "paypal", TEXT_KEY)
        T.raises(core.gateway_new, "STRIPE", TEXT_KEY)
        T.raises(core.gateway_decode, "paypal", "{}", TEXT_KEY, nil)
        T.raises(core.gateway_sign, "paypal", "{}", TEXT_KEY, NOW, nil)
        T.raises(core.gateway_bind, "paypal")
        T.raises(core.gateway_bind, nil)
    end)

    -- ----------------------------------------------------------------
    -- Expected fields

    case("expect: equal, differs, absent, not covered", function()
        -- The text as written matters (a number's literal is compared), so
        -- the body is written out here.
        local text = '{"data":{"order":{"amount":"124.10","qty":3,' ..
            '"big":12345678901234567890,"price":1.5,"note":"a\\u00e9",' ..
            '"tags":["a"],"none":null}},"id":"evt_9"}'
        local body, headers = payhook.stripe.sign(text, TEXT_KEY,
                                                  { timestamp = NOW })
        local function verify(expect)
            return payhook.stripe.verify(body, TEXT_KEY, headers,
                                         { now = NOW, expect = expect })
        end
        assert(verify({ ["data.order.amount"] = "124.10",
                        ["data.order.qty"] = 3, ["id"] = "evt_9" }))
        assert(verify({ ["data.order.qty"] = "3" }))
        assert(verify({ ["data.order.price"] = "1.5" }))
        assert(verify({ ["data.order.note"] = "a\195\169" }))
        assert(verify({ ["data.order.big"] = "12345678901234567890" }))
        assert(verify({}))
        local d = assert(payhook.stripe.new(TEXT_KEY))
        assert(d:verify(body, headers, NOW,
                        { ["data.order.amount"] = "124.10" }))
        for _, bad in ipairs {
            { ["data.order.amount"] = "124.1" },        -- differs
            { ["data.order.amount"] = "124.100" },
            { ["data.order.qty"] = 4 },
            { ["data.order.qty"] = "3.0" },
            { ["data.order.missing"] = "x" },           -- absent
            { ["data.order.amount.x"] = "x" },
            { ["data.order.tags"] = "a" },              -- not a scalar
            { ["data.order.none"] = "null" },
            { ["data.order"] = "x" },
            { ["data.order.amount"] = "124.10", id = "evt_8" },
        } do
            T.bad("FieldMismatchError", { TEXT_KEY }, verify(bad))
            T.bad("FieldMismatchError", { TEXT_KEY },
                  d:verify(body, headers, NOW, bad))
        end
        -- SuperPay's callbacks are encrypted, not signed: no field is
        -- covered, so any expectation fails, even a true one.
        local sbody = payhook.superpay.sign({ data = { amount = "5.00" } },
                                            SP_KEY)
        local r = assert(payhook.superpay.verify(sbody, SP_KEY, nil))
        T.eq(r.payload.data.amount, "5.00", "superpay payload")
        local v, msg, kind = payhook.superpay.verify(sbody, SP_KEY, nil,
            { expect = { ["data.amount"] = "5.00" } })
        T.bad("FieldMismatchError", { SP_KEY }, v, msg, kind)
        T.check(msg:find("SuperPay", 1, true), "%s", msg)
        -- Values must be strings or integers; names non-empty strings.
        for _, bad in ipairs {
            { ["data.order.price"] = 1.5 }, { ["data.order.qty"] = true },
            { ["data.order.qty"] = { 3 } }, { [""] = "x" }, { [1] = "x" },
            "data.order.qty",
        } do
            T.raises(verify, bad)
            T.raises(d.verify, d, body, headers, NOW, bad)
        end
        if T.has_integers then
            -- A float is refused even when it is whole: money in a float
            -- is inexact.
            T.raises(verify, { ["data.order.qty"] = 3.0 })
        else
            assert(verify({ ["data.order.qty"] = 3.0 }))
            T.raises(verify, { ["data.order.qty"] = 2 ^ 60 })
        end
        -- At most 32 fields.
        local many = {}
        for i = 1, 32 do many["data.order.f" .. i] = "x" end
        T.bad("FieldMismatchError", nil, verify(many))
        many["data.order.f33"] = "x"
        T.raises(verify, many)
    end)

    -- ----------------------------------------------------------------
    -- Decoders

    case("decoders: close, __close and tostring", function()
        local body, headers = signed("stripe")
        local d = assert(payhook.stripe.new(TEXT_KEY))
        local s = tostring(d)
        T.check(s:find("payhook.stripe decoder", 1, true), "tostring: %s", s)
        T.check(not s:find(TEXT_KEY, 1, true), "tostring shows the key")
        T.check(not s:find("closed", 1, true), "open: %s", s)
        assert(d:verify(body, headers, NOW))
        d:close()
        d:close()
        T.check(tostring(d):find("closed", 1, true), "closed in tostring")
        T.raises(d.verify, d, body, headers, NOW)
        T.raises(d.decode, d, body, headers, NOW)
        local c = assert(payhook.chip.new(CHIP_PUBLIC))
        T.check(not tostring(c):find("BEGIN", 1, true), "no PEM in tostring")
        T.check(tostring(c):find("payhook.chip decoder", 1, true), "chip")
        c:close()
        T.raises(c.verify, c, "{}", nil)
        -- A leanx decoder of the pipeline is named after its gateway too.
        local g = assert(core.gateway_new("leanx", TEXT_KEY))
        T.check(tostring(g):find("payhook.leanx decoder", 1, true), "leanx")
        if _VERSION == "Lua 5.4" and not T.is_luajit then
            local chunk = assert(load([[
                local payhook, key, body, headers, now = ...
                local kept
                do
                    local d <close> = payhook.stripe.new(key)
                    assert(d:verify(body, headers, now))
                    kept = d
                end
                return kept
            ]]))
            local kept = chunk(payhook, TEXT_KEY, body, headers, NOW)
            T.check(tostring(kept):find("closed", 1, true),
                    "__close closed it")
            T.raises(kept.verify, kept, body, headers, NOW)
        end
    end)

    case("decoders: a finaliser closes the decoder during a call", function()
        -- A decoder closed from a finaliser that runs while it verifies:
        -- the call finishes with the key it started with, and the decoder
        -- is closed afterwards.
        local items = {}
        for i = 1, 3000 do
            items[i] = ('{"k%d":[%d,"x",{"y":null}]}'):format(i, i)
        end
        local text = '{"id":"evt_big","a":[' .. table.concat(items, ",") ..
            ']}'
        local body, headers = payhook.stripe.sign(text, TEXT_KEY,
                                                  { timestamp = NOW })
        local closed_during = 0
        for _ = 1, (T.quick and 2 or 6) do
            local d = assert(payhook.stripe.new(TEXT_KEY))
            local calling, r = false, nil
            -- T.with_finalisers leaves the collector mid-cycle with
            -- finalisers still to run, so the call's own allocations run
            -- them (a plain loop of finalisers left that to chance).
            local ok, err = T.with_finalisers(100, function()
                if calling then
                    d:close()
                    closed_during = closed_during + 1
                end
            end, function()
                calling = true
                r = d:verify(body, headers, NOW)
                calling = false
            end)
            calling = false
            if not ok then r = err end
            if ok then
                T.eq(r and r.event_id, "evt_big", "verified")
                T.eq(#r.payload.a, 3000, "the whole payload")
            else
                -- Closed by a finaliser that the call's own argument
                -- checks ran, before the call began: it raises, as a
                -- call on a closed decoder does.
                T.check(tostring(r):find("closed", 1, true),
                        "raised %s", tostring(r))
            end
            collectgarbage("collect")
            if tostring(d):find("closed", 1, true) then
                T.raises(d.verify, d, body, headers, NOW)
            end
            d:close()
        end
        T.check(closed_during > 0, "no finaliser ran during a call")
    end)

    -- ----------------------------------------------------------------
    -- Tables that finalisers change while a call reads them

    case("hostile finalisers: headers and expect changed mid-call",
         function()
        local body, headers = signed("stripe")
        local name, sig = only(headers, "stripe-signature")
        local items = {}
        for i = 1, 500 do items[i] = ('{"k%d":[%d,"x"]}'):format(i, i) end
        local text = '{"id":"e","a":[' .. table.concat(items, ",") .. ']}'
        local big, bheaders = payhook.stripe.sign(text, TEXT_KEY,
                                                  { timestamp = NOW })
        local _, bsig = only(bheaders, "stripe-signature")
        local victim, is_headers, during = nil, false, 0
        local function fin()
            if victim then
                during = during + 1
                for k in pairs(victim) do victim[k] = nil end
                if is_headers then
                    victim[name] = "t=1,v1=" .. string.rep("0", 64)
                    victim["x-extra"] = { tostring(during), "z" }
                else
                    victim.id = "e"
                    victim.a = "y" .. during
                end
            end
        end
        -- A collector that steps every few bytes of allocation, and
        -- finalisers armed so that the first has just run: the rest are
        -- due in the steps the call's own allocations make.
        local restore = T.small_gc_steps()
        local fired = 0
        local function arm(n)
            collectgarbage("stop")
            for _ = 1, n do
                local function f()
                    fired = fired + 1
                    fin()
                end
                if newproxy then
                    getmetatable(newproxy(true)).__gc = f
                else
                    setmetatable({}, { __gc = f })
                end
            end
            collectgarbage("restart")
            local before, guard = fired, 0
            while fired == before and guard < 1000000 do
                collectgarbage("step", 0)
                guard = guard + 1
            end
        end
        local rounds = T.quick and 48 or 160
        for i = 1, rounds do
            local h = { [name] = bsig, ["x-a"] = { "1", "2" },
                        ["x-b"] = "b" .. i }
            local expect = { id = "e", ["a"] = "x" .. i }
            local opts = { now = NOW, expect = expect }
            is_headers = i % 2 == 0
            arm(12 + (i * 7) % 50)
            victim = is_headers and h or expect
            local res = pack(pcall(payhook.stripe.verify, big, TEXT_KEY, h,
                                   opts))
            victim = nil
            T.check(res[1], "round %d raised: %s", i, tostring(res[2]))
            -- "a" is an array, not a scalar: a mismatch, whatever a
            -- finaliser did to the expected fields; a signature header
            -- changed before it was read is refused.
            T.check(res[4] == "FieldMismatchError" or
                    (is_headers and res[4] == "InvalidSignatureError"),
                    "round %d: %s %s", i, tostring(res[4]),
                    tostring(res[3]))
        end
        restore()
        collectgarbage("collect")
        T.check(during > 0, "no finaliser ran during a call")
        assert(payhook.stripe.verify(body, TEXT_KEY, { [name] = sig },
                                     { now = NOW }))
    end)

    -- ----------------------------------------------------------------
    -- Memory

    case("memory: many verifies, good and bad, do not grow the heap",
         function()
        local n = T.quick and 100 or 4000
        local body, headers = signed("stripe")
        local cbody, cheaders, ckey = signed(CHIP_PRIVATE and "chip" or
                                             "razorpay")
        local cname = CHIP_PRIVATE and "chip" or "razorpay"
        local d = assert(payhook.stripe.new(TEXT_KEY))
        local expect = { id = "evt_1" }
        local function round()
            for _ = 1, n / 4 do
                assert(d:verify(body, headers, NOW, expect))
                assert(not d:verify(body .. " ", headers, NOW))
                assert(payhook.stripe.verify(body, TEXT_KEY, headers,
                                             { now = NOW }))
                assert(not payhook.stripe.verify(body, OTHER_KEY, headers,
                                                 { now = NOW }))
                assert(payhook.verify(cname, cbody, ckey, cheaders))
                assert(payhook.stripe.sign({ id = "x" }, TEXT_KEY))
            end
        end
        round()
        collectgarbage("collect")
        collectgarbage("collect")
        local before = collectgarbage("count")
        round()
        collectgarbage("collect")
        collectgarbage("collect")
        local after = collectgarbage("count")
        T.check(after - before < 64, "Lua heap grew by %.1f KiB",
                after - before)
    end)
end
