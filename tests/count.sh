# Counting checks in the shell test scripts (tests/nginx/*.sh,
# tests/lua/rock.sh).  Set count_label, source this from the repo top,
# then call `ok` or `bad "what failed"` once per check and `finish` at the
# end: it prints "LABEL: N passed, N failed" and the plain closing line,
# and exits non-zero unless every check passed (and there was one).
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() {
    echo "$count_label: $passed passed, $failed failed"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
    exit $?
}
