--- payhook.openresty: a payment gateway's callback endpoint in OpenResty.
--
--   local openresty = require "payhook.openresty"
--   -- once per worker (init_worker_by_lua*, or at module level):
--   local cb = assert(openresty.new{
--       gateway = "stripe", key = os.getenv("STRIPE_WHSEC"),
--       guard = openresty.dict_store("payhook_guard"),
--       log_dict = "payhook_log",
--   })
--   -- for each request (content_by_lua* or access_by_lua*):
--   cb:handle(function(result) ... end)
--
-- handle() reads the body (from memory, or from the temporary file nginx
-- wrote it to), verifies it with the request's headers, answers 401 with
-- a fixed body when it does not verify, and otherwise leaves the result in
-- ngx.ctx.payhook and runs the handler under the replay guard: a callback
-- is claimed before the handler runs, committed when it returns and
-- released when it raises, so each one is acted on once, and a gateway's
-- retry of a delivery that failed half-way is processed again.
--
-- Refusals are logged rate-limited: the first of each kind per interval,
-- then one line with the count of the rest.  Never the key, a token or
-- the body.
--
-- Misuse (an unknown option, a value of the wrong type, an unknown
-- gateway, a lua_shared_dict that nginx.conf does not declare) raises; a
-- key the gateway's scheme cannot use is nil, message, kind, as for
-- payhook.<gateway>.new.  See bindings/lua/README.md, "payhook.openresty".

local payhook = require "payhook"
local core = require "payhook.core"

local ngx = ngx
local floor = math.floor
local type, tostring, next, pcall = type, tostring, next, pcall
local setmetatable, rawget = setmetatable, rawget

local _M = { _VERSION = payhook.version }

local DEFAULT_RETENTION = 7 * 86400     -- seconds a committed callback is kept
local DEFAULT_LEASE = 60                -- seconds a claim holds
local DEFAULT_LOG_INTERVAL = 60         -- seconds per refusal-log budget

-- The fixed bodies of the helper's own answers.
local BODY = {
    [401] = "unauthorized\n",
    [405] = "method not allowed\n",
    [409] = "conflict\n",
    [500] = "internal error\n",
    [503] = "service unavailable\n",
}

-- ngx.ctx's key for a claim that finish() settles in the log phase: a
-- table of this module, so no user's field can collide with it.
local PENDING = {}

local function bad_option(fn, name, what, level)
    error(("bad argument #1 to '%s' (option '%s' %s)"):format(fn, name,
                                                             what),
          level + 1)
end

local function check_options(fn, opts, known, level)
    if type(opts) ~= "table" then
        error(("bad argument #1 to '%s' (options must be a table)"):format(
            fn), level + 1)
    end
    for k in next, opts do
        if not known[k] then
            error(("bad argument #1 to '%s' (unknown option '%s')"):format(
                fn, tostring(k)), level + 1)
        end
    end
end

local function positive(fn, opts, name, default, level)
    local v = rawget(opts, name)
    if v == nil then
        return default
    end
    if type(v) ~= "number" or not (v > 0) or v == math.huge then
        bad_option(fn, name, "must be a positive number of seconds",
                   level + 1)
    end
    return v
end

-- ------------------------------------------------------------------
-- Stores.  A store is any table with three methods (the values are
-- strings, the durations seconds):
--
--   store:claim(key, value, lease)   -> true | false, current | nil, err
--       set key to value for `lease` seconds unless it is already there;
--       false and the value there when it is (current may be nil if that
--       value lapsed meanwhile)
--   store:commit(key, claim, value, retention) -> true | false | nil, err
--       replace claim by value for `retention` seconds, only if key still
--       holds claim
--   store:release(key, claim)        -> true | false | nil, err
--       delete key, only if it still holds claim
--
-- nil, err means the store could not be reached or refused the command.
-- A store whose methods use cosockets sets `cosocket = true`, so that
-- finish() calls it from a timer (the log phase has no cosockets).

