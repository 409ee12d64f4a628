// kv.mjs DIR KEY - the distinct values of key-value metadata KEY over every Parquet file
// under DIR, read by DuckDB (parquet_kv_metadata), one per line, sorted.
import { DuckDBInstance } from '@duckdb/node-api';

const [dir, key] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const r = await con.runAndReadAll(
    `SELECT DISTINCT decode(value) AS v FROM parquet_kv_metadata('${dir}/**/*.parquet')
     WHERE decode(key) = '${key}' ORDER BY v`);
for (const row of r.getRows()) console.log(row[0]);
