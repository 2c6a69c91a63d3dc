#!/usr/bin/env bash
# examples/openresty as a merchant deploys it on Debian's nginx with
# libnginx-mod-http-lua:
#
#   1. `nginx -t` on the files exactly as they are in the checkout, with
#      and without the optional limit_req block;
#   2. payhook (LuaJIT build) and the handler installed into a temporary
#      prefix, the example served from there on a free port of 127.0.0.1,
#      with only the paths and the port changed, and the default error log
#      level: good LeanX and SuperPay callbacks get 200 and their id, the
#      same callback again the gateway's reply (the replay guard), forged
#      ones 401, and each refusal reaches the error log without a key or a
#      body;
#   3. the same with the keys in files (PAYHOOK_KEY_DIR) and not in the
#      environment;
#   4. the optional limit_req block uncommented: a source refused again and
#      again gets 429, another source's good callback still 200.
#
#   bash tests/nginx/example.sh     (builds the LuaJIT module first unless
#                                    PAYHOOK_NO_BUILD=1)
#
# Starts and stops nginx itself (a trap stops it whatever happens); ends
# with "N passed, N failed".  PAYHOOK_NGINX_KEEP=1 keeps the prefix.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
example=$top/examples/openresty

count_label="nginx example"
. tests/count.sh

for tool in nginx curl luajit; do
    command -v "$tool" >/dev/null || { bad "$tool is not installed"; finish; }
done
for mod in $(sed -n 's/^load_module \(.*\);$/\1/p' "$example/nginx-debian.conf"); do
    [ -f "$mod" ] || { bad "$mod is missing (apt-get install libnginx-mod-http-lua)"; finish; }
done
if [ "${PAYHOOK_NO_BUILD:-0}" != 1 ]; then
    make -s luajit >/dev/null || { bad "make luajit"; finish; }
fi
[ -f build/luajit/payhook/core.so ] || { bad "no build/luajit/payhook/core.so"; finish; }

prefix=$(mktemp -d "${TMPDIR:-/tmp}/payhook-example.XXXXXX")
chmod 755 "$prefix"
. tests/nginx/stop.sh
cleanup() {
    stop_nginx
    if [ "${PAYHOOK_NGINX_KEEP:-0}" = 1 ]; then
        echo "prefix kept in $prefix"
    else
        rm -rf "$prefix"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. nginx -t on the checkout's files, as they are.
if nginx -t -q -p "$prefix" -c "$example/nginx-debian.conf" -e "$prefix/t.log"; then
    ok
else
    bad "nginx -t -c examples/openresty/nginx-debian.conf"
    cat "$prefix/t.log"
fi

# The optional limit, uncommented: the five lines the comments name.
uncomment_limit() {   # uncomment_limit FILE
    sed -i -e 's|^\( *\)# \(lua_shared_dict payhook_refusals .*\)$|\1\2|' \
        -e 's|^\( *\)# \(limit_req_zone \$payhook_refused_source .*\)$|\1\2|' \
        -e 's|^\( *\)# \(limit_req_status 429;\)$|\1\2|' \
        -e 's|^\( *\)# \(set_by_lua_block \$payhook_refused_source .*\)$|\1\2|' \
        -e 's|^\( *\)# \(limit_req zone=payhook_refused .*\)$|\1\2|' "$1"
    [ "$(grep -cE '^ *(lua_shared_dict payhook_refusals|limit_req_zone|limit_req_status|set_by_lua_block|limit_req zone)' "$1")" = 5 ]
}
mkdir -p "$prefix/limit-t"
cp "$example/nginx.conf" "$example/nginx-debian.conf" "$prefix/limit-t/"
if uncomment_limit "$prefix/limit-t/nginx.conf" &&
   nginx -t -q -p "$prefix" -c "$prefix/limit-t/nginx-debian.conf" -e "$prefix/t.log"; then
    ok
else
    bad "nginx -t with the limit_req block uncommented"
    cat "$prefix/t.log"
fi

# --- 2. A deployment into the prefix.  Workers may run as www-data (the
# example's user): everything they read is world-readable there.
install -D -m 644 build/luajit/payhook/core.so "$prefix/lib/lua/5.1/payhook/core.so"
install -D -m 644 bindings/lua/payhook.lua "$prefix/share/lua/5.1/payhook.lua"
install -D -m 644 bindings/lua/payhook/openresty.lua "$prefix/share/lua/5.1/payhook/openresty.lua"
install -D -m 644 "$example/payhook_callback.lua" "$prefix/lua/payhook_callback.lua"
mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/temp" "$prefix/bodies"
chmod 777 "$prefix/temp" "$prefix/logs"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
       echo $((20000 + RANDOM % 20000)))
