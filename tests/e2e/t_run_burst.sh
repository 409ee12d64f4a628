# t_run_burst.sh - `sluice run` under load on real folders with real inotify (issue 4's "done
# means"): two daemons on one folder take a burst of 1,000 files exactly once between them;
# kill -9 of the daemon during a burst, then a restart, leaves every valid row exactly once in
# SQLite and in Parquet and nothing behind; a producer that appends to the final name chunk by
# chunk loses nothing and loads nothing twice.
. "$(dirname "$0")/lib.sh"
interop=$(cd "$(dirname "$0")/../interop" && pwd)
e2e_setup
e2e_daemons

# start_daemon LOG ARGS...: `sluice ARGS... run` in the background (stderr in LOG.out), waits
# until LOG (the JSON log) has one daemon_start more than before.  The pid is in DPID.
starts() { cat "$1" 2>/dev/null | grep -c '"event":"daemon_start"'; }
start_daemon() {
    local log=$1 before
    shift
    before=$(starts "$log")
    "$SLUICE" "$@" run >>"$(basename "$log").out" 2>&1 &
    DPID=$!
    DPIDS+=("$DPID")
    wait_for 20 "[ \$(starts '$log') -gt $before ]"
}
# ledger [DB]: files in the ledger (0 while the database does not exist yet)
ledger() { SQ_DB=${1:-$DB} sq 'select count(*) from sluice_files' 2>/dev/null || echo 0; }
nwork() { find ingest/.work -mindepth 1 2>/dev/null | wc -l | tr -d ' '; }
# the generator's bad-row count from its summary line ("..: R rows, B bad (...)")
bad_of() { printf '%s' "$1" | sed -n 's/.* rows, \([0-9]*\) bad.*/\1/p'; }
have_duck() { [ -d "$interop/node_modules/@duckdb/node-api" ]; }
duck() { node "$interop/count.mjs" "$1" venta_id 2>&1; }
# burst_in: renames every staged file into incoming/ with one mv.  GNU mv (coreutils 9.1)
# lstats each destination right after renaming it and, when sluice has already claimed the file,
# says "cannot stat" and exits 1 although the rename worked; so its exit code is not checked,
# the staging folder being empty is.
burst_in() {
    mv stage/*.csv ingest/incoming/ 2>/dev/null
    [ "$(count_files stage)" = 0 ] || not_ok "burst renamed in" "$(count_files stage) files left in stage/"
}
# the inputs archived in processed/ and failed/ (not the reports), one name a line, sorted
archived_inputs() {
    { find ingest/processed -maxdepth 1 -type f -name '*.csv' -printf '%f\n'
      find ingest/failed -maxdepth 1 -type f -name '*.csv' ! -name '*.rejects.csv' -printf '%f\n'
    } | LC_ALL=C sort
}

# --- two daemons, one folder, a burst of 1,000 files ----------------------------------------
# Both watch the same incoming/ and share .work, processed/ and failed/; each has its own
# database (the lock forbids sharing one), Parquet tree and log.  A file is claimed by an atomic
# rename into .work, so exactly one of them takes it; the other's lstat or rename finds it gone.
fresh
for x in a b; do
    cat > "$x.yaml" <<YAML
paths: {incoming: ingest/incoming, processed: ingest/processed, failed: ingest/failed, work: ingest/.work}
sqlite: {path: out_$x/sluice.db}
parquet: {dir: out_$x/parquet}
log: {path: logs/$x.log}
http: {listen: "127.0.0.1:0"}  # two daemons on one machine: each its own port
YAML
done
DBA=out_a/sluice.db
DBB=out_b/sluice.db
run gen 1000 --rows 20 --bad-ratio 0.02 --seed 21 --out stage
bad=$(bad_of "$OUT")
want=$((20000 - bad))
ls stage | LC_ALL=C sort > names.txt
expect_eq "burst: 1,000 files staged" "$(wc -l < names.txt | tr -d ' ')" 1000
start_daemon logs/a.log -q -c a.yaml
pa=$DPID
start_daemon logs/b.log -q -c b.yaml
pb=$DPID
if kill -0 "$pa" 2>/dev/null && kill -0 "$pb" 2>/dev/null; then ok "burst: both daemons run"; else
    not_ok "burst: both daemons run" "$(cat a.log.out b.log.out)"; fi
t0=$(now_ms)
burst_in
wait_for 90 '[ "$(count_files ingest/incoming)" = 0 ] && [ "$(nwork)" = 0 ] &&
    [ $(( $(ledger $DBA) + $(ledger $DBB) )) -ge 1000 ]'
t1=$(now_ms)
la=$(ledger $DBA)
lb=$(ledger $DBB)
expect_eq "burst: the two ledgers hold 1,000 files between them" "$((la + lb))" 1000
if [ "$la" -gt 0 ] && [ "$lb" -gt 0 ]; then
    ok "burst: both daemons took files (a $la, b $lb, $((t1 - t0)) ms for 1,000 files)"
else
    not_ok "burst: both daemons took files" "a $la, b $lb"
fi
{ SQ_DB=$DBA sq 'select file_name from sluice_files'; SQ_DB=$DBB sq 'select file_name from sluice_files'; } |
    LC_ALL=C sort > ledgered.txt
expect_eq "burst: no file in the ledgers twice" "$(uniq -d ledgered.txt | wc -l | tr -d ' ')" 0
expect_eq "burst: every file in exactly one ledger" "$(md5sum < ledgered.txt)" "$(md5sum < names.txt)"
both="attach '$DBB' as b;"
expect_eq "burst: no content loaded by both" \
    "$(SQ_DB=$DBA sq "$both select count(*) from sluice_files x join b.sluice_files y using (sha256)")" 0
expect_eq "burst: only ok and partial verdicts" \
    "$(SQ_DB=$DBA sq "$both select count(*) from (select status from sluice_files union all
        select status from b.sluice_files) where status not in ('ok','partial')")" 0
expect_eq "burst: rows loaded (ledgers) = the generator's valid rows" \
    "$(SQ_DB=$DBA sq "$both select (select sum(rows_loaded) from sluice_files) + (select sum(rows_loaded) from b.sluice_files)")" "$want"
expect_eq "burst: every valid venta_id exactly once across both tables" \
    "$(SQ_DB=$DBA sq "$both select count(*), count(distinct venta_id) from (select venta_id from
        ventas_near_rt union all select venta_id from b.ventas_near_rt)")" "$want|$want"
expect_eq "burst: every bad row rejected exactly once" \
    "$(SQ_DB=$DBA sq "$both select (select count(*) from ventas_near_rt_rejects) + (select count(*) from b.ventas_near_rt_rejects)")" "$bad"
if have_duck; then
    for x in a b; do
        n=$(SQ_DB=out_$x/sluice.db sq 'select count(*) from ventas_near_rt')
        expect_eq "burst: DuckDB reads daemon $x's Parquet = its SQLite table" "$(duck "$PWD/out_$x/parquet")" "$n|$n"
    done
else
    ok "burst: Parquet counts skipped (no DuckDB: tests/interop/node_modules is absent)"
fi
expect_eq "burst: no Parquet temporaries" "$(find out_a/parquet out_b/parquet -name '*.tmp' | wc -l | tr -d ' ')" 0
expect_eq "burst: the 1,000 inputs in processed/, under their own names" \
    "$(archived_inputs | md5sum)" "$(md5sum < names.txt)"
expect_eq "burst: nothing in failed/ but rejects reports" \
    "$(find ingest/failed -type f ! -name '*.rejects.csv' | wc -l | tr -d ' ')" 0
expect_eq "burst: no error in either log" "$(cat logs/a.log logs/b.log | grep -c '"level":"error"')" 0
kill -TERM "$pa" "$pb"
wait "$pa"
ra=$?
wait "$pb"
rb=$?
expect_eq "burst: both daemons exit 0 on SIGTERM" "$ra/$rb" "0/0"

# --- kill -9 during a burst, restart, kill -9 again, restart --------------------------------
# kill_round SEED K1 K2: 600 files of 100 rows renamed in at once (groups commit up to 128
# files at a time, so the ledger moves in steps: 600 leaves room after two kills); the daemon
# is killed when the ledger shows >= K1 files (plus 0-9 ms), restarted, killed again at >= K2,
# restarted, and left to finish.  Each kill usually lands inside a file (between claim and archive); the number of
# claims the restarts recovered is shown in the check's name.
kill_round() {
    local seed=$1 k1=$2 k2=$3 r="kill -9 ($2, $3)" at bad want recovered
    fresh
    run gen 600 --rows 100 --bad-ratio 0.01 --seed "$seed" --out stage
    bad=$(bad_of "$OUT")
    want=$((60000 - bad))
    ls stage | LC_ALL=C sort > names.txt
    start_daemon logs/sluice.log -q
    burst_in
    at=""
    for k in "$k1" "$k2"; do
        # a whole group of 128 may commit between the first threshold and its kill: the
        # second kill then waits for the ledger to move past where the first one left it
        if [ -n "$at" ] && [ "$k" -le "${at##* }" ]; then
            k=$((${at##* } + 1))
        fi
        wait_for 60 "[ \$(ledger) -ge $k ]"
        sleep "0.00$((RANDOM % 10))" # somewhere inside the next file or two
        kill -KILL "$DPID"
        wait "$DPID" 2>/dev/null
        at="$at $(ledger)"
        start_daemon logs/sluice.log -q
    done
    set -- $at
    if [ "$1" -lt 600 ] && [ "$2" -lt 600 ] && [ "$1" -lt "$2" ]; then
        ok "$r: both kills landed mid-burst (ledger at $1 and $2 of 600 files)"
    else
        not_ok "$r: both kills landed mid-burst" "ledger at $1 and $2 of 600"
    fi
    wait_for 60 '[ "$(ledger)" -ge 600 ] && [ "$(count_files ingest/incoming)" = 0 ] && [ "$(nwork)" = 0 ]'
    recovered=$(grep -c '"event":"recover"' logs/sluice.log || true)
    expect_eq "$r: 600 files in the ledger, each once ($recovered claims recovered)" \
        "$(sq 'select count(*), count(distinct file_name), count(distinct sha256) from sluice_files')" "600|600|600"
    expect_eq "$r: only ok and partial verdicts" "$(sq "select count(*) from sluice_files where status not in ('ok','partial')")" 0
    expect_eq "$r: every valid row exactly once in SQLite" \
        "$(sq 'select count(*), count(distinct venta_id) from ventas_near_rt')" "$want|$want"
    expect_eq "$r: every reject exactly once" "$(sq 'select count(*) from ventas_near_rt_rejects')" "$bad"
    if have_duck; then
        expect_eq "$r: every valid row exactly once in Parquet (DuckDB)" "$(duck "$PWD/outputs/parquet")" "$want|$want"
    else
        ok "$r: Parquet count skipped (no DuckDB: tests/interop/node_modules is absent)"
    fi
    local listed on_disk
    listed=$(sq "select j.value from sluice_files, json_each(parquet_files) j order by 1" | LC_ALL=C sort)
    on_disk=$(cd outputs/parquet && find . -name '*.parquet' | sed 's|^\./||' | LC_ALL=C sort)
    expect_eq "$r: the Parquet files on disk are exactly those the ledger lists" \
        "$(printf '%s\n' "$listed" | md5sum)" "$(printf '%s\n' "$on_disk" | md5sum)"
    expect_eq "$r: no Parquet temporaries" "$(find outputs/parquet -name '*.tmp' | wc -l | tr -d ' ')" 0
    expect_eq "$r: each input in exactly one of processed/ or failed/, under its own name" \
        "$(archived_inputs | md5sum)" "$(md5sum < names.txt)"
    expect_eq "$r: nothing left in incoming/ or .work" "$(count_files ingest/incoming)/$(nwork)" "0/0"
    kill -TERM "$DPID"
    wait "$DPID"
    expect_eq "$r: the restarted daemon exits 0 on SIGTERM" "$?" 0
}
kill_round 31 20 150
kill_round 32 70 180

# --- a slow writer under the final name, with inotify -------------------------------------
# A producer that opens, appends and closes the final NAME.csv once per chunk is not safe with
# inotify: each close is an IN_CLOSE_WRITE, and sluice takes the file at the first one (polling
# with watch.settle is what protects such producers; see t_run.sh).  The claim renames the file
# away, so the next append creates a NEW file under the same name, holding only that chunk and
# no header: it fails as a header error (its first row is read as the header) and is archived in
# failed/ as NAME.1.csv, NAME.2.csv, ... with an error.json.  Nothing is lost (the chunks are all
# in processed/ or failed/) and nothing is loaded twice.
# Not covered here: a writer that keeps the file open across sluice's claim and writes after
# sluice has read it writes into the claimed file; those rows end up in processed/ unloaded.
fresh
run gen 1 --rows 300 --seed 41 --out stage
src=$(ls stage/*.csv)
start_daemon logs/sluice.log -q
dst=ingest/incoming/slow.csv
head -n 101 "$src" >> "$dst"
wait_for 20 '[ "$(ledger)" = 1 ]'
sed -n '102,201p' "$src" >> "$dst"
wait_for 20 '[ "$(ledger)" = 2 ]'
sed -n '202,$p' "$src" >> "$dst"
wait_for 20 '[ "$(ledger)" = 3 ] && [ "$(count_files ingest/incoming)" = 0 ] && [ "$(nwork)" = 0 ]'
expect_eq "slow writer: three ledger rows: the first chunk ok, two header errors" \
    "$(sq "select group_concat(file_name||':'||status||':'||rows_loaded||':'||coalesce(error_code,''), ' ') from (select * from sluice_files order by id)")" \
    "slow.csv:ok:100: slow.csv:failed:0:header_error slow.csv:failed:0:header_error"
expect_eq "slow writer: the first chunk's rows loaded once" "$(sq 'select count(*), count(distinct venta_id) from ventas_near_rt')" "100|100"
expect_eq "slow writer: the loaded rows are the first chunk's" \
    "$(sq 'select venta_id from ventas_near_rt order by 1' | md5sum)" "$(sed -n '2,101p' "$src" | cut -d, -f1 | sort -n | md5sum)"
expect_eq "slow writer: the later chunks are in failed/ as slow.csv and slow.1.csv" \
    "$(sq "select group_concat(archived_as, ' ') from (select archived_as from sluice_files where status = 'failed' order by id)")" \
    "ingest/failed/slow.csv ingest/failed/slow.1.csv"
expect_match "slow writer: error.json says the header lacks venta_id" "$(cat ingest/failed/slow.1.csv.error.json)" "venta_id"
expect_eq "slow writer: nothing lost: processed + failed = the producer's bytes" \
    "$(cat ingest/processed/slow.csv ingest/failed/slow.csv ingest/failed/slow.1.csv | md5sum)" "$(md5sum < "$src")"

# The same producer without pauses (30 chunks of 10 rows back to back): how the chunks split
# into files depends on timing, but no row is loaded twice and every line lands in one archive.
rm -rf stage
run gen 1 --rows 300 --seed 42 --out stage
src=$(ls stage/*.csv)
before=$(ledger)
for i in $(seq 0 29); do
    if [ "$i" = 0 ]; then head -n 11 "$src"; else sed -n "$((i * 10 + 2)),$((i * 10 + 11))p" "$src"; fi >> ingest/incoming/fast.csv
done
wait_for 30 '[ "$(count_files ingest/incoming)" = 0 ] && [ "$(nwork)" = 0 ] && [ "$(ledger)" -gt "$before" ]'
sleep 0.2 # the last close's event, if its file was claimed by an earlier one
wait_for 10 '[ "$(count_files ingest/incoming)" = 0 ] && [ "$(nwork)" = 0 ]'
n=$(($(ledger) - before))
expect_eq "fast chunks: no row loaded twice ($n files)" "$(sq 'select count(*) - count(distinct venta_id) from ventas_near_rt')" 0
expect_eq "fast chunks: loaded rows = the ledger's" \
    "$(sq 'select count(*) from ventas_near_rt')" "$(sq 'select sum(rows_loaded) from sluice_files')"
got=$(find ingest/processed ingest/failed -maxdepth 1 -type f -name 'fast*.csv' ! -name '*.rejects.csv' -exec cat {} + | LC_ALL=C sort | md5sum)
expect_eq "fast chunks: every line in exactly one archived file" "$got" "$(LC_ALL=C sort "$src" | md5sum)"
kill -TERM "$DPID"
wait "$DPID"
expect_eq "slow writer: daemon exits 0" "$?" 0

e2e_done
