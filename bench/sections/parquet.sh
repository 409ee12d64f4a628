# shellcheck shell=bash
# bench/sections/parquet.sh - CSV -> Parquet only (SQLite off), sourced by bench/run.sh: sluice
# beside DuckDB's COPY (SELECT ... FROM read_csv) TO ... (FORMAT PARQUET, COMPRESSION ZSTD)
# (tests/interop/bench_duckdb_copy.mjs), interleaved rounds, round 0 a warm-up.

if ! have_duckdb; then
    echo "CSV -> Parquet comparison skipped: npm ci in tests/interop failed (no DuckDB)"
    json_put parquet skipped "$(json_str "npm ci in tests/interop failed (no DuckDB)")"
    return 0
fi
printf 'sqlite: {enabled: false}\nparquet: {partition_by: []}\n' > pq_only.yaml
run_duck_copy() { # prints "SECONDS_9COLS SECONDS_12COLS PEAK_RSS_KIB" (the node process's RSS)
    rm -f duck.*.parquet
    sync
    local r
    r=$(cd "$root/tests/interop" &&
        /usr/bin/time -f '%M' -o "$work/duck.rss" node bench_duckdb_copy.mjs "$csv" "$work/duck")
    echo "$r $(cat "$work/duck.rss")"
}
pq_t=() duck_t=() duck12_t=() duckc_rss_all=()
for i in $(seq 0 "$RUNS"); do
    p=$(run_sluice "$csv" "$ROWS" -c pq_only.yaml)
    r=$(run_duck_copy)
    read -r d d12 drss <<<"$r"
    note "round $i: sluice parquet-only $p s, duckdb $d s, duckdb 12 columns $d12 s"
    if [ "$i" -gt 0 ]; then
        pq_t+=("$p") duck_t+=("$d") duck12_t+=("$d12") duckc_rss_all+=("$drss")
    fi
done
RSS_FILE="$work/pq.rss" run_sluice "$csv" "$ROWS" -c pq_only.yaml >/dev/null
pq_rss=$(cat "$work/pq.rss")
pq_bytes=$(find outputs/parquet -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END {print s}')
duck_bytes=$(stat -c %s duck.9.parquet)
duck12_bytes=$(stat -c %s duck.12.parquet)
pq_s=$(med "${pq_t[@]}")
duckc_s=$(med "${duck_t[@]}")
duckc12_s=$(med "${duck12_t[@]}")
duckc_rss=$(med "${duckc_rss_all[@]}")
printf '\n%-50s %9s %12s %10s\n' "CSV -> Parquet (zstd), median of $RUNS" "seconds" "bytes" "peak RSS"
printf '%-50s %9.3f %12s %6s MiB\n' "sluice once, SQLite off (validated, 12 cols)" "$pq_s" "$pq_bytes" "$(mib "$pq_rss")"
printf '%-50s %9.3f %12s %6s MiB\n' "DuckDB COPY SELECT * FROM read_csv (9 cols)" "$duckc_s" "$duck_bytes" "$(mib "$duckc_rss")"
printf '%-50s %9.3f %12s %10s\n' "DuckDB COPY, same 12 columns as sluice" "$duckc12_s" "$duck12_bytes" "-"
echo "(DuckDB's RSS is its node process's, both COPYs; its seconds exclude Node's start-up)"
echo
target pq_vs_duckdb_time "$(calc "$pq_s / $duckc_s")" "<=" 0.8 "Parquet only: wall time / DuckDB CSV -> Parquet's"
target pq_vs_duckdb_size "$(calc "$pq_bytes / $duck12_bytes")" "<=" 1.2 "Parquet only: file size / DuckDB's (same 12 columns)"
for kv in "rows $ROWS" "sluice_parquet_only_s $pq_s" "duckdb_copy_s $duckc_s" "sluice_bytes $pq_bytes" \
    "duckdb_bytes $duck_bytes" "duckdb_12col_s $duckc12_s" "duckdb_12col_bytes $duck12_bytes" \
    "sluice_peak_rss_kb $pq_rss" "duckdb_copy_peak_rss_kb $duckc_rss" \
    "time_vs_duckdb $(calc "$pq_s / $duckc_s")" "size_vs_duckdb_12col $(calc "$pq_bytes / $duck12_bytes")"; do
    json_put parquet "${kv%% *}" "${kv#* }"
done
json_write parquet parquet.json