url="http://127.0.0.1:$port"

# subst FILE FROM TO: replace a literal string; it must be there.
subst() {
    if ! grep -qF -- "$2" "$1"; then
        bad "$(basename "$1") lacks: $2"
        return 1
    fi
    FROM=$2 TO=$3 perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/g' "$1"
}

# The example with what a run here must change: log, pid and temporary
# paths inside the prefix, the port, the module paths.  The error log
# keeps the example's (default) level.
make_conf() {   # make_conf limit|plain
    cp "$example/nginx.conf" "$example/nginx-debian.conf" "$prefix/conf/"
    subst "$prefix/conf/nginx-debian.conf" "error_log /var/log/nginx/error.log;" \
        "error_log $prefix/logs/error.log;" || return 1
    subst "$prefix/conf/nginx.conf" "listen 127.0.0.1:8080;" "listen 127.0.0.1:$port;" &&
    subst "$prefix/conf/nginx.conf" "/usr/local/share/lua/5.1/?.lua;/etc/nginx/lua/?.lua;;" \
        "$prefix/share/lua/5.1/?.lua;$prefix/lua/?.lua;;" &&
    subst "$prefix/conf/nginx.conf" "/usr/local/lib/lua/5.1/?.so;;" "$prefix/lib/lua/5.1/?.so;;" &&
    subst "$prefix/conf/nginx.conf" "http {" "http {
    access_log $prefix/logs/access.log;
    client_body_temp_path $prefix/temp/body;
    proxy_temp_path $prefix/temp/proxy;
    fastcgi_temp_path $prefix/temp/fastcgi;
    uwsgi_temp_path $prefix/temp/uwsgi;
    scgi_temp_path $prefix/temp/scgi;" || return 1
    if [ "$1" = limit ]; then
        uncomment_limit "$prefix/conf/nginx.conf" || { bad "uncomment the limit"; return 1; }
    fi
}

start_nginx() {   # start_nginx ENV-ARGS...: nginx with exactly that environment
    : >"$prefix/logs/error.log"
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@" \
        nginx -p "$prefix" -c "$prefix/conf/nginx-debian.conf" -e "$prefix/logs/error.log" \
        -g "pid $prefix/logs/nginx.pid; daemon off;" &
    nginx_pid=$!
    for _ in $(seq 100); do
        kill -0 "$nginx_pid" 2>/dev/null || break
        if curl -s --noproxy '*' -o /dev/null "$url/" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    bad "nginx did not come up on 127.0.0.1:$port"
    tail -20 "$prefix/logs/error.log"
    return 1
}

post() {   # post BODY-FILE PATH [CURL-ARGS...] -> prints "CODE BODY"
    local body=$1 path=$2
    shift 2
    local code
    code=$(curl -s --noproxy '*' -o "$prefix/response" -w '%{http_code}' "$@" \
        -H 'Content-Type: application/json' --data-binary "@$body" "$url$path")
    echo "$code $(tr -d '\r\n' <"$prefix/response" | head -c 200)"
}

expect() {   # expect WHAT GOT WANT
    if [ "$2" = "$3" ]; then ok; else bad "$1: got \"$2\", want \"$3\""; fi
}

leanx_key=$(sed -n 's/^LEANX_HASH_KEY=//p' examples/callbacks/keys.env)
superpay_key=$(sed -n 's/^SUPERPAY_SYMMETRIC_KEY=//p' examples/callbacks/keys.env)
good_leanx=examples/callbacks/leanx-payout.json
good_superpay=examples/callbacks/superpay-vendor-sample.json
# Forgeries: the same payloads under other keys.
if ! LUA_PATH="$top/bindings/lua/?.lua" LUA_CPATH="$top/build/luajit/?.so" \
     DIR="$prefix/bodies" LK="$leanx_key" SK="$superpay_key" luajit -e '
    local p = require "payhook"
    local dir, lk, sk = os.getenv("DIR"), os.getenv("LK"), os.getenv("SK")
    local function slurp(f) local h = assert(io.open(f, "rb")); local s = h:read("*a"); h:close(); return s end
    local function spit(f, s) local h = assert(io.open(f, "wb")); h:write(s); h:close() end
    local payload = assert(p.leanx.decode(slurp("examples/callbacks/leanx-payout.json"), lk))
    local forged = assert(p.jwt.encode(payload, "not the merchant key"))
    spit(dir .. "/leanx_forged.json", "{\"data\":\"" .. forged .. "\",\"response_code\":2100}")
    local sp = assert(p.superpay.decode(slurp("examples/callbacks/superpay-vendor-sample.json"), sk))
    local hex = assert(p.superpay.encrypt(sp, string.rep("k", 32)))
    spit(dir .. "/superpay_forged.json", "{\"encryptedData\":\"" .. hex .. "\"}")
