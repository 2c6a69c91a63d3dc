#!/usr/bin/env bash
# The benchmark, in one command:   bench/run.sh
#
# Installs what it needs (apt-get / pip, only what is missing), builds the
# Python extension from this checkout into bench/.build (so it measures this
# tree, whatever payhook pip last installed), the Lua modules with the
# Makefile's Lua target and bench/stages.c against the core's static
# library, then runs, in this order:
#   stages                   each piece of the LeanX and SuperPay paths in C
#                            (HMAC, AES, base64url, hex, JSON checks, parse
#                            into a sink that builds nothing, whole core)
#   python_bench.py          per-call cost, Python (payhook vs peers)
#   gateways_bench.py        every other gateway next to its official SDK
#   lua_bench.lua            the same under LuaJIT and under Lua 5.4
#   lua_gateways_bench.lua   every other gateway next to hand-written
#                            resty (LuaJIT) and luaossl compositions
#   shapes_bench.py / .lua   unusual payloads of about 256 KB (bench/shapes.py:
#                            non-Latin text, escapes, big objects, deep
#                            nesting) next to the same compositions
#   memory_bench.py / lua_memory.lua   RSS over 1,000,000 decodes, 3 at once
#   memory_gateways.py / lua_memory_gateways.lua   the same for every
#                            gateway, genuine and forged
# and writes bench/results/results.json, table.md, chart.png, shapes.md and
# shapes.json, then prints the table. Takes about 10 minutes on 2 cores
# (the every-gateway memory run is most of it; BENCH_MEMORY_CALLS=100000
# for a quick look).
#
# Environment: BENCH_ROUNDS (default 61), BENCH_BATCH_MS (2),
# BENCH_MEMORY_CALLS (1000000), BENCH_SKIP_INSTALL=1 to skip installs,
# BENCH_NGINX=1 to end with bench/nginx_bench.sh (about 12 more minutes),
# BENCH_SOURCE=<commit> to measure a commit instead of the checkout as it is
# (see bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
t_start=$SECONDS
rounds=${BENCH_ROUNDS:-61}
batch_ms=${BENCH_BATCH_MS:-2}
mem_calls=${BENCH_MEMORY_CALLS:-1000000}
results=bench/results
run=$results/run.tmp

. bench/lib.sh

# --- run -------------------------------------------------------------------
[ "${BENCH_SKIP_INSTALL:-0}" = 1 ] || install_deps
prepare_source
say "measuring the $source_desc"
build_python
lua_ok=1
build_lua || lua_ok=0
stages_ok=1
build_stages || {
    stages_ok=0
    say "bench/stages.c did not build: its pieces are left out of the table"
}

rm -rf "$run"
mkdir -p "$run"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
export PYTHONPATH="$top/$pybuild${PYTHONPATH:+:$PYTHONPATH}"
python3 -c 'import payhook, sys; sys.exit(not payhook.__file__.startswith(sys.argv[1]))' \
    "$top/$pybuild" || { say "payhook not imported from $pybuild"; exit 1; }
python3 bench/inputs.py "$run/inputs"

if [ $stages_ok = 1 ]; then
    say "C pieces of each path ($rounds rounds)"
    "$stages" "$run/inputs" "$run/stages.json" "$rounds" "$batch_ms"
fi

say "python timing ($rounds rounds)"
python3 bench/python_bench.py "$run/python.json" --rounds "$rounds" \
    --batch-ms "$batch_ms"
say "python: every other gateway next to its SDK ($rounds rounds)"
python3 bench/gateways_bench.py "$run/gateways-python.json" \
    --rounds "$rounds"
if [ $lua_ok = 1 ]; then
    for interp in luajit lua5.4; do
        dir=$interp
        [ "$interp" = lua5.4 ] && dir=lua54
        say "$interp timing ($rounds rounds)"
        lua_env "$dir" "$interp" bench/lua_bench.lua "$run/inputs" \
            "$run/lua-$dir.json" "$rounds" "$batch_ms"
        say "$interp: every other gateway next to a hand-written check"
        lua_env "$dir" "$interp" bench/lua_gateways_bench.lua \
            "$run/gateways-$dir.json" "$rounds" "$batch_ms"
    done
fi

say "unusual payload shapes, about 256 KB each ($rounds rounds)"
python3 bench/shapes.py "$run/shapes"
python3 bench/shapes_bench.py "$run/shapes-python.json" --rounds "$rounds" \
    --batch-ms "$batch_ms"
if [ $lua_ok = 1 ]; then
    for interp in luajit lua5.4; do
        dir=$interp
        [ "$interp" = lua5.4 ] && dir=lua54
        lua_env "$dir" "$interp" bench/shapes_bench.lua "$run/shapes" \
            "$run/shapes-$dir.json" "$rounds" "$batch_ms"
    done
fi

say "memory: $mem_calls decodes of each kind (Python, LuaJIT, Lua 5.4 side by side)"
pids=()
python3 bench/memory_bench.py "$run/memory-python.json" --calls "$mem_calls" &
pids+=($!)
if [ $lua_ok = 1 ]; then
    lua_env luajit luajit bench/lua_memory.lua "$run/inputs" \
        "$run/memory-luajit.json" "$mem_calls" &
    pids+=($!)
    lua_env lua54 lua5.4 bench/lua_memory.lua "$run/inputs" \
        "$run/memory-lua54.json" "$mem_calls" &
    pids+=($!)
fi
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
[ $status = 0 ] || { say "a memory bench failed"; exit 1; }

say "memory: $mem_calls verifications of every gateway, genuine and forged"
pids=()
python3 bench/memory_gateways.py "$run/memory-gateways-python.json" \
    --calls "$mem_calls" &
pids+=($!)
if [ $lua_ok = 1 ]; then
    for interp in luajit lua5.4; do
        dir=$interp
        [ "$interp" = lua5.4 ] && dir=lua54
        lua_env "$dir" "$interp" bench/lua_memory_gateways.lua \
            "$run/memory-gateways-$dir.json" "$mem_calls" &
        pids+=($!)
    done
fi
for p in "${pids[@]}"; do wait "$p" || status=1; done
[ $status = 0 ] || { say "a gateway memory bench failed"; exit 1; }

python3 bench/machine.py "$run/machine.json" "$load_before"
python3 bench/report.py "$run" "$results" --seconds $((SECONDS - t_start))
python3 bench/shapes_report.py "$run" "$results" > /dev/null
say "done in $((SECONDS - t_start)) s: $results/table.md, results.json, chart.png, shapes.md"

# The real-nginx bench, on request: it exits 77 when nginx or wrk cannot
# be installed, which is a loud skip here, not a failure of the run.
if [ "${BENCH_NGINX:-0}" = 1 ]; then
    nginx_status=0
    bench/nginx_bench.sh || nginx_status=$?
    if [ $nginx_status = 77 ]; then
        say "!!! the nginx bench was SKIPPED (nginx or wrk missing; see above)"
    elif [ $nginx_status != 0 ]; then
        say "the nginx bench failed ($nginx_status)"
        exit $nginx_status
    fi
fi
