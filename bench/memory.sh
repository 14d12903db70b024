#!/usr/bin/env bash
# Memory knobs of LlmGateway under load (docs/scaling.md, "Memory"): for each setting given, starts the built Release Api
# with that environment on the same Postgres, Redis and fake upstream (nginx, fixed JSON body), governed (a team and a
# virtual key with rpm/tpm/budget, set high), pre-warms it, then drives it with wrk at c=64 and reports req/s, the Api's
# CPU per request, the highest VmRSS sampled every 0.5 s during the measured run, and VmHWM (start-up included). At the end of each run it also splits the resident memory
# (smaps): anonymous (GC heaps, native), JIT-compiled code (W^X's doublemapper), mapped files (assemblies, .so).
#
#   bench/memory.sh 'default|' 'workstation|DOTNET_gcServer=0' 'wx-off|DOTNET_EnableWriteXorExecute=0 DOTNET_gcServer=0'
#
# Env: MEM_DURATION (measured seconds, default 20), MEM_PREWARM (default 10), MEM_CONC (default 64), MEM_DLL (default:
# this tree's Release build), MEM_OUT (default bench/out/memory). Refuses to start while /tmp/BENCH_RUNNING exists,
# and holds that file while it runs (other builds and measurements wait for it).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
DLL="${MEM_DLL:-$ROOT/LlmGateway.Api/bin/Release/net10.0/LlmGateway.Api.dll}"
DURATION="${MEM_DURATION:-20}"; PREWARM="${MEM_PREWARM:-10}"; CONC="${MEM_CONC:-64}"
THREADS=$(( CONC < 2 ? 1 : 2 ))
OUT="${MEM_OUT:-$HERE/out/memory}"; PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
[[ -f "$DLL" ]] || { echo "$DLL not built (dotnet build -c Release LlmGateway.Api)" >&2; exit 1; }
[[ -e /tmp/BENCH_RUNNING ]] && { echo "/tmp/BENCH_RUNNING exists: someone is measuring; try later" >&2; exit 1; }
touch /tmp/BENCH_RUNNING
mkdir -p "$OUT"; TMP="$(mktemp -d /tmp/llmgw-mem.XXXXXX)"; chmod 755 "$TMP"
PIDS=(); GW=""
as_postgres() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  set +e
  [[ -n "$GW" ]] && kill "$GW" 2>/dev/null && wait "$GW" 2>/dev/null
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  as_postgres "$PG_BIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null 2>&1
  rm -rf "$TMP" /tmp/BENCH_RUNNING
}
trap cleanup EXIT; trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { for _ in $(seq $(($3 * 10))); do [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true)" == "$2" ]] && return 0; sleep 0.1; done; echo "$1 did not answer $2" >&2; exit 1; }
FAKE_PORT=$(free_port); PG_PORT=$(free_port); REDIS_PORT=$(free_port); GW_PORT=$(free_port)

JSON_BODY=$(python3 -c 'import sys; d=open(sys.argv[1]).read(); print("\x27"+d.replace("\\","\\\\").replace("\x27","\\\x27")+"\x27")' "$HERE/fixtures/completion.json")
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<CONF
worker_processes 1; pid $TMP/nginx/nginx.pid; error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $TMP/nginx/body; keepalive_requests 10000000; keepalive_timeout 300s;
  server { listen 127.0.0.1:$FAKE_PORT backlog=4096; location = /v1/chat/completions { default_type application/json; return 200 $JSON_BODY; } } }
