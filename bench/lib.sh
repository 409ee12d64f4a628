# shellcheck shell=bash
# bench/lib.sh - helpers for bench/run.sh and bench/sections/*.sh (sourced, not run).
# Expects: $root (the repository), $work (a scratch folder, the current directory), $out.

now() { date +%s.%N; }
# Numbers are printed as valid JSON numbers (bc would print ".5") without exponents: integers
# as integers, others with 4 decimals (6 significant digits below 1).
NUMFMT='function num(v) { return (v == int(v)) ? sprintf("%d", v) : (v >= 1 || v <= -1) ? sprintf("%.4f", v) : sprintf("%.6g", v) }'
calc() { awk "$NUMFMT BEGIN { print num($1) }"; } # calc EXPR: awk arithmetic
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.6f\n", b - a }'; } # seconds since $1
median() { sort -g | awk "$NUMFMT"' {a[NR]=$1} END {print num((NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
med() { printf '%s\n' "$@" | median; } # med X...: the median of the arguments
mib() { [ -n "${1:-}" ] && echo "$(( $1 / 1024 ))" || echo "-"; } # KiB -> MiB, or "-"
note() { if [ -n "${VERBOSE:-}" ]; then echo "$*" >&2; fi; }

# --- JSON: every figure goes through json_put; run.sh writes bench/out/bench.json from them and
# each section writes its own bench/out/<section>.json with json_write.
mkdir -p "$work/json"
json_put() { # json_put SECTION KEY VALUE   (VALUE is raw JSON: a number, or use json_str)
    printf '"%s": %s\n' "$2" "$3" >> "$work/json/$1"
}
json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
json_obj() { # json_obj SECTION: the section's pairs as one JSON object
    [ -s "$work/json/$1" ] || { printf '{}'; return; }
    awk 'BEGIN { printf "{" } { printf "%s%s", (NR > 1 ? ", " : ""), $0 } END { printf "}" }' \
        "$work/json/$1"
}
json_write() { # json_write SECTION FILE
    { json_obj "$1"; echo; } > "$out/$2"
    echo "results: bench/out/$2"
}

# target NAME VALUE OP LIMIT TEXT: prints "target: TEXT: VALUE (OP LIMIT): met|MISSED" and
# records it under "targets" in bench.json.
target() {
    local name=$1 value=$2 op=$3 limit=$4 text=$5 met
    met=$(awk -v v="$value" -v l="$limit" -v op="$op" \
        'BEGIN { print ((op == "<=" && v <= l) || (op == ">=" && v >= l)) ? "true" : "false" }')
    printf 'target: %s: %.2f (%s %s): %s\n' "$text" "$value" "$op" "$limit" \
        "$([ "$met" = true ] && echo met || echo MISSED)"
    json_put targets "$name" "{\"value\": $value, \"op\": \"$op\", \"limit\": $limit, \"met\": $met}"
}

# --- running sluice ------------------------------------------------------------------------------
fresh_input() { # fresh_input CSV: empty outputs, the file alone in the input folder
    rm -rf ingest outputs logs
    mkdir -p ingest/incoming
    cp "$1" ingest/incoming/
}
# run_sluice CSV ROWS [sluice options...]: one `sluice once` on fresh outputs (CSV -> validate ->
# derive -> SQLite and/or Parquet, durable); prints its wall seconds.  With RSS_FILE set, runs
# under /usr/bin/time and leaves the peak RSS (KiB) there.
run_sluice() {
    local file=$1 rows=$2 t0 t loaded
    shift 2
    fresh_input "$file"
    sync
    t0=$(now)
    if [ -n "${RSS_FILE:-}" ]; then
        /usr/bin/time -f '%M' -o "$RSS_FILE" "$root/sluice" -q "$@" once
    else
        "$root/sluice" -q "$@" once
    fi
    t=$(since "$t0")
    loaded=$(sqlite3 outputs/near_rt_analytics.db 'select sum(rows_loaded) from sluice_files')
    [ "$loaded" -eq "$rows" ] || { echo "bench: sluice loaded $loaded of $rows rows" >&2; exit 1; }
    echo "$t"
}
gen_csv() { # gen_csv ROWS DIR: one seed-like file of ROWS rows (seed 1) in DIR; prints its path
    rm -rf "$2"
    "$root/sluice" -q gen 1 --rows "$1" --seed 1 --out "$2" >/dev/null
    ls "$2"/*.csv
}

# The interop folder's npm packages (DuckDB); installs them on first use.  0 when present.
have_duckdb() {
    [ -d "$root/tests/interop/node_modules/@duckdb/node-api" ] ||
        npm ci --prefix "$root/tests/interop" --no-audit --no-fund >/dev/null 2>&1
}
# Debian's python3 with python3-pandas (not a pyenv/venv python that may be first on the PATH).
SEED_PY=/usr/bin/python3
have_pandas() { "$SEED_PY" -c 'import pandas' 2>/dev/null; }

dpid="" # a daemon left running by the daemon section
cleanup() {
    if [ -n "${dpid:-}" ]; then kill -KILL "$dpid" 2>/dev/null || true; fi
    rm -rf "$work"
}
