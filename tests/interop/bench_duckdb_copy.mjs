// bench_duckdb_copy.mjs CSV OUT_PREFIX - DuckDB's own CSV -> Parquet (zstd), the peer of
// `make bench`.  Writes OUT_PREFIX.9.parquet with the query (the CSV's 9 columns) and
// OUT_PREFIX.12.parquet with the same 12 columns sluice writes (plus anio, mes and
// ticket_unitario).  Prints the seconds of each COPY statement (start-up excluded, in DuckDB's
// favour), space-separated.
import { DuckDBInstance } from '@duckdb/node-api';

const [csv, out] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const queries = [
    [`SELECT * FROM read_csv('${csv}')`, `${out}.9.parquet`],
    [`SELECT *, year(fecha_venta) AS anio, strftime(fecha_venta, '%Y-%m') AS mes,
             total / cantidad AS ticket_unitario FROM read_csv('${csv}')`, `${out}.12.parquet`],
];
const times = [];
for (const [q, file] of queries) {
    const t0 = process.hrtime.bigint();
    await con.run(`COPY (${q}) TO '${file}' (FORMAT PARQUET, COMPRESSION ZSTD)`);
    times.push((Number(process.hrtime.bigint() - t0) / 1e9).toFixed(3));
}
console.log(times.join(' '));