CONF
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' >/dev/null 2>&1 & PIDS+=($!)
mkdir -p "$TMP/pg" "$TMP/pgsock"; [[ "$(id -u)" == 0 ]] && chown postgres "$TMP/pg" "$TMP/pgsock"
as_postgres "$PG_BIN/initdb" -D "$TMP/pg" -A trust -U postgres >"$OUT/postgres-init.log" 2>&1
as_postgres "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg/server.log" -w -o "-p $PG_PORT -k $TMP/pgsock -c listen_addresses=127.0.0.1" start >/dev/null
as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres gatewaydb
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$TMP" >/dev/null 2>&1 & PIDS+=($!)
MASTER_KEY="sk-mem-master-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat >"$TMP/gateway.yaml" <<YAML
model_list:
  - model_name: bench
    litellm_params: { model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$FAKE_PORT/v1", api_key: sk-upstream }
    model_info: { input_cost_per_token: 0.00000015, output_cost_per_token: 0.0000006, max_tokens: 16384 }
YAML
export BENCH_BODY='{"model":"bench","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":64,"stream":false}'
KEY=""
governed_key() { # a team and a key with limits set high, once (the database outlives the gateway processes)
  local team key
  team=$(curl -s -X POST -H "Authorization: Bearer $MASTER_KEY" -H 'Content-Type: application/json' \
    -d '{"team_alias":"mem-team","max_budget":1000000000,"rpm_limit":1000000000,"tpm_limit":1000000000000}' \
    "http://127.0.0.1:$GW_PORT/team/new" | python3 -c 'import json,sys; print(json.load(sys.stdin)["team_id"])')
  key=$(curl -s -X POST -H "Authorization: Bearer $MASTER_KEY" -H 'Content-Type: application/json' \
    -d "{\"key_alias\":\"mem-key\",\"max_budget\":1000000000,\"rpm_limit\":1000000000,\"tpm_limit\":1000000000000,\"team_id\":\"$team\"}" \
    "http://127.0.0.1:$GW_PORT/key/generate" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  echo "$key"
}
# Where the resident memory is, from /proc/PID/smaps: anonymous (the GC heaps, native allocations, and JIT code when W^X is
# off), JIT-compiled code and stubs (W^X maps them from a memfd named doublemapper), and mapped files (assemblies, .so).
rss_parts() { awk '/^[0-9a-f]+-[0-9a-f]+ / { f = $6; kind = (f == "" || f ~ /^\[/) ? "anon" : (f ~ /doublemapper/ ? "code" : "files") }
  /^Rss:/ { kb[kind] += $2 } END { printf "%.0f\t%.0f\t%.0f", kb["anon"] / 1024, kb["code"] / 1024, kb["files"] / 1024 }' "/proc/$1/smaps"; }
ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }

printf 'setting\treq/s\tcpu_us_per_req\tpeak_rss_mb\tvmhwm_mb\tanon_mb\tcode_mb\tfiles_mb\tenv\n' | tee "$OUT/results.tsv"
for spec in "$@"; do
  label=${spec%%|*}; envs=${spec#*|}
  ASPNETCORE_URLS="http://127.0.0.1:$GW_PORT" ConnectionStrings__gatewaydb="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=gatewaydb" \
  ConnectionStrings__redis="127.0.0.1:$REDIS_PORT" Gateway__ConfigFile="$TMP/gateway.yaml" Gateway__MasterKey="$MASTER_KEY" \
  Gateway__DataFolder="$TMP/data" env $envs dotnet "$DLL" >"$OUT/gateway-$label.log" 2>&1 & GW=$!
  wait_http "http://127.0.0.1:$GW_PORT/health/readiness" 200 90
  [[ -z "$KEY" ]] && KEY=$(governed_key)
  export BENCH_HEADERS="Authorization: Bearer $KEY"
  wrk -t"$THREADS" -c"$CONC" -d"${PREWARM}s" --timeout 10s -s "$HERE/post.lua" "http://127.0.0.1:$GW_PORT/v1/chat/completions" >/dev/null 2>&1 || true
  echo 0 >"$TMP/rss"
  ( max=0; while :; do r=$(status_kb "$GW" VmRSS); (( r > max )) && { max=$r; echo "$max" >"$TMP/rss"; }; sleep 0.5; done ) & sampler=$!
  before=$(ticks "$GW")
  line=$(wrk -t"$THREADS" -c"$CONC" -d"${DURATION}s" --timeout 10s -s "$HERE/post.lua" "http://127.0.0.1:$GW_PORT/v1/chat/completions" | grep '^BENCH ')
  after=$(ticks "$GW"); kill "$sampler"; wait "$sampler" 2>/dev/null || true
  hwm=$(status_kb "$GW" VmHWM); parts=$(rss_parts "$GW")
  kill "$GW"; wait "$GW" 2>/dev/null || true; GW=""
  requests=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line"); us=$(sed 's/.*duration_us=\([0-9]*\).*/\1/' <<<"$line")
  errors=$(grep -o 'err_[a-z]*=[1-9][0-9]*' <<<"$line" | tr '\n' ' ' || true)
  awk -v l="$label" -v r="$requests" -v us="$us" -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" -v rss="$(cat "$TMP/rss")" \
      -v hwm="$hwm" -v e="$envs" -v err="$errors" -v parts="$parts" \
    'BEGIN { printf "%s\t%.0f\t%.1f\t%.0f\t%.0f\t%s\t%s%s\n", l, r / (us / 1e6), t / hz * 1e6 / r, rss / 1024, hwm / 1024, parts, e, (err == "" ? "" : "  errors: " err) }' \
    | tee -a "$OUT/results.tsv"
done
