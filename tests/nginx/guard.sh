#!/usr/bin/env bash
# payhook.openresty in a real nginx with the Lua module, on 127.0.0.1:
# the helper (bodies in memory and in nginx's temporary file, missing and
# empty bodies, forged callbacks), the replay guard on the shared dict and
# on a real redis-server (replays, 8 concurrent deliveries of one callback
# with the side effect exactly once, a handler that fails after the claim
# and the retry, a different payload under the same event id, Redis
# stopped: 503), the access-phase form with log_by_lua's finish(), a
# flood of 5,000 forged callbacks whose refusals keep the error log small,
# and the nginx block of bindings/lua/README.md.
#
#   bash tests/nginx/guard.sh       (builds the LuaJIT module first unless
#                                    PAYHOOK_NO_BUILD=1)
#
# The endpoints are tests/nginx/guard_app.lua; the callbacks come from
# tests/nginx/guard_bodies.lua.  resty.redis is loaded from lua_modules/
# in the checkout, where scripts/install-deps test installs it; without it
# or without redis-server, the Redis part is skipped and the closing count
# says so.  Starts and stops nginx and redis-server itself (a trap stops
# them whatever happens); ends with "N passed, N failed".
# PAYHOOK_NGINX_KEEP=1 keeps the temporary prefix.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)

count_label="guard"
. tests/count.sh
skipped=""
skip() { skipped="$skipped; SKIPPED: $*"; echo "SKIPPED: $*"; }
finish_guard() {
    echo "$count_label: $passed passed, $failed failed${skipped}"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit $?
}

export PATH=$PATH:/usr/sbin:/sbin
for tool in nginx luajit curl; do
    command -v "$tool" >/dev/null || { bad "$tool is not installed"; finish_guard; }
done
mod_dir=""
for d in /usr/lib/nginx/modules /usr/share/nginx/modules; do
    [ -f "$d/ngx_http_lua_module.so" ] && { mod_dir=$d; break; }
done
[ -n "$mod_dir" ] || { bad "ngx_http_lua_module.so not found"; finish_guard; }
if [ "${PAYHOOK_NO_BUILD:-0}" != 1 ]; then
    make -s luajit >/dev/null || { bad "make luajit"; finish_guard; }
fi
[ -f build/luajit/payhook/core.so ] || { bad "no build/luajit/payhook/core.so"; finish_guard; }

prefix=$(mktemp -d /tmp/payhook-guard.XXXXXX)
chmod 755 "$prefix"
umask 022
. tests/nginx/stop.sh
redis_pid=""
stop_redis() {
    if [ -n "$redis_pid" ]; then
        kill -TERM "$redis_pid" 2>/dev/null
        wait "$redis_pid" 2>/dev/null
        redis_pid=""
    fi
}
cleanup() {
    stop_nginx
    stop_redis
    if [ "${PAYHOOK_NGINX_KEEP:-0}" = 1 ]; then
        echo "guard: prefix kept in $prefix"
    else
        rm -rf "$prefix"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}

# payhook installed into the prefix as a deployment installs it.
lib=$prefix/lib/lua/5.1 share=$prefix/share/lua/5.1
install -D -m 644 build/luajit/payhook/core.so "$lib/payhook/core.so" &&
    install -D -m 644 bindings/lua/payhook.lua "$share/payhook.lua" &&
    install -D -m 644 bindings/lua/payhook/openresty.lua "$share/payhook/openresty.lua" &&
    install -D -m 644 tests/nginx/guard_app.lua "$prefix/lua/guard_app.lua" ||
    { bad "install into $prefix"; finish_guard; }
mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/temp" "$prefix/bodies" "$prefix/out" "$prefix/redis"
chmod 777 "$prefix/temp" "$prefix/logs"

# resty.redis where scripts/install-deps puts it, as any installed module.
rocks=$top/lua_modules/share/lua/5.1
redis_port=""
if [ ! -f "$rocks/resty/redis.lua" ]; then
    # install-deps puts it there from LuaRocks, or from ../shared/lualib
    # when LuaRocks is unreachable; with neither it said so, and so do we.
    skip "the Redis store (no lua-resty-redis in lua_modules/: scripts/install-deps test installs it from LuaRocks, or from ../shared/lualib beside the checkout; neither was reachable)"
elif ! command -v redis-server >/dev/null; then
    skip "the Redis store (redis-server is not installed: apt-get install redis-server)"
