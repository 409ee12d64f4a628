// bench_duckdb_table.mjs CSV OUT_PREFIX - DuckDB's own CSV -> table load into a database file on
// disk, the durable peer of `make bench`'s end-to-end row.  Loads OUT_PREFIX.9.duckdb with
// CREATE TABLE AS SELECT * FROM read_csv (the CSV's 9 columns, types sniffed) and
// OUT_PREFIX.12.duckdb with the same 12 columns sluice loads (plus anio, mes and
// ticket_unitario).  Each is timed from opening the (new) database file to closing it, with an
// explicit CHECKPOINT so the rows are in the database file itself, not only in its WAL; Node's
// start-up and module load are excluded, in DuckDB's favour.  Prints the seconds of each,
// space-separated.  The OUT_PREFIX.*.duckdb files must not exist yet.
import { DuckDBInstance } from '@duckdb/node-api';

const [csv, out] = process.argv.slice(2);
const loads = [
    [`SELECT * FROM read_csv('${csv}')`, `${out}.9.duckdb`],
    [`SELECT *, year(fecha_venta) AS anio, strftime(fecha_venta, '%Y-%m') AS mes,
             total / cantidad AS ticket_unitario FROM read_csv('${csv}')`, `${out}.12.duckdb`],
];
const times = [];
for (const [q, file] of loads) {
    const t0 = process.hrtime.bigint();
    const db = await DuckDBInstance.create(file);
    const con = await db.connect();
    await con.run(`CREATE TABLE ventas AS ${q}`);
    await con.run('CHECKPOINT');
    con.closeSync();
    db.closeSync();
    times.push((Number(process.hrtime.bigint() - t0) / 1e9).toFixed(3));
}
console.log(times.join(' '));
