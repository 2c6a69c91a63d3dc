#!/usr/bin/env bash
# Every Lua test payhook has, in one command (scripts/test calls it):
#
#   1. build payhook.core for Lua 5.4 and LuaJIT (make lua lua-oom)
#   2. the suite in Lua 5.4 and in LuaJIT, then both again under a
#      numeric locale whose decimal point is a comma
#   3. the suite in Lua 5.4 and LuaJIT under valgrind (shorter loops), and
#      the out-of-memory harness under valgrind (any error or definite leak
#      fails)
#   3b. 100,000 decodes of each kind in both interpreters: the Lua heap
#      and RSS may not grow (tests/lua/memory.lua)
#   4. the rockspec: `luarocks --lua-version 5.4 make` into a private tree,
#      then the README's one-liner on the vendor's SuperPay sample
#   5. a real nginx with the Lua module (tests/nginx/run.sh), the
#      OpenResty example as written (tests/nginx/example.sh), and
#      payhook.openresty with its replay guard on a shared dict and on a
#      real redis-server (tests/nginx/guard.sh)
#
# Prints each part's "N passed, N failed", then the totals; exits non-zero
# if anything failed.  Needs the packages scripts/install-deps installs.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)

total_passed=0
total_failed=0
parts_failed=()
log_dir=$(mktemp -d /tmp/payhook-lua-tests.XXXXXX)
trap 'rm -rf "$log_dir"' EXIT

# part NAME CMD...: run, show its output, add its last "N passed, N failed"
# line to the totals; a non-zero exit without such a line counts as one
# failure.
part() {
    local name=$1 t0=$SECONDS rc line p f
    shift
    echo
    echo "--- $name"
    "$@" 2>&1 | tee "$log_dir/out"
    rc=${PIPESTATUS[0]}
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log_dir/out" | tail -1)
    if [ -n "$line" ]; then
        p=${line%% passed*}
        f=${line#*passed, }
        f=${f%% failed*}
    else
        p=0
        f=0
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    [ "$f" -eq 0 ] || parts_failed+=("$name")
    echo "--- $name: $p passed, $f failed ($((SECONDS - t0)) s)"
}

build() {
    make -s lua lua-oom && echo "1 passed, 0 failed"
}

lua_env() {   # lua_env lua54|luajit CMD...
    local dir=$1
    shift
    LUA_PATH="$top/bindings/lua/?.lua;$top/tests/lua/?.lua;;" \
        LUA_CPATH="$top/build/$dir/?.so;;" "$@"
}

# A de_DE locale (decimal comma), compiled into build/ if the system has
# none; the locale test is skipped (and says so) if that fails.
make_locale() {
    if [ -z "$(locale -a 2>/dev/null | grep -i '^de_DE\.utf-\?8$')" ] &&
       [ ! -d build/locale/de_DE.UTF-8 ] && command -v localedef >/dev/null; then
        mkdir -p build/locale
        localedef -i de_DE -f UTF-8 build/locale/de_DE.UTF-8 >/dev/null 2>&1 ||
            rm -rf build/locale/de_DE.UTF-8
    fi
    [ -d build/locale/de_DE.UTF-8 ] && export LOCPATH=$top/build/locale
}

VALGRIND=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite
          --error-exitcode=1)