local DictStore = {}
DictStore.__index = DictStore

--- A store in a lua_shared_dict: one machine, every worker.
function _M.dict_store(name)
    if type(name) ~= "string" then
        error("bad argument #1 to 'dict_store' (the name of a " ..
              "lua_shared_dict expected)", 2)
    end
    local dict = ngx and ngx.shared and ngx.shared[name]
    if not dict then
        error(("bad argument #1 to 'dict_store' (no lua_shared_dict " ..
               "'%s' in nginx.conf)"):format(name), 2)
    end
    return setmetatable({ dict = dict, name = name }, DictStore)
end

-- safe_add and safe_set never evict other entries to make room: a full
-- dict is an error (and the callback a 503), not a forgotten callback.
function DictStore:claim(key, value, lease)
    local ok, err = self.dict:safe_add(key, value, lease)
    if ok then
        return true
    end
    if err == "exists" then
        return false, self.dict:get(key)
    end
    return nil, err
end

-- A get and a set: each is atomic, and between them only a claim whose
-- lease ran out in that instant could change hands.
function DictStore:commit(key, claim, value, retention)
    if self.dict:get(key) ~= claim then
        return false
    end
    local ok, err = self.dict:safe_set(key, value, retention)
    if not ok then
        return nil, err
    end
    return true
end

function DictStore:release(key, claim)
    if self.dict:get(key) ~= claim then
        return false
    end
    self.dict:delete(key)
    return true
end

local RedisStore = { cosocket = true }
RedisStore.__index = RedisStore

-- Compare-and-set and compare-and-delete, each one atomic in Redis.
local COMMIT_SCRIPT = [[
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
    return 1
end
return 0]]
local RELEASE_SCRIPT = [[
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0]]

local REDIS_OPTIONS = {
    host = true, port = true, path = true, password = true,
    database = true, prefix = true, timeout = true, pool_size = true,
    idle_timeout = true,
}

--- A store in Redis, through lua-resty-redis: several machines.
function _M.redis_store(opts)
    if opts == nil then
        opts = {}
    end
    check_options("redis_store", opts, REDIS_OPTIONS, 2)
    local redis = require "resty.redis"
    local self = setmetatable({
        redis = redis,
        host = rawget(opts, "host") or "127.0.0.1",
        port = rawget(opts, "port") or 6379,
        path = rawget(opts, "path"),
        password = rawget(opts, "password"),
        database = rawget(opts, "database"),
        prefix = rawget(opts, "prefix") or "payhook:",
        timeout = rawget(opts, "timeout") or 1000,
        pool_size = rawget(opts, "pool_size") or 32,
        idle_timeout = rawget(opts, "idle_timeout") or 60000,
    }, RedisStore)
    for _, name in ipairs { "host", "prefix" } do
        if type(self[name]) ~= "string" then
            bad_option("redis_store", name, "must be a string", 2)
        end
    end
    for _, name in ipairs { "path", "password" } do
        if self[name] ~= nil and type(self[name]) ~= "string" then
            bad_option("redis_store", name, "must be a string", 2)
        end
    end
    for _, name in ipairs { "port", "timeout", "pool_size", "idle_timeout" } do
        local v = self[name]
        if type(v) ~= "number" or v < 1 or v ~= floor(v) then
            bad_option("redis_store", name, "must be a positive integer", 2)
        end
    end
    local db = self.database
    if db ~= nil and (type(db) ~= "number" or db < 0 or db ~= floor(db)) then
        bad_option("redis_store", "database", "must be an integer >= 0", 2)
    end
    -- Connections in one pool share the password and the database.
    self.pool = ("payhook:%s:%s:%d"):format(self.path or self.host,
                                            self.path and "" or self.port,
                                            db or 0)
    return self
end

