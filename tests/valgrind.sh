#!/bin/bash
# valgrind.sh BUILD_DIR - runs every unit test binary of BUILD_DIR (default: build) and a short
# end-to-end pass of BUILD_DIR/sluice under valgrind (memcheck: invalid reads/writes, uses of
# uninitialised values, bad frees, and definite/indirect leaks).  Builds nothing: `make valgrind`
# builds first.  Each valgrind run is one check ("ok NAME" / "not ok NAME: why"), and so is each
# assertion on the results; ends with one line "N passed, N failed".
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/$build/sluice"
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind.sh: valgrind is not installed (make deps installs it)" >&2
    exit 1
fi
if [ ! -x "$bin" ]; then
    echo "valgrind.sh: $bin is missing (run make all unit first)" >&2
    exit 1
fi
VG_OPTS=(--leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 -q)

# Valgrind reports go to their own files (one per process), so that they are never mixed
# with the program's own output and any non-empty report is an error.
VGDIR=$(mktemp -d /tmp/sluice-vg.XXXXXX)
mkdir -p "$VGDIR/logs"
cat > "$VGDIR/sluice" <<EOF
#!/bin/sh
exec valgrind ${VG_OPTS[*]} --log-file="$VGDIR/logs/vg.%p.log" "$bin" "\$@"
EOF
chmod +x "$VGDIR/sluice"
export SLUICE_BIN="$VGDIR/sluice"

# lib.sh gives run/sq/expect_*/fresh; its ok/not_ok are wrapped here to count passes too.
. "$root/tests/e2e/lib.sh"
PASSED=0
FAILED=0
ok() {
    echo "ok $1"
    PASSED=$((PASSED + 1))
}
not_ok() {
    echo "not ok $1: $2"
    FAILED=$((FAILED + 1))
}
trap 'cd /; rm -rf "$VGDIR"' EXIT

# vg_reports: the valgrind reports written since the last call (and clears them).
vg_reports() {
    local f
    for f in "$VGDIR"/logs/vg.*.log; do
        [ -e "$f" ] || continue
        if [ -s "$f" ]; then
            echo "--- $(basename "$f")"
            head -60 "$f"
        fi
        rm -f "$f"
    done
}
# clean NAME WANT_RC: the last run exited WANT_RC and valgrind reported nothing.
clean() {
    local rep
    rep=$(vg_reports)
    if [ "$RC" -eq 99 ] || [ -n "$rep" ]; then
        not_ok "valgrind: $1" "exit $RC; valgrind reports:
$rep"
    elif [ "$RC" -ne "$2" ]; then
        not_ok "valgrind: $1" "exit $RC, want $2: $(printf '%s' "$OUT" | tail -5)"
    else
        ok "valgrind: $1"
    fi
}
# vrun NAME WANT_RC ARGS...: sluice ARGS under valgrind, then clean.
vrun() {
    local name=$1 want=$2
    shift 2
    run "$@"
    clean "$name" "$want"
}

# --- unit tests --------------------------------------------------------------------------------
cd "$root" || exit 1 # some unit tests read files of the repository (examples/)
for t in "$root/$build"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    OUT=$(valgrind "${VG_OPTS[@]}" --log-file="$VGDIR/logs/vg.%p.log" "$t" 2>&1)
    RC=$?
    summary=$(printf '%s\n' "$OUT" | grep -E '^\[  (PASSED|FAILED)  \] [0-9]+ test' | tr '\n' ' ')
    clean "unit $name (${summary% })" 0
done

