#!/bin/bash
# run.sh BUILD_DIR SECONDS TARGET... - runs each libFuzzer harness BUILD_DIR/fuzz/fuzz_TARGET
# for SECONDS on a working corpus BUILD_DIR/corpus/TARGET seeded from fuzz/corpus/TARGET
# (the seeds in the repo are only read), with fuzz/TARGET.dict when present.  Crashes land in
# BUILD_DIR/artifacts/.  Prints one summary line per target; exits 1 if any target crashed.
set -u
build=$1
secs=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
mkdir -p "$build/artifacts" "$build/logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# leaks inside dependencies that sluice cannot fix (each one explained in the file)
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/fuzz/lsan.supp:print_suppressions=0}
bad=0
for t in "$@"; do
    bin="$build/fuzz/fuzz_$t"
    [ -x "$bin" ] || { echo "fuzz $t: no harness $bin"; bad=1; continue; }
    mkdir -p "$build/corpus/$t"
    dict=()
    [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
    log="$build/logs/$t.log"
    "$bin" "$build/corpus/$t" "fuzz/corpus/$t" "${dict[@]}" -max_total_time="$secs" \
        -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$t-" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        echo "fuzz $t: ok, ${execs:-?} execs in ${secs}s, ${cov:-no coverage line}"
    else
        echo "fuzz $t: FAILED (exit $rc), see $log and $build/artifacts/$t-*"
        grep -E 'ERROR|SUMMARY|check failed' "$log" | head -5
        bad=1
    fi
done
exit "$bad"
