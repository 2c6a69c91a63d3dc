-- The shared vectors, tests/vectors/*.json, which the C and Python suites
-- run too:
--
--   {"vectors": [{"id", "comment", "function",
--                 "input": {"body" | "body_hex", "key" | "key_hex" | "keys",
--                           "iv" | "iv_hex", "options": {...}},
--                 "expect": {"payload" | "plaintext_hex" | "error"}}]}
--
-- Each vector runs through the one-shot function it names and through the
-- prepared decoder (new(key, opts):decode(...)); both must give the
-- expected result.  Payloads are compared exactly with the vector file as
-- read by json_reader (null, arrays vs objects, integers vs floats).
--
-- The gateway files (GATEWAY_VECTORS.md: function "<gateway>.verify",
-- input.headers a list of [name, value] pairs, expect {payload, event_id,
-- timestamp} or {error}) run through payhook.verify(gateway, ...) and a
-- prepared payhook.<gateway>.new(key, opts):verify(...).  The LeanX and
-- SuperPay decode vectors run a second time the same way, through the
-- gateway pipeline, with the same outcome.

local T = require "testlib"
local reader = require "json_reader"
local core = require "payhook.core"

return function(payhook, dir)
    local KNOWN_ALGS = { HS256 = true, HS384 = true, HS512 = true }
    local ONE_SHOT_OPTS = {
        ["leanx.decode"] = { now = true, leeway = true, max_bytes = true },
        ["superpay.decode"] = { max_bytes = true },
        ["superpay.decrypt"] = { max_bytes = true },
    }

    local function bytes(input, name)
        if input[name] ~= nil then return input[name] end
        if input[name .. "_hex"] ~= nil then
            return T.unhex(input[name .. "_hex"])
        end
    end

    -- Options as the Lua API takes them.  An algorithm name other than
    -- HS256/HS384/HS512 is a caller's mistake in Lua (it raises); the
    -- vector's meaning is "not allowed", so it is dropped here, and the
    -- raise is checked separately.
    local function lua_options(fname, options)
        local opts, dropped = {}, false
        for k, v in pairs(options or {}) do
            opts[k] = v
        end
        if opts.algorithms then
            local kept = {}
            for _, name in ipairs(opts.algorithms) do
                if KNOWN_ALGS[name] then
                    kept[#kept + 1] = name
                else
                    dropped = true
                end
            end
            opts.algorithms = kept
        end
        local allowed = ONE_SHOT_OPTS[fname]
        if allowed then
            for k in pairs(opts) do
                T.check(allowed[k], "%s takes no option %s", fname, k)
            end
        end
        return opts, dropped
    end

    -- (value, message, kind) through the one-shot function and through a
    -- prepared decoder.
    local function run_both(fname, body, key, iv, opts)
        local now = opts.now
        local prep_opts = {}
        for k, v in pairs(opts) do
            if k ~= "now" then prep_opts[k] = v end
        end
        local one, prep = {}, {}
        if fname == "jwt.decode" then
            one = { payhook.jwt.decode(body, key, opts) }
            local d, msg, kind = payhook.jwt.new(key, prep_opts)
            prep = d and { d:decode(body, now) } or { d, msg, kind }
        elseif fname == "leanx.decode" then
            one = { payhook.leanx.decode(body, key, opts) }
            local d, msg, kind = payhook.leanx.new(key, prep_opts)
            prep = d and { d:decode(body, now) } or { d, msg, kind }
        elseif fname == "superpay.decode" then
            one = { payhook.superpay.decode(body, key, opts) }
            local d, msg, kind = payhook.superpay.new(key, prep_opts)
            prep = d and { d:decode(body) } or { d, msg, kind }
        elseif fname == "superpay.decrypt" then
            one = { payhook.superpay.decrypt(body, key, iv, opts) }
            local d, msg, kind = payhook.superpay.new(key, prep_opts)
            prep = d and { d:decrypt(body, iv) } or { d, msg, kind }
        else
            T.fail("unknown function %q", tostring(fname))
        end
        return one, prep
    end

    -- The gateway of a "<gateway>.verify" function, else nil.
    local function verify_gateway(fname)
        local name = type(fname) == "string" and fname:match("^(.+)%.verify$")
        return name
    end

    -- (result, message, kind) through payhook.verify and through a
    -- prepared gateway decoder's verify, for a gateway vector or a LeanX /
    -- SuperPay decode vector (no headers).  payhook.leanx.new and
    -- payhook.superpay.new keep their own decoders, so the prepared one
    -- is core.gateway_new's, which payhook.<gateway>.new is elsewhere.
    local function run_gateway(name, body, key, headers, opts)
        local prep_opts = {}
        for k, v in pairs(opts) do
            if k ~= "now" then prep_opts[k] = v end
        end
        local one = { payhook.verify(name, body, key, headers, opts) }
        local d, msg, kind = core.gateway_new(name, key, prep_opts)
        local prep = { d, msg, kind }
        if d then
            prep = { d:verify(body, headers, opts.now) }
            d:close()
        end
        return one, prep
    end

    local function check_result(res, expect, secrets, how)
        local v, msg, kind = res[1], res[2], res[3]
        if expect.error ~= nil then
            local ok, err = pcall(T.bad, expect.error, secrets, v, msg, kind)
            T.check(ok, "%s: %s", how, tostring(err))
            return
        end
        T.check(v ~= nil, "%s: got %s: %s", how, tostring(kind),
                tostring(msg))
        if expect.verify then
            -- A verify result: the payload in it, and what verify found.
            T.eq(type(v), "table", how .. ": result")
            T.eq(v.gateway, expect.verify, how .. ": gateway")
            local ok, why = T.same(v.payload, expect.payload, payhook)
            T.check(ok, "%s: %s", how, tostring(why))
            if expect.event_id ~= nil then
                local want = expect.event_id
                if want == reader.null then want = nil end
                T.eq(v.event_id, want, how .. ": event_id")
            end
            if expect.timestamp ~= nil then
                local want = expect.timestamp
                if want == reader.null then
                    want = nil
                else
                    want = tonumber(want.text)
                    if T.has_integers then
                        T.eq(math.type(v.timestamp), "integer",
                             how .. ": timestamp type")
                    end
                end
                T.eq(v.timestamp, want, how .. ": timestamp")
            end
            if expect.signed_fields ~= nil then
                -- Both sorted by bytes: the binding's order.
                local want = {}
                for i, name in ipairs(expect.signed_fields) do
                    want[i] = name
                end
                table.sort(want)
                T.eq(#v.signed_fields, #want, how .. ": signed_fields")
                for i = 1, #want do
                    T.eq(v.signed_fields[i], want[i],
                         how .. ": signed_fields " .. i)
                end
            end
            if expect.reply ~= nil then
                T.eq(v.reply.status, tonumber(expect.reply.status.text or
                                              expect.reply.status),
                     how .. ": reply status")
                T.eq(v.reply.body, expect.reply.body, how .. ": reply body")
                local repost = expect.reply.repost
                if repost == reader.null then repost = nil end
                T.eq(v.reply.repost, repost, how .. ": reply repost")
            end
        elseif expect.payload ~= nil then
            local ok, why = T.same(v, expect.payload, payhook)
            T.check(ok, "%s: %s", how, tostring(why))
        elseif expect.plaintext_hex ~= nil then
            T.eq(T.hex(v), expect.plaintext_hex, how .. ": plaintext")
        else
            T.fail("expect needs error, payload or plaintext_hex")
        end
    end

    -- Whether a payload holds an integer written out past the double
    -- range: the Lua binding refuses it (its nearest double, math.huge,
    -- would be a wrong value), where the Python package returns it
    -- exactly.  Such a vector expects that refusal in Lua, and the value
    -- as text under exact_numbers.
    local function beyond_double(node)
        local mt = getmetatable(node)
        if mt == reader.NUMBER then
            local n = tonumber(node.text)
            return node.text:match("^-?%d+$") ~= nil and
                (n == math.huge or n == -math.huge)
        elseif mt == reader.ARRAY or mt == reader.OBJECT then
            for _, v in pairs(node) do
                if type(v) == "table" and beyond_double(v) then
                    return true
                end
            end
        end
        return false
    end

    local function run_vector(file, vec)
        local input = reader.plain(vec.input)
        local expect = {
            error = vec.expect.error,
            plaintext_hex = vec.expect.plaintext_hex,
            payload = vec.expect.payload,     -- kept as read, for T.same
        }
        local fname = vec["function"]
        local gateway = verify_gateway(fname)
        if gateway then
            expect.verify = gateway
            expect.event_id = vec.expect.event_id
            expect.timestamp = vec.expect.timestamp
            expect.signed_fields = vec.expect.signed_fields
            expect.reply = vec.expect.reply
        end
        local body = bytes(input, "body")
        -- A redirect's fields arrive in its query string, which the Lua
        -- functions take as the body (ngx.var.args).
        if body == "" and input.query ~= nil then
            body = input.query
        end
        local key = bytes(input, "key")
        if input.keys then
            key = input.keys
        end
        local iv = bytes(input, "iv")
        T.check(body ~= nil, "input needs body or body_hex")
        T.check(key ~= nil, "input needs key, key_hex or keys")
        local secrets = type(key) == "table" and key or { key }

        local opts, dropped = lua_options(fname, input.options)
        if dropped then
            -- The unknown name raises in Lua.
            T.raises(function()
                return run_both(fname, body, key, iv, input.options)
            end)
        end
        if opts.algorithms and #opts.algorithms == 0 then
            -- Nothing allowed at all: the raise above is the outcome.
            T.eq(expect.error, "InvalidAlgorithmError",
                 "an empty allowlist raises; vector expects")
            return
        end
        -- The gateway run of a LeanX or SuperPay decode vector.
        local also = (fname == "leanx.decode" and "leanx") or
            (fname == "superpay.decode" and "superpay") or nil
        local headers = input.headers
        if expect.payload ~= nil and beyond_double(expect.payload) then
            local exact = {}
            for k, v in pairs(opts) do exact[k] = v end
            exact.exact_numbers = true
            local one, prep
            if gateway then
                one, prep = run_gateway(gateway, body, key, headers, exact)
            else
                one, prep = run_both(fname, body, key, iv, exact)
            end
            T.check(one[1] ~= nil and prep[1] ~= nil,
                    "%s with exact_numbers: %s", fname, tostring(one[2]))
            if also then
                one, prep = run_gateway(also, body, key, nil, exact)
                T.check(one[1] ~= nil and prep[1] ~= nil,
                        "verify(%q) with exact_numbers: %s", also,
                        tostring(one[2]))
            end
            expect = {
                error = (fname == "superpay.decode" or gateway == "superpay")
                    and "DecryptionError" or "DecodeError",
            }
        end
        local one, prep
        if gateway then
            one, prep = run_gateway(gateway, body, key, headers, opts)
        else
            one, prep = run_both(fname, body, key, iv, opts)
        end
        check_result(one, expect, secrets, fname)
        check_result(prep, expect, secrets, "prepared " .. fname)
        if also then
            local how = ("payhook.verify(%q)"):format(also)
            one, prep = run_gateway(also, body, key, nil, opts)
            if expect.payload ~= nil then
                expect = { verify = also, payload = expect.payload }
            end
            check_result(one, expect, secrets, how)
            check_result(prep, expect, secrets, "prepared " .. how)
        end
    end

    local files = T.list_json(dir)
    local total = 0
    for _, name in ipairs(files) do
        local text = T.read_file(dir .. "/" .. name)
        local ok, doc = pcall(reader.decode, text)
        T.case("vectors/" .. name .. ": the file reads", function()
            T.check(ok, "%s", tostring(doc))
            T.check(type(doc) == "table" and type(doc.vectors) == "table" and
                    doc.vectors.n and doc.vectors.n > 0,
                    "no \"vectors\" list")
        end)
        if ok and type(doc) == "table" and type(doc.vectors) == "table" then
            for i = 1, doc.vectors.n or 0 do
                local vec = doc.vectors[i]
                total = total + 1
                T.case(("vectors/%s: %s"):format(name, tostring(vec.id)),
                       function() run_vector(name, vec) end)
            end
        end
    end
    T.case("vectors: found in " .. dir, function()
        T.check(total > 0, "no vectors in %s", dir)
    end)
    return total
end
