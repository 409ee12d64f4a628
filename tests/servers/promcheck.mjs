// promcheck.mjs - a strict checker of the Prometheus text exposition format (0.0.4), for the
// tests of sluice's /metrics (promtool is not part of the test dependencies).
//
//   node promcheck.mjs URL|FILE [--dump]
//
// Exit 0 and "ok: F families, S samples" when the text is valid, else exit 1 with
// "line N: problem" for each problem.  --dump prints the samples instead, one per line:
// `name{label="value",...} value` with labels sorted, for the tests to compare.
//
// Format rules checked: every line ends with \n (none with \r); HELP and TYPE at most once per
// family and before its samples; the samples of a family are contiguous; metric and label
// names are valid; label values use only the \\ \" \n escapes; no label repeats; values parse
// as floats (NaN, +Inf, -Inf allowed); no series appears twice; counters are >= 0; histograms
// have le-labelled _bucket series with increasing bounds, non-decreasing counts, a +Inf bucket
// equal to _count, and a _sum.  Conventions (as promtool's linter): every family has HELP and
// TYPE, names start with sluice_, counters (and only counters) end in _total, and no name
// carries a non-base unit (milliseconds, kilobytes...).
import fs from 'node:fs';

const [src, flag] = process.argv.slice(2);
const text = /^https?:\/\//.test(src) ? await (await fetch(src)).text() : fs.readFileSync(src, 'utf8');
const problems = [];
const bad = (ln, msg) => problems.push(`line ${ln}: ${msg}`);
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(s) {
    if (s === 'NaN') return NaN;
    if (s === '+Inf' || s === 'Inf') return Infinity;
    if (s === '-Inf') return -Infinity;
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return undefined;
    return Number(s);
}

// Parses `name{a="x",b="y"} value [ts]`; returns {name, labels, value} or a string (error).
function parseSample(line) {
    let i = 0;
    while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i])) i++;
    const name = line.slice(0, i);
    if (!NAME.test(name)) return `bad metric name '${name}'`;
    const labels = {};
    if (line[i] === '{') {
        i++;
        for (;;) {
            if (line[i] === '}') { i++; break; }
            let j = i;
            while (j < line.length && /[a-zA-Z0-9_]/.test(line[j])) j++;
            const lname = line.slice(i, j);
            if (!LABEL.test(lname)) return `bad label name '${lname}'`;
            if (lname.startsWith('__')) return `reserved label name '${lname}'`;
            if (line[j] !== '=' || line[j + 1] !== '"') return `expected ="..." after label ${lname}`;
            j += 2;
            let val = '';
            for (;;) {
                if (j >= line.length) return `unterminated value of label ${lname}`;
                const c = line[j];
                if (c === '"') { j++; break; }
                if (c === '\\') {
                    const e = line[j + 1];
                    if (e === '\\') val += '\\';
                    else if (e === '"') val += '"';
                    else if (e === 'n') val += '\n';
                    else return `bad escape \\${e} in label ${lname}`;
                    j += 2;
                } else { val += c; j++; }
            }
            if (lname in labels) return `label ${lname} repeated`;
            labels[lname] = val;
            if (line[j] === ',') j++;
            else if (line[j] !== '}') return `expected , or } after label ${lname}`;
            i = j;
        }
    }
    if (line[i] !== ' ') return 'expected one space before the value';
    const rest = line.slice(i + 1).split(' ');
    if (rest.length > 2 || rest[0] === '') return 'expected "value [timestamp]"';
    const value = parseValue(rest[0]);
    if (value === undefined) return `bad value '${rest[0]}'`;
    if (rest.length === 2 && !/^-?\d+$/.test(rest[1])) return `bad timestamp '${rest[1]}'`;
    return { name, labels, value };
}

const families = new Map(); // name -> {help, type, samples: [], done}
let current = null;
const seen = new Set();
const samples = [];
const lines = text.split('\n');
if (!text.endsWith('\n')) bad(lines.length, 'the text does not end with a line feed');
if (text.includes('\r')) bad(0, 'carriage return in the text');
const family = (name) => {
    if (!families.has(name)) families.set(name, { help: null, type: null, series: 0, closed: false });
    return families.get(name);
};
// the family a sample belongs to: histograms own _bucket/_sum/_count
function familyOf(name) {
    for (const suffix of ['_bucket', '_sum', '_count']) {
        if (name.endsWith(suffix)) {
            const base = name.slice(0, -suffix.length);
            if (families.has(base) && families.get(base).type === 'histogram') return base;
        }
    }
    return name;
}
function enter(name, ln) {
    if (current !== name) {
        if (current !== null) families.get(current).closed = true;
        if (family(name).closed) bad(ln, `samples of ${name} are not contiguous`);
        current = name;
    }
}

