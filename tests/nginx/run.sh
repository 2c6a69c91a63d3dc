#!/usr/bin/env bash
# A real nginx with the Lua module, running examples/openresty/nginx.conf
# on 127.0.0.1: good LeanX and SuperPay callbacks get 200 and a field of
# their payload back, forged ones 401.  Starts and stops nginx itself (a
# trap stops it whatever happens) and ends with "N passed, N failed".
#
#   bash tests/nginx/run.sh        (from anywhere; builds the LuaJIT module)
#
# payhook and the handler are installed into the test's own prefix under
# /tmp, as a deployment installs them under /usr/local and /etc/nginx: the
# workers (nobody when nginx starts as root) read them there, so the test
# passes from a checkout in a private (0700) home, as root or not.
# Needs nginx, libnginx-mod-http-lua (with lua-resty-core), luajit, curl.
# PAYHOOK_NGINX_KEEP=1 keeps the temporary prefix for a look at the logs.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)

count_label="nginx"
. tests/count.sh

# nginx lives in /usr/sbin, which a non-root user's PATH may lack.
export PATH=$PATH:/usr/sbin:/sbin
for tool in nginx luajit curl; do
    if ! command -v "$tool" >/dev/null; then
        bad "$tool is not installed"
        finish
    fi
done
mod_dir=""
for d in /usr/lib/nginx/modules /usr/share/nginx/modules; do
    [ -f "$d/ngx_http_lua_module.so" ] && { mod_dir=$d; break; }
done
if [ -z "$mod_dir" ]; then
    bad "ngx_http_lua_module.so not found (apt-get install libnginx-mod-http-lua)"
    finish
fi

if [ "${PAYHOOK_NO_BUILD:-0}" != 1 ]; then
    make -s luajit >/dev/null || { bad "make luajit"; finish; }
fi
[ -f build/luajit/payhook/core.so ] || { bad "build/luajit/payhook/core.so"; finish; }

prefix=$(mktemp -d /tmp/payhook-nginx.XXXXXX)
chmod 755 "$prefix"
umask 022
log_file=$prefix/logs/error.log
. tests/nginx/stop.sh
cleanup() {
    stop_nginx
    if [ "${PAYHOOK_NGINX_KEEP:-0}" = 1 ]; then
        echo "nginx: prefix kept in $prefix"
    else
        rm -rf "$prefix"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free port on the loopback interface.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
       echo $((20000 + RANDOM % 20000)))

# Demo keys (never used for real traffic): the LeanX one is 128 hex
# characters used as text, as the portal issues it; the SuperPay one is
# the vendor sample's.
export LEANX_HASH_KEY=7d3b1f0c9a2e4b6d8f0a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a
export SUPERPAY_SYMMETRIC_KEY=PCd1dlEmFnBXaVce06Pzp7Vike0oHnVJ

mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/bodies" "$prefix/temp"

# Install as the example's comment says, with the prefix in place of
# /usr/local and /etc/nginx.
lib=$prefix/lib/lua/5.1 share=$prefix/share/lua/5.1 handlers=$prefix/lua
install -D -m 644 build/luajit/payhook/core.so "$lib/payhook/core.so" &&
    install -D -m 644 bindings/lua/payhook.lua "$share/payhook.lua" &&
    install -D -m 644 bindings/lua/payhook/openresty.lua "$share/payhook/openresty.lua" &&
    install -D -m 644 examples/openresty/payhook_callback.lua \
        "$handlers/payhook_callback.lua" || { bad "install into $prefix"; finish; }
installed=("$lib/payhook/core.so" "$share/payhook.lua" "$share/payhook/openresty.lua"
           "$handlers/payhook_callback.lua")
# Relative load_module paths (Debian's modules-enabled files use
# modules/...) resolve against the prefix.
ln -s "$mod_dir" "$prefix/modules"

# The user the workers run as: nginx switches to "nobody" (or the conf's
# `user`) only when started as root.
worker_user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
    worker_user=$(sed -n 's/^[[:space:]]*user[[:space:]]\{1,\}\([^[:space:];]*\).*/\1/p' \
        examples/openresty/nginx.conf | head -1)
    worker_user=${worker_user:-nobody}