# The two interpreters' suites under valgrind side by side (one per core),
# the out-of-memory harness after LuaJIT's, the shorter of the two.  Counts
# every case of the three.
valgrind_suites() {
    local rc=0 p=0 f=0 line name
    (PAYHOOK_TEST_QUICK=1 lua_env lua54 "${VALGRIND[@]}" lua5.4 \
        tests/lua/run.lua >"$log_dir/vg-lua54" 2>&1; echo $? >"$log_dir/vg-lua54.rc") &
    (PAYHOOK_TEST_QUICK=1 lua_env luajit "${VALGRIND[@]}" luajit \
        tests/lua/run.lua >"$log_dir/vg-luajit" 2>&1; echo $? >"$log_dir/vg-luajit.rc"
     lua_env lua54 "${VALGRIND[@]}" build/lua54/oom_harness tests/lua/oom_cases.lua \
        >"$log_dir/vg-oom" 2>&1; echo $? >"$log_dir/vg-oom.rc") &
    wait
    for name in lua54 luajit oom; do
        grep -v '^payhook \|^[0-9]* passed' "$log_dir/vg-$name" | grep -v '^ *$' |
            grep -v '^oom: [a-z_]* ' | sed "s/^/[$name] /"
        line=$(grep -E '[0-9]+ passed, [0-9]+ failed$' "$log_dir/vg-$name" | tail -1)
        echo "$name under valgrind: ${line:-no summary}"
        [ "$(cat "$log_dir/vg-$name.rc")" = 0 ] || { rc=1; f=$((f + 1)); }
        # A run that died before its summary (a crash) counts as failed.
        [ -n "$line" ] || { rc=1; continue; }
        line=${line##*: }
        p=$((p + ${line%% passed*}))
        line=${line#*passed, }
        f=$((f + ${line%% failed*}))
    done
    echo "$p passed, $f failed"
    return $rc
}

# luarocks builds in the source directory, so it works on a copy.
rockspec() {
    local work=build/rockspec-check rc=0 out
    rm -rf "$work"
    mkdir -p "$work/src/bindings"
    cp -r payhook-*.rockspec VERSION csrc "$work/src/" &&
        cp -r bindings/lua "$work/src/bindings/" || return 1
    (cd "$work/src" && luarocks --lua-version 5.4 make --tree "$top/$work/tree" \
        payhook-*.rockspec) >"$work/build.log" 2>&1 || {
        tail -20 "$work/build.log"
        echo "0 passed, 1 failed"
        return 1
    }
    echo "luarocks --lua-version 5.4 make: installed into $work/tree"
    out=$(BODY=$(cat examples/callbacks/superpay-vendor-sample.json) \
        LUA_PATH="$top/$work/tree/share/lua/5.4/?.lua;;" \
        LUA_CPATH="$top/$work/tree/lib/lua/5.4/?.so;;" \
        lua5.4 -e 'local p=require"payhook"; print(p.superpay.decode(os.getenv("BODY"), "PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ").data.transactionId)' 2>&1)
    echo "vendor sample through the installed rock: $out"
    [ "$out" = 10556 ] || rc=1
    if [ $rc -eq 0 ]; then echo "2 passed, 0 failed"; else echo "1 passed, 1 failed"; fi
    return $rc
}

t_start=$SECONDS
part "build (make lua lua-oom)" build
if [ ${#parts_failed[@]} -gt 0 ]; then
    echo "the build failed; nothing else can run"
    echo "$total_passed passed, $total_failed failed"
    exit 1
fi
make_locale
part "Lua 5.4" lua_env lua54 lua5.4 tests/lua/run.lua
part "LuaJIT" lua_env luajit luajit tests/lua/run.lua
if [ -n "${LOCPATH:-}" ]; then
    part "Lua 5.4, numeric locale de_DE.UTF-8 (decimal comma)" \
        env PAYHOOK_TEST_LOCALE=de_DE.UTF-8 \
        LUA_PATH="$top/bindings/lua/?.lua;;" LUA_CPATH="$top/build/lua54/?.so;;" \
        lua5.4 tests/lua/run.lua
    part "LuaJIT, numeric locale de_DE.UTF-8 (decimal comma)" \
        env PAYHOOK_TEST_LOCALE=de_DE.UTF-8 \
        LUA_PATH="$top/bindings/lua/?.lua;;" LUA_CPATH="$top/build/luajit/?.so;;" \
        luajit tests/lua/run.lua
else
    echo "(no de_DE locale could be made: the locale run is skipped)"
fi
part "memory: 100,000 decodes of each kind, Lua 5.4" lua_env lua54 lua5.4 tests/lua/memory.lua
part "memory: 100,000 decodes of each kind, LuaJIT" lua_env luajit luajit tests/lua/memory.lua
part "valgrind: Lua 5.4, LuaJIT, out-of-memory harness" valgrind_suites
part "rockspec (luarocks make, Lua 5.4)" rockspec
part "source rock (luarocks pack, install for Lua 5.4 and LuaJIT)" bash tests/lua/rock.sh
part "nginx + lua module on 127.0.0.1" env PAYHOOK_NO_BUILD=1 bash tests/nginx/run.sh
part "the OpenResty example as written (nginx -t, good and forged callbacks, limit_req)" env PAYHOOK_NO_BUILD=1 bash tests/nginx/example.sh
part "payhook.openresty and its replay guard (shared dict, Redis), a flood of forged callbacks" env PAYHOOK_NO_BUILD=1 bash tests/nginx/guard.sh

echo
echo "=== Lua tests: $((SECONDS - t_start)) s"
[ ${#parts_failed[@]} -gt 0 ] && echo "failed parts: ${parts_failed[*]}"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
