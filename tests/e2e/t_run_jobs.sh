# t_run_jobs.sh - scheduled jobs of `sluice run` (config key schedule): metrics snapshots into
# sluice_metrics, the digest log event, retention of old processed inputs (never following
# symlinks), a failing job that does not stop the daemon, re-arming on SIGHUP, and bad
# schedules refused with their line (exit 78 at start, reload_refused on SIGHUP).
. "$(dirname "$0")/lib.sh"
e2e_setup
e2e_daemons

in_log() { grep -c "\"event\":\"$1\"" logs/sluice.log 2>/dev/null || true; }
job_runs() { grep '"event":"job_run"' logs/sluice.log 2>/dev/null | grep -c "\"name\":\"$1\"" || true; }
snapshots() { sq 'select count(*) from sluice_metrics' 2>/dev/null || echo 0; }

# --- the three jobs ------------------------------------------------------------------------
fresh
cat > sluice.yaml <<'EOF'
watch: {settle: 1h}    # a file arriving after the start waits: a backlog for the snapshot
schedule: [{name: snap, every: 200ms, job: metrics_snapshot}, {name: clean, every: 300ms, job: retention, days: 1}, {name: dig, every: 250ms, job: digest}]
EOF
"$SLUICE" gen 2 --rows 100 --bad-ratio 0.1 --seed 11 >/dev/null 2>&1
"$SLUICE" gen 1 --rows 10 --seed 12 --out stage >/dev/null 2>&1
mkdir -p ingest/processed
printf 'old\n' > ingest/processed/old.csv
touch -d '3 days ago' ingest/processed/old.csv
printf 'fresh\n' > ingest/processed/fresh.csv
printf 'outside\n' > outside.csv
touch -d '3 days ago' outside.csv
ln -s ../../outside.csv ingest/processed/link.csv
touch -h -d '3 days ago' ingest/processed/link.csv
mkdir ingest/processed/olddir
touch -d '3 days ago' ingest/processed/olddir

