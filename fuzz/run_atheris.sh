#!/usr/bin/env bash
# The Python binding under atheris for a bounded time.
#
#   fuzz/run_atheris.sh [libFuzzer flags...] [inputs...]
#                                     default -max_total_time=30
#
# The extension is built from this tree into build/fuzz/atheris/lib (the
# installed payhook is not used) and fuzz/atheris_payhook.py runs against
# it, growing build/fuzz/atheris/corpus; findings go to
# build/fuzz/atheris/crashes/.  Where clang and atheris's
# asan_with_fuzzer.so are at hand the extension is built with clang,
# AddressSanitizer and libFuzzer's coverage (-fsanitize=address,
# fuzzer-no-link) and that library is preloaded, so the fuzzer also sees
# the C code and ASan checks it; ATHERIS_NATIVE=0 builds it plainly (only
# the Python layer is then instrumented), ATHERIS_NATIVE=1 insists on the
# native build.  If atheris is missing and does not install, the script
# says so and exits 0.
set -u
cd "$(dirname "$0")/.."
out=build/fuzz/atheris

if ! python3 -c 'import atheris' 2>/dev/null; then
    echo "run_atheris: pip install atheris"
    python3 -m pip install -q --disable-pip-version-check atheris \
        >/dev/null 2>&1 || true
fi
if ! python3 -c 'import atheris' 2>/dev/null; then
    echo "run_atheris: atheris does not install here (it builds against" \
        "clang's libFuzzer); skipped"
    exit 0
fi

rm -rf "$out/lib" "$out/tmp"
mkdir -p "$out/lib" "$out/corpus" "$out/crashes"
cp -r bindings/python/payhook "$out/lib/"
rm -f "$out"/lib/payhook/_payhook*.so
preload=
native=${ATHERIS_NATIVE:-auto}
asan_so=$(python3 -c 'import atheris, os
print(os.path.join(atheris.path(), "asan_with_fuzzer.so"))')
if [ "$native" = auto ]; then
    native=0
    command -v clang >/dev/null && [ -f "$asan_so" ] && native=1
fi
if [ "$native" = 1 ]; then
    san="-fsanitize=address,fuzzer-no-link -fno-omit-frame-pointer -g -O1"
    CC=clang LDSHARED="clang -shared" CFLAGS="$san" \
        LDFLAGS="-fsanitize=address" \
        python3 setup.py -q build_ext -b "$out/lib" -t "$out/tmp" \
        >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
    preload=$asan_so
    echo "run_atheris: extension built with ASan and coverage"
else
    python3 setup.py -q build_ext -b "$out/lib" -t "$out/tmp" \
        >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
    echo "run_atheris: extension built plainly (Python coverage only)"
fi

args=("$@")
case " $* " in
*" -max_total_time="* | *" -runs="*) ;;
*) args+=(-max_total_time=30) ;;
esac
# Files or folders given: replay or fuzz those; otherwise the corpus.
paths=0
for a in "$@"; do
    case $a in -*) ;; *) paths=1 ;; esac
done
[ "$paths" = 1 ] || args+=("$out/corpus")

# Leak checking is off: the interpreter itself keeps memory at exit.
PYTHONPATH=$(pwd)/$out/lib LD_PRELOAD=$preload \
    ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
    python3 fuzz/atheris_payhook.py -artifact_prefix="$out/crashes/" \
    -print_final_stats=1 "${args[@]}" 2>&1 |
    tee "$out/run.log" | grep -E -v '^#[0-9]+ +(NEW|REDUCE|pulse)'
rc=${PIPESTATUS[0]}
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/run.log")
if [ "$rc" -eq 0 ]; then
    echo "atheris_payhook: ${execs:-0} executions, nothing found"
else
    echo "atheris_payhook: FAILED (exit $rc) after ${execs:-?} executions;" \
        "input in $out/crashes/"
fi
exit "$rc"
