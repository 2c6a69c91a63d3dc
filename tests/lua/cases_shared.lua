-- The public third-party data in tests/vectors/conformance through payhook's Lua
-- API (the Python suite runs the same data):
--
--   Wycheproof AES-CBC-PKCS5 (256-bit keys)  payhook.superpay.decrypt
--   Wycheproof HMAC-SHA256/384/512            JWS HS256/384/512: the
--       vector's key signs a token; a ModifiedTag case's change to the tag
--       is carried over onto the token's signature; a truncated tag never
--       verifies.  The MACs are computed independently with luaossl.
--   RFC 7515 A.1 and RFC 7520 4.4             payhook.jwt.decode

local T = require "testlib"
local reader = require "json_reader"

local function load(path)
    local text = T.read_file(path)
    if not text then return nil end
    return reader.decode(text)
end

-- Byte-wise XOR of two equal-length strings, with arithmetic only (no
-- bit library in 5.4, no ~ operator in LuaJIT).
local function xor(a, b)
    local out = {}
    for i = 1, #a do
        local x, y, r, bit = a:byte(i), b:byte(i), 0, 1
        for _ = 1, 8 do
            if (x % 2) ~= (y % 2) then r = r + bit end
            x, y, bit = math.floor(x / 2), math.floor(y / 2), bit * 2
        end
        out[i] = string.char(r)
    end
    return table.concat(out)
end

local function tests(data)
    local out = {}
    for g = 1, data.testGroups.n do
        local group = data.testGroups[g]
        for t = 1, group.tests.n do
            out[#out + 1] = { group = group, test = group.tests[t] }
        end
    end
    return out
end

local function num(v)
    return tonumber(v.text)
end

return function(payhook, dir)
    local core = require "payhook.core"
    local count = 0

    -- AES-256-CBC with PKCS#7 --------------------------------------
    local aes_path = dir .. "/wycheproof/aes_cbc_pkcs5_test.json"
    local aes = load(aes_path)
    T.case("wycheproof AES: the file is there", function()
        T.check(aes ~= nil, "%s not found", aes_path)
    end)
    if aes then
        local messages = {}
        for _, c in ipairs(tests(aes)) do
            local t = c.test
            count = count + 1
            T.case("wycheproof AES tcId " .. num(t.tcId), function()
                local key, iv = T.unhex(t.key), T.unhex(t.iv)
                if t.result == "valid" then
                    local want = T.unhex(t.msg)
                    T.eq(payhook.superpay.decrypt(t.ct, key, iv), want,
                         "plaintext")
                    T.eq(payhook.superpay.decrypt(t.ct:upper(), key, iv),
                         want, "plaintext (upper-case hex)")
                    T.eq(payhook.superpay.new(key):decrypt(t.ct, iv), want,
                         "plaintext (prepared key)")
                else
                    for _, ct in ipairs { t.ct, t.ct:upper() } do
                        local msg = T.bad("DecryptionError", { key },
                                          payhook.superpay.decrypt(ct, key,
                                                                   iv))
                        messages[msg] = true
                    end
                end
            end)
        end
        T.case("wycheproof AES: every invalid case has one message", function()
            local n = 0
            for _ in pairs(messages) do n = n + 1 end
            T.eq(n, 1, "distinct messages")
        end)
    end

    -- HMAC-SHA2 as JWS ---------------------------------------------
    local ok_hmac, hmac = pcall(require, "openssl.hmac")
    for _, spec in ipairs {
        { "HS256", "sha256", 32, "hmac_sha256_test.json" },
        { "HS384", "sha384", 48, "hmac_sha384_test.json" },
        { "HS512", "sha512", 64, "hmac_sha512_test.json" },
    } do
        local alg, md, size, file = spec[1], spec[2], spec[3], spec[4]
        local path = dir .. "/wycheproof/" .. file
        local data = load(path)
        T.case("wycheproof " .. alg .. ": file and luaossl are there",
               function()
            T.check(data ~= nil, "%s not found", path)
            T.check(ok_hmac, "luaossl (openssl.hmac) is needed: %s",
                    tostring(hmac))
        end)
        if data and ok_hmac then
            for _, c in ipairs(tests(data)) do
                local t, tag_bits = c.test, num(c.group.tagSize)
                count = count + 1
                T.case(("wycheproof %s tag%d tcId %d"):format(
                           alg, tag_bits, num(t.tcId)), function()
                    local key, msg = T.unhex(t.key), T.unhex(t.msg)
                    local tag = T.unhex(t.tag)
                    local header = ('{"alg":"%s","typ":"JWT"}'):format(alg)
                    local payload = ('{"wycheproof":"%s","tcId":%d,' ..
                                     '"tagSize":%d}'):format(
                                         alg, num(t.tcId), tag_bits)
                    local token = core.jwt_sign(header, payload, alg,
                                                        key)
                    local head, sig64 = token:match("^(.*)%.([^.]*)$")
                    local sig = T.b64url_decode(sig64)
                    -- payhook's signature, checked independently.
                    T.eq(sig, hmac.new(key, md):final(head), "signature")
                    local opts = { algorithms = { alg } }
                    -- The vector's own MAC, checked against luaossl: what
                    -- the vector says about msg must hold.
                    local full = hmac.new(key, md):final(msg)
                    local valid = t.result == "valid"
                    if tag_bits == size * 8 then
                        T.eq(full == tag, valid, "vector tag matches")
                        -- Carry the vector's change of the tag over.
                        local forged = xor(sig, xor(full, tag))
                        local tok2 = head .. "." .. T.b64url(forged)
                        local v, m, k = payhook.jwt.decode(tok2, key, opts)
                        if valid then
                            T.check(v and v.tcId == num(t.tcId),
                                    "valid token refused: %s", tostring(m))
                        else
                            T.bad("InvalidSignatureError", { key }, v, m, k)
                        end
                    else
                        -- A truncated MAC never verifies a JWS.
                        local cut = sig:sub(1, tag_bits / 8)
                        T.bad("InvalidSignatureError", { key },
                              payhook.jwt.decode(head .. "." ..
                                                 T.b64url(cut), key, opts))
                    end
                end)
            end
        end
    end

    -- RFC 7515 / 7520 -----------------------------------------------
    local rfc_path = dir .. "/jwt_rfc_vectors.json"
    local rfc = load(rfc_path)
    local kinds = {
        expired = "ExpiredSignatureError",
        bad_algorithm = "InvalidAlgorithmError",
        bad_json = "DecodeError",
        bad_signature = "InvalidSignatureError",
        immature = "ImmatureSignatureError",
    }
    T.case("RFC JWS vectors: the file is there", function()
        T.check(rfc ~= nil, "%s not found", rfc_path)
    end)
    if rfc then
        for i = 1, rfc.vectors.n do
            local vec = rfc.vectors[i]
            count = count + 1
            T.case("RFC JWS " .. vec.id, function()
                local key = T.b64url_decode(vec.key_b64url)
                local opts = reader.plain(vec.options)
                opts.algorithms = reader.plain(vec.algorithms)
                local v, m, k = payhook.jwt.decode(vec.token, key, opts)
                if vec.expect == "valid" then
                    local ok, why = T.same(v, vec.payload, payhook)
                    T.check(ok, "%s (%s)", tostring(why), tostring(m))
                else
                    T.bad(kinds[vec.error] or vec.error, { key }, v, m, k)
                end
            end)
        end
    end
    return count
end