function RedisStore:connect()
    local red = self.redis:new()
    red:set_timeouts(self.timeout, self.timeout, self.timeout)
    local popts = { pool = self.pool, pool_size = self.pool_size }
    local ok, err
    if self.path then
        ok, err = red:connect("unix:" .. self.path, popts)
    else
        ok, err = red:connect(self.host, self.port, popts)
    end
    if not ok then
        return nil, err
    end
    if red:get_reused_times() == 0 then
        if self.password then
            ok, err = red:auth(self.password)
            if not ok then
                red:close()
                return nil, "auth: " .. tostring(err)
            end
        end
        if self.database then
            ok, err = red:select(self.database)
            if not ok then
                red:close()
                return nil, "select: " .. tostring(err)
            end
        end
    end
    return red
end

-- One command on a pooled connection; the connection goes back to the
-- pool after a reply and is closed after an error.
function RedisStore:call(method, ...)
    local red, err = self:connect()
    if not red then
        return nil, err
    end
    local res
    res, err = red[method](red, ...)
    if res == nil then
        red:close()
        return nil, err
    end
    red:set_keepalive(self.idle_timeout, self.pool_size)
    return res
end

local function ms(seconds)
    local n = floor(seconds * 1000)
    return n > 0 and n or 1
end

function RedisStore:claim(key, value, lease)
    local k = self.prefix .. key
    local red, err = self:connect()
    if not red then
        return nil, err
    end
    local res
    res, err = red:set(k, value, "NX", "PX", ms(lease))
    if res == "OK" then
        red:set_keepalive(self.idle_timeout, self.pool_size)
        return true
    end
    if res == nil then
        red:close()
        return nil, err
    end
    res, err = red:get(k)
    if res == nil then
        red:close()
        return nil, err
    end
    red:set_keepalive(self.idle_timeout, self.pool_size)
    if res == ngx.null then
        return false, nil
    end
    return false, res
end

function RedisStore:commit(key, claim, value, retention)
    local res, err = self:call("eval", COMMIT_SCRIPT, 1, self.prefix .. key,
                               claim, value, ms(retention))
    if res == nil then
        return nil, err
    end
    return res == 1
end

function RedisStore:release(key, claim)
    local res, err = self:call("eval", RELEASE_SCRIPT, 1, self.prefix .. key,
                               claim)
    if res == nil then
        return nil, err
    end
    return res == 1
end

-- ------------------------------------------------------------------
-- Rate-limited logging.  Each kind has a budget of one full line per
-- interval (intervals aligned to multiples of log_interval); the worker
-- whose event opened an interval logs it and sets a timer for the
-- interval's end, which logs how many more there were.  With log_dict the
-- count lives in that lua_shared_dict and the budget is shared by every
-- worker; without it each worker keeps its own count.

local function bump(self, kind, window)
    local dict = self.log_dict
    if dict then
        local n = dict:incr(self.log_prefix .. kind .. ":" .. window, 1, 0,
                            2 * self.log_interval + 1)
        if n then
            return n
        end
        -- The dict is full: this worker's own count rather than a line
        -- per event.
    end
    local c = self.counts[kind]
    if c == nil or c.window ~= window then
        c = { window = window, n = 0, prev = c }
        if c.prev then
            c.prev.prev = nil
        end
        self.counts[kind] = c
    end
    c.n = c.n + 1
    return c.n
end

local function count_of(self, kind, window)
    local dict = self.log_dict
    local n = dict and dict:get(self.log_prefix .. kind .. ":" .. window)
    if n then
        return n
    end
    local c = self.counts[kind]
    while c do
        if c.window == window then
            return c.n
        end
        c = c.prev
    end
    return 0
end

local function log_rest(premature, self, kind, window, level, what)
    local rest = count_of(self, kind, window) - 1
    if rest > 0 then
        ngx.log(level, "payhook: ", self.name, " callbacks ", what, ": ",
                kind, ": ", rest, " more in ", self.log_interval, " s")
    end
end

