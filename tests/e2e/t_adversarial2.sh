# t_adversarial2.sh - more hostile inputs through the real binary (`sluice once`, and
# `sluice run` for what reaches the daemon), for the cases t_adversarial.sh does not cover:
# an empty file, a header only, BOM + CRLF, a 10 MB quoted field, 100,000 columns, 200 MB
# without a newline (peak RSS checked), NUL bytes and invalid UTF-8 in data and in the
# header, an unterminated quote at EOF, ragged rows, a symlink to /etc/passwd and a FIFO
# renamed into a running daemon's folder, and an odd file name through the daemon.  Also
# the hardening checks: output modes (0640 files, 0750 folders), `run` refusing root, and
# the config that hung libfyaml (found by fuzz/fuzz_config.c).
# Already covered by t_adversarial.sh, so not repeated here: duplicate header names, a
# trailing delimiter, a file truncated mid-row, a binary file and a gzip file named .csv,
# numbers with +, spaces, thousands separators, 1e309 and NaN, dates like 2025-02-30 and
# 24:00:00, odd file names, and a symlink and a FIFO under `sluice once`.
#
# All cases share one working folder, so data accumulates: each case states its expected
# outcome (loaded / quarantined row / failed file with a reason naming file, line, column or
# rule), and after each one `intact` checks that everything loaded before it is unchanged
# (rows and ledger rows, byte for byte), that the database passes integrity_check, and that
# a normal file still loads.  Big inputs are generated with head -c from /dev/zero and
# deleted afterwards.
. "$(dirname "$0")/lib.sh"
e2e_setup
e2e_daemons
hdr='venta_id,cliente_id,producto_id,cantidad,precio_unitario,total,fecha_venta,metodo_pago,estado'
# vrow ID [METODO] [ESTADO]: one valid seed row
vrow() {
    printf '%s,1,1,2,10.00,20.00,2025-01-01 10:00:00,%s,%s\n' "$1" "${2:-tarjeta}" "${3:-completada}"
}
status_of() { # status_of NAME: status|loaded|rejected|error_code|error of the file's ledger row
    sq "select status||'|'||rows_loaded||'|'||rows_rejected||'|'||coalesce(error_code,'')||'|'||coalesce(error,'')
        from sluice_files where file_name='$1' order by id desc limit 1"
}
rows_hash() { # rows, ledger rows and rejects of files with id <= $1 (rejects: rowid <= $2)
    {
        sq "select venta_id,cliente_id,producto_id,cantidad,precio_unitario,total,fecha_venta,
                   metodo_pago,estado,anio,mes,ticket_unitario,_sluice_file_id
            from ventas_near_rt where _sluice_file_id <= $1 order by venta_id"
        sq "select id,file_name,sha256,status,rows_loaded,rows_rejected,error_code,archived_as
            from sluice_files where id <= $1 order by id"
        sq "select source_file,line,column_name,rule,length(raw_line) from ventas_near_rt_rejects
            where rowid <= ${2:-0} order by rowid"
    } 2>/dev/null | sha256sum | cut -d' ' -f1
}
# snap: remember the state before a case; intact LABEL: check it after the case.
snap() {
    PREV=$(sq 'select coalesce(max(id), 0) from sluice_files' 2>/dev/null || echo 0)
    PREV_REJ=$(sq 'select coalesce(max(rowid), 0) from ventas_near_rt_rejects' 2>/dev/null || echo 0)
    PREV_HASH=$(rows_hash "$PREV" "$PREV_REJ")
    PREV_PROCESSED=$(ls -A ingest/processed 2>/dev/null | LC_ALL=C sort)
}
HID=800000
intact() {
    expect_eq "$1: earlier rows, ledger and rejects unchanged" "$(rows_hash "$PREV" "$PREV_REJ")" "$PREV_HASH"
    local gone
    gone=$(LC_ALL=C comm -23 <(printf '%s\n' "$PREV_PROCESSED") <(ls -A ingest/processed | LC_ALL=C sort) | tr '\n' ' ')
    expect_eq "$1: earlier processed inputs still there" "$gone" ""
    expect_eq "$1: database integrity" "$(sq 'pragma integrity_check')" ok
    HID=$((HID + 1))
    { echo "$hdr"; vrow "$HID"; vrow "$((HID + 50000))"; } > "ingest/incoming/healthy_$HID.csv"
    timeout 60 "$SLUICE" once >/dev/null 2>&1
    expect_eq "$1: a valid file still loads afterwards" "$(status_of "healthy_$HID.csv")" "ok|2|0||"
    expect_eq "$1: no claim left behind" "$(find ingest/.work -mindepth 1 | wc -l | tr -d ' ')" 0
}
# drop NAME: the input (on stdin) into incoming/
drop() { cat > "ingest/incoming/$1"; }