'; then
    bad "could not build the forged bodies"
    finish
fi

# The log holds each refusal at "error", and nothing secret.
check_log() {   # check_log LABEL
    local log=$prefix/logs/error.log
    if grep -q '\[error\].*payhook: LeanX callback refused (401): InvalidSignatureError' "$log"; then
        ok
    else
        bad "$1: no [error] line for the forged LeanX callback"
    fi
    if grep -q '\[error\].*payhook: SuperPay callback refused (401): DecryptionError' "$log"; then
        ok
    else
        bad "$1: no [error] line for the forged SuperPay callback"
    fi
    if grep -qF -e "$leanx_key" -e "$superpay_key" "$prefix"/logs/* ||
       grep -qF -e "eyJhbGci" -e "$(grep -o '[0-9a-f]\{40\}' "$good_superpay" | head -1)" "$prefix"/logs/*; then
        bad "$1: a key or a body is in the logs"
    else
        ok
    fi
    if grep -E '\[(alert|crit|emerg)\]|lua entry thread aborted|runtime error|cannot read a key file|no LeanX|no SuperPay' "$log"; then
        bad "$1: nginx logged a failure"
    else
        ok
    fi
}

callbacks() {   # callbacks LABEL: good, replayed and forged, both gateways
    expect "$1: good LeanX" "$(post "$good_leanx" /callbacks/leanx)" "200 OK 17254613886HGPiuRu"
    # Again: the guard answers LeanX's reply (200, empty) without
    # recording the payout a second time.
    expect "$1: replayed LeanX" "$(post "$good_leanx" /callbacks/leanx)" "200 "
    expect "$1: forged LeanX" "$(post "$prefix/bodies/leanx_forged.json" /callbacks/leanx | cut -d' ' -f1)" 401
    expect "$1: good SuperPay" "$(post "$good_superpay" /callbacks/superpay)" "200 OK 10556"
    expect "$1: replayed SuperPay" "$(post "$good_superpay" /callbacks/superpay)" "200 "
    expect "$1: forged SuperPay" "$(post "$prefix/bodies/superpay_forged.json" /callbacks/superpay | cut -d' ' -f1)" 401
}

# --- 2. Keys in the environment.
if make_conf plain && start_nginx LEANX_HASH_KEY="$leanx_key" SUPERPAY_SYMMETRIC_KEY="$superpay_key"; then
    ok
    callbacks "keys from the environment"
    stop_nginx
    check_log "keys from the environment"
fi

# --- 3. Keys in files, readable by the workers' user only; none in the
# environment.
mkdir -p "$prefix/keys"
printf '%s\n' "$leanx_key" >"$prefix/keys/leanx_hash_key"
printf '%s' "$superpay_key" >"$prefix/keys/superpay_symmetric_key"
chmod 400 "$prefix/keys/"*
if [ "$(id -u)" = 0 ]; then
    chown www-data "$prefix/keys/"*
fi
if start_nginx PAYHOOK_KEY_DIR="$prefix/keys"; then
    ok
    callbacks "keys from PAYHOOK_KEY_DIR"
    stop_nginx
    check_log "keys from PAYHOOK_KEY_DIR"
fi

# --- 4. The optional limit: 5 refusals make a source suspect, then a
# burst of 5 more, then 429 until the rate allows one again (one per 10
# seconds, far longer than this loop).
if make_conf limit && start_nginx LEANX_HASH_KEY="$leanx_key" SUPERPAY_SYMMETRIC_KEY="$superpay_key"; then
    ok
    codes=""
    for _ in $(seq 15); do
        codes="$codes $(post "$prefix/bodies/leanx_forged.json" /callbacks/leanx | cut -d' ' -f1)"
    done
    expect "limit: 15 forged callbacks from 127.0.0.1" "$codes" \
        " 401 401 401 401 401 401 401 401 401 401 401 429 429 429 429"
    expect "limit: a good callback from the refused source" \
        "$(post "$good_leanx" /callbacks/leanx | cut -d' ' -f1)" 429
    expect "limit: a good callback from 127.0.0.2" \
        "$(post "$good_leanx" /callbacks/leanx --interface 127.0.0.2)" "200 OK 17254613886HGPiuRu"
    stop_nginx
    if grep -q 'limiting requests' "$prefix/logs/error.log"; then ok; else
        bad "limit: nginx did not log the limiting"
    fi
fi
finish
