#!/usr/bin/env bash
# Replay every reproducer kept in fuzz/crashes/ against the current build.
#
#   fuzz/repro.sh        (make fuzz-repro builds the harnesses first)
#
# A file named <harness>-<name> is run once through build/fuzz/<harness>;
# atheris_payhook-* files go through fuzz/run_atheris.sh, which builds
# the extension from this tree.  Prints one line per file and exits
# non-zero while any of them still fails.
set -u
cd "$(dirname "$0")/.."
out=${FUZZ_OUT:-build/fuzz}
still=0
fixed=0
for f in fuzz/crashes/*; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    case $name in
    *.md | *.txt) continue ;;
    atheris_payhook-*)
        cmd=(fuzz/run_atheris.sh -runs=1 "$f") ;;
    *)
        cmd=("$out/${name%%-*}" -runs=1 "$f") ;;
    esac
    if "${cmd[@]}" >/dev/null 2>&1; then
        echo "fixed:  $f"
        fixed=$((fixed + 1))
    else
        echo "FAILS:  $f"
        still=$((still + 1))
    fi
done
echo "$fixed fixed, $still still failing"
[ "$still" -eq 0 ]
