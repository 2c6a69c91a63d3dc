-- Hostile tables: option tables, key lists and payloads whose metamethods
-- lie, and ones that finalisers change while payhook reads them.
--
-- payhook reads every table raw (no __index, __len or __pairs runs) and
-- each option, key and member once.  Any allocation inside a call can run
-- a garbage-collection step, and a step can run finalisers; the cases
-- below create garbage whose finalisers change the very table the call is
-- reading, with the collector tuned so that steps come every few bytes of
-- allocation, at a point that moves from one iteration to the next.  A
-- call must then give one of the results its inputs allow (before or after
-- a change), never a crash; under valgrind (run_all.sh) any read or write
-- outside what payhook owns fails the run.

local T = require "testlib"
local core = require "payhook.core"

local KEY = "hostile-KEY-0123456789abcdef0123456789"
local SP_KEY = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"
local SECRETS = { KEY, SP_KEY }

local function pack(...)
    return { n = select("#", ...), ... }
end

local function token(payload_json, key)
    return core.jwt_sign('{"alg":"HS256","typ":"JWT"}', payload_json,
                         "HS256", key or KEY)
end

-- ------------------------------------------------------------------
-- Finalisers on demand

local fired = 0         -- finalisers run so far
local inside = false    -- a payhook call is running
local during = 0        -- finalisers run while one was
local mutate            -- what they do to the table under test

local function finaliser()
    fired = fired + 1
    if inside and mutate then
        during = during + 1
        mutate(during)
    end
end

-- A collector that steps every 2^k bytes of allocation (k from 3 to 10,
-- varied by the caller), so finalisers run at many points of a call.
-- Returns a function that restores the previous settings.
local function eager_collector()
    if T.is_luajit then
        local pause = collectgarbage("setpause", 100)
        local mul = collectgarbage("setstepmul", 100)
        return function(k)
            if k then
                collectgarbage("setstepmul", 25 * k)
                return
            end
            collectgarbage("setpause", pause)
            collectgarbage("setstepmul", mul)
        end
    end
    local mode = collectgarbage("incremental", 100, 100, 3)
    return function(k)
        if k then
            collectgarbage("incremental", 100, 100, k)
            return
        end
        -- Lua 5.4's defaults, then the mode that was in force.
        collectgarbage("incremental", 200, 100, 13)
        if mode == "generational" then collectgarbage("generational") end
    end
end

-- Make `n` objects with the finaliser, then step the collector until the
-- first of them has run: the rest are due in the next steps.
local function arm(n)
    collectgarbage("stop")
    for _ = 1, n do
        if newproxy then
            getmetatable(newproxy(true)).__gc = finaliser
        else
            setmetatable({}, { __gc = finaliser })
        end
    end
    collectgarbage("restart")
    -- The smallest steps, so that only the first few finalisers run here.
    local before, guard = fired, 0
    while fired == before and guard < 10000000 do
        collectgarbage("step", 0)
        guard = guard + 1
    end
end

-- A case: `setup(i)` returns the state of iteration i (its `mutate`
-- function and whatever `call` needs); `call(state)` is the payhook call;
-- `check(result, state)` gets pcall's results packed.
local function hostile(name, setup, call, check)
    T.case("hostile finalisers: " .. name, function()
        local rounds = T.quick and 48 or 320
        local restore = eager_collector()
        local during_before = during
        local ok, err = pcall(function()
            for i = 1, rounds do
                local state = setup(i)
                restore(3 + i % 8)
                arm(1 + (i * 7) % 60)
                mutate = state.mutate
                inside = true
                local res = pack(pcall(call, state))
                inside = false
                mutate = nil
                check(res, state, i)
            end
        end)
        inside = false
        mutate = nil
        restore()
        collectgarbage("collect")
        T.check(ok, "%s", type(err) == "table" and tostring(err.message) or
                tostring(err))
        T.check(during > during_before,
                "no finaliser ran during a call: the case tested nothing")
    end)
end

-- res is pcall's (ok, v, msg, kind): a value, or nil with one of `kinds`,
-- or a raise whose message contains one of `raises`.
local function outcome(res, kinds, raises, i)
    if not res[1] then
        for _, r in ipairs(raises or {}) do
            if tostring(res[2]):find(r, 1, true) then return "raised" end
        end
        T.fail("round %d raised: %s", i, tostring(res[2]))
    end
    if res[2] ~= nil then return "value" end
    for _, k in ipairs(kinds) do
        if res[4] == k then
            T.bad(k, SECRETS, res[2], res[3], res[4])
            return k
        end
    end
    T.fail("round %d: %s: %s", i, tostring(res[4]), tostring(res[3]))
end