fi
# Every installed file must be readable by that user, or require() fails
# in the worker and nginx answers 500 ("module not found").
if [ "$(id -u)" -eq 0 ] && [ "$worker_user" != root ]; then
    for f in "${installed[@]}"; do
        if setpriv --reuid="$worker_user" --regid="$(id -g "$worker_user")" \
                --clear-groups test -r "$f" 2>/dev/null; then ok; else
            bad "the worker user $worker_user cannot read $f"
        fi
    done
fi

# The example configuration, with only what a test run must change: the
# modules to load (Debian loads them from /etc/nginx/modules-enabled), pid
# and log files and temporary paths inside the prefix, the port, and the
# package paths pointing into this checkout.  Each substitution must hit.
conf=$prefix/conf/nginx.conf
cat >"$prefix/conf/http-test.conf" <<EOF
    access_log $prefix/logs/access.log;
    client_body_temp_path $prefix/temp/body;
    proxy_temp_path $prefix/temp/proxy;
    fastcgi_temp_path $prefix/temp/fastcgi;
    uwsgi_temp_path $prefix/temp/uwsgi;
    scgi_temp_path $prefix/temp/scgi;
EOF
lua_path="$share/?.lua;$handlers/?.lua;;"
lua_cpath="$lib/?.so;;"
{
    # The modules, unless the example loads them itself.
    if ! grep -Eq '^[[:space:]]*(load_module|include[[:space:]].*modules-enabled)' \
            examples/openresty/nginx.conf; then
        echo "load_module $mod_dir/ndk_http_module.so;"
        echo "load_module $mod_dir/ngx_http_lua_module.so;"
    fi
    echo "pid $prefix/logs/nginx.pid;"
    echo "error_log $prefix/logs/error.log info;"
    echo "daemon off;"
    sed -e "s|^worker_processes .*|worker_processes 2;|" \
        -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$port;|" \
        -e "s|lua_package_path \".*\";|lua_package_path \"$lua_path\";|" \
        -e "s|lua_package_cpath \".*\";|lua_package_cpath \"$lua_cpath\";|" \
        -e "/^http {/r $prefix/conf/http-test.conf" \
        examples/openresty/nginx.conf
} >"$conf"
for want in "listen 127.0.0.1:$port;" "lua_package_cpath \"$lua_cpath\";" \
            "lua_package_path \"$lua_path\";" "access_log $prefix/logs/access.log;" \
            "worker_processes 2;"; do
    if grep -qF -- "$want" "$conf"; then ok; else bad "conf lacks: $want"; fi
done
# Workers may run as nobody: they must be able to write the temp paths.
chmod 777 "$prefix/temp" "$prefix/logs"

# What the error log says about a failure to start or to load a module:
# the lines to read when a request gets 500 or nginx does not come up.
# An entry may go on over several lines (Lua's "no file" list does).
explain() {
    echo "nginx error log ($log_file), the first errors:"
    awk '/^[0-9][0-9][0-9][0-9]\/[0-9][0-9]\/[0-9][0-9] / {
             keep = /\[(error|crit|alert|emerg)\]/ && !/callback refused/
         }
         keep' "$log_file" 2>/dev/null | head -"${1:-12}" | sed 's/^/  /'
    if grep -q "module '[^']*' not found" "$log_file" 2>/dev/null; then
        echo "  (Lua looked in the files named 'no file'; one that exists" \
            "there is not readable by $worker_user)"
    fi
}

# The bodies, built with the installed payhook in LuaJIT.
if ! LUA_PATH="$lua_path" LUA_CPATH="$lua_cpath" \
        luajit tests/nginx/make_bodies.lua "$prefix/bodies"; then
    bad "make_bodies.lua"
    finish
fi

if ! nginx -p "$prefix" -c "$conf" -e "$prefix/logs/error.log" -t -q; then
    bad "nginx -t"
    cat "$prefix/logs/error.log" 2>/dev/null | tail -20
    finish
fi
nginx -p "$prefix" -c "$conf" -e "$prefix/logs/error.log" &
nginx_pid=$!

