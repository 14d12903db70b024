// Renders bench/run.sh's raw results as markdown, checks the targets, and (optionally) replaces the
// results section of docs/benchmarks.md. Usage: node report.js results.tsv ttfb.tsv [docs/benchmarks.md]
'use strict';
const fs = require('fs');

const [resultsFile, ttfbFile, docFile] = process.argv.slice(2);
const env = process.env;

const kv = (text) => Object.fromEntries(text.trim().split(/\s+/).map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));

const allRuns = fs.readFileSync(resultsFile, 'utf8').trim().split('\n').map((line) => {
  const [scenario, target, kind, conc, cpu, rss, rest] = line.split('\t');
  const w = kv(rest);
  const errors = w.err_connect + w.err_read + w.err_write + w.err_status + w.err_timeout;
  return {
    scenario, target, kind, conc: Number(conc),
    rps: w.requests / (w.duration_us / 1e6),
    requests: w.requests,
    p50: w.p50_us / 1000, p99: w.p99_us / 1000,
    cpuPerReq: cpu === '-' ? null : Number(cpu) / Math.max(1, w.requests),
    // The proxy plus Redis and Postgres (the "stores"), for LlmGateway's targets: what one request costs the deployment.
    totalCpuPerReq: cpu === '-' || !target.startsWith('gateway') && target !== 'baseline' || !Number.isFinite(w.stores_cpu_us)
      ? null : (Number(cpu) + w.stores_cpu_us) / Math.max(1, w.requests),
    rssMb: rss === '-' ? null : Number(rss) / 1024,
    errors,
    foreign: Number.isFinite(w.foreign_cpu_pct) ? w.foreign_cpu_pct : null,
  };
});
// BENCH_ROUNDS: a scenario's targets measured several times each; a row is its median round (by req/s), with the spread.
const runs = [];
for (const run of allRuns) {
  if (runs.some((r) => r.scenario === run.scenario && r.target === run.target)) continue;
  const rounds = allRuns.filter((r) => r.scenario === run.scenario && r.target === run.target).sort((a, b) => a.rps - b.rps);
  const median = rounds[Math.floor((rounds.length - 1) / 2)];
  median.rounds = rounds.length;
  median.spread = rounds.length > 1 ? (rounds[rounds.length - 1].rps - rounds[0].rps) / median.rps * 100 : null;
  runs.push(median);
}
const allTtfb = fs.readFileSync(ttfbFile, 'utf8').trim().split('\n').map((line) => {
  const [target, rest] = line.split('\t');
  const t = kv(rest);
  return { target, median: t.median_us / 1000, p90: t.p90_us / 1000, p99: t.p99_us / 1000, n: t.n, errors: t.errors };
});
// BENCH_ROUNDS: each target's TTFB measured once per round; its row is the round with the median median.
const ttfb = [...new Set(allTtfb.map((t) => t.target))].map((target) => {
  const rounds = allTtfb.filter((t) => t.target === target).sort((a, b) => a.median - b.median);
  return rounds[Math.floor((rounds.length - 1) / 2)];
});

const names = { direct: 'direct (fake upstream)', hop: 'nginx hop', dotnet: 'bare .NET forwarder', gateway: 'LlmGateway', gateway_open: 'LlmGateway, no governance (master key)',
  gateway_cached: 'LlmGateway, cache hit', portkey: 'Portkey 1.15.2',
  baseline: env.BENCH_BASELINE_NAME || 'LlmGateway (baseline)' };
const find = (scenario, target) => runs.find((r) => r.scenario === scenario && r.target === target);
const f = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
const signed = (x, d = 2) => (x === null || x === undefined ? '–' : (x >= 0 ? '+' : '') + x.toFixed(d));

