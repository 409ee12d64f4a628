# shellcheck shell=bash
# bench/sections/load.sh - end to end, sourced by bench/run.sh: CSV -> validate -> derive ->
# SQLite (+ Parquet), durable, on the $ROWS-row file $csv, beside its peers on the same file:
#   - the SQLite ceiling (bench/ceiling.c): pre-parsed rows, one prepared INSERT per row, one
#     transaction, sluice's table and PRAGMAs; only open..close is timed
#   - sqlite3 .import --csv into a typed table of the CSV's shape (no validation, no transform)
#   - DuckDB read_csv -> a table in a database file (tests/interop/bench_duckdb_table.mjs)
#   - the seed's pandas pipeline (bench/seed_pipeline.py), in rounds 1..SEED_RUNS only
# Each round runs every one of them once, interleaved, so disk and cache conditions hit all
# alike; round 0 is a warm-up and is not counted.  Figures: medians of the counted rounds.

# shellcheck disable=SC2046 # pkg-config's flags are words
cc -O2 -o "$work/ceiling" "$root/bench/ceiling.c" $(pkg-config --cflags --libs sqlite3)
printf 'parquet: {enabled: false}\n' > sqlite_only.yaml

run_ceiling() {
    rm -f ceiling.db ceiling.db-wal ceiling.db-shm
    sync
    local r t n
    r=$("$work/ceiling" ceiling.db "$csv")
    read -r t n <<<"$r"
    [ "$n" -eq "$ROWS" ] || { echo "bench: ceiling loaded $n of $ROWS rows" >&2; exit 1; }
    echo "$t"
}
run_import() { # sqlite3 .import into a typed table of the same shape: no validation, no transform
    rm -f import.db import.db-wal import.db-shm
    sqlite3 import.db "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; CREATE TABLE v (venta_id INTEGER PRIMARY KEY, cliente_id INTEGER, producto_id INTEGER, cantidad INTEGER, precio_unitario REAL, total REAL, fecha_venta TEXT, metodo_pago TEXT, estado TEXT);" >/dev/null
    sync
    local t0
    t0=$(now)
    sqlite3 import.db ".import --csv --skip 1 $csv v"
    since "$t0"
}
run_duck_table() { # prints "SECONDS_9COLS SECONDS_12COLS PEAK_RSS_KIB" (the node process's RSS)
    rm -f duckt.*
    sync
    local r
    r=$(cd "$root/tests/interop" &&
        /usr/bin/time -f '%M' -o "$work/duckt.rss" node bench_duckdb_table.mjs "$csv" "$work/duckt")
    echo "$r $(cat "$work/duckt.rss")"
}
run_seed() { # prints "SECONDS PEAK_RSS_KIB WALL_SECONDS" (seconds: process_file..move, in Python)
    rm -rf seed
    mkdir -p seed/ingest/incoming
    cp "$csv" seed/ingest/incoming/
    sync
    local r t n t0 wall
    t0=$(now)
    r=$(/usr/bin/time -f '%M' -o "$work/seed.rss" "$SEED_PY" "$root/bench/seed_pipeline.py" seed)
    wall=$(since "$t0")
    read -r t n <<<"$r"
    [ "$n" -eq "$ROWS" ] || { echo "bench: the seed pipeline loaded $n of $ROWS rows" >&2; exit 1; }
    echo "$t $(cat "$work/seed.rss") $wall"
}

duck=0
have_duckdb && duck=1
seed_rounds=0
seed_skip="not run (SEED_RUNS=$SEED_RUNS)"
if [ "$BENCH_SKIP_SEED" = 1 ]; then
    seed_skip="skipped (BENCH_SKIP_SEED=1)"
elif ! have_pandas; then
    seed_skip="skipped: $SEED_PY has no pandas (as root: apt-get install python3-pandas; make bench does it)"
else
    seed_rounds=$(( SEED_RUNS < RUNS ? SEED_RUNS : RUNS ))
fi

ceil_t=() sluice_t=() both_t=() import_t=() duck9_t=() duck12_t=() duck_rss=() seed_t=() seed_rss=() seed_wall=()
for i in $(seq 0 "$RUNS"); do
    c=$(run_ceiling)
    s=$(run_sluice "$csv" "$ROWS" -c sqlite_only.yaml)
    b=$(run_sluice "$csv" "$ROWS")
    m=$(run_import)
    line="round $i: ceiling $c s, sluice $s s, sluice+parquet $b s, import $m s"
    if [ "$duck" = 1 ]; then
        r=$(run_duck_table)
        read -r d9 d12 drss <<<"$r"
        line="$line, duckdb table $d9 s (12 columns $d12 s)"
    fi
    if [ "$i" -gt 0 ] && [ "$i" -le "$seed_rounds" ]; then
        r=$(run_seed)
        read -r p prss pwall <<<"$r"
        seed_t+=("$p") seed_rss+=("$prss") seed_wall+=("$pwall")
        line="$line, seed $p s"
    fi
    note "$line"
    if [ "$i" -gt 0 ]; then
        ceil_t+=("$c") sluice_t+=("$s") both_t+=("$b") import_t+=("$m")
        if [ "$duck" = 1 ]; then duck9_t+=("$d9") duck12_t+=("$d12") duck_rss+=("$drss"); fi
    fi
done