fresh
mkdir -p ingest/incoming
{ echo "$hdr"; vrow 1; vrow 2; vrow 3; } | drop base.csv
run once
expect_eq "base file loads" "$(status_of base.csv)" "ok|3|0||"
umask_was=$(umask)

# --- output modes: files 0640, folders 0750 (umask 022 here) ----------------------------------
expect_eq "modes: database 0640" "$(stat -c %a "$DB")" 640
expect_eq "modes: log 0640" "$(stat -c %a logs/sluice.log)" 640
expect_eq "modes: Parquet files 0640" \
    "$(find outputs/parquet -type f -name '*.parquet' -printf '%m\n' | sort -u)" 640
expect_eq "modes: folders 0750" \
    "$(find outputs logs ingest/processed ingest/.work -type d -printf '%m\n' | sort -u)" 750

# --- 1. an empty file ----------------------------------------------------------------------------
# Expected: failed, bad_input_file "empty file: no header row"; error.json next to it.
snap
: | drop empty.csv
run once
expect_eq "empty: exit 1" "$RC" 1
expect_eq "empty: failed with a reason" "$(status_of empty.csv)" "failed|0|0|bad_input_file|empty file: no header row"
expect_match "empty: stderr names the file" "$OUT" 'FAILED +empty\.csv: empty file: no header row'
expect_eq "empty: archived in failed/ with error.json" "$(count_files ingest/failed 'empty.csv*')" 2
intact "empty"

# --- 2. a header and no rows ---------------------------------------------------------------------
# Expected: ok with 0 rows (a valid, empty delivery), archived in processed/.
snap
echo "$hdr" | drop hdronly.csv
run once
expect_eq "header only: exit 0" "$RC" 0
expect_eq "header only: ok, 0 rows" "$(status_of hdronly.csv)" "ok|0|0||"
expect_eq "header only: archived" "$(count_files ingest/processed hdronly.csv)" 1
intact "header only"

# --- 3. a UTF-8 BOM and CRLF line ends -----------------------------------------------------------
# Expected: loaded; the BOM is not part of the first column name, \r is not part of the last
# value (estado stays 'completada', which is in the enum).
snap
printf '\xef\xbb\xbf%s\r\n' "$hdr" > ingest/incoming/bomcrlf.csv
{ vrow 101; vrow 102 efectivo pendiente; } | sed 's/$/\r/' >> ingest/incoming/bomcrlf.csv
run once
expect_eq "BOM+CRLF: ok" "$(status_of bomcrlf.csv)" "ok|2|0||"
expect_eq "BOM+CRLF: values clean" "$(sq "select group_concat(venta_id||':'||metodo_pago||':'||estado||':'||length(estado)) from (select * from ventas_near_rt where venta_id in (101,102) order by venta_id)")" \
    "101:tarjeta:completada:10,102:efectivo:pendiente:9"
intact "BOM+CRLF"

# --- 4. a quoted field with 10 MB of text ---------------------------------------------------------
# Expected with the default limits: failed, limit_exceeded "line 3: field 8 is longer than
# 1048576 bytes (limits.max_field_bytes)".  With limits raised to 16 MiB / 32 MiB the same
# bytes are read whole; the 10 MB value is not an allowed metodo_pago, so that row is
# quarantined (rule enum, column metodo_pago, its raw line kept whole) and the rest loads.
snap
big10() {
    echo "$hdr"
    vrow 201
    printf '202,1,1,2,10.00,20.00,2025-01-01 10:00:00,"'
    head -c 10485760 /dev/zero | tr '\0' 'q'
    printf '",completada\n'
    for i in 203 204 205 206 207 208; do vrow "$i"; done
}
big10 | drop big10.csv
run once
expect_eq "10MB field: exit 1" "$RC" 1
expect_eq "10MB field: fails at the field limit" "$(status_of big10.csv)" \
    "failed|0|0|limit_exceeded|line 3: field 8 is longer than 1048576 bytes (limits.max_field_bytes)"
