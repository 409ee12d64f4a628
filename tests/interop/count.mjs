// count.mjs DIR KEY - rows and distinct KEY values of every Parquet file under DIR, read by
// DuckDB; prints "rows|distinct" (the crash test compares it with SQLite).
import { DuckDBInstance } from '@duckdb/node-api';

const [dir, key] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const r = await con.runAndReadAll(
    `SELECT count(*)::VARCHAR || '|' || count(DISTINCT "${key}")::VARCHAR AS v
     FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true)`);
console.log(r.getRows()[0][0]);
