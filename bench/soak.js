// Soak: an open-loop client at a fixed rate for a fixed time, a share of whose requests the client abandons mid-flight,
// sampling the gateway process's memory, threads and file descriptors every window.
// Usage: node soak.js URL RATE_PER_S SECONDS CANCEL_PCT GATEWAY_PID [WINDOW_S]   (env BENCH_BODY, BENCH_HEADERS as for post.lua)
// Prints one line per window: SOAK t=.. sent=.. ok=.. cancelled=.. errors=.. p50_ms=.. p99_ms=.. rss_mb=.. threads=.. fds=..
// and at the end: SOAKTOTAL sent=.. ok=.. cancelled=.. errors=.. late=..
'use strict';
const http = require('http');
const fs = require('fs');

const url = new URL(process.argv[2]);
const rate = Number(process.argv[3] || 500);
const seconds = Number(process.argv[4] || 600);
const cancelPct = Number(process.argv[5] || 10);
const pid = process.argv[6];
const windowS = Number(process.argv[7] || 30);
const body = Buffer.from(process.env.BENCH_BODY || '{}');
const headers = { 'Content-Type': 'application/json', 'Content-Length': body.length };
for (const line of (process.env.BENCH_HEADERS || '').split('\n')) {
  const i = line.indexOf(':');
  if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const total = { sent: 0, ok: 0, cancelled: 0, errors: 0, late: 0 };
let win = { sent: 0, ok: 0, cancelled: 0, errors: 0, lat: [] };

function proc(field) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = status.match(new RegExp(`^${field}:\\s+(\\d+)`, 'm'));
    return m ? Number(m[1]) : NaN;
  } catch { return NaN; }
}
function fds() { try { return fs.readdirSync(`/proc/${pid}/fd`).length; } catch { return NaN; } }
function pct(sorted, p) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : 0; }

function one() {
  total.sent++; win.sent++;
  const start = process.hrtime.bigint();
  const cancel = Math.random() * 100 < cancelPct;
  let done = false;
  const finish = (kind) => {
    if (done) return;
    done = true;
    total[kind]++; win[kind]++;
    if (kind === 'ok') win.lat.push(Number(process.hrtime.bigint() - start) / 1e6);
  };
  const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, agent }, (res) => {
    let text = '';
    res.on('data', (c) => { if (text.length < 65536) text += c; });
    res.on('end', () => finish(res.statusCode === 200 && text.includes('"choices"') ? 'ok' : 'errors'));
    res.on('error', () => finish(cancel ? 'cancelled' : 'errors'));
  });
  req.on('error', () => finish(cancel ? 'cancelled' : 'errors'));
  req.end(body);
  if (cancel) {
    // Abandoned at a random point of the upstream's time: before, during or just after the call.
    setTimeout(() => { if (!done) { finish('cancelled'); req.destroy(); } }, Math.random() * 120);
  }
}

const began = Date.now();
let due = 0;
const tick = setInterval(() => {
  const elapsed = (Date.now() - began) / 1000;
  const target = Math.floor(elapsed * rate);
  if (target - due > rate) total.late += target - due - rate; // the client fell behind by more than a second: report it
  while (due < target) { due++; one(); }
}, 2);

const report = setInterval(() => {
  const t = Math.round((Date.now() - began) / 1000);
  const lat = win.lat.sort((a, b) => a - b);
  console.log(`SOAK t=${t} sent=${win.sent} ok=${win.ok} cancelled=${win.cancelled} errors=${win.errors} ` +
    `p50_ms=${pct(lat, 0.5).toFixed(1)} p99_ms=${pct(lat, 0.99).toFixed(1)} rss_mb=${(proc('VmRSS') / 1024).toFixed(0)} ` +
    `threads=${proc('Threads')} fds=${fds()}`);
  win = { sent: 0, ok: 0, cancelled: 0, errors: 0, lat: [] };
}, windowS * 1000);

setTimeout(() => {
  clearInterval(tick);
  setTimeout(() => {
    clearInterval(report);
    console.log(`SOAKTOTAL sent=${total.sent} ok=${total.ok} cancelled=${total.cancelled} errors=${total.errors} late=${total.late}`);
    agent.destroy();
    process.exit(0);
  }, 3000);
}, seconds * 1000);