intact "10MB field"
snap
printf 'limits: {max_field_bytes: 16MiB, max_record_bytes: 32MiB}\n' > sluice.yaml
big10 | drop big10b.csv
run once
rm -f sluice.yaml
expect_eq "10MB field, raised limits: partial" "$(status_of big10b.csv)" "partial|7|1||"
expect_eq "10MB field, raised limits: row quarantined by enum, raw line whole" \
    "$(sq "select line||'|'||column_name||'|'||rule||'|'||length(raw_line) from ventas_near_rt_rejects where source_file='big10b.csv'")" \
    "3|metodo_pago|enum|10485815"
expect_match "10MB field, raised limits: message quotes the value shortened" \
    "$(sq "select length(message) < 1000 from ventas_near_rt_rejects where source_file='big10b.csv'")" '^1$'
rm -f ingest/failed/big10* ingest/processed/big10*
intact "10MB field, raised limits"

# --- 5. 100,000 columns --------------------------------------------------------------------------
# Expected: failed, limit_exceeded "line 1: record has more than 4096 fields
# (limits.max_columns)", found while reading the header, with little memory.
snap
{
    printf '%s' "$hdr"
    head -c 99991 /dev/zero | tr '\0' 'x' | sed 's/x/,c/g'
    printf '\n'
    vrow 301
} | drop wide.csv
/usr/bin/time -o rss.txt -f %M "$SLUICE" once > out.txt 2>&1
RC=$?
expect_eq "100k columns: exit 1" "$RC" 1
expect_eq "100k columns: fails at the column limit" "$(status_of wide.csv)" \
    "failed|0|0|limit_exceeded|line 1: record has more than 4096 fields (limits.max_columns)"
rss=$(tail -1 rss.txt)
if [ "$rss" -lt 102400 ]; then ok "100k columns: peak RSS ${rss} KB < 100 MB"; else not_ok "100k columns: bounded memory" "${rss} KB"; fi
rm -f rss.txt out.txt
intact "100k columns"

# --- 6. 200 MB without a single newline ----------------------------------------------------------
# Expected: failed fast and cleanly, limit_exceeded "line 1: field 1 is longer than 1048576
# bytes (limits.max_field_bytes)" (the input is hashed, then read only up to the limit);
# peak RSS well under 100 MB; the input ends in failed/ untouched.
snap
head -c 209715200 /dev/zero | tr '\0' 'z' > ingest/incoming/nonl200.csv
t0=$(date +%s%N)
/usr/bin/time -o rss.txt -f %M "$SLUICE" once > out.txt 2>&1
RC=$?
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "200MB no newline: exit 1" "$RC" 1
expect_eq "200MB no newline: fails at the field limit" "$(status_of nonl200.csv)" \
    "failed|0|0|limit_exceeded|line 1: field 1 is longer than 1048576 bytes (limits.max_field_bytes)"
rss=$(tail -1 rss.txt)
if [ "$rss" -lt 102400 ]; then ok "200MB no newline: peak RSS ${rss} KB < 100 MB"; else not_ok "200MB no newline: bounded memory" "peak RSS ${rss} KB"; fi
if [ "$ms" -lt 20000 ]; then ok "200MB no newline: done in ${ms} ms"; else not_ok "200MB no newline: quick" "${ms} ms"; fi
expect_eq "200MB no newline: input kept whole in failed/" "$(stat -c %s ingest/failed/nonl200.csv 2>/dev/null)" 209715200
rm -f rss.txt out.txt ingest/failed/nonl200.csv*
intact "200MB no newline"

