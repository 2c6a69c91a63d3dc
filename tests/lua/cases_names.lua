-- A prepared decoder's cache of member names (lua_sink.c, phl_names in
-- lua_binding.h): 64 two-way sets chosen by a hash of a name's length and
-- its first and last 8 bytes, names of 1 to 64 bytes, the bytes
-- compared in full before a cached string is used.  These cases check
-- that what comes back is always what the text says: names found and not
-- found, names that share a set (more of them than a set holds), names
-- that differ in one byte anywhere, names past the length the cache keeps,
-- non-ASCII names and names with NUL bytes, repeated names (an object
-- whose pairs wait is filled from its last pair when no name is there
-- twice), and a finaliser decoding (or closing the decoder) in the middle
-- of a decode; each against json_reader.lua and lua-cjson where
-- installed, through the prepared JWT, LeanX, SuperPay and gateway
-- (Stripe) decoders and the one-shot SuperPay function (which has no
-- cache).

local T = require "testlib"
local reader = require "json_reader"
local core = require "payhook.core"

local KEY = "names-KEY-7c2e4a6b8d0f1a3c5e7b9d1f3a5c7e9b"
local SP_KEY = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"
local NOW = 1700000000

-- The longest name the cache keeps (PHL_NAME_MAX).
local NAME_MAX = 64

local concat, rep, char = table.concat, string.rep, string.char

local function token(payload)
    return core.jwt_sign('{"alg":"HS256","typ":"JWT"}', payload, "HS256", KEY)
end

-- A JSON string literal of the bytes `s` (escapes for '"', '\' and
-- control bytes; everything else as it is).
local function quote(s)
    return '"' .. s:gsub('[%c"\\]', function(c)
        return ("\\u%04x"):format(c:byte())
    end) .. '"'
end

-- {"<names[1]>":<values[1]>, ...}
local function object_of(names, values)
    local parts = {}
    for i, name in ipairs(names) do
        parts[i] = quote(name) .. ":" .. (values and values[i] or tostring(i))
    end
    return "{" .. concat(parts, ",") .. "}"
end

-- The set lua_sink.c gives a name (ph_name_set in csrc/name_words.h, with
-- PHL_NAME_SET_BITS = 6): the top 6 bits of (head ^ tail * K1 ^ len) * K2
-- over 64 bits, from ph_name_words's words.  Lua 5.4 has 64-bit integers that wrap; LuaJIT has
-- uint64_t cdata; each form is loaded from text, as neither parses the
-- other's.
local hash_set
if math.type then
    hash_set = load([[
        local K1, K2 = 0x9e3779b97f4a7c15, 0xff51afd7ed558ccd
        return function(a, b, len)
            return ((a ~ (b * K1) ~ len) * K2) >> 58
        end, function(v, byte) return (v << 8) | byte end, 0]])
else
    hash_set = load([[
        local bit = require "bit"
        local K1, K2 = 0x9e3779b97f4a7c15ULL, 0xff51afd7ed558ccdULL
        return function(a, b, len)
            return tonumber(bit.rshift(bit.bxor(a, b * K1, len) * K2, 58))
        end, function(v, byte) return v * 256 + byte end, 0ULL]])
end
local hash_of, shift_in, zero = hash_set()

-- The little-endian word of bytes i to i + n - 1 of s.
local function word(s, i, n)
    local v = zero
    for j = i + n - 1, i, -1 do v = shift_in(v, s:byte(j)) end
    return v
end

local function name_set(s)
    local len = #s
    local a, b = zero, zero
    if len >= 8 then
        a, b = word(s, 1, 8), word(s, len - 7, 8)
    elseif len >= 4 then
        a, b = word(s, 1, 4), word(s, len - 3, 4)
    elseif len > 0 then
        local mid = math.floor(len / 2) + 1
        a = word(s:sub(1, 1) .. s:sub(mid, mid) .. s:sub(len, len), 1, 3)
    end
    return hash_of(a, b, len)
end

