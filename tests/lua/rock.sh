#!/usr/bin/env bash
# The Lua rock as a user gets it.  From this checkout: the release tarball
# payhook-V.tar.gz, a source rock packed from it by `luarocks pack`, then
# `luarocks install payhook-V-1.src.rock` into a fresh tree, once for Lua
# 5.4 and once for LuaJIT (`--lua-version 5.1`, built against LuaJIT's
# headers).  The tarball is deleted before the installs, so they can only
# use what the rock carries.  The example callbacks then decode through
# each installed tree, with nothing of the checkout on the module paths.
#
#   bash tests/lua/rock.sh            the test; ends "N passed, N failed"
#   bash tests/lua/rock.sh pack DIR   only write DIR/payhook-V.tar.gz and
#                                     DIR/payhook-V-1.src.rock (a release)
#
# Needs luarocks, zip, unzip, lua5.4, luajit and the LuaJIT headers
# (libluajit2-5.1-dev or libluajit-5.1-dev).
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)

count_label="rock"
. tests/count.sh

version=$(cat VERSION)
name=payhook-$version
rockspec=$name-1.rockspec
[ -f "$rockspec" ] || { bad "no $rockspec beside VERSION"; finish; }

work=$(mktemp -d "${TMPDIR:-/tmp}/payhook-rock.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The release tarball: what the rockspec builds, its licence and docs.
# Made from the working tree (not a commit), so the test sees local edits.
make_tarball() {
    local stage=$work/stage/$name
    mkdir -p "$stage/bindings"
    cp -r VERSION LICENSE README.md CHANGELOG.md dist.ini "$rockspec" csrc "$stage/" &&
        cp -r bindings/lua "$stage/bindings/" || return 1
    find "$stage" \( -name '*.o' -o -name '*.so' \) -delete
    tar -C "$work/stage" --sort=name --owner=0 --group=0 --numeric-owner \
        -czf "$work/$name.tar.gz" "$name"
}

# luarocks pack fetches source.url from inside its own temporary
# directory, where the bare tarball name does not resolve: it is given a
# copy of the rockspec whose URL is the tarball's absolute path, and the
# rock then gets the rockspec of the checkout back, byte for byte.
pack() {
    local out=$1
    make_tarball || return 1
    mkdir -p "$work/pack" "$out"
    sed "s|url = \"$name.tar.gz\",|url = \"file://$work/$name.tar.gz\",|" \
        "$rockspec" >"$work/pack/$rockspec"
    grep -qF "file://$work/$name.tar.gz" "$work/pack/$rockspec" || {
        echo "$rockspec has no url = \"$name.tar.gz\""
        return 1
    }
    (cd "$out" && luarocks --lua-version 5.4 pack "$work/pack/$rockspec") \
        >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; return 1; }
    (cd "$top" && zip -q "$out/$name-1.src.rock" "$rockspec") || return 1
    cp "$work/$name.tar.gz" "$out/"
}

if [ "${1:-}" = pack ]; then
    [ -n "${2:-}" ] || { echo "usage: tests/lua/rock.sh pack DIR" >&2; exit 2; }
    mkdir -p "$2"
    out=$(cd "$2" && pwd)
    pack "$out" || exit 1
    echo "$out/$name-1.src.rock"
    echo "$out/$name.tar.gz"
    exit 0
fi

for tool in luarocks zip unzip lua5.4 luajit; do
    command -v "$tool" >/dev/null || { bad "$tool is not installed"; finish; }
done
luajit_inc=$(pkg-config --variable=includedir luajit 2>/dev/null)
luajit_inc=${luajit_inc:+$luajit_inc/luajit-2.1}
for d in "$luajit_inc" /usr/include/luajit-2.1; do
    [ -n "$d" ] && [ -f "$d/luajit.h" ] && { luajit_inc=$d; break; }
done
[ -f "$luajit_inc/luajit.h" ] || {
    bad "LuaJIT headers not found (apt-get install libluajit2-5.1-dev)"
    finish
}