# --- 7. NUL bytes, invalid UTF-8, ragged rows in the data --------------------------------------
# Expected: partial; each bad row is quarantined with its physical line, column and rule:
# a NUL inside a value (nul_byte), a Latin-1 byte (invalid_utf8), 10 fields and 3 fields
# (ragged_row); the 17 good rows load.
snap
{
    echo "$hdr"
    printf '401,1,1,2,10.00,20.00,2025-01-01 10:00:00,tar\0jeta,completada\n'
    for i in 402 403 404 405 406; do vrow "$i"; done
    printf '407,1,1,2,10.00,20.00,2025-01-01 10:00:00,tarjeta,complet\xe9da\n'
    echo "$(vrow 408 | tr -d '\n'),extra"
    echo "409,1,1"
    for i in $(seq 410 421); do vrow "$i"; done
} | drop dirty.csv
run once
expect_eq "dirty rows: exit 0" "$RC" 0
expect_eq "dirty rows: partial" "$(status_of dirty.csv)" "partial|17|4||"
expect_eq "dirty rows: each quarantined with line, column, rule" \
    "$(sq "select group_concat(line||':'||coalesce(column_name,'-')||':'||rule, ' ') from (select * from ventas_near_rt_rejects where source_file='dirty.csv' order by line)")" \
    "2:metodo_pago:nul_byte 8:estado:invalid_utf8 9:-:ragged_row 10:-:ragged_row"
expect_eq "dirty rows: ragged messages" \
    "$(sq "select group_concat(message, ' / ') from (select * from ventas_near_rt_rejects where source_file='dirty.csv' and rule='ragged_row' order by line)")" \
    "the row has 10 fields, the header has 9 / the row has 3 fields, the header has 9"
expect_eq "dirty rows: raw bytes kept (NUL included)" \
    "$(sq "select hex(substr(raw_line, 45, 3)) from ventas_near_rt_rejects where source_file='dirty.csv' and line=2")" "72006A"
expect_eq "dirty rows: rejects.csv written" "$(count_files ingest/failed dirty.csv.rejects.csv)" 1
intact "dirty rows"

# --- 8. a NUL byte and invalid UTF-8 in the header ----------------------------------------------
# Expected: failed, header_error naming line 1 and the column.
snap
{ printf 'venta_id,cliente_id,producto_id,cantidad,precio_unitario,total,fecha_venta,metodo_pago,est\xffado\n'; vrow 501; } | drop hdrutf8.csv
{ printf 'venta_id,cliente_id\0,producto_id,cantidad,precio_unitario,total,fecha_venta,metodo_pago,estado\n'; vrow 502; } | drop hdrnul.csv
run once
expect_eq "header invalid UTF-8: failed" "$(status_of hdrutf8.csv)" \
    "failed|0|0|header_error|line 1: header column 9: invalid_utf8"
expect_eq "header NUL: failed" "$(status_of hdrnul.csv)" \
    "failed|0|0|header_error|line 1: header column 2: nul_byte"
expect_eq "header problems: nothing loaded" "$(sq 'select count(*) from ventas_near_rt where venta_id in (501, 502)')" 0
intact "bad header bytes"

# --- 9. an unterminated quote at end of file ----------------------------------------------------
# Expected: failed, csv_error naming the line where the quoted field starts; nothing of the
# file loads (not even the valid rows before it).
snap
{ echo "$hdr"; vrow 601; vrow 602; printf '603,1,1,2,10.00,20.00,2025-01-01 10:00:00,"tarjeta,completada\n604,1,1'; } | drop unterm.csv
run once
expect_eq "unterminated quote: exit 1" "$RC" 1
expect_eq "unterminated quote: failed" "$(status_of unterm.csv)" \
    "failed|0|0|csv_error|unclosed quote: the quoted field starting on line 4 is never closed"
expect_eq "unterminated quote: nothing loaded" "$(sq 'select count(*) from ventas_near_rt where venta_id between 601 and 604')" 0
expect_match "unterminated quote: error.json" "$(cat ingest/failed/unterm.csv.error.json)" '"error_code": "csv_error"'
intact "unterminated quote"

# --- 10. the config that hung libfyaml (fuzz_config) --------------------------------------------
# Expected: config error (78) at once, naming the file, line and byte; not a hang.
snap
printf '%% \xea' > hang.yaml
OUT=$(timeout 10 "$SLUICE" -c hang.yaml once 2>&1)
RC=$?
expect_eq "fuzzed config: exit 78 (not a hang)" "$RC" 78
expect_match "fuzzed config: reason" "$OUT" 'hang\.yaml:1: invalid UTF-8 at byte 3'
rm -f hang.yaml
intact "fuzzed config"

