# Shared by bench/run.sh and bench/profile.sh (sourced from the repo top):
# installing what the bench needs and building what it measures.

peers=bench/.peers
pybuild=bench/.build/py

say() { printf 'bench: %s\n' "$*" >&2; }

# The bench's Python is the checkout's virtual environment, which
# scripts/install-deps makes (with the setuptools the build needs): a
# distribution's python3 refuses pip install outside one (PEP 668) and
# may carry a setuptools too old for pyproject.toml.  Every `python3`
# below, and in the scripts that source this, is that environment's.
bench_venv=${PAYHOOK_VENV:-$(pwd)/.venv}
use_bench_venv() {
    if [ -x "$bench_venv/bin/python3" ]; then
        export VIRTUAL_ENV=$bench_venv
        case ":$PATH:" in
            *":$bench_venv/bin:"*) ;;
            *) export PATH=$bench_venv/bin:$PATH ;;
        esac
    fi
}
use_bench_venv

# --- what is needed --------------------------------------------------------
install_deps() {
    scripts/install-deps build >&2
    use_bench_venv
    [ -x "$bench_venv/bin/python3" ] ||
        { say "no virtual environment at $bench_venv"; return 1; }
    local apt_pkgs=(lua5.4 liblua5.4-dev luajit2 libluajit2-5.1-dev
                    lua-cjson lua-luaossl "$@")
    local missing=()
    for p in "${apt_pkgs[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "apt-get install ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo=sudo
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null
    fi
    local need=()
    python3 -c 'import jwt' 2>/dev/null || need+=(pyjwt)
    python3 -c 'import cryptography' 2>/dev/null || need+=(cryptography)
    python3 -c 'import Crypto.Cipher.AES' 2>/dev/null || need+=(pycryptodome)
    python3 -c 'import authlib' 2>/dev/null || need+=(authlib)
    python3 -c 'import matplotlib' 2>/dev/null || need+=(matplotlib)
    # The other gateways' official SDKs (gateways_bench.py).
    python3 -c 'import standardwebhooks' 2>/dev/null ||
        need+=(standardwebhooks)
    python3 -c 'import svix' 2>/dev/null || need+=(svix)
    python3 -c 'import stripe' 2>/dev/null || need+=(stripe)
    python3 -c 'import razorpay' 2>/dev/null || need+=(razorpay)
    if [ ${#need[@]} -gt 0 ]; then
        say "pip install ${need[*]}"
        python3 -m pip install -q --disable-pip-version-check "${need[@]}" \
            2>&1 | grep -v -e '^WARNING: Running pip as' -e 'is ignored' >&2 || true
        python3 -c 'import jwt, cryptography, Crypto, authlib, matplotlib
import standardwebhooks, svix, stripe, razorpay' ||
            { say "pip install failed"; return 1; }
    fi
    # The last PyJWT before 2.14's per-character segment check, beside the
    # current one (python_bench.py loads it under another name).
    if [ ! -f "$peers/pyjwt-2.13.0/jwt/__init__.py" ]; then
        say "pip install --target $peers/pyjwt-2.13.0 PyJWT==2.13.0"
        python3 -m pip install -q --disable-pip-version-check --no-deps \
            --target "$peers/pyjwt-2.13.0" 'PyJWT==2.13.0' \
            >"$peers.log" 2>&1 ||
            say "PyJWT 2.13.0 not installed; measured without it"
    fi
    # pyjwt-rs only if a wheel installs quickly (no Rust toolchain here);
    # tried once per machine.
    if ! python3 -c 'import importlib.metadata as m; m.version("pyjwt-rs")' \
            2>/dev/null && [ ! -f "$peers/pyjwt-rs.tried" ]; then
        mkdir -p "$peers"
        say "trying a pyjwt-rs wheel"
        timeout 120 python3 -m pip install -q --disable-pip-version-check \
            --only-binary=:all: pyjwt-rs >/dev/null 2>&1 ||
            say "pyjwt-rs: no wheel for this platform; skipped"
        touch "$peers/pyjwt-rs.tried"
    fi
}

# --- builds ----------------------------------------------------------------
# The tree measured, in $src. BENCH_SOURCE=worktree (the default) is this
# checkout as it is; BENCH_SOURCE=<commit> (e.g. HEAD) exports that commit to
# bench/.build/src-<hash> and builds there, to measure a commit while the
# checkout is being edited. $source_desc says which, for the table.
prepare_source() {
    local want=${BENCH_SOURCE:-worktree}
    if [ "$want" = worktree ]; then
        src=$top
        source_desc="worktree at $(git rev-parse --short HEAD)"
        if [ -n "$(git status --porcelain -- csrc bindings setup.py)" ]; then
            source_desc+=" with uncommitted changes"
        fi
    else
        local rev
        rev=$(git rev-parse --verify "$want^{commit}")
        src=$top/bench/.build/src-${rev:0:12}
        if [ ! -d "$src" ]; then
            mkdir -p "$src.tmp"
            git archive "$rev" | tar -x -C "$src.tmp"
            mv "$src.tmp" "$src"
        fi
        source_desc="commit ${rev:0:12}"
    fi
    export BENCH_SOURCE_DESC=$source_desc
}

# The extension, rebuilt only when its sources change.
build_python() {
    local stamp
    stamp=$(cd "$src" && cat setup.py VERSION csrc/*.[ch] bindings/python/*.[ch] \
                bindings/python/payhook/*.py | sha256sum | cut -c1-16)
    if [ -f "$pybuild/.stamp" ] && [ "$(cat "$pybuild/.stamp")" = "$stamp" ]; then
        return
    fi
    say "building the Python extension into $pybuild"
    rm -rf "$pybuild" bench/.build/py-tmp
    mkdir -p "$pybuild"
    cp -r "$src/bindings/python/payhook" "$pybuild/"
    rm -rf "$pybuild/payhook/__pycache__" "$pybuild"/payhook/*.so
    (cd "$src" && python3 setup.py -q build_ext -b "$top/$pybuild" \
        -t "$top/bench/.build/py-tmp") >bench/.build/py-build.log 2>&1 ||
        { cat bench/.build/py-build.log >&2; return 1; }
    echo "$stamp" > "$pybuild/.stamp"
}

build_lua() {
    if [ ! -f "$src/bindings/lua/lua.mk" ]; then
        say "bindings/lua/lua.mk not found: the Lua binding is not built"
        return 1
    fi
    make -C "$src" -s lua >&2
}

# bench/stages.c against the measured tree's core (its static library and
# private headers), with the Makefile's warnings, into $stages.  Fails
# (and says why) when that tree's internal API differs from what
# stages.c calls, e.g. an old BENCH_SOURCE commit.
stages=bench/.build/stages
build_stages() {
    make -C "$src" -s build/libpayhook.a >&2 || return 1
    mkdir -p bench/.build
    local pkg
    pkg=$(pkg-config --cflags libcrypto libcjson 2>/dev/null || true)
    # shellcheck disable=SC2086
    cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -g -Wall -Wextra -Werror \
        -Wshadow -Wstrict-prototypes -Wformat=2 $pkg -I"$src/csrc" \
        bench/stages.c "$src/build/libpayhook.a" -lcrypto -lcjson -lm \
        -o "$stages" 2>bench/.build/stages-build.log ||
        { cat bench/.build/stages-build.log >&2; return 1; }
}

# lua_env luajit|lua54 CMD...: CMD with payhook's Lua modules on the path.
lua_env() {
    local dir=$1
    shift
    LUA_PATH="$src/bindings/lua/?.lua;;" LUA_PATH_5_4="$src/bindings/lua/?.lua;;" \
    LUA_CPATH="$src/build/$dir/?.so;;" LUA_CPATH_5_4="$src/build/$dir/?.so;;" \
        "$@"
}