# --- end to end --------------------------------------------------------------------------------
e2e_setup
trap 'cd /; rm -rf "$E2E_DIR" "$VGDIR"' EXIT
hdr='venta_id,cliente_id,producto_id,cantidad,precio_unitario,total,fecha_venta,metodo_pago,estado'
fresh
vrun "gen 3 x 300 rows, 10% bad" 0 gen 3 --rows 300 --bad-ratio 0.1 --seed 21
bad=$(printf '%s' "$OUT" | sed -n 's/.* 900 rows, \([0-9]*\) bad.*/\1/p')
expect_match "gen reports bad rows" "$bad" '^[1-9][0-9]*$'
bad=${bad:-0}
vrun "once: 3 partial files" 0 once
expect_eq "once: loaded = valid rows" "$(sq 'select count(*) from ventas_near_rt')" "$((900 - bad))"
expect_eq "once: one reject per bad row" "$(sq 'select count(*) from ventas_near_rt_rejects')" "$bad"
cp ingest/processed/*.csv ingest/incoming/
vrun "once: re-dropped files" 0 once
expect_eq "re-drop: 3 duplicates, nothing new" \
    "$(sq "select count(*) from sluice_files where status='duplicate'")/$(sq 'select count(*) from ventas_near_rt')" "3/$((900 - bad))"
vrun "check a partial file" 0 check --max-errors 3 "$(ls ingest/processed/*.csv | head -1)"
expect_match "check: verdict" "$OUT" 'verdict: partial'
vrun "status" 0 status
expect_match "status: partial files" "$OUT" 'partial +3 files'

# one file of 30,000 rows: several batches (limits.batch_rows 8192)
vrun "gen 1 x 30000 rows" 0 gen 1 --rows 30000 --bad-ratio 0.01 --seed 22
bad2=$(printf '%s' "$OUT" | sed -n 's/.* 30000 rows, \([0-9]*\) bad.*/\1/p')
vrun "once: 30000-row file" 0 once
expect_eq "multi-batch: loaded" "$(sq "select rows_loaded from sluice_files where rows_total = 30000")" "$((30000 - ${bad2:-0}))"

# a failed file (header), a file over max_reject_ratio, a limit error, an unclosed quote
mkdir -p ingest/incoming
printf 'venta_id,cliente_id\n1,1\n' > ingest/incoming/nohdr.csv
{ echo "$hdr"; for i in $(seq 1 20); do echo "$i,1,1,0,10.00,0.00,2025-01-01 10:00:00,tarjeta,completada"; done; } > ingest/incoming/ratio.csv
{ echo "$hdr"; printf '1,"'; head -c 1100000 /dev/zero | tr '\0' a; printf '"\n'; } > ingest/incoming/limit.csv
printf '%s\n1,1,1,2,10.00,20.00,2025-01-01 10:00:00,"tarjeta,completada\n' "$hdr" > ingest/incoming/quote.csv
vrun "once: failed files" 1 once
expect_eq "failed files: ledger" \
    "$(sq "select group_concat(file_name||':'||error_code, ' ') from (select * from sluice_files where status='failed' order by file_name)")" \
    "limit.csv:limit_exceeded nohdr.csv:header_error quote.csv:csv_error ratio.csv:too_many_rejects"
expect_eq "failed files: error.json each" "$(count_files ingest/failed '*.error.json')" 4
vrun "check a failed file" 1 check ingest/failed/nohdr.csv

# a custom contract: every constraint kind, expressions, update on duplicate keys, CSV grammar
fresh
cat > sluice.yaml <<'YAML'
quality: {max_reject_ratio: 1, on_duplicate_key: update}
contract:
  primaryKey: [country, code]
  missingValues: ["", "NA"]
  fields:
    - {name: country, type: string, constraints: {required: true, pattern: "[A-Z]{2}"}}
    - {name: code, type: integer, constraints: {required: true}}
    - {name: name, type: string, constraints: {minLength: 2, maxLength: 5}}
    - {name: born, type: date, format: "%d/%m/%Y", constraints: {minimum: "1900-01-01"}}
    - {name: score, type: number, constraints: {maximum: 100}}
    - {name: active, type: boolean}
    - {name: email, type: string, constraints: {unique: true}}
