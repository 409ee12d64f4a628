# t_cli.sh - check, status, init, on_duplicate_key modes, custom contracts, CSV grammar
# through the whole binary.
. "$(dirname "$0")/lib.sh"
e2e_setup
hdr='venta_id,cliente_id,producto_id,cantidad,precio_unitario,total,fecha_venta,metodo_pago,estado'

# --- check writes nothing and reports line, column, rule ------------------------------
fresh
printf '%s\n1,1,1,2,10.00,20.00,2025-01-01 10:00:00,tarjeta,completada\n2,1,1,0,10.00,0.00,2025-01-01 10:00:00,tarjeta,completada\n3,x,1,1,10.00,10.00,2025-01-01,cheque,completada\n' "$hdr" > f.csv
run check --max-errors 5 f.csv
expect_eq "check exits 1 when the file would fail (2/3 bad)" "$RC" 1
expect_match "check: line, column, rule" "$OUT" 'line 3 +cantidad +minimum'
expect_match "check: all problems of a row" "$OUT" "line 4 .*cliente_id: 'x' is not an integer; fecha_venta: .*; metodo_pago: 'cheque' is not one of"
expect_match "check: verdict" "$OUT" 'verdict: failed: 2 of 3 rows rejected'
expect_eq "check wrote nothing" "$(ls | tr '\n' ' ')" "f.csv "
printf '%s\n1,1,1,2,10.00,20.00,2025-01-01T10:00:00,tarjeta,completada\n' "$hdr" > g.csv
run check g.csv
expect_eq "check ok exits 0" "$RC" 0
expect_match "check ok verdict" "$OUT" 'verdict: ok'

# --- status ----------------------------------------------------------------------------
fresh
run status
expect_match "status before any run" "$OUT" 'no database yet'
run gen 3 --rows 50 --bad-ratio 0.1 --seed 3
run once
run status
expect_eq "status exits 0" "$RC" 0
expect_match "status by status" "$OUT" 'partial +3 files +150 rows'
expect_match "status top rules" "$OUT" 'top reject rules'

# --- init writes the default, and it runs as is ----------------------------------------
fresh
run init
expect_eq "init exits 0" "$RC" 0
run init
expect_eq "init refuses to overwrite" "$RC" 1
run gen 1 --rows 20 --seed 5
run once
expect_eq "init's sluice.yaml drives once" "$RC" 0
expect_eq "init's config loads rows" "$(sq 'select count(*) from ventas_near_rt')" 20

# --- a custom contract: every constraint kind, through the binary ----------------------
fresh
cat > c.yaml <<'YAML'
paths: {incoming: in, processed: done, failed: bad, work: in/.work}
sqlite: {path: db.sqlite, table: people}
log: {path: ""}
quality: {max_reject_ratio: 1}
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
metrics:
  n: "count()"
  avg_score: "avg(score)"
YAML
cat > in.csv <<'CSV'
email,code,country,name,born,score,active
a@x,1,ES,Ana,01/02/1990,50,true
b@x,2,es,Bob,01/02/1990,50,true
c@x,3,FR,C,01/02/1990,50,false
d@x,4,FR,Dolores,01/02/1990,50,1
e@x,5,FR,Eve,31/12/1899,50,0
f@x,6,FR,Fay,01/02/1990,100.5,true
g@x,7,FR,Gil,01/02/1990,-1,TRUE
h@x,8,FR,Hal,01/02/1990,NA,yes
a@x,9,FR,Ida,01/02/1990,1,false
j@x,1,ES,Jo,01/02/1990,1,false
k@x,10,DE,NA,NA,NA,NA
CSV
mkdir -p in && mv in.csv in/in.csv
run -c c.yaml once
SQ_DB=db.sqlite
expect_eq "custom: loaded rows" "$(sq 'select count(*) from people')" 2
for rule in pattern minLength maxLength minimum maximum adult_score type unique primaryKey; do
    n=$(sq "select count(*) from people_rejects where rule='$rule'")
    if [ "$n" -ge 1 ]; then ok "custom: rule $rule"; else not_ok "custom: rule $rule" "$(sq 'select line, rule, message from people_rejects')"; fi
