#!/usr/bin/env bash
# LlmGateway benchmark: direct vs bare nginx hop vs a bare .NET forwarder vs LlmGateway vs Portkey's gateway, on loopback.
# See docs/benchmarks.md ("How to run", "How to read the numbers").
#
# Env (all optional):
#   BENCH_DURATION   seconds per measured wrk run            (default 10)
#   BENCH_WARMUP     seconds of warm-up before each run      (default 2)
#   BENCH_TTFB_N     sequential requests per TTFB measure    (default 300)
#   BENCH_TTFB_GAP_MS a pause before each of them (default 0: back to back)
#   BENCH_TARGETS    which targets to run                    (default "direct hop dotnet gateway gateway_open portkey")
#                    dotnet: bench/floor, Kestrel in and HttpClient out with nothing else (the .NET floor)
#                    gateway: a virtual key with rpm/tpm/budget (governance on); gateway_open: the same process
#                    called with the master key (no limits, no budget): the two measured in one run
#   BENCH_NO_BUILD=1 skip `dotnet build -c Release`
#   BENCH_NO_DOCS=1  do not rewrite docs/benchmarks.md
#   BENCH_OUT        output folder for logs and raw results  (default bench/out)
#   BENCH_SCENARIOS  subset of scenarios, e.g. "json-c1 json-c64" (default: all nine, cache-hit-c1 and cache-hit-c64 included)
#   BENCH_CACHE      0 skips the second, cache-on gateway and the cache-hit scenarios
#   BENCH_GATEWAY_ENV extra environment for the gateway process, for experiments, e.g.
#                    "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 DOTNET_gcServer=0"
#   BENCH_IDLE_WAIT  seconds the run may spend, in all, waiting before a scenario for the machine
#                    to be idle (>= 90% idle over 3 s) (default 300; 0: don't wait)
#   BENCH_ATTACH     a command run in the background during each measured LlmGateway run, with {pid},
#                    {scenario} (with the target: json-c64-gateway) and {out} replaced, e.g. a profiler:
#                    'dotnet-trace collect -p {pid} --duration 00:00:00:05 -o {out}/trace-{scenario}.nettrace'
#   BENCH_MASTER_KEY the gateway's master key (default: a random one per run)
#   BENCH_PREWARM    seconds of load on each LlmGateway process before measuring (default 15; tiered JIT)
#   BENCH_SOAK       minutes: instead of the scenarios, soak LlmGateway (only) at BENCH_SOAK_RATE req/s
#                    (default 500) against the 100 ms upstream, the client abandoning BENCH_SOAK_CANCEL_PCT
#                    (default 10) % of requests mid-flight; then check the ledger and the Redis counters
#                    and write the soak section of docs/benchmarks.md
#   BENCH_COUNTERS=1 record dotnet-counters (System.Runtime, Kestrel) during every gateway and baseline run,
#                    into $BENCH_OUT/counters-<scenario>-<target>.csv (needs `dotnet tool install -g dotnet-counters`)
#   BENCH_ROUNDS     measure each scenario this many times (default 1), the targets taking turns in every round, so
#                    a drift of the machine hits every target alike; the report shows each row's median round (by
#                    req/s) and the spread of its req/s over the rounds. For A/B comparisons (BENCH_BASELINE), use 3+.
#   BENCH_BASELINE   a git commit-ish (e.g. cd1a748, HEAD~5): also measure that commit's LlmGateway.Api, as the
#                    target `baseline` ("LlmGateway @<sha>"), beside the current build in the same run. The script
#                    checks it out in a temporary `git worktree` (removed on exit), builds it (Release, log in
#                    $BENCH_OUT/baseline-build.log) and starts it like `gateway` (same YAML, master key, pre-warm,
#                    BENCH_GATEWAY_ENV), with its own Postgres database (gatewaydb_baseline: an older build may
#                    not read a newer schema) and Redis database 1. It runs every scenario `gateway` runs except
#                    the cache-hit ones, and TTFB; the report adds a "LlmGateway vs baseline" table. It is added
#                    to BENCH_TARGETS when missing; ignored with BENCH_SOAK.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
DURATION="${BENCH_DURATION:-10}"
WARMUP="${BENCH_WARMUP:-2}"
TTFB_N="${BENCH_TTFB_N:-300}"
TARGETS="${BENCH_TARGETS:-direct hop dotnet gateway gateway_open portkey}"
OUT="${BENCH_OUT:-$HERE/out}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PORTKEY_VERSION="1.15.2"

mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/results.tsv "$OUT"/ttfb.tsv
TMP="$(mktemp -d /tmp/llmgw-bench.XXXXXX)"
chmod 755 "$TMP"
PIDS=()        # every process this script started, killed on exit by PID
PG_STARTED=""

BASELINE_DIR="$TMP/baseline-src"   # BENCH_BASELINE: the git worktree of the older commit
BASELINE_WT=""

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
has_target() { [[ " $TARGETS " == *" $1 "* ]]; }

as_postgres() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
  local rc=$?
  set +e
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  if [[ -n "$PG_STARTED" ]]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null 2>&1
  fi
  if [[ -n "$BASELINE_WT" ]]; then
    git -C "$ROOT" worktree remove --force "$BASELINE_DIR" >/dev/null 2>&1
  fi
  rm -rf "$TMP"
  [[ -n "$BASELINE_WT" ]] && git -C "$ROOT" worktree prune >/dev/null 2>&1
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_http() { # url [expected-code] [seconds]
  local url=$1 want=${2:-200} secs=${3:-60} code
  for _ in $(seq $((secs * 10))); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
    [[ "$code" == "$want" ]] && return 0
    sleep 0.1
  done
  die "$url did not answer $want within ${secs}s (last: $code)"
}

