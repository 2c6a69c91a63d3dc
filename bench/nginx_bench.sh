#!/usr/bin/env bash
# payhook in a real nginx, next to what OpenResty users write instead:
#
#   bench/nginx_bench.sh        (about 12 minutes; separate from run.sh)
#
# Builds payhook's Lua module for LuaJIT from this checkout (`make
# luajit`), starts Debian's nginx with libnginx-mod-http-lua, ONE worker,
# on a free port of 127.0.0.1, from a private temporary prefix, and has
# bench/nginx/drive.py time every location with `wrk -t1 -c16` in
# interleaved rounds (see bench/README.md, "nginx"). Writes
# bench/results/nginx.json and nginx.md and prints the table. nginx is
# stopped on the way out, whatever happens (a trap).
#
# The peers' Lua libraries (lua-resty-jwt, lua-resty-hmac,
# lua-resty-string, lua-resty-openssl) are read where they are:
# ../shared/lualib beside the checkout, or PAYHOOK_LUALIB. When they are
# missing the bench says so and leaves out only their rows.
#
# Environment: BENCH_NGINX_ROUNDS (5), BENCH_NGINX_SECONDS (3, per run),
# BENCH_NGINX_WARMUP (1), BENCH_NGINX_PROFILE (1: also the in-worker job
# timing and, where perf works, perf by shared object), BENCH_NGINX_PIN=1
# to put the worker and wrk on CPUs of their own (better on an idle
# machine; on a shared one the scheduler does better, hence off by
# default), BENCH_NGINX_KEEP=1 to keep the prefix, BENCH_SKIP_INSTALL=1,
# BENCH_SOURCE as for run.sh.
#
# Exits 77 when nginx, its Lua module or wrk is missing and cannot be
# installed (run.sh reports that as skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
. bench/lib.sh

rounds=${BENCH_NGINX_ROUNDS:-5}
seconds=${BENCH_NGINX_SECONDS:-3}
warmup=${BENCH_NGINX_WARMUP:-1}
profile=${BENCH_NGINX_PROFILE:-1}
pin=${BENCH_NGINX_PIN:-0}
lualib=${PAYHOOK_LUALIB:-$top/../shared/lualib}
results=bench/results
# nginx lives in /usr/sbin, which a non-root user's PATH may lack.
export PATH=$PATH:/usr/sbin:/sbin

skip() {
    say "!!! SKIPPED: $*"
    exit 77
}

# What the bench needs, installed only when missing: the build's own
# dependencies, then nginx and the Lua module (lua-resty-core comes with
# it), LuaJIT's headers for `make luajit`, lua-cjson for the handlers and
# the peers, libssl3 for the peers' FFI, wrk and curl; and `cryptography`
# for bench/inputs.py's SuperPay bodies.
install_nginx_deps() {
    scripts/install-deps build >&2
    local pkgs=(nginx libnginx-mod-http-lua lua-resty-core luajit2
                libluajit2-5.1-dev lua-cjson libssl3 wrk curl)
    local missing=() p
    for p in "${pkgs[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "apt-get install ${missing[*]}"
        local sudo=()
        [ "$(id -u)" -ne 0 ] && sudo=(sudo)
        "${sudo[@]}" apt-get update -qq || true
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null ||
            say "apt-get install failed; checking what is there"
    fi
    if ! python3 -c 'import cryptography' 2>/dev/null; then
        say "pip install cryptography"
        python3 -m pip install -q --disable-pip-version-check cryptography \
            >&2 || true
    fi
}

[ "${BENCH_SKIP_INSTALL:-0}" = 1 ] || install_nginx_deps
for tool in nginx wrk curl luajit; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done
python3 -c 'import cryptography' 2>/dev/null ||
    skip "python3 cannot import cryptography (bench/inputs.py needs it)"
mod_dir=""
for d in /usr/lib/nginx/modules /usr/share/nginx/modules; do
    if [ -f "$d/ngx_http_lua_module.so" ] && [ -f "$d/ndk_http_module.so" ]; then
        mod_dir=$d
        break
    fi
done
[ -n "$mod_dir" ] ||
    skip "ngx_http_lua_module.so not found (apt-get install libnginx-mod-http-lua)"

prepare_source
say "measuring the $source_desc"
make -C "$src" -s luajit >&2
[ -f "$src/build/luajit/payhook/core.so" ] ||
    { say "no $src/build/luajit/payhook/core.so"; exit 1; }

notes=()
# What the peers' rows load (lua-resty-jwt's require closure, resty.hmac,
# resty.aes); the worker tells which rows it could prepare, this only
# says early and loudly what is missing.
peer_files=(resty/jwt.lua resty/jwt-validators.lua resty/evp.lua
            resty/hmac.lua resty/aes.lua resty/string.lua resty/random.lua
            resty/openssl/cipher.lua)
