# t_parquet.sh - sluice's Parquet output read back by two independent readers (DuckDB and
# hyparquet, through tests/interop/check.mjs) and compared with the SQLite table: types,
# counts, sums, min/max, sample rows, footer statistics, metadata; partition layout, codecs,
# row groups, Parquet-only mode, re-drops and odd partition values.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
INTEROP=$ROOT/tests/interop

# --- the readers: node + tests/interop/node_modules (npm ci once) -------------------------
if ! command -v node >/dev/null 2>&1; then
    echo "not ok interop: node not found (the Parquet interop test needs Node.js 20+)"
    exit 1
fi
if [ ! -d "$INTEROP/node_modules/@duckdb/node-api" ] || [ ! -d "$INTEROP/node_modules/hyparquet" ] ||
    [ ! -d "$INTEROP/node_modules/hyparquet-compressors" ]; then
    if ! npm_out=$(npm ci --prefix "$INTEROP" --no-audit --no-fund 2>&1); then
        echo "not ok interop: npm ci failed"
        printf '%s\n' "$npm_out" | tail -15
        exit 1
    fi
fi
e2e_setup

# pq_expect OUT LABEL TABLE "col:type ..." "partcol ..." KEY SAMPLE_WHERE [EXTRA_JSON]
# Writes OUT (the EXPECT.json of check.mjs) from sqlite3 queries on TABLE in $DB. Integers
# are passed as text (int64 is beyond a JS number), reals as %!.17g text (exact), dates and
# datetimes as SQLite holds them. Partition columns: an empty string counts as null (it is
# written as __HIVE_DEFAULT_PARTITION__). EXTRA_JSON is merged over the result (json_patch).
pq_expect() {
    local out=$1 label=$2 table=$3 spec=$4 parts=$5 key=$6 where=$7 extra=${8:-'{}'}
    local types='' cols='' sample='' partjson='' c t x q p ct
    extra=${extra//\'/\'\'}
    for p in $parts; do partjson="$partjson${partjson:+,}'$p'"; done
    for ct in $spec; do
        c=${ct%%:*}
        t=${ct#*:}
        q="\"$c\""
        x=$q
        case " $parts " in *" $c "*) x="nullif($q,'')" ;; esac
        types="$types${types:+,}'$c','$t'"
        local nul="sum($x IS NULL)" sum='' mn="min($x)" mx="max($x)" val="$q"
        case $t in
        integer)
            sum="decimal_sum($x)"
            mn="cast(min($x) as text)" mx="cast(max($x) as text)"
            val="cast($x as text)"
            ;;
        number)
            sum="CASE WHEN count($x) THEN printf('%!.17g', sum($x)) END"
            mn="CASE WHEN count($x) THEN printf('%!.17g', min($x)) END"
            mx="CASE WHEN count($x) THEN printf('%!.17g', max($x)) END"
            val="CASE WHEN $x IS NOT NULL THEN printf('%!.17g', $x) END"
            ;;
        esac
        cols="$cols${cols:+,}'$c',(SELECT json_object('nulls',$nul,'min',$mn,'max',$mx${sum:+,'sum',$sum}) FROM \"$table\")"
        sample="$sample${sample:+,}'$c',$val"
    done
    sq "SELECT json_patch(json_object(
            'label','$label', 'dir','outputs/parquet', 'hive',json('$([ -n "$parts" ] && echo true || echo false)'),
            'rows',(SELECT count(*) FROM \"$table\"),
            'types',json_object($types), 'partition',json_array($partjson),
            'cols',json_object($cols), 'key','$key',
            'sample',(SELECT json_group_array(json_object($sample)) FROM \"$table\" WHERE $where)),
        json('$extra'))" >"$out"
}

# pq_check EXPECT: runs the two readers and passes their ok/not ok lines on.
pq_check() {
    local res n
    res=$(cd "$(dirname "$1")" && node "$INTEROP/check.mjs" "$1" 2>&1)
    n=$(printf '%s\n' "$res" | grep -c '^\(ok\|not ok\) ')
    if [ "$n" -eq 0 ]; then
        not_ok "check.mjs $(basename "$1")" "no result lines: $(printf '%s' "$res" | tail -5 | tr '\n' ' ')"
        return
    fi
    printf '%s\n' "$res" | grep '^\(ok\|not ok\) '
    n=$(printf '%s\n' "$res" | grep -c '^not ok ')
    E2E_FAILS=$((E2E_FAILS + n))
}