# ---------------------------------------------------------------- prerequisites
for tool in nginx wrk redis-server node npm curl python3; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y nginx-light wrk redis-server nodejs)"
done
[[ -x "$PG_BIN/initdb" ]] || die "PostgreSQL not found at $PG_BIN (set PG_BIN)"

# Another build on this 2-core machine skews everything: wait (bounded) until the CPUs are idle,
# and record, per run, how much CPU went to processes that are not part of the benchmark.
IDLE_WAIT="${BENCH_IDLE_WAIT:-300}"   # total budget of seconds to spend waiting, over the whole run
wait_idle() { # before each scenario, our servers idle: wait (within the budget) until the CPUs are >= 90% idle
  local idle shown=""
  while (( IDLE_WAIT > 0 )); do
    idle=$(idle_pct)
    (( idle >= 90 )) && return 0
    [[ -z "$shown" ]] && { log "machine busy (${idle}% idle): waiting for other work (budget left ${IDLE_WAIT}s)"; shown=1; }
    IDLE_WAIT=$((IDLE_WAIT - 3))
  done
}
cpu_busy_ticks() { awk '/^cpu / {print $2+$3+$4}' /proc/stat; } # user+nice+system: what processes use
idle_pct() { # over 3 s
  local a b; a=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat); sleep 3
  b=$(awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {split(a,x," "); split(b,y," "); t=y[1]-x[1]; print (t>0 ? int(100*(y[2]-x[2])/t) : 100)}'
}
LOAD1=$(cut -d' ' -f1 /proc/loadavg)
log "load average before start: $(cut -d' ' -f1-3 /proc/loadavg)"

# BENCH_BASELINE: the target `baseline`, an older commit's build (not with the soak: it measures the current build).
if [[ -n "${BENCH_BASELINE:-}" && -n "${BENCH_SOAK:-}" ]]; then
  log "BENCH_BASELINE is ignored with BENCH_SOAK (the soak measures the current build only)"
  TARGETS=" $TARGETS "; TARGETS="${TARGETS// baseline / }"
elif [[ -n "${BENCH_BASELINE:-}" ]]; then
  has_target baseline || TARGETS="$TARGETS baseline"
elif has_target baseline; then
  die "the baseline target needs BENCH_BASELINE=<git commit-ish>"
fi

if has_target gateway && [[ "${BENCH_NO_BUILD:-}" != 1 ]]; then
  log "building LlmGateway.Api (Release)"
  (cd "$ROOT" && dotnet build -c Release LlmGateway.Api -nologo -v q >"$OUT/build.log" 2>&1) || die "build failed, see $OUT/build.log"
fi
GW_DLL="$ROOT/LlmGateway.Api/bin/Release/net10.0/LlmGateway.Api.dll"
if has_target dotnet && [[ "${BENCH_NO_BUILD:-}" != 1 ]]; then
  log "building bench/floor (Release)"
  (cd "$HERE/floor" && dotnet build -c Release -nologo -v q >"$OUT/floor-build.log" 2>&1) || die "build failed, see $OUT/floor-build.log"
fi

