-- Writes the Stripe callbacks tests/nginx/guard.sh posts: NAME.json (the
-- body) and NAME.hdr (its Stripe-Signature header, for curl -H @file),
-- signed now with GUARD_KEY (forged.* with another key).
--
--   luajit tests/nginx/guard_bodies.lua OUTDIR

local payhook = require "payhook"

local out = assert(arg[1], "usage: guard_bodies.lua OUTDIR")
local KEY = assert(os.getenv("GUARD_KEY"))

local function write(path, text)
    local f = assert(io.open(path, "wb"))
    f:write(text)
    f:close()
end

local function callback(name, id, amount, extra, key)
    local payload = {
        type = "payment_intent.succeeded",
        data = { object = { amount = amount, currency = "myr" } },
    }
    payload.id = id
    if extra then
        payload.data.object.description = extra
    end
    local body, headers = payhook.stripe.sign(payload, key or KEY)
    local lines = {}
    for k, v in pairs(headers) do
        lines[#lines + 1] = k .. ": " .. v
    end
    write(out .. "/" .. name .. ".json", body)
    write(out .. "/" .. name .. ".hdr", table.concat(lines, "\n") .. "\n")
end

callback("good", "evt_good", 12410)
callback("silent", "evt_silent", 12410)
callback("forged", "evt_forged", 99999, nil, "whsec_not_the_merchant_key")
callback("noid", nil, 500)
-- Above client_body_buffer_size (1k in the test's nginx.conf): nginx
-- writes it to a temporary file.
callback("big", "evt_big", 12410, ("x"):rep(8000))
-- Above the small endpoint's max_bytes (64 KiB).
callback("toobig", "evt_toobig", 12410, ("x"):rep(70000))
for _, store in ipairs { "dict", "redis" } do
    callback("conc_" .. store, "evt_conc_" .. store, 12410)
    callback("fail_" .. store, "evt_fail_" .. store, 12410)
    callback("conflict_a_" .. store, "evt_conflict_" .. store, 12410)
    callback("conflict_b_" .. store, "evt_conflict_" .. store, 99999)
end
callback("redis_good", "evt_redis_good", 12410)
callback("down", "evt_down", 12410)
callback("access_good", "evt_access_good", 12410)
callback("access_fail", "evt_access_fail", 12410)
