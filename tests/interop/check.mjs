// check.mjs - reads sluice's Parquet output with two independent readers (DuckDB and
// hyparquet) and compares what they see with what the shell test expects (taken from the
// SQLite table).  Usage: node tests/interop/check.mjs EXPECT.json
//
// EXPECT.json:
//   dir        parquet root (relative to the current folder or absolute)
//   hive       true when the files are Hive-partitioned (<col>=<value>/...)
//   rows       expected total row count
//   types      {col: sluice type}: integer | number | string | boolean | date | datetime,
//              for every column (partition columns included)
//   partition  [col, ...]: partition columns, in path order (not stored inside the files)
//   cols       {col: {nulls, sum, min, max}} (each key optional; integers as strings or
//              numbers, reals as numbers or strings such as printf('%!.17g'))
//   sample     [{col: value}]: rows as SQLite gives them; key: the column to find them by
//   label      optional prefix for every line (the scenario's name)
//   sql_equal  optional [{name, sql, want: [v, ...]}]: DuckDB queries and their expected row
//   codec      optional: every column chunk must use it (ZSTD, SNAPPY, GZIP, UNCOMPRESSED)
//   row_group_rows  optional: no row group above it, and each file has at least
//              ceil(file rows / row_group_rows) row groups
//   created_by_prefix  optional, default "sluice"
//
// Prints one line per check: "ok <reader>: <what>" or "not ok <reader>: <what>: got X,
// want Y".  Always exits 0: the shell counts the lines.
import { readFileSync, readdirSync, lstatSync } from 'node:fs'
import path from 'node:path'

const TOL = 1e-9
// A string chunk may leave out min/max (both) when one of them is longer than this.
const LONG_STRING_BOUND = 4096

// ---------------------------------------------------------------------------------------
// Output

let LABEL = ''
function who(reader) {
  return LABEL ? `${LABEL}/${reader}` : reader
}
function oneLine(s) {
  return String(s).replace(/[\r\n]+/g, ' ')
}
function ok(reader, what) {
  console.log(`ok ${reader === null ? (LABEL || 'interop') : who(reader)}: ${oneLine(what)}`)
}
function notOk(reader, what, got, want) {
  let line = `not ok ${reader === null ? (LABEL || 'interop') : who(reader)}: ${oneLine(what)}`
  if (got !== undefined || want !== undefined) line += `: got ${oneLine(got)}, want ${oneLine(want)}`
  console.log(line)
}
function check(reader, what, pass, got, want) {
  if (pass) ok(reader, what)
  else notOk(reader, what, got, want)
}

// ---------------------------------------------------------------------------------------
// Canonical values: integer -> BigInt, number -> Number, string -> string,
// boolean -> boolean, date -> days since 1970-01-01 (Number), datetime -> microseconds
// since 1970-01-01 00:00:00 (BigInt).  A value that does not parse becomes {bad: text}.

class Bad {
  constructor(v) { this.text = typeof v === 'bigint' ? `${v}n` : safeJson(v) }
}
function safeJson(v) {
  if (v instanceof Uint8Array) return `bytes ${JSON.stringify(Buffer.from(v).toString('latin1'))}`
  try { return JSON.stringify(v) ?? String(v) } catch { return String(v) }
}

function utcMs(y, mo, d, h = 0, mi = 0, s = 0) {
  const t = new Date(0)
  t.setUTCFullYear(y, mo - 1, d)
  t.setUTCHours(h, mi, s, 0)
  return t.getTime()
}
const DATE_RE = /^(-?\d{4,})-(\d\d)-(\d\d)$/
const TS_RE = /^(-?\d{4,})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?)?$/

function canon(type, v) {
  if (v === null || v === undefined) return null
  if (v instanceof Bad) return v
  switch (type) {
    case 'integer':
      if (typeof v === 'bigint') return v
      if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v)
      if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return BigInt(v.trim())
      return new Bad(v)
    case 'number': {
      if (typeof v === 'number') return v
      if (typeof v === 'bigint') return Number(v)
      if (typeof v === 'string') {
        const s = v.trim()
        if (/^[+]?inf(inity)?$/i.test(s)) return Infinity
        if (/^-inf(inity)?$/i.test(s)) return -Infinity
        if (/^nan$/i.test(s)) return NaN
        const n = Number(s)
        if (s !== '' && !Number.isNaN(n)) return n
      }
      return new Bad(v)
    }
    case 'string':
      if (typeof v === 'string') return v
      if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8')
      return new Bad(v)
    case 'boolean':
      if (typeof v === 'boolean') return v
      if (v === 1 || v === 1n || v === '1' || v === 'true') return true
      if (v === 0 || v === 0n || v === '0' || v === 'false') return false
      return new Bad(v)
    case 'date': {
      if (typeof v === 'number' && Number.isInteger(v)) return v
      if (v instanceof Date) return Math.floor(v.getTime() / 86400000)
      const m = typeof v === 'string' && DATE_RE.exec(v)
      if (m) return Math.round(utcMs(+m[1], +m[2], +m[3]) / 86400000)
      return new Bad(v)
    }
    case 'datetime': {
      if (typeof v === 'bigint') return v
      if (v instanceof Date) return BigInt(v.getTime()) * 1000n
      const m = typeof v === 'string' && TS_RE.exec(v)
      if (m) {
        const ms = utcMs(+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0))
        const frac = BigInt(((m[7] ?? '') + '000000').slice(0, 6))
        return BigInt(ms) * 1000n + frac
      }
      return new Bad(v)
    }
    default:
      return new Bad(v)
  }
}