lines.forEach((line, idx) => {
    const ln = idx + 1;
    if (idx === lines.length - 1 && line === '') return;
    if (line === '') return;
    if (line.startsWith('#')) {
        const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
        if (!m) return; // a comment
        const [, kind, name, arg = ''] = m;
        if (!NAME.test(name)) { bad(ln, `bad metric name '${name}' in ${kind}`); return; }
        const f = family(name);
        enter(name, ln);
        if (f.series > 0) bad(ln, `${kind} of ${name} after its samples`);
        if (kind === 'HELP') {
            if (f.help !== null) bad(ln, `second HELP for ${name}`);
            if (/\\[^\\n]/.test(arg.replace(/\\\\/g, ''))) bad(ln, `bad escape in HELP of ${name}`);
            f.help = arg;
        } else {
            if (f.type !== null) bad(ln, `second TYPE for ${name}`);
            if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(arg)) bad(ln, `bad type '${arg}'`);
            f.type = arg;
        }
        return;
    }
    const s = parseSample(line);
    if (typeof s === 'string') { bad(ln, s); return; }
    const fname = familyOf(s.name);
    const f = family(fname);
    enter(fname, ln);
    f.series++;
    const key = s.name + JSON.stringify(Object.keys(s.labels).sort().map((k) => [k, s.labels[k]]));
    if (seen.has(key)) bad(ln, `series repeated: ${line}`);
    seen.add(key);
    s.family = fname;
    s.line = ln;
    samples.push(s);
});

for (const [name, f] of families) {
    if (f.type === null) bad(0, `${name}: no TYPE`);
    if (f.help === null || f.help === '') bad(0, `${name}: no HELP`);
    if (!name.startsWith('sluice_')) bad(0, `${name}: does not start with sluice_`);
    if (f.type === 'counter' && !name.endsWith('_total')) bad(0, `${name}: a counter must end in _total`);
    if (f.type !== 'counter' && name.endsWith('_total')) bad(0, `${name}: only counters end in _total`);
    if (/_(milliseconds|microseconds|nanoseconds|minutes|hours|days|kilobytes|megabytes|bits)(_|$)/.test(name)) {
        bad(0, `${name}: use base units (seconds, bytes)`);
    }
}

for (const s of samples) {
    const f = families.get(s.family);
    if (f.type === 'counter' && !(s.value >= 0)) bad(s.line, `counter ${s.name} is ${s.value}`);
    if (f.type !== 'histogram' && s.name !== s.family) bad(s.line, `sample ${s.name} in family ${s.family}`);
    if (f.type !== 'histogram' && 'le' in s.labels) bad(s.line, `le label outside a histogram`);
}

// histograms: group by family + labels without le
const hist = new Map();
for (const s of samples.filter((x) => families.get(x.family).type === 'histogram')) {
    const { le, ...rest } = s.labels;
    const key = s.family + JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k]]));
    if (!hist.has(key)) hist.set(key, { family: s.family, buckets: [], sum: null, count: null, line: s.line });
    const h = hist.get(key);
    if (s.name === s.family + '_bucket') {
        if (le === undefined) { bad(s.line, `bucket without le`); continue; }
        const b = parseValue(le);
        if (b === undefined || Number.isNaN(b)) { bad(s.line, `bad le '${le}'`); continue; }
        h.buckets.push({ le: b, v: s.value, line: s.line });
    } else if (s.name === s.family + '_sum') h.sum = s.value;
    else if (s.name === s.family + '_count') h.count = s.value;
    else bad(s.line, `sample ${s.name} in histogram ${s.family}`);
}
for (const h of hist.values()) {
    for (let i = 1; i < h.buckets.length; i++) {
        if (!(h.buckets[i].le > h.buckets[i - 1].le)) bad(h.buckets[i].line, `le not increasing`);
        if (h.buckets[i].v < h.buckets[i - 1].v) bad(h.buckets[i].line, `bucket counts decrease`);
    }
    const inf = h.buckets.find((b) => b.le === Infinity);
    if (!inf) bad(h.line, `${h.family}: no le="+Inf" bucket`);
    if (h.count === null || h.sum === null) bad(h.line, `${h.family}: _count or _sum missing`);
    if (inf && h.count !== null && inf.v !== h.count) bad(h.line, `${h.family}: +Inf bucket ${inf.v} != _count ${h.count}`);
}

if (problems.length > 0) {
    console.log(problems.join('\n'));
    process.exit(1);
}
if (flag === '--dump') {
    for (const s of samples) {
        const labels = Object.keys(s.labels).sort().map((k) => `${k}="${s.labels[k]}"`).join(',');
        console.log(`${s.name}${labels ? `{${labels}}` : ''} ${s.value}`);
    }
} else {
    console.log(`ok: ${families.size} families, ${samples.length} samples`);
}
