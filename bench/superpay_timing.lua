-- The Lua worker of bench/superpay_timing.py (Lua 5.4 or LuaJIT):
--   lua5.4 bench/superpay_timing.lua DIR/manifest.txt
-- loads the bodies the driver wrote, checks each case once (the genuine
-- callback decodes; every failure is the one DecryptionError with the one
-- message), prints "ready", then answers each "SIZE CASE REPS" line on
-- stdin with the CPU nanoseconds (os.clock) that REPS calls took.
local payhook = require("payhook")

local manifest = assert(arg[1], "usage: superpay_timing.lua MANIFEST")
local dir = manifest:match("^(.*)/[^/]*$") or "."
local keys, calls = {}, {}

local function slurp(path)
    local f = assert(io.open(path, "rb"))
    local data = f:read("a")
    f:close()
    return data
end

local decoders = {}
local failures = {}
for line in io.lines(manifest) do
    local word, rest = line:match("^(%S+) (.*)$")
    if word == "key" or word == "wrong_key" then
        keys[word] = rest
        decoders[word] = assert(payhook.superpay.new(rest))
    else
        local i, case, key, file = rest:match("^(%d+) (%S+) (%S+) (%S+)$")
        local body = slurp(dir .. "/" .. file)
        local dec = decoders[key]
        local value, msg, kind = dec:decode(body)
        if case == "ok" then
            if type(value) ~= "table" or type(value.data) ~= "table" then
                io.stderr:write("worker: ok case did not decode: ",
                                tostring(msg), "\n")
                os.exit(1)
            end
        else
            if value ~= nil or kind ~= "DecryptionError" then
                io.stderr:write("worker: ", case, " was not refused\n")
                os.exit(1)
            end
            failures[kind .. ": " .. msg] = true
        end
        calls[i .. " " .. case] = {dec, body}
    end
end
local n = 0
for _ in pairs(failures) do n = n + 1 end
if n ~= 1 then
    io.stderr:write("worker: the failures differ\n")
    os.exit(1)
end

io.stdout:setvbuf("line")
print("ready")
local clock = os.clock
for line in io.lines() do
    local i, case, reps = line:match("^(%d+) (%S+) (%d+)$")
    local c = calls[i .. " " .. case]
    local dec, body = c[1], c[2]
    reps = tonumber(reps)
    -- A full collection first, so that no batch pays for another's garbage.
    collectgarbage("collect")
    local t0 = clock()
    for _ = 1, reps do
        dec:decode(body)
    end
    print(string.format("%d", math.floor((clock() - t0) * 1e9 + 0.5)))
end