function eq(type, a, b) {
  if (a === null || b === null) return a === b
  if (a instanceof Bad || b instanceof Bad) return false
  if (type === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b))
  return a === b
}
function close(a, b) {
  if (a === null || b === null) return a === b
  if (a instanceof Bad || b instanceof Bad) return false
  if (a === b) return true
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false
  return Math.abs(a - b) <= TOL * Math.max(Math.abs(a), Math.abs(b))
}
function cmp(type, a, b) {
  if (type === 'string') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
  if (type === 'boolean') return (a ? 1 : 0) - (b ? 1 : 0)
  return a < b ? -1 : a > b ? 1 : 0
}

function fmtDays(days) {
  const t = new Date(days * 86400000)
  return isNaN(t) ? `day ${days}` : t.toISOString().slice(0, 10).replace(/^\+0*/, '')
}
function fmtMicros(us) {
  let s = us / 1000000n
  let r = us % 1000000n
  if (r < 0n) { r += 1000000n; s -= 1n }
  const t = new Date(Number(s) * 1000)
  if (isNaN(t)) return `${us}us`
  const base = t.toISOString().slice(0, 19).replace('T', ' ')
  return r === 0n ? base : `${base}.${String(r).padStart(6, '0')}`
}
function show(type, v) {
  if (v === null) return 'null'
  if (v instanceof Bad) return `unparseable ${v.text.length > 100 ? v.text.slice(0, 100) + '…' : v.text}`
  switch (type) {
    case 'integer': return String(v)
    case 'number': return Object.is(v, -0) ? '-0' : String(v)
    case 'date': return fmtDays(v)
    case 'datetime': return fmtMicros(v)
    case 'string': {
      const j = JSON.stringify(v)
      return j.length > 100 ? `${j.slice(0, 80)}…(${v.length} chars)` : j
    }
    default: return String(v)
  }
}

// ---------------------------------------------------------------------------------------
// Expectations

const expectPath = process.argv[2]
if (!expectPath) {
  notOk(null, 'usage: node check.mjs EXPECT.json')
  process.exit(0)
}
let E
try {
  E = JSON.parse(readFileSync(expectPath, 'utf8'))
} catch (e) {
  notOk(null, `cannot read ${expectPath}: ${e.message}`)
  process.exit(0)
}
LABEL = E.label ?? ''
const DIR = E.dir
const HIVE = !!E.hive
const TYPES = E.types ?? {}
const PART = E.partition ?? []
const DATA_COLS = Object.keys(TYPES).filter((c) => !PART.includes(c))
const KEY = E.key
const CREATED_BY = E.created_by_prefix ?? 'sluice'

// Every *.parquet under DIR (regular files only), sorted. Names are read as bytes: a name
// that is not valid UTF-8 is kept (RAW maps the lossy text to the real path) and reported.
const RAW = new Map()
const BAD_NAMES = []
function walk(dirBuf) {
  const out = []
  let ents
  try {
    ents = readdirSync(dirBuf, { withFileTypes: true, encoding: 'buffer' })
  } catch (e) {
    if (e.code === 'ENOENT' && dirBuf === ROOT_BUF) return out
    throw e
  }
  for (const d of ents) {
    const nameBuf = Buffer.from(d.name)
    const p = Buffer.concat([dirBuf, Buffer.from('/'), nameBuf])
    const text = p.toString('utf8')
    if (!Buffer.from(text, 'utf8').equals(p)) BAD_NAMES.push(text)
    if (d.isDirectory()) out.push(...walk(p))
    else if (text.endsWith('.parquet') && lstatSync(p).isFile()) {
      RAW.set(text, p)
      out.push(text)
    }
  }
  return out.sort()
}
const ROOT_BUF = Buffer.from(DIR.replace(/\/+$/, '') || '.')