else
    redis_port=$(free_port)
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$prefix/redis" --logfile "$prefix/logs/redis.log" >/dev/null 2>&1 &
    redis_pid=$!
    up=0
    for _ in $(seq 50); do
        kill -0 "$redis_pid" 2>/dev/null || break
        if (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null; then up=1; break; fi
        sleep 0.1
    done
    if [ $up = 1 ]; then ok; else
        bad "redis-server did not come up on 127.0.0.1:$redis_port"
        tail -5 "$prefix/logs/redis.log"
        redis_pid="" redis_port=""
    fi
fi

# The workers run as nobody when nginx starts as root: what they load must
# be readable by that user.
if [ "$(id -u)" -eq 0 ]; then
    for f in "$lib/payhook/core.so" "$share/payhook/openresty.lua" \
             ${redis_port:+"$rocks/resty/redis.lua"}; do
        if setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
                test -r "$f" 2>/dev/null; then ok; else
            bad "the worker user nobody cannot read $f"
        fi
    done
fi

export GUARD_KEY=whsec_guard_test_secret_not_for_real_use
if ! LUA_PATH="$share/?.lua" LUA_CPATH="$lib/?.so" \
        luajit tests/nginx/guard_bodies.lua "$prefix/bodies"; then
    bad "guard_bodies.lua"
    finish_guard
fi

port=$(free_port)
url="http://127.0.0.1:$port"
conf=$prefix/conf/nginx.conf
cat >"$conf" <<EOF
load_module $mod_dir/ndk_http_module.so;
load_module $mod_dir/ngx_http_lua_module.so;
worker_processes 2;
pid $prefix/logs/nginx.pid;
error_log $prefix/logs/error.log warn;
daemon off;
env GUARD_KEY;
env REDIS_PORT;
events { worker_connections 1024; }
http {
    access_log $prefix/logs/access.log;
    client_body_temp_path $prefix/temp/body;
    proxy_temp_path $prefix/temp/proxy;
    fastcgi_temp_path $prefix/temp/fastcgi;
    uwsgi_temp_path $prefix/temp/uwsgi;
    scgi_temp_path $prefix/temp/scgi;
    lua_package_path "$share/?.lua;$prefix/lua/?.lua;$rocks/?.lua;;";
    lua_package_cpath "$lib/?.so;;";
    lua_shared_dict payhook_guard 1m;
    lua_shared_dict payhook_log 1m;
    lua_shared_dict flood_log 1m;
    lua_shared_dict effects 1m;
    init_worker_by_lua_block { require("guard_app").init_worker() }
    server {
        listen 127.0.0.1:$port;
        client_max_body_size 1m;
        client_body_buffer_size 1k;
        location ~ ^/(access|access_redis)\$ {
            access_by_lua_block { require("guard_app").access(ngx.var[1]) }
            content_by_lua_block { require("guard_app").access_content(ngx.var[1]) }
            log_by_lua_block { require("guard_app").finish(ngx.var[1]) }
        }
        location = /effects {
            content_by_lua_block { require("guard_app").effects() }
        }
        location ~ ^/(dict|plain|small|flood|redis|redis_open)\$ {
            content_by_lua_block { require("guard_app").handle(ngx.var[1]) }
        }
        location / { return 404; }
    }
}
EOF
log=$prefix/logs/error.log
if ! nginx -p "$prefix" -c "$conf" -e "$log" -t -q; then
    bad "nginx -t"
    tail -20 "$log"
    finish_guard
fi
REDIS_PORT=$redis_port nginx -p "$prefix" -c "$conf" -e "$log" &
nginx_pid=$!
up=0
for _ in $(seq 100); do
    kill -0 "$nginx_pid" 2>/dev/null || break
    if curl -s --noproxy '*' -o /dev/null "$url/"; then up=1; break; fi
    sleep 0.1
done
if [ $up = 1 ]; then ok; else
    bad "nginx did not come up on 127.0.0.1:$port"
    tail -20 "$log"
    finish_guard
fi

# post NAME PATH [CURL-ARGS...] -> "CODE BODY" (the body's first line)
post() {
    local name=$1 path=$2 out
    shift 2
    out=$(mktemp "$prefix/out/r.XXXXXX")
    local code
    code=$(curl -s --noproxy '*' -o "$out" -w '%{http_code}' "$@" \
        -H 'Content-Type: application/json' -H "@$prefix/bodies/$name.hdr" \
        --data-binary "@$prefix/bodies/$name.json" "$url$path")
    echo "$code $(head -c 200 "$out" | tr -d '\r\n')"
}
effects() {   # effects NAME:ID -> the side effect's count
    curl -s --noproxy '*' "$url/effects?key=$1"
}
expect() {   # expect WHAT GOT WANT
    if [ "$2" = "$3" ]; then ok; else bad "$1: got \"$2\", want \"$3\""; fi
}

# --- The helper, without a guard.
expect "good callback" "$(post good /plain)" "200 processed evt_good"
expect "forged callback" "$(post forged /plain)" "401 unauthorized"
expect "a second forged callback" "$(post forged /plain)" "401 unauthorized"
code=$(curl -s --noproxy '*' -o "$prefix/out/missing" -w '%{http_code}' -X POST \
    -H "@$prefix/bodies/good.hdr" "$url/plain")
expect "no body" "$code $(cat "$prefix/out/missing")" "401 unauthorized"
code=$(curl -s --noproxy '*' -o "$prefix/out/empty" -w '%{http_code}' --data-binary '' \
    -H "@$prefix/bodies/good.hdr" "$url/plain")
expect "an empty body" "$code $(cat "$prefix/out/empty")" "401 unauthorized"
code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "$url/plain")
expect "GET" "$code" 405
expect "no signature header" \
    "$(curl -s --noproxy '*' -w ' %{http_code}' --data-binary "@$prefix/bodies/good.json" "$url/plain")" \
    "unauthorized
 401"
