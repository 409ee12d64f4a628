# t_group.sh - many files at once: worker threads prepare files while the committing thread
# loads them several per durable transaction (group commit).  A group holding ok, partial,
# failed, duplicate and same-content files ends exactly as the files processed one by one
# (workers: 1); watch.patterns chooses the files taken; a stop signal during a big file
# abandons it cleanly within a bounded time.
. "$(dirname "$0")/lib.sh"
interop=$(cd "$(dirname "$0")/../interop" && pwd)
e2e_setup
e2e_daemons

have_duck() { [ -d "$interop/node_modules/@duckdb/node-api" ]; }
# state: what must be identical however the files were grouped
state() {
    sq "select status, count(*), sum(rows_total), sum(rows_loaded), sum(rows_rejected)
        from sluice_files group by status order by status;
        select count(*), sum(venta_id), round(sum(total), 2) from ventas_near_rt;
        select count(*) from ventas_near_rt_rejects;"
}
leftovers() {
    { find ingest/.work -mindepth 1; find outputs/parquet -name '*.tmp'; find ingest/incoming -type f; } 2>/dev/null | wc -l | tr -d ' '
}

# A mixed delivery: 40 clean files, 3 with some bad rows, 1 over the reject ratio, 1 with a
# header that is not the contract's, 1 same content as another under a new name.
mkdir -p "$E2E_DIR/mixed"
(
    cd "$E2E_DIR/mixed" || exit 1
    "$SLUICE" -q gen 40 --rows 50 --seed 11 --out in >/dev/null
    "$SLUICE" -q gen 3 --rows 50 --bad-ratio 0.1 --seed 12 --out in >/dev/null
    "$SLUICE" -q gen 1 --rows 50 --bad-ratio 0.6 --seed 13 --out in >/dev/null
    printf 'a,b,c\n1,2,3\n' > in/zz_wrong_header.csv
    cp "in/$(ls in | head -1)" in/zz_same_content.csv
)
stage_mixed() { mkdir -p ingest/incoming && cp -p "$E2E_DIR"/mixed/in/* ingest/incoming/; }
inputs() { find ingest/processed ingest/failed -maxdepth 1 -type f -name '*.csv' ! -name '*.rejects.csv' | wc -l | tr -d ' '; }

for w in 1 2 4; do
    fresh
    printf 'workers: %s\nlog: {level: debug}\n' "$w" > sluice.yaml
    stage_mixed
    run once
    expect_eq "workers $w: once exits 1 (a file failed)" "$RC" 1
    expect_eq "workers $w: nothing left behind" "$(leftovers)" 0
    expect_eq "workers $w: every input archived" "$(inputs)" 46
    expect_eq "workers $w: ledger ok/partial/failed/duplicate" \
        "$(sq "select group_concat(status || '=' || n, ' ') from (select status, count(*) n from sluice_files group by 1 order by 1)")" \
        "duplicate=1 failed=2 ok=40 partial=3"
    expect_eq "workers $w: table rows = ledger rows_loaded" \
        "$(sq 'select count(*) from ventas_near_rt')" "$(sq 'select sum(rows_loaded) from sluice_files')"
    expect_eq "workers $w: every row carries its own file's id" \
        "$(sq 'select count(*) from ventas_near_rt v join sluice_files f on f.id = v._sluice_file_id where f.status in ("ok", "partial")')" \
        "$(sq 'select count(*) from ventas_near_rt')"
    eval "state_$w=\"\$(state)\""
    if [ "$w" != 1 ]; then
        expect_eq "workers $w: same end state as one file at a time" "$(state)" "$state_1"
        groups=$(grep '"event":"group_commit"' logs/sluice.log | sed 's/.*"files":\([0-9]*\).*/\1/' | sort -n | tail -1)
        expect_match "workers $w: files shared a durable commit (largest group ${groups:-none})" "${groups:-0}" '^([2-9]|[1-9][0-9]+)$'
    fi
    if have_duck; then
        pq=$(node "$interop/count.mjs" outputs/parquet venta_id 2>&1)
        expect_eq "workers $w: Parquet rows = SQLite rows (DuckDB)" "${pq%%|*}" "$(sq 'select count(*) from ventas_near_rt')"
    fi
done

# Running the same delivery again: every file is a duplicate, nothing new is loaded.
fresh
printf 'workers: 2\n' > sluice.yaml
"$SLUICE" -q gen 30 --rows 20 --seed 21 --out stage >/dev/null
cp stage/*.csv ingest/incoming/ 2>/dev/null || { mkdir -p ingest/incoming && cp stage/*.csv ingest/incoming/; }
run once
first=$(sq 'select count(*) from ventas_near_rt')
cp stage/*.csv ingest/incoming/
run once
expect_eq "redelivery: exit 0" "$RC" 0
expect_eq "redelivery: 30 duplicates" "$(sq "select count(*) from sluice_files where status = 'duplicate'")" 30
expect_eq "redelivery: no row loaded twice" "$(sq 'select count(*) from ventas_near_rt')" "$first"

# watch.patterns: only the configured names are taken, by once and by run.
fresh
printf 'watch:\n  patterns: ["ventas_*.txt", "*.TSV.csv"]\n  rescan: 1h\n' > sluice.yaml
"$SLUICE" -q gen 3 --rows 5 --seed 31 --out stage >/dev/null
set -- stage/*.csv
mkdir -p ingest/incoming
cp "$1" ingest/incoming/ventas_a.txt
cp "$2" ingest/incoming/plain.csv
cp "$3" ingest/incoming/other.txt
run once
expect_eq "patterns: once takes only ventas_*.txt" "$(sq 'select group_concat(file_name) from sluice_files')" "ventas_a.txt"
expect_eq "patterns: the others stay in incoming" "$(ls ingest/incoming | sort | tr '\n' ' ')" "other.txt plain.csv "
start_daemon
"$SLUICE" -q gen 2 --rows 5 --seed 32 --out stage2 >/dev/null
set -- stage2/*.csv
cp "$1" ingest/ventas_b.txt.part && mv ingest/ventas_b.txt.part ingest/incoming/ventas_b.txt
cp "$2" ingest/x.csv && mv ingest/x.csv ingest/incoming/x.tsv.csv
wait_for 10 "[ \$(sq 'select count(*) from sluice_files') -ge 3 ]"
sleep 0.3
stop_daemon
expect_eq "patterns: run takes matching names (any case)" \
    "$(sq 'select group_concat(file_name, " ") from (select file_name from sluice_files order by 1)')" \
    "ventas_a.txt ventas_b.txt x.tsv.csv"

# A stop signal while a big file loads: the daemon exits 0 within a bounded time; the file is
# either wholly loaded or wholly back in incoming/ (no rows, no ledger row, no temporaries),
# and the next run loads it exactly once.
fresh
printf 'workers: 2\n' > sluice.yaml
"$SLUICE" -q gen 1 --rows 600000 --seed 41 --out stage >/dev/null
start_daemon
mv stage/*.csv ingest/incoming/
wait_for 10 "[ -n \"\$(ls -A ingest/.work 2>/dev/null)\" ]"
t0=$(now_ms)
stop_daemon TERM
elapsed=$(( $(now_ms) - t0 ))
expect_eq "stop during a big file: exit 0" "$DRC" 0
if [ "$elapsed" -lt 2000 ]; then ok "stop during a big file: exited in ${elapsed} ms"; else not_ok "stop during a big file: bounded" "took ${elapsed} ms"; fi
loaded=$(sq 'select count(*) from sluice_files' 2>/dev/null || echo 0)
if [ "$loaded" = 0 ]; then
    expect_eq "abandoned: the file is back in incoming" "$(count_files ingest/incoming '*.csv')" 1
    expect_eq "abandoned: no rows" "$(sq 'select count(*) from ventas_near_rt' 2>/dev/null || echo 0)" 0
    expect_match "abandoned: logged as canceled" "$(cat logs/sluice.log)" '"error_class":"transient"'
else
    ok "abandoned: finished before the signal (load too fast to interrupt here)"
fi
expect_eq "after stop: no claim, no Parquet temporary" \
    "$( { find ingest/.work -mindepth 1; find outputs/parquet -name '*.tmp'; } 2>/dev/null | wc -l | tr -d ' ')" 0
run once
expect_eq "after stop: the next run loads it exactly once" \
    "$(sq "select count(*), sum(rows_loaded) from sluice_files where status = 'ok'")|$(sq 'select count(*) from ventas_near_rt')" \
    "1|600000|600000"

e2e_done