url="http://127.0.0.1:$port"
up=0
for _ in $(seq 100); do
    if ! kill -0 "$nginx_pid" 2>/dev/null; then
        break
    fi
    if curl -s --noproxy '*' -o /dev/null "$url/" 2>/dev/null; then
        up=1
        break
    fi
    sleep 0.1
done
if [ $up = 1 ]; then ok; else
    bad "nginx did not come up on 127.0.0.1:$port"
    tail -20 "$prefix/logs/error.log"
    finish
fi

# The workers load payhook in init_worker_by_lua; a worker that could not
# says so in the log, before any request.
sleep 0.2
if grep -q "init_worker_by_lua.*error\|module '[^']*' not found" "$log_file"; then
    bad "a worker could not load payhook or the handler"
    explain 20
    finish
fi

post() {   # post FILE PATH -> "STATUS BODY..."
    curl -s --noproxy '*' -o "$prefix/response" -w '%{http_code}' \
        -H 'Content-Type: application/json' \
        --data-binary "@$prefix/bodies/$1" "$url$2"
}

explained=0
while read -r name path status want; do
    [ -n "$name" ] || continue
    code=$(post "$name" "$path")
    got=$(head -c 200 "$prefix/response" | tr -d '\r\n')
    if [ "$code" != "$status" ]; then
        bad "$name -> $path: HTTP $code, want $status ($got)"
        if [ "$code" = 500 ] && [ $explained = 0 ]; then
            explain
            explained=1
        fi
    elif [ "$want" != "-" ] && [ "$got" != "$want" ]; then
        bad "$name -> $path: body \"$got\", want \"$want\""
    else
        ok
    fi
done <"$prefix/bodies/manifest"

# Not a POST; an unknown path; a body over client_max_body_size.
code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$url/callbacks/leanx")
[ "$code" = 405 ] && ok || bad "GET /callbacks/leanx: HTTP $code, want 405"
code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -d x "$url/callbacks/other")
[ "$code" = 404 ] && ok || bad "POST /callbacks/other: HTTP $code, want 404"
head -c 1100000 /dev/zero | tr '\0' 'a' >"$prefix/bodies/huge"
code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' \
    --data-binary "@$prefix/bodies/huge" "$url/callbacks/superpay")
[ "$code" = 413 ] && ok || bad "1.1 MB body: HTTP $code, want 413"

# The same decoders serve many requests in each worker (the repeats are
# answered by the replay guard, with the gateway's reply: 200).
good_ok=0
for _ in $(seq 50); do
    code=$(post leanx_good.json /callbacks/leanx)
    [ "$code" = 200 ] && good_ok=$((good_ok + 1))
    code=$(post superpay_good.json /callbacks/superpay)
    [ "$code" = 200 ] && good_ok=$((good_ok + 1))
done
[ $good_ok = 100 ] && ok || bad "repeated callbacks: $good_ok of 100 got 200"

# Refusals are logged with their kind; keys and bodies never are.
log=$prefix/logs/error.log
if grep -q "callback refused (401): InvalidSignatureError" "$log" &&
   grep -q "callback refused (401): InvalidAlgorithmError" "$log" &&
   grep -q "callback refused (401): DecryptionError" "$log"; then ok; else
    bad "refusals are not logged with their kind"
fi
if grep -qF "$LEANX_HASH_KEY" "$prefix"/logs/* ||
   grep -qF "$SUPERPAY_SYMMETRIC_KEY" "$prefix"/logs/*; then
    bad "a key appears in the logs"
else
    ok
fi
sp_hex=$(grep -o '[0-9a-f]\{32\}' "$prefix/bodies/superpay_good.json" | head -1)
if grep -qF "eyJhbGci" "$prefix"/logs/* || grep -qF "$sp_hex" "$prefix"/logs/*; then
    bad "a request body appears in the logs"
else
    ok
fi
if grep -E "\[(alert|crit|emerg)\]|lua entry thread aborted|runtime error" "$log"; then
    bad "nginx logged errors"
else
    ok
fi

# Stop it and check it went.
kill -TERM "$nginx_pid"
for _ in $(seq 50); do
    kill -0 "$nginx_pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$nginx_pid" 2>/dev/null; then bad "nginx did not stop"; else ok; fi
wait "$nginx_pid" 2>/dev/null
nginx_pid=""
finish