-- note(self, kind, level, what [, detail]): one event, logged within
-- budget.
local function note(self, kind, level, what, detail)
    local now = ngx.now()
    local interval = self.log_interval
    local window = floor(now / interval)
    if bump(self, kind, window) == 1 then
        ngx.log(level, "payhook: ", self.name, " callback ", what, ": ",
                kind, detail or "")
        local delay = (window + 1) * interval - now + 0.01
        local ok, err = ngx.timer.at(delay, log_rest, self, kind, window,
                                     level, what)
        if not ok and err ~= "process exiting" then
            ngx.log(ngx.ERR, "payhook: cannot count ", kind, ": ", err)
        end
    end
end

-- ------------------------------------------------------------------
-- The helper.

local Callback = {}
Callback.__index = Callback

local NEW_OPTIONS = {
    gateway = true, key = true, name = true, guard = true, fail_open = true,
    retention = true, lease = true, log_dict = true, log_interval = true,
    log_level = true, on_refusal = true,
    -- the decoder's (payhook.<gateway>.new)
    leeway = true, tolerance = true, max_bytes = true, exact_numbers = true,
}
local DECODER_OPTIONS = { "leeway", "tolerance", "max_bytes", "exact_numbers" }

--- new{gateway = name, key = key [, guard = store] [, ...]}
--- -> helper | nil, message, kind
function _M.new(opts)
    check_options("new", opts, NEW_OPTIONS, 2)
    local gateway = rawget(opts, "gateway")
    if type(gateway) ~= "string" then
        bad_option("new", "gateway", "must be a gateway's name", 2)
    end
    local name = rawget(opts, "name")
    if name ~= nil and type(name) ~= "string" then
        bad_option("new", "name", "must be a string", 2)
    end
    local dopts = {}
    for _, opt in ipairs(DECODER_OPTIONS) do
        dopts[opt] = rawget(opts, opt)
    end
    local max_bytes = rawget(opts, "max_bytes") or payhook.DEFAULT_MAX_BYTES
    -- An unknown gateway, a key that is not a string or a list, a bad
    -- option value raise here; a key the scheme cannot use is returned.
    local decoder, msg, kind = core.gateway_new(gateway, rawget(opts, "key"),
                                                dopts)
    if not decoder then
        return nil, msg, kind
    end
    local guard = rawget(opts, "guard")
    if guard ~= nil and (type(guard) ~= "table" or
            type(guard.claim) ~= "function" or
            type(guard.commit) ~= "function" or
            type(guard.release) ~= "function") then
        bad_option("new", "guard", "must be a store (dict_store, " ..
                   "redis_store or a table with claim, commit and release)",
                   2)
    end
    local fail_open = rawget(opts, "fail_open")
    if fail_open ~= nil and type(fail_open) ~= "boolean" then
        bad_option("new", "fail_open", "must be a boolean", 2)
    end
    local log_dict = rawget(opts, "log_dict")
    if log_dict ~= nil then
        if type(log_dict) ~= "string" then
            bad_option("new", "log_dict", "must be the name of a " ..
                       "lua_shared_dict", 2)
        end
        local dict = ngx and ngx.shared and ngx.shared[log_dict]
        if not dict then
            bad_option("new", "log_dict", ("names no lua_shared_dict " ..
                       "('%s')"):format(log_dict), 2)
        end
        log_dict = dict
    end
    local on_refusal = rawget(opts, "on_refusal")
    if on_refusal ~= nil and type(on_refusal) ~= "function" then
        bad_option("new", "on_refusal", "must be a function", 2)
    end
    local log_level = rawget(opts, "log_level")
    if log_level ~= nil and (type(log_level) ~= "number" or
            log_level ~= floor(log_level) or log_level < 0) then
        bad_option("new", "log_level", "must be a level such as ngx.WARN",
                   2)
    end
    return setmetatable({
        gateway = gateway,
        name = name or gateway,
        decoder = decoder,
        max_bytes = max_bytes,
        guard = guard,
        fail_open = fail_open or false,
        retention = positive("new", opts, "retention", DEFAULT_RETENTION, 2),
        lease = positive("new", opts, "lease", DEFAULT_LEASE, 2),
        log_dict = log_dict,
        log_prefix = "payhook:" .. (name or gateway) .. ":",
        log_interval = positive("new", opts, "log_interval",
                                DEFAULT_LOG_INTERVAL, 2),
        log_level = log_level,
        on_refusal = on_refusal,
        counts = {},
    }, Callback)
