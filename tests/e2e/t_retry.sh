# t_retry.sh - transient failures are retried with exponential backoff, permanent ones are not
# (issue 5), with real faults: another process holding the SQLite write lock, a Parquet folder
# that cannot be created.  Checks the logged schedule against retry.*, the attempt history in
# error.json and the ledger, and that nothing is lost or loaded twice.
. "$(dirname "$0")/lib.sh"
interop=$(cd "$(dirname "$0")/../interop" && pwd)
e2e_setup
e2e_daemons

# hold_lock SECONDS: an sqlite3 process holds the database's write lock that long (background;
# its pid in LOCKPID); returns once the lock is held.
hold_lock() {
    { echo 'BEGIN IMMEDIATE;'; echo "select 'locked';"; sleep "$1"; echo 'COMMIT;'; } |
        sqlite3 "$DB" > lock.out 2>&1 &
    LOCKPID=$!
    wait_for 5 "grep -q locked lock.out"
}
# ms LINE: the JSON log line's ts as milliseconds since the epoch
ms() { local ts; ts=$(printf '%s' "$1" | sed 's/.*"ts":"\([^"]*\)".*/\1/'); echo $(( $(date -d "$ts" +%s%N) / 1000000 )); }
field() { printf '%s' "$2" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

# --- the database locked by another process for 5 s while files arrive (sluice run) ---------
fresh
cat > sluice.yaml <<'EOF'
sqlite: {busy_timeout: 100ms}
retry: {base_delay: 200ms, factor: 2, max_delay: 5s, jitter: none, max_attempts: 10}
EOF
"$SLUICE" -q gen 1 --rows 10 --seed 1 --out ingest/incoming >/dev/null
"$SLUICE" -q once >/dev/null 2>&1 # creates the database
"$SLUICE" -q gen 5 --rows 20 --seed 2 --out stage >/dev/null
start_daemon
hold_lock 5
t0=$(now_ms)
for f in stage/*.csv; do mv "$f" ingest/incoming/; done
wait_for 20 "[ \$(sq 'select count(*) from sluice_files') -ge 6 ]"
wait "$LOCKPID"
sleep 0.2
stop_daemon
expect_eq "locked db: every file loaded once the lock was released" \
    "$(sq "select count(*), sum(rows_loaded) from sluice_files where status = 'ok'")" "6|110"
expect_eq "locked db: rows = ledger" "$(sq 'select count(*) from ventas_near_rt')" 110
expect_eq "locked db: nothing left in incoming or claimed" \
    "$( { find ingest/incoming ingest/.work -mindepth 1; } | wc -l | tr -d ' ')" 0
log=$(cat logs/sluice.log)
expect_match "locked db: retries are logged with their class and code" "$log" \
    '"event":"retry_scheduled".*"error_code":"database_busy","error_class":"transient"'
# the schedule: for one file, delays 200, 400, 800 ... ms (jitter none), and the gap between
# two attempts is at least the delay and at most the delay + busy_timeout + 700 ms
f1=$(grep retry_scheduled logs/sluice.log | head -1 | sed 's/.*"file":"\([^"]*\)".*/\1/')
mapfile -t lines < <(grep retry_scheduled logs/sluice.log | grep -F "\"file\":\"$f1\"")
delays=""
for l in "${lines[@]}"; do delays="$delays $(field delay_ms "$l")"; done
n=${#lines[@]}
if [ "$n" -ge 2 ]; then ok "schedule: $n retries of $f1"; else not_ok "schedule: several retries" "got $n"; fi
want=""; d=200; for _ in $(seq 1 "$n"); do want="$want $d"; d=$((d * 2)); [ $d -gt 5000 ] && d=5000; done
expect_eq "schedule: delays follow base_delay * factor^(n-1)" "$delays" "$want"
bad=""
for i in $(seq 1 $((n - 1))); do
    gap=$(( $(ms "${lines[$i]}") - $(ms "${lines[$((i - 1))]}") ))
    d=$(field delay_ms "${lines[$((i - 1))]}")
    if [ "$gap" -lt "$d" ] || [ "$gap" -gt $((d + 800)) ]; then bad="$bad attempt$i:gap=${gap}ms,delay=${d}ms"; fi
done
expect_eq "schedule: logged attempt times match the delays (tolerance)" "$bad" ""

# --- a permanent failure (the file's own fault) is attempted once, never scheduled again -----
fresh
printf 'retry: {base_delay: 50ms, jitter: none}\n' > sluice.yaml
start_daemon
printf 'a,b\n1,2\n' > stage_bad.csv && mv stage_bad.csv ingest/incoming/zz_bad_header.csv
printf 'venta_id\n1\n' > stage_bad.csv && mv stage_bad.csv ingest/incoming/zz_short.csv
wait_for 10 "[ \$(sq 'select count(*) from sluice_files' 2>/dev/null || echo 0) -ge 2 ]"
sleep 0.4
stop_daemon
expect_eq "permanent error: failed at once" "$(sq "select count(*) from sluice_files where status = 'failed'")" 2
expect_eq "permanent error: never scheduled again" "$(grep -c retry_scheduled logs/sluice.log)" 0
expect_eq "permanent error: one verdict each" "$(grep -c '"event":"file_done"' logs/sluice.log)" 2

# --- retry.max_attempts reached while the database stays locked: failed/ with the history ----
fresh
cat > sluice.yaml <<'EOF'
sqlite: {busy_timeout: 50ms}
retry: {base_delay: 100ms, factor: 2, jitter: none, max_attempts: 3}
EOF
"$SLUICE" -q gen 1 --rows 10 --seed 3 --out ingest/incoming >/dev/null
"$SLUICE" -q once >/dev/null 2>&1
"$SLUICE" -q gen 1 --rows 10 --seed 4 --out stage >/dev/null
name=$(ls stage)
start_daemon
hold_lock 4
mv "stage/$name" ingest/incoming/
wait_for 10 "grep -q retry_exhausted logs/sluice.log"
wait "$LOCKPID"
stop_daemon
expect_eq "exhausted: after 3 attempts" "$(grep retry_exhausted logs/sluice.log | sed -n 's/.*"attempts":\([0-9]*\).*/\1/p')" 3
expect_eq "exhausted: the input is in failed/" "$(ls ingest/failed | grep -c "^$name\$")" 1
ej=$(cat "ingest/failed/$name.error.json" 2>/dev/null)
expect_match "exhausted: error.json has the attempt history" "$ej" '"attempts": \[\{"attempt": 1,.*"attempt": 3,'
expect_match "exhausted: error.json says the ledger could not be written" "$ej" '"ledger": "not recorded'

# --- a transient fault that is not the database (the Parquet folder cannot be created):
#     attempts, then a failed ledger row with the code, class and history -------------------
fresh
cat > sluice.yaml <<'EOF'
retry: {base_delay: 50ms, factor: 2, jitter: full, max_attempts: 3}
EOF
"$SLUICE" -q gen 1 --rows 10 --seed 5 --out ingest/incoming >/dev/null
"$SLUICE" -q once >/dev/null 2>&1
"$SLUICE" -q gen 1 --rows 10 --seed 6 --out stage >/dev/null
name=$(ls stage)
rm -rf outputs/parquet/anio=2026 && touch outputs/parquet/anio=2026 # a file where a folder must go
start_daemon
mv "stage/$name" ingest/incoming/
wait_for 10 "grep -q retry_exhausted logs/sluice.log"
stop_daemon
expect_eq "io fault: failed in the ledger with its code" \
    "$(sq "select status, error_code from sluice_files where file_name = '$name'")" "failed|io_error"
expect_match "io fault: the ledger error says how many attempts" \
    "$(sq "select error from sluice_files where file_name = '$name'")" '^gave up after 3 attempts'
expect_match "io fault: error.json has the history" "$(cat "ingest/failed/$name.error.json")" '"attempts": \[.*"attempt": 3'
expect_eq "io fault: no row loaded" "$(sq "select count(*) from ventas_near_rt v join sluice_files f on f.id = v._sluice_file_id where f.file_name = '$name'")" 0
expect_eq "io fault: no Parquet temporary left" "$(find outputs/parquet -name '*.tmp' | wc -l | tr -d ' ')" 0

# --- sluice once: a locked database is waited out with the same backoff ----------------------
fresh
cat > sluice.yaml <<'EOF'
sqlite: {busy_timeout: 50ms}
retry: {base_delay: 300ms, factor: 2, jitter: equal, max_attempts: 6}
EOF
"$SLUICE" -q gen 1 --rows 10 --seed 7 --out ingest/incoming >/dev/null
"$SLUICE" -q once >/dev/null 2>&1
"$SLUICE" -q gen 3 --rows 10 --seed 8 --out ingest/incoming >/dev/null
hold_lock 1
run once
wait "$LOCKPID"
expect_eq "once + locked db: exit 0" "$RC" 0
expect_match "once + locked db: says it retries" "$OUT" 'transient error; attempt 2 of 6'
expect_eq "once + locked db: all loaded" "$(sq "select count(*) from sluice_files where status = 'ok'")" 4

# --- a failed fsync of a Parquet file (injected: SLUICE_FAULT) is never trusted: the temporary
#     is discarded, the file retried and rewritten; every row once in SQLite and Parquet -----
fresh
printf 'retry: {base_delay: 100ms, jitter: none}\n' > sluice.yaml
"$SLUICE" -q gen 3 --rows 40 --seed 10 --out ingest/incoming >/dev/null
SLUICE_FAULT=pq.fsync:5:2 "$SLUICE" -q once > once.out 2>&1
expect_eq "fsync fault: once ends 0 after retrying" "$?" 0
expect_match "fsync fault: the failure is logged as transient" "$(cat logs/sluice.log)" \
    '"event":"retry_scheduled".*"error_class":"transient","error":"[^"]*fsync failed: Input/output error'
expect_eq "fsync fault: every file loaded once" "$(sq "select count(*), sum(rows_loaded) from sluice_files where status = 'ok'")" "3|120"
expect_eq "fsync fault: no temporary left" "$(find outputs/parquet -name '*.tmp' | wc -l | tr -d ' ')" 0
listed=$(sq "select j.value from sluice_files, json_each(parquet_files) j order by 1")
on_disk=$(cd outputs/parquet && find . -name '*.parquet' | sed 's|^\./||' | LC_ALL=C sort)
expect_eq "fsync fault: the Parquet files are the ledger's, rewritten" "$on_disk" "$listed"
if [ -d "$interop/node_modules/@duckdb/node-api" ]; then
    expect_eq "fsync fault: Parquet rows once (DuckDB)" \
        "$(node "$interop/count.mjs" outputs/parquet venta_id 2>&1)" "120|120"
fi

# --- publishing fails after the commit (injected EIO on one rename): that file keeps its
#     claim and says so, the others of its group are archived, the next start finishes it ----
fresh
printf 'workers: 1\n' > sluice.yaml
"$SLUICE" -q gen 3 --rows 20 --seed 15 --out ingest/incoming >/dev/null
SLUICE_FAULT=pq.publish:5:1 "$SLUICE" once > pub.out 2>&1
expect_eq "publish fault: once exits 1" "$?" 1
expect_match "publish fault: the file says it is committed and will be finished" "$(cat pub.out)" \
    'committed, but cannot publish .*Input/output error; its claim stays in .* and the next start finishes it'
expect_eq "publish fault: all three committed" "$(sq "select count(*) from sluice_files where status = 'ok'")" 3
expect_eq "publish fault: one claim left, the others archived" \
    "$(find ingest/.work -mindepth 1 -maxdepth 1 | wc -l | tr -d ' ') $(count_files ingest/processed '*.csv')" "1 2"
expect_eq "publish fault: nothing back in incoming" "$(count_files ingest/incoming)" 0
"$SLUICE" -q once >/dev/null 2>&1
listed=$(sq "select j.value from sluice_files, json_each(parquet_files) j order by 1")
on_disk=$(cd outputs/parquet && find . -name '*.parquet' | sed 's|^\./||' | LC_ALL=C sort)
expect_eq "publish fault: the next start publishes it" "$on_disk" "$listed"
expect_eq "publish fault: and archives it, once" \
    "$(find ingest/.work -mindepth 1 | wc -l | tr -d ' ') $(count_files ingest/processed '*.csv') $(sq 'select count(*) from sluice_files')" "0 3 3"

# --- the Parquet filesystem fills up (a real 1 MiB tmpfs): the files wait in incoming/, the
#     daemon keeps retrying, and when space is freed every row arrives exactly once ----------
fresh
printf 'retry: {base_delay: 200ms, factor: 1.5, max_delay: 1s, jitter: none, max_attempts: 100}\n' > sluice.yaml
mkdir -p outputs/parquet
if mount -t tmpfs -o size=1m tmpfs outputs/parquet 2>/dev/null; then
    trap 'umount "$E2E_DIR/w/outputs/parquet" 2>/dev/null; for p in "${DPIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; cd /; rm -rf "$E2E_DIR"' EXIT
    head -c 1000000 /dev/zero > outputs/parquet/filler 2>/dev/null
    "$SLUICE" -q gen 4 --rows 2000 --seed 14 --out stage >/dev/null
    start_daemon
    mv stage/*.csv ingest/incoming/
    wait_for 10 "[ \$(grep -c retry_scheduled logs/sluice.log) -ge 4 ]"
    expect_match "disk full: logged as a transient io_error" "$(grep retry_scheduled logs/sluice.log | head -1)" \
        '"error_code":"io_error","error_class":"transient".*No space left on device'
    expect_eq "disk full: the inputs wait in incoming" "$(count_files ingest/incoming '*.csv')" 4
    expect_eq "disk full: nothing committed meanwhile" "$(sq "select count(*) from sluice_files where status != 'failed'")" 0
    rm -f outputs/parquet/filler
    wait_for 15 "[ \$(sq \"select count(*) from sluice_files where status = 'ok'\") -ge 4 ]"
    stop_daemon
    expect_eq "disk freed: every file loaded once" "$(sq "select count(*), sum(rows_loaded) from sluice_files where status = 'ok'")" "4|8000"
    expect_eq "disk freed: rows once in SQLite" "$(sq 'select count(*), count(distinct venta_id) from ventas_near_rt')" "8000|8000"
    expect_eq "disk freed: no temporary left on the full disk" "$(find outputs/parquet -name '*.tmp' | wc -l | tr -d ' ')" 0
    if [ -d "$interop/node_modules/@duckdb/node-api" ]; then
        expect_eq "disk freed: Parquet rows once (DuckDB)" \
            "$(node "$interop/count.mjs" outputs/parquet venta_id 2>&1)" "8000|8000"
    fi
    umount outputs/parquet
else
    ok "disk full: # SKIP cannot mount a tmpfs here (needs root); the injected faults above cover the path"
fi

# --- sluice retry: failed inputs back into incoming/, ledger history kept --------------------
fresh
"$SLUICE" -q gen 1 --rows 40 --bad-ratio 0.5 --seed 9 --out ingest/incoming >/dev/null
name=$(ls ingest/incoming)
run once
expect_eq "retry: the file failed first" "$(sq "select status from sluice_files")" failed
run retry nope.csv
expect_eq "retry: an unknown name is exit 1" "$RC" 1
expect_match "retry: and says so" "$OUT" 'nope.csv: no such failed input'
run retry
expect_eq "retry: no name is a usage error" "$RC" 2
printf 'quality: {max_reject_ratio: 1}\n' > sluice.yaml
run retry --all
expect_eq "retry --all: exit 0" "$RC" 0
expect_eq "retry --all: the input is back, the reports stay" \
    "$(ls ingest/incoming) $(ls ingest/failed | grep -c "^$name\.")" "$name 2"
run once
expect_eq "retry: ledger keeps both attempts" \
    "$(sq "select group_concat(status, ',') from (select status from sluice_files order by id)")" "failed,partial"

e2e_done
