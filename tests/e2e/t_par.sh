# t_par.sh - a big file parsed on several threads (load_par.c) ends exactly as when read by
# one thread: same ledger counts, same rows, same rejects with the same lines, columns, rules
# and messages (within-file duplicates across piece boundaries included), same rejects.csv,
# same file-level errors.  The inputs mix what makes cutting hard: a BOM, quoted fields,
# quoted newlines, CRLF and lone-CR line ends, blank lines, a record longer than the read
# window, an unclosed quote at the end.
. "$(dirname "$0")/lib.sh"
interop=$(cd "$(dirname "$0")/../interop" && pwd)
e2e_setup

mkdir -p "$E2E_DIR/src"
"$SLUICE" -q gen 1 --rows 60000 --bad-ratio 0.04 --seed 21 --out "$E2E_DIR/src/g" >/dev/null
base0=$(ls "$E2E_DIR"/src/g/*.csv)
# each input gets its own venta_id range (offset K), so no file's rows collide with another's
ids() { awk -v k="$1" 'BEGIN { FS = OFS = "," } NR > 1 && $1 ~ /^[0-9]+$/ { $1 = sprintf("%.0f", $1 + k * 100000000) } { print }' "$base0"; }
ids 0 > "$E2E_DIR/src/plain.csv"
base="$E2E_DIR/src/plain.csv"

# mixed.csv: BOM; every 7th row's estado quoted; every 997th a metodo_pago with a quoted
# newline (an enum reject spanning two lines); every 1,001st line CRLF; every 3,001st
# followed by a blank line; the 11th data row repeated at the end (a duplicate far from its
# first sighting, in another piece).
awk 'BEGIN { ORS = "" }
     NR == 1 { printf "\xef\xbb\xbf%s\n", $0; next }
     NR == 12 { keep = $0 }
     {
        n = split($0, f, ",")
        if (NR % 7 == 0) f[n] = "\"" f[n] "\""
        if (NR % 997 == 0) f[n - 1] = "\"tar\njeta\""
        line = f[1]; for (i = 2; i <= n; i++) line = line "," f[i]
        print line (NR % 1001 == 0 ? "\r\n" : "\n")
        if (NR % 3001 == 0) print "\n"
     }
     END { print keep "\n" }' <(ids 1) > "$E2E_DIR/src/mixed.csv"
# crlf_cr.csv: all CRLF, then a tail of lone-CR line ends (not cuttable: read serially)
awk 'NR <= 30000 { printf "%s\r\n", $0; next } { printf "%s\r", $0 }' <(ids 2) > "$E2E_DIR/src/crlf_cr.csv"
# long.csv: a 5 MB quoted field in the middle (limits raised below): a record longer than the
# read window
awk 'NR == 30000 { printf "%s,\"", $0; for (i = 0; i < 50000; i++) printf "%s", "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"; print "\"" ; next } { print }' <(ids 3) > "$E2E_DIR/src/long.csv"
# unclosed.csv: an opening quote never closed, near the end
awk '{ print } END { print "99999999,1,1,1,1.0,1.0,\"2024-01-01 00:00:00,efectivo,completada" }' <(ids 4) > "$E2E_DIR/src/unclosed.csv"

# A failed file's counts and report are what was found before the fatal error, which depends
# on how far the writing got: for unclosed.csv only the verdict and the error are compared.
state() { # everything that must not depend on how the file was read
    sq "select file_name, status, rows_total, rows_loaded, rows_rejected, rows_duplicate_key, blank_lines,
               coalesce(error_code, ''), coalesce(error, '') from sluice_files where file_name != 'unclosed.csv'
        union all select file_name, status, rows_total, '', '', '', blank_lines, error_code, error
        from sluice_files where file_name = 'unclosed.csv' order by 1;
        select count(*), sum(venta_id % 1000000), round(sum(total), 2), sum(length(metodo_pago)) from ventas_near_rt;
        select source_file, line, coalesce(column_name, ''), rule, message, length(raw_line)
        from ventas_near_rt_rejects where source_file != 'unclosed.csv' order by source_file, id;" 2>&1
    find ingest -name '*.rejects.csv' ! -name 'unclosed*' | sort | xargs cat | md5sum
}

# parse_threads 0 reads serially (the reference); 1 and 2 cut the files into pieces.
for w in 0 1 2; do
    fresh
    printf 'parse_threads: %s\nlimits: {max_field_bytes: 8MiB, max_record_bytes: 8MiB}\nquality: {max_reject_ratio: 0.5}\n' "$w" > sluice.yaml
    mkdir -p ingest/incoming
    cp "$E2E_DIR"/src/*.csv ingest/incoming/
    run once
    expect_eq "parse_threads $w: once exits 1 (unclosed.csv fails)" "$RC" 1
    eval "state_$w=\"\$(state)\""
    if [ "$w" = 0 ]; then
        expect_eq "every file recorded" "$(sq 'select count(*) from sluice_files')" 5
        expect_match "the unclosed quote is named with its line" \
            "$(sq "select error from sluice_files where file_name = 'unclosed.csv'")" 'line 60002'
        rej() { sq "select $1 from ventas_near_rt_rejects where source_file = 'mixed.csv' $2"; }
        expect_match "the far duplicate names the line it was first seen on" \
            "$(rej message "and line = (select max(line) from ventas_near_rt_rejects where source_file = 'mixed.csv')")" \
            'first seen on line 12\)'
        expect_eq "the quoted-newline rows are rejected on their own lines" \
            "$(rej "group_concat(line)" "and rule = 'enum' and raw_line like '%tar%' and line < 2000")" '997,1995'
        expect_match "blank lines counted" "$(sq "select blank_lines from sluice_files where file_name = 'mixed.csv'")" '^[1-9][0-9]*$'
        expect_match "the long record is loaded" "$(sq "select status, rows_loaded from sluice_files where file_name = 'long.csv'")" '^(ok|partial)\|[0-9]+$'
    else
        expect_eq "parse_threads $w: same ledger, rows, rejects and reports as one thread" "$(state)" "$state_0"
    fi
done
# Parquet only (sqlite.enabled false): parse_threads auto cuts files; the ledger, rejects and
# Parquet rows equal a serial read's.
for w in 0 auto; do
    fresh
    printf 'parse_threads: %s\nsqlite: {enabled: false}\nlimits: {max_field_bytes: 8MiB, max_record_bytes: 8MiB}\nquality: {max_reject_ratio: 0.5}\n' "$w" > sluice.yaml
    mkdir -p ingest/incoming
    cp "$E2E_DIR"/src/*.csv ingest/incoming/
    run once
    eval "pq_$w=\"\$(state)\""
    if [ -d "$interop/node_modules/@duckdb/node-api" ]; then
        eval "pqrows_$w=\"\$(node "$interop/count.mjs" outputs/parquet venta_id 2>&1)\""
    fi
done
expect_eq "Parquet only, parse_threads auto: same ledger and rejects as a serial read" "$pq_auto" "$pq_0"
if [ -d "$interop/node_modules/@duckdb/node-api" ]; then
    expect_eq "Parquet only, parse_threads auto: same Parquet rows (DuckDB)" "$pqrows_auto" "$pqrows_0"
    expect_match "Parquet only: rows were written" "$pqrows_0" '^[1-9][0-9]*\|'
fi

# A big file (over 4 MiB) is hashed on a thread beside its load: the ledger and the Parquet
# names carry its real hash, and a copy of it under another name, caught only after its
# rows were loaded, leaves nothing behind: no rows, rejects, report or Parquet file.
for cfg in "" "sqlite: {enabled: false}"; do
    fresh
    printf '%s\nquality: {max_reject_ratio: 0.5}\n' "$cfg" > sluice.yaml
    mkdir -p ingest/incoming
    cp "$E2E_DIR/src/mixed.csv" ingest/incoming/m1.csv
    run once
    sha=$(sha256sum "$E2E_DIR/src/mixed.csv" | cut -c1-64)
    expect_eq "late hash ($cfg): the ledger has the file's sha256" \
        "$(sq "select status, sha256 from sluice_files where file_name = 'm1.csv'")" "partial|$sha"
    pq1=$(cd outputs/parquet && find . -type f | sort)
    expect_match "late hash ($cfg): Parquet names carry the hash" "$pq1" "m1-${sha:0:16}\.parquet"
    if [ -d "$interop/node_modules/@duckdb/node-api" ]; then
        expect_eq "late hash ($cfg): the Parquet metadata has the hash (DuckDB)" \
            "$(node "$interop/kv.mjs" outputs/parquet sluice.source_sha256 2>&1)" "$sha"
    fi
    rows1=$(sq "select sum(rows_loaded), (select count(*) from ventas_near_rt_rejects) from sluice_files" 2>/dev/null)
    cp "$E2E_DIR/src/mixed.csv" ingest/incoming/m2.csv
    run once
    expect_eq "late hash ($cfg): the copy is a duplicate of the first" \
        "$(sq "select status, duplicate_of = (select id from sluice_files where file_name = 'm1.csv'), rows_loaded, rows_rejected, sha256 from sluice_files where file_name = 'm2.csv'")" \
        "duplicate|1|0|0|$sha"
    expect_eq "late hash ($cfg): no rows or rejects of the copy" \
        "$(sq "select sum(rows_loaded), (select count(*) from ventas_near_rt_rejects) from sluice_files" 2>/dev/null)" "$rows1"
    expect_eq "late hash ($cfg): no Parquet file of the copy, no temporaries" \
        "$(cd outputs/parquet && find . -type f | sort)" "$pq1"
    expect_eq "late hash ($cfg): no report of the copy" "$(count_files ingest/failed 'm2*')" 0
    expect_eq "late hash ($cfg): the copy is archived" "$(count_files ingest/processed 'm2*')" 1
done
e2e_done
