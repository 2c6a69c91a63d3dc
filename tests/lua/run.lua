-- payhook's Lua suite, for Lua 5.4 and LuaJIT alike:
--
--   LUA_CPATH="build/lua54/?.so;;" LUA_PATH="bindings/lua/?.lua;;" \
--       lua5.4 tests/lua/run.lua
--
-- Runs the shared vectors (tests/vectors), the public third-party vectors
-- (tests/vectors/conformance), the Lua-only cases, the gateway API's
-- (cases_gateways.lua), how tables are built and decoders reused
-- (cases_tables.lua), a decoder's cache of member names (cases_names.lua)
-- and payhook.openresty's options outside nginx
-- (cases_openresty.lua), and ends with the line "N passed, N failed".
-- Exit status 1 if any case failed.  PAYHOOK_TEST_QUICK=1 shortens the
-- loops (for valgrind).

local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = here .. "/?.lua;" .. package.path
local root = here .. "/../.."

local T = require "testlib"
local payhook = require "payhook"

-- PAYHOOK_TEST_LOCALE=de_DE.UTF-8 runs everything under a numeric locale
-- whose decimal point is a comma.
local want_locale = os.getenv("PAYHOOK_TEST_LOCALE")
if want_locale and want_locale ~= "" then
    local got = os.setlocale(want_locale, "numeric")
    T.case("locale " .. want_locale .. " is available", function()
        T.check(got ~= nil, "os.setlocale(%q) failed", want_locale)
    end)
    print("numeric locale: " .. tostring(got))
end

print(("payhook %s on %s, module %s"):format(
    payhook.version, T.interpreter,
    package.searchpath and package.searchpath("payhook.core", package.cpath)
    or "(LuaJIT)"))

local vectors = os.getenv("PAYHOOK_VECTORS") or (root .. "/tests/vectors")
local n_vec = require("cases_vectors")(payhook, vectors)
-- The public data is in the repository; cases_shared fails a case naming
-- each file it cannot read.
local shared = vectors .. "/conformance"
local n_shared = require("cases_shared")(payhook, shared)
require("cases_lua")(payhook, root)
require("cases_gateways")(payhook, root)
require("cases_tables")(payhook)
require("cases_names")(payhook)
require("cases_openresty")(payhook)

print(("%d shared vectors from %s, %d public vectors from %s"):format(
    n_vec, vectors, n_shared, tostring(shared)))
T.summary()
-- Close the state on exit, so every finaliser runs and valgrind sees
-- anything payhook failed to free as definitely lost.
os.exit(T.failed == 0 and 0 or 1, true)
