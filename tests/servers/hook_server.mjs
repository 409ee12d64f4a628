// hook_server.mjs - a local HTTP server for the notifier tests: it stands in for a Slack
// incoming webhook or a generic webhook receiver on 127.0.0.1.
//
//   node hook_server.mjs OUT_FILE [--status CODE] [--fail-first N] [--delay MS]
//
// Prints "PORT <n>" once listening.  Each request is appended to OUT_FILE as one JSON line:
// method, path, headers, the raw body, the parsed JSON (json_ok), and for a signed request
// sig_ok: whether X-Sluice-Signature is the HMAC-SHA256 of "<X-Sluice-Timestamp>.<body>"
// under the secret in the environment variable HOOK_SECRET (checked here independently of
// sluice's code).  It answers CODE (default 200), or 503 to the first N requests, after MS.
// It exits on SIGTERM, or by itself after 5 minutes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

const args = process.argv.slice(2);
const out = args.shift();
let status = 200, failFirst = 0, delay = 0;
while (args.length > 0) {
    const opt = args.shift(), val = Number(args.shift());
    if (opt === '--status') status = val;
    else if (opt === '--fail-first') failFirst = val;
    else if (opt === '--delay') delay = val;
    else { console.error(`unknown option ${opt}`); process.exit(2); }
}
const secret = process.env.HOOK_SECRET || '';
let n = 0;

const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        n += 1;
        const body = Buffer.concat(chunks).toString('utf8');
        const rec = { n, method: req.method, path: req.url, headers: req.headers, body,
                      json_ok: false, sig_ok: null };
        try { rec.json = JSON.parse(body); rec.json_ok = true; } catch { /* recorded as is */ }
        const sig = req.headers['x-sluice-signature'];
        if (sig !== undefined) {
            const ts = req.headers['x-sluice-timestamp'] || '';
            const want = 'sha256=' + crypto.createHmac('sha256', secret).update(`${ts}.${body}`)
                .digest('hex');
            rec.sig_ok = want.length === sig.length &&
                crypto.timingSafeEqual(Buffer.from(want), Buffer.from(sig));
        }
        const code = n <= failFirst ? 503 : status;
        rec.answered = code;
        fs.appendFileSync(out, JSON.stringify(rec) + '\n');
        setTimeout(() => {
            res.writeHead(code, { 'content-type': 'text/plain' });
            res.end(code < 300 ? 'ok' : 'no_service');
        }, delay);
    });
});
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
setTimeout(() => process.exit(0), 300000).unref();
