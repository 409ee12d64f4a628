#!/bin/bash
# bench/run.sh - `make bench`: sluice beside its peers, same file, same run, on 2 cores.
#
# One generator (`sluice gen`, seed 1) makes a seed-like ventas file; each figure is the median
# of RUNS rounds (after a warm-up round), every peer run in the same rounds on the same file.
# Sections (bench/sections/*.sh, helpers in bench/lib.sh), each printing a table and its
# "target: ...: met|MISSED" lines:
#   load.sh     end to end, CSV -> validate -> derive -> SQLite (+ Parquet), durable, beside
#               the SQLite ceiling (bench/ceiling.c), sqlite3 .import --csv, DuckDB read_csv ->
#               a table in a database file, and the seed's pandas pipeline
#               (bench/seed_pipeline.py)                                  -> bench/out/results.json
#   parquet.sh  CSV -> Parquet only, beside DuckDB's COPY ... (FORMAT PARQUET) -> parquet.json
#   scale.sh    rows/s at 1K, 100K, 1M, 10M rows, and peak RSS (10M rows; the peers at ROWS)
#                                                                          -> scale.json
#   daemon.sh   `sluice run` latency and a 10,000-file burst               -> daemon.json
# Every figure and target also goes to bench/out/bench.json.
#
# Environment:
#   ROWS=1000000      rows of the main file (the 1M-row figures)
#   RUNS=3            counted rounds per figure (plus one warm-up round)
#   SEED_RUNS=$RUNS   rounds that also run the (slow) seed pipeline, at most RUNS
#   BENCH_SKIP_SEED=1 leave out the seed pipeline
#   BENCH_SKIP_10M=1  leave out the 10,000,000-row memory and linearity run (~800 MB of CSV)
#   BENCH_SKIP_RUN=1  leave out the `sluice run` latency and burst section
#   BENCH_ONLY=LIST   run only these sections (comma-separated: load,parquet,scale,daemon);
#                     bench.json then holds only their figures
#   VERBOSE=1         print every round's times on stderr
#   BENCH_TMP=DIR     where the bench's files go (default bench/out/, beside the results).
#                     Not /tmp by default: the test suite creates and deletes many thousands
#                     of files there, and on ext4 without a journal every file created in a
#                     block group with freshly freed inodes then walks past them (up to 5
#                     minutes): creating an empty file in /tmp took 125-500 us right after a
#                     test run here, 18-24 us elsewhere, and the daemon's figures with it.
# Needs: sqlite3, /usr/bin/time, cc + libsqlite3-dev, node + npm (DuckDB from npm, pinned in
# tests/interop), and Debian's python3-pandas for the seed (bench/deps.sh installs it).
# Quick check: ROWS=100000 RUNS=1 BENCH_SKIP_RUN=1 BENCH_SKIP_10M=1 bench/run.sh
set -euo pipefail
shopt -s inherit_errexit
root=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
SEED_RUNS=${SEED_RUNS:-$RUNS}
BENCH_SKIP_SEED=${BENCH_SKIP_SEED:-0}
BENCH_SKIP_10M=${BENCH_SKIP_10M:-0}
BENCH_SKIP_RUN=${BENCH_SKIP_RUN:-0}
BENCH_ONLY=${BENCH_ONLY:-load,parquet,scale,daemon}
want() { case ",$BENCH_ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
out="$root/bench/out"
mkdir -p "$out" "${BENCH_TMP:-$out}"
work=$(mktemp -d "${BENCH_TMP:-$out}/work.XXXXXX")
cd "$work"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
trap cleanup EXIT

csv=$(gen_csv "$ROWS" "$work/data")
bytes=$(stat -c %s "$csv")
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

if want load; then
    # shellcheck source=bench/sections/load.sh
    . "$root/bench/sections/load.sh"
fi
if want parquet; then
    # shellcheck source=bench/sections/parquet.sh
    . "$root/bench/sections/parquet.sh"
fi
if want scale; then
    # shellcheck source=bench/sections/scale.sh
    . "$root/bench/sections/scale.sh"
fi
if ! want daemon; then
    :
elif [ "$BENCH_SKIP_RUN" = 1 ]; then
    echo
    echo "sluice run latency and burst skipped (BENCH_SKIP_RUN=1)"
else
    # shellcheck source=bench/sections/daemon.sh
    . "$root/bench/sections/daemon.sh"
fi

# bench/out/bench.json: every section's figures and every target
{
    printf '{"started": "%s", "rows": %s, "bytes": %s, "runs": %s, "cores": %s,\n' \
        "$started" "$ROWS" "$bytes" "$RUNS" "$(nproc)"
    printf ' "skip": {"seed": %s, "10m": %s, "run": %s},\n' \
        "$([ "$BENCH_SKIP_SEED" = 1 ] && echo true || echo false)" \
        "$([ "$BENCH_SKIP_10M" = 1 ] && echo true || echo false)" \
        "$([ "$BENCH_SKIP_RUN" = 1 ] && echo true || echo false)"
    for s in load parquet scale daemon; do
        printf ' "%s": %s,\n' "$s" "$(json_obj "$s")"
    done
    printf ' "targets": %s}\n' "$(json_obj targets)"
} > "$out/bench.json"
echo
echo "targets: $(grep -c '"met": true' "$work/json/targets" || true) met, $(grep -c '"met": false' "$work/json/targets" || true) MISSED"
echo "results: bench/out/bench.json"