done
expect_eq "custom: missing values are null" "$(sq "select coalesce(name,'<null>')||coalesce(born,'<null>') from people where code=10")" "<null><null>"
expect_eq "custom: date format parsed, stored ISO" "$(sq "select born||' '||born_year from people where code=1")" "1990-02-01 1990"
expect_match "custom: rule message" "$(sq "select message from people_rejects where rule='adult_score'")" 'score must not be negative'
expect_match "custom: metrics" "$(sq 'select metrics from sluice_files')" '"n":2,"avg_score":50'
SQ_DB=

# --- on_duplicate_key: update and reject -----------------------------------------------
for mode in update reject; do
    fresh
    printf 'quality: {on_duplicate_key: %s, max_reject_ratio: 0.5}\n' "$mode" > sluice.yaml
    mkdir -p ingest/incoming
    printf '%s\n1,1,1,2,10.00,20.00,2025-01-01 10:00:00,tarjeta,completada\n' "$hdr" > ingest/incoming/a.csv
    run once
    printf '%s\n1,9,9,1,5.00,5.00,2025-02-01 10:00:00,paypal,devuelta\n2,1,1,1,5.00,5.00,2025-02-01 10:00:00,paypal,devuelta\n' "$hdr" > ingest/incoming/b.csv
    run once
    if [ "$mode" = update ]; then
        expect_eq "update: existing key replaced" "$(sq 'select cliente_id||estado from ventas_near_rt where venta_id=1')" "9devuelta"
        expect_eq "update: counted" "$(sq "select rows_loaded||'/'||rows_duplicate_key||'/'||status from sluice_files where file_name='b.csv'")" "2/0/ok"
    else
        expect_eq "reject: existing key kept" "$(sq 'select estado from ventas_near_rt where venta_id=1')" "completada"
        expect_match "reject: reason names the key and file" "$(sq "select rule||': '||message from ventas_near_rt_rejects")" "duplicate_key: primary key 1 is already in the table \(loaded from a.csv\)"
        expect_eq "reject: file partial" "$(sq "select status from sluice_files where file_name='b.csv'")" partial
    fi
done

# --- CSV grammar through the binary ----------------------------------------------------
fresh
cat > sluice.yaml <<'YAML'
quality: {max_reject_ratio: 1}
contract:
  fields:
    - {name: id, type: integer}
    - {name: note, type: string}
derive: []
rules: []
metrics: {rows: "count()"}
YAML
mkdir -p ingest/incoming
printf '\xef\xbb\xbfid,note\r\n1,"a, ""quoted""\r\nvalue"\r\n\r\n2,plain\r\n3,"x"y\r\n4\r\n5,\x00nul\r\n6,\xc0\xaf\r\n7,last' > ingest/incoming/g.csv
run once
expect_eq "grammar: exit 0" "$RC" 0
expect_eq "grammar: BOM stripped, rows loaded" "$(sq 'select group_concat(id) from ventas_near_rt')" "1,2,7"
expect_eq "grammar: quoted CRLF and quotes kept" "$(sq "select hex(note) from ventas_near_rt where id=1")" "$(printf 'a, "quoted"\r\nvalue' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
expect_eq "grammar: reject rules" "$(sq 'select group_concat(rule) from (select rule from ventas_near_rt_rejects order by line)')" "stray_quote,ragged_row,nul_byte,invalid_utf8"
expect_eq "grammar: physical lines" "$(sq 'select group_concat(line) from (select line from ventas_near_rt_rejects order by line)')" "6,7,8,9"
expect_eq "grammar: blank line counted" "$(sq 'select blank_lines from sluice_files')" 1
printf 'id,note\n1,"never closed\n2,x\n' > ingest/incoming/u.csv
run once
expect_eq "unclosed quote fails the file" "$RC" 1
expect_match "unclosed quote names the line" "$(cat ingest/failed/u.csv.error.json)" 'line 2'
: > ingest/incoming/empty.csv
run once
expect_match "empty file fails with a reason" "$OUT" 'empty.csv: .*empty'
printf 'id,note\n' > ingest/incoming/h.csv
run once
expect_eq "header only is ok with 0 rows" "$(sq "select status||rows_total from sluice_files where file_name='h.csv'")" "ok0"

e2e_done