lualib_path=""
if [ -d "$lualib" ]; then
    lualib=$(cd "$lualib" && pwd)
    lualib_path="$lualib/?.lua;$lualib/?/init.lua;"
fi
missing_peers=()
for f in "${peer_files[@]}"; do
    [ -r "$lualib/$f" ] || missing_peers+=("$f")
done
if [ ${#missing_peers[@]} -gt 0 ]; then
    say "!!! missing in $lualib: ${missing_peers[*]}"
    say "!!! the lua-resty-jwt and hand-written rows that need them are" \
        "SKIPPED (PAYHOOK_LUALIB names the folder that holds resty/)"
    notes+=("peers' Lua libraries incomplete in $lualib (missing: ${missing_peers[*]}): the rows that need them are skipped")
fi

prefix=$(mktemp -d "${TMPDIR:-/tmp}/payhook-nginx-bench.XXXXXX")
# stop_nginx (the tests' own) is written for scripts without `set -e`:
# its last KILL fails when TERM was enough, hence the `|| true`.
. tests/nginx/stop.sh
cleanup() {
    stop_nginx || true
    if [ "${BENCH_NGINX_KEEP:-0}" = 1 ]; then
        say "prefix kept in $prefix"
    else
        rm -rf "$prefix"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/temp"
# The run's raw data stays after the prefix goes (git ignores *.tmp):
# report.py can be run again on it.
run=$results/nginx.tmp
rm -rf "$run"
mkdir -p "$run"

# A free port on the loopback interface.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# As root, the worker would be "nobody" and could not read a checkout in a
# 0700 home: it runs as root instead (on loopback, for the bench's few
# minutes). Not root, nginx cannot switch users and the worker is us.
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"

examples=$src/examples/openresty
lua_path="$src/bindings/lua/?.lua;$top/bench/nginx/?.lua;$examples/?.lua;$lualib_path;"
lua_cpath="$src/build/luajit/?.so;;"
conf=$prefix/conf/nginx.conf
sed -e "s|@MODULES@|$mod_dir|g" -e "s|@PREFIX@|$prefix|g" \
    -e "s|@PORT@|$port|g" -e "s|@USER@|$user_line|" \
    -e "s|@LUA_PATH@|$lua_path|" -e "s|@LUA_CPATH@|$lua_cpath|" \
    bench/nginx/nginx.conf.in >"$conf"
if grep -q '@[A-Z_]*@' "$conf"; then
    say "unfilled names in $conf:"
    grep -n '@[A-Z_]*@' "$conf" >&2
    exit 1
fi

# The demo keys bench/inputs.py builds the bodies with.
python3 bench/nginx/make_bodies.py "$prefix/bodies"
LEANX_HASH_KEY=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["leanx_key"])' \
    "$prefix/bodies/manifest.json")
SUPERPAY_SYMMETRIC_KEY=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["superpay_key"])' \
    "$prefix/bodies/manifest.json")
export LEANX_HASH_KEY SUPERPAY_SYMMETRIC_KEY

log=$prefix/logs/error.log
nginx -p "$prefix" -c "$conf" -e "$log" -t -q ||
    { tail -20 "$log" >&2; exit 1; }
nginx -p "$prefix" -c "$conf" -e "$log" &
nginx_pid=$!
url="http://127.0.0.1:$port"
up=0
for _ in $(seq 100); do
    kill -0 "$nginx_pid" 2>/dev/null || break
    if curl -s --noproxy '*' -o /dev/null "$url/info"; then
        up=1
        break
    fi
    sleep 0.1
done
[ $up = 1 ] || { say "nginx did not come up on $url"; tail -20 "$log" >&2; exit 1; }
if grep -q 'is not available' "$log"; then
    say "!!! the worker could not prepare every handler; those rows are SKIPPED:"
    grep -o 'bench: .* is not available: [^,]*' "$log" | head -10 | sed 's/^/  /' >&2
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "$rounds rounds x $seconds s per location, wrk -t1 -c16, on $url"
note_args=()
for n in "${notes[@]}"; do note_args+=(--note "$n"); done
python3 bench/nginx/drive.py "$url" "$prefix/bodies" "$run/raw.json" \
    --rounds "$rounds" --seconds "$seconds" --warmup "$warmup" \
    --profile "$profile" --pin "$pin" "${note_args[@]}"
stop_nginx || true

# Anything nginx logged beyond the forged bodies' refusals.
if grep -E '\[(alert|crit|emerg)\]|lua entry thread aborted|runtime error' "$log" >&2; then
    say "!!! nginx logged errors (above)"
fi

python3 bench/machine.py "$run/machine.json" "$load_before"
python3 bench/nginx/report.py "$run/raw.json" "$run/machine.json" \
    "$results/nginx.json" "$results/nginx.md" --lualib "$lualib"
cat "$results/nginx.md"