// ---- main table
const lines = [];
lines.push('| scenario | target | req/s | p50 ms | p99 ms | +p50 vs direct | +p99 vs direct | CPU µs/req | cpu-total µs/req | RSS MB | errors | other load % |');
lines.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
for (const r of runs) {
  const d = find(r.scenario, 'direct');
  const isDirect = r.target === 'direct';
  lines.push(`| ${r.scenario} | ${names[r.target] ?? r.target} | ${f(r.rps, 0)}${r.spread === null ? '' : ` (±${f(r.spread / 2, 0)}%, ${r.rounds} rounds)`} | ${f(r.p50)} | ${f(r.p99)} | `
    + `${isDirect || !d ? '' : signed(r.p50 - d.p50)} | ${isDirect || !d ? '' : signed(r.p99 - d.p99)} | `
    + `${f(r.cpuPerReq, 0)} | ${f(r.totalCpuPerReq, 0)} | ${f(r.rssMb, 0)} | ${r.errors} | ${r.foreign === null ? '–' : r.foreign > 10 ? `**${r.foreign}**` : r.foreign} |`);
}
const mainTable = lines.join('\n');

// ---- TTFB table
const td = ttfb.find((t) => t.target === 'direct');
const tl = ['| target | TTFB median ms | p90 ms | p99 ms | added median vs direct ms | errors |', '|---|--:|--:|--:|--:|--:|'];
for (const t of ttfb) {
  tl.push(`| ${names[t.target] ?? t.target} | ${f(t.median, 3)} | ${f(t.p90, 3)} | ${f(t.p99, 3)} | ${t.target === 'direct' || !td ? '' : signed(t.median - td.median, 3)} | ${t.errors} |`);
}
const ttfbTable = tl.join('\n');

