# t_run.sh - `sluice run` end to end on real folders with real inotify: files present at start,
# files renamed in, ignored names, polling with settle against a slow writer, SIGHUP with a
# broken config, SIGTERM, the one-daemon-per-database lock, --max-iterations, help and usage.
. "$(dirname "$0")/lib.sh"
e2e_setup
e2e_daemons

rows() { sq 'select count(*) from ventas_near_rt' 2>/dev/null || echo 0; }
in_log() { grep -c "\"event\":\"$1\"" logs/sluice.log 2>/dev/null || true; }

# --- files present at start, then a file renamed in, ignored names ----------------------
fresh
"$SLUICE" gen 2 --rows 100 --seed 1 >/dev/null 2>&1
start_daemon
if [ $? -eq 0 ]; then ok "daemon starts"; else not_ok "daemon starts" "$(cat daemon.out)"; fi
wait_for 10 '[ "$(rows)" = 200 ]'
expect_eq "files present at start are loaded" "$(rows)" 200
expect_match "daemon_start says inotify" "$(grep daemon_start logs/sluice.log)" '"mode":"inotify"'
"$SLUICE" gen 1 --rows 50 --seed 2 --out stage >/dev/null 2>&1
printf 'venta_id\n1\n' > ingest/incoming/.hidden.csv
printf 'venta_id\n1\n' > ingest/incoming/late.csv.tmp
t0=$(now_ms)
mv stage/*.csv ingest/incoming/
wait_for 10 '[ "$(rows)" = 250 ]'
t1=$(now_ms)
expect_eq "a file renamed in is loaded" "$(rows)" 250
if [ $((t1 - t0)) -lt 2000 ]; then ok "loaded within 2 s of the rename ($((t1 - t0)) ms)"; else
    not_ok "loaded within 2 s of the rename" "took $((t1 - t0)) ms"; fi
expect_eq "dot-file and .tmp left alone" "$(ls -A ingest/incoming | sort | tr '\n' ' ')" ".hidden.csv late.csv.tmp "
expect_match "per-file line on stderr" "$(cat daemon.out)" '^ok +ventas_.*: 50 rows, 50 loaded'

# --- a second daemon on the same database is refused ----------------------------------
run run
expect_eq "second daemon exits 1" "$RC" 1
expect_match "second daemon names the lock and the pid" "$OUT" "pid $DPID.*lock .*near_rt_analytics.db.lock is held"
expect_eq "lock file holds the pid" "$(cat outputs/near_rt_analytics.db.lock)" "$DPID"

# --- SIGHUP: a broken config is refused, the daemon keeps working ---------------------
"$SLUICE" gen 1 --rows 30 --seed 3 --out stage3 >/dev/null 2>&1
"$SLUICE" gen 1 --rows 20 --seed 4 --out stage4 >/dev/null 2>&1
printf 'paths:\n  incomming: x\n' > sluice.yaml
kill -HUP "$DPID"
wait_for 10 '[ "$(in_log reload_refused)" = 1 ]'
expect_eq "broken config: reload_refused logged" "$(in_log reload_refused)" 1
expect_match "broken config: stderr says why" "$(cat daemon.out)" "new config refused.*sluice.yaml:2.*incomming"
mv stage3/*.csv ingest/incoming/
wait_for 10 '[ "$(rows)" = 280 ]'
expect_eq "after a refused reload, files still load" "$(rows)" 280
printf 'quality:\n  on_duplicate_key: skip\n' > sluice.yaml
kill -HUP "$DPID"
wait_for 10 '[ "$(in_log reload)" = 1 ]'
expect_eq "a good config reloads" "$(in_log reload)" 1
mv stage4/*.csv ingest/incoming/
wait_for 10 '[ "$(rows)" = 300 ]'
expect_eq "after a reload, files still load" "$(rows)" 300
rm -f sluice.yaml

# --- SIGTERM: clean exit 0 --------------------------------------------------------------
stop_daemon TERM
expect_eq "SIGTERM exits 0" "$DRC" 0
expect_match "daemon_stop logged" "$(tail -1 logs/sluice.log)" '"event":"daemon_stop","reason":"SIGTERM"'
expect_eq "no claim leftovers" "$(find ingest/.work -mindepth 1 | wc -l | tr -d ' ')" 0

# --- polling: a file written slowly under its final name is not taken early -------------
fresh
"$SLUICE" gen 1 --rows 300 --seed 5 --out stage >/dev/null 2>&1
src=$(ls stage/*.csv)
start_daemon --poll --interval 200ms
expect_match "daemon_start says poll" "$(grep daemon_start logs/sluice.log)" '"mode":"poll","reason":"--poll"'
dst=ingest/incoming/slow.csv
head -n 101 "$src" > "$dst"
early=0
for part in 2 3; do
    sleep 0.4
    [ "$(sq 'select count(*) from sluice_files' 2>/dev/null || echo 0)" = 0 ] || early=1
    if [ "$part" = 2 ]; then sed -n '102,201p' "$src" >> "$dst"; else sed -n '202,$p' "$src" >> "$dst"; fi
done
wait_for 10 '[ "$(rows)" = 300 ]'
expect_eq "slow writer: not taken before complete" "$early" 0
expect_eq "slow writer: every row loaded" "$(rows)" 300
expect_eq "slow writer: one ledger row, ok" "$(sq "select count(*)||'/'||status from sluice_files")" "1/ok"
stop_daemon INT
expect_eq "SIGINT exits 0" "$DRC" 0

# --- --max-iterations: exits by itself ----------------------------------------------------
fresh
t0=$(now_ms)
OUT=$(timeout 10 "$SLUICE" run --poll --interval 200ms --max-iterations 3 2>&1)
RC=$?
t1=$(now_ms)
expect_eq "--max-iterations 3 exits 0" "$RC" 0
if [ $((t1 - t0)) -ge 350 ] && [ $((t1 - t0)) -lt 3000 ]; then ok "3 scans 200 ms apart"; else
    not_ok "3 scans 200 ms apart" "took $((t1 - t0)) ms"; fi
expect_match "--max-iterations: daemon_stop" "$(tail -1 logs/sluice.log)" '"reason":"max_iterations","scans":3'

# --- help and usage -------------------------------------------------------------------
run run --help
expect_eq "run --help exits 0" "$RC" 0
for w in 'inotify' '--poll' '--interval' '--max-iterations' 'SIGHUP' 'SIGTERM' 'rename' 'exit:'; do
    expect_match "run --help mentions $w" "$OUT" "$w"
done
run run --interval 5x
expect_eq "bad --interval exits 2" "$RC" 2
run run --max-iterations 0
expect_eq "bad --max-iterations exits 2" "$RC" 2
printf 'watch:\n  settle: soon\n' > bad.yaml
run -c bad.yaml run
expect_eq "bad watch.settle exits 78" "$RC" 78
expect_match "bad watch.settle names the key" "$OUT" "bad.yaml:2.*watch.settle.*duration"
run --help
expect_match "top-level help lists run" "$OUT" "^  run "

e2e_done
