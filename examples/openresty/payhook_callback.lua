--- Payout callbacks in OpenResty, with payhook.
--
-- nginx.conf (beside this file) calls init_worker() once per worker, and
-- leanx() / superpay() for each POST.  A callback that verifies gets 200;
-- anything else gets 401 and a log line at "error" (the level nginx's
-- default error log keeps) with the error's kind, never the body or a key.
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
--   * LeanX payloads carry no exp: a captured callback verifies forever, so
--     record each output.invoice_no once and ignore repeats.
--   * SuperPay's AES-CBC has no MAC: anyone can post altered ciphertext.
--     payhook fails every bad one the same way, but cannot make a
--     decrypted one authentic: confirm the transaction with SuperPay's
--     query API before moving money.

local payhook = require "payhook"

local ngx = ngx
local _M = {}

-- Per-worker prepared decoders (each worker has its own Lua VM).
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

function _M.init_worker()
    local err, kind
    local key = read_key("LEANX_HASH_KEY", "leanx_hash_key")
    if key then
        leanx, err, kind = payhook.leanx.new(key)
        if not leanx then
            -- The message is fixed text: it never contains the key.
            ngx.log(ngx.ERR, "payhook: LeanX key refused: ", kind, ": ", err)
        end
    else
        ngx.log(ngx.ERR, "payhook: no LeanX hash key; LeanX callbacks ",
                "will be refused")
    end
    key = read_key("SUPERPAY_SYMMETRIC_KEY", "superpay_symmetric_key")
    if key then
        superpay, err, kind = payhook.superpay.new(key)
        if not superpay then
            ngx.log(ngx.ERR, "payhook: SuperPay key refused: ", kind, ": ",
                    err)
        end
    else
        ngx.log(ngx.ERR, "payhook: no SuperPay key; SuperPay callbacks ",
                "will be refused")
    end
end

-- The request body, or nil if nginx spilled it to a file (it is then
-- bigger than client_body_buffer_size, which is set to the maximum size).
local function request_body()
    ngx.req.read_body()
    local body = ngx.req.get_body_data()
    if body == nil and ngx.req.get_body_file() == nil then
        body = ""
    end
    return body
end

local function refuse(provider, msg, kind)
    ngx.log(ngx.ERR, "payhook: ", provider, " callback refused: ",
            kind or "?", ": ", msg or "")
    local refusals = ngx.shared.payhook_refusals
    if refusals then
        -- The count starts at the first refusal and lapses with it.
        local _, err = refusals:incr(ngx.var.binary_remote_addr, 1, 0,
                                     REFUSALS_WINDOW)
        if err then
            ngx.log(ngx.ERR, "payhook: refusal not counted: ", err)
        end
    end
    return ngx.exit(ngx.HTTP_UNAUTHORIZED)
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

--- Replace with the shop's own bookkeeping: record the payout once (the
--- id is the idempotency key) and act on its status.  Returns the id.
function _M.record_payout(provider, id, status)
    return id
end

local function reply(provider, id, status)
    local recorded = _M.record_payout(provider, id, status)
    ngx.header.content_type = "text/plain"
    ngx.say("OK ", tostring(recorded))
    return ngx.exit(ngx.HTTP_OK)
end

function _M.leanx()
    if ngx.req.get_method() ~= "POST" then
        return ngx.exit(ngx.HTTP_NOT_ALLOWED)
    end
    if not leanx then
        return ngx.exit(ngx.HTTP_SERVICE_UNAVAILABLE)
    end
    local body = request_body()
    if body == nil then
        return refuse("LeanX", "body too large", "PayloadTooLargeError")
    end
    local payload, msg, kind = leanx:decode(body)
    if not payload then
        return refuse("LeanX", msg, kind)
    end
    return reply("leanx", field(payload, "output", "invoice_no"),
                 field(payload, "output", "invoice_status"))
end

function _M.superpay()
    if ngx.req.get_method() ~= "POST" then
        return ngx.exit(ngx.HTTP_NOT_ALLOWED)
    end
    if not superpay then
        return ngx.exit(ngx.HTTP_SERVICE_UNAVAILABLE)
    end
    local body = request_body()
    if body == nil then
        return refuse("SuperPay", "body too large", "PayloadTooLargeError")
    end
    local payload, msg, kind = superpay:decode(body)
    if not payload then
        return refuse("SuperPay", msg, kind)
    end
    -- A payout callback has data.transaction.id; a payment-creation
    -- response (the vendor's sample) has data.transactionId.
    local id = field(payload, "data", "transaction", "id") or
        field(payload, "data", "transactionId")
    -- Unauthenticated: confirm with SuperPay's query API before acting.
    return reply("superpay", id, field(payload, "data", "status"))
end

return _M