t0=$(now_ms)
start_daemon --poll --interval 100ms
if [ $? -eq 0 ]; then ok "daemon starts with a schedule"; else not_ok "daemon starts with a schedule" "$(cat daemon.out)"; fi
mv stage/*.csv ingest/incoming/
wait_for 5 '[ "$(snapshots)" -ge 2 ] && [ "$(in_log digest)" -ge 2 ] && [ "$(in_log retention)" -ge 2 ]'
t1=$(now_ms)
if [ $((t1 - t0)) -lt 3000 ]; then ok "jobs ran within 3 s ($((t1 - t0)) ms)"; else
    not_ok "jobs ran within 3 s" "took $((t1 - t0)) ms"; fi
expect_match "schedule logged" "$(grep '"event":"schedule"' logs/sluice.log)" '"jobs":3'

# metrics_snapshot
n=$(snapshots)
if [ "$n" -ge 2 ]; then ok "sluice_metrics has >= 2 rows ($n)"; else not_ok "sluice_metrics has >= 2 rows" "$n"; fi
expect_match "sluice_metrics is STRICT" "$(sq "select sql from sqlite_master where name = 'sluice_metrics'")" 'STRICT$'
ledger=$(sq "select count(*) || '|' || sum(rows_loaded) || '|' || sum(rows_rejected) from sluice_files")
last=$(sq "select (files_ok + files_partial + files_failed + files_duplicate) || '|' || rows_loaded || '|' || rows_rejected from sluice_metrics order by id desc limit 1")
expect_eq "snapshot counts match the ledger" "$last" "$ledger"
expect_match "ledger: 2 files, 200 rows loaded or rejected" "$(sq "select count(*) || '|' || (sum(rows_loaded) + sum(rows_rejected) + sum(rows_duplicate_key)) from sluice_files")" '^2\|200$'
wait_for 3 '[ "$(sq "select backlog_files from sluice_metrics order by id desc limit 1")" = 1 ]'
expect_eq "snapshot counts the waiting file as backlog" \
    "$(sq "select backlog_files || '|' || (backlog_bytes > 0) from sluice_metrics order by id desc limit 1")" "1|1"
expect_eq "snapshot rows name the job and table" "$(sq "select distinct job || '|' || target_table from sluice_metrics")" "snap|ventas_near_rt"

# retention
expect_eq "retention: the 3-day-old file is gone" "$(ls ingest/processed/old.csv 2>/dev/null)" ""
[ -f ingest/processed/fresh.csv ] && ok "retention: the fresh file stays" || not_ok "retention: the fresh file stays" "gone"
[ -L ingest/processed/link.csv ] && [ -f outside.csv ] && ok "retention: a symlink is neither followed nor removed" ||
    not_ok "retention: a symlink is neither followed nor removed" "$(ls -la ingest/processed outside.csv 2>&1)"
[ -d ingest/processed/olddir ] && ok "retention: folders are left alone" || not_ok "retention: folders are left alone" "gone"
expect_eq "retention: the processed inputs stay" "$(count_files ingest/processed 'ventas_*.csv')" 2
expect_match "retention event: count and bytes" "$(grep '"event":"retention"' logs/sluice.log | head -1)" \
    '"name":"clean","folder":"[^"]*ingest/processed","days":1,"deleted":1,"bytes_freed":4,'
expect_match "retention: later runs delete nothing" "$(grep '"event":"retention"' logs/sluice.log | tail -1)" '"deleted":0,'

# digest
dig=$(grep '"event":"digest"' logs/sluice.log | tail -1)
loaded=$(sq 'select sum(rows_loaded) from sluice_files')
rejected=$(sq 'select sum(rows_rejected) from sluice_files')
expect_match "digest: files by status" "$dig" '"files":\{"ok":[0-9]+,"partial":[0-9]+,"failed":0,"duplicate":0\}'
expect_match "digest: rows loaded and rejected" "$dig" "\"rows_loaded\":$loaded,\"rows_rejected\":$rejected,"
expect_match "digest: failures and top reject rules" "$dig" '"failures_total":0,"failures":\[\],"top_reject_rules":\[\{"rule":"[a-z_]+","rows":[0-9]+\}'
expect_match "digest: the 24 h window" "$dig" '"since":"[0-9T:.-]+Z","until":"[0-9T:.-]+Z"'

# job_run
for j in snap:metrics_snapshot clean:retention dig:digest; do
    expect_match "job_run logged for ${j%%:*}" "$(grep '"event":"job_run"' logs/sluice.log | grep "\"name\":\"${j%%:*}\"" | tail -1)" \
        "\"job\":\"${j#*:}\",\"duration_ms\":[0-9.e+-]+,\"result\":\"ok\""
done
expect_eq "no job failed" "$(in_log job_failed)" 0

# --- a failing job is logged and the daemon carries on ----------------------------------
sq 'drop table ventas_near_rt_rejects'
wait_for 3 '[ "$(in_log job_failed)" -ge 1 ]'
expect_match "job_failed logged" "$(grep '"event":"job_failed"' logs/sluice.log | head -1)" \
    '"name":"dig","job":"digest","error_code":"sqlite_error","error":"digest: no such table'
expect_match "job_run says failed" "$(grep '"event":"job_run"' logs/sluice.log | grep '"name":"dig"' | tail -1)" '"result":"failed"'
n1=$(snapshots)
wait_for 3 "[ \"\$(snapshots)\" -gt $n1 ]"
if kill -0 "$DPID" 2>/dev/null && [ "$(snapshots)" -gt "$n1" ]; then ok "after a job failure the daemon and other jobs run on"; else
    not_ok "after a job failure the daemon and other jobs run on" "$(tail -3 daemon.out)"; fi
expect_match "job failure on stderr" "$(cat daemon.out)" 'job dig \(digest\) failed: digest: no such table'

# --- SIGHUP: a bad schedule is refused, a good one re-arms -----------------------------------
cat > sluice.yaml <<'EOF'
watch: {settle: 1h}
schedule:
  - {name: snap2, cron: "* * * * *", job: metrics_snapshot}
  - {name: late, cron: "0 24 * * *", job: digest}
EOF
kill -HUP "$DPID"
wait_for 5 '[ "$(in_log reload_refused)" = 1 ]'
expect_match "bad cron on reload: refused with its line" "$(grep reload_refused logs/sluice.log)" \
    "sluice.yaml:4: key 'schedule\[1\].cron': field 2 \(hour\): 24 is out of range 0-23"
n1=$(snapshots)
wait_for 3 "[ \"\$(snapshots)\" -gt $n1 ]"
if [ "$(snapshots)" -gt "$n1" ]; then ok "after a refused reload the old jobs run on"; else not_ok "after a refused reload the old jobs run on" "$n1"; fi
cat > sluice.yaml <<'EOF'
watch: {settle: 1h}
schedule:
  - {name: snap2, every: 100ms, job: metrics_snapshot}
EOF
kill -HUP "$DPID"
wait_for 5 '[ "$(in_log reload)" -ge 1 ] && [ "$(job_runs snap2)" -ge 2 ]'
expect_match "reload re-arms: schedule logged with the new jobs" "$(grep '"event":"schedule"' logs/sluice.log | tail -1)" '"jobs":1'
if [ "$(job_runs snap2)" -ge 2 ]; then ok "reload re-arms: the new job runs"; else not_ok "reload re-arms: the new job runs" "$(job_runs snap2)"; fi
before=$(( $(job_runs snap) + $(job_runs dig) + $(job_runs clean) ))
sleep 0.5
after=$(( $(job_runs snap) + $(job_runs dig) + $(job_runs clean) ))
expect_eq "reload re-arms: the old jobs stop" "$after" "$before"
expect_eq "snapshots of the new job" "$(sq "select count(*) > 1 from sluice_metrics where job = 'snap2'")" 1
stop_daemon TERM
expect_eq "SIGTERM exits 0 with jobs scheduled" "$DRC" 0

# --- a bad cron at start: exit 78 naming the line -----------------------------------------
fresh
cat > sluice.yaml <<'EOF'
schedule:
  - name: nightly
    cron: "0 25 * * *"
    job: digest
EOF
run run
expect_eq "bad cron: exit 78" "$RC" 78
expect_match "bad cron: names file, line, key and field" "$OUT" \
    "sluice.yaml:3: key 'schedule\[0\].cron': field 2 \(hour\): 25 is out of range 0-23"
printf 'schedule:\n  - {name: a, every: 1s, job: digest, days: 3}\n' > sluice.yaml
run run
expect_eq "days on the wrong job: exit 78" "$RC" 78
expect_match "days on the wrong job: names the line" "$OUT" "sluice.yaml:2: key 'schedule\[0\].days': only the retention job takes days"
printf 'schedule:\n  - {name: a, every: 1s, job: digest}\n  - {name: a, every: 2s, job: digest}\n' > sluice.yaml
run run
expect_eq "duplicate job name: exit 78" "$RC" 78
expect_match "duplicate job name: names both lines" "$OUT" "sluice.yaml:3: key 'schedule\[1\].name': duplicate job name 'a' \(first at line 2\)"

e2e_done