let FILES
try {
  FILES = walk(ROOT_BUF)
} catch (e) {
  notOk(null, `cannot list ${DIR}: ${e.message}`)
  process.exit(0)
}
if (FILES.length === 0) {
  if (E.rows === 0) ok(null, 'no Parquet file for 0 rows')
  else notOk(null, `Parquet files under ${DIR}`, 'none', `files holding ${E.rows} rows`)
  process.exit(0)
}
if (E.rows === 0) {
  notOk(null, 'no Parquet file for 0 rows', `${FILES.length} file(s): ${FILES.slice(0, 3).join(' ')}`, 'none')
}

// ---------------------------------------------------------------------------------------
// What a reader hands to the common checks:
//   columns   [name] of the data columns stored in the files (union over files)
//   rows      [{col: canonical}] with the partition columns filled in
//   agg       {col: {nulls, sum, min, max}} canonical (computed by the reader itself)
//   chunks    [{file, rg, col, numRows, stats: {nulls, min, max, minExact, maxExact},
//               actual: {nulls, min, max}, codec}]
//   fileRows  [{file, numRows (footer), rowGroups: [n...]}]
//   meta      [{file, createdBy, kv: {key: value}}]

function aggregate(rows, col, type) {
  let nulls = 0
  let sum = null
  let min = null
  let max = null
  for (const r of rows) {
    const v = r[col]
    if (v === null || v === undefined) { nulls++; continue }
    if (v instanceof Bad) continue
    if (type === 'integer') sum = (sum ?? 0n) + v
    else if (type === 'number') sum = (sum ?? 0) + v
    if (min === null || cmp(type, v, min) < 0) min = v
    if (max === null || cmp(type, v, max) > 0) max = v
  }
  return { nulls, sum, min, max }
}

