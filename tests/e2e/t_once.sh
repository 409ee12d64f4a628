# t_once.sh - `sluice once` end to end on the embedded default: exact loads, rejects with
# their rules, duplicates, verdicts, name collisions, exit codes.
. "$(dirname "$0")/lib.sh"
e2e_setup

# --- the issue's scenario: 10 files x 1000 rows, 10% bad -------------------------------
fresh
run gen 10 --rows 1000 --bad-ratio 0.1 --seed 42
expect_eq "gen exits 0" "$RC" 0
bad=$(printf '%s' "$OUT" | sed -n 's/.* 10000 rows, \([0-9]*\) bad.*/\1/p')
expect_match "gen reports bad rows" "$bad" '^[0-9]+$'
expect_eq "gen wrote 10 files" "$(count_files ingest/incoming '*.csv')" 10
run once
expect_eq "once exits 0" "$RC" 0
expect_eq "loaded = valid rows" "$(sq 'select count(*) from ventas_near_rt')" "$((10000 - bad))"
expect_eq "each bad row is a reject" "$(sq 'select count(*) from ventas_near_rt_rejects')" "$bad"
expect_eq "ledger agrees" "$(sq "select sum(rows_loaded)||'/'||sum(rows_rejected) from sluice_files")" "$((10000 - bad))/$bad"
for rule in minimum type enum total_matches required unique ragged_row; do
    n=$(sq "select count(*) from ventas_near_rt_rejects where rule='$rule'")
    if [ "$n" -gt 0 ]; then ok "rule $rule recorded"; else not_ok "rule $rule recorded" "no rejects with rule $rule"; fi
done
expect_eq "reject rows carry line, raw and message" \
    "$(sq "select count(*) from ventas_near_rt_rejects where line > 1 and length(raw_line) > 10 and length(message) > 5 and source_file like 'ventas_%'")" "$bad"
