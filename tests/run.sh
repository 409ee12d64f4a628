#!/bin/bash
# run.sh BUILD_DIR - runs every unit test binary and every end-to-end script (VERBOSE=1 lists
# every end-to-end check), then prints
# one summary line "N passed, N failed" (cmocka's own lines are kept above it).
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
failures=()

for t in "$root/$build"/tests/test_*; do
    [ -x "$t" ] || continue
    out=$("$t" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -E '^\[( +PASSED +| +FAILED +|==========)\]|^\[  (FAILED|ERROR) ' || true
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$rc" -ne 0 ]; then
        [ -z "$f" ] && failed=$((failed + 1))
        failures+=("$(basename "$t")")
        printf '%s\n' "$out" | tail -30
    fi
done

# The Parquet readers the end-to-end tests use (DuckDB, hyparquet; pinned in tests/interop).
interop="$root/tests/interop"
if command -v npm >/dev/null 2>&1 && [ ! -d "$interop/node_modules/@duckdb/node-api" ]; then
    npm ci --prefix "$interop" --no-audit --no-fund >/dev/null 2>&1 ||
        echo "run.sh: npm ci in tests/interop failed; t_parquet.sh will report it"
fi

# End-to-end tests: each tests/e2e/t_*.sh prints "ok NAME" / "not ok NAME" lines.
export SLUICE_BIN="$root/$build/sluice"
for t in "$root"/tests/e2e/t_*.sh; do
    [ -f "$t" ] || continue
    out=$(bash "$t" 2>&1)
    rc=$?
    p=$(printf '%s\n' "$out" | grep -c '^ok ')
    f=$(printf '%s\n' "$out" | grep -c '^not ok ')
    if [ -n "${VERBOSE:-}" ]; then
        printf '%s\n' "$out" | grep -E '^(ok|not ok) ' | sed "s|^|[e2e $(basename "$t" .sh)] |"
    else
        printf '%s\n' "$out" | grep -E '^not ok ' | sed "s|^|[e2e $(basename "$t" .sh)] |"
    fi
    printf '[e2e %s] %d passed, %d failed\n' "$(basename "$t" .sh)" "$p" "$f"
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
        [ "$f" -eq 0 ] && failed=$((failed + 1))
        failures+=("$(basename "$t")")
        printf '%s\n' "$out" | grep -v '^ok ' | tail -40
    fi
done

[ ${#failures[@]} -gt 0 ] && echo "failing: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
