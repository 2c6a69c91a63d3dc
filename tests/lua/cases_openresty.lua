-- payhook.openresty outside nginx: the module loads without ngx, and new()
-- checks its options as the house style says (misuse raises, a key the
-- scheme cannot use is nil, message, kind).  What it does for a request
-- is tested in a real nginx: tests/nginx/guard.sh.

local T = require "testlib"

return function(payhook)
    local case = T.case
    local openresty = require "payhook.openresty"
    local KEY = "whsec_openresty_case_key"

    case("openresty: loads without ngx, same version", function()
        T.eq(openresty._VERSION, payhook.version, "_VERSION")
        T.eq(type(openresty.new), "function", "new")
        T.eq(type(openresty.dict_store), "function", "dict_store")
        T.eq(type(openresty.redis_store), "function", "redis_store")
    end)

    case("openresty: new with a gateway and a key", function()
        local cb = openresty.new { gateway = "stripe", key = KEY }
        T.eq(type(cb), "table", "helper")
        T.eq(type(cb.handle), "function", "handle")
        T.eq(type(cb.finish), "function", "finish")
        T.check(not tostring(cb):find(KEY, 1, true), "key in tostring")
        cb = openresty.new { gateway = "leanx", key = { "a", "b" },
                             leeway = 5, max_bytes = 4096, lease = 30,
                             retention = 3600, log_interval = 10,
                             fail_open = false, name = "payouts",
                             on_refusal = function() end }
        T.eq(type(cb), "table", "helper with options")
    end)

    case("openresty: a key the scheme cannot use", function()
        local cb, msg, kind = openresty.new { gateway = "chip", key = KEY }
        T.bad("InvalidKeyError", { KEY }, cb, msg, kind)
        cb, msg, kind = openresty.new { gateway = "stripe", key = "" }
        T.bad("InvalidKeyError", {}, cb, msg, kind)
    end)

    case("openresty: misuse raises", function()
        local function raises(opts, want)
            local err = T.raises(openresty.new, opts)
            T.check(err:find(want, 1, true), "%s: %s", want, err)
        end
        raises(nil, "options must be a table")
        raises({ gateway = "stripe", key = KEY, bogus = 1 },
               "unknown option 'bogus'")
        raises({ key = KEY }, "option 'gateway'")
        raises({ gateway = "nosuch", key = KEY }, "unknown gateway 'nosuch'")
        raises({ gateway = "stripe" }, "")
        raises({ gateway = "stripe", key = 42 }, "")
        raises({ gateway = "stripe", key = KEY, guard = "payhook_guard" },
               "option 'guard'")
        raises({ gateway = "stripe", key = KEY, guard = { claim = print } },
               "option 'guard'")
        raises({ gateway = "stripe", key = KEY, lease = 0 }, "option 'lease'")
        raises({ gateway = "stripe", key = KEY, retention = -1 },
               "option 'retention'")
        raises({ gateway = "stripe", key = KEY, log_interval = "60" },
               "option 'log_interval'")
        raises({ gateway = "stripe", key = KEY, fail_open = 1 },
               "option 'fail_open'")
        raises({ gateway = "stripe", key = KEY, log_level = "warn" },
               "option 'log_level'")
        raises({ gateway = "stripe", key = KEY, name = 1 }, "option 'name'")
        raises({ gateway = "stripe", key = KEY, on_refusal = "log" },
               "option 'on_refusal'")
        raises({ gateway = "stripe", key = KEY, max_bytes = -1 }, "max_bytes")
        -- A lua_shared_dict needs nginx.
        raises({ gateway = "stripe", key = KEY, log_dict = "payhook_log" },
               "option 'log_dict'")
        local err = T.raises(openresty.dict_store, "payhook_guard")
        T.check(err:find("no lua_shared_dict 'payhook_guard'", 1, true), err)
        err = T.raises(openresty.dict_store)
        T.check(err:find("bad argument #1 to 'dict_store'", 1, true), err)
    end)

    case("openresty: a store of one's own is accepted", function()
        local store = {
            claim = function() return true end,
            commit = function() return true end,
            release = function() return true end,
        }
        local cb = openresty.new { gateway = "stripe", key = KEY,
                                   guard = store }
        T.eq(cb.guard, store, "guard")
    end)
end