end

-- The whole body: from memory, or from nginx's temporary file when it was
-- bigger than client_body_buffer_size (read up to max_bytes + 1, so the
-- decoder sees it is too large).  "" when there is none; nil, err when
-- the file cannot be read.
local function read_body(max_bytes)
    ngx.req.read_body()
    local body = ngx.req.get_body_data()
    if body then
        return body
    end
    local path = ngx.req.get_body_file()
    if not path then
        return ""
    end
    local f, err = io.open(path, "rb")
    if not f then
        return nil, err
    end
    body, err = f:read(max_bytes + 1)
    f:close()
    if body == nil and err then
        return nil, err
    end
    return body or ""
end

-- Answer and end the request, in the access or the content phase.
local function answer(status, body, content_type)
    if not ngx.headers_sent then
        body = body or ""
        ngx.status = status
        ngx.header["Content-Type"] = content_type or "text/plain"
        ngx.header["Content-Length"] = #body
        if status == 405 then
            ngx.header["Allow"] = "POST"
        end
        ngx.send_headers()
        if #body > 0 then
            ngx.print(body)
        end
    end
    return ngx.exit(ngx.HTTP_OK)
end

local function fixed(status)
    return answer(status, BODY[status])
end

local function reply(result)
    local r = result.reply
    return answer(r.status, r.body, r.content_type)
end

local function refused(self, kind)
    note(self, kind, self.log_level or ngx.WARN, "refused (401)")
    if self.on_refusal then
        local ok, err = pcall(self.on_refusal, kind)
        if not ok then
            note(self, "RefusalHookError", ngx.ERR, "on_refusal failed",
                 ": " .. tostring(err):sub(1, 300))
        end
    end
    return fixed(401)
end

-- The handler under pcall: true, status, body, content_type (status nil
-- when it returned nothing), or false after logging its error.
local function run(self, fn, result)
    if fn == nil then
        return true
    end
    local ok, status, body, content_type = pcall(fn, result)
    if not ok then
        local err = tostring(status)
        if #err > 300 then
            err = err:sub(1, 300) .. "..."
        end
        note(self, "HandlerError", ngx.ERR, "failed (500)", ": " .. err)
        return false
    end
    if status ~= nil and type(status) ~= "number" then
        note(self, "HandlerError", ngx.ERR, "failed (500)",
             ": the handler returned a " .. type(status) ..
             " instead of a status")
        return false
    end
    return true, status, body, content_type
end

-- After the handler: its own answer, or the gateway's reply; in the
-- access phase with nothing to answer, the request goes on.
local function conclude(status, body, content_type, result, phase)
    if ngx.headers_sent then
        return ngx.exit(ngx.HTTP_OK)
    end
    if status then
        return answer(status, body, content_type)
    end
    if phase == "access" then
        return result
    end
    return reply(result)
end

local function settle(self, key, claim, done, keep)
    local ok, err
    if keep then
        ok, err = self.guard:commit(key, claim, done, self.retention)
    else
        ok, err = self.guard:release(key, claim)
    end
    if ok == nil then
        note(self, "StoreUnavailable", ngx.ERR, keep and "not committed"
             or "not released", ": " .. tostring(err))
    elseif not ok then
        -- The lease ran out before the handler returned.
        note(self, "LeaseExpired", ngx.ERR, keep and "not committed"
             or "not released", ": the claim lapsed (lease " ..
             self.lease .. " s)")
    end
end