// ---- LlmGateway vs baseline (BENCH_BASELINE: an older commit measured in the same run)
// Δ is the current build relative to the baseline; bold when the current build is worse by more than 5%.
const pct = (now, base) => (now == null || base == null || !base ? null : (100 * (now - base)) / base);
const delta = (now, base, higherIsBetter) => {
  const d = pct(now, base);
  if (d === null || Number.isNaN(d)) return '–';
  const text = `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(1)}%`;
  return (higherIsBetter ? d < -5 : d > 5) ? `**${text}**` : text;
};
const pair = (now, base, d = 2) => `${f(now, d)} / ${f(base, d)}`;
let baselineSection = '';
const baseRuns = runs.filter((r) => r.target === 'baseline');
if (baseRuns.length) {
  const bl = [`| scenario | req/s now / base | Δ req/s | p50 ms now / base | Δ p50 | p99 ms now / base | Δ p99 | CPU µs/req now / base | Δ CPU | cpu-total µs/req now / base | Δ cpu-total | errors now / base |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|'];
  const worse = [];
  for (const b of baseRuns) {
    const a = find(b.scenario, 'gateway');
    if (!a) continue;
    bl.push(`| ${b.scenario} | ${pair(a.rps, b.rps, 0)} | ${delta(a.rps, b.rps, true)} | ${pair(a.p50, b.p50)} | ${delta(a.p50, b.p50, false)} | `
      + `${pair(a.p99, b.p99)} | ${delta(a.p99, b.p99, false)} | ${pair(a.cpuPerReq, b.cpuPerReq, 0)} | ${delta(a.cpuPerReq, b.cpuPerReq, false)} | `
      + `${pair(a.totalCpuPerReq, b.totalCpuPerReq, 0)} | ${delta(a.totalCpuPerReq, b.totalCpuPerReq, false)} | ${a.errors} / ${b.errors} |`);
    if (pct(a.rps, b.rps) < -5) worse.push(`${b.scenario} req/s`);
    if (pct(a.p50, b.p50) > 5) worse.push(`${b.scenario} p50`);
  }
  const ta = ttfb.find((t) => t.target === 'gateway'), tb = ttfb.find((t) => t.target === 'baseline');
  if (ta && tb) {
    bl.push(`| TTFB (stream, sequential) | | | ${pair(ta.median, tb.median, 3)} (median) | ${delta(ta.median, tb.median, false)} | `
      + `${pair(ta.p99, tb.p99, 3)} | ${delta(ta.p99, tb.p99, false)} | | | | | ${ta.errors} / ${tb.errors} |`);
    if (pct(ta.median, tb.median) > 5) worse.push('TTFB median');
  }
  const name = names.baseline;
  baselineSection = `
### LlmGateway vs baseline (${name})

The current build (\`${env.BENCH_COMMIT ?? ''}\`) and \`${env.BENCH_BASELINE_COMMIT ?? '?'}\`${env.BENCH_BASELINE_REF && env.BENCH_BASELINE_REF !== env.BENCH_BASELINE_COMMIT ? ` (\`BENCH_BASELINE=${env.BENCH_BASELINE_REF}\`)` : ''}, `
    + `built from a git worktree, measured in the same run, one after the other in each scenario, with the same config and load; `
    + `baseline governance: ${env.BENCH_BASELINE_GOVERNANCE || '?'}. Δ is now relative to the baseline; **bold**: the current build is worse by more than 5%.

${bl.join('\n')}

${bl.length === 2 ? 'Nothing to compare: the current build (target `gateway`) did not run.'
    : worse.length ? `Worse than the baseline by more than 5%: ${worse.join(', ')} (single runs differ by up to ±10%: re-run before concluding).`
    : 'No row is worse than the baseline by more than 5% (req/s, p50, TTFB median).'}
`;
}

// ---- targets (LlmGateway)
const checks = [];
// rows: the runs a check reads; when one of them ran beside other load, its verdict is marked "noisy".
const check = (name, measured, goal, pass, rows = []) =>
  checks.push({ name, measured, goal, pass, noisy: rows.some((r) => r && r.foreign > 10) });
const gw = (s) => find(s, 'gateway');
// Issue 20's targets: the governed path (a virtual key with rpm, tpm and a budget) close to the ungoverned one.
if (gw('json-c1') && find('json-c1', 'direct')) {
  const a = gw('json-c1'), d = find('json-c1', 'direct');
  check('governed added latency at c=1, p50', `${signed(a.p50 - d.p50, 3)} ms`, '≤ 0.15 ms', a.p50 - d.p50 <= 0.15, [a, d]);
  check('governed added latency at c=1, p99', `${signed(a.p99 - d.p99, 3)} ms`, '≤ 1 ms', a.p99 - d.p99 <= 1, [a, d]);
}
for (const s of ['json-c64', 'stream-c64']) {
  const a = gw(s), p = find(s, 'portkey'), h = find(s, 'hop'), o = find(s, 'gateway_open');
  if (a && p) check(`governed throughput at c=64 vs Portkey (${s})`, `${f(a.rps / p.rps, 1)}× (${f(a.rps, 0)} vs ${f(p.rps, 0)} req/s)`, '≥ 10×', a.rps >= 10 * p.rps, [a, p]);
  if (a && h) check(`governed throughput at c=64 vs nginx hop (${s})`, `${f(100 * a.rps / h.rps, 0)}% (${f(a.rps, 0)} vs ${f(h.rps, 0)} req/s)`, '≥ 30%', a.rps >= 0.3 * h.rps, [a, h]);
  if (o && h) check(`ungoverned throughput at c=64 vs nginx hop (${s})`, `${f(100 * o.rps / h.rps, 0)}% (${f(o.rps, 0)} req/s)`, '≥ 50%', o.rps >= 0.5 * h.rps, [o, h]);
}
const tg = ttfb.find((t) => t.target === 'gateway');
if (tg && td) check('added time to first byte on streams (median)', `${signed(tg.median - td.median, 3)} ms`, '≤ 1 ms', tg.median - td.median <= 1);
const gwRuns = runs.filter((r) => r.target === 'gateway' && r.cpuPerReq !== null);
if (gwRuns.length) {
  const worst = gwRuns.reduce((a, b) => (b.cpuPerReq > a.cpuPerReq ? b : a));
  const c64 = gw('json-c64');
  if (c64) check('gateway CPU per governed request under load (json-c64)', `${f(c64.cpuPerReq, 0)} µs`, '≤ 100 µs', c64.cpuPerReq <= 100, [c64]);
  if (c64 && c64.totalCpuPerReq !== null) {
    check('gateway + Redis + Postgres CPU per governed request (json-c64)', `${f(c64.totalCpuPerReq, 0)} µs`, '≤ 90 µs', c64.totalCpuPerReq <= 90, [c64]);
  }
  check('CPU per request, worst scenario', `${f(worst.cpuPerReq, 0)} µs (${worst.scenario})`, '≤ 100 µs', worst.cpuPerReq <= 100);
  const rss = Math.max(...gwRuns.map((r) => r.rssMb));
  check('RSS under load (highest sampled)', `${f(rss, 0)} MB`, '≤ 200 MB', rss <= 200);
}
const errs = runs.filter((r) => r.target === 'gateway').reduce((a, r) => a + r.errors, 0);
check('no errors (non-2xx, timeouts, resets)', `${errs}`, '0', errs === 0);
const targetTable = ['| target (LlmGateway) | measured | goal | result |', '|---|--:|--:|:-:|']
  .concat(checks.map((c) => `| ${c.name} | ${c.measured} | ${c.goal} | ${c.pass ? 'PASS' : '**FAIL**'}${c.noisy ? ' (noisy)' : ''} |`)).join('\n');

const noisy = runs.filter((r) => r.foreign > 10).length;
const loadNote = noisy > 0
  ? `\n> ${noisy} of ${runs.length} rows ran while other processes used more than 10% of a core (column "other load"): `
    + 'this machine is shared with other engineers\' builds, so those rows are noisier than usual.\n'
  : Number(env.BENCH_LOAD_BEFORE) > 3
  ? `\n> The machine was not idle (1-minute load average ${env.BENCH_LOAD_BEFORE} before the run, ${env.BENCH_LOAD_AFTER} after, `
    + 'with the benchmark itself adding about 2): other work on the shared cores makes these numbers noisier than usual.\n'
  : '';
const govNote = (env.BENCH_GOVERNANCE || '').startsWith('on')
  ? ''
  : '\n> Governance was **not** on: the gateway has no `/key/generate` yet, so it was called with the master key (no per-key '
    + 'limits, no budget reservation). The targets are defined with governance on; re-run when virtual keys land.\n';

const section = `## Results

- Date: ${env.BENCH_DATE ?? ''}; commit \`${env.BENCH_COMMIT ?? ''}\`
- Machine: ${env.BENCH_MACHINE ?? ''}; load average ${env.BENCH_LOAD_BEFORE ?? '?'} before the run${env.BENCH_GATEWAY_ENV ? `\n- Gateway settings: \`${env.BENCH_GATEWAY_ENV}\`` : ''}
- Runs: ${env.BENCH_WARMUP_S ?? '?'} s warm-up + ${env.BENCH_DURATION_S ?? '?'} s measured per row (wrk, closed loop); TTFB: ${env.BENCH_TTFB_COUNT ?? '?'} sequential streamed requests per target
- LlmGateway governance: ${env.BENCH_GOVERNANCE ?? '?'}
${govNote}${loadNote}
### Targets

${targetTable}

"(noisy)": a row this verdict reads ran while other processes used more than 10% of a core; re-run before trusting it.

### Throughput and latency

${mainTable}

CPU µs/req and RSS are for the proxy process only (nginx hop: master + workers; Portkey: its node process;
LlmGateway and the bare .NET forwarder — \`bench/floor\`, Kestrel in and HttpClient out with nothing else: the floor of any
.NET gateway here —: the dotnet process). cpu-total (LlmGateway only) adds the CPU Redis and Postgres (postmaster and backends) used
during the run, per request: what a request costs the whole deployment, the ledger writer's share included. The budget race
over two replicas (1,000 × $0.01 against $1.00: exactly 100) is a test, not a benchmark row: \`Limits/BudgetTests\`. RSS is the highest VmRSS sampled (every 0.5 s) during the measured run. "Other load" is the CPU
(in % of one core, averaged over the run) used by processes that are not part of the benchmark — other people's
builds on a shared machine; a bold value (> 10%) marks a row to distrust.

### Time to first byte on streams

${ttfbTable}
${baselineSection}`;

process.stdout.write(section);

if (docFile) {
  const start = '<!-- bench:results:start -->', end = '<!-- bench:results:end -->';
  let doc = fs.existsSync(docFile) ? fs.readFileSync(docFile, 'utf8') : '# Benchmarks\n';
  const block = `${start}\n${section}${end}`;
  const i = doc.indexOf(start), j = doc.indexOf(end);
  doc = i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(docFile, doc);
}
