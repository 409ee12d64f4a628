// smtp_server.mjs - a local SMTP server for the e-mail notifier tests, on 127.0.0.1.
//
//   node smtp_server.mjs OUT_FILE CERT_PEM KEY_PEM USER PASS [--no-tls]
//
// Prints "PORT <n>" once listening.  It offers STARTTLS (with the given certificate) and,
// only on a TLS connection (or with --no-tls), AUTH PLAIN and AUTH LOGIN against USER/PASS;
// MAIL needs a successful AUTH.  Each message received is appended to OUT_FILE as one JSON
// line: tls, auth_user, from, rcpt, and data (the message as sent, dot-unstuffed, CRLF kept).
// Every command seen is recorded too (commands), with AUTH arguments masked.
// It exits on SIGTERM, or by itself after 5 minutes.
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const [out, certFile, keyFile, user, pass, flag] = process.argv.slice(2);
const noTls = flag === '--no-tls';
const context = tls.createSecureContext({ cert: fs.readFileSync(certFile),
                                          key: fs.readFileSync(keyFile) });
const b64 = (s) => Buffer.from(s, 'base64').toString('utf8');

function session(raw) {
    let sock = raw, buf = '', tlsOn = false, authUser = null, mode = 'cmd';
    let from = null, rcpt = [], data = [], commands = [], loginUser = null;
    const send = (line) => sock.write(line + '\r\n');
    const canAuth = () => tlsOn || noTls;
    const checkAuth = (u, p) => {
        if (u === user && p === pass) { authUser = u; send('235 2.7.0 authenticated'); }
        else send('535 5.7.8 bad credentials');
    };
    function line(l) {
        if (mode === 'data') {
            if (l === '.') {
                mode = 'cmd';
                const text = Buffer.from(data.join('\r\n') + '\r\n', 'latin1').toString('utf8');
                fs.appendFileSync(out, JSON.stringify({ tls: tlsOn, auth_user: authUser, from,
                                                        rcpt, data: text, commands }) + '\n');
                from = null; rcpt = []; data = [];
                send('250 2.0.0 queued');
            } else {
                data.push(l.startsWith('..') ? l.slice(1) : l);
            }
            return;
        }
        if (mode === 'auth-plain') { mode = 'cmd'; const p = b64(l).split('\0'); checkAuth(p[1], p[2]); return; }
        if (mode === 'auth-user') { loginUser = b64(l); mode = 'auth-pass'; send('334 UGFzc3dvcmQ6'); return; }
        if (mode === 'auth-pass') { mode = 'cmd'; checkAuth(loginUser, b64(l)); return; }
        const verb = l.split(' ')[0].toUpperCase();
        commands.push(verb === 'AUTH' ? l.split(' ').slice(0, 2).join(' ') : l);
        if (verb === 'EHLO' || verb === 'HELO') {
            const lines = ['250-localhost'];
            if (!tlsOn && !noTls) lines.push('250-STARTTLS');
            if (canAuth()) lines.push('250-AUTH PLAIN LOGIN');
            lines.push('250 8BITMIME');
            sock.write(lines.join('\r\n') + '\r\n');
        } else if (verb === 'STARTTLS' && !tlsOn && !noTls) {
            send('220 2.0.0 ready to start TLS');
            raw.removeAllListeners('data');
            sock = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
            sock.on('data', onData);
            sock.on('error', () => {});
            tlsOn = true;
            buf = '';
        } else if (verb === 'AUTH' && canAuth()) {
            const [, mech, arg] = l.split(' ');
            if (/^plain$/i.test(mech)) {
                if (arg) { const p = b64(arg).split('\0'); checkAuth(p[1], p[2]); }
                else { mode = 'auth-plain'; send('334 '); }
            } else if (/^login$/i.test(mech)) {
                if (arg) { loginUser = b64(arg); mode = 'auth-pass'; send('334 UGFzc3dvcmQ6'); }
                else { mode = 'auth-user'; send('334 VXNlcm5hbWU6'); }
            } else send('504 5.5.4 unknown mechanism');
        } else if (verb === 'MAIL') {
            if (authUser === null) send('530 5.7.0 authentication required');
            else { from = l.slice(10); send('250 2.1.0 ok'); }
        } else if (verb === 'RCPT') {
            rcpt.push(l.slice(8)); send('250 2.1.5 ok');
        } else if (verb === 'DATA') {
            mode = 'data'; send('354 end data with <CR><LF>.<CR><LF>');
        } else if (verb === 'RSET' || verb === 'NOOP') {
            send('250 2.0.0 ok');
        } else if (verb === 'QUIT') {
            send('221 2.0.0 bye'); sock.end();
        } else {
            send('502 5.5.2 command not recognized');
        }
    }
    function onData(chunk) {
        buf += chunk.toString('latin1');
        let i;
        while ((i = buf.indexOf('\r\n')) >= 0) {
            const l = buf.slice(0, i);
            buf = buf.slice(i + 2);
            line(l);
        }
    }
    raw.on('data', onData);
    raw.on('error', () => {});
    send('220 localhost ESMTP sluice-test');
}

const server = net.createServer(session);
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
setTimeout(() => process.exit(0), 300000).unref();
