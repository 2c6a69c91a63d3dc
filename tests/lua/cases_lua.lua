-- Lua-only cases: how values come back (null, arrays, integers, NUL bytes),
-- the nil, message, kind contract and what raises, prepared decoders,
-- memory, the version string, and the builders; then the hostile tables of
-- cases_hostile.lua.

local T = require "testlib"
local reader = require "json_reader"
local core = require "payhook.core"

local LEANX_KEY = "lx-KEY-3f1e9a7c5b2d4e6f8a0b1c2d3e4f5a6b"
local OTHER_KEY = "lx-OTHER-KEY-0000000000000000000000"
local SP_KEY = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"      -- the vendor sample's
local SP_HEX = "e4e9ac1120ed867a7af108af8b1ab918cbec6db7b4d7c29908085a73e2b29e97" ..
    "547da6eae91928b3330241f1fb898eebd8c3355105fdd5c68b6ceea761f41dc3" ..
    "085ed888d3c0473beef128ebd208c4f60299df64a622d04d21d81513c02e2d47" ..
    "bfcce2a6c246eabcc1c823aaf3d9133004cf7c4c08236395a05dc19a98c33a30" ..
    "1c8b73d4e7fd33cd911619de86dfdb45"
local SP_PLAIN = '{"data":{"paymentUrl":"https://api.gggpay.org/checkout/' ..
    'payment?orderId=4cdcd4e7a712071ef54f83780b8bbd40","transactionId":' ..
    '"10556"}}'
local SECRETS = { LEANX_KEY, OTHER_KEY, SP_KEY }

-- A token over exactly these JSON texts, signed by the core's signer.
local function token(payload_json, key, alg, header_json)
    alg = alg or "HS256"
    header_json = header_json or ('{"alg":"%s","typ":"JWT"}'):format(alg)
    return core.jwt_sign(header_json, payload_json, alg, key or LEANX_KEY)
end

-- An unsigned token with any header.
local function unsigned(header_json, payload_json, sig)
    return T.b64url(header_json) .. "." .. T.b64url(payload_json) .. "." ..
        (sig or "")
end

local function decode_json(payhook, json)
    -- JSON through the JWT path: the payload must be an object, so wrap.
    local v, msg, kind = payhook.jwt.decode(token('{"v":' .. json .. '}'),
                                            LEANX_KEY)
    if v == nil then return nil, msg, kind end
    return v.v
end