if pack "$work/rocks"; then ok; else bad "luarocks pack"; finish; fi
rock=$work/rocks/$name-1.src.rock
members=$(unzip -Z1 "$rock" | LC_ALL=C sort | tr '\n' ' ')
if [ "$members" = "$rockspec $name.tar.gz " ]; then ok; else
    bad "the rock holds: $members"
fi
if unzip -p "$rock" "$rockspec" | cmp -s - "$rockspec"; then ok; else
    bad "the rock's rockspec is not the checkout's"
fi
listing=$(tar -tzf "$work/rocks/$name.tar.gz")
if grep -qx "$name/bindings/lua/payhook_core.c" <<<"$listing" &&
   grep -qx "$name/bindings/lua/lua_gateway.c" <<<"$listing" &&
   grep -qx "$name/bindings/lua/payhook/openresty.lua" <<<"$listing" &&
   grep -qx "$name/LICENSE" <<<"$listing"; then
    ok
else
    bad "the tarball lacks $name/bindings/lua/payhook_core.c, lua_gateway.c, payhook/openresty.lua or $name/LICENSE"
fi
if grep -qx "version = $version" dist.ini; then ok; else
    bad "dist.ini's version is not $version"
fi
# Nothing but the rock from here on.
rm -f "$work/$name.tar.gz" "$work/rocks/$name.tar.gz"
rm -rf "$work/stage" "$work/pack"

BODY_LEANX=$(cat examples/callbacks/leanx-payout.json)
BODY_SUPERPAY=$(cat examples/callbacks/superpay-vendor-sample.json)
LEANX_HASH_KEY=$(sed -n 's/^LEANX_HASH_KEY=//p' examples/callbacks/keys.env)
SUPERPAY_SYMMETRIC_KEY=$(sed -n 's/^SUPERPAY_SYMMETRIC_KEY=//p' examples/callbacks/keys.env)
export BODY_LEANX BODY_SUPERPAY LEANX_HASH_KEY SUPERPAY_SYMMETRIC_KEY
# Where each module came from, the version, and what the two callbacks
# decode to.
decode='
local p = require "payhook"
local leanx = assert(p.leanx.decode(os.getenv("BODY_LEANX"), os.getenv("LEANX_HASH_KEY")))
local sp = assert(p.superpay.decode(os.getenv("BODY_SUPERPAY"), os.getenv("SUPERPAY_SYMMETRIC_KEY")))
assert(require("payhook.openresty")._VERSION == p.version)
print(package.searchpath("payhook", package.path))
print(package.searchpath("payhook.openresty", package.path))
print(package.searchpath("payhook.core", package.cpath))
print(p.version, leanx.output.invoice_no, sp.data.transactionId)
'

# install LUAVERSION INTERPRETER [VAR=VALUE...]
install() {
    local lv=$1 lua=$2 tree=$work/tree-$1 out want
    shift 2
    if (cd "$work" && luarocks --lua-version "$lv" install --tree "$tree" \
            --deps-mode none "$rock" "$@") >"$work/install-$lv.log" 2>&1; then
        ok
    else
        bad "luarocks --lua-version $lv install $name-1.src.rock"
        tail -20 "$work/install-$lv.log"
        return
    fi
    echo "luarocks --lua-version $lv install: $tree"
    # Only the tree on the module paths (no ';;'): no copy elsewhere can
    # stand in for the installed one.
    out=$(cd "$work" && LUA_PATH="$tree/share/lua/$lv/?.lua" \
        LUA_CPATH="$tree/lib/lua/$lv/?.so" "$lua" -e "$decode" 2>&1)
    want="$tree/share/lua/$lv/payhook.lua
$tree/share/lua/$lv/payhook/openresty.lua
$tree/lib/lua/$lv/payhook/core.so
$version	17254613886HGPiuRu	10556"
    if [ "$out" = "$want" ]; then ok; else
        bad "$lua through the installed rock printed:
$out
wanted:
$want"
    fi
}

install 5.4 lua5.4
install 5.1 luajit LUA_INCDIR="$luajit_inc"
# The LuaJIT build used LuaJIT's headers, not Lua 5.1's.
if grep -q -- "-I$luajit_inc" "$work/install-5.1.log"; then ok; else
    bad "the 5.1 build did not use -I$luajit_inc"
fi
finish