expect "a body above client_body_buffer_size (in a temporary file)" \
    "$(post big /dict)" "200 processed evt_big from a file"
expect "a body above max_bytes" "$(post toobig /small)" "401 unauthorized"
if grep -q 'a client request body is buffered to a temporary file' "$log"; then ok; else
    bad "nginx did not buffer the big body to a file"
fi

# --- The guard.  store_tests NAME PATH
store_tests() {
    local s=$1 path=$2 codes i
    # Good, then the same delivery again: the gateway's reply, once.
    expect "$s: good callback" "$(post good "$path")" "200 processed evt_good"
    expect "$s: replayed" "$(post good "$path")" "200 "
    expect "$s: replayed again" "$(post good "$path")" "200 "
    expect "$s: side effect of the replayed callback" "$(effects "$s:evt_good")" 1
    expect "$s: handler returning nothing: the gateway's reply" \
        "$(post silent "$path" -H 'X-Test-Silent: 1')" "200 "
    expect "$s: its side effect" "$(effects "$s:evt_silent")" 1
    # No event id: keyed on the body's digest.
    expect "$s: a callback without an event id" "$(post noid "$path")" "200 processed noid"
    expect "$s: replayed" "$(post noid "$path")" "200 "
    expect "$s: its side effect" "$(effects "$s:noid")" 1
    # 8 deliveries at once; the handler takes 0.5 s.
    for i in 1 2 3 4 5 6 7 8; do
        post "conc_$s" "$path" -H 'X-Test-Sleep: 0.5' >"$prefix/out/conc_$s.$i" &
    done
    wait_posts
    # One is processed; the others, while it runs, get 409 (or, had one
    # come after it returned, the gateway's reply).
    codes=$(cat "$prefix/out/conc_$s".* | LC_ALL=C sort | uniq -c | sed 's/^ *//' | tr '\n' '|')
    echo "$s: 8 concurrent deliveries: $codes"
    if [ "$(grep -c "^200 processed evt_conc_$s\$" "$prefix/out/conc_$s".* | awk -F: '{ n += $2 } END { print n }')" = 1 ] &&
       ! grep -qv -e "^200 processed evt_conc_$s\$" -e '^409 conflict$' -e '^200 $' "$prefix/out/conc_$s".*; then
        ok
    else
        bad "$s: 8 concurrent deliveries: $codes"
    fi
    expect "$s: side effect of 8 concurrent deliveries" "$(effects "$s:evt_conc_$s")" 1
    expect "$s: a delivery after them" "$(post "conc_$s" "$path")" "200 "
    expect "$s: side effect" "$(effects "$s:evt_conc_$s")" 1
    # The handler fails after the claim; the gateway's retry is processed.
    expect "$s: handler fails" "$(post "fail_$s" "$path" -H 'X-Test-Fail: 1')" "500 internal error"
    expect "$s: the retry" "$(post "fail_$s" "$path")" "200 processed evt_fail_$s"
    expect "$s: a replay of the retry" "$(post "fail_$s" "$path")" "200 "
    expect "$s: attempts, side effects" \
        "$(effects "$s:attempts:evt_fail_$s") $(effects "$s:evt_fail_$s")" "2 1"
    # A different payload under the same event id is flagged.
    expect "$s: first payload" "$(post "conflict_a_$s" "$path")" "200 processed evt_conflict_$s"
    expect "$s: another payload, same event id" "$(post "conflict_b_$s" "$path")" "409 conflict"
    expect "$s: the first again" "$(post "conflict_a_$s" "$path")" "200 "
    expect "$s: side effect" "$(effects "$s:evt_conflict_$s")" 1
}
wait_posts() {   # wait for the background posts (not nginx or redis)
    local j
    for j in $(jobs -p); do
        [ "$j" = "$nginx_pid" ] || [ "$j" = "$redis_pid" ] || wait "$j"
    done
}