rules:
  - {name: adult_score, expr: "score is null or score >= 0", message: "score must not be negative"}
derive:
  - {name: born_year, expr: "year(born)"}
  - {name: tag, expr: "concat(upper(substr(name, 1, 2)), '-', strftime('%Y', born))"}
metrics:
  n: "count()"
  avg_score: "avg(score)"
  people: "count_distinct(email)"
YAML
mkdir -p ingest/incoming
printf '\xef\xbb\xbfemail,code,country,name,born,score,active\r\na@x,1,ES,Ana,01/02/1990,50,true\r\nb@x,2,es,Bob,01/02/1990,50,true\r\n"c@x",3,FR,"C, ""q""",01/02/1990,50,false\r\nd@x,4,FR,Dolores,31/12/1899,50,1\r\n\r\ne@x,5,FR,Eve,01/02/1990,-1,0\r\nf@x,6,FR,Fay,01/02/1990,NA,yes\r\na@x,7,FR,Ida,01/02/1990,1,false\r\ng@x,8\r\nh@x,9,FR,H"al,01/02/1990,1,true\r\ni@x,10,FR,\xc0\xaf,01/02/1990,1,true\r\nj@x,11,FR,Jo\x00,01/02/1990,1,true\r\nk@x,12,DE,NA,NA,NA,NA' > ingest/incoming/c.csv
vrun "once: custom contract" 0 once
expect_eq "custom: loaded keys" "$(sq 'select group_concat(code) from (select code from ventas_near_rt order by code)')" "1,12"
expect_eq "custom: reject rules" "$(sq 'select group_concat(rule) from (select rule from ventas_near_rt_rejects order by line)')" \
    "pattern,maxLength,maxLength,adult_score,type,unique,ragged_row,stray_quote,invalid_utf8,nul_byte"
printf 'email,code,country,name,born,score,active\nz@x,1,ES,Zoe,02/03/1991,70,false\n' > ingest/incoming/d.csv
vrun "once: update on duplicate key" 0 once
expect_eq "custom: key updated" "$(sq "select name||born_year from ventas_near_rt where code=1")" "Zoe1991"

# recovery: a plain sluice is killed during a load, then the valgrind one finishes the work
fresh
"$bin" gen 2 --rows 20000 --bad-ratio 0.01 --seed 23 > gen.txt 2>&1
bad3=$(sed -n 's/.* 40000 rows, \([0-9]*\) bad.*/\1/p' gen.txt)
"$bin" -q once >/dev/null 2>&1 &
pid=$!
sleep 0.15
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
vrun "once: recovery after kill -9" 0 -q once
expect_eq "recovery: every valid row exactly once" \
    "$(sq 'select count(*), count(distinct venta_id) from ventas_near_rt')" "$((40000 - ${bad3:-0}))|$((40000 - ${bad3:-0}))"

# a big file parsed on two threads (load_par.c), Parquet only, with rejects and within-file
# duplicates checked in order
fresh
"$bin" gen 1 --rows 30000 --bad-ratio 0.05 --seed 5 > gen.txt 2>&1
printf 'parse_threads: 2\nsqlite: {enabled: false}\nquality: {max_reject_ratio: 0.5}\n' > sluice.yaml
vrun "once: parse_threads 2, Parquet only" 0 -q once
expect_eq "parse_threads 2: rows and rejects add up" \
    "$(sq 'select rows_loaded + rows_rejected, rows_total from sluice_files')" "30000|30000"
expect_match "parse_threads 2: duplicates rejected in order" \
    "$(sq "select count(*) from ventas_near_rt_rejects where rule = 'unique'")" '^[1-9][0-9]*$'

# init and help
fresh
vrun "init" 0 init
vrun "once --help" 0 once --help
vrun "unknown command" 2 frobnicate
printf 'paths:\n  incomming: x\n' > bad.yaml
vrun "config error" 78 -c bad.yaml once

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
