-- How payhook.core builds tables (lua_sink.c): each array and object is
-- made when it closes, at its final size, from the values waiting for it
-- on the Lua stack; past 4,096 waiting values the container being filled
-- falls back (made at once, then filled as it comes).  These cases check
-- the values at and around that limit, at inner and outer levels, with
-- repeated names across it, at the deepest nesting, and on random
-- documents, against json_reader.lua (and lua-cjson where installed); and
-- that a decoder keeps being right when it is reused or re-entered (its
-- work box is kept across calls).

local T = require "testlib"
local reader = require "json_reader"
local core = require "payhook.core"

local KEY = "tables-KEY-5b1e9a7c3d2f4e6a8b0c1d2e3f4a5b6c"
local SP_KEY = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"
local NOW = 1700000000

-- The limit of lua_sink.c (WAITING_MAX): an array's items count one
-- each, an object's members two (name and value).
local LIMIT, HALF = 4096, 2048

local concat, rep = table.concat, string.rep

local function token(payload)
    return core.jwt_sign('{"alg":"HS256","typ":"JWT"}', payload, "HS256", KEY)
end

-- n items of an array: integers, strings, floats, booleans, null.
local function items(n, salt)
    local out = {}
    for i = 1, n do
        local k = (i + (salt or 0)) % 5
        if k == 0 then
            out[i] = tostring(i)
        elseif k == 1 then
            out[i] = '"s' .. i .. '"'
        elseif k == 2 then
            out[i] = i .. ".5"
        elseif k == 3 then
            out[i] = i % 2 == 0 and "true" or "false"
        else
            out[i] = "null"
        end
    end
    return out
end

local function array_text(n, salt)
    return "[" .. concat(items(n, salt), ",") .. "]"
end

-- n members "<prefix>1".."<prefix>n" with values of every kind.
local function members(n, prefix, salt)
    local v, out = items(n, salt), {}
    for i = 1, n do out[i] = ('"%s%d":%s'):format(prefix or "k", i, v[i]) end
    return out
end

local function object_text(n, prefix, salt)
    return "{" .. concat(members(n, prefix, salt), ",") .. "}"
end