pq_files() { find "${1:-outputs/parquet}" -type f -name '*.parquet' 2>/dev/null | wc -l | tr -d ' '; }

VENTAS="venta_id:integer cliente_id:integer producto_id:integer cantidad:integer precio_unitario:number
total:number fecha_venta:datetime metodo_pago:string estado:string anio:integer mes:string ticket_unitario:number"

# --- (a) the demo: partitioned by anio/mes, the issue's query ----------------------------
fresh
run gen 5 --rows 2000 --bad-ratio 0.05
expect_eq "a: gen exits 0" "$RC" 0
run once
expect_eq "a: once exits 0" "$RC" 0
loaded=$(sq 'select count(*) from ventas_near_rt')
expect_eq "a: rows loaded" "$loaded" "$(sq 'select sum(rows_loaded) from sluice_files')"
np=$(pq_files)
if [ "$np" -gt 1 ]; then ok "a: Parquet files written ($np)"; else not_ok "a: Parquet files written" "got $np"; fi
expect_eq "a: every file under anio=*/mes=*/" \
    "$(find outputs/parquet -type f 2>/dev/null | grep -cvE '^outputs/parquet/anio=[0-9]{4}/mes=[0-9]{4}-[0-9]{2}/ventas_[A-Za-z0-9_.-]*-[0-9a-f]{16}\.parquet$')" 0
