-- A small JSON reader for the test suite, independent of payhook, that
-- keeps what the expected values need to show and Debian's lua-cjson 2.1
-- loses: whether a number was written as an integer or with a fraction
-- (cjson gives floats for both), the exact text of big integers, and
-- whether an empty container was [] or {}.
--
--   reader.decode(text) -> value
--     object -> table with metatable reader.OBJECT
--     array  -> table with metatable reader.ARRAY (n = element count)
--     number -> table with metatable reader.NUMBER, field `text`
--     null   -> reader.null
--     string -> Lua string (UTF-8; \u escapes decoded, \u0000 included)
--
-- Only for the vector files, which are trusted; errors raise.

local reader = {}

reader.OBJECT = { __name = "json object" }
reader.ARRAY = { __name = "json array" }
reader.NUMBER = { __name = "json number" }
reader.null = setmetatable({}, { __name = "json null" })

local byte, sub, char, find = string.byte, string.sub, string.char, string.find

local function fail(text, pos, what)
    error(("JSON reader: %s at byte %d near %q"):format(
        what, pos, sub(text, pos, pos + 20)), 0)
end

local function skip(text, pos)
    local _, e = find(text, "^[ \t\r\n]*", pos)
    return e + 1
end

-- UTF-8 bytes of a code point.
local function utf8_char(cp)
    if cp < 0x80 then
        return char(cp)
    elseif cp < 0x800 then
        return char(0xc0 + math.floor(cp / 0x40), 0x80 + cp % 0x40)
    elseif cp < 0x10000 then
        return char(0xe0 + math.floor(cp / 0x1000),
                    0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
    end
    return char(0xf0 + math.floor(cp / 0x40000),
                0x80 + math.floor(cp / 0x1000) % 0x40,
                0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

local escapes = {
    [byte '"'] = '"', [byte "\\"] = "\\", [byte "/"] = "/",
    [byte "b"] = "\b", [byte "f"] = "\f", [byte "n"] = "\n",
    [byte "r"] = "\r", [byte "t"] = "\t",
}

local function read_string(text, pos)
    -- pos is at the opening quote
    local parts, n = {}, 0
    local i = pos + 1
    while true do
        local s, e = find(text, '^[^"\\]+', i)
        if s then
            n = n + 1
            parts[n] = sub(text, s, e)
            i = e + 1
        end
        local c = byte(text, i)
        if c == nil then
            fail(text, i, "unterminated string")
        elseif c == byte '"' then
            return table.concat(parts), i + 1
        else -- backslash
            local x = byte(text, i + 1)
            if x == byte "u" then
                local cp = tonumber(sub(text, i + 2, i + 5), 16)
                if not cp then fail(text, i, "bad \\u escape") end
                i = i + 6
                if cp >= 0xd800 and cp <= 0xdbff and
                    sub(text, i, i + 1) == "\\u" then
                    local lo = tonumber(sub(text, i + 2, i + 5), 16)
                    if lo and lo >= 0xdc00 and lo <= 0xdfff then
                        cp = 0x10000 + (cp - 0xd800) * 0x400 + (lo - 0xdc00)
                        i = i + 6
                    end
                end
                n = n + 1
                parts[n] = utf8_char(cp)
            elseif escapes[x] then
                n = n + 1
                parts[n] = escapes[x]
                i = i + 2
            else
                fail(text, i, "bad escape")
            end
        end
    end
end

local read_value

local function read_array(text, pos)
    local arr, n = {}, 0
    pos = skip(text, pos + 1)
    if byte(text, pos) == byte "]" then
        arr.n = 0
        return setmetatable(arr, reader.ARRAY), pos + 1
    end
    while true do
        local v
        v, pos = read_value(text, pos)
        n = n + 1
        arr[n] = v
        pos = skip(text, pos)
        local c = byte(text, pos)
        if c == byte "]" then
            arr.n = n
            return setmetatable(arr, reader.ARRAY), pos + 1
        elseif c ~= byte "," then
            fail(text, pos, "',' or ']' expected")
        end
        pos = skip(text, pos + 1)
    end
end

local function read_object(text, pos)
    local obj = {}
    pos = skip(text, pos + 1)
    if byte(text, pos) == byte "}" then
        return setmetatable(obj, reader.OBJECT), pos + 1
    end
    while true do
        if byte(text, pos) ~= byte '"' then fail(text, pos, "name expected") end
        local k
        k, pos = read_string(text, pos)
        pos = skip(text, pos)
        if byte(text, pos) ~= byte ":" then fail(text, pos, "':' expected") end
        local v
        v, pos = read_value(text, skip(text, pos + 1))
        obj[k] = v
        pos = skip(text, pos)
        local c = byte(text, pos)
        if c == byte "}" then
            return setmetatable(obj, reader.OBJECT), pos + 1
        elseif c ~= byte "," then
            fail(text, pos, "',' or '}' expected")
        end
        pos = skip(text, pos + 1)
    end
end

function read_value(text, pos)
    pos = skip(text, pos)
    local c = byte(text, pos)
    if c == byte "{" then
        return read_object(text, pos)
    elseif c == byte "[" then
        return read_array(text, pos)
    elseif c == byte '"' then
        return read_string(text, pos)
    elseif sub(text, pos, pos + 3) == "true" then
        return true, pos + 4
    elseif sub(text, pos, pos + 4) == "false" then
        return false, pos + 5
    elseif sub(text, pos, pos + 3) == "null" then
        return reader.null, pos + 4
    end
    local s, e = find(text, "^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if not s then fail(text, pos, "value expected") end
    return setmetatable({ text = sub(text, s, e) }, reader.NUMBER), e + 1
end

function reader.decode(text)
    local v, pos = read_value(text, 1)
    pos = skip(text, pos)
    if pos <= #text then fail(text, pos, "extra data") end
    return v
end

function reader.is_number(v)
    return getmetatable(v) == reader.NUMBER
end

-- Plain Lua values (for inputs and options): objects and arrays become
-- plain tables, numbers Lua numbers, null nil.
function reader.plain(v)
    local mt = getmetatable(v)
    if mt == reader.NUMBER then
        return tonumber(v.text)
    elseif v == reader.null then
        return nil
    elseif mt == reader.ARRAY then
        local out = {}
        for i = 1, v.n do out[i] = reader.plain(v[i]) end
        return out
    elseif mt == reader.OBJECT then
        local out = {}
        for k, x in pairs(v) do out[k] = reader.plain(x) end
        return out
    end
    return v
end

-- The UTF-8 bytes of a code point, for tests that build names and text
-- (LuaJIT has no "\u{...}").
reader.utf8_char = utf8_char

return reader