# --- The access phase: handle() claims, content_by_lua works, log_by_lua
# finish() commits (or releases after a failure); for Redis from a timer,
# so the next delivery may come a moment after the answer.
access_tests() {   # access_tests NAME PATH
    local s=$1 path=$2
    expect "$s: good" "$(post access_good "$path")" "200 processed evt_access_good"
    sleep 0.2
    expect "$s: replayed" "$(post access_good "$path")" "200 "
    expect "$s: side effect" "$(effects "$s:evt_access_good")" 1
    expect "$s: content fails" "$(post access_fail "$path" -H 'X-Test-Fail: 1' | cut -d' ' -f1)" 500
    sleep 0.2
    expect "$s: the retry" "$(post access_fail "$path")" "200 processed evt_access_fail"
    expect "$s: forged" "$(post forged "$path")" "401 unauthorized"
    expect "$s: attempts, side effects" \
        "$(effects "$s:attempts:evt_access_fail") $(effects "$s:evt_access_fail")" "2 1"
}
store_tests dict /dict
access_tests access /access
if [ -n "$redis_port" ]; then
    store_tests redis /redis
    access_tests access_redis /access_redis
    expect "redis: good callback" "$(post redis_good /redis)" "200 processed evt_redis_good"
    stop_redis
    expect "redis stopped: the next callback" "$(post down /redis)" "503 service unavailable"
    expect "redis stopped: its side effect" "$(effects "redis:evt_down")" 0
    expect "redis stopped, fail_open: processed" "$(post down /redis_open)" "200 processed evt_down"
    if grep -q 'payhook: redis callback deferred (503): StoreUnavailable' "$log"; then ok; else
        bad "the store's failure is not in the error log"
    fi
fi


# --- A flood of forged callbacks: every one 401, the error log small.
flood_n=5000
size_before=$(stat -c %s "$log")
flood_t0=$(date +%s%N)
# curl's parallel transfers, 16 at a time: one process, no shell loop.
for _ in $(seq "$flood_n"); do
    printf 'url = "%s/flood"\noutput = "/dev/null"\n' "$url"
done >"$prefix/flood.cfg"
curl -s --noproxy '*' --parallel --parallel-max 16 -K "$prefix/flood.cfg" \
    -H 'Content-Type: application/json' -H "@$prefix/bodies/forged.hdr" \
    --data-binary "@$prefix/bodies/forged.json" -w '%{http_code}\n' \
    >"$prefix/out/codes" 2>"$prefix/out/curl.err" ||
    { bad "curl --parallel (curl 7.66 or later)"; head -3 "$prefix/out/curl.err"; }
flood_codes=$(sort "$prefix/out/codes" | uniq -c | awk '{print "status " $2 " " $1}' | tr '\n' '|')
flood_ms=$((($(date +%s%N) - flood_t0) / 1000000))
# What nginx answered, from its access log: every flood request a 401.
answered=$(grep -c '"POST /flood ' "$prefix/logs/access.log")
answered_401=$(grep '"POST /flood ' "$prefix/logs/access.log" | grep -c '" 401 ')
echo "flood: $answered forged callbacks in $flood_ms ms; client saw: $flood_codes"
if [ "$answered" = "$flood_n" ] && [ "$answered_401" = "$flood_n" ]; then ok; else
    bad "flood: $answered_401 of $answered answered 401 (want all $flood_n)"
