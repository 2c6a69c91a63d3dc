-- A plain test runner for Lua 5.4 and LuaJIT: named cases, assertion
-- helpers, a deep comparison of decoded values with expected JSON, and the
-- byte helpers the cases need.  Runs under valgrind as is (no busted).

local reader = require "json_reader"

local T = {
    passed = 0,
    failed = 0,
    failures = {},
    is_luajit = type(jit) == "table",
    has_integers = math.type ~= nil,
    quick = os.getenv("PAYHOOK_TEST_QUICK") == "1",
}
T.interpreter = T.is_luajit and jit.version or _VERSION

local function traceback(err)
    if type(err) == "table" and err.testlib then
        return err.message
    end
    return debug.traceback(tostring(err), 2)
end

--- Run one named case; a Lua error or a failed check fails it.
function T.case(name, fn)
    local ok, err = xpcall(fn, traceback)
    if ok then
        T.passed = T.passed + 1
    else
        T.failed = T.failed + 1
        T.failures[#T.failures + 1] = name
        io.stdout:write(("FAIL %s\n     %s\n"):format(
            name, tostring(err):gsub("\n", "\n     ")))
    end
end

function T.fail(fmt, ...)
    error({ testlib = true, message = fmt:format(...) }, 2)
end

function T.check(cond, fmt, ...)
    if not cond then
        error({ testlib = true,
                message = (fmt or "check failed"):format(...) }, 2)
    end
    return cond
end

function T.eq(got, want, what)
    if got ~= want then
        error({ testlib = true, message = ("%s: got %s, want %s"):format(
            what or "value", T.show(got), T.show(want)) }, 2)
    end
end

--- fn(...) must raise; returns the message.
function T.raises(fn, ...)
    local ok, err = pcall(fn, ...)
    if ok then
        error({ testlib = true, message = "expected a Lua error" }, 2)
    end
    return tostring(err)
end

--- A decode result must be nil, message, kind with the given kind; the
--- message must not contain any of the secrets.
function T.bad(kind, secrets, v, msg, got_kind)
    if v ~= nil then
        error({ testlib = true, message = ("expected nil, %s; got a %s"):format(
            kind, type(v)) }, 2)
    end
    if got_kind ~= kind then
        error({ testlib = true, message = ("kind %s (%s), want %s"):format(
            tostring(got_kind), tostring(msg), kind) }, 2)
    end
    if type(msg) ~= "string" or msg == "" then
        error({ testlib = true, message = "no message" }, 2)
    end
    for _, s in ipairs(secrets or {}) do
        if #s >= 4 and msg:find(s, 1, true) then
            error({ testlib = true, message = "message contains a key: " ..
                    msg }, 2)
        end
    end
    return msg
end

function T.show(v)
    if type(v) == "string" then
        if #v > 80 then v = v:sub(1, 77) .. "..." end
        return ("%q"):format(v)
    end
    if T.has_integers and type(v) == "number" then
        return ("%s(%s)"):format(tostring(v), math.type(v))
    end
    return tostring(v)
end

function T.read_file(path)
    local f, err = io.open(path, "rb")
    if not f then return nil, err end
    local s = f:read("*a")
    f:close()
    return s
end

function T.list_json(dir)
    local names = {}
    local p = io.popen('ls "' .. dir .. '" 2>/dev/null')
    if not p then return names end
    for line in p:lines() do
        if line:match("%.json$") then names[#names + 1] = line end
    end
    p:close()
    table.sort(names)
    return names
end

-- ------------------------------------------------------------------
-- Bytes

function T.unhex(h)
    return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

function T.hex(s)
    return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

--- base64url without padding, written with arithmetic only so it runs
--- unchanged in 5.4 and LuaJIT.
function T.b64url(s)
    local out = {}
    for i = 1, #s, 3 do
        local a, b, c = s:byte(i, i + 2)
        local n = a * 65536 + (b or 0) * 256 + (c or 0)
        local q = {
            math.floor(n / 262144) % 64, math.floor(n / 4096) % 64,
            math.floor(n / 64) % 64, n % 64,
        }
        local k = (c and 4) or (b and 3) or 2
        for j = 1, k do
            out[#out + 1] = B64:sub(q[j] + 1, q[j] + 1)
        end
    end
    return table.concat(out)
end

function T.b64url_decode(s)
    local vals = {}
    for i = 1, #s do
        local p = B64:find(s:sub(i, i), 1, true)
        if not p then return nil end
        vals[i] = p - 1
    end
    local out = {}
    for i = 1, #vals, 4 do
        local a, b, c, d = vals[i], vals[i + 1], vals[i + 2], vals[i + 3]
        local n = a * 262144 + (b or 0) * 4096 + (c or 0) * 64 + (d or 0)
        out[#out + 1] = string.char(math.floor(n / 65536))
        if c then out[#out + 1] = string.char(math.floor(n / 256) % 256) end
        if d then out[#out + 1] = string.char(n % 256) end
    end
    return table.concat(out)
end

-- ------------------------------------------------------------------
-- Deep comparison of a decoded value with an expected json_reader value

local function path_join(path, k)
    return path .. (type(k) == "number" and ("[" .. k .. "]")
                    or ("." .. tostring(k)))
end

--- Returns true, or false and a description of the first difference.
--- `ph` is the payhook module (its null and array metatable).
function T.same(got, want, ph, path)
    path = path or "$"
    local mt = getmetatable(want)
    if want == reader.null then
        if got ~= ph.null then
            return false, path .. ": want null, got " .. T.show(got)
        end
        return true
    elseif mt == reader.NUMBER then
        if type(got) ~= "number" then
            return false, path .. ": want number " .. want.text .. ", got " ..
                T.show(got)
        end
        local is_int = want.text:match("^-?%d+$") ~= nil
        local w = tonumber(want.text)
        if T.has_integers then
            -- Lua 5.4 reads an integer literal as an integer only when it
            -- fits in 64 bits (otherwise as a float).
            local wi = is_int and math.type(w) == "integer" and w
            if wi then
                -- An integer literal that fits: a Lua integer, exactly.
                if math.type(got) ~= "integer" or got ~= wi then
                    return false, path .. ": want integer " .. want.text ..
                        ", got " .. T.show(got)
                end
                return true
            end
            -- A float literal, or an integer beyond 64 bits: a float.
            if math.type(got) ~= "float" then
                return false, path .. ": want float " .. want.text ..
                    ", got " .. T.show(got)
            end
        end
        if is_int and math.abs(w) >= 2 ^ 53 then
            -- A big integer is a float (a double) in Lua, so it is only as
            -- exact as 53 bits: compare within one part in 2^52.
            if got ~= w and math.abs(got - w) > math.abs(w) * 2 ^ -52 then
                return false, path .. ": want about " .. want.text ..
                    ", got " .. T.show(got)
            end
            return true
        end
        if got ~= w then
            return false, path .. ": want " .. want.text .. ", got " ..
                T.show(got)
        end
        return true
    elseif mt == reader.ARRAY then
        if type(got) ~= "table" or getmetatable(got) ~= ph.array_mt then
            return false, path .. ": want an array (payhook.array_mt), got " ..
                T.show(got)
        end
        local count = 0
        for _ in pairs(got) do count = count + 1 end
        if count ~= want.n then
            return false, ("%s: want %d elements, got %d keys"):format(
                path, want.n, count)
        end
        for i = 1, want.n do
            local ok, why = T.same(got[i], want[i], ph, path_join(path, i))
            if not ok then return false, why end
        end
        return true
    elseif mt == reader.OBJECT then
        if type(got) ~= "table" or getmetatable(got) ~= nil then
            return false, path .. ": want an object (no metatable), got " ..
                T.show(got)
        end
        for k in pairs(got) do
            if want[k] == nil then
                return false, path .. ": unexpected member " .. T.show(k)
            end
        end
        for k, w in pairs(want) do
            local ok, why = T.same(got[k], w, ph, path_join(path, k))
            if not ok then return false, why end
        end
        return true
    end
    if got ~= want then
        return false, path .. ": want " .. T.show(want) .. ", got " ..
            T.show(got)
    end
    return true
end

function T.summary()
    print(("%s: %d passed, %d failed"):format(T.interpreter, T.passed,
                                             T.failed))
    print(("%d passed, %d failed"):format(T.passed, T.failed))
end

--- A collector that takes a small step every few bytes of allocation, so
--- that armed finalisers run a few at a time inside the call under test
--- (a LuaJIT step runs stepmul / 25 finalisers or so: few).  Returns the
--- function that puts the previous settings back.
function T.small_gc_steps()
    if T.is_luajit then
        local pause = collectgarbage("setpause", 100)
        local mul = collectgarbage("setstepmul", 10)
        return function()
            collectgarbage("setpause", pause)
            collectgarbage("setstepmul", mul)
        end
    end
    local mode = collectgarbage("incremental", 100, 400, 3)
    return function()
        collectgarbage("incremental", 200, 100, 13)
        if mode == "generational" then
            collectgarbage("generational")
        end
    end
end

--- Run call() with `n` objects whose finaliser is fin due: made garbage
--- while the collector is stopped, then stepped until the first finaliser
--- has run (fin must do nothing then), so the rest run in the steps the
--- call's own allocations make (as cases_gateways.lua arms its
--- finalisers).  Returns pcall's status and error.
function T.with_finalisers(n, fin, call)
    local fired = 0
    local function counted()
        fired = fired + 1
        fin()
    end
    collectgarbage("stop")
    for _ = 1, n do
        if newproxy then
            getmetatable(newproxy(true)).__gc = counted
        else
            setmetatable({}, { __gc = counted })
        end
    end
    -- Small steps, so that stepping stops soon after the first finaliser
    -- and the call's steps run the others a few at a time.
    local restore = T.small_gc_steps()
    collectgarbage("restart")
    local guard = 0
    while fired == 0 and guard < 1000000 do
        collectgarbage("step", 0)
        guard = guard + 1
    end
    local ok, err = pcall(call)
    restore()
    return ok, err
end

--- Finalisers that call call_inner (the same decoder) while call_outer
--- decodes; returns how many nested calls ran and whether check_inner
--- accepted every value they gave.
function T.reenter(call_outer, call_inner, check_inner)
    local nested, right, calling = 0, true, false
    local function fin()
        if calling then
            nested = nested + 1
            right = check_inner(call_inner()) and right
        end
    end
    for _ = 1, 30 do
        local ok, err = T.with_finalisers(200, fin, function()
            calling = true
            call_outer()
            calling = false
        end)
        calling = false
        T.check(ok, "the outer call: %s", tostring(err))
        if nested > 0 then break end
    end
    return nested, right
end

-- The same structure as lua-cjson's value `want` (lua-cjson cannot tell
-- an empty array from an empty object and has no array metatables, so
-- metatables are not looked at: T.same checks those against
-- json_reader).  `null` is payhook.null, which matches a cjson.null in
-- `want` (`cjson_null`).  true, or false and where the two part.
function T.same_as_cjson(got, want, null, cjson_null, path)
    path = path or "$"
    if type(want) ~= "table" then
        if got == want or (want == cjson_null and got == null) then
            return true
        end
        return false, path .. ": " .. T.show(got) .. " vs " .. T.show(want)
    end
    if type(got) ~= "table" then return false, path .. ": not a table" end
    for k in pairs(got) do
        if want[k] == nil then
            return false, path .. ": extra key " .. T.show(k)
        end
    end
    for k, w in pairs(want) do
        local ok, why = T.same_as_cjson(got[k], w, null, cjson_null,
                                        path .. "." .. tostring(k))
        if not ok then return false, why end
    end
    return true
end

return T