return function(payhook)
    local case = T.case

    -- --------------------------------------------------------------
    -- Metamethods are never consulted

    local calls = 0
    local function spy(result)
        return function(...)
            calls = calls + 1
            return result
        end
    end
    local lying = {
        __index = spy("HS512"), __len = spy(3), __pairs = spy(next),
        __newindex = spy(nil), __call = spy(nil), __eq = spy(true),
        __tostring = spy("x"), __concat = spy("x"),
    }

    case("metamethods: option tables are read raw", function()
        calls = 0
        local tok = token('{"aud":"shop","iss":"leanx","sub":"s"}')
        local opts = setmetatable({ audience = "shop" }, {
            __index = spy({ "HS512" }), __pairs = spy(next), __len = spy(9) })
        T.eq(payhook.jwt.decode(tok, KEY, opts).aud, "shop", "decoded")
        T.eq(payhook.jwt.new(KEY, opts):decode(tok).aud, "shop", "new")
        -- An issuer, algorithms or require that only __index provides is
        -- not there.
        local ghost = setmetatable({ audience = "shop" }, {
            __index = function(_, name)
                calls = calls + 1
                if name == "algorithms" then return { "HS384" } end
                if name == "issuer" then return "eve" end
                if name == "require" then return { "jti" } end
            end })
        T.eq(payhook.jwt.decode(tok, KEY, ghost).iss, "leanx", "ghost options")
        -- A list option with lying metamethods: only its raw elements.
        local list = setmetatable({}, lying)
        T.bad("InvalidAudienceError", SECRETS,
              payhook.jwt.decode(tok, KEY, { audience = list }))
        local algs = setmetatable({ "HS256" }, lying)
        T.eq(payhook.jwt.decode(tok, KEY, { audience = "shop",
             algorithms = algs }).sub, "s", "algorithms, raw")
        local req = setmetatable({}, lying)
        T.eq(payhook.jwt.decode(tok, KEY, { audience = "shop",
             require = req }).sub, "s", "require, raw")
        -- An unknown name that __pairs hides is still seen.
        local hidden = setmetatable({ audience = "shop", bogus = 1 },
                                    { __pairs = spy(function() end) })
        T.raises(payhook.jwt.decode, tok, KEY, hidden)
        -- The other functions' options.
        local sp = setmetatable({}, { __index = spy(1) })
        local hex = assert(payhook.superpay.encrypt('{"a":1}', SP_KEY))
        T.eq(payhook.superpay.decode(hex, SP_KEY, sp).a, 1, "superpay.decode")
        T.eq(payhook.superpay.new(SP_KEY, sp):decode(hex).a, 1, "superpay.new")
        T.eq(payhook.superpay.decrypt(hex, SP_KEY, nil, sp), '{"a":1}', "decrypt")
        local plain = token('{"sub":"s"}')
        T.eq(payhook.leanx.decode(plain, KEY, setmetatable({}, lying)).sub,
             "s", "leanx.decode")
        T.eq(payhook.leanx.new(KEY, setmetatable({}, lying)):decode(plain).sub,
             "s", "leanx.new")
        T.eq(calls, 0, "metamethods called")
    end)

    case("metamethods: key lists are read raw", function()
        calls = 0
        local tok = token('{"a":1}')
        local keys = setmetatable({}, { __index = spy(KEY), __len = spy(1) })
        T.bad("InvalidKeyError", SECRETS, payhook.jwt.decode(tok, keys))
        T.bad("InvalidKeyError", SECRETS, payhook.jwt.new(keys))
        T.bad("InvalidKeyError", SECRETS, payhook.leanx.decode(tok, keys))
        T.bad("InvalidKeyError", SECRETS, payhook.leanx.new(keys))
        local two = setmetatable({ "other", KEY }, lying)
        T.eq(payhook.jwt.decode(tok, two).a, 1, "raw elements")
        T.eq(payhook.leanx.new(two):decode(tok).a, 1, "raw elements, new")
        -- A border past the raw length is not looked at.
        local short = setmetatable({ "other" }, { __len = spy(2),
                                                  __index = spy(KEY) })
        T.bad("InvalidSignatureError", SECRETS, payhook.jwt.decode(tok, short))
        T.eq(calls, 0, "metamethods called")
    end)

    case("metamethods: payloads are encoded raw", function()
        calls = 0
        local enc = core.json_encode
        local obj = setmetatable({ a = 1 }, { __index = spy(2),
            __pairs = spy(function() end), __len = spy(5) })
        T.eq(enc(obj), '{"a":1}', "object")
        local arr = setmetatable({ 1, 2 }, { __index = spy(9), __len = spy(7),
                                             __pairs = spy(next) })
        T.eq(enc(arr), "[1,2]", "sequence")
        -- __jsontype is read from the metatable itself, not through its
        -- own metatable.
        local mt = setmetatable({}, { __index = { __jsontype = "array" } })
        T.eq(enc(setmetatable({}, mt)), "{}", "__jsontype through __index")
        local marked = setmetatable({ 1, nil, 3 },
            { __jsontype = "array", __len = spy(10), __index = spy(0) })
        local text = enc(marked)
        T.check(text == "[1,null,3]" or text == "[1]",
                "marked array: %s", text)
        T.check(payhook.jwt.encode(obj, KEY), "jwt.encode")
        T.check(payhook.superpay.encrypt(arr, SP_KEY), "superpay.encrypt")
        T.eq(calls, 0, "metamethods called")
    end)

    -- --------------------------------------------------------------
    -- Finalisers that change the table being read

    -- A token with aud "A", iss "leanx", sub "s".
    local CLAIMS_TOKEN = token('{"aud":"A","iss":"leanx","sub":"s","n":1}')
    local CLAIM_KINDS = { "InvalidAudienceError", "InvalidIssuerError",
                          "InvalidSubjectError" }

    -- Options whose strings change size and number under the reader.
    local function claim_options()
        local opts = { audience = { "A" }, issuer = "leanx", subject = "s",
                       leeway = 1 }
        return {
            opts = opts,
            mutate = function(k)
                local list = {}
                for j = 1, k % 7 do
                    list[j] = ("x"):rep((k * 131 + j * 17) % 3000)
                end
                if k % 3 == 0 then list[#list + 1] = "A" end
                opts.audience = k % 4 == 1 and "A" or list
                opts.issuer = k % 2 == 0 and ("i"):rep(k % 700) or
                    { "other", "leanx", ("j"):rep(k % 900) }
                opts.subject = k % 5 == 0 and "s" or ("s"):rep(1 + k % 300)
                opts.leeway = k % 50
                if k % 11 == 0 then opts["unknown" .. k] = true end
            end,
        }
    end

    local function check_claims(res, st, i)
        if outcome(res, CLAIM_KINDS, { "unknown option" }, i) == "value" then
            T.eq(res[2].aud, "A", "aud")
            T.eq(res[2].n, 1, "n")
        end
    end

    hostile("jwt.decode: audience, issuer and subject change", claim_options,
        function(st) return payhook.jwt.decode(CLAIMS_TOKEN, KEY, st.opts) end,
        check_claims)

    hostile("jwt.new: audience, issuer and subject change", claim_options,
        function(st)
            local d, msg, kind = payhook.jwt.new(KEY, st.opts)
            if not d then return d, msg, kind end
            -- The decoder keeps what it read, whatever the table is now.
            local v1, m1, k1 = d:decode(CLAIMS_TOKEN)
            collectgarbage("collect")
            local v2, m2, k2 = d:decode(CLAIMS_TOKEN)
            T.eq(k2, k1, "same verdict after the table changed")
            T.eq(m2, m1, "same message after the table changed")
            T.eq(v2 == nil, v1 == nil, "same result after the table changed")
            return v1, m1, k1
        end,
        check_claims)

    -- Key lists that lose, gain and retype their elements.
    local GOOD = token('{"k":1}')
    local function key_list()
        local keys = {}
        for j = 1, 15 do keys[j] = "wrong-key-" .. j .. ("w"):rep(j * 9) end
        keys[16] = KEY
        return {
            keys = keys,
            opts = { leeway = 0, audience = { "A" }, verify_aud = false },
            mutate = function(k)
                local j = 1 + k % 16
                if k % 4 == 0 then
                    keys[j] = 12345 + k
                elseif k % 4 == 1 then
                    keys[j] = nil
                elseif k % 4 == 2 then
                    keys[j] = ("r"):rep(k % 2000)
                else
                    for m = 17, 17 + k % 5 do keys[m] = "extra-" .. m end
                end
            end,
        }
    end
    local KEY_KINDS = { "InvalidSignatureError", "InvalidKeyError" }
    local KEY_RAISES = { "key must be a string or a list of strings" }
    local function check_key(res, st, i)
        if outcome(res, KEY_KINDS, KEY_RAISES, i) == "value" then
            T.eq(res[2].k, 1, "payload")
        end
    end

    hostile("jwt.decode: the key list changes", key_list,
        function(st) return payhook.jwt.decode(GOOD, st.keys, st.opts) end,
        check_key)
    hostile("jwt.new: the key list changes", key_list,
        function(st)
            local d, msg, kind = payhook.jwt.new(st.keys, st.opts)
            if not d then return d, msg, kind end
            return d:decode(GOOD)
        end,
        check_key)
    hostile("leanx.decode: the key list changes", key_list,
        function(st)
            return payhook.leanx.decode('{"data":"' .. GOOD .. '"}', st.keys,
                                        { leeway = 1 })
        end,
        check_key)
    hostile("leanx.new: the key list changes", key_list,
        function(st)
            local d, msg, kind = payhook.leanx.new(st.keys, { max_bytes = 4096 })
            if not d then return d, msg, kind end
            return d:decode(GOOD)
        end,
        check_key)

    -- Algorithms, require and numbers that change type and content.
    hostile("jwt.decode: list and scalar options change", function()
        local opts = { algorithms = { "HS256", "HS384" }, require = { "sub" },
                       exact_numbers = false, max_bytes = 4096,
                       audience = "A" }
        return {
            opts = opts,
            mutate = function(k)
                if k % 3 == 0 then
                    opts.algorithms = { "HS512" }
                elseif k % 3 == 1 then
                    opts.algorithms[#opts.algorithms + 1] = "HS256"
                else
                    opts.algorithms = { "HS256", k }
                end
                opts.require = k % 2 == 0 and { "exp" } or {}
                opts.exact_numbers = k % 2 == 0
                opts.max_bytes = k % 5 == 0 and 10 or 4096
            end,
        }
    end, function(st)
        return payhook.jwt.decode(CLAIMS_TOKEN, KEY, st.opts)
    end, function(res, st, i)
        if outcome(res, { "InvalidAlgorithmError", "MissingRequiredClaimError",
                          "PayloadTooLargeError" },
                   { "must be a list of names" }, i) == "value" then
            T.eq(res[2].sub, "s", "payload")
        end
    end)

    -- Forty members besides n and m, so that the decode allocates enough
    -- for the armed finalisers to run inside it in every run, not only in
    -- most (two members alone were built before the collector's next
    -- step, in one run of twenty or so).
    local SP_MEMBERS = {}
    for j = 1, 40 do SP_MEMBERS[j] = ('"pad%02d":["v%d"]'):format(j, j) end
    local SP_TEXT = '{"n":1e400,"m":2,' .. table.concat(SP_MEMBERS, ",") .. "}"

    hostile("superpay.decode: options change", function()
        local opts = { max_bytes = 4096, exact_numbers = true }
        return {
            opts = opts,
            hex = payhook.superpay.encrypt(SP_TEXT, SP_KEY),
            mutate = function(k)
                opts.max_bytes = k % 3 == 0 and 8 or 4096
                opts.exact_numbers = k % 2 == 1
            end,
        }
    end, function(st)
        return payhook.superpay.decode(st.hex, SP_KEY, st.opts)
    end, function(res, st, i)
        if outcome(res, { "PayloadTooLargeError", "DecryptionError" }, nil,
                   i) == "value" then
            T.eq(res[2].n, "1e400", "exact number")
            T.eq(res[2].m, 2, "m")
            T.eq(res[2].pad40[1], "v40", "the last member")
        end
    end)

    -- Payloads whose members come and go while they are encoded.
    local function payload()
        local p, names = {}, {}
        for j = 1, 40 do
            local name = ("member-%02d-"):format(j) .. ("n"):rep(40)
            names[j] = name
            p[name] = { j, "v" .. j, { deep = { j } } }
        end
        return {
            payload = p,
            mutate = function(k)
                local name = names[1 + k % 40]
                if k % 3 == 0 then
                    p[name] = nil
                elseif k % 3 == 1 then
                    p[("added-%d-"):format(k) .. ("a"):rep(k % 60)] = k
                else
                    local v = p[name]
                    if type(v) == "table" then
                        v[2] = ("changed"):rep(k % 40)
                        v[3] = { k, { k } }
                    end
                end
                names[1 + (k * 7) % 40] = ("gone-%d"):format(k)
            end,
        }
    end
    local function check_payload(text)
        local v = assert(payhook.jwt.decode(text, KEY))
        T.check(getmetatable(v) == nil, "an object")
        for name, value in pairs(v) do
            if name:match("^member%-") then
                T.eq(getmetatable(value), payhook.array_mt, "member array")
            else
                T.check(name:match("^added%-%d+%-a*$"), "member %s", name)
                T.eq(type(value), "number", "added value")
            end
        end
    end

    hostile("jwt.encode: members come and go", payload,
        function(st) return payhook.jwt.encode(st.payload, KEY) end,
        function(res, st, i)
            T.check(res[1], "round %d raised: %s", i, tostring(res[2]))
            check_payload(res[2])
        end)

    hostile("superpay.encrypt: members come and go", payload,
        function(st) return payhook.superpay.encrypt(st.payload, SP_KEY) end,
        function(res, st, i)
            T.check(res[1], "round %d raised: %s", i, tostring(res[2]))
            local v = assert(payhook.superpay.decode(res[2], SP_KEY))
            T.check(getmetatable(v) == nil, "an object")
        end)
end
