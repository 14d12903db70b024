// Time to first byte of a streamed chat completion, measured from the moment the request is sent
// to the first byte of the response BODY (the first SSE event), over one keep-alive connection,
// sequentially. Usage: node ttfb.js URL COUNT  (env BENCH_BODY, BENCH_HEADERS as for post.lua)
// Prints: TTFB n=.. median_us=.. p90_us=.. p99_us=.. errors=..
'use strict';
const http = require('http');

const url = new URL(process.argv[2]);
const count = Number(process.argv[3] || 200);
const warmup = Math.min(50, Math.ceil(count / 4));
// BENCH_TTFB_GAP_MS: a pause between requests, so what the gateway does after an answer (its settle, the usage event) is
// not in the next request's time to first byte; 0 (default) sends the next request as soon as the last one ended.
const gapMs = Number(process.env.BENCH_TTFB_GAP_MS || 0);
const pause = () => new Promise((resolve) => setTimeout(resolve, gapMs));
const body = Buffer.from(process.env.BENCH_BODY || '{}');
const headers = { 'Content-Type': 'application/json', 'Content-Length': body.length };
for (const line of (process.env.BENCH_HEADERS || '').split('\n')) {
  const i = line.indexOf(':');
  if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function once() {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    let first = null;
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, agent }, (res) => {
      let ok = res.statusCode === 200;
      let text = '';
      res.on('data', (chunk) => {
        if (first === null) first = process.hrtime.bigint();
        if (text.length < 65536) text += chunk;
      });
      res.on('end', () => resolve(ok && text.includes('[DONE]') ? Number(first - start) / 1000 : null));
      res.on('error', () => resolve(null));
    });
    req.setTimeout(10000, () => { req.destroy(); });
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

(async () => {
  for (let i = 0; i < warmup; i++) await once();
  const samples = [];
  let errors = 0;
  for (let i = 0; i < count; i++) {
    if (gapMs > 0) await pause();
    const us = await once();
    if (us === null) errors++; else samples.push(us);
  }
  samples.sort((a, b) => a - b);
  const pct = (p) => samples.length ? samples[Math.min(samples.length - 1, Math.floor(p / 100 * samples.length))] : 0;
  console.log(`TTFB n=${samples.length} median_us=${pct(50).toFixed(0)} p90_us=${pct(90).toFixed(0)} p99_us=${pct(99).toFixed(0)} errors=${errors}`);
  agent.destroy();
})();