function commonChecks(R, model) {
  const { rows, agg } = model

  // Row count, footer counts, layout of row groups.
  check(R, 'row count', rows.length === E.rows, rows.length, E.rows)
  const footerTotal = model.fileRows.reduce((s, f) => s + f.numRows, 0)
  const rgMismatch = model.fileRows.find((f) => f.rowGroups.reduce((s, n) => s + n, 0) !== f.numRows)
  check(R, `footer num_rows of ${model.fileRows.length} file(s) add up to the rows read`,
    footerTotal === rows.length && !rgMismatch,
    rgMismatch ? `${rgMismatch.file}: row groups ${rgMismatch.rowGroups.join('+')} vs num_rows ${rgMismatch.numRows}` : footerTotal,
    rows.length)
  const empty = model.fileRows.find((f) => f.numRows === 0)
  check(R, 'no file without rows', !empty, empty?.file, 'none')
  if (E.row_group_rows) {
    const N = E.row_group_rows
    let bad = null
    let total = 0
    for (const f of model.fileRows) {
      total += f.rowGroups.length
      const big = f.rowGroups.find((n) => n > N)
      if (big !== undefined) bad = bad ?? `${f.file}: a row group of ${big} rows`
      const need = Math.ceil(f.numRows / N)
      if (f.rowGroups.length < need) bad = bad ?? `${f.file}: ${f.rowGroups.length} row groups for ${f.numRows} rows`
    }
    check(R, `row groups of at most ${N} rows (${total} row groups)`, !bad, bad, `<= ${N} rows each`)
  }
  if (E.codec) {
    const want = E.codec.toUpperCase()
    const badc = model.chunks.find((c) => c.codec !== want)
    check(R, `every column chunk compressed with ${want}`, !badc, badc && `${badc.codec} in ${badc.file} (${badc.col})`, want)
  }

  // Data columns stored in the files (partition columns must not be).
  const got = [...model.columns].sort()
  const want = [...DATA_COLS].sort()
  check(R, 'columns stored in the files', got.join(',') === want.join(','), got.join(','), want.join(','))

  // Per-column aggregates.
  for (const [col, exp] of Object.entries(E.cols ?? {})) {
    const type = TYPES[col]
    const a = agg[col]
    if (!a) { notOk(R, `column ${col}`, 'missing', 'present'); continue }
    if (exp.nulls !== undefined) check(R, `null count of ${col}`, a.nulls === Number(exp.nulls), a.nulls, exp.nulls)
    if (exp.sum !== undefined && (type === 'integer' || type === 'number')) {
      const w = canon(type, exp.sum)
      const pass = type === 'number' ? close(a.sum, w) : eq(type, a.sum, w)
      check(R, `sum of ${col}`, pass, show(type, a.sum), show(type, w))
    }
    for (const k of ['min', 'max']) {
      if (exp[k] === undefined) continue
      const w = canon(type, exp[k])
      check(R, `${k} of ${col}`, eq(type, a[k], w), show(type, a[k]), show(type, w))
    }
  }

  // Keys: each loaded row is in exactly one file.
  if (KEY && TYPES[KEY]) {
    const seen = new Map()
    let dup = null
    for (const r of rows) {
      const k = show(TYPES[KEY], r[KEY])
      if (seen.has(k)) dup = dup ?? k
      seen.set(k, r)
    }
    check(R, `each ${KEY} appears once (${seen.size} keys)`, !dup, dup && `${KEY}=${dup} twice`, 'no repeats')

    // Sample rows, looked up by key.
    for (const s of E.sample ?? []) {
      const k = canon(TYPES[KEY], s[KEY])
      const what = `sample row ${KEY}=${show(TYPES[KEY], k)}`
      const r = seen.get(show(TYPES[KEY], k))
      if (!r) { notOk(R, what, 'no such row', 'the row'); continue }
      const diffs = []
      for (const [col, raw] of Object.entries(s)) {
        const type = TYPES[col]
        if (!type) continue
        let w = canon(type, raw)
        // An empty partition value is written as __HIVE_DEFAULT_PARTITION__, read as null.
        if (PART.includes(col) && w === '') w = null
        const g = r[col] === undefined ? null : r[col]
        if (!eq(type, g, w)) diffs.push(`${col}: got ${show(type, g)}, want ${show(type, w)}`)
      }
      if (diffs.length) notOk(R, `${what}: ${diffs.join('; ')}`)
      else ok(R, what)
    }
  }

  // Footer statistics of each column chunk against the chunk's data.
  for (const col of DATA_COLS) {
    const type = TYPES[col]
    const chunks = model.chunks.filter((c) => c.col === col)
    let bad = null
    let omitted = 0
    for (const c of chunks) {
      const where = `${path.relative(DIR, c.file)} row group ${c.rg}`
      const st = c.stats
      const act = c.actual
      if (st.nulls === null || st.nulls === undefined) { bad = bad ?? [`${where}: null_count`, 'absent', act.nulls]; continue }
      if (Number(st.nulls) !== act.nulls) { bad = bad ?? [`${where}: null_count`, st.nulls, act.nulls]; continue }
      if (act.min === null) continue // all null: min/max may be absent
      if (type === 'string' && st.min == null && st.max == null &&
          Math.max(Buffer.byteLength(act.min), Buffer.byteLength(act.max)) > LONG_STRING_BOUND) {
        omitted++ // a bound too long to be worth writing: both left out (as parquet-java does)
        continue
      }
      for (const k of ['min', 'max']) {
        const sv = st[k]
        const av = act[k]
        if (sv === null || sv === undefined) { bad = bad ?? [`${where}: ${k}`, 'absent', show(type, av)]; continue }
        if (sv instanceof Bad) { bad = bad ?? [`${where}: ${k}`, show(type, sv), show(type, av)]; continue }
        const exact = k === 'min' ? st.minExact : st.maxExact
        let pass
        if (type === 'string' && exact === false) {
          // A truncated bound: must still bound the data.
          pass = k === 'min' ? cmp(type, sv, av) <= 0 : cmp(type, sv, av) >= 0
        } else {
          pass = eq(type, sv, av)
        }
        if (!pass) bad = bad ?? [`${where}: ${k}`, show(type, sv), show(type, av)]
      }
    }
    const what = `footer statistics of ${col} (${chunks.length} chunk(s)${omitted ? `, ${omitted} without min/max: a bound over ${LONG_STRING_BOUND} bytes` : ''})`
    if (bad) notOk(R, `${what}: ${bad[0]}`, bad[1], bad[2])
    else if (chunks.length === 0) notOk(R, what, 'no column chunk', 'one per row group')
    else ok(R, what)
  }

  // created_by and key-value metadata.
  const badCb = model.meta.find((m) => !(m.createdBy ?? '').startsWith(CREATED_BY))
  check(R, `created_by starts with "${CREATED_BY}"`, !badCb, badCb && JSON.stringify(badCb.createdBy ?? null), `"${CREATED_BY} …"`)
  let badKv = null
  for (const m of model.meta) {
    const v = m.kv['sluice.contract']
    if (v === undefined) { badKv = badKv ?? [`${m.file}: no sluice.contract`]; continue }
    try {
      const j = JSON.parse(v)
      if (j === null || typeof j !== 'object') badKv = badKv ?? [`${m.file}: sluice.contract is not a JSON object`]
    } catch (e) {
      badKv = badKv ?? [`${m.file}: sluice.contract is not JSON (${e.message})`]
    }
  }
  check(R, 'key-value metadata has sluice.contract (JSON)', !badKv, badKv?.[0], 'a JSON object in every file')
  if (!badKv && Object.keys(TYPES).length) {
    let badF = null
    for (const m of model.meta) {
      const fields = JSON.parse(m.kv['sluice.contract']).fields
      if (!Array.isArray(fields)) { badF = badF ?? `${m.file}: no "fields" list`; continue }
      for (const [col, type] of Object.entries(TYPES)) {
        const f = fields.find((x) => x && x.name === col)
        if (!f) badF = badF ?? `${m.file}: no field ${col}`
        else if (f.type !== type) badF = badF ?? `${m.file}: field ${col} has type ${JSON.stringify(f.type)}, want ${type}`
      }
    }
    check(R, 'sluice.contract lists every column with its type', !badF, badF, 'every column')
  }
}

