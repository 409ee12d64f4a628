# shellcheck shell=bash
# bench/sections/scale.sh - sourced by bench/run.sh after load.sh and parquet.sh: linearity and
# peak memory of `sluice once` (default config: SQLite + Parquet, durable).
# Linearity: rows/s on files of 1K, 100K, 1M and 10M rows (the sizes up to ROWS, plus 10M unless
# BENCH_SKIP_10M=1); the ROWS-row figure is load.sh's median, the other small sizes a median of
# RUNS (after a warm-up), 10M a single run, which is also the memory run.
# Memory: /usr/bin/time's %M of that 10M run, beside the ROWS-row figures of sluice and its peers
# measured in the sections before.

lin_sizes=() lin_s=()
for n in 1000 100000 1000000; do
    [ "$n" -le "$ROWS" ] || continue
    if [ "$n" -eq "$ROWS" ]; then
        t=$e2e_s
    else
        f=$(gen_csv "$n" "$work/data$n")
        ts=()
        for i in $(seq 0 "$RUNS"); do
            x=$(run_sluice "$f" "$n")
            if [ "$i" -gt 0 ]; then ts+=("$x"); fi
        done
        t=$(med "${ts[@]}")
        rm -rf "$work/data$n"
    fi
    lin_sizes+=("$n") lin_s+=("$t")
done
big=10000000
big_kb=""
if [ "$BENCH_SKIP_10M" = 1 ]; then
    echo
    echo "10,000,000-row run skipped (BENCH_SKIP_10M=1)"
else
    f=$(gen_csv "$big" "$work/data$big")
    t=$(RSS_FILE="$work/big.rss" run_sluice "$f" "$big")
    big_kb=$(cat "$work/big.rss")
    lin_sizes+=("$big") lin_s+=("$t")
    rm -rf "$work/data$big" ingest outputs logs
fi

printf '\n%-50s %11s %9s %12s\n' "throughput by file size (sluice once, SQLite + Parquet)" "rows" "seconds" "rows/s"
lin_json="" min="" max="" big_sizes=0
for k in "${!lin_sizes[@]}"; do
    n=${lin_sizes[$k]} t=${lin_s[$k]}
    r=$(calc "$n / $t")
    how="median of $RUNS"
    if [ "$n" -eq "$big" ]; then how="one run, also the memory run"; fi
    printf '%-50s %11s %9.3f %12.0f\n' "  sluice once, $how" "$n" "$t" "$r"
    lin_json="$lin_json${lin_json:+, }{\"rows\": $n, \"seconds\": $t, \"rows_per_s\": $r}"
    if [ "$n" -ge 100000 ]; then
        big_sizes=$((big_sizes + 1))
        min=$(calc "${min:-$r} < $r ? ${min:-$r} : $r")
        max=$(calc "${max:-$r} > $r ? ${max:-$r} : $r")
    fi
done
json_put scale linearity "[$lin_json]"
if [ "$big_sizes" -ge 2 ]; then
    spread=$(calc "($max / $min - 1) * 100")
    echo "spread from 100K rows up: fastest rows/s / slowest - 1 = $(printf '%.1f' "$spread") %"
    json_put scale linearity_spread_pct "$spread"
    target linearity "$spread" "<=" 20 "rows/s from 100K rows up within 20% of each other (percent)"
else
    echo "linearity target not checked: fewer than two sizes of 100K rows or more (ROWS=$ROWS, BENCH_SKIP_10M=$BENCH_SKIP_10M)"
fi

# Node + DuckDB at rest, to read DuckDB's figures by (they are the whole node process's)
node_kb=""
if have_duckdb; then
    node_kb=$(cd "$root/tests/interop" && /usr/bin/time -f '%M' node -e \
        "import('@duckdb/node-api').then(async (m) => { const db = await m.DuckDBInstance.create(':memory:'); await (await db.connect()).run('SELECT 1'); })" 2>&1 >/dev/null | tail -1)
fi
mrow() { # mrow LABEL ROWS KIB
    printf '%-50s %11s %9s MiB\n' "$1" "$2" "$(mib "${3:-}")"
}
printf '\n%-50s %11s %13s\n' "peak RSS (/usr/bin/time %M)" "rows" "peak"
mrow "sluice once, SQLite + Parquet" "$ROWS" "$rss_kb"
[ -n "$big_kb" ] && mrow "sluice once, SQLite + Parquet" "$big" "$big_kb"
[ -n "${pq_rss:-}" ] && mrow "sluice once, Parquet only" "$ROWS" "$pq_rss"
[ -n "${duckt_kb:-}" ] && mrow "DuckDB read_csv -> table (node process)" "$ROWS" "$duckt_kb"
[ -n "${duckc_rss:-}" ] && mrow "DuckDB COPY -> Parquet (node process)" "$ROWS" "$duckc_rss"
[ -n "$node_kb" ] && mrow "  Node + DuckDB at rest (part of the two above)" - "$node_kb"
if [ -n "${seed_kb:-}" ]; then
    mrow "seed pipeline (pandas, SQLite only)" "$ROWS" "$seed_kb"
else
    echo "seed pipeline: skipped"
fi
echo
target rss_rows "$(calc "$rss_kb / 1024")" "<=" 64 "sluice peak RSS at $ROWS rows (MiB)"
if [ -n "$big_kb" ]; then
    target rss_10m "$(calc "$big_kb / 1024")" "<=" 64 "sluice peak RSS at $big rows (MiB)"
fi
json_put scale rows "$ROWS"
json_put scale sluice_peak_rss_kb "$rss_kb"
[ -n "$big_kb" ] && json_put scale sluice_10m_peak_rss_kb "$big_kb"
[ -n "${pq_rss:-}" ] && json_put scale sluice_parquet_only_peak_rss_kb "$pq_rss"
[ -n "${duckt_kb:-}" ] && json_put scale duckdb_table_peak_rss_kb "$duckt_kb"
[ -n "${duckc_rss:-}" ] && json_put scale duckdb_copy_peak_rss_kb "$duckc_rss"
[ -n "$node_kb" ] && json_put scale node_duckdb_idle_rss_kb "$node_kb"
[ -n "${seed_kb:-}" ] && json_put scale seed_peak_rss_kb "$seed_kb"
json_write scale scale.json
