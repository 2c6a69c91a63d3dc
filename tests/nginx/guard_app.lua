--- The endpoints tests/nginx/guard.sh posts to: payhook.openresty helpers
--- for Stripe callbacks, with the shared-dict guard, the Redis guard, no
--- guard, and the access-phase form.
--
-- The handler's side effect is a counter per endpoint and event id in
-- lua_shared_dict effects, read back through /effects.  Request headers
-- (not signed, test only) steer it: X-Test-Sleep makes it take that many
-- seconds, X-Test-Fail makes it raise after the claim and before its side
-- effect, X-Test-Silent makes it return nothing (the gateway's reply is
-- then sent).

local openresty = require "payhook.openresty"

local ngx = ngx
local _M = {}
local helpers = {}

function _M.init_worker()
    local key = assert(os.getenv("GUARD_KEY"))
    local dict = openresty.dict_store("payhook_guard")
    local function new(name, opts)
        opts.gateway = "stripe"
        opts.key = key
        opts.name = name
        opts.log_dict = opts.log_dict or "payhook_log"
        helpers[name] = assert(openresty.new(opts))
    end
    new("dict", { guard = dict, lease = 10 })
    new("plain", {})
    new("small", { max_bytes = 65536 })
    new("access", { guard = dict, lease = 10 })
    new("flood", { log_dict = "flood_log", log_interval = 2 })
    local port = tonumber(os.getenv("REDIS_PORT") or "")
    if port then
        local store = openresty.redis_store { port = port, timeout = 500,
                                              prefix = "payhook-test:" }
        new("redis", { guard = store, lease = 10 })
        new("redis_open", { guard = store, lease = 10, fail_open = true })
        new("access_redis", { guard = store, lease = 10 })
    end
end

local function effect(name, result)
    local h = ngx.req.get_headers()
    local id = result.event_id or "noid"
    local effects = ngx.shared.effects
    if h["x-test-sleep"] then
        ngx.sleep(tonumber(h["x-test-sleep"]))
    end
    effects:incr(name .. ":attempts:" .. id, 1, 0)
    if h["x-test-fail"] then
        error("the handler failed on purpose")
    end
    effects:incr(name .. ":" .. id, 1, 0)
    if h["x-test-silent"] then
        return
    end
    local where = ngx.req.get_body_file() and " from a file" or ""
    return 200, "processed " .. id .. where .. "\n"
end

function _M.handle(name)
    local cb = helpers[name]
    if not cb then
        return ngx.exit(501)
    end
    return cb:handle(function(result)
        return effect(name, result)
    end)
end

-- access_by_lua: verify and claim; content_by_lua: the work; log_by_lua:
-- commit or release.
function _M.access(name)
    local cb = helpers[name]
    if not cb then
        return ngx.exit(501)
    end
    cb:handle()
end

function _M.access_content(name)
    local result = ngx.ctx.payhook
    local id = result.event_id
    local effects = ngx.shared.effects
    effects:incr(name .. ":attempts:" .. id, 1, 0)
    if ngx.req.get_headers()["x-test-fail"] then
        return ngx.exit(500)
    end
    effects:incr(name .. ":" .. id, 1, 0)
    ngx.say("processed ", id)
end

function _M.finish(name)
    helpers[name]:finish()
end

-- GET /effects?key=NAME:ID -> the counter, 0 if none.
function _M.effects()
    ngx.say(ngx.shared.effects:get(ngx.var.arg_key) or 0)
end

return _M