# --- 11. `sluice run` refuses root --------------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
    OUT=$(env -u SLUICE_ALLOW_ROOT timeout 10 "$SLUICE" run --poll --max-iterations 1 2>&1)
    RC=$?
    expect_eq "run as root: refused (exit 2)" "$RC" 2
    expect_match "run as root: clear error" "$OUT" 'refusing to run as root.*--allow-root'
    OUT=$(env -u SLUICE_ALLOW_ROOT timeout 30 "$SLUICE" run --allow-root --poll --interval 100ms --max-iterations 1 2>&1)
    expect_eq "run as root with --allow-root: runs" "$?" 0
    OUT=$("$SLUICE" run --help 2>&1)
    expect_match "run --help documents --allow-root" "$OUT" '--allow-root'
else
    ok "run as root: (not root, skipped)"
fi

# --- 12. the daemon: a symlink to /etc/passwd, a FIFO, an odd name, renamed in ----------------
# Expected: the daemon never follows the link (target untouched, link left in place), never
# blocks on the FIFO (left in place), loads the odd-named file under its exact name, keeps
# taking files, and stops cleanly (exit 0) on SIGTERM.
snap
passwd_sum=$(sha256sum /etc/passwd | cut -d' ' -f1)
start_daemon --interval 300ms
if [ $? -eq 0 ]; then ok "daemon: started"; else not_ok "daemon: started" "$(cat daemon.out)"; fi
mkdir -p staging
ln -s /etc/passwd staging/passwd.csv
mkfifo staging/pipe.csv
odd=$'odd "name"\n with \xff.csv'
{ echo "$hdr"; vrow 701; vrow 702; } > "staging/$odd"
mv staging/passwd.csv staging/pipe.csv ingest/incoming/
mv "staging/$odd" ingest/incoming/
{ echo "$hdr"; vrow 703; } > staging/after.csv
mv staging/after.csv ingest/incoming/after.csv
wait_for 15 "[ \"\$(sq \"select status from sluice_files where file_name='after.csv'\")\" = ok ]"
hexodd=$(printf '%s' "$odd" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
expect_eq "daemon: later file loaded" "$(status_of after.csv)" "ok|1|0||"
expect_eq "daemon: odd name loaded under its exact name" \
    "$(sq "select status||'|'||rows_loaded from sluice_files where hex(file_name)='$hexodd'")" "ok|2"
if [ -f "ingest/processed/$odd" ]; then ok "daemon: odd name archived byte for byte"; else not_ok "daemon: odd name archived" "$(ls -b ingest/processed)"; fi
sleep 0.7 # two more rescans see the link and the FIFO again
if kill -0 "$DPID" 2>/dev/null; then ok "daemon: alive after the FIFO and the link"; else not_ok "daemon: alive" "$(cat daemon.out)"; fi
expect_eq "daemon: /etc/passwd untouched" "$(sha256sum /etc/passwd | cut -d' ' -f1)" "$passwd_sum"
expect_eq "daemon: the link stays in incoming/" "$(readlink ingest/incoming/passwd.csv)" /etc/passwd
expect_eq "daemon: the FIFO stays in incoming/" "$(stat -c %F ingest/incoming/pipe.csv)" fifo
expect_eq "daemon: no ledger row for them" "$(sq "select count(*) from sluice_files where file_name in ('passwd.csv','pipe.csv')")" 0
expect_match "daemon: skips logged with a reason" \
    "$(grep -a '"event":"file_skipped"' logs/sluice.log | grep -aoE '"reason":"[^"]*"' | sort -u | tr '\n' ' ')" \
    'a symbolic link.*FIFO|FIFO.*a symbolic link'
stop_daemon TERM
expect_eq "daemon: SIGTERM exits 0" "$DRC" 0
rm -f ingest/incoming/passwd.csv ingest/incoming/pipe.csv
intact "daemon hostile names"

umask "$umask_was"
e2e_done
