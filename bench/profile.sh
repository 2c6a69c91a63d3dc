#!/usr/bin/env bash
# Where payhook's time goes: callgrind profiles of the LeanX and SuperPay
# paths, in the Python binding and in LuaJIT, summarised with
# callgrind_annotate into bench/results/profile-*.txt (top functions by
# inclusive and by self cost, instructions executed, % of the total).
#
#   bench/profile.sh            (a few minutes; separate from run.sh)
#
# Python: a driver doing N decodes (bench/profile_driver.py); collection is
# toggled on only inside the binding's C entry points (the decode method,
# plus the decoder's construction and teardown for the one-off calls), so
# the interpreter's start-up and loop are left out and the numbers are the
# binding's + the core's + OpenSSL's + CPython's object building.
# LuaJIT: the whole run of bench/profile_driver.lua (start-up is a small
# fixed part; JIT-compiled Lua shows as "???").  Valgrind hides AVX-512
# and SHA-NI from the CPU it reports, so SuperPay's constant-time scan is
# profiled in its two-bytes-a-load form (as a CPU without AVX-512 VBMI
# runs it natively) and OpenSSL's SHA-256 in its scalar code (several
# times the instructions of the SHA-NI code the HMAC runs natively).
#
# Environment: BENCH_SOURCE as for run.sh; PROFILE_N_SMALL (3000),
# PROFILE_N_LARGE (20).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
. bench/lib.sh

n_small=${PROFILE_N_SMALL:-3000}
n_large=${PROFILE_N_LARGE:-20}
results=bench/results
work=$results/profile.tmp

[ "${BENCH_SKIP_INSTALL:-0}" = 1 ] || install_deps valgrind
prepare_source
say "profiling the $source_desc"
build_python
lua_ok=1
build_lua || lua_ok=0
rm -rf "$work"
mkdir -p "$work"
export PYTHONPATH="$top/$pybuild${PYTHONPATH:+:$PYTHONPATH}"
python3 bench/inputs.py "$work/inputs"
so=$(ls "$top/$pybuild"/payhook/_payhook*.so)
# The interpreter itself, not a wrapper script (pyenv's shim is bash).
py=$(python3 -c 'import sys; print(sys.executable)')

# toggles FUNCTION...: --toggle-collect options for the functions the
# extension defines (an absent name would silently collect nothing).
toggles() {
    local f out=()
    for f in "$@"; do
        # Not grep -q: under pipefail, grep leaving early can fail nm.
        if nm "$so" 2>/dev/null | grep -E "[tT] $f\$" >/dev/null; then
            out+=("--toggle-collect=$f")
        else
            say "warning: $f not in $so; not toggled"
        fi
    done
    [ ${#out[@]} -gt 0 ] || { say "no entry point found"; return 1; }
    printf '%s\n' "${out[@]}"
}

# summarise NAME TITLE CALLS CALLGRIND_OUT ENTRIES COMMAND...: write
# profile-NAME.txt (ENTRIES: the toggled functions, space-separated).
summarise() {
    local name=$1 title=$2 calls=$3 cg=$4 entries=$5 e
    shift 5
    local extra=()
    for e in $entries; do extra+=(--entry "$e"); done
    python3 bench/profile_summary.py "$cg" "$results/profile-$name.txt" \
        --title "$title" --calls "$calls" --command "$*" "${extra[@]}"
}

# py_profile NAME PROVIDER SIZE_INDEX N MODE TOGGLE_FUNCTIONS...
py_profile() {
    local name=$1 provider=$2 size=$3 n=$4 mode=$5
    shift 5
    local cg=$work/callgrind.$name.out
    local opts
    mapfile -t opts < <(toggles "$@")
    say "callgrind: python $name ($n decodes)"
    local cmd=(valgrind --tool=callgrind --collect-atstart=no "${opts[@]}"
               --callgrind-out-file="$cg" "$py" bench/profile_driver.py
               "$provider" "$size" "$n" "$mode")
    "${cmd[@]}" >"$work/$name.log" 2>&1 && [ -s "$cg" ] ||
        { cat "$work/$name.log" >&2; return 1; }
    summarise "python-$name" \
        "Python binding, $provider, $(size_label "$size"), $mode" "$n" \
        "$cg" "$*" "${cmd[@]}"
}

lj_profile() {
    local name=$1 provider=$2 size=$3 n=$4 mode=$5
    local cg=$work/callgrind.luajit-$name.out
    say "callgrind: luajit $name ($n decodes)"
    local cmd=(valgrind --tool=callgrind --callgrind-out-file="$cg"
               luajit bench/profile_driver.lua "$work/inputs" "$provider"
               $((size + 1)) "$n" "$mode")
    lua_env luajit "${cmd[@]}" >"$work/luajit-$name.log" 2>&1 ||
        { cat "$work/luajit-$name.log" >&2; return 1; }
    summarise "luajit-$name" \
        "LuaJIT binding, $provider, $(size_label "$size"), $mode (whole run)" \
        "$n" "$cg" "" "${cmd[@]}"
}

size_label() { case $1 in 0) echo "1.2 KB";; 1) echo "16 KB";; 2) echo "256 KB";; esac; }

# Every decode runs the gateway decoder's decode_at; a one-off function is
# onecall_vectorcall, which binds the arguments, finds the decoder in the
# memo (building one on a miss) and calls decode_at inside it, so it alone
# is toggled (a nested toggle would turn collection off).
py_profile leanx leanx 0 "$n_small" decoder gateway_decode_at
py_profile leanx-oneoff leanx 0 "$n_small" oneoff onecall_vectorcall
py_profile superpay superpay 0 "$n_small" decoder gateway_decode_at
py_profile superpay-oneoff superpay 0 "$n_small" oneoff onecall_vectorcall
py_profile leanx-256k leanx 2 "$n_large" decoder gateway_decode_at
py_profile superpay-256k superpay 2 "$n_large" decoder gateway_decode_at

if [ $lua_ok = 1 ]; then
    lj_profile leanx leanx 0 "$n_small" decoder
    lj_profile leanx-oneoff leanx 0 "$n_small" oneoff
    lj_profile superpay superpay 0 "$n_small" decoder
    lj_profile superpay-256k superpay 2 "$n_large" decoder
fi
say "profiles written: $(ls $results/profile-*.txt | tr '\n' ' ')"
