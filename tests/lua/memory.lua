-- 100,000 decodes of each kind, good and bad, through prepared decoders
-- and the one-call functions: neither the Lua heap (collectgarbage) nor
-- the process (RSS from /proc/self/statm) may grow.  Run by run_all.sh in
-- Lua 5.4 and in LuaJIT; prints "N passed, N failed".
local payhook = require "payhook"

local N = tonumber(os.getenv("PAYHOOK_MEMORY_N") or "") or 100000
local LEANX_KEY = "memory-test-hash-key-0123456789abcdef"
local SP_KEY = "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ"

local function rss_kib()
    local f = io.open("/proc/self/statm", "r")
    if not f then return nil end
    local pages = f:read("*n")
    pages = f:read("*n")   -- second field: resident pages
    f:close()
    return pages * 4
end

local payload = {
    output = { invoice_no = "17254613886HGPiuRu", amount = "13.00",
               error_description = setmetatable({}, payhook.array_mt),
               client_transaction_details = payhook.null },
    response_code = 2100,
}
local good_leanx = '{"data":"' .. payhook.jwt.encode(payload, LEANX_KEY) .. '"}'
local forged_leanx = '{"data":"' ..
    payhook.jwt.encode(payload, LEANX_KEY .. "x") .. '"}'
local good_sp = '{"encryptedData":"' ..
    payhook.superpay.encrypt({ data = { status = "SUCCESS" } }, SP_KEY) .. '"}'
local bad_sp = '{"encryptedData":"' .. string.rep("ab", 48) .. '"}'

local lx = payhook.leanx.new(LEANX_KEY)
local sp = payhook.superpay.new(SP_KEY)

-- The gateway pipeline: headers, a signed timestamp, a form.
local WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
local sw_body, sw_headers = payhook.standardwebhooks.sign(payload, WHSEC,
    { timestamp = 1700000000, event_id = "msg_1" })
local sw = payhook.standardwebhooks.new(WHSEC)
local form_body = payhook.billplz.sign({ id = "W1", state = "paid",
    amount = "200", mobile = "" }, LEANX_KEY)
local bz = payhook.billplz.new(LEANX_KEY)

local kinds = {
    { "leanx good (decoder)", function() assert(lx:decode(good_leanx)) end },
    { "leanx forged (decoder)", function()
        local v, _, kind = lx:decode(forged_leanx)
        assert(v == nil and kind == "InvalidSignatureError")
    end },
    { "superpay good (decoder)", function() assert(sp:decode(good_sp)) end },
    { "superpay bad padding (decoder)", function()
        local v, _, kind = sp:decode(bad_sp)
        assert(v == nil and kind == "DecryptionError")
    end },
    { "leanx good (one call)", function()
        assert(payhook.leanx.decode(good_leanx, LEANX_KEY))
    end },
    { "superpay bad (one call)", function()
        assert(payhook.superpay.decode(bad_sp, SP_KEY) == nil)
    end },
    { "standardwebhooks verify (decoder)", function()
        assert(sw:verify(sw_body, sw_headers, 1700000000).event_id)
    end },
    { "standardwebhooks forged (one call)", function()
        local v, _, kind = payhook.standardwebhooks.verify(sw_body .. " ",
            WHSEC, sw_headers, { now = 1700000000 })
        assert(v == nil and kind == "InvalidSignatureError")
    end },
    { "billplz form verify (decoder)", function()
        assert(bz:verify(form_body, nil).event_id == "W1:paid")
    end },
}

local passed, failed = 0, 0
for _, k in ipairs(kinds) do
    local name, run = k[1], k[2]
    -- Warm up (allocator pools, interned strings), then measure.
    for _ = 1, math.floor(N / 10) do run() end
    collectgarbage("collect")
    collectgarbage("collect")
    local heap0, rss0 = collectgarbage("count"), rss_kib()
    for _ = 1, N do run() end
    collectgarbage("collect")
    collectgarbage("collect")
    local heap1, rss1 = collectgarbage("count"), rss_kib()
    local dheap, drss = heap1 - heap0, (rss1 or 0) - (rss0 or 0)
    local ok = dheap < 64 and drss < 1024
    print(string.format("%s %s: %d decodes, Lua heap %+.1f KiB, RSS %+d KiB",
                        ok and "ok  " or "FAIL", name, N, dheap, drss))
    if ok then passed = passed + 1 else failed = failed + 1 end
end
print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
