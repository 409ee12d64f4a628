// logcheck.mjs - checks sluice's JSON-lines log against the stable field set documented in
// the README ("Logs"):
//
//   node logcheck.mjs LOG_FILE [SECRET...]
//
// Every line must be one JSON object with ts (RFC 3339 UTC with milliseconds), level
// (debug|info|warn|error) and event (snake_case); the stable fields, when present, have their
// documented types: file, sha256 (64 hex digits or "unknown"), attempt, rows (integers >= 0),
// duration_ms (number >= 0), error_class, error (strings).  None of the SECRETs (webhook URLs,
// passwords) may appear anywhere in the file.  Prints "ok: N lines, E events" or the problems.
import fs from 'node:fs';

const [file, ...secrets] = process.argv.slice(2);
const text = fs.readFileSync(file, 'utf8');
const problems = [];
const events = new Set();
const lines = text.split('\n');
if (text.length > 0 && !text.endsWith('\n')) problems.push('the last line has no line feed');
lines.forEach((line, i) => {
    if (line === '') return;
    const where = `line ${i + 1}`;
    let o;
    try { o = JSON.parse(line); } catch (e) { problems.push(`${where}: not JSON: ${e.message}`); return; }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) { problems.push(`${where}: not an object`); return; }
    const keys = Object.keys(o);
    if (keys[0] !== 'ts' || keys[1] !== 'level' || keys[2] !== 'event') problems.push(`${where}: does not start with ts, level, event`);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(o.ts) || Number.isNaN(Date.parse(o.ts))) problems.push(`${where}: ts '${o.ts}'`);
    if (!['debug', 'info', 'warn', 'error'].includes(o.level)) problems.push(`${where}: level '${o.level}'`);
    if (typeof o.event !== 'string' || !/^[a-z][a-z0-9_]*$/.test(o.event)) problems.push(`${where}: event '${o.event}'`);
    events.add(o.event);
    const isStr = (k) => !(k in o) || typeof o[k] === 'string';
    const isCount = (k) => !(k in o) || (Number.isInteger(o[k]) && o[k] >= 0);
    for (const k of ['file', 'error_class', 'error']) if (!isStr(k)) problems.push(`${where}: ${k} is not a string`);
    for (const k of ['attempt', 'rows']) if (!isCount(k)) problems.push(`${where}: ${k} is not a count`);
    if ('duration_ms' in o && !(typeof o.duration_ms === 'number' && o.duration_ms >= 0)) problems.push(`${where}: duration_ms`);
    if ('sha256' in o && !/^([0-9a-f]{64}|unknown)$/.test(o.sha256)) problems.push(`${where}: sha256 '${o.sha256}'`);
});
for (const s of secrets) {
    if (s !== '' && text.includes(s)) problems.push(`a secret is in the log: ${s.slice(0, 4)}...`);
}
if (problems.length > 0) {
    console.log(problems.slice(0, 20).join('\n'));
    process.exit(1);
}
console.log(`ok: ${lines.filter((l) => l !== '').length} lines, ${events.size} events`);