return function(payhook, root)
    local case = T.case
    local has_cjson, cjson = pcall(require, "cjson")

    -- ----------------------------------------------------------------
    -- Version: one string in VERSION, the C core and the rockspec

    case("version: payhook.version is the VERSION file", function()
        local want = assert(T.read_file(root .. "/VERSION")):match("^%s*(.-)%s*$")
        T.eq(payhook.version, want, "payhook.version")
        T.eq(payhook._VERSION, want, "payhook._VERSION")
        T.eq(core.version, want, "payhook.core.version")
    end)

    case("version: the rockspec agrees", function()
        local want = assert(T.read_file(root .. "/VERSION")):match("^%s*(.-)%s*$")
        local name = "payhook-" .. want .. "-1.rockspec"
        local spec = T.read_file(root .. "/" .. name)
        T.check(spec ~= nil, "%s not found", name)
        local env = {}
        local chunk = assert((loadstring or load)(spec, name, "t", env))
        if setfenv then setfenv(chunk, env) end
        chunk()
        T.eq(env.version, want .. "-1", "rockspec version")
        T.eq(env.package, "payhook", "rockspec package")
        local defines = env.build.modules["payhook.core"].defines
        local found = false
        for _, d in ipairs(defines) do
            if d == ('PH_VERSION="%s"'):format(want) then found = true end
        end
        T.check(found, "rockspec defines PH_VERSION=\"%s\"", want)
        -- Its sources are exactly the C files of csrc/ and bindings/lua/.
        local listed, on_disk = {}, {}
        for _, src in ipairs(env.build.modules["payhook.core"].sources) do
            listed[#listed + 1] = src
        end
        for _, dir in ipairs { "csrc", "bindings/lua" } do
            local p = io.popen('cd "' .. root .. '" && ls ' .. dir .. '/*.c')
            for line in p:lines() do on_disk[#on_disk + 1] = line end
            p:close()
        end
        table.sort(listed)
        table.sort(on_disk)
        T.eq(table.concat(listed, " "), table.concat(on_disk, " "),
             "rockspec sources")
    end)

    -- ----------------------------------------------------------------
    -- What comes back

    case("null: payhook.null is a lightuserdata NULL", function()
        T.eq(type(payhook.null), "userdata", "type")
        T.eq(core.null, payhook.null, "core.null")
        if has_cjson then
            T.check(rawequal(payhook.null, cjson.null), "equals cjson.null")
        end
    end)

    case("null: a member whose value is null is kept", function()
        local v = assert(decode_json(payhook, '{"a":null,"b":[null,1,null]}'))
        T.eq(v.a, payhook.null, "v.a")
        local n = 0
        for k in pairs(v) do n = n + 1 end
        T.eq(n, 2, "member count")
        T.eq(#v.b, 3, "#v.b")
        T.eq(v.b[1], payhook.null, "v.b[1]")
        T.eq(v.b[3], payhook.null, "v.b[3]")
    end)

    case("arrays: every array, empty ones included, has array_mt", function()
        local v = assert(decode_json(payhook,
            '{"e":[],"a":[1,[2,[]],{"x":[]}],"o":{}}'))
        T.eq(getmetatable(v.e), payhook.array_mt, "empty array")
        T.eq(getmetatable(v.a), payhook.array_mt, "array")
        T.eq(getmetatable(v.a[2]), payhook.array_mt, "nested array")
        T.eq(getmetatable(v.a[2][2]), payhook.array_mt, "nested empty")
        T.eq(getmetatable(v.a[3].x), payhook.array_mt, "array in object")
        T.eq(getmetatable(v.o), nil, "empty object")
        T.eq(getmetatable(v), nil, "object")
        T.eq(payhook.array_mt.__jsontype, "array", "__jsontype")
    end)

    case("arrays: they stay arrays when encoded again", function()
        local text = '{"a":[1,2,[3]],"e":[],"n":[[]],"o":{}}'
        local v = assert(decode_json(payhook, text))
        -- payhook's own encoder honours the metatable.
        T.eq(core.json_encode(v), text, "payhook re-encode")
        local has_dkjson, dkjson = pcall(require, "dkjson")
        if has_dkjson then
            -- dkjson honours __jsontype = "array", as payhook.array_mt has.
            T.eq(dkjson.encode(v.e), "[]", "dkjson.encode of []")
            T.eq(dkjson.encode(v.n), "[[]]", "dkjson.encode of [[]]")
            T.eq(dkjson.encode(v.a), "[1,2,[3]]", "dkjson.encode of an array")
            -- (dkjson writes any other empty table as [], objects
            -- included: that is its default, not payhook's doing.)
        end
        if has_cjson then
            -- Non-empty arrays are sequences to any lua-cjson.
            T.eq(cjson.encode(v.a), "[1,2,[3]]", "cjson.encode of an array")
            if type(cjson.array_mt) == "table" then
                -- OpenResty's lua-cjson: its array_mt is payhook's.
                T.eq(cjson.encode(v.e), "[]", "cjson.encode of []")
                T.eq(cjson.encode(v.n), "[[]]", "cjson.encode of [[]]")
            else
                -- Debian's lua-cjson 2.1.0 has no array metatable at all,
                -- so an empty table is {} to it whatever payhook does;
                -- what payhook can do is tag it, checked above, and use
                -- cjson.array_mt where it exists, checked below.
                T.eq(cjson.encode(v.o), "{}", "cjson.encode of {}")
            end
        end
    end)

    case("arrays: payhook adopts OpenResty's cjson.array_mt", function()
        -- The facade is loaded again with a stand-in for OpenResty's
        -- lua-cjson, whose encoder recognises only its own array_mt.
        local saved_cjson, saved_payhook = package.loaded.cjson,
            package.loaded.payhook
        local original = core.array_mt
        local fake = { array_mt = {}, null = core.null }
        package.loaded.cjson = fake
        package.loaded.payhook = nil
        local ok, err = pcall(function()
            local p2 = require "payhook"
            T.check(rawequal(p2.array_mt, fake.array_mt), "adopted")
            T.eq(fake.array_mt.__jsontype, "array", "__jsontype set")
            local v = assert(p2.jwt.decode(token('{"e":[]}'), LEANX_KEY))
            T.check(rawequal(getmetatable(v.e), fake.array_mt),
                    "decoded arrays use it")
            T.eq(core.json_encode(v), '{"e":[]}', "re-encode")
        end)
        package.loaded.cjson = saved_cjson
        package.loaded.payhook = saved_payhook
        core.set_array_mt(original)
        T.check(ok, "%s", tostring(err))
        local v = assert(payhook.jwt.decode(token('{"e":[]}'), LEANX_KEY))
        T.check(rawequal(getmetatable(v.e), payhook.array_mt), "restored")
    end)

    case("numbers: integers, floats and big integers", function()
        local v = assert(decode_json(payhook,
            '[0,-0,1,-1,9007199254740993,9223372036854775807,' ..
            '-9223372036854775808,9223372036854775808,1.0,-0.0,1e2,1.5E-3,' ..
            '123456789012345678901234567890,1e-400]'))
        if T.has_integers then
            for i, want in ipairs { 0, 0, 1, -1, 9007199254740993,
                                    math.maxinteger, math.mininteger } do
                T.eq(math.type(v[i]), "integer", "type of element " .. i)
                T.eq(v[i], want, "element " .. i)
            end
            for i = 8, 14 do
                T.eq(math.type(v[i]), "float", "type of element " .. i)
            end
            T.eq(v[8], 2.0 ^ 63, "2^63 as a float")
        else
            T.eq(v[5], 9007199254740992, "2^53 + 1 rounds to a double")
            T.eq(v[6], 2 ^ 63, "int64 max as a double")
            T.eq(v[7], -2 ^ 63, "int64 min")
        end
        T.eq(v[9], 1.0, "1.0")
        T.eq(1 / v[10], -1 / 0, "-0.0 keeps its sign")
        T.eq(v[11], 100, "1e2")
        T.eq(v[12], 0.0015, "1.5E-3")
        T.check(math.abs(v[13] - 1.2345678901234568e29) < 1e14, "big int")
        T.eq(v[14], 0, "1e-400 underflows to zero, as in json.loads")
        T.eq(v[15], nil, "nothing past the last element")
    end)

    -- A finite literal whose nearest double is infinite is refused, never
    -- returned as math.huge; exact_numbers returns it as its text.
    local SP_BAD_PADDING = payhook.superpay.decode(SP_HEX:sub(1, -3) .. "00",
                                                   SP_KEY)
    local _, SP_MESSAGE = payhook.superpay.decode(SP_HEX:sub(1, -3) .. "00",
                                                  SP_KEY)

    case("numbers: a float literal that overflows is a DecodeError", function()
        T.eq(SP_BAD_PADDING, nil, "bad padding")
        for _, lit in ipairs { "1e400", "-1e400", "1.8e308", "-17976931348623159e292",
                               "0.1e310", "1" .. ("0"):rep(400) .. ".0",
                               -- an integer written out past the double
                               -- range is just as finite and just as wrong
                               -- as math.huge
                               "1" .. ("0"):rep(400),
                               "-1" .. ("0"):rep(400) } do
            local json = '{"n":' .. lit .. ',"a":[1,{"x":' .. lit .. '}]}'
            local tok = token(json)
            T.bad("DecodeError", SECRETS, payhook.jwt.decode(tok, LEANX_KEY))
            T.bad("DecodeError", SECRETS, payhook.jwt.new(LEANX_KEY):decode(tok))
            T.bad("DecodeError", SECRETS, payhook.leanx.decode(
                '{"data":"' .. tok .. '"}', LEANX_KEY))
            T.bad("DecodeError", SECRETS, payhook.leanx.new(LEANX_KEY):decode(tok))
            T.bad("DecodeError", SECRETS, decode_json(payhook, "[" .. lit .. "]"))
            -- SuperPay: the one decryption error, with the one message.
            local hex = assert(payhook.superpay.encrypt(json, SP_KEY))
            local msg = T.bad("DecryptionError", SECRETS,
                              payhook.superpay.decode(hex, SP_KEY))
            T.eq(msg, SP_MESSAGE, "the bad-padding message")
            msg = T.bad("DecryptionError", SECRETS,
                        payhook.superpay.new(SP_KEY):decode(hex))
            T.eq(msg, SP_MESSAGE, "the bad-padding message (decoder)")
        end
        -- The largest finite double still decodes.
        local v = assert(decode_json(payhook, "[1.7976931348623157e308,-1e308]"))
        T.eq(v[1], 1.7976931348623157e308, "DBL_MAX")
        T.eq(v[2], -1e308, "-1e308")
        -- The refusal says what to do and names no input.
        local _, msg = payhook.jwt.decode(token('{"n":1e400}'), LEANX_KEY)
        T.check(msg:find("exact_numbers", 1, true), "message: %s", msg)
        T.check(not msg:find("1e400", 1, true), "message echoes input: %s", msg)
    end)

    case("numbers: claim checks come before the refusal", function()
        local now = 1700000000
        T.bad("ExpiredSignatureError", SECRETS, payhook.jwt.decode(
            token('{"exp":' .. (now - 10) .. ',"big":1e400}'), LEANX_KEY,
            { now = now }))
        T.bad("InvalidIssuedAtError", SECRETS, payhook.jwt.decode(
            token('{"iat":1e400}'), LEANX_KEY, { now = now }))
        T.bad("DecodeError", SECRETS, payhook.jwt.decode(
            token('{"exp":' .. (now + 10) .. ',"big":-1e400}'), LEANX_KEY,
            { now = now }))
    end)

    case("numbers: exact_numbers returns what a Lua number cannot hold",
         function()
        local lits = {
            "1e400", "-1e400", "9007199254740992", "-9007199254740992",
            "9007199254740993", "-9007199254740993", "9007199254740994",
            "9223372036854775807", "-9223372036854775808",
            "9223372036854775808", "-9223372036854775809",
            "123456789012345678901234567890", "1" .. ("0"):rep(400),
            "0.1", "1e2", "1e-400", "2.5", "42", "1" .. ("0"):rep(400) .. ".0",
        }
        local json = "[" .. table.concat(lits, ",") .. "]"
        local exact = { exact_numbers = true }
        local tok = token('{"v":' .. json .. '}')
        local results = {
            payhook.jwt.decode(tok, LEANX_KEY, exact).v,
            payhook.jwt.new(LEANX_KEY, exact):decode(tok).v,
            payhook.leanx.decode(tok, LEANX_KEY, exact).v,
            payhook.leanx.new(LEANX_KEY, exact):decode(tok).v,
        }
        local hex = assert(payhook.superpay.encrypt('{"v":' .. json .. '}', SP_KEY))
        results[5] = payhook.superpay.decode(hex, SP_KEY, exact).v
        results[6] = payhook.superpay.new(SP_KEY, exact):decode(hex).v
        -- Which literals come back as text: past int64 in Lua 5.4, past
        -- 2^53 in LuaJIT, and overflowing literals in both.
        local as_text = {}
        for _, lit in ipairs { "1e400", "-1e400", "9223372036854775808",
                               "-9223372036854775809",
                               "123456789012345678901234567890",
                               "1" .. ("0"):rep(400),
                               "1" .. ("0"):rep(400) .. ".0" } do
            as_text[lit] = true
        end
        if not T.has_integers then
            for _, lit in ipairs { "9007199254740993", "-9007199254740993",
                                   "9007199254740994", "9223372036854775807",
                                   "-9223372036854775808" } do
                as_text[lit] = true
            end
        end
        for r, v in ipairs(results) do
            T.eq(#v, #lits, "result " .. r .. " length")
            for i, lit in ipairs(lits) do
                local what = ("result %d, %s"):format(r, lit:sub(1, 30))
                if as_text[lit] then
                    T.eq(v[i], lit, what)
                else
                    T.eq(type(v[i]), "number", what)
                    T.eq(v[i], tonumber(lit), what)
                    if T.has_integers then
                        T.eq(math.type(v[i]), lit:match("^-?%d+$") and
                             "integer" or "float", what .. " subtype")
                    end
                end
            end
        end
        if T.has_integers then
            T.eq(results[1][5], 9007199254740993, "2^53 + 1 is exact in 5.4")
        else
            T.eq(results[1][3], 2 ^ 53, "2^53 is exact in LuaJIT")
        end
        -- Off (the default) and false are the same.
        local off = payhook.jwt.decode(token('{"v":[9223372036854775808,' ..
            '9007199254740993]}'), LEANX_KEY, { exact_numbers = false }).v
        T.eq(off[1], 2 ^ 63, "rounded without exact_numbers")
        if T.has_integers then
            T.eq(math.type(off[1]), "float", "a float")
            T.eq(off[2], 9007199254740993, "exact integer")
        else
            T.eq(off[2], 2 ^ 53, "rounded to 2^53")
        end
        -- The claims are checked on the literal, whatever comes back.
        T.eq(payhook.jwt.decode(token('{"exp":1' .. ("0"):rep(30) .. '}'),
             LEANX_KEY, exact).exp, "1" .. ("0"):rep(30), "exp as text")
        -- Only functions that decode JSON take it, and it is a boolean.
        T.raises(payhook.superpay.decrypt, SP_HEX, SP_KEY, nil, exact)
        T.raises(payhook.jwt.decode, tok, LEANX_KEY, { exact_numbers = 1 })
        T.raises(payhook.superpay.new, SP_KEY, { exact_numbers = "yes" })
    end)

    case("numbers: float literals convert exactly", function()
        local lits = { "0.1", "2.5", "-3.75e10", "1.7976931348623157e308",
                       "5e-324", "4.9406564584124654e-324", "0.30000000000000004" }
        local v = assert(decode_json(payhook, "[" .. table.concat(lits, ",") .. "]"))
        for i, lit in ipairs(lits) do
            T.eq(v[i], tonumber(lit), lit)
        end
    end)

    case("numbers: a float survives a non-C numeric locale", function()
        local loc = os.setlocale("de_DE.UTF-8", "numeric") or
            os.setlocale("de_DE.utf8", "numeric")
        if not loc then
            io.stdout:write("     (no de_DE locale here: checked in C only)\n")
            return
        end
        local ok, err = pcall(function()
            local v = assert(decode_json(payhook, "[1.5,2.25e1]"))
            T.eq(v[1], 3 / 2, "1.5 under " .. loc)
            T.eq(v[2], 22.5, "2.25e1 under " .. loc)
            T.eq(core.json_encode({ 1.5 }), "[1.5]", "encode 1.5")
        end)
        os.setlocale("C", "numeric")
        T.check(ok, "%s", tostring(err))
    end)

    case("strings: NUL bytes and UTF-8 are kept", function()
        local v = assert(decode_json(payhook,
            '{"s":"a\\u0000b","k\\u0000":1,"u":"\\u00e9\\ud83d\\ude00",' ..
            '"raw":"\xc3\xa9"}'))
        T.eq(v.s, "a\0b", "string with NUL")
        T.eq(#v.s, 3, "length")
        T.eq(v["k\0"], 1, "name with NUL")
        T.eq(v.u, "\xc3\xa9\xf0\x9f\x98\x80", "escapes to UTF-8")
        T.eq(v.raw, "\xc3\xa9", "raw UTF-8")
    end)

    case("duplicate names: the last one wins", function()
        local v = assert(decode_json(payhook, '{"a":1,"a":[2]}'))
        T.eq(v.a[1], 2, "a")
    end)

    case("depth: 128 levels decode, 129 do not", function()
        local ok = assert(decode_json(payhook,
            string.rep("[", 127) .. string.rep("]", 127)))
        T.eq(getmetatable(ok), payhook.array_mt, "deep array")
        T.bad("DecodeError", SECRETS, decode_json(payhook,
            string.rep("[", 128) .. string.rep("]", 128)))
        T.bad("DecodeError", SECRETS, decode_json(payhook,
            string.rep('{"a":', 10000) .. "1" .. string.rep("}", 10000)))
    end)

    -- ----------------------------------------------------------------
    -- SuperPay

    case("superpay: the vendor sample decodes to transactionId 10556",
         function()
        local body = '{\n "encryptedData": "' .. SP_HEX .. '"\n}'
        local v = assert(payhook.superpay.decode(body, SP_KEY))
        T.eq(v.data.transactionId, "10556", "transactionId")
        T.eq(v.data.paymentUrl:sub(1, 22), "https://api.gggpay.org", "url")
        T.eq(payhook.superpay.new(SP_KEY):decode(body).data.transactionId,
             "10556", "prepared")
        T.eq(payhook.superpay.decode(SP_HEX:upper(), SP_KEY).data.transactionId,
             "10556", "bare upper-case hex")
        T.eq(payhook.superpay.decrypt(SP_HEX, SP_KEY), SP_PLAIN, "decrypt")
    end)

    case("superpay: encrypt and decode round trip", function()
        local payload = { message = "Success", data = {
            status = "SUCCESS", transaction = { id = 10025, amountWithdraw = 0 },
            order = { id = "10006", amount = "1", currencyType = "MYR" },
            recipient = { name = "Long Wan", methodRef = payhook.null },
            tags = setmetatable({}, payhook.array_mt) } }
        local hex = assert(payhook.superpay.encrypt(payload, SP_KEY))
        T.check(hex:match("^[0-9a-f]+$") and #hex % 32 == 0, "hex")
        local v = assert(payhook.superpay.decode(
            '{"encryptedData":"' .. hex .. '"}', SP_KEY))
        T.eq(v.data.transaction.id, 10025, "id")
        T.eq(v.data.recipient.methodRef, payhook.null, "null member")
        T.eq(getmetatable(v.data.tags), payhook.array_mt, "empty array")
        local sp = payhook.superpay.new(SP_KEY)
        T.eq(sp:decrypt(sp:encrypt("raw \0 bytes")), "raw \0 bytes", "bytes")
        T.eq(payhook.superpay.encrypt(SP_PLAIN, SP_KEY), SP_HEX,
             "the vendor's ciphertext from its plaintext")
    end)

    case("superpay: every bad ciphertext fails the same way", function()
        local function flip(hex, pos)
            local c = hex:sub(pos, pos)
            return hex:sub(1, pos - 1) .. (c == "0" and "1" or "0") ..
                hex:sub(pos + 1)
        end
        local bad = {
            flip(SP_HEX, #SP_HEX),                      -- padding
            flip(SP_HEX, #SP_HEX - 40),                 -- last block
            flip(SP_HEX, 1),                            -- first block: not JSON
            SP_HEX:sub(1, -33),                         -- one block less
            SP_HEX:sub(1, -2),                          -- odd length
            SP_HEX:sub(1, -3) .. "zz",                  -- not hex
            "",                                         -- empty
            payhook.superpay.encrypt("[1,2]", SP_KEY),  -- not an object
            payhook.superpay.encrypt("not json", SP_KEY),
        }
        local messages = {}
        for i, hex in ipairs(bad) do
            local msg = T.bad("DecryptionError", SECRETS,
                payhook.superpay.decode('{"encryptedData":"' .. hex .. '"}',
                                        SP_KEY))
            messages[msg] = true
        end
        T.bad("DecryptionError", SECRETS, payhook.superpay.decode(SP_HEX,
            "QCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"))
        local n = 0
        for _ in pairs(messages) do n = n + 1 end
        T.eq(n, 1, "distinct messages")
    end)

    case("superpay: keys, IVs, bodies and sizes", function()
        T.bad("InvalidKeyError", SECRETS, payhook.superpay.decode(SP_HEX, "short"))
        T.bad("InvalidKeyError", SECRETS, payhook.superpay.new(SP_KEY .. "x"))
        T.bad("InvalidKeyError", SECRETS, payhook.superpay.encrypt("x", ""))
        T.bad("InvalidKeyError", SECRETS,
              payhook.superpay.decrypt(SP_HEX, SP_KEY, "short iv"))
        T.bad("InvalidKeyError", SECRETS,
              payhook.superpay.new(SP_KEY):decrypt(SP_HEX, string.rep("i", 17)))
        T.bad("DecodeError", SECRETS, payhook.superpay.decode('{"data":1}', SP_KEY))
        T.bad("DecodeError", SECRETS, payhook.superpay.decode(
            '{"encryptedData":"' .. SP_HEX .. '","encryptedData":"00"}', SP_KEY))
        T.bad("PayloadTooLargeError", SECRETS,
              payhook.superpay.decode(SP_HEX, SP_KEY, { max_bytes = 64 }))
        T.bad("PayloadTooLargeError", SECRETS,
              payhook.superpay.new(SP_KEY, { max_bytes = 10 }):decode(SP_HEX))
        T.bad("PayloadTooLargeError", SECRETS,
              payhook.superpay.decrypt(SP_HEX, SP_KEY, nil, { max_bytes = 10 }))
        -- An explicit IV equal to MD5(key) is the default one.
        local iv = payhook.superpay.decrypt(
            payhook.superpay.encrypt(string.rep("\16", 16), SP_KEY), SP_KEY)
        T.eq(#iv, 16, "plaintext length")
    end)

    -- ----------------------------------------------------------------
    -- LeanX and JWT

    local PAYLOAD = '{"output":{"invoice_no":"17254613886HGPiuRu",' ..
        '"error_description":[],"client_transaction_details":null,' ..
        '"amount":"13.00","invoice_status_id":2}}'

    case("leanx: body, bare token and whitespace", function()
        local tok = token(PAYLOAD)
        local body = '{"data": "' .. tok .. '", "response_code": 2100}'
        local v = assert(payhook.leanx.decode(body, LEANX_KEY))
        T.eq(v.output.invoice_no, "17254613886HGPiuRu", "invoice_no")
        T.eq(getmetatable(v.output.error_description), payhook.array_mt, "[]")
        T.eq(v.output.client_transaction_details, payhook.null, "null")
        T.eq(v.output.invoice_status_id, 2, "integer")
        T.eq(payhook.leanx.decode(" \n" .. tok .. "\r\n", LEANX_KEY).output.amount,
             "13.00", "bare token")
        local d = payhook.leanx.new(LEANX_KEY)
        for _ = 1, 3 do
            T.eq(d:decode(body).output.amount, "13.00", "prepared, reused")
        end
    end)

    case("leanx: forged and malformed bodies", function()
        local tok = token(PAYLOAD)
        local h, p, s = tok:match("^([^.]*)%.([^.]*)%.([^.]*)$")
        local other = token('{"output":{"invoice_no":"X","amount":"99999.00"}}')
        local _, p2 = other:match("^([^.]*)%.([^.]*)%.")
        local cases = {
            { "InvalidSignatureError", token(PAYLOAD, OTHER_KEY) },
            { "InvalidSignatureError", h .. "." .. p2 .. "." .. s },
            { "InvalidSignatureError", h .. "." .. p .. "." .. s:sub(1, -2) .. (s:sub(-1) == "A" and "Q" or "A") },
            { "InvalidAlgorithmError", unsigned('{"alg":"none","typ":"JWT"}', PAYLOAD) },
            { "InvalidAlgorithmError", unsigned('{"alg":"None"}', PAYLOAD, s) },
            { "InvalidAlgorithmError", unsigned('{"alg":"NONE"}', PAYLOAD, s) },
            { "InvalidAlgorithmError", unsigned('{"typ":"JWT"}', PAYLOAD, s) },
            { "InvalidAlgorithmError", token(PAYLOAD, LEANX_KEY, "HS512") },
            { "DecodeError", unsigned('{"alg":"HS256","crit":["b64"]}', PAYLOAD, s) },
            { "DecodeError", h .. "." .. p },
            { "DecodeError", h .. "=." .. p .. "." .. s },
            { "DecodeError", "not a token" },
            { "DecodeError", "" },
            { "DecodeError", token("[1]") },
            { "DecodeError", token('{"a":1') },
        }
        for i, c in ipairs(cases) do
            local body = '{"data":"' .. c[2] .. '","response_code":2100}'
            local ok, err = pcall(T.bad, c[1], SECRETS,
                                  payhook.leanx.decode(body, LEANX_KEY))
            T.check(ok, "case %d: %s", i, tostring(err))
            -- The attacker's signature never shows up in a message.
            local _, msg = payhook.leanx.decode(body, LEANX_KEY)
            T.check(not msg:find(s, 1, true), "case %d echoes the signature", i)
        end
        T.bad("DecodeError", SECRETS, payhook.leanx.decode('{"response_code":2100}', LEANX_KEY))
        T.bad("DecodeError", SECRETS, payhook.leanx.decode('{"data":"' .. tok ..
              '","data":"' .. tok .. '"}', LEANX_KEY))
        T.bad("DecodeError", SECRETS, payhook.leanx.decode('{"data":1}', LEANX_KEY))
        T.bad("InvalidKeyError", SECRETS, payhook.leanx.decode(tok, ""))
        T.bad("InvalidKeyError", SECRETS, payhook.leanx.new(""))
        T.bad("PayloadTooLargeError", SECRETS,
              payhook.leanx.decode(tok, LEANX_KEY, { max_bytes = 20 }))
    end)

    case("leanx: the vendor's sample token parses but never verifies",
         function()
        local vendor = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJvdXRwdXQiOnsia" ..
            "W52b2ljZV9ubyI6IjEifX0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        T.bad("InvalidSignatureError", SECRETS, payhook.leanx.decode(vendor, LEANX_KEY))
    end)

    case("jwt: key rotation", function()
        local tok = token('{"a":1}', OTHER_KEY)
        T.eq(payhook.jwt.decode(tok, { LEANX_KEY, OTHER_KEY }).a, 1, "second key")
        T.eq(payhook.jwt.new({ OTHER_KEY }):decode(tok).a, 1, "one-key list")
        T.bad("InvalidSignatureError", SECRETS, payhook.jwt.decode(tok, { LEANX_KEY }))
        T.bad("InvalidKeyError", SECRETS, payhook.jwt.decode(tok, {}))
        T.bad("InvalidKeyError", SECRETS, payhook.jwt.decode(tok, { OTHER_KEY, "" }))
        local many = {}
        for i = 1, 16 do many[i] = "key-" .. i end
        many[16] = OTHER_KEY
        T.eq(payhook.jwt.decode(tok, many).a, 1, "16 keys")
        many[17] = "key-17"
        T.bad("InvalidKeyError", SECRETS, payhook.jwt.decode(tok, many))
    end)

    case("jwt: algorithms", function()
        for _, alg in ipairs { "HS256", "HS384", "HS512" } do
            local tok = assert(payhook.jwt.encode({ a = alg }, LEANX_KEY, alg))
            T.eq(T.b64url_decode(tok:match("^[^.]*")),
                 ('{"alg":"%s","typ":"JWT"}'):format(alg), "header")
            T.eq(payhook.jwt.decode(tok, LEANX_KEY, { algorithms = { alg } }).a,
                 alg, alg)
            T.eq(payhook.jwt.decode(tok, LEANX_KEY,
                { algorithms = { "HS256", "HS384", "HS512" } }).a, alg, "any")
            if alg ~= "HS256" then
                T.bad("InvalidAlgorithmError", SECRETS, payhook.jwt.decode(tok, LEANX_KEY))
                T.bad("InvalidAlgorithmError", SECRETS, payhook.leanx.decode(tok, LEANX_KEY))
            end
        end
    end)

    case("jwt: registered claims", function()
        local now = 1700000000
        local function tk(claims)
            return assert(payhook.jwt.encode(claims, LEANX_KEY))
        end
        local d = payhook.jwt.decode
        T.eq(d(tk { exp = now + 10 }, LEANX_KEY, { now = now }).exp, now + 10, "exp ok")
        T.bad("ExpiredSignatureError", SECRETS, d(tk { exp = now }, LEANX_KEY, { now = now }))
        T.eq(d(tk { exp = now }, LEANX_KEY, { now = now, leeway = 5 }).exp, now, "leeway")
        T.bad("ImmatureSignatureError", SECRETS, d(tk { nbf = now + 60 }, LEANX_KEY, { now = now }))
        T.bad("ImmatureSignatureError", SECRETS, d(tk { iat = now + 60 }, LEANX_KEY, { now = now }))
        T.bad("InvalidIssuedAtError", SECRETS, d(tk { iat = "soon" }, LEANX_KEY, { now = now }))
        T.bad("DecodeError", SECRETS, d(tk { exp = "123" }, LEANX_KEY, { now = now }))
        T.eq(d(tk { exp = now - 1 }, LEANX_KEY, { now = now, verify_exp = false }).exp,
             now - 1, "verify_exp = false")
        T.bad("InvalidAudienceError", SECRETS, d(tk { aud = "shop" }, LEANX_KEY))
        T.eq(d(tk { aud = "shop" }, LEANX_KEY, { audience = "shop" }).aud, "shop", "aud")
        T.eq(d(tk { aud = { "a", "shop" } }, LEANX_KEY, { audience = { "x", "shop" } }).aud[2],
             "shop", "aud list")
        T.bad("InvalidAudienceError", SECRETS, d(tk { aud = { "a", "shop" } }, LEANX_KEY,
              { audience = "shop", strict_aud = true }))
        T.bad("MissingRequiredClaimError", SECRETS, d(tk { a = 1 }, LEANX_KEY, { audience = "shop" }))
        T.bad("InvalidIssuerError", SECRETS, d(tk { iss = "eve" }, LEANX_KEY, { issuer = "leanx" }))
        T.eq(d(tk { iss = "leanx" }, LEANX_KEY, { issuer = { "a", "leanx" } }).iss, "leanx", "iss")
        T.bad("InvalidSubjectError", SECRETS, d(tk { sub = "a" }, LEANX_KEY, { subject = "b" }))
        T.bad("InvalidSubjectError", SECRETS, d(tk { sub = 5 }, LEANX_KEY))
        T.bad("InvalidJTIError", SECRETS, d(tk { jti = 5 }, LEANX_KEY))
        T.eq(d(tk { jti = 5 }, LEANX_KEY, { verify_jti = false }).jti, 5, "verify_jti")
        T.bad("MissingRequiredClaimError", SECRETS, d(tk { a = 1 }, LEANX_KEY, { require = { "exp" } }))
        -- now for a prepared decoder is an argument of decode.
        local dec = payhook.jwt.new(LEANX_KEY, { leeway = 1 })
        T.eq(dec:decode(tk { exp = now }, now - 0.5).exp, now, "decoder now")
        T.bad("ExpiredSignatureError", SECRETS, dec:decode(tk { exp = now }, now + 1))
        -- Default now: the current time, with sub-second precision.
        T.bad("ExpiredSignatureError", SECRETS, d(tk { exp = os.time() - 5 }, LEANX_KEY))
        T.eq(d(tk { exp = os.time() + 60 }, LEANX_KEY).a, nil, "current time")
        T.eq(payhook.leanx.decode(tk { exp = now }, LEANX_KEY,
             { now = now - 100, leeway = 0 }).exp, now, "leanx options")
    end)

    -- ----------------------------------------------------------------
    -- Misuse raises

    case("misuse: wrong argument types raise", function()
        local tok = token('{"a":1}')
        local calls = {
            { payhook.leanx.decode, nil, LEANX_KEY },
            { payhook.leanx.decode, 42, LEANX_KEY },
            { payhook.leanx.decode, tok, 42 },
            { payhook.leanx.decode, tok, { 42 } },
            { payhook.leanx.decode, tok, LEANX_KEY, "opts" },
            { payhook.jwt.decode, {}, LEANX_KEY },
            { payhook.jwt.decode, tok },
            { payhook.superpay.decode, SP_HEX, nil },
            { payhook.superpay.decode, SP_HEX, { SP_KEY } },
            { payhook.superpay.decrypt, SP_HEX, SP_KEY, 16 },
            { payhook.superpay.encrypt, 5, SP_KEY },
            { payhook.superpay.encrypt, "x", 5 },
            { payhook.jwt.encode, "x", LEANX_KEY },
            { payhook.jwt.encode, { a = 1 }, nil },
            { payhook.jwt.encode, { a = 1 }, LEANX_KEY, "none" },
            { payhook.jwt.encode, { a = 1 }, LEANX_KEY, "RS256" },
            { payhook.jwt.new, 5 },
            { payhook.superpay.new, nil },
        }
        for i, c in ipairs(calls) do
            local ok = pcall(c[1], c[2], c[3], c[4])
            T.check(not ok, "call %d did not raise", i)
        end
        local dec = payhook.leanx.new(LEANX_KEY)
        T.raises(dec.decode, dec, 5)
        T.raises(dec.decode, dec, tok, "now")
        T.raises(dec.decode, dec, tok, 0 / 0)
        T.raises(dec.decode, payhook.superpay.new(SP_KEY), tok)
        T.raises(payhook.superpay.new(SP_KEY).decode, dec, tok)
    end)

    case("misuse: bad options raise", function()
        local tok = token('{"a":1}')
        local bad = {
            { bogus = 1 },
            { [1] = "HS256" },
            { algorithms = "HS256" },
            { algorithms = {} },
            { algorithms = { "none" } },
            { algorithms = { "HS256", "RS256" } },
            { algorithms = { "hs256" } },
            { leeway = -1 },
            { leeway = "5" },
            { leeway = 1 / 0 },
            { now = "now" },
            { max_bytes = -1 },
            { max_bytes = 1.5 },
            { audience = 5 },
            { audience = { "a", 5 } },
            { issuer = true },
            { subject = { "a" } },
            { require = { "exp", "foo" } },
            { require = "exp" },
            { strict_aud = "yes" },
            { verify_exp = 0 },
            { verify_signature = false },
        }
        for i, opts in ipairs(bad) do
            T.check(not pcall(payhook.jwt.decode, tok, LEANX_KEY, opts),
                    "jwt.decode options %d did not raise", i)
            if opts.now == nil then
                T.check(not pcall(payhook.jwt.new, LEANX_KEY, opts),
                        "jwt.new options %d did not raise", i)
            end
        end
        T.check(payhook.jwt.decode(tok, LEANX_KEY, { verify_signature = true }),
                "verify_signature = true is accepted")
        -- Options of other functions.
        T.raises(payhook.leanx.decode, tok, LEANX_KEY, { audience = "x" })
        T.raises(payhook.leanx.decode, tok, LEANX_KEY, { algorithms = { "HS256" } })
        T.raises(payhook.leanx.new, LEANX_KEY, { now = 5 })
        T.raises(payhook.jwt.new, LEANX_KEY, { now = 5 })
        T.raises(payhook.superpay.decode, SP_HEX, SP_KEY, { leeway = 1 })
        T.raises(payhook.superpay.new, SP_KEY, { now = 1 })
        -- The message names the option.
        local msg = T.raises(payhook.jwt.decode, tok, LEANX_KEY, { algorithms = { "none" } })
        T.check(msg:find("algorithms", 1, true), "message: %s", msg)
        msg = T.raises(payhook.jwt.decode, tok, LEANX_KEY, { verfy_exp = false })
        T.check(msg:find("verfy_exp", 1, true), "message: %s", msg)
    end)

    case("misuse: values JSON cannot carry raise in the builders", function()
        local cyclic = {}
        cyclic.self = cyclic
        local bad = {
            { f = print },
            { n = 0 / 0 },
            { n = 1 / 0 },
            { s = "\xff" },
            { s = "\xed\xa0\x80" },                 -- a surrogate
            cyclic,
            { [1] = 1, x = 2 },                     -- mixed keys
            { [true] = 1 },
            { ["k\0"] = 1 },
            { u = io.stdout },
            { c = coroutine.create(print) },
        }
        for i, v in ipairs(bad) do
            T.check(not pcall(payhook.jwt.encode, v, LEANX_KEY),
                    "jwt.encode value %d did not raise", i)
            T.check(not pcall(payhook.superpay.encrypt, v, SP_KEY),
                    "superpay.encrypt value %d did not raise", i)
        end
        T.raises(payhook.jwt.encode, { 1, 2 }, LEANX_KEY)   -- an array
        T.raises(payhook.jwt.encode, setmetatable({}, payhook.array_mt), LEANX_KEY)
        local deep = {}
        local t = deep
        for _ = 1, 200 do t.x = {}; t = t.x end
        T.raises(payhook.jwt.encode, deep, LEANX_KEY)
    end)

    case("builders: JSON text of Lua values", function()
        local enc = core.json_encode
        T.eq(enc({}), "{}", "empty table")
        T.eq(enc(setmetatable({}, payhook.array_mt)), "[]", "empty array")
        T.eq(enc({ 1, "a", true, payhook.null }), '[1,"a",true,null]', "sequence")
        T.eq(enc(setmetatable({ payhook.null, 2 }, payhook.array_mt)), "[null,2]",
             "marked array")
        T.eq(enc(setmetatable({}, { __jsontype = "array" })), "[]", "__jsontype array")
        T.eq(enc(setmetatable({}, { __jsontype = "object" })), "{}", "__jsontype object")
        T.raises(enc, setmetatable({ 1 }, { __jsontype = "object" }))
        T.eq(enc({ b = 1, a = 2, c = { z = 1, y = 2 } }), '{"a":2,"b":1,"c":{"y":2,"z":1}}',
             "names in byte order")
        T.eq(enc({ s = 'q"\\\n\t\0\1\127é' }), '{"s":"q\\"\\\\\\n\\t\\u0000\\u0001\127é"}',
             "escapes")
        T.eq(enc(1.5), "1.5", "float")
        T.eq(enc(0.1), "0.1", "0.1")
        T.eq(enc(-2.5e-10), "-2.5e-10", "exponent")
        T.eq(enc(0.1 + 0.2), "0.30000000000000004", "shortest exact")
        T.eq(enc(1e300), "1e+300", "large")
        for _, x in ipairs { 5e-324, 2.2250738585072014e-308, 1 / 3, -1e-7,
                             1.7976931348623157e308, 123456.789 } do
            T.eq(tonumber(enc(x)), x, "round trip of " .. enc(x))
        end
        if T.has_integers then
            T.eq(enc(math.maxinteger), "9223372036854775807", "int64 max")
            T.eq(enc(math.mininteger), "-9223372036854775808", "int64 min")
            T.eq(enc(3.0), "3.0", "integral float stays a float")
            T.eq(enc(-0.0), "-0.0", "-0.0")
            T.eq(enc(2.0 ^ 53), "9007199254740992.0", "2^53 as a float")
        else
            T.eq(enc(3), "3", "integral number")
            T.eq(enc(2 ^ 53), "9007199254740992", "2^53")
        end
        -- Round trip through the decoder keeps everything.
        local v = { a = { 1, 2.5, "x\0y", payhook.null, { n = {} } },
                    e = setmetatable({}, payhook.array_mt), big = 2 ^ 60 }
        local back = assert(payhook.jwt.decode(assert(payhook.jwt.encode(v, LEANX_KEY)),
                                               LEANX_KEY))
        T.eq(core.json_encode(back), core.json_encode(v), "round trip")
        T.eq(back.a[3], "x\0y", "NUL in a string")
        T.eq(getmetatable(back.e), payhook.array_mt, "empty array")
    end)

    -- ----------------------------------------------------------------
    -- Prepared decoders, memory, the Lua state

    case("decoders: close, __close and tostring", function()
        local d = payhook.jwt.new(LEANX_KEY)
        T.check(not tostring(d):find(LEANX_KEY, 1, true), "tostring shows the key")
        T.check(tostring(d):find("payhook.jwt decoder", 1, true), "tostring: %s", tostring(d))
        d:close()
        d:close()
        T.check(tostring(d):find("closed", 1, true), "closed in tostring")
        T.raises(d.decode, d, token('{"a":1}'))
        local s = payhook.superpay.new(SP_KEY)
        T.check(not tostring(s):find(SP_KEY, 1, true), "tostring shows the key")
        s:close()
        T.raises(s.decode, s, SP_HEX)
        T.raises(s.encrypt, s, "x")
        if _VERSION == "Lua 5.4" and not T.is_luajit then
            local chunk = assert(load([[
                local payhook, key, tok = ...
                local kept
                do
                    local d <close> = payhook.jwt.new(key)
                    assert(d:decode(tok).a == 1)
                    kept = d
                end
                return kept
            ]]))
            local kept = chunk(payhook, LEANX_KEY, token('{"a":1}'))
            T.check(tostring(kept):find("closed", 1, true), "__close closed it")
        end
    end)

    case("memory: many decodes, good and bad, do not grow the heap",
         function()
        local n = T.quick and 300 or 20000
        local lx = payhook.leanx.new(LEANX_KEY)
        local sp = payhook.superpay.new(SP_KEY)
        local good = '{"data":"' .. token(PAYLOAD) .. '"}'
        local forged = '{"data":"' .. token(PAYLOAD, OTHER_KEY) .. '"}'
        local function round()
            for _ = 1, n / 4 do
                assert(lx:decode(good))
                assert(not lx:decode(forged))
                assert(sp:decode(SP_HEX))
                assert(not sp:decode(SP_HEX:sub(1, -33)))
                assert(payhook.leanx.decode(good, LEANX_KEY))
                assert(payhook.superpay.decode(SP_HEX, SP_KEY))
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
        T.check(after - before < 64, "Lua heap grew by %.1f KiB", after - before)
    end)

    case("memory: finalisers that decode while a decode runs", function()
        -- A garbage collection in the middle of a decode runs finalisers;
        -- each call has its own scratch memory, so one inside another is
        -- safe.
        local tok = token(PAYLOAD)
        local ran = 0
        local function finaliser()
            local v = payhook.leanx.decode(tok, LEANX_KEY)
            if v and v.output.amount == "13.00" then ran = ran + 1 end
        end
        local big = {}
        for i = 1, 2000 do big[i] = '{"k' .. i .. '":[' .. i .. ',"x"]}' end
        local bigtok = token('{"a":[' .. table.concat(big, ",") .. ']}')
        for _ = 1, (T.quick and 2 or 10) do
            for _ = 1, 200 do
                if newproxy then
                    local p = newproxy(true)
                    getmetatable(p).__gc = finaliser
                else
                    setmetatable({}, { __gc = finaliser })
                end
            end
            local v = assert(payhook.jwt.decode(bigtok, LEANX_KEY))
            T.eq(#v.a, 2000, "big array")
        end
        collectgarbage("collect")
        T.check(ran > 0, "no finaliser ran")
    end)

    case("state: each Lua state has its own module", function()
        -- A second require of payhook.core in this state keeps the array
        -- metatable (arrays decoded before and after share it).
        package.loaded["payhook.core"] = nil
        local again = require "payhook.core"
        package.loaded["payhook.core"] = core
        T.check(rawequal(again.array_mt, core.array_mt), "same array_mt")
        local names = core.status_names()
        T.eq(names[1], "OK", "status name 0")
        local set = {}
        for _, n in ipairs(names) do set[n] = true end
        for _, k in ipairs { "DecodeError", "InvalidSignatureError",
                             "InvalidAlgorithmError", "DecryptionError",
                             "InvalidKeyError", "PayloadTooLargeError" } do
            T.check(set[k], "kind %s", k)
        end
    end)

    case("sha1_hex: the FIPS 180 vectors, NUL bytes, and what raises", function()
        local vectors = {
            { "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
            { "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
            { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
            { ("a"):rep(1000000), "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
            { "a\0b", "4a3dec2d1f8245280855c42db0ee4239f917fdb8" },
        }
        for _, v in ipairs(vectors) do
            T.eq(core.sha1_hex(v[1]), v[2], "sha1 of %d bytes", #v[1])
        end
        T.check(not pcall(core.sha1_hex, 42), "a number raised nothing")
        T.check(not pcall(core.sha1_hex), "nothing raised nothing")
    end)

    -- Option tables, key lists and payloads that change while they are
    -- read, or that carry metamethods.
    require("cases_hostile")(payhook)
end