expect_eq "every file partial" "$(sq "select count(*) from sluice_files where status='partial'")" 10
expect_eq "incoming emptied" "$(count_files ingest/incoming)" 0
expect_eq "inputs in processed/" "$(count_files ingest/processed '*.csv')" 10
expect_eq "rejects.csv per file" "$(count_files ingest/failed '*.rejects.csv')" 10
expect_eq "no claim leftovers" "$(find ingest/.work -mindepth 1 | wc -l | tr -d ' ')" 0
rej_lines=$(cat ingest/failed/*.rejects.csv | grep -c '^')
expect_eq "rejects.csv: header + one line per reject" "$rej_lines" "$((bad + 10))"
expect_match "rejects.csv header has _error" "$(head -1 "$(ls ingest/failed/*.rejects.csv | head -1)")" ',_error$'
expect_eq "derived columns" "$(sq "select count(*) from ventas_near_rt where anio = cast(substr(fecha_venta,1,4) as int) and mes = substr(fecha_venta,1,7) and abs(ticket_unitario - total*1.0/cantidad) < 1e-9")" "$((10000 - bad))"
expect_eq "lineage column" "$(sq "select count(*) from ventas_near_rt v join sluice_files f on f.id = v._sluice_file_id")" "$((10000 - bad))"
expect_match "metrics in ledger" "$(sq "select metrics from sluice_files limit 1")" '"rows":[0-9]+,"total_sum":[0-9.e+]+,"ticket_promedio":[0-9.e+]+,"clientes_unicos":[0-9]+'
expect_match "table is STRICT" "$(sq "select sql from sqlite_master where name='ventas_near_rt'")" 'STRICT'
expect_eq "WAL mode" "$(sq 'pragma journal_mode')" wal
expect_match "JSON log lines" "$(tail -1 logs/sluice.log)" '^\{"ts":"[0-9T:.-]+Z","level":"info","event":"file_done","file":"ventas_'

# --- re-dropping the same files loads nothing new --------------------------------------
cp ingest/processed/*.csv ingest/incoming/
run once
expect_eq "re-drop exits 0" "$RC" 0
expect_eq "re-drop loads nothing" "$(sq 'select count(*) from ventas_near_rt')" "$((10000 - bad))"
expect_eq "re-drop recorded as duplicate" "$(sq "select count(*) from sluice_files where status='duplicate'")" 10
expect_eq "collisions kept both copies" "$(count_files ingest/processed '*.csv')" 20
f=$(ls ingest/processed/*.csv | head -1)
cp "$f" ingest/incoming/renamed_copy.csv
run once
expect_eq "same bytes, new name: duplicate" "$(sq "select status from sluice_files where file_name='renamed_copy.csv'")" duplicate

# --- a file with a missing required column fails whole, loads nothing -----------------
fresh
mkdir -p ingest/incoming
printf 'venta_id,cliente_id,producto_id,cantidad,precio_unitario,fecha_venta,metodo_pago,estado\n1,1,1,1,1.00,2025-01-01 10:00:00,tarjeta,completada\n' > ingest/incoming/nototal.csv
run once
expect_eq "failed file exits 1" "$RC" 1
expect_match "stderr names file and column" "$OUT" "FAILED +nototal.csv: .*required column 'total' is missing"
expect_eq "failed file: input in failed/" "$(count_files ingest/failed nototal.csv)" 1
expect_match "error.json has the reason" "$(cat ingest/failed/nototal.csv.error.json)" '"error_code": "header_error"'
expect_eq "failed file: nothing loaded" "$(sq 'select count(*) from ventas_near_rt')" 0
expect_eq "failed file: ledger row" "$(sq "select status from sluice_files")" failed

# --- over max_reject_ratio: nothing loaded, rejects still reported --------------------
fresh
run gen 1 --rows 200 --bad-ratio 0.5 --seed 7
run once
expect_eq "too many rejects exits 1" "$RC" 1
expect_eq "too many rejects: nothing loaded" "$(sq 'select count(*) from ventas_near_rt')" 0
expect_eq "too many rejects: no reject rows kept" "$(sq 'select count(*) from ventas_near_rt_rejects')" 0
expect_match "too many rejects: reason" "$(sq "select error from sluice_files")" 'over quality.max_reject_ratio'
expect_eq "too many rejects: report files" "$(count_files ingest/failed '*.error.json')/$(count_files ingest/failed '*.rejects.csv')" "1/1"

# --- same name, new content: a second copy, never an overwrite ------------------------
fresh
mkdir -p ingest/incoming
hdr='venta_id,cliente_id,producto_id,cantidad,precio_unitario,total,fecha_venta,metodo_pago,estado'
printf '%s\n1,1,1,2,10.00,20.00,2025-01-01 10:00:00,tarjeta,completada\n' "$hdr" > ingest/incoming/v.csv
run once
printf '%s\n2,1,1,2,10.00,20.00,2025-01-01 10:00:00,tarjeta,completada\n' "$hdr" > ingest/incoming/v.csv
run once
expect_eq "new content under an old name loads" "$(sq 'select count(*) from ventas_near_rt')" 2
expect_eq "both inputs kept" "$(ls ingest/processed | tr '\n' ' ')" "v.1.csv v.csv "

# --- primary key already in the table: skip (default) ---------------------------------
printf '%s\n2,1,1,2,10.00,20.00,2025-01-02 10:00:00,tarjeta,completada\n3,1,1,1,5.00,5.00,2025-01-02 10:00:00,paypal,pendiente\n' "$hdr" > ingest/incoming/w.csv
run once
expect_eq "dup key skipped, new key loaded" "$(sq 'select count(*) from ventas_near_rt')" 3
expect_eq "dup key counted" "$(sq "select rows_duplicate_key||'/'||rows_loaded||'/'||status from sluice_files where file_name='w.csv'")" "1/1/ok"

# --- exit codes and help ---------------------------------------------------------------
run frobnicate
expect_eq "unknown command exits 2" "$RC" 2
run once --bogus
expect_eq "unknown option exits 2" "$RC" 2
printf 'paths:\n  incomming: x\n' > bad.yaml
run -c bad.yaml once
expect_eq "config error exits 78" "$RC" 78
expect_match "config error names file, line and key" "$OUT" 'bad.yaml:2.*incomming'
for c in once check status gen init; do
    run "$c" --help
    if [ "$RC" -eq 0 ] && [ -n "$OUT" ]; then ok "$c --help"; else not_ok "$c --help" "rc=$RC"; fi
done
run --help
for c in once check status gen init; do
    expect_match "top-level help lists $c" "$OUT" "^  $c "
done

e2e_done