// Partition values from a file's path, relative to DIR.
function partitionValues(file) {
  const rel = path.relative(DIR, file)
  const segs = rel.split(path.sep)
  const dirs = segs.slice(0, -1)
  const vals = {}
  if (!HIVE) {
    if (dirs.length) return { err: `${rel}: in a subfolder of an unpartitioned dir` }
    return { vals }
  }
  if (dirs.length !== PART.length) return { err: `${rel}: ${dirs.length} folder level(s), want ${PART.length}` }
  for (let i = 0; i < PART.length; i++) {
    const pre = `${PART[i]}=`
    if (!dirs[i].startsWith(pre)) return { err: `${rel}: level ${i + 1} is not ${pre}…` }
    const raw = dirs[i].slice(pre.length)
    if (raw === '__HIVE_DEFAULT_PARTITION__') { vals[PART[i]] = null; continue }
    let dec
    try {
      dec = decodeURIComponent(raw)
    } catch {
      return { err: `${rel}: bad %-escape in ${dirs[i]}` }
    }
    vals[PART[i]] = canon(TYPES[PART[i]], dec)
  }
  return { vals }
}

// ---------------------------------------------------------------------------------------
// hyparquet

function checkSchemaElement(type, el) {
  const lt = el.logical_type
  const ct = el.converted_type
  const desc = `${el.type}${lt ? ` ${lt.type}${lt.unit ? `(${lt.unit}, isAdjustedToUTC=${lt.isAdjustedToUTC})` : ''}${lt.bitWidth ? `(${lt.bitWidth}, ${lt.isSigned ? 'signed' : 'unsigned'})` : ''}` : ''}${ct ? ` [${ct}]` : ''}`
  let pass
  switch (type) {
    case 'integer':
      pass = el.type === 'INT64' && (!lt || (lt.type === 'INTEGER' && lt.bitWidth === 64 && lt.isSigned)) && (!ct || ct === 'INT_64')
      break
    case 'number':
      pass = el.type === 'DOUBLE' && !lt && !ct
      break
    case 'string':
      pass = el.type === 'BYTE_ARRAY' && lt?.type === 'STRING' && (!ct || ct === 'UTF8')
      break
    case 'boolean':
      pass = el.type === 'BOOLEAN' && !lt && !ct
      break
    case 'date':
      pass = el.type === 'INT32' && lt?.type === 'DATE' && (!ct || ct === 'DATE')
      break
    case 'datetime':
      pass = el.type === 'INT64' && lt?.type === 'TIMESTAMP' && lt.unit === 'MICROS' && lt.isAdjustedToUTC === false &&
        (!ct || ct === 'TIMESTAMP_MICROS')
      break
    default:
      pass = false
  }
  return { pass, desc }
}
const WANT_DESC = {
  integer: 'INT64 (INTEGER(64, signed) or none)',
  number: 'DOUBLE',
  string: 'BYTE_ARRAY STRING',
  boolean: 'BOOLEAN',
  date: 'INT32 DATE',
  datetime: 'INT64 TIMESTAMP(MICROS, isAdjustedToUTC=false)',
}

