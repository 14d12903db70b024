#!/usr/bin/env bash
# Redis and gateway CPU per governed request, with admissions and settles coalesced per slot or not (issue 20 item 2).
# One gateway at a time against one Postgres, one Redis and a fixed-body nginx upstream; one virtual key in a team (rpm,
# tpm and a budget set high); wrk at concurrency 1 and 64. Per mode (Gateway:Limits:BatchesInFlight) and concurrency:
# requests/s, gateway CPU µs per request, Redis CPU µs per request (/proc), Redis script calls per request and their
# time (INFO commandstats: EVALSHA + EVAL), and the machine's other load during the run. Not bench/run.sh: no peers.
#
# Env: LB_DURATION (s per run, default 10), LB_MODES (default "100000 1 2": 100000 in flight = never coalesced),
#      LB_DLL (the gateway's dll; default: this tree's Release build, built first), LB_BASELINE_DLL (also measure
#      another build, e.g. main's, as mode "baseline"), LB_OUT (default bench/out/limits-batching).
# Refuses to start while /tmp/BENCH_RUNNING exists, and holds that file while it runs (others' builds and runs wait).
set -euo pipefail
[[ -e /tmp/BENCH_RUNNING ]] && { echo "/tmp/BENCH_RUNNING exists: someone is measuring; try later" >&2; exit 1; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
DURATION="${LB_DURATION:-10}"
MODES="${LB_MODES:-100000 1 2}"
OUT="${LB_OUT:-$HERE/out/limits-batching}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
mkdir -p "$OUT"
TMP="$(mktemp -d /tmp/llmgw-lb.XXXXXX)"
chmod 755 "$TMP"
PIDS=()
PG_STARTED=""
log() { printf '[lb %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
as_postgres() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  sleep 1
  [[ -n "$PG_STARTED" ]] && as_postgres "$PG_BIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null 2>&1
  rm -rf "$TMP" /tmp/BENCH_RUNNING
}
trap cleanup EXIT; trap 'exit 130' INT TERM
touch /tmp/BENCH_RUNNING
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { for _ in $(seq 900); do [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true)" == 200 ]] && return 0; sleep 0.1; done; log "$1 never answered"; exit 1; }
CLK_TCK=$(getconf CLK_TCK)
ticks() { # utime+stime of a PID and its children (live: utime+stime; exited: cutime+cstime)
  local total p t
  total=$(sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13 + $14 + $15}')
  for p in $(pgrep -P "$1" 2>/dev/null || true); do
    t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
busy_ticks() { awk '/^cpu / {print $2+$3+$4}' /proc/stat; }
script_stats() { # calls usec, EVALSHA + EVAL
  redis-cli -p "$REDIS_PORT" INFO commandstats | tr -d '\r' | awk -F'[:,=]' '/^cmdstat_eval(sha)?:/ {c+=$3; u+=$5} END {print c+0, u+0}'
}

DLL="${LB_DLL:-}"
if [[ -z "$DLL" ]]; then
  log "building LlmGateway.Api (Release)"
  (cd "$ROOT" && dotnet build -c Release LlmGateway.Api -nologo -v q >"$OUT/build.log" 2>&1)
  DLL="$ROOT/LlmGateway.Api/bin/Release/net10.0/LlmGateway.Api.dll"
fi

PG_PORT=$(free_port); REDIS_PORT=$(free_port); FAKE_PORT=$(free_port)
mkdir -p "$TMP/pg" "$TMP/pgsock" "$TMP/nginx/body"
[[ "$(id -u)" == 0 ]] && chown postgres "$TMP/pg" "$TMP/pgsock"
as_postgres "$PG_BIN/initdb" -D "$TMP/pg" -A trust -U postgres >"$OUT/postgres-init.log" 2>&1
as_postgres "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg/server.log" -w -o "-p $PG_PORT -k $TMP/pgsock -c listen_addresses=127.0.0.1" start >/dev/null
PG_STARTED=1
PG_PID=$(head -1 "$TMP/pg/postmaster.pid")
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$TMP" >"$OUT/redis.log" 2>&1 &
PIDS+=($!); REDIS_PID=$!
JSON_BODY=$(python3 -c 'import sys; d=open(sys.argv[1]).read(); print("\x27"+d.replace("\\","\\\\").replace("\x27","\\\x27")+"\x27")' "$HERE/fixtures/completion.json")
cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $OUT/nginx.log warn;
events { worker_connections 4096; }
http {
  access_log off; client_body_temp_path $TMP/nginx/body; keepalive_requests 10000000; keepalive_timeout 300s;
  server { listen 127.0.0.1:$FAKE_PORT backlog=4096; location = /v1/chat/completions { default_type application/json; return 200 $JSON_BODY; } }
}
EOF
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' >>"$OUT/nginx.log" 2>&1 &
PIDS+=($!)
MASTER_KEY="sk-lb-master-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat >"$TMP/gateway.yaml" <<YAML
model_list:
  - model_name: bench
    litellm_params: { model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$FAKE_PORT/v1", api_key: sk-upstream }
    model_info: { input_cost_per_token: 0.00000015, output_cost_per_token: 0.0000006, max_tokens: 16384 }
YAML
export BENCH_BODY='{"model":"bench","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":64,"stream":false}'

printf 'mode\tconc\treq_s\tp50_us\tp99_us\tgateway_us_req\tredis_us_req\tpostgres_us_req\tscript_calls_req\tscript_us_req\tother_load_pct\n' >"$OUT/results.tsv"
db=0
for mode in $MODES ${LB_BASELINE_DLL:+baseline}; do
  db=$((db + 1))
  dll="$DLL"; inflight="$mode"
  [[ "$mode" == baseline ]] && { dll="$LB_BASELINE_DLL"; inflight=1; }
  as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "gw$db"
  GW_PORT=$(free_port)
  ASPNETCORE_URLS="http://127.0.0.1:$GW_PORT" ConnectionStrings__gatewaydb="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=gw$db" \
    ConnectionStrings__redis="127.0.0.1:$REDIS_PORT,defaultDatabase=$db" Gateway__ConfigFile="$TMP/gateway.yaml" Gateway__MasterKey="$MASTER_KEY" \
    Gateway__DataFolder="$TMP/data$db" Gateway__Limits__BatchesInFlight="$inflight" dotnet "$dll" >"$OUT/gateway-$mode.log" 2>&1 &
  GW_PID=$!; PIDS+=($GW_PID)
  wait_http "http://127.0.0.1:$GW_PORT/health/readiness"
  mgmt() { curl -s --max-time 10 -X POST -H "Authorization: Bearer $MASTER_KEY" -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$GW_PORT$1"; }
  team=$(mgmt /team/new '{"team_alias":"lb-team","max_budget":1000000000,"rpm_limit":1000000000,"tpm_limit":1000000000000}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["team_id"])')
  key=$(mgmt /key/generate "{\"key_alias\":\"lb-key\",\"team_id\":\"$team\",\"max_budget\":1000000000,\"rpm_limit\":1000000000,\"tpm_limit\":1000000000000}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  export BENCH_HEADERS="Authorization: Bearer $key"
  wrk -t2 -c16 -d10s --timeout 10s -s "$HERE/post.lua" "http://127.0.0.1:$GW_PORT/v1/chat/completions" >/dev/null 2>&1 || true # tiered JIT
  for conc in 1 64; do
    threads=$(( conc < 2 ? 1 : 2 ))
    sleep 2 # the previous run's settles and ledger writes drain
    g0=$(ticks "$GW_PID"); r0=$(ticks "$REDIS_PID"); p0=$(ticks "$PG_PID"); b0=$(busy_ticks); read -r c0 u0 < <(script_stats); w0=$(sed 's/^.*) //' /proc/$$/stat | awk '{print $14 + $15}')
    wrk -t"$threads" -c"$conc" -d"${DURATION}s" --timeout 10s --latency -s "$HERE/post.lua" "http://127.0.0.1:$GW_PORT/v1/chat/completions" >"$OUT/wrk-$mode-c$conc.log" 2>&1 || true
    sleep 1 # settles sent at the end of the run are counted with it
    g1=$(ticks "$GW_PID"); r1=$(ticks "$REDIS_PID"); p1=$(ticks "$PG_PID"); b1=$(busy_ticks); read -r c1 u1 < <(script_stats); w1=$(sed 's/^.*) //' /proc/$$/stat | awk '{print $14 + $15}')
    line=$(grep '^BENCH ' "$OUT/wrk-$mode-c$conc.log")
    n=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line"); p50=$(sed 's/.*p50_us=\([0-9]*\).*/\1/' <<<"$line"); p99=$(sed 's/.*p99_us=\([0-9]*\).*/\1/' <<<"$line")
    other=$(( (b1 - b0 - (g1 - g0) - (r1 - r0) - (p1 - p0) - (w1 - w0)) * 100 / (CLK_TCK * (DURATION + 1)) ))
    awk -v m="$mode" -v c="$conc" -v n="$n" -v d="$DURATION" -v p50="$p50" -v p99="$p99" -v g=$((g1 - g0)) -v r=$((r1 - r0)) -v p=$((p1 - p0)) \
        -v sc=$((c1 - c0)) -v su=$((u1 - u0)) -v t="$CLK_TCK" -v o="$other" \
      'BEGIN {printf "%s\t%d\t%.0f\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.3f\t%.2f\t%d\n", m, c, n/d, p50, p99, g*1e6/t/n, r*1e6/t/n, p*1e6/t/n, sc/n, su/n, o}' >>"$OUT/results.tsv"
    log "$(tail -1 "$OUT/results.tsv")"
  done
  kill "$GW_PID"; wait "$GW_PID" 2>/dev/null || true
done
column -t "$OUT/results.tsv"
