#!/usr/bin/env bash
# Run libFuzzer harnesses for a bounded time, PARALLEL at a time, and say
# per harness how many inputs it ran and whether it found anything.
#
#   fuzz/run.sh SECONDS PARALLEL HARNESS...
#
# Each harness runs as one job (-jobs=1) in build/fuzz/logs/<harness>/,
# growing build/fuzz/corpus/<harness>/ from the seeds in fuzz/corpus/ and
# build/fuzz/seeds/; anything it finds goes to build/fuzz/crashes/ as
# <harness>-crash-*, -leak-*, -timeout-* or -oom-*.  Reproducers kept in
# fuzz/crashes/<harness>-* are replayed first: one that still fails fails
# its harness without fuzzing.  A harness passes when it found nothing.
# The last line is `N passed, N failed`; the exit status is non-zero when
# any failed.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
out=${FUZZ_OUT:-build/fuzz}
case $out in /*) ;; *) out=$top/$out ;; esac

if [ $# -lt 3 ]; then
    echo "usage: $0 SECONDS PARALLEL HARNESS..." >&2
    exit 2
fi
seconds=$1
parallel=$2
shift 2

# The longest input worth trying: a little over what each entry point
# must handle to reach its limits (a number literal of 4300 characters,
# nesting 129 deep, a SuperPay body of a few blocks).
max_len() {
    case $1 in
    fuzz_json) echo 8192 ;;
    fuzz_float) echo 4400 ;;
    fuzz_jwt_verify | fuzz_leanx_envelope) echo 4096 ;;
    fuzz_superpay | fuzz_superpay_envelope) echo 2048 ;;
    *) echo 1024 ;;
    esac
}

mkdir -p "$out/crashes" "$out/logs"

found_count() {
    find "$out/crashes" -maxdepth 1 -name "$1-*" | wc -l
}

run_one() {
    local h=$1 log=$out/logs/$1 dict=() seeds=() known rc
    rm -rf "$log"
    mkdir -p "$log" "$out/corpus/$h"
    if [ ! -x "$out/$h" ]; then
        echo "missing: $out/$h (make fuzz-build)" >"$log/why"
        echo 1 >"$log/rc"
        return
    fi
    for known in "$top"/fuzz/crashes/"$h"-*; do
        [ -f "$known" ] || continue
        if ! "$out/$h" -runs=1 "$known" >>"$log/replay.log" 2>&1; then
            echo "kept reproducer still fails: ${known#"$top"/}" >"$log/why"
            echo 1 >"$log/rc"
            return
        fi
    done
    [ -f "$top/fuzz/$h.dict" ] && dict=(-dict="$top/fuzz/$h.dict")
    [ -d "$top/fuzz/corpus/$h" ] && seeds+=("$top/fuzz/corpus/$h")
    [ -d "$out/seeds/$h" ] && seeds+=("$out/seeds/$h")
    found_count "$h" >"$log/before"
    (
        cd "$log" &&
            "$out/$h" -jobs=1 -max_total_time="$seconds" \
                -max_len="$(max_len "$h")" -timeout=25 -rss_limit_mb=2560 \
                -print_final_stats=1 "${dict[@]}" \
                -artifact_prefix="$out/crashes/$h-" \
                "$out/corpus/$h" "${seeds[@]}" >runner.log 2>&1
    )
    echo $? >"$log/rc"
}

running=0
for h in "$@"; do
    if [ "$running" -ge "$parallel" ]; then
        wait -n
        running=$((running - 1))
    fi
    run_one "$h" &
    running=$((running + 1))
done
wait

passed=0
failed=0
total_execs=0
printf '%-24s %8s %14s  %s\n' harness seconds executions result
for h in "$@"; do
    log=$out/logs/$h
    rc=$(cat "$log/rc" 2>/dev/null || echo 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
        "$log/fuzz-0.log" 2>/dev/null | tail -n 1)
    execs=${execs:-0}
    total_execs=$((total_execs + execs))
    new=0
    [ -f "$log/before" ] && new=$(($(found_count "$h") - $(cat "$log/before")))
    if [ -f "$log/why" ]; then
        result="FAILED: $(cat "$log/why")"
    elif [ "$rc" != 0 ] || [ "$new" -gt 0 ]; then
        what=$(find "$out/crashes" -maxdepth 1 -name "$h-*" -newer \
            "$log/before" | head -n 3 | sed "s|^$top/||" | tr '\n' ' ')
        summary=$(grep -m 1 -E '^(SUMMARY|\*\*\* payhook)' \
            "$log/fuzz-0.log" 2>/dev/null)
        result="FAILED (exit $rc) ${what}${summary:+- $summary}"
    else
        result=ok
    fi
    printf '%-24s %8s %14s  %s\n' "$h" "$seconds" "$execs" "$result"
    if [ "$result" = ok ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "total executions: $total_execs (logs in ${out#"$top"/}/logs)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