async function hyparquetModel() {
  const R = 'hyparquet'
  const { parquetMetadata, parquetReadObjects } = await import('hyparquet')
  const { compressors } = await import('hyparquet-compressors')
  const dataParsers = {
    dateFromDays: (d) => d,
    timestampFromMicroseconds: (us) => us,
    timestampFromMilliseconds: (ms) => new Bad(`TIMESTAMP_MILLIS ${ms}`),
    timestampFromNanoseconds: (ns) => new Bad(`TIMESTAMP_NANOS ${ns}`),
  }
  // Statistics: strings stay bytes (a truncated bound may end inside a character).
  const statParsers = { ...dataParsers, stringFromBytes: (b) => b }

  const model = { columns: new Set(), rows: [], chunks: [], fileRows: [], meta: [], agg: {} }
  const typeIssues = {} // col -> first mismatch
  const typeSeen = {}
  let layoutErr = null
  let partInFile = null

  for (const file of FILES) {
    const buf = readFileSync(RAW.get(file) ?? file)
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
    const md = parquetMetadata(ab, { parsers: statParsers })
    const kv = {}
    for (const { key, value } of md.key_value_metadata ?? []) kv[key] = value
    model.meta.push({ file, createdBy: md.created_by, kv })

    // Schema: flat, one leaf per column.
    const leaves = md.schema.slice(1)
    const byName = {}
    for (const el of leaves) {
      byName[el.name] = el
      model.columns.add(el.name)
      if (PART.includes(el.name)) partInFile = partInFile ?? `${el.name} in ${file}`
      const type = TYPES[el.name]
      if (!type || PART.includes(el.name)) continue
      const r = checkSchemaElement(type, el)
      typeSeen[el.name] = r.desc
      if (!r.pass && !typeIssues[el.name]) typeIssues[el.name] = r.desc
    }

    const pv = partitionValues(file)
    if (pv.err) layoutErr = layoutErr ?? pv.err

    const rows = await parquetReadObjects({ file: ab, compressors, parsers: dataParsers, utf8: true })
    const canonRows = rows.map((r) => {
      const o = {}
      for (const [k, v] of Object.entries(r)) {
        const t = TYPES[k]
        o[k] = t ? canon(t, v) : v
      }
      Object.assign(o, pv.vals ?? {})
      return o
    })
    model.rows.push(...canonRows)

    const rgs = md.row_groups.map((g) => Number(g.num_rows))
    model.fileRows.push({ file, numRows: Number(md.num_rows), rowGroups: rgs })
    let start = 0
    md.row_groups.forEach((g, rgi) => {
      const n = Number(g.num_rows)
      const slice = canonRows.slice(start, start + n)
      start += n
      for (const cc of g.columns) {
        const m = cc.meta_data
        if (!m) continue
        const col = m.path_in_schema.join('.')
        const type = TYPES[col]
        if (!type || PART.includes(col)) continue
        const s = m.statistics ?? {}
        const conv = (v) => {
          if (v === undefined || v === null) return null
          if (type === 'string') return v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : canon(type, v)
          return canon(type, v)
        }
        const stats = {
          nulls: s.null_count === undefined ? null : Number(s.null_count),
          min: conv(s.min_value ?? (type === 'string' ? undefined : s.min)),
          max: conv(s.max_value ?? (type === 'string' ? undefined : s.max)),
          minExact: s.is_min_value_exact,
          maxExact: s.is_max_value_exact,
        }
        // A truncated string bound can end inside a UTF-8 sequence: compare its bytes then.
        if (type === 'string' && s.min_value instanceof Uint8Array && Buffer.from(s.min_value).toString('utf8').includes('\uFFFD')) stats.minExact = false
        if (type === 'string' && s.max_value instanceof Uint8Array && Buffer.from(s.max_value).toString('utf8').includes('\uFFFD')) stats.maxExact = false
        const a = aggregate(slice, col, type)
        model.chunks.push({ file, rg: rgi, col, numRows: n, codec: m.codec, stats, actual: { nulls: a.nulls, min: a.min, max: a.max } })
      }
    })
  }

  for (const col of Object.keys(TYPES)) model.agg[col] = aggregate(model.rows, col, TYPES[col])

  // Reader-specific: physical/logical types and the path layout.
  for (const col of DATA_COLS) {
    if (!(col in typeSeen)) continue // reported by the column-set check
    const bad = typeIssues[col]
    check(R, `type of ${col} (${TYPES[col]})`, !bad, bad, WANT_DESC[TYPES[col]])
  }
  check(R, 'file and folder names are valid UTF-8', BAD_NAMES.length === 0, BAD_NAMES[0] && JSON.stringify(BAD_NAMES[0]), 'valid UTF-8')
  check(R, HIVE ? `Hive layout ${PART.map((c) => `${c}=…`).join('/')}/<file>` : 'files directly under dir', !layoutErr, layoutErr, 'every file')
  if (PART.length) check(R, 'partition columns not stored inside the files', !partInFile, partInFile, 'none')
  return model
}

// ---------------------------------------------------------------------------------------
// DuckDB

const DUCK_TYPE = {
  integer: 'BIGINT', number: 'DOUBLE', string: 'VARCHAR', boolean: 'BOOLEAN', date: 'DATE', datetime: 'TIMESTAMP',
}
const PHYS = { integer: 'INT64', number: 'DOUBLE', string: 'BYTE_ARRAY', boolean: 'BOOLEAN', date: 'INT32', datetime: 'INT64' }
function sqlStr(s) {
  return `'${String(s).replace(/'/g, "''")}'`
}
function ident(s) {
  return `"${String(s).replace(/"/g, '""')}"`
}