fi
expect "flood: what the client saw" "$flood_codes" "status 401 $flood_n|"
# The refusals' counts reach the log at the end of each 2 s interval.
sleep 2.2
size_after=$(stat -c %s "$log")
grown=$((size_after - size_before))
echo "flood: the error log grew by $grown bytes"
if [ "$grown" -lt 8192 ]; then ok; else bad "flood: the error log grew by $grown bytes (limit 8192)"; fi
firsts=$(grep -c 'payhook: flood callback refused (401): InvalidSignatureError$\|payhook: flood callback refused (401): InvalidSignatureError,' "$log")
rest=$(sed -n 's/.*payhook: flood callbacks refused (401): InvalidSignatureError: \([0-9]*\) more in 2 s.*/\1/p' "$log" |
    awk '{ n += $1 } END { print n + 0 }')
expect "flood: the lines logged count every refusal" "$((firsts + rest))" "$answered"

# --- The log: the kinds, never the key, a signature or a body.
if grep -q '\[warn\].*payhook: plain callback refused (401): InvalidSignatureError' "$log"; then ok; else
    bad "no [warn] line for the forged callback"
fi
if [ "$(grep -c 'payhook: plain callback refused (401): InvalidSignatureError' "$log")" = 1 ]; then ok; else
    bad "the second forged callback was logged in full"
fi
if grep -q '\[error\].*payhook: dict callback failed (500): HandlerError: .*the handler failed on purpose' "$log"; then ok; else
    bad "the handler's failure is not in the error log"
fi
sig=$(sed -n 's/.*v1=\([0-9a-f]*\).*/\1/p' "$prefix/bodies/forged.hdr")
if grep -qF -e "$GUARD_KEY" -e "whsec_not_the_merchant_key" -e "$sig" -e "payment_intent" "$prefix"/logs/*.log; then
    bad "a key, a signature or a body is in the logs"
else
    ok
fi
if grep -E '\[(alert|crit|emerg)\]|lua entry thread aborted|runtime error' "$log"; then
    bad "nginx logged errors"
else
    ok
fi

stop_nginx

# --- The nginx block of bindings/lua/README.md ("payhook.openresty"), as
# it is but for the port, the paths and what nginx.conf needs around an
# http block: a good callback gets Stripe's reply and is acted on once, a
# forged one 401.
readme_port=$(free_port)
{
    echo "load_module $mod_dir/ndk_http_module.so;"
    echo "load_module $mod_dir/ngx_http_lua_module.so;"
    echo "pid $prefix/logs/readme.pid;"
    echo "error_log $prefix/logs/readme.log info;"
    echo "daemon off;"
    echo "env STRIPE_WHSEC;"
    echo "events { worker_connections 64; }"
    awk '/^<!-- tests\/nginx\/guard.sh serves this block/ { mark = 1; next }
         mark && /^```nginx$/ { inside = 1; next }
         inside && /^```$/ { exit }
         inside' bindings/lua/README.md |
        sed -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$readme_port;|" \
            -e "s|^http {|http {\n    access_log off;\n    client_body_temp_path $prefix/temp/body;\n    lua_package_path \"$share/?.lua;;\";\n    lua_package_cpath \"$lib/?.so;;\";|"
} >"$prefix/conf/readme.conf"
if grep -q "listen 127.0.0.1:$readme_port;" "$prefix/conf/readme.conf" &&
   grep -q "stripe_callbacks:handle" "$prefix/conf/readme.conf"; then ok; else
    bad "the README's nginx block was not found"
fi
: >"$prefix/logs/readme.log"
STRIPE_WHSEC=$GUARD_KEY nginx -p "$prefix" -c "$prefix/conf/readme.conf" \
    -e "$prefix/logs/readme.log" &
nginx_pid=$!
url="http://127.0.0.1:$readme_port"
up=0
for _ in $(seq 100); do
    kill -0 "$nginx_pid" 2>/dev/null || break
    if curl -s --noproxy '*' -o /dev/null "$url/callbacks/stripe"; then up=1; break; fi
    sleep 0.1
done
if [ $up = 1 ]; then
    ok
    expect "README: good callback" "$(post good /callbacks/stripe)" "200 "
    expect "README: replayed" "$(post good /callbacks/stripe)" "200 "
    expect "README: forged" "$(post forged /callbacks/stripe)" "401 unauthorized"
    expect "README: the work, done once" "$(grep -c 'paid: evt_good 12410' "$prefix/logs/readme.log")" 1
    if grep -E '\[(warn|error|alert|crit|emerg)\]' "$prefix/logs/readme.log" |
            grep -v 'callback refused (401): InvalidSignatureError'; then
        bad "the README's block logged warnings or errors"
    else
        ok
    fi
else
    bad "the README's nginx block did not come up"
    tail -5 "$prefix/logs/readme.log"
fi
stop_nginx
finish_guard