return function(payhook)
    local case = T.case
    local has_cjson, cjson = pcall(require, "cjson")
    local jwt = assert(payhook.jwt.new(KEY))
    local sp = assert(payhook.superpay.new(SP_KEY))
    local stripe = assert(payhook.stripe.new(KEY))

    local function same_as_cjson(got, want)
        return T.same_as_cjson(got, want, payhook.null, cjson.null)
    end

    -- The JSON text `doc` through the prepared JWT decoder (as the value
    -- of "v"), checked against the references; returns the value.
    local function check(doc, what, decoder)
        local got, msg = (decoder or jwt):decode(token('{"v":' .. doc .. '}'),
                                                NOW)
        T.check(got ~= nil, "%s: %s", what, tostring(msg))
        local want = reader.decode(doc)
        local ok, why = T.same(got.v, want, payhook)
        T.check(ok, "%s: %s", what, tostring(why))
        if has_cjson then
            ok, why = same_as_cjson(got.v, cjson.decode(doc))
            T.check(ok, "%s (against lua-cjson): %s", what, tostring(why))
        end
        return got.v
    end

    -- ----------------------------------------------------------------
    -- Sizes around the limit

    case("tables: arrays of 0, 1, 4095, 4096, 4097, 10000 items", function()
        for _, n in ipairs { 0, 1, LIMIT - 1, LIMIT, LIMIT + 1, 10000 } do
            local v = check(array_text(n), ("%d items"):format(n))
            T.eq(#v, n, "length")
        end
    end)

    case("tables: objects of 0, 1, 2047, 2048, 2049, 5000 members " ..
         "(0 to 10000 waiting slots)", function()
        for _, n in ipairs { 0, 1, HALF - 1, HALF, HALF + 1, 5000 } do
            local v = check(object_text(n), ("%d members"):format(n))
            local count = 0
            for _ in pairs(v) do count = count + 1 end
            -- null values are payhook.null, so every member is there
            T.eq(count, n, "members")
        end
    end)

    case("tables: the limit reached inside, then outside", function()
        -- The outer array has 3000 items waiting when the inner one
        -- starts: the inner one passes the limit at its 1097th item and
        -- falls back; then the outer one does, at its 4097th.
        check("[" .. concat(items(3000), ",") .. "," .. array_text(2000) ..
              "," .. concat(items(2000, 1), ",") .. "]", "arrays")
        check("{" .. concat(members(1500, "a"), ",") .. ',"in":' ..
              object_text(1000, "b") .. "," .. concat(members(1000, "c"), ",")
              .. "}", "objects")
        -- Mixed: an object waiting beside an array of arrays that each
        -- fit, then one that does not.
        local rows = {}
        for i = 1, 40 do rows[i] = array_text(100, i) end
        check('{"rows":[' .. concat(rows, ",") .. '],"wide":' ..
              array_text(5000) .. ',"tail":' .. object_text(10) .. "}",
              "mixed")
        -- An empty and a one-item container while the limit is reached.
        check("[" .. concat(items(LIMIT), ",") .. ",[],{},[1],{\"a\":[]}]",
              "small ones after the limit")
    end)

    case("tables: a repeated name keeps its last value, across the limit",
         function()
        -- Members 1..2048 wait; the 2049th passes the limit, so "d" is
        -- set while waiting, at the fallback and after it.
        local m = members(3000, "k")
        m[1] = '"d":"first"'
        m[10] = '"e":1'
        m[20] = '"e":2'                 -- both while waiting
        m[2048] = '"f":"before"'
        m[2049] = '"f":"at"'            -- the member that falls back
        m[2500] = '"d":"after"'
        m[2999] = '"g":"late"'
        m[3000] = '"g":"last"'          -- both after the fallback
        local v = check("{" .. concat(m, ",") .. "}", "3000 members")
        T.eq(v.d, "after", "d")
        T.eq(v.e, 2, "e")
        T.eq(v.f, "at", "f")
        T.eq(v.g, "last", "g")
        -- Only repeats, waiting: a small object and one at the limit.
        check('{"a":1,"a":2,"a":{"x":[]},"b":0,"a":[3]}', "small")
        local same = {}
        for i = 1, HALF do same[i] = '"r":' .. i end
        T.eq(check("{" .. concat(same, ",") .. "}", "2048 times one name").r,
             HALF, "r")
    end)

    case("tables: every array has the array metatable", function()
        local v = check('{"e":[],"n":[[],[[]],{"x":[]}],"big":' ..
                        array_text(5000) .. ',"o":{}}', "arrays")
        T.check(getmetatable(v.e) == payhook.array_mt, "empty array")
        T.check(getmetatable(v.big) == payhook.array_mt, "fallen back array")
        T.check(getmetatable(v.n[2][1]) == payhook.array_mt, "nested empty")
        T.check(getmetatable(v.o) == nil, "an object has none")
    end)

    case("tables: nesting to MAX_DEPTH with big containers at each level",
         function()
        -- The JWT path puts the document in {"v": ...}: one level.  Each
        -- level holds 100 values before the next one starts, so the
        -- waiting values pass the limit about level 40 and every deeper
        -- level falls back too; objects and arrays alternate.
        local levels = payhook.MAX_DEPTH - 1
        local open, close = {}, {}
        for d = 1, levels do
            if d % 2 == 1 then
                open[d] = "[" .. concat(items(100, d), ",") .. ","
                close[levels - d + 1] = "]"
            else
                open[d] = "{" .. concat(members(50, "l" .. d .. "_"), ",") ..
                    ',"next":'
                close[levels - d + 1] = "}"
            end
        end
        local doc = concat(open) .. "0" .. concat(close)
        check(doc, ("%d levels"):format(levels))
        -- One level more is refused, and the decoder is fine afterwards.
        local v, _, kind = jwt:decode(token('{"v":[' .. doc .. ']}'), NOW)
        T.eq(v, nil, "one level too deep")
        T.eq(kind, "DecodeError", "kind")
        check(array_text(3), "after the refusal")
    end)

    -- ----------------------------------------------------------------
    -- Random documents

    -- A random JSON text: containers of random sizes (now and then one
    -- past the limit), nested a few levels, repeated names, every kind
    -- of scalar and string escapes.
    local function random_doc(rnd, depth, budget)
        local r = rnd(10)
        if depth > 4 or budget[1] <= 0 or r <= 4 then
            budget[1] = budget[1] - 1
            local s = rnd(7)
            if s == 1 then return tostring(rnd(1000000) - 500000) end
            if s == 2 then return ("%d.%de%d"):format(rnd(99), rnd(99),
                                                      rnd(9) - 5) end
            if s == 3 then return '"str\\n\\u00e9' .. rnd(100) .. '"' end
            if s == 4 then return "null" end
            if s == 5 then return rnd(2) == 1 and "true" or "false" end
            if s == 6 then return '""' end
            return '"' .. rep("x", rnd(20)) .. '"'
        end
        local n = rnd(10) == 1 and (LIMIT - 50 + rnd(120)) or rnd(12) - 1
        local parts = {}
        budget[1] = budget[1] - n
        if r <= 7 then
            for i = 1, n do parts[i] = random_doc(rnd, depth + 1, budget) end
            return "[" .. concat(parts, ",") .. "]"
        end
        for i = 1, n do
            -- Names from a small set where n is small, so some repeat.
            local name = n < 20 and ("n" .. rnd(6)) or ("m" .. i)
            parts[i] = '"' .. name .. '":' .. random_doc(rnd, depth + 1,
                                                          budget)
        end
        return "{" .. concat(parts, ",") .. "}"
    end

    case("tables: random documents through the JWT, SuperPay and Stripe " ..
         "decoders match the reference", function()
        local seed = 20240601
        local function rnd(n)
            -- A small linear congruential generator: the same documents
            -- in every interpreter.
            seed = (seed * 1103515245 + 12345) % 2147483648
            return seed % n + 1
        end
        local runs = T.quick and 4 or 40
        for i = 1, runs do
            local doc = random_doc(rnd, 0, { 8000 })
            check(doc, ("document %d"):format(i))
            local obj = '{"id":"evt_' .. i .. '","v":' .. doc .. "}"
            local want = reader.decode(obj)
            local got = assert(sp:decode('{"encryptedData":"' ..
                                         assert(sp:encrypt(obj)) .. '"}'))
            local ok, why = T.same(got, want, payhook)
            T.check(ok, "superpay, document %d: %s", i, tostring(why))
            local body, headers = payhook.stripe.sign(obj, KEY,
                                                      { timestamp = NOW })
            got = assert(stripe:decode(body, headers, NOW))
            ok, why = T.same(got, want, payhook)
            T.check(ok, "stripe, document %d: %s", i, tostring(why))
        end
    end)

    -- ----------------------------------------------------------------
    -- A decoder's kept work box

    case("tables: one decoder, many calls of different sizes, no stale " ..
         "data", function()
        local sizes = { 5000, 3, 2000, 0, 4097, 1, 600, 10000, 2 }
        -- A signature character changed (not the last: its low bits
        -- must be zero).
        local good = token('{"v":1}')
        local c = good:sub(-5, -5) == "A" and "B" or "A"
        local bad = good:sub(1, -6) .. c .. good:sub(-4)
        for round = 1, T.quick and 1 or 4 do
            for i, n in ipairs(sizes) do
                local salt = round * 10 + i
                check(array_text(n, salt), ("round %d, %d items"):format(
                    round, n))
                -- A forged token in between: nothing of it is kept.
                local v, _, kind = jwt:decode(bad, NOW)
                T.eq(v, nil, "forged")
                T.eq(kind, "InvalidSignatureError", "kind")
                local obj = object_text(n % 3000, "p", salt)
                local got = assert(sp:decode('{"encryptedData":"' ..
                                             assert(sp:encrypt(obj)) .. '"}'))
                local ok, why = T.same(got, reader.decode(obj), payhook)
                T.check(ok, "superpay, %d members: %s", n % 3000,
                        tostring(why))
                -- decrypt uses the same kept box: a short plaintext after
                -- a long one comes back exactly.
                T.eq(sp:decrypt(assert(sp:encrypt("short " .. salt))),
                     "short " .. salt, "decrypt")
            end
        end
    end)

    case("tables: a finaliser decodes with the same decoder during a decode",
         function()
        local big = token('{"v":' .. object_text(3000, "b") .. '}')
        local small = token('{"v":{"inner":[1,2,3]}}')
        local outer_ok = true
        local nested, right = T.reenter(function()
            local v = jwt:decode(big, NOW)
            outer_ok = v ~= nil and v.v.b3000 == 3000 and outer_ok
        end, function() return jwt:decode(small, NOW) end, function(v)
            return v ~= nil and v.v.inner[3] == 3
        end)
        T.check(nested > 0, "no finaliser ran during a decode")
        T.check(right, "a nested decode gave a wrong value")
        T.check(outer_ok, "the outer decode gave a wrong value")
        -- The same for SuperPay and a gateway decoder.
        local sp_big = '{"encryptedData":"' ..
            assert(sp:encrypt(object_text(3000, "s"))) .. '"}'
        local sp_small = '{"encryptedData":"' ..
            assert(sp:encrypt('{"x":[7]}')) .. '"}'
        nested, right = T.reenter(function()
            assert(sp:decode(sp_big).s3000 == 3000)
        end, function() return sp:decode(sp_small) end, function(v)
            return v ~= nil and v.x[1] == 7
        end)
        T.check(nested > 0 and right, "superpay: %d nested, right %s",
                nested, tostring(right))
        local gb, gh = payhook.stripe.sign('{"id":"evt_1","v":' ..
            array_text(6000) .. '}', KEY, { timestamp = NOW })
        local sb, sh = payhook.stripe.sign('{"id":"evt_2","w":[true]}', KEY,
                                           { timestamp = NOW })
        nested, right = T.reenter(function()
            assert(#stripe:decode(gb, gh, NOW).v == 6000)
        end, function() return stripe:decode(sb, sh, NOW) end, function(v)
            return v ~= nil and v.w[1] == true
        end)
        T.check(nested > 0 and right, "stripe: %d nested, right %s",
                nested, tostring(right))
        -- And afterwards the decoders are as before.
        check(array_text(10), "jwt afterwards")
        T.eq(sp:decode(sp_small).x[1], 7, "superpay afterwards")
    end)

    case("tables: an error raised inside a decode leaves the decoder usable",
         function()
        -- LuaJIT lets a finaliser's error out of the call that ran it
        -- (Lua 5.4 makes it a warning): the decode raises, and the next
        -- calls work (the kept box was wiped and is free for them).
        -- Many small tables and strings: the decode allocates enough for
        -- the collector to reach the finalisers inside it.
        local rows = {}
        for i = 1, 4000 do rows[i] = ('{"a":"s%d","b":[%d]}'):format(i, i) end
        local big = token('{"v":[' .. concat(rows, ",") .. ']}')
        local raised, calling = 0, false
        local function fin()
            if calling then
                calling = false
                error("from a finaliser")
            end
        end
        -- LuaJIT tries until three raises have been seen.  Lua 5.4 never
        -- raises, so each try is the same check again: under valgrind
        -- (quick) four of them are enough, and they were most of the Lua
        -- 5.4 suite's time there.
        local tries = (T.quick and not T.is_luajit) and 4 or 40
        -- With the JIT on, the finaliser can also run in a collector step
        -- taken on a trace exit (the compiled loop around the call), and
        -- LuaJIT before 2023's fix (LuaJIT/LuaJIT#946; Debian's luajit2
        -- 2.1-20230119 has not got it) crashes unwinding an error raised
        -- there, whatever the C function called next.  The interpreter
        -- runs this case, so every step that raises is one inside the
        -- decode, which is what the case is about.
        local jit_was_on = T.is_luajit and jit.status()
        if jit_was_on then jit.off() jit.flush() end
        -- A failed check raises; the JIT is turned back on either way, so
        -- the cases after this one run as they would alone.
        local ok_all, err_all = pcall(function()
            for _ = 1, tries do
                local ok = T.with_finalisers(100, fin, function()
                    calling = true
                    jwt:decode(big, NOW)
                end)
                calling = false
                if not ok then raised = raised + 1 end
                check(array_text(50), "after a raised error")
                if raised >= 3 then break end
            end
        end)
        if jit_was_on then jit.on() end
        if not ok_all then error(err_all, 0) end
        if T.is_luajit then
            T.check(raised > 0, "no finaliser raised inside a decode")
        end
    end)
end