async function duckdbModel(conn) {
  const R = 'duckdb'
  const q = async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson()
  const glob = sqlStr(`${DIR.replace(/\/+$/, '')}/**/*.parquet`)
  const model = { columns: new Set(), rows: [], chunks: [], fileRows: [], meta: [], agg: {} }

  // Files DuckDB sees must be the files on disk.
  const seen = (await q(`SELECT file FROM glob(${glob}) ORDER BY file`)).map((r) => path.resolve(r.file))
  const onDisk = FILES.map((f) => path.resolve(f))
  check(R, `glob finds the ${onDisk.length} file(s) on disk`, seen.join('\n') === onDisk.join('\n'), seen.length, onDisk.length)

  // Schema, per file.
  const schema = await q(`SELECT file_name, name, type, converted_type, logical_type, duckdb_type FROM parquet_schema(${glob}) WHERE num_children IS NULL`)
  for (const s of schema) model.columns.add(s.name)
  for (const col of DATA_COLS) {
    const type = TYPES[col]
    const rows = schema.filter((s) => s.name === col)
    if (!rows.length) continue // reported by the column-set check
    const descs = [...new Set(rows.map((s) => `${s.duckdb_type} (${s.type}${s.converted_type ? ` [${s.converted_type}]` : ''}${s.logical_type ? ` ${s.logical_type}` : ''})`))]
    let pass = rows.every((s) => s.duckdb_type === DUCK_TYPE[type] && s.type === PHYS[type])
    if (type === 'datetime') pass &&= rows.every((s) => /MICROS=MicroSeconds\(\)/.test(s.logical_type ?? '') && /isAdjustedToUTC=0/.test(s.logical_type ?? ''))
    check(R, `type of ${col} (${type})`, pass, descs.join(' | '), `${DUCK_TYPE[type]} (${PHYS[type]}${type === 'datetime' ? ' TIMESTAMP MICROS, isAdjustedToUTC=0' : ''})`)
  }

  // DESCRIBE of the whole read: the SQL types a query sees (partition columns included).
  const desc = await q(`DESCRIBE SELECT * FROM read_parquet(${glob}, hive_partitioning = ${HIVE})`)
  const descType = Object.fromEntries(desc.map((d) => [d.column_name, d.column_type]))
  const badDesc = DATA_COLS.filter((c) => descType[c] !== undefined && descType[c] !== DUCK_TYPE[TYPES[c]])
  check(R, 'DESCRIBE read_parquet(...) types', badDesc.length === 0,
    badDesc.map((c) => `${c} ${descType[c]}`).join(', '), badDesc.map((c) => `${c} ${DUCK_TYPE[TYPES[c]]}`).join(', '))
  const missingPart = PART.filter((c) => !(c in descType))
  if (PART.length) check(R, 'hive partition columns visible', missingPart.length === 0, `missing ${missingPart.join(', ')}`, PART.join(', '))

  // All rows, partition values as text (typed by us, not guessed by DuckDB).
  const read = `read_parquet(${glob}, hive_partitioning = ${HIVE}, hive_types_autocast = false)`
  const reader = await conn.runAndReadAll(`SELECT * FROM ${read}`)
  const cols = reader.getColumnsObjectJson()
  const n = reader.currentRowCount
  const names = Object.keys(cols)
  for (let i = 0; i < n; i++) {
    const o = {}
    for (const c of names) {
      const t = TYPES[c]
      o[c] = t ? canon(t, cols[c][i]) : cols[c][i]
    }
    model.rows.push(o)
  }

  // Aggregates computed by DuckDB.
  // Partition values are read as text; a column of the wrong type is cast so that the
  // aggregates still run (its type check has already failed).
  const typed = (c) => (!PART.includes(c) && descType[c] === DUCK_TYPE[TYPES[c]] ? ident(c) : `TRY_CAST(${ident(c)} AS ${DUCK_TYPE[TYPES[c]]})`)
  const aggCols = Object.keys(TYPES).filter((c) => c in descType)
  if (aggCols.length) {
    const sel = aggCols.map((c, i) => {
      const x = typed(c)
      const t = TYPES[c]
      const sum = t === 'integer' || t === 'number' ? `sum(${x})` : 'NULL'
      return `count(*) - count(${x}) AS n${i}, ${sum} AS s${i}, min(${x}) AS lo${i}, max(${x}) AS hi${i}`
    })
    const [a] = await q(`SELECT ${sel.join(', ')} FROM ${read}`)
    aggCols.forEach((c, i) => {
      const t = TYPES[c]
      model.agg[c] = { nulls: Number(a[`n${i}`]), sum: canon(t === 'integer' ? 'integer' : 'number', a[`s${i}`]), min: canon(t, a[`lo${i}`]), max: canon(t, a[`hi${i}`]) }
    })
  }

  // Footer statistics of each chunk, and each chunk's data aggregated by DuckDB.
  const md = await q(`SELECT file_name, row_group_id, row_group_num_rows, path_in_schema, compression, stats_null_count,
      coalesce(stats_min_value, stats_min) AS mn, coalesce(stats_max_value, stats_max) AS mx, stats_min_value, stats_max_value,
      min_is_exact, max_is_exact FROM parquet_metadata(${glob}) ORDER BY file_name, row_group_id, column_id`)
  const fm = await q(`SELECT file_name, created_by, num_rows FROM parquet_file_metadata(${glob}) ORDER BY file_name`)
  const kvs = await q(`SELECT file_name, decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${glob})`)
  for (const f of fm) {
    const kv = {}
    for (const r of kvs.filter((k) => k.file_name === f.file_name)) kv[r.key] = r.value
    model.meta.push({ file: f.file_name, createdBy: f.created_by, kv })
    const rgs = new Map()
    for (const m of md.filter((m) => m.file_name === f.file_name)) rgs.set(Number(m.row_group_id), Number(m.row_group_num_rows))
    model.fileRows.push({ file: f.file_name, numRows: Number(f.num_rows), rowGroups: [...rgs.keys()].sort((x, y) => x - y).map((k) => rgs.get(k)) })
  }
  const statCols = DATA_COLS.filter((c) => model.columns.has(c))
  const actual = new Map()
  if (statCols.length) {
    const sel = statCols.map((c, i) => `count(*) - count(${ident(c)}) AS n${i}, min(${ident(c)}) AS lo${i}, max(${ident(c)}) AS hi${i}`)
    const rows = await q(`WITH rg AS (SELECT DISTINCT file_name, row_group_id, row_group_num_rows FROM parquet_metadata(${glob})),
        b AS (SELECT file_name, row_group_id, row_group_num_rows AS n,
                     sum(row_group_num_rows) OVER (PARTITION BY file_name ORDER BY row_group_id) - row_group_num_rows AS start FROM rg),
        d AS (SELECT * FROM read_parquet(${glob}, hive_partitioning = false, filename = true, file_row_number = true))
      SELECT b.file_name AS f__, b.row_group_id AS g__, ${sel.join(', ')}
      FROM d JOIN b ON d.filename = b.file_name AND d.file_row_number >= b.start AND d.file_row_number < b.start + b.n
      GROUP BY b.file_name, b.row_group_id`)
    for (const r of rows) actual.set(`${r.f__}\0${r.g__}`, r)
  }
  for (const m of md) {
    const col = m.path_in_schema
    const i = statCols.indexOf(col)
    if (i < 0) continue
    const t = TYPES[col]
    const a = actual.get(`${m.file_name}\0${m.row_group_id}`)
    const conv = (v, isValue) => {
      if (v === null || v === undefined) return null
      if (t === 'string' && !isValue) return null // legacy min/max of strings: undefined order
      return canon(t, v)
    }
    model.chunks.push({
      file: m.file_name, rg: Number(m.row_group_id), col, numRows: Number(m.row_group_num_rows), codec: m.compression,
      stats: {
        nulls: m.stats_null_count === null ? null : Number(m.stats_null_count),
        min: t === 'string' ? conv(m.stats_min_value, true) : conv(m.mn),
        max: t === 'string' ? conv(m.stats_max_value, true) : conv(m.mx),
        minExact: m.min_is_exact, maxExact: m.max_is_exact,
      },
      actual: a
        ? { nulls: Number(a[`n${i}`]), min: canon(t, a[`lo${i}`]), max: canon(t, a[`hi${i}`]) }
        : { nulls: Number(m.row_group_num_rows), min: null, max: null },
    })
  }

  // The queries the issue promises (compared with the SQLite answers).
  for (const s of E.sql_equal ?? []) {
    try {
      const rows = (await conn.runAndReadAll(s.sql)).getRowsJson()
      const got = rows[0] ?? []
      const want = s.want ?? []
      let pass = got.length === want.length
      for (let j = 0; pass && j < want.length; j++) {
        const g = got[j]
        const w = want[j]
        if (typeof g === 'number' && !Number.isInteger(w)) pass = close(g, canon('number', w))
        else if (typeof g === 'number' || /^-?\d+$/.test(String(g ?? ''))) pass = eq('integer', canon('integer', g), canon('integer', w)) || close(canon('number', g), canon('number', w))
        else pass = g === w
      }
      check(R, `query matches SQLite: ${s.name ?? s.sql}`, pass, JSON.stringify(got), JSON.stringify(want))
    } catch (e) {
      notOk(R, `query matches SQLite: ${s.name ?? s.sql}: ${e.message}`)
    }
  }
  return model
}

// ---------------------------------------------------------------------------------------

async function runReader(R, build) {
  let model
  try {
    model = await build()
  } catch (e) {
    notOk(R, `read failed: ${e?.message ?? e}`)
    return
  }
  try {
    commonChecks(R, model)
  } catch (e) {
    notOk(R, `checks failed: ${e?.stack ?? e}`)
  }
}

let instance = null
let conn = null
await runReader('duckdb', async () => {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  instance = await DuckDBInstance.create(':memory:', { threads: '2' })
  conn = await instance.connect()
  return duckdbModel(conn)
})
try { conn?.closeSync() } catch { /* ignore */ }
try { instance?.closeSync?.() } catch { /* ignore */ }
await runReader('hyparquet', hyparquetModel)
process.exit(0)
