"""Turns bench/out/soak.log (lines of bench/soak.js) and the checks run.sh made into a markdown section, printed and,
when a path is given, written into docs/benchmarks.md between the bench:soak markers."""
import os
import re
import sys

log_path, doc = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
env = os.environ.get
rows = []
for line in open(log_path):
    if line.startswith("SOAK "):
        rows.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
total = dict(kv.split("=", 1) for kv in env("SOAK_TOTAL", "").split()[1:])

def num(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")

steady = [r for r in rows if num(r["t"]) >= 120] or rows
first, last = steady[0], rows[-1]
# RSS moves with each GC by tens of MB: compare the mean of the first and the last few steady windows, not two samples.
k = max(1, min(4, len(steady) // 2))
mean = lambda rs: sum(num(r["rss_mb"]) for r in rs) / len(rs)
rss_start, rss_end = mean(steady[:k]), mean(steady[-k:])
rss_growth = rss_end - rss_start
rss_pct = 100 * rss_growth / rss_start if rss_start else float("nan")
peak_rss = max(num(r["rss_mb"]) for r in rows)
sent, ledger = int(env("SOAK_SENT", "0") or 0), int(env("SOAK_ROWS", "0") or 0)
errors = int(total.get("errors", "0"))
reserved, holds = env("SOAK_RESERVED", "?"), env("SOAK_HOLDS", "?")
spent_redis, spent_ledger = env("SOAK_SPENT_REDIS", ""), env("SOAK_SPENT_LEDGER", "")

checks = [
    (f"no growth: mean RSS of the first {k} windows from minute 2 → of the last {k}", f"{rss_start:.0f} → {rss_end:.0f} MB ({rss_pct:+.1f}%)", "≤ +10%", rss_pct <= 10),
    ("threads, minute 2 → end", f"{first['threads']} → {last['threads']}", "no growth", num(last["threads"]) <= num(first["threads"]) + 5),
    ("open file descriptors, minute 2 → end", f"{first['fds']} → {last['fds']}", "no growth", num(last["fds"]) <= num(first["fds"]) + 20),
    ("peak RSS", f"{peak_rss:.0f} MB", "≤ 250 MB", peak_rss <= 250),
    ("errors (not abandoned by the client)", str(errors), "0", errors == 0),
    ("client fell behind the rate", total.get("late", "?"), "0", total.get("late") == "0"),
    ("ledger rows / requests sent", f"{ledger} / {sent}", "every request the gateway saw", ledger >= sent - int(total.get("cancelled", "0")) and ledger <= sent + 50),
    ("budget reserved in Redis after the soak (nanos)", reserved, "0", reserved == "0"),
    ("reservations still held in Redis", holds, "0", holds == "0"),
    ("team spend: Redis counter = ledger sum (nanos)", f"{spent_redis} = {spent_ledger}", "equal", spent_redis == spent_ledger),
]

out = []
out.append("## Soak")
out.append("")
out.append(f"- Date: {env('SOAK_DATE')}; commit `{env('SOAK_COMMIT')}`; governance: {env('SOAK_GOVERNANCE')}")
out.append(f"- {env('SOAK_MINUTES')} minutes at {env('SOAK_RATE')} req/s (open loop, `bench/soak.js`) against the 100 ms upstream; "
           f"the client abandons {env('SOAK_CANCEL')}% of requests at a random point in the first 120 ms")
out.append(f"- Totals: sent {total.get('sent')}, answered {total.get('ok')}, abandoned {total.get('cancelled')}, errors {errors}; "
           f"ledger statuses: {env('SOAK_STATUSES')}; Redis memory after: {env('SOAK_REDIS_MEM')}, usage stream length {env('SOAK_STREAM_LEN')}")
out.append("")
out.append("| check | measured | goal | result |")
out.append("|---|--:|--:|:-:|")
for name, measured, goal, ok in checks:
    out.append(f"| {name} | {measured} | {goal} | {'PASS' if ok else '**FAIL**'} |")
out.append("")
out.append("| t (s) | sent | answered | abandoned | errors | p50 ms | p99 ms | RSS MB | threads | fds |")
out.append("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for r in rows:
    out.append(f"| {r['t']} | {r['sent']} | {r['ok']} | {r['cancelled']} | {r['errors']} | {r['p50_ms']} | {r['p99_ms']} | {r['rss_mb']} | {r['threads']} | {r['fds']} |")
section = "\n".join(out) + "\n"
print(section)

if doc:
    text = open(doc).read()
    start, end = "<!-- bench:soak:start -->", "<!-- bench:soak:end -->"
    block = f"{start}\n{section}{end}"
    text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S) if start in text else text.rstrip("\n") + "\n\n" + block + "\n"
    open(doc, "w").write(text)