# peak memory of one more end-to-end run (default config: SQLite + Parquet)
RSS_FILE="$work/sluice.rss" run_sluice "$csv" "$ROWS" >/dev/null
rss_kb=$(cat "$work/sluice.rss")

ceil_s=$(med "${ceil_t[@]}")
sqlite_s=$(med "${sluice_t[@]}")
e2e_s=$(med "${both_t[@]}")
import_s=$(med "${import_t[@]}")
rps() { calc "$ROWS / $1"; }
faster() { calc "$1 / $e2e_s"; } # how many times faster sluice end to end is than a peer
row() { # row LABEL SECONDS [PEER]: one table line; PEER adds the speed-up column
    printf '%-50s %9.3f %12.0f %13s\n' "$1" "$2" "$(rps "$2")" \
        "$([ -n "${3:-}" ] && printf '%.2fx' "$(faster "$2")" || echo -)"
}
printf '\n%-50s %9s %12s %13s\n' "end to end ($ROWS rows, $((bytes / 1000000)) MB, median of $RUNS)" \
    "seconds" "rows/s" "speed-up"
row "sluice once, SQLite + Parquet (zstd), durable" "$e2e_s"
row "sluice once, SQLite only, durable" "$sqlite_s"
row "SQLite ceiling (bench/ceiling.c, pre-parsed rows)" "$ceil_s" peer
row "sqlite3 .import --csv (no validation)" "$import_s" peer
if [ "$duck" = 1 ]; then
    duckt9_s=$(med "${duck9_t[@]}")
    duckt12_s=$(med "${duck12_t[@]}")
    duckt_kb=$(med "${duck_rss[@]}")
    row "DuckDB read_csv -> table, file DB (9 cols)" "$duckt9_s" peer
    row "DuckDB read_csv -> table, same 12 cols" "$duckt12_s" peer
else
    echo "DuckDB read_csv -> table skipped: npm ci in tests/interop failed (no DuckDB)"
fi
if [ "$seed_rounds" -gt 0 ]; then
    seed_s=$(med "${seed_t[@]}")
    seed_kb=$(med "${seed_rss[@]}")
    seed_wall_s=$(med "${seed_wall[@]}")
    row "seed pipeline, pandas, SQLite only (median of $seed_rounds)" "$seed_s" peer
    echo "  (seed: bench/seed_pipeline.py under $SEED_PY, pandas $("$SEED_PY" -c 'import pandas; print(pandas.__version__)');" \
        "its Parquet step is left out, no pyarrow on Debian 12;"
    printf '   timed inside Python from md5 to the move, start-up and imports excluded: %.1f s with them)\n' "$seed_wall_s"
else
    echo "seed pipeline $seed_skip"
fi
printf '%-50s %9s MiB\n' "sluice peak RSS (SQLite + Parquet)" "$(mib "$rss_kb")"
echo "speed-up: the peer's seconds / sluice end to end's (SQLite + Parquet); above 1.00x sluice is faster"
echo
target e2e_vs_ceiling "$(calc "$e2e_s / $ceil_s")" "<=" 1.0 "end to end wall time / the SQLite ceiling's"
target e2e_vs_import "$(faster "$import_s")" ">=" 1.6 "end to end times faster than sqlite3 .import"
if [ "$seed_rounds" -gt 0 ]; then
    target e2e_vs_seed "$(faster "$seed_s")" ">=" 8 "end to end times faster than the seed's pipeline"
fi
target sqlite_vs_import "$(calc "$import_s / $sqlite_s")" ">=" 1.5 "(issue 2) sluice once, SQLite only, rows/s / sqlite3 .import's"

# results.json: the keys it always had, then the peers
for kv in "rows $ROWS" "bytes $bytes" "runs $RUNS" "sluice_once_s $sqlite_s" "sluice_once_parquet_s $e2e_s" \
    "sqlite_import_s $import_s" "sluice_rows_per_s $(rps "$sqlite_s")" "sluice_peak_rss_kb $rss_kb" \
    "sqlite_import_rows_per_s $(rps "$import_s")" "ratio_vs_import $(calc "$import_s / $sqlite_s")" \
    "sluice_once_parquet_rows_per_s $(rps "$e2e_s")" "ceiling_s $ceil_s" "ceiling_rows_per_s $(rps "$ceil_s")" \
    "e2e_vs_ceiling_time $(calc "$e2e_s / $ceil_s")" "e2e_faster_than_import $(faster "$import_s")"; do
    json_put load "${kv%% *}" "${kv#* }"
done
if [ "$duck" = 1 ]; then
    json_put load duckdb_table_s "$duckt9_s"
    json_put load duckdb_table_12col_s "$duckt12_s"
    json_put load duckdb_table_peak_rss_kb "$duckt_kb"
    json_put load e2e_faster_than_duckdb_table "$(faster "$duckt9_s")"
fi
if [ "$seed_rounds" -gt 0 ]; then
    json_put load seed_rounds "$seed_rounds"
    json_put load seed_s "$seed_s"
    json_put load seed_process_wall_s "$seed_wall_s"
    json_put load seed_peak_rss_kb "$seed_kb"
    json_put load e2e_faster_than_seed "$(faster "$seed_s")"
    json_put load seed_note "$(json_str "pandas port of the seed notebook, Parquet step left out (no pyarrow on Debian 12); seconds exclude interpreter start-up and imports")"
else
    json_put load seed_skipped "$(json_str "$seed_skip")"
fi
json_write load results.json
