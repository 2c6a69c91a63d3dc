--- Payout callbacks in OpenResty, with payhook.openresty.
--
-- nginx.conf (beside this file) calls init_worker() once per worker, and
-- leanx() / superpay() for each POST.  Each is one payhook.openresty
-- helper: it reads the body, verifies it, and runs the handler below
-- under the replay guard (lua_shared_dict payhook_guard), so each payout
-- is recorded once.  A callback that verifies gets 200 and "OK <id>" the
-- first time, and the gateway's reply (200) when it comes again; anything
-- else gets 401 and, rate-limited through lua_shared_dict payhook_log,
-- a log line at "error" (the level nginx's default error log keeps) with
-- the error's kind, never the body or a key.
--
-- Keys: from the environment (nginx's `env` directive passes them through)
-- or, if PAYHOOK_KEY_DIR is set (and passed through by `env
-- PAYHOOK_KEY_DIR;`), from the files leanx_hash_key and
-- superpay_symmetric_key in that directory (mode 0400, owned by the user
-- the workers run as).  A trailing newline in a key file is ignored.
--
-- With `lua_shared_dict payhook_refusals` declared (nginx.conf's optional
-- limit), each refusal is counted per client address for 10 minutes, and
-- refused_source() names the sources refused 5 times or more, for
-- limit_req to slow down.
--
-- What is left to the merchant (see record_payout below):
--   * record_payout runs once per callback: the guard claims the callback
--     before it runs, commits when it returns and releases when it raises
--     (the gateway's retry is then processed).  A different payload under
--     an id already seen gets 409 and a log line.
--   * SuperPay's AES-CBC has no MAC: anyone can post altered ciphertext.
--     payhook fails every bad one the same way, but cannot make a
--     decrypted one authentic: confirm the transaction with SuperPay's
--     query API before moving money.

local payhook = require "payhook"
local openresty = require "payhook.openresty"

local ngx = ngx
local _M = {}

-- Per-worker helpers, each with its prepared decoder (each worker has its
-- own Lua VM; the guard and the log budget are shared dicts, shared by
-- all of them).
local leanx, superpay

-- Refusals per client address, and for how long they count.
local REFUSALS_WINDOW = 600
local REFUSALS_LIMIT = 5

local function read_key(env_name, file_name)
    local dir = os.getenv("PAYHOOK_KEY_DIR")
    if dir and dir ~= "" then
        local f, err = io.open(dir .. "/" .. file_name, "rb")
        if not f then
            -- err names the file and the reason (for example "Permission
            -- denied"), never its content.
            ngx.log(ngx.ERR, "payhook: cannot read a key file: ", err)
            return nil
        end
        local key = f:read("*a")
        f:close()
        return (key:gsub("\r?\n$", ""))
    end
    local key = os.getenv(env_name)
    if key == "" then
        return nil
    end
    return key
end

-- Refusals per client address (nginx.conf's optional limit).
local function count_refusal()
    local refusals = ngx.shared.payhook_refusals
    if refusals then
        -- The count starts at the first refusal and lapses with it.
        local _, err = refusals:incr(ngx.var.binary_remote_addr, 1, 0,
                                     REFUSALS_WINDOW)
        if err then
            ngx.log(ngx.ERR, "payhook: refusal not counted: ", err)
        end
    end
end

local function helper(gateway, name, key)
    local cb, err, kind = openresty.new {
        gateway = gateway,
        key = key,
        name = name,
        guard = openresty.dict_store("payhook_guard"),
        log_dict = "payhook_log",
        log_level = ngx.ERR,
        on_refusal = count_refusal,
    }
    if not cb then
        -- The message is fixed text: it never contains the key.
        ngx.log(ngx.ERR, "payhook: ", name, " key refused: ", kind, ": ", err)
    end
    return cb
end

function _M.init_worker()
    local key = read_key("LEANX_HASH_KEY", "leanx_hash_key")
    if key then
        leanx = helper("leanx", "LeanX", key)
    else
        ngx.log(ngx.ERR, "payhook: no LeanX hash key; LeanX callbacks ",
                "will be refused")
    end
    key = read_key("SUPERPAY_SYMMETRIC_KEY", "superpay_symmetric_key")
    if key then
        superpay = helper("superpay", "SuperPay", key)
    else
        ngx.log(ngx.ERR, "payhook: no SuperPay key; SuperPay callbacks ",
                "will be refused")
    end
end

--- For set_by_lua: the client's address if it has been refused
--- REFUSALS_LIMIT times within the window, else "" (which limit_req does
--- not count).
function _M.refused_source()
    local refusals = ngx.shared.payhook_refusals
    local addr = ngx.var.binary_remote_addr
    if refusals and addr and (refusals:get(addr) or 0) >= REFUSALS_LIMIT then
        return addr
    end
    return ""
end

local function field(t, ...)
    for i = 1, select("#", ...) do
        if type(t) ~= "table" then
            return nil
        end
        t = t[select(i, ...)]
    end
    if t == payhook.null then
        return nil
    end
    return t
end

--- Replace with the shop's own bookkeeping: record the payout and act on
--- its status.  The guard runs it once per callback; raise to have the
--- gateway's retry processed again.  Returns the id.
function _M.record_payout(provider, id, status)
    return id
end

local function ok(id)
    return 200, "OK " .. tostring(id) .. "\n"
end

function _M.leanx()
    if not leanx then
        return ngx.exit(ngx.HTTP_SERVICE_UNAVAILABLE)
    end
    return leanx:handle(function(result)
        local payload = result.payload
        return ok(_M.record_payout("leanx",
                                   field(payload, "output", "invoice_no"),
                                   field(payload, "output",
                                         "invoice_status")))
    end)
end

function _M.superpay()
    if not superpay then
        return ngx.exit(ngx.HTTP_SERVICE_UNAVAILABLE)
    end
    return superpay:handle(function(result)
        local payload = result.payload
        -- A payout callback has data.transaction.id; a payment-creation
        -- response (the vendor's sample) has data.transactionId.
        local id = field(payload, "data", "transaction", "id") or
            field(payload, "data", "transactionId")
        -- Unauthenticated: confirm with SuperPay's query API before acting.
        return ok(_M.record_payout("superpay", id,
                                   field(payload, "data", "status")))
    end)
end

return _M