local function claim(self, key, digest)
    local value = "claim " .. digest .. " " .. ngx.var.request_id
    for _ = 1, 2 do
        local ok, current = self.guard:claim(key, value, self.lease)
        if ok == nil then
            return nil, current
        end
        if ok then
            return "claimed", value
        end
        if current ~= nil then
            local state, d = current:match("^(%a+) (%x+)")
            if d ~= digest then
                return "conflict"
            end
            return state == "done" and "done" or "busy"
        end
        -- It lapsed between the two calls: claim again.
    end
    return "busy"
end

--- cb:handle([handler]): verify this request's callback and act on it
--- once.  handler(result) may return status [, body [, content_type]];
--- returning nothing answers the gateway's reply (in the content phase)
--- or lets the request go on to the content phase (in the access phase).
function Callback:handle(fn)
    if fn ~= nil and type(fn) ~= "function" then
        error("bad argument #1 to 'handle' (a function or nil expected)", 2)
    end
    local phase = ngx.get_phase()
    if ngx.req.get_method() ~= "POST" then
        return fixed(405)
    end
    local body, err = read_body(self.max_bytes)
    if body == nil then
        note(self, "BodyUnreadable", ngx.ERR, "failed (500)",
             ": " .. tostring(err))
        return fixed(500)
    end
    local result, _, kind = self.decoder:verify(body,
                                                ngx.req.get_headers(0, true))
    if not result then
        return refused(self, kind)
    end
    ngx.ctx.payhook = result

    local guard = self.guard
    local ok, status, rbody, ctype
    if guard == nil then
        ok, status, rbody, ctype = run(self, fn, result)
        if not ok then
            return fixed(500)
        end
        return conclude(status, rbody, ctype, result, phase)
    end

    local digest = core.sha1_hex(body)
    local key = self.gateway .. ":" .. (result.event_id or "sha1:" .. digest)
    local state, value = claim(self, key, digest)
    if state == nil then
        note(self, "StoreUnavailable", ngx.ERR, self.fail_open and
             "unguarded" or "deferred (503)", ": " .. tostring(value))
        if not self.fail_open then
            return fixed(503)
        end
        ok, status, rbody, ctype = run(self, fn, result)
        if not ok then
            return fixed(500)
        end
        return conclude(status, rbody, ctype, result, phase)
    end
    if state == "done" then
        return reply(result)
    end
    if state == "busy" then
        note(self, "DuplicateInFlight", self.log_level or ngx.WARN,
             "deferred (409)")
        return fixed(409)
    end
    if state == "conflict" then
        note(self, "PayloadConflict", self.log_level or ngx.WARN,
             "refused (409)")
        return fixed(409)
    end

    local done = "done " .. digest
    if fn == nil and phase == "access" then
        -- The content phase does the work; finish() settles the claim.
        ngx.ctx[PENDING] = { self, key, value, done }
        return result
    end
    ok, status, rbody, ctype = run(self, fn, result)
    settle(self, key, value, done, ok and (status == nil or status < 400))
    if not ok then
        return fixed(500)
    end
    return conclude(status, rbody, ctype, result, phase)
end

local function settle_later(premature, self, key, value, done, keep)
    settle(self, key, value, done, keep)
end

--- cb:finish(), in log_by_lua*: after handle() without a handler in the
--- access phase, commit the claim if the response was a success (status
--- below 400) or release it so the gateway's retry is processed.  The
--- claim is settled by the helper that made it.
function Callback:finish()
    local ctx = ngx.ctx
    local p = ctx[PENDING]
    if p == nil then
        return
    end
    ctx[PENDING] = nil
    local owner, key, value, done = p[1], p[2], p[3], p[4]
    local status = tonumber(ngx.status) or 0
    local keep = status >= 200 and status < 400
    if owner.guard.cosocket and ngx.get_phase() == "log" then
        local ok, err = ngx.timer.at(0, settle_later, owner, key, value,
                                     done, keep)
        if not ok then
            note(owner, "StoreUnavailable", ngx.ERR, "not settled",
                 ": " .. tostring(err))
        end
        return
    end
    settle(owner, key, value, done, keep)
end

return _M