-- The bytes the names below are spelled with: any but '"' and '\'.
local ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" ..
                 "0123456789_-.:;!#$%&'()*+,/<=>?@[]^`{|}~"

-- `n` names of `len` bytes (len >= 4) that share one set.  Past 16 bytes
-- the set sees only the length and the first and last 8 bytes, so the
-- names differ in the bytes between; up to 16, names k...z are tried in
-- turn and those of the first one's set kept (with #ALPHABET letters a
-- position, a set has about a hundred names of 4 bytes, more past).
local function same_set(n, len)
    local out, base = {}, #ALPHABET
    local function spelled(i, from, to)
        local b = {}
        for j = 1, len do b[j] = "a" end
        b[1], b[len] = "k", "z"
        local v, j = i, from
        while v > 0 do
            assert(j <= to, "too many names for the length")
            local d = v % base
            b[j] = ALPHABET:sub(d + 1, d + 1)
            v = math.floor(v / base)
            j = j + 1
        end
        return concat(b)
    end
    if len > 16 then
        for i = 1, n do out[i] = spelled(i, 9, len - 8) end
        return out
    end
    local want
    for i = 1, base ^ (len - 2) - 1 do
        local name = spelled(i, 2, len - 1)
        local set = name_set(name)
        want = want or set
        if set == want then
            out[#out + 1] = name
            if #out == n then return out end
        end
    end
    error("too many names for the length")
end

local utf8_of = reader.utf8_char

return function(payhook)
    local case = T.case
    local has_cjson, cjson = pcall(require, "cjson")
    local jwt = assert(payhook.jwt.new(KEY))
    local leanx = assert(payhook.leanx.new(KEY))
    local sp = assert(payhook.superpay.new(SP_KEY))
    local stripe = assert(payhook.stripe.new(KEY))

    local function sp_body(doc)
        return '{"encryptedData":"' .. assert(sp:encrypt(doc)) .. '"}'
    end

    local function leanx_body(doc)
        return '{"data":"' .. token(doc) .. '","response_code":2100}'
    end

    local function same_as_cjson(got, want)
        return T.same_as_cjson(got, want, payhook.null, cjson.null)
    end

    local function against_references(got, doc, what)
        T.check(got ~= nil, "%s: no value", what)
        local ok, why = T.same(got, reader.decode(doc), payhook)
        T.check(ok, "%s: %s", what, tostring(why))
        if has_cjson then
            ok, why = same_as_cjson(got, cjson.decode(doc))
            T.check(ok, "%s (against lua-cjson): %s", what, tostring(why))
        end
    end

    -- The object text `doc` through every decoder, prepared and one-shot,
    -- checked against the references.
    local function check(doc, what)
        local v, msg = jwt:decode(token('{"v":' .. doc .. '}'), NOW)
        T.check(v ~= nil, "%s (jwt): %s", what, tostring(msg))
        against_references(v.v, doc, what .. " (jwt)")
        against_references(leanx:decode(leanx_body(doc), NOW), doc,
                           what .. " (leanx)")
        local body = sp_body(doc)
        against_references(sp:decode(body), doc, what .. " (superpay)")
        against_references(payhook.superpay.decode(body, SP_KEY), doc,
                           what .. " (superpay, one-shot)")
        local sb, sh = payhook.stripe.sign('{"id":"evt_1","v":' .. doc .. "}",
                                           KEY, { timestamp = NOW })
        local sv, smsg = stripe:decode(sb, sh, NOW)
        T.check(sv ~= nil, "%s (stripe): %s", what, tostring(smsg))
        against_references(sv.v, doc, what .. " (stripe)")
    end

    case("names: the same names again and again, then new ones", function()
        local doc = '{"status":"SUCCESS","order":{"id":"1","amount":"2"},' ..
            '"items":[{"id":1,"amount":"3"},{"id":2,"amount":"4"}]}'
        for i = 1, 5 do check(doc, ("the same document, %d"):format(i)) end
        -- Names the cache has not seen, then the old ones once more.
        local names = {}
        for i = 1, 300 do names[i] = "field_" .. i end
        check(object_of(names), "300 new names")
        check(doc, "the first document after them")
        -- A name that is a prefix or an extension of a cached one.
        check('{"amoun":1,"amount":2,"amountW":3,"amountWithdraw":4,' ..
              '"a":5,"":6,"am":7}', "prefixes")
        check('{"amount":"x","amoun":"y","":"z"}', "prefixes again")
    end)

    case("names: more names in one set than it holds, in one object and " ..
         "across calls", function()
        for _, len in ipairs { 4, 5, 7, 8, 9, 16, 17, 33, NAME_MAX } do
            local names = same_set(12, len)
            local values = {}
            for i = 1, #names do values[i] = '"v' .. i .. '"' end
            check(object_of(names, values), ("12 names of %d bytes"):format(
                len))
            -- Two at a time (a set holds two), then three, in turns.
            for round = 1, 3 do
                local pick = {}
                for i = 1, round + 1 do
                    pick[i] = names[(round * 5 + i) % #names + 1]
                end
                check(object_of(pick), ("%d of them, round %d"):format(
                    #pick, round))
            end
            -- An array of objects whose names all share a set.
            local rows = {}
            for i = 1, 6 do
                rows[i] = object_of({ names[i], names[i + 3], names[1] })
            end
            check('{"rows":[' .. concat(rows, ",") .. "]}", ("rows, %d bytes")
                  :format(len))
        end
    end)

    case("names: two names that differ in one byte, at every position of " ..
         "every length the cache keeps and past it", function()
        for len = 1, NAME_MAX + 3 do
            local base = {}
            for j = 1, len do base[j] = char(65 + j % 26) end
            local names = { concat(base) }
            for p = 1, len do
                local b = {}
                for j = 1, len do b[j] = base[j] end
                b[p] = "_"
                names[#names + 1] = concat(b)
            end
            local doc = object_of(names)
            local v = assert(sp:decode(sp_body(doc)))
            against_references(v, doc, ("%d bytes"):format(len))
            -- Again, now that the first call left them in the cache.
            against_references(assert(sp:decode(sp_body(doc))), doc,
                               ("%d bytes, again"):format(len))
        end
    end)

    case("names: names longer than the cache keeps", function()
        local long = {}
        for i, len in ipairs { NAME_MAX - 1, NAME_MAX, NAME_MAX + 1, 100,
                               1000, 70000 } do
            long[i] = rep("n", len - 1) .. tostring(i % 10)
        end
        -- Long names alike but for the last byte, and alike but for a
        -- byte in the middle.
        long[#long + 1] = rep("q", 200) .. "1"
        long[#long + 1] = rep("q", 200) .. "2"
        long[#long + 1] = rep("r", 100) .. "x" .. rep("r", 100)
        long[#long + 1] = rep("r", 100) .. "y" .. rep("r", 100)
        for round = 1, 3 do
            check(object_of(long), ("long names, round %d"):format(round))
        end
    end)

    case("names: non-ASCII names, NUL bytes, escapes", function()
        local names = {
            "é", "e", "été", "名前", "名字", "😀", "😁", "a\0b", "a\0c",
            "\0", "\0\0", "x\0", "montant_€", "montant_$", "ключ",
            "ключи",
        }
        for _, cp in ipairs { 0x7f, 0x80, 0x7ff, 0x800, 0xffff, 0x10000,
                              0x10ffff } do
            names[#names + 1] = utf8_of(cp)
            names[#names + 1] = "k" .. utf8_of(cp) .. "k"
        end
        for round = 1, 3 do
            check(object_of(names), ("non-ASCII, round %d"):format(round))
        end
        -- The same names written with escapes read as the same keys.
        local v = assert(sp:decode(sp_body(
            '{"\\u00e9":1,"\\u540d\\u524d":2,"\\ud83d\\ude00":3,' ..
            '"a\\u0000b":4}')))
        T.eq(v["é"], 1, "é")
        T.eq(v["名前"], 2, "名前")
        T.eq(v["😀"], 3, "😀")
        T.eq(v["a\0b"], 4, "a NUL b")
        T.eq(v["a\0c"], nil, "a NUL c")
    end)

    case("names: a repeated name keeps its last value", function()
        local names = same_set(5, 6)
        local doc = "{" .. quote(names[1]) .. ":1," .. quote(names[2]) ..
            ":2," .. quote(names[3]) .. ":3," .. quote(names[1]) .. ":4," ..
            quote(names[4]) .. ":5," .. quote(names[1]) .. ":6," ..
            quote(names[2]) .. ":7}"
        for round = 1, 3 do
            local v = assert(sp:decode(sp_body(doc)))
            T.eq(v[names[1]], 6, "the first name")
            T.eq(v[names[2]], 7, "the second name")
            T.eq(v[names[3]], 3, "the third name")
            check(doc, ("repeated, round %d"):format(round))
        end
        check('{"a":1,"a":2,"b":{"a":3,"a":4},"a":[{"a":5},{"a":6,"a":7}]}',
              "repeated at every level")
    end)

    case("names: a repeated name of any length, among names of its set",
         function()
        -- An object whose pairs wait for its close is filled from the
        -- last pair when no name is there twice: a name that is, however
        -- long (Lua 5.4 interns only short strings), must still keep its
        -- last value, and names that only share its set must not count.
        for _, len in ipairs { 4, 8, 39, 40, 41, 63, NAME_MAX, NAME_MAX + 1,
                               100, 1000 } do
            local names = same_set(4, len)
            local doc = "{" .. quote(names[1]) .. ":1," .. quote(names[2]) ..
                ":2," .. quote(names[3]) .. ":3," .. quote(names[1]) ..
                ":4," .. quote(names[4]) .. ":5}"
            for round = 1, 2 do
                local v = assert(sp:decode(sp_body(doc)))
                T.eq(v[names[1]], 4, ("%d bytes, repeated"):format(len))
                T.eq(v[names[2]], 2, ("%d bytes, once"):format(len))
                check(doc, ("%d bytes, round %d"):format(len, round))
            end
            -- Only names of one set, none twice.
            check(object_of(same_set(6, len)), ("%d bytes, six of a set")
                  :format(len))
        end
    end)

    case("names: a big object, a name repeated before and past the names " ..
         "compared", function()
        -- Past 64 names (NAME_SCAN_MAX in lua_sink.c) a name of a set
        -- already seen is not compared with those before it: the object
        -- is filled in order, as one with a repeated name is.  Whether a
        -- name comes twice near the start, past the 64th name, or not at
        -- all, the last value must win and every other name keep its own.
        local names = {}
        for i = 1, 300 do names[i] = ("member_%03d"):format(i) end
        for _, at in ipairs { 0, 3, 64, 65, 66, 200, 300 } do
            local parts = {}
            for i, name in ipairs(names) do
                parts[#parts + 1] = quote(name) .. ":" .. i
                if i == at then
                    parts[#parts + 1] = quote(names[1]) .. ":-1"
                end
            end
            local doc = "{" .. concat(parts, ",") .. "}"
            for round = 1, 2 do
                local v = assert(sp:decode(sp_body(doc)))
                T.eq(v[names[1]], at > 0 and -1 or 1,
                     ("the first name, repeated after %d"):format(at))
                T.eq(v[names[300]], 300, "the last name")
                check(doc, ("300 names, repeated after %d, round %d")
                      :format(at, round))
            end
        end
    end)

    case("names: many decoders, each with its own names", function()
        local decoders = {}
        for i = 1, 20 do
            decoders[i] = assert(payhook.superpay.new(SP_KEY))
        end
        for round = 1, 3 do
            for i, d in ipairs(decoders) do
                local names = {}
                for j = 1, 10 do names[j] = ("d%d_%d"):format(i, j) end
                local doc = object_of(names)
                against_references(assert(d:decode(sp_body(doc))), doc,
                                   ("decoder %d, round %d"):format(i, round))
            end
            collectgarbage()
        end
        for _, d in ipairs(decoders) do d:close() end
    end)

    case("names: a finaliser decodes with the same decoder during a decode",
         function()
        -- The outer payload has many names, most not cached, so its
        -- decode allocates (and runs finalisers) between its lookups; the
        -- inner one has names of the same sets, so each nested call
        -- replaces what the outer one cached.
        local outer_names = same_set(400, 9)
        for i = 1, 400 do
            outer_names[#outer_names + 1] = "outer_" .. i
        end
        local outer_doc = object_of(outer_names)
        local want = reader.decode(outer_doc)
        local inner_names = same_set(30, 9)
        for i = 1, 15 do inner_names[i] = inner_names[i + 15] .. "_" end
        local inner_doc = object_of(inner_names)
        local inner_want = reader.decode(inner_doc)
        local function inner_ok(v)
            return v ~= nil and T.same(v, inner_want, payhook)
        end
        local outer_right = true
        local outer = sp_body(outer_doc)
        local inner = sp_body(inner_doc)
        local nested, right = T.reenter(function()
            local v = assert(sp:decode(outer))
            outer_right = T.same(v, want, payhook) and outer_right
        end, function() return sp:decode(inner) end, inner_ok)
        T.check(nested > 0, "no finaliser ran during a decode")
        T.check(right, "a nested decode gave a wrong value")
        T.check(outer_right, "the outer decode gave a wrong value")
        -- The same with the JWT decoder, and both decoders afterwards.
        local outer_jwt = token('{"v":' .. outer_doc .. '}')
        local inner_jwt = token('{"v":' .. inner_doc .. '}')
        nested, right = T.reenter(function()
            local v = assert(jwt:decode(outer_jwt, NOW))
            outer_right = T.same(v.v, want, payhook) and outer_right
        end, function()
            local v = jwt:decode(inner_jwt, NOW)
            return v and v.v
        end, inner_ok)
        T.check(nested > 0 and right and outer_right,
                "jwt: %d nested, right %s, outer right %s", nested,
                tostring(right), tostring(outer_right))
        local ob, oh = payhook.stripe.sign('{"id":"evt_1","v":' ..
                                           outer_doc .. "}", KEY,
                                           { timestamp = NOW })
        local ib, ih = payhook.stripe.sign('{"id":"evt_2","v":' ..
                                           inner_doc .. "}", KEY,
                                           { timestamp = NOW })
        nested, right = T.reenter(function()
            local v = assert(stripe:decode(ob, oh, NOW))
            outer_right = T.same(v.v, want, payhook) and outer_right
        end, function()
            local v = stripe:decode(ib, ih, NOW)
            return v and v.v
        end, inner_ok)
        T.check(nested > 0 and right and outer_right,
                "stripe: %d nested, right %s, outer right %s", nested,
                tostring(right), tostring(outer_right))
        check(outer_doc, "the outer document afterwards")
        check(inner_doc, "the inner document afterwards")
    end)

    case("names: a finaliser closes the decoder during a decode", function()
        local names = {}
        for i = 1, 600 do names[i] = "closing_" .. i end
        local doc = object_of(names)
        local want = reader.decode(doc)
        local closed = 0
        for _ = 1, 30 do
            local d = assert(payhook.superpay.new(SP_KEY))
            local body = '{"encryptedData":"' .. assert(d:encrypt(doc)) ..
                '"}'
            -- Names cached by a first call, then a call during which a
            -- finaliser closes the decoder.
            against_references(assert(d:decode(body)), doc, "before")
            local calling, got = false, nil
            local ok, err = T.with_finalisers(200, function()
                if calling then
                    calling = false
                    d:close()
                    closed = closed + 1
                end
            end, function()
                calling = true
                got = d:decode(body)
                calling = false
            end)
            T.check(ok, "the decode: %s", tostring(err))
            local same, why = T.same(got, want, payhook)
            T.check(same, "the value: %s", tostring(why))
            if closed > 0 then
                T.check(not pcall(d.decode, d, body),
                        "a closed decoder decodes")
                break
            end
            d:close()
        end
        T.check(closed > 0, "no finaliser ran during a decode")
    end)
end