expect_eq "a: no temporaries left" "$(find outputs/parquet -name '*.tmp' 2>/dev/null | wc -l | tr -d ' ')" 0
want=$(sq "SELECT json_array(count(*), printf('%!.17g', sum(total))) FROM ventas_near_rt")
parts=$(sq "SELECT group_concat(k, ',') FROM (SELECT anio||'|'||mes||'|'||count(*) AS k FROM ventas_near_rt GROUP BY anio, mes ORDER BY k)")
pq_expect "$PWD/expect.json" a ventas_near_rt "$VENTAS" "anio mes" venta_id \
    "venta_id IN (SELECT min(venta_id) FROM ventas_near_rt UNION SELECT max(venta_id) FROM ventas_near_rt) OR venta_id % 499 = 0" \
    "{\"sql_equal\": [
       {\"name\": \"count(*), sum(total)\", \"want\": $want,
        \"sql\": \"SELECT count(*), sum(total) FROM read_parquet('outputs/parquet/**/*.parquet', hive_partitioning=1)\"},
       {\"name\": \"rows per anio/mes\", \"want\": [\"$parts\"],
        \"sql\": \"SELECT string_agg(k, ',' ORDER BY k) FROM (SELECT anio||'|'||mes||'|'||count(*) AS k FROM read_parquet('outputs/parquet/**/*.parquet', hive_partitioning=1) GROUP BY anio, mes)\"}],
      \"codec\": \"ZSTD\"}"
pq_check "$PWD/expect.json"

# --- (g) re-dropping the same files creates no second Parquet file -----------------------
before=$(find outputs/parquet -type f 2>/dev/null | sort | xargs -r sha256sum)
cp ingest/processed/*.csv ingest/incoming/
cp "$(ls ingest/processed/*.csv | head -1)" ingest/incoming/renamed_copy.csv
run once
expect_eq "g: re-drop exits 0" "$RC" 0
expect_eq "g: re-drop recorded as duplicate" "$(sq "select count(*) from sluice_files where status='duplicate'")" 6
expect_eq "g: same Parquet file count" "$(pq_files)" "$np"
after=$(find outputs/parquet -type f 2>/dev/null | sort | xargs -r sha256sum)
if [ "$before" == "$after" ]; then ok "g: Parquet files untouched"; else not_ok "g: Parquet files untouched" "listing or content changed"; fi

# --- (b) a file with 0 valid rows writes no Parquet file ----------------------------------
fresh
mkdir -p ingest/incoming
printf 'quality: {max_reject_ratio: 1}\n' >sluice.yaml
hdr='venta_id,cliente_id,producto_id,cantidad,precio_unitario,total,fecha_venta,metodo_pago,estado'
printf '%s\n1,1,1,0,10.00,0.00,2025-01-01 10:00:00,tarjeta,completada\n2,1,1,1,10.00,10.00,2025-01-01 10:00:00,bitcoin,completada\nx,1,1,1,1.00,1.00,2025-01-01 10:00:00,paypal,pendiente\n' "$hdr" >ingest/incoming/allbad.csv
run once
expect_eq "b: all-bad file exits 0" "$RC" 0
expect_eq "b: ledger: partial, 0 loaded, 3 rejected" "$(sq "select status||'/'||rows_loaded||'/'||rows_rejected from sluice_files")" "partial/0/3"
expect_eq "b: no Parquet file anywhere" "$(pq_files .)" 0
printf '{"label":"b","dir":"outputs/parquet","hive":true,"rows":0,"types":{},"partition":["anio","mes"]}' >expect.json
pq_check "$PWD/expect.json"

# --- (c) every type, extremes, Unicode, a 100 KB string, a column entirely null ----------
fresh
mkdir -p ingest/incoming
cat >sluice.yaml <<'EOF'
sqlite: {table: edge}
quality: {max_reject_ratio: 0}
contract:
  primaryKey: id
  fields:
    - {name: id, type: integer}
    - {name: i, type: integer}
    - {name: d, type: number}
    - {name: s, type: string}
    - {name: b, type: boolean}
    - {name: dt, type: date}
    - {name: ts, type: datetime}
    - {name: empty_s, type: string}
    - {name: empty_d, type: number}
    - {name: empty_ts, type: datetime}
EOF
big=$(head -c 102400 /dev/zero | tr '\0' 'x')
{
    echo 'id,i,d,s,b,dt,ts,empty_s,empty_d,empty_ts'
    echo '1,-9223372036854775808,-0.0,héllo wörld,true,2025-01-02,2025-01-02 03:04:05.123456,,,'
    echo '2,9223372036854775807,1e308,日本語 🦆,false,1970-01-01,1970-01-01 00:00:00,,,'
    echo "3,0,5e-324,A${big}é,TRUE,1969-12-31,1969-12-31 23:59:59.999999,,,"
    echo '4,-1,-1.5,"quoted, with ""comma""",0,2000-02-29,2000-02-29T12:00,,,'
    echo '5,42,0.1,"two
lines",1,9999-12-31,9999-12-31 23:59:59.999999,,,'
    echo '6,,,,,,,,,'
    echo '7,9007199254740993,2.2250738585072014e-308,ｚｚ full width,False,1900-01-01,1900-01-01 00:00:00.000001,,,'
    echo '8,-9007199254740993,123456.789,🦆 first,1,2024-02-29,2024-02-29 00:00:01,,,'
    echo '9,1,0.30000000000000004,Ω≈ç√∫ 	tab,true,2025-12-31,2025-12-31 23:59:59,,,'
} >ingest/incoming/edge.csv
run once
expect_eq "c: edge file exits 0" "$RC" 0
expect_eq "c: all 9 rows loaded" "$(sq 'select count(*) from edge')" 9
expect_eq "c: unpartitioned: files directly in parquet.dir" "$(find outputs/parquet -mindepth 2 -type f 2>/dev/null | wc -l | tr -d ' ')/$(pq_files)" "0/1"
pq_expect "$PWD/expect.json" c edge \
    "id:integer i:integer d:number s:string b:boolean dt:date ts:datetime empty_s:string empty_d:number empty_ts:datetime" \
    "" id "1"
pq_check "$PWD/expect.json"
if [ "$(pq_files)" -eq 1 ]; then
    f=$(find outputs/parquet -name '*.parquet')
    sign=$(cd "$INTEROP" && node --input-type=module -e "
        import { DuckDBInstance } from '@duckdb/node-api';
        const c = await (await DuckDBInstance.create()).connect();
        const r = await c.runAndReadAll(\"SELECT d FROM read_parquet('$E2E_DIR/w/$f') WHERE id = 1\");
        console.log(Object.is(r.getRows()[0][0], -0) ? 'negative zero' : String(r.getRows()[0][0]));" 2>&1)
    expect_eq "c: -0.0 is stored as -0.0" "$sign" "negative zero"
fi

# --- (d) many row groups: row_group_rows 1000, 20,000 rows -------------------------------
fresh
mkdir -p ingest/incoming
cat >sluice.yaml <<'EOF'
sqlite: {table: rg}
contract:
  primaryKey: id
  fields:
    - {name: id, type: integer}
    - {name: v, type: number}
    - {name: s, type: string}
    - {name: ts, type: datetime}
    - {name: day, type: date}
parquet: {row_group_rows: 1000}
EOF
awk 'BEGIN { print "id,v,s,ts,day"; for (i = 1; i <= 20000; i++)
    printf "%d,%s,%s,2025-%02d-%02d %02d:%02d:%02d,2024-%02d-%02d\n", i, (i % 7 ? i * 0.25 : ""), (i % 5 ? "s" (i * 7919 % 20000) : ""),
        i % 12 + 1, i % 28 + 1, i % 24, i % 60, (i * 7) % 60, i % 12 + 1, i % 28 + 1 }' >ingest/incoming/rg.csv
run once
expect_eq "d: 20,000-row file exits 0" "$RC" 0
expect_eq "d: all rows loaded" "$(sq 'select count(*) from rg')" 20000
pq_expect "$PWD/expect.json" d rg "id:integer v:number s:string ts:datetime day:date" "" id \
    "id IN (1, 999, 1000, 1001, 2000, 8192, 8193, 19999, 20000) OR id % 4999 = 0" '{"row_group_rows": 1000}'
pq_check "$PWD/expect.json"

# --- (e) every codec ----------------------------------------------------------------------
for codec in zstd snappy gzip none; do
    fresh
    mkdir -p ingest/incoming
    cat >sluice.yaml <<EOF
sqlite: {table: z}
contract:
  primaryKey: id
  fields:
    - {name: id, type: integer}
    - {name: s, type: string}
    - {name: v, type: number}
    - {name: ok, type: boolean}
parquet: {compression: $codec}
EOF
    awk 'BEGIN { print "id,s,v,ok"; for (i = 1; i <= 3000; i++) printf "%d,text %d %s,%d.5,%s\n", i, i % 17, (i % 3 ? "abc" : "xyz"), i, (i % 2 ? "true" : "false") }' >ingest/incoming/z.csv
    run once
    expect_eq "e $codec: once exits 0" "$RC" 0
    want=$(case $codec in none) echo UNCOMPRESSED ;; *) echo "$codec" | tr "[:lower:]" "[:upper:]" ;; esac)
    pq_expect "$PWD/expect.json" "e-$codec" z "id:integer s:string v:number ok:boolean" "" id "id IN (1, 1500, 3000)" "{\"codec\": \"$want\"}"
    pq_check "$PWD/expect.json"
done

# --- (f) Parquet only: sqlite.enabled false ------------------------------------------------
fresh
printf 'sqlite: {enabled: false}\n' >sluice.yaml
run gen 2 --rows 1000 --bad-ratio 0.05 --seed 11
bad=$(printf '%s' "$OUT" | sed -n 's/.* 2000 rows, \([0-9]*\) bad.*/\1/p')
run once
expect_eq "f: Parquet-only once exits 0" "$RC" 0
expect_eq "f: ledger rows_loaded = generated - bad" "$(sq 'select sum(rows_loaded) from sluice_files')" "$((2000 - bad))"
expect_eq "f: no target table" "$(sq "select count(*) from sqlite_master where name='ventas_near_rt'")" 0
expect_eq "f: rejects still recorded" "$(sq 'select count(*) from ventas_near_rt_rejects')" "$bad"
printf '{"label":"f","dir":"outputs/parquet","hive":true,"rows":%d,"partition":["anio","mes"],"key":"venta_id","types":{%s}}' \
    "$((2000 - bad))" "$(for ct in $VENTAS; do printf '"%s":"%s",' "${ct%%:*}" "${ct#*:}"; done | sed 's/,$//')" >expect.json
pq_check "$PWD/expect.json"

# --- (h) partition by a string with odd values ---------------------------------------------
fresh
mkdir -p ingest/incoming
cat >sluice.yaml <<'EOF'
sqlite: {table: odd}
contract:
  primaryKey: id
  missingValues: ["NA"]
  fields:
    - {name: id, type: integer}
    - {name: part, type: string}
    - {name: v, type: number}
parquet: {partition_by: [part]}
EOF
{
    echo 'id,part,v'
    n=0
    for p in 'a/b' '..' '.' 'x=y' '' 'NA' 'plain' 'with space' 'ümlaut 日本' '%41' 'back\slash' 'c:colon' '*?<>|' '"q"' '#hash' '.hidden'; do
        for _ in 1 2; do
            n=$((n + 1))
            printf '%d,"%s",%d.25\n' "$n" "${p//\"/\"\"}" "$n"
        done
    done
} >ingest/incoming/odd.csv
run once
expect_eq "h: odd partitions exit 0" "$RC" 0
expect_eq "h: all rows loaded" "$(sq 'select count(*) from odd')" 32
expect_eq "h: no Parquet file outside parquet.dir" "$(find . -name '*.parquet' -not -path './outputs/parquet/*' | wc -l | tr -d ' ')" 0
expect_eq "h: only part=<value> folders, one level" \
    "$(find outputs/parquet -mindepth 1 -type d 2>/dev/null | grep -cvE '^outputs/parquet/part=[^/]*$')/$(find outputs/parquet -mindepth 3 2>/dev/null | wc -l | tr -d ' ')" "0/0"
expect_eq "h: 15 partition folders (empty and null share one)" "$(find outputs/parquet -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l | tr -d ' ')" 15
for d in 'part=a%2Fb' 'part=x%3Dy' 'part=__HIVE_DEFAULT_PARTITION__' 'part=plain' 'part=with space' 'part=%2541'; do
    if [ -n "$(find outputs/parquet -maxdepth 1 -type d -iname "$d" 2>/dev/null)" ]; then ok "h: folder $d"; else
        not_ok "h: folder $d" "not in: $(ls outputs/parquet 2>/dev/null | tr '\n' ' ')"; fi
done
pq_expect "$PWD/expect.json" h odd "id:integer part:string v:number" "part" id "1"
pq_check "$PWD/expect.json"

# --- (h2) partition values that do not fit a folder name, or look like the null marker ---
# Whatever sluice does with them (reject the row, fail the file, encode them some other way),
# each row it loads must read back with its own value, the dataset must stay readable, and
# no input may be stuck in incoming/ (retried for ever as "transient").
fresh
mkdir -p ingest/incoming
cat >sluice.yaml <<'EOF'
sqlite: {table: odd}
quality: {max_reject_ratio: 1}
contract:
  primaryKey: id
  fields:
    - {name: id, type: integer}
    - {name: part, type: string}
parquet: {partition_by: [part]}
EOF
l250=$(head -c 250 /dev/zero | tr '\0' L)
e120=$(for i in $(seq 120); do printf 'é'; done)
printf 'id,part\n1,%sb\n2,%sc\n3,a%s\n4,__HIVE_DEFAULT_PARTITION__\n5,\n6,plain\n' "$l250" "$l250" "$e120" >ingest/incoming/long.csv
printf 'id,part\n7,%s\n8,plain\n' "$(head -c 100 /dev/zero | tr '\0' '/')" >ingest/incoming/slashes.csv
run once
expect_eq "h2: no input left in incoming" "$(count_files ingest/incoming)" 0
expect_eq "h2: every input in the ledger" "$(sq 'select count(*) from sluice_files')" 2
pq_expect "$PWD/expect.json" h2 odd "id:integer part:string" "part" id "1"
pq_check "$PWD/expect.json"

e2e_done