if has_target baseline; then
  BASELINE_SHA=$(git -C "$ROOT" rev-parse --verify --quiet "${BENCH_BASELINE}^{commit}") \
    || die "BENCH_BASELINE=$BENCH_BASELINE is not a commit of $ROOT"
  BASELINE_SHORT=$(git -C "$ROOT" rev-parse --short "$BASELINE_SHA")
  log "baseline: checking out $BASELINE_SHORT ($BENCH_BASELINE) in a git worktree and building LlmGateway.Api (Release)"
  BASELINE_WT=1
  git -C "$ROOT" worktree add --detach "$BASELINE_DIR" "$BASELINE_SHA" >"$OUT/baseline-build.log" 2>&1 \
    || die "git worktree add failed, see $OUT/baseline-build.log"
  (cd "$BASELINE_DIR" && dotnet build -c Release LlmGateway.Api -nologo -v q >>"$OUT/baseline-build.log" 2>&1) \
    || die "baseline build failed, see $OUT/baseline-build.log"
  BASELINE_DLL=$(ls "$BASELINE_DIR"/LlmGateway.Api/bin/Release/*/LlmGateway.Api.dll 2>/dev/null | head -1)
  [[ -n "$BASELINE_DLL" ]] || die "baseline build produced no LlmGateway.Api.dll, see $OUT/baseline-build.log"
fi

if has_target portkey && [[ ! -f "$HERE/.peer/node_modules/@portkey-ai/gateway/build/start-server.js" ]]; then
  log "installing @portkey-ai/gateway@$PORTKEY_VERSION into bench/.peer (git-ignored)"
  mkdir -p "$HERE/.peer"
  [[ -f "$HERE/.peer/package.json" ]] || echo '{"name":"bench-peer","private":true}' >"$HERE/.peer/package.json"
  (cd "$HERE/.peer" && npm install --no-audit --no-fund "@portkey-ai/gateway@$PORTKEY_VERSION" >"$OUT/npm.log" 2>&1) \
    || die "npm install failed, see $OUT/npm.log"
fi

if [[ "${BENCH_COUNTERS:-}" == 1 ]]; then
  COUNTERS=$(command -v dotnet-counters || echo "$HOME/.dotnet/tools/dotnet-counters")
  [[ -x "$COUNTERS" ]] || die "BENCH_COUNTERS=1 needs dotnet-counters (dotnet tool install -g dotnet-counters)"
fi

FAKE_PORT=$(free_port); HOP_PORT=$(free_port); SLOW_PORT=$(free_port)
GW_PORT=$(free_port); PK_PORT=$(free_port); PG_PORT=$(free_port); REDIS_PORT=$(free_port)

# ---------------------------------------------------------------- fake upstream (nginx, fixed bodies)
nginx_string() { # a file's content as a single-quoted nginx string
  python3 -c 'import sys; d=open(sys.argv[1]).read(); print("\x27"+d.replace("\\","\\\\").replace("\x27","\\\x27")+"\x27")' "$1"
}
JSON_BODY=$(nginx_string "$HERE/fixtures/completion.json")
SSE_BODY=$(nginx_string "$HERE/fixtures/stream.sse")
mkdir -p "$TMP/nginx-fake" "$TMP/nginx-hop"
cat >"$TMP/nginx-fake/nginx.conf" <<EOF
worker_processes ${BENCH_FAKE_WORKERS:-2};
pid $TMP/nginx-fake/nginx.pid;
error_log $OUT/nginx-fake.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx-fake/body;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_max_body_size 1m;
  server {
    listen 127.0.0.1:$FAKE_PORT backlog=4096;
    location = /v1/chat/completions {
      default_type application/json;
      return 200 $JSON_BODY;
    }
    location = /stream/v1/chat/completions {
      default_type text/event-stream;
      add_header Cache-Control no-cache;
      return 200 $SSE_BODY;
    }
  }
}
EOF

# ---------------------------------------------------------------- bare proxy hop (nginx, keepalive pool)
cat >"$TMP/nginx-hop/nginx.conf" <<EOF
worker_processes ${BENCH_HOP_WORKERS:-2};
pid $TMP/nginx-hop/nginx.pid;
error_log $OUT/nginx-hop.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx-hop/body;
  proxy_temp_path $TMP/nginx-hop/proxy;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  upstream fake { server 127.0.0.1:$FAKE_PORT; keepalive 256; keepalive_requests 10000000; }
  upstream slow { server 127.0.0.1:$SLOW_PORT; keepalive 256; keepalive_requests 10000000; }
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  server {
    listen 127.0.0.1:$HOP_PORT backlog=4096;
    location /slow/ { proxy_pass http://slow/; }
    location /stream/ { proxy_pass http://fake; proxy_buffering off; }
    location / { proxy_pass http://fake; }
  }
}
EOF

log "starting fake upstream nginx :$FAKE_PORT, slow node upstream :$SLOW_PORT"
nginx -p "$TMP/nginx-fake" -c "$TMP/nginx-fake/nginx.conf" -g 'daemon off;' >>"$OUT/nginx-fake.log" 2>&1 &
PIDS+=($!); FAKE_PID=$!
node "$HERE/slow-upstream.js" "$SLOW_PORT" "${BENCH_SLOW_MS:-100}" >"$OUT/slow-upstream.log" 2>&1 &
PIDS+=($!); SLOW_PID=$!
OURS=("$FAKE_PID" "$SLOW_PID")   # benchmark processes besides wrk and the target (for the foreign-CPU column)

# ---------------------------------------------------------------- per-process accounting
CLK_TCK=$(getconf CLK_TCK)
pid_tree() { # a PID and its direct children (nginx master + workers)
  echo "$1"; pgrep -P "$1" 2>/dev/null || true
}
cpu_ticks() { # utime+stime over a PID and its live children, plus what its children that exited used (cutime+cstime):
  # a Postgres backend that closes during a run must not take its CPU out of the sum
  local total=0 p t
  t=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $14 + $15}') || t=0
  total=${t:-0}
  for p in $(pid_tree "$1"); do
    t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

rss_now_kb() { # sum of VmRSS (resident set now) over a PID and its children
  local total=0 p k
  for p in $(pid_tree "$1"); do
    k=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || k=0
    total=$((total + ${k:-0}))
  done
  echo "$total"
}

children_ticks() { sed 's/^.*) //' /proc/$$/stat | awk '{print $14 + $15}'; } # cutime+cstime: waited-for children (wrk)
STORES=()      # Redis and the Postgres postmaster: their CPU is the "stores" part of a governed request's cost
stores_ticks() {
  local total=0 p
  for p in "${STORES[@]}"; do total=$((total + $(cpu_ticks "$p"))); done
  echo "$total"
}
ours_ticks() { # the target's process tree plus the fake upstreams and redis
  local total=0 p
  for p in "${OURS[@]}" ${PROC[$1]:-}; do total=$((total + $(cpu_ticks "$p"))); done
  echo "$total"
}

# ---------------------------------------------------------------- targets
declare -A URL HDRS MODEL_JSON MODEL_STREAM MODEL_SLOW PROC
GOVERNANCE="n/a"

if has_target direct; then
  URL[direct]="http://127.0.0.1:$FAKE_PORT/v1/chat/completions"
  URL[direct_stream]="http://127.0.0.1:$FAKE_PORT/stream/v1/chat/completions"
  URL[direct_slow]="http://127.0.0.1:$SLOW_PORT/v1/chat/completions"
  HDRS[direct]="Authorization: Bearer sk-upstream"
  PROC[direct]=""
fi

if has_target hop; then
  log "starting bare nginx hop :$HOP_PORT"
  nginx -p "$TMP/nginx-hop" -c "$TMP/nginx-hop/nginx.conf" -g 'daemon off;' >>"$OUT/nginx-hop.log" 2>&1 &
  PIDS+=($!); PROC[hop]=$!
  URL[hop]="http://127.0.0.1:$HOP_PORT/v1/chat/completions"
  URL[hop_stream]="http://127.0.0.1:$HOP_PORT/stream/v1/chat/completions"
  URL[hop_slow]="http://127.0.0.1:$HOP_PORT/slow/v1/chat/completions"
  HDRS[hop]="Authorization: Bearer sk-upstream"
fi

if has_target dotnet; then
  DOTNET_PORT=$(free_port)
  log "starting the bare .NET forwarder :$DOTNET_PORT"
  ASPNETCORE_URLS="http://127.0.0.1:$DOTNET_PORT" FLOOR_UPSTREAM="http://127.0.0.1:$FAKE_PORT" FLOOR_SLOW="http://127.0.0.1:$SLOW_PORT" \
    dotnet "$HERE/floor/bin/Release/net10.0/Floor.dll" >"$OUT/floor.log" 2>&1 &
  PIDS+=($!); PROC[dotnet]=$!
  URL[dotnet]="http://127.0.0.1:$DOTNET_PORT/v1/chat/completions"
  URL[dotnet_stream]="http://127.0.0.1:$DOTNET_PORT/stream/v1/chat/completions"
  URL[dotnet_slow]="http://127.0.0.1:$DOTNET_PORT/slow/v1/chat/completions"
  HDRS[dotnet]="Authorization: Bearer sk-upstream"
  wait_http "http://127.0.0.1:$DOTNET_PORT/health" 404 30
fi

if has_target gateway || has_target baseline; then
  has_target gateway && { [[ -f "$GW_DLL" ]] || die "$GW_DLL not built"; }
  log "starting Postgres :$PG_PORT and Redis :$REDIS_PORT in $TMP"
  mkdir -p "$TMP/pg" "$TMP/pgsock"
  [[ "$(id -u)" == 0 ]] && chown postgres "$TMP/pg" "$TMP/pgsock"
  as_postgres "$PG_BIN/initdb" -D "$TMP/pg" -A trust -U postgres >"$OUT/postgres-init.log" 2>&1 || die "initdb failed, see $OUT/postgres-init.log"
  as_postgres "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg/server.log" -w \
    -o "-p $PG_PORT -k $TMP/pgsock -c listen_addresses=127.0.0.1" start >"$OUT/postgres.log" 2>&1 \
    || { cat "$TMP/pg/server.log" >>"$OUT/postgres.log" 2>/dev/null; die "postgres failed, see $OUT/postgres.log"; }
  PG_STARTED=1
  has_target gateway && as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres gatewaydb
  # The baseline migrates its own database at start-up: an older build may not understand a newer schema.
  has_target baseline && as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres gatewaydb_baseline
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$TMP" >"$OUT/redis.log" 2>&1 &
  PIDS+=($!); OURS+=($!); STORES+=($!)
  # Postgres (the postmaster and its backends) is the gateway's too: its CPU is not "other load".
  OURS+=("$(head -1 "$TMP/pg/postmaster.pid")"); STORES+=("$(head -1 "$TMP/pg/postmaster.pid")")

  MASTER_KEY="${BENCH_MASTER_KEY:-sk-bench-master-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
  cat >"$TMP/gateway.yaml" <<YAML
model_list:
  - model_name: bench
    litellm_params: { model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$FAKE_PORT/v1", api_key: sk-upstream }
    model_info: { input_cost_per_token: 0.00000015, output_cost_per_token: 0.0000006, max_tokens: 16384 }
  - model_name: bench-stream
    litellm_params: { model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$FAKE_PORT/stream/v1", api_key: sk-upstream }
    model_info: { input_cost_per_token: 0.00000015, output_cost_per_token: 0.0000006, max_tokens: 16384 }
  - model_name: bench-slow
    litellm_params: { model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$SLOW_PORT/v1", api_key: sk-upstream }
    model_info: { input_cost_per_token: 0.00000015, output_cost_per_token: 0.0000006, max_tokens: 16384 }
YAML
  cp "$TMP/gateway.yaml" "$OUT/gateway.yaml"
fi

start_gateway() { # target dll port config database redis data-folder log
  ASPNETCORE_URLS="http://127.0.0.1:$3" \
  ConnectionStrings__gatewaydb="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=$5" \
  ConnectionStrings__redis="$6" \
  Gateway__ConfigFile="$4" \
  Gateway__MasterKey="$MASTER_KEY" \
  Gateway__DataFolder="$7" \
    env ${BENCH_GATEWAY_ENV:-} dotnet "$2" >"$8" 2>&1 &
  PIDS+=($!); PROC[$1]=$!
  wait_http "http://127.0.0.1:$3/health/readiness" 200 90
}

# ---- GOVERNANCE HOOK (virtual keys issue) -------------------------------------------------
# When the management API exists, benchmark the way production runs: a team and a virtual key
# with rpm/tpm limits and a budget, all set high enough never to trip, so that every request pays
# for auth, the limit check and the budget reservation/settlement. Otherwise: the master key.
# governance PORT: sets GOV_KEY (the key to benchmark with) and GOV_STATE (for the report).
governance() {
  local port=$1 team_id="" key_body
  GOV_KEY="$MASTER_KEY"; GOV_STATE="off (master key: no /key/generate yet)"
  mgmt() { curl -s -o "$TMP/mgmt.json" -w '%{http_code}' --max-time 10 -X POST \
             -H "Authorization: Bearer $MASTER_KEY" -H 'Content-Type: application/json' \
             -d "$2" "http://127.0.0.1:$port$1" || true; }
  json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]) or "")' "$TMP/mgmt.json" "$1" 2>/dev/null || true; }
  if [[ "$(mgmt /team/new '{"team_alias":"bench-team","max_budget":1000000000,"rpm_limit":1000000000,"tpm_limit":1000000000000}')" == 200 ]]; then
    team_id=$(json_field team_id)
  fi
  key_body='{"key_alias":"bench-key","max_budget":1000000000,"rpm_limit":1000000000,"tpm_limit":1000000000000'
  [[ -n "$team_id" ]] && key_body+=",\"team_id\":\"$team_id\""
  key_body+='}'
  if [[ "$(mgmt /key/generate "$key_body")" == 200 ]] && [[ -n "$(json_field key)" ]]; then
    GOV_KEY=$(json_field key)
    GOV_STATE="on (virtual key${team_id:+ in team $team_id}, rpm/tpm/budget set high)"
  fi
}
# ---------------------------------------------------------------------------------------------

if has_target gateway; then
  log "starting LlmGateway :$GW_PORT"
  start_gateway gateway "$GW_DLL" "$GW_PORT" "$TMP/gateway.yaml" gatewaydb "127.0.0.1:$REDIS_PORT" \
    "$TMP/gateway-data" "$OUT/gateway.log"

  URL[gateway]="http://127.0.0.1:$GW_PORT/v1/chat/completions"
  URL[gateway_stream]="${URL[gateway]}"; URL[gateway_slow]="${URL[gateway]}"
  MODEL_JSON[gateway]=bench; MODEL_STREAM[gateway]=bench-stream; MODEL_SLOW[gateway]=bench-slow

  # A second gateway with the response cache on (same Postgres and Redis): the cache-hit scenarios.
  if [[ "${BENCH_CACHE:-1}" != 0 ]]; then
    GWC_PORT=$(free_port)
    { cat "$TMP/gateway.yaml"; printf 'litellm_settings:\n  cache: true\n  cache_params: { type: redis, ttl: 3600 }\n'; } >"$TMP/gateway-cached.yaml"
    log "starting LlmGateway with the response cache :$GWC_PORT"
    # Its own Redis database: a shared usage stream would let it do part of the measured gateway's ledger work (CPU the
    # table would not count as the gateway's, and that a baseline on its own database would pay in full).
    start_gateway gateway_cached "$GW_DLL" "$GWC_PORT" "$TMP/gateway-cached.yaml" gatewaydb "127.0.0.1:$REDIS_PORT,defaultDatabase=2" \
      "$TMP/gateway-cached-data" "$OUT/gateway-cached.log"
    URL[gateway_cached]="http://127.0.0.1:$GWC_PORT/v1/chat/completions"
    MODEL_JSON[gateway_cached]=bench
  fi

  governance "$GW_PORT"
  GW_KEY="$GOV_KEY"; GOVERNANCE="$GOV_STATE"
  log "governance: $GOVERNANCE"
  HDRS[gateway]="Authorization: Bearer $GW_KEY"
  HDRS[gateway_cached]="Authorization: Bearer $GW_KEY"
  # gateway_open: the same process and models, called with the master key: the path without limits or a budget.
  URL[gateway_open]="${URL[gateway]}"; URL[gateway_open_stream]="${URL[gateway]}"; URL[gateway_open_slow]="${URL[gateway]}"
  MODEL_JSON[gateway_open]=bench; MODEL_STREAM[gateway_open]=bench-stream; MODEL_SLOW[gateway_open]=bench-slow
  HDRS[gateway_open]="Authorization: Bearer $MASTER_KEY"; PROC[gateway_open]=${PROC[gateway]}
fi

# BENCH_BASELINE: the older commit's build, started like `gateway` (same YAML, master key and environment), with its
# own Postgres database and Redis database 1 (its usage stream, counters and key cache stay apart from the current build's).
BASELINE_GOVERNANCE=""
if has_target baseline; then
  BL_PORT=$(free_port)
  log "starting LlmGateway @$BASELINE_SHORT (baseline) :$BL_PORT"
  start_gateway baseline "$BASELINE_DLL" "$BL_PORT" "$TMP/gateway.yaml" gatewaydb_baseline "127.0.0.1:$REDIS_PORT,defaultDatabase=1" \
    "$TMP/baseline-data" "$OUT/baseline.log"
  URL[baseline]="http://127.0.0.1:$BL_PORT/v1/chat/completions"
  URL[baseline_stream]="${URL[baseline]}"; URL[baseline_slow]="${URL[baseline]}"
  MODEL_JSON[baseline]=bench; MODEL_STREAM[baseline]=bench-stream; MODEL_SLOW[baseline]=bench-slow
  governance "$BL_PORT"
  BASELINE_GOVERNANCE="$GOV_STATE"
  log "baseline governance: $BASELINE_GOVERNANCE"
  HDRS[baseline]="Authorization: Bearer $GOV_KEY"
fi

if has_target portkey; then
  log "starting Portkey gateway $PORTKEY_VERSION :$PK_PORT"
  (cd "$HERE/.peer" && exec node -r "$HERE/preload.js" node_modules/@portkey-ai/gateway/build/start-server.js \
      --port="$PK_PORT" --headless) >"$OUT/portkey.log" 2>&1 &
  PIDS+=($!); PROC[portkey]=$!
  wait_http "http://127.0.0.1:$PK_PORT/" 200 60
  URL[portkey]="http://127.0.0.1:$PK_PORT/v1/chat/completions"
  URL[portkey_stream]="${URL[portkey]}"; URL[portkey_slow]="${URL[portkey]}"
  HDRS[portkey]="Authorization: Bearer sk-upstream
x-portkey-provider: openai
x-portkey-custom-host: http://127.0.0.1:$FAKE_PORT/v1"
  HDRS[portkey_stream]="Authorization: Bearer sk-upstream
x-portkey-provider: openai
x-portkey-custom-host: http://127.0.0.1:$FAKE_PORT/stream/v1"
  HDRS[portkey_slow]="Authorization: Bearer sk-upstream
x-portkey-provider: openai
x-portkey-custom-host: http://127.0.0.1:$SLOW_PORT/v1"
  # Portkey binds all interfaces unless the preload works: refuse to run exposed.
  if ss -ltnp 2>/dev/null | grep -q ":$PK_PORT " && ! ss -ltn | grep -q "127.0.0.1:$PK_PORT "; then
    die "Portkey is not bound to 127.0.0.1 only"
  fi
fi
wait_http "http://127.0.0.1:$FAKE_PORT/" 404 20

# ---------------------------------------------------------------- one scenario
body_for() { # target kind(json|stream|slow)
  local model=gpt-4o-mini
  case $2 in
    json) model=${MODEL_JSON[$1]:-$model} ;;
    stream) model=${MODEL_STREAM[$1]:-$model} ;;
    slow) model=${MODEL_SLOW[$1]:-$model} ;;
  esac
  local stream=false; [[ $2 == stream ]] && stream=true
  printf '{"model":"%s","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":64,"stream":%s}' "$model" "$stream"
}
url_for() { case $2 in json) echo "${URL[$1]}" ;; *) echo "${URL[${1}_$2]}" ;; esac; }
hdrs_for() { local k="${1}_$2"; [[ $2 != json && -n "${HDRS[$k]:-}" ]] && echo "${HDRS[$k]}" || echo "${HDRS[$1]}"; }

sanity() { # target kind
  local args=() out
  while IFS= read -r h; do [[ -n "$h" ]] && args+=(-H "$h"); done <<<"$(hdrs_for "$1" "$2")"
  out=$(curl -s --max-time 10 -X POST "$(url_for "$1" "$2")" -H 'Content-Type: application/json' "${args[@]}" \
        -d "$(body_for "$1" "$2")" || true)
  case $2 in
    stream) [[ "$out" == *"[DONE]"* && "$out" == *"benchmark"* ]] ;;
    *) [[ "$out" == *"benchmark answer"* ]] ;;
  esac || die "$1 ($2) did not answer correctly: ${out:0:400}"
}

run_wrk() { # scenario target kind concurrency
  local scenario=$1 target=$2 kind=$3 conc=$4 threads=2 url pid line before after rss
  (( conc < threads )) && threads=$conc
  url=$(url_for "$target" "$kind")
  export BENCH_BODY BENCH_HEADERS
  BENCH_BODY=$(body_for "$target" "$kind"); BENCH_HEADERS=$(hdrs_for "$target" "$kind")
  wrk -t"$threads" -c"$conc" -d"${WARMUP}s" --timeout 10s -s "$HERE/post.lua" "$url" >/dev/null 2>&1 || true
  pid=${PROC[$target]:-}
  [[ -n "$pid" ]] && before=$(cpu_ticks "$pid")
  local counters_pid=""
  if [[ "${BENCH_COUNTERS:-}" == 1 && ( "$target" == gateway || "$target" == baseline ) ]]; then
    "$COUNTERS" collect -p "$pid" --refresh-interval 1 --format csv -o "$OUT/counters-$scenario-$target.csv" \
      --counters System.Runtime,Microsoft.AspNetCore.Server.Kestrel --duration "00:00:00:$(printf '%02d' "$DURATION")" \
      >"$OUT/counters-$scenario-$target.log" 2>&1 &
    counters_pid=$!; PIDS+=($counters_pid)
  fi
  local attach_pid=""
  if [[ -n "${BENCH_ATTACH:-}" && ( "$target" == gateway || "$target" == baseline ) ]]; then
    local cmd=${BENCH_ATTACH//\{pid\}/$pid}; cmd=${cmd//\{scenario\}/$scenario-$target}; cmd=${cmd//\{out\}/$OUT}
    bash -c "$cmd" >"$OUT/attach-$scenario-$target.log" 2>&1 &
    attach_pid=$!; PIDS+=($attach_pid)
  fi
  # The highest resident set sampled during the measured run (VmHWM would also hold start-up transients).
  local rss_file="$TMP/rss-$scenario-$target" sampler=""
  if [[ -n "$pid" ]]; then
    echo 0 >"$rss_file"
    ( max=0; while :; do r=$(rss_now_kb "$pid"); (( r > max )) && { max=$r; echo "$max" >"$rss_file"; }; sleep 0.5; done ) &
    sampler=$!; PIDS+=($sampler)
  fi
  local sys_before ours_before wrk_before stores_before
  sys_before=$(cpu_busy_ticks); ours_before=$(ours_ticks "$target"); wrk_before=$(children_ticks); stores_before=$(stores_ticks)
  wrk -t"$threads" -c"$conc" -d"${DURATION}s" --timeout 10s --latency -s "$HERE/post.lua" "$url" \
    >"$OUT/wrk-$scenario-$target.log" 2>&1 || true
  # CPU (in % of one core) used during the run by processes that are not part of this benchmark
  local foreign
  foreign=$(( ($(cpu_busy_ticks) - sys_before - ($(ours_ticks "$target") - ours_before) - ($(children_ticks) - wrk_before)) * 100 / (CLK_TCK * DURATION) ))
  (( foreign < 0 )) && foreign=0
  local stores=$(( ($(stores_ticks) - stores_before) * 1000000 / CLK_TCK ))   # Redis + Postgres CPU during the run, µs
  [[ -n "$counters_pid" ]] && { wait "$counters_pid" 2>/dev/null || true; }
  [[ -n "$attach_pid" ]] && { wait "$attach_pid" 2>/dev/null || true; }
  line=$(grep '^BENCH ' "$OUT/wrk-$scenario-$target.log" || true)
  [[ -n "$line" ]] || die "wrk produced no result for $scenario/$target, see $OUT/wrk-$scenario-$target.log"
  local cpu="" rss=""
  if [[ -n "$pid" ]]; then
    after=$(cpu_ticks "$pid")
    cpu=$(( (after - before) * 1000000 / CLK_TCK ))   # microseconds of CPU during the run
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
    rss=$(cat "$rss_file")
  fi
  # scenario target kind conc cpu_us rss_kb + wrk's key=value pairs
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s foreign_cpu_pct=%s stores_cpu_us=%s\n' "$scenario" "$target" "$kind" "$conc" "${cpu:--}" "${rss:--}" "${line#BENCH }" "$foreign" "$stores" >>"$OUT/results.tsv"
  log "  $scenario $target: ${line#BENCH }${cpu:+ cpu_us=$cpu} ${rss:+rss_kb=$rss} foreign_cpu_pct=$foreign"
}

# ---------------------------------------------------------------- run
ALL=(); for t in direct hop dotnet gateway gateway_open baseline portkey; do has_target $t && [[ $t != gateway_open || -n "${URL[gateway_open]:-}" ]] && ALL+=("$t"); done
for t in "${ALL[@]}"; do
  sanity "$t" json; sanity "$t" stream; sanity "$t" slow
done
# The first call stores the answer; every measured call is then a hit.
CACHED=(); [[ -n "${URL[gateway_cached]:-}" ]] && { sanity gateway_cached json; CACHED=(direct gateway_cached); }
log "all targets answer correctly; measuring ${DURATION}s per run after ${WARMUP}s warm-up"
# .NET compiles hot code again, optimised, during its first seconds under load (tiered JIT): measure the steady state
# a long-running gateway is in, after one pre-warm of every path (BENCH_PREWARM seconds, default 15; 0 skips it).
PREWARM="${BENCH_PREWARM:-15}"
if (( PREWARM > 0 )) && [[ -z "${BENCH_SOAK:-}" ]]; then
  for t in gateway baseline gateway_cached; do
    [[ -n "${URL[$t]:-}" ]] || continue
    log "pre-warming $t for ${PREWARM}s"
    for kind in json stream; do
      [[ $t == gateway_cached && $kind == stream ]] && continue
      BENCH_BODY=$(body_for "$t" "$kind") BENCH_HEADERS=$(hdrs_for "$t" "$kind") \
        wrk -t2 -c16 -d"$((PREWARM / 2 + 1))s" --timeout 10s -s "$HERE/post.lua" "$(url_for "$t" "$kind")" >/dev/null 2>&1 || true
    done
  done
fi
START=$(date +%s)

# ---------------------------------------------------------------- soak (BENCH_SOAK=minutes)
if [[ -n "${BENCH_SOAK:-}" ]]; then
  has_target gateway || die "BENCH_SOAK needs the gateway target"
  SOAK_S=$(( BENCH_SOAK * 60 )); SOAK_RATE=${BENCH_SOAK_RATE:-500}; SOAK_CANCEL=${BENCH_SOAK_CANCEL_PCT:-10}
  psql_q() { as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d gatewaydb -Atc "$1"; }
  rows_before=$(psql_q "SELECT count(*) FROM spend_logs")
  log "soak: ${BENCH_SOAK} min at $SOAK_RATE req/s, ${SOAK_CANCEL}% abandoned mid-flight, 100 ms upstream"
  BENCH_BODY=$(body_for gateway slow) BENCH_HEADERS=$(hdrs_for gateway json) \
    node "$HERE/soak.js" "$(url_for gateway slow)" "$SOAK_RATE" "$SOAK_S" "$SOAK_CANCEL" "${PROC[gateway]}" 30 \
    | tee "$OUT/soak.log" | while IFS= read -r l; do log "  $l"; done
  total=$(grep '^SOAKTOTAL ' "$OUT/soak.log" || true)
  [[ -n "$total" ]] || die "soak produced no result, see $OUT/soak.log"
  sent=$(sed -n 's/.* sent=\([0-9]*\).*/\1/p' <<<"$total")
  # The ledger is written from the Redis stream a moment later: wait (bounded) until it stops growing.
  last=-1; rows=0
  for _ in $(seq 60); do
    rows=$(( $(psql_q "SELECT count(*) FROM spend_logs") - rows_before ))
    [[ "$rows" == "$last" ]] && break
    last=$rows; sleep 2
  done
  statuses=$(psql_q "SELECT string_agg(status || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT status, count(*) n FROM spend_logs GROUP BY status) s")
  reserved=$(redis-cli -p "$REDIS_PORT" --scan --pattern '*:reserved:*' | while read -r k; do redis-cli -p "$REDIS_PORT" GET "$k"; done | awk '{s+=$1} END {print s+0}')
  holds=$(redis-cli -p "$REDIS_PORT" --scan --pattern '*:holds:*' | while read -r k; do redis-cli -p "$REDIS_PORT" ZCARD "$k"; done | awk '{s+=$1} END {print s+0}')
  spent_redis=$(redis-cli -p "$REDIS_PORT" --scan --pattern '*:team:*:spent:*' | head -1 | xargs -r redis-cli -p "$REDIS_PORT" GET)
  spent_ledger=$(psql_q "SELECT coalesce(round(sum(spend) * 1000000000), 0)::bigint FROM spend_logs WHERE team_id IS NOT NULL")
  redis_mem=$(redis-cli -p "$REDIS_PORT" INFO memory | sed -n 's/^used_memory_human:\(.*\)\r*$/\1/p' | tr -d '\r')
  stream_len=$(redis-cli -p "$REDIS_PORT" XLEN llmgateway:usage)
  export SOAK_TOTAL="$total" SOAK_ROWS="$rows" SOAK_SENT="$sent" SOAK_STATUSES="$statuses" SOAK_RESERVED="$reserved" SOAK_HOLDS="$holds"
  export SOAK_SPENT_REDIS="${spent_redis:-}" SOAK_SPENT_LEDGER="$spent_ledger" SOAK_REDIS_MEM="$redis_mem" SOAK_STREAM_LEN="$stream_len"
  export SOAK_MINUTES="$BENCH_SOAK" SOAK_RATE SOAK_CANCEL SOAK_GOVERNANCE="$GOVERNANCE"
  export SOAK_COMMIT="$(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- . 2>/dev/null || echo '+dirty')"
  export SOAK_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
  DOC="$ROOT/docs/benchmarks.md"; [[ "${BENCH_NO_DOCS:-}" == 1 ]] && DOC=""
  python3 "$HERE/soak-report.py" "$OUT/soak.log" "$DOC" | tee "$OUT/soak-report.md"
  exit 0
fi

SCENARIOS=("json-c1 json 1" "json-c16 json 16" "json-c64 json 64" "stream-c1 stream 1" "stream-c16 stream 16" "stream-c64 stream 64" "slow100ms-c128 slow 128" "cache-hit-c1 json 1" "cache-hit-c64 json 64")
for s in "${SCENARIOS[@]}"; do
  read -r name kind conc <<<"$s"
  [[ -n "${BENCH_SCENARIOS:-}" && " $BENCH_SCENARIOS " != *" $name "* ]] && continue
  targets=("${ALL[@]}"); [[ $name == cache-hit-* ]] && targets=("${CACHED[@]}")
  [[ ${#targets[@]} -eq 0 ]] && continue
  wait_idle
  log "scenario $name"
  for ((round = 1; round <= ${BENCH_ROUNDS:-1}; round++)); do
    (( ${BENCH_ROUNDS:-1} > 1 )) && log "  round $round of $BENCH_ROUNDS"
    for t in "${targets[@]}"; do run_wrk "$name" "$t" "$kind" "$conc"; done
  done
done

wait_idle
log "time to first byte on streams ($TTFB_N sequential requests each)"
for ((round = 1; round <= ${BENCH_ROUNDS:-1}; round++)); do
  for t in "${ALL[@]}"; do
    BENCH_BODY=$(body_for "$t" stream) BENCH_HEADERS=$(hdrs_for "$t" stream) \
      node "$HERE/ttfb.js" "$(url_for "$t" stream)" "$TTFB_N" >"$OUT/ttfb-$t.log" 2>&1 || true
    line=$(grep '^TTFB ' "$OUT/ttfb-$t.log" || true)
    [[ -n "$line" ]] || die "no TTFB result for $t, see $OUT/ttfb-$t.log"
    printf '%s\t%s\n' "$t" "${line#TTFB }" >>"$OUT/ttfb.tsv"
    log "  $t: ${line#TTFB }"
  done
done
ELAPSED=$(( $(date +%s) - START ))

# ---------------------------------------------------------------- report
export BENCH_COMMIT="$(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- . 2>/dev/null || echo '+dirty')"
export BENCH_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
export BENCH_MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo)"
export BENCH_LOAD_BEFORE="$LOAD1" BENCH_LOAD_AFTER="$(cut -d' ' -f1 /proc/loadavg)"
export BENCH_GOVERNANCE="$GOVERNANCE" BENCH_DURATION_S="$DURATION" BENCH_WARMUP_S="$WARMUP" BENCH_ELAPSED_S="$ELAPSED"
export BENCH_TTFB_COUNT="$TTFB_N"
if has_target baseline; then
  export BENCH_BASELINE_NAME="LlmGateway @$BASELINE_SHORT" BENCH_BASELINE_COMMIT="$BASELINE_SHORT"
  export BENCH_BASELINE_REF="$BENCH_BASELINE" BENCH_BASELINE_GOVERNANCE="$BASELINE_GOVERNANCE"
fi
DOC="$ROOT/docs/benchmarks.md"
[[ "${BENCH_NO_DOCS:-}" == 1 ]] && DOC=""
node "$HERE/report.js" "$OUT/results.tsv" "$OUT/ttfb.tsv" "$DOC" | tee "$OUT/report.md"
log "done in $(( $(date +%s) - START ))s of measuring; raw results in $OUT"
