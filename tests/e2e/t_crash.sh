# t_crash.sh - real crashes: kill -9 during `sluice once` at several moments, then run again;
# every valid row must be in SQLite exactly once and no file lost or left behind.
. "$(dirname "$0")/lib.sh"
interop=$(cd "$(dirname "$0")/../interop" && pwd)
e2e_setup

fresh
run gen 6 --rows 20000 --bad-ratio 0.02 --seed 11
bad=$(printf '%s' "$OUT" | sed -n 's/.* 120000 rows, \([0-9]*\) bad.*/\1/p')
want=$((120000 - bad))
for delay in 0.05 0.15 0.3 0.5; do
    "$SLUICE" -q once >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
done
run -q once
expect_eq "after kills: once exits 0" "$RC" 0
expect_eq "after kills: every valid row exactly once" "$(sq 'select count(*), count(distinct venta_id) from ventas_near_rt')" "$want|$want"
expect_eq "after kills: every reject exactly once" "$(sq 'select count(*) from ventas_near_rt_rejects')" "$bad"
expect_eq "after kills: one loaded ledger row per file" "$(sq "select count(*) from sluice_files where status in ('ok','partial')")" 6
expect_eq "after kills: all inputs archived" "$(count_files ingest/processed '*.csv')" 6
expect_eq "after kills: nothing left in incoming" "$(count_files ingest/incoming)" 0
expect_eq "after kills: no claim leftovers" "$(find ingest/.work -mindepth 1 | wc -l | tr -d ' ')" 0
expect_eq "after kills: one rejects.csv per file" "$(count_files ingest/failed '*.rejects.csv')" 6
expect_eq "after kills: no Parquet temporaries" "$(find outputs/parquet -name '*.tmp' | wc -l | tr -d ' ')" 0
listed=$(sq "select j.value from sluice_files, json_each(parquet_files) j where status in ('ok','partial') order by 1")
on_disk=$(cd outputs/parquet && find . -name '*.parquet' | sed 's|^\./||' | LC_ALL=C sort)
expect_eq "after kills: the Parquet files on disk are exactly those the ledger lists" \
    "$(printf '%s\n' "$listed" | LC_ALL=C sort | md5sum)" "$(printf '%s\n' "$on_disk" | md5sum)"
if [ -d "$interop/node_modules/@duckdb/node-api" ]; then
    expect_eq "after kills: DuckDB reads every valid row exactly once from Parquet" \
        "$(node "$interop/count.mjs" "$PWD/outputs/parquet" venta_id 2>&1)" "$want|$want"
fi
expect_match "after kills: some Parquet files" "$(printf '%s' "$on_disk" | wc -l)" '^[1-9]'

# --- two processes on the same folders at once: every file exactly once ----------------
fresh
run gen 40 --rows 500 --bad-ratio 0.02 --seed 12
bad=$(printf '%s' "$OUT" | sed -n 's/.* 20000 rows, \([0-9]*\) bad.*/\1/p')
"$SLUICE" -q once >/dev/null 2>&1 &
p1=$!
"$SLUICE" -q once >/dev/null 2>&1 &
p2=$!
wait "$p1"
r1=$?
wait "$p2"
r2=$?
expect_eq "concurrent: both exit 0" "$r1/$r2" "0/0"
expect_eq "concurrent: rows exactly once" "$(sq 'select count(*), count(distinct venta_id) from ventas_near_rt')" "$((20000 - bad))|$((20000 - bad))"
expect_eq "concurrent: one ledger row per file" "$(sq "select count(*), count(distinct sha256) from sluice_files")" "40|40"
expect_eq "concurrent: all archived" "$(count_files ingest/processed '*.csv')" 40

# --- two databases sharing paths.work: a crash of one is recovered by that one only --------
fresh
for x in a b; do
    printf 'sqlite: {path: out_%s/s.db}\nparquet: {dir: out_%s/parquet}\nlog: {path: ""}\n' "$x" "$x" > "$x.yaml"
done
run gen 200 --rows 50 --seed 21
for delay in 0.05 0.1 0.2; do
    "$SLUICE" -q -c a.yaml once >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    "$SLUICE" -q -c b.yaml once >/dev/null 2>&1
done
run -q -c a.yaml once
both=$(sqlite3 out_a/s.db "attach 'out_b/s.db' as b; select count(*) from sluice_files x join b.sluice_files y using (sha256) where x.status in ('ok','partial') and y.status in ('ok','partial')")
expect_eq "shared work: no file loaded into both databases" "$both" 0
expect_eq "shared work: every file loaded once" "$(sqlite3 out_a/s.db "attach 'out_b/s.db' as b; select (select count(*) from sluice_files where status in ('ok','partial')) + (select count(*) from b.sluice_files where status in ('ok','partial'))")" 200
expect_eq "shared work: no Parquet temporaries" "$(find out_a out_b -name '*.tmp' | wc -l | tr -d ' ')" 0
expect_eq "shared work: nothing left claimed" "$(find ingest/.work -mindepth 1 | wc -l | tr -d ' ')" 0

e2e_done
