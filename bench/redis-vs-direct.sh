#!/usr/bin/env bash
# Benchmark: the Redis mode against the direct mode (issue 14's targets), side by side in one run.
# The emulator answers every generation after GENERATE_MS (default 1000 ms); 1, 2 and 4 browser sessions over
# 2 workers (1 = one worker with one session, 2 = two workers with one, 4 = two workers with two), each mode
# in turn, with as many concurrent clients as sessions, every request a real generation (Cache-Control:
# no-cache). Reports throughput against the ideal sessions / latency (target >= 0.9) and the p50 latency beyond
# the emulator's own (the Redis mode's added latency per job is the difference, target < 5 ms).
#
#   bench/redis-vs-direct.sh                 20 s per run after a 20 s warm-up, about 8 minutes
#   DURATION=10s SESSIONS="1 2" MODES=redis bench/redis-vs-direct.sh
#   FORMAT=jpeg bench/redis-vs-direct.sh      the same with JPEG answers (no PNG transcode on the worker)
#   WARMUP=5s WARMUP_MS=1000 ...               a short warm-up at the measured latency (the JIT barely starts)
#
# wrk's own summary rounds latencies to 10 ms and counts only the requests that finished inside the run, which
# at ~1 s per request and 1 connection loses up to one request per run (5 % at 20 s). So the table takes its
# latencies from wrk's histogram in microseconds (a Lua done hook) and gives a second throughput beside wrk's:
# connections / mean latency, which for a closed loop without think time is the throughput (Little's law)
# without the cut-off at the run's end.
#
# Needs: java 17+, python3, redis-server, wrk, curl, Chromium (/usr/bin/chromium or BROWSER_EXECUTABLE_PATH).
# Jars are built when missing. Everything runs on free loopback ports and is stopped at the end; the whole run is
# bounded by BENCH_TIMEOUT (900 s). Prints a markdown table for docs/benchmarks.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BENCH_TIMEOUT="${BENCH_TIMEOUT:-900}"
if [ -z "${REDIS_BENCH_BOUNDED:-}" ]; then
  REDIS_BENCH_BOUNDED=1 exec timeout --foreground -k 15 "$BENCH_TIMEOUT" "$0" "$@"
fi

DURATION="${DURATION:-20s}"
SESSIONS="${SESSIONS:-1 2 4}"
MODES="${MODES:-direct redis}"
GENERATE_MS="${GENERATE_MS:-1000}"
WARMUP="${WARMUP:-20s}"
WARMUP_MS="${WARMUP_MS:-20}"
FORMAT="${FORMAT:-png}"
case "$FORMAT" in png | jpeg) ;; *) echo "redis-vs-direct.sh: FORMAT is png or jpeg" >&2; exit 1 ;; esac
BROWSER="${BROWSER_EXECUTABLE_PATH:-/usr/bin/chromium}"
VERSION=0.1.0-SNAPSHOT
API_JAR="api-service/target/api-service-$VERSION.jar"
WORKER_JAR="worker-service/target/worker-service-$VERSION.jar"
EMULATOR_JAR="perchance-emulator/target/perchance-emulator-$VERSION-exec.jar"
API_JAVA_OPTS="${API_JAVA_OPTS:-$(sed -n 's/^API_JAVA_OPTS_DEFAULT="\(.*\)"$/\1/p' run.sh)}"
API_ARENAS="${API_MALLOC_ARENA_MAX:-$(sed -n 's/^API_MALLOC_ARENA_MAX="${API_MALLOC_ARENA_MAX:-\([0-9]*\)}"$/\1/p' run.sh)}"
RESULTS="$ROOT/bench/results"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"

die() { printf 'redis-vs-direct.sh: %s\n' "$*" >&2; exit 1; }
for tool in java python3 redis-server redis-cli wrk curl timeout; do command -v "$tool" >/dev/null || die "needs $tool"; done
[ -x "$BROWSER" ] || die "needs Chromium at $BROWSER (apt-get install -y chromium)"
if [ ! -f "$API_JAR" ] || [ ! -f "$WORKER_JAR" ] || [ ! -f "$EMULATOR_JAR" ]; then
  ./mvnw -B -q -pl perchance-emulator,api-service,worker-service -am -DskipTests package
fi

loopback_only() {
  case "$(sed -E 's#^[a-z]+://([^/:]*).*#\1#' <<<"$1")" in
    127.0.0.1 | localhost) ;;
    *) die "refusing a non-loopback target: $1" ;;
  esac
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/imagegen-redis-bench.XXXXXX")"
PIDS=()
stop_pids() { for pid in "$@"; do kill "$pid" 2>/dev/null || true; done; for pid in "$@"; do wait "$pid" 2>/dev/null || true; done; }
cleanup() {
  stop_pids "${PIDS[@]}"
  pkill -f "$WORK" 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
await_http() {
  for _ in $(seq 1 1800); do curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0; sleep 0.1; done
  die "not ready: $1 (logs in $WORK, KEEP_WORK=1 keeps them)"
}

REDIS_PORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$WORK" \
  >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"

EMULATOR_PORT=$(free_port)
PORT=$EMULATOR_PORT java -jar "$EMULATOR_JAR" >"$WORK/emulator.log" 2>&1 &
PIDS+=($!)
EMULATOR="http://127.0.0.1:$EMULATOR_PORT"
await_http "$EMULATOR/__emulator/config"
emulator_latency() {
  curl -fsS -o /dev/null -X POST "$EMULATOR/__emulator/config" -H 'Content-Type: application/json' \
    -d "{\"generateLatencyMs\":$1,\"turnstileDelayMs\":100}"
}
emulator_latency "$GENERATE_MS"
TOKEN="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
# wrk's histogram in microseconds, after its summary: "exact <mean> <p50> <p99> <max> <requests>"
cat >"$WORK/exact.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("exact %.0f %d %d %d %d\n", latency.mean, latency:percentile(50),
    latency:percentile(99), latency.max, summary.requests))
end
LUA

# start_worker NAME SESSIONS MODE: its base URL goes to WORKER_URLS, its pid to WORKER_PIDS
start_worker() {
  local name="$1" sessions="$2" mode="$3" port
  port=$(free_port)
  (
    export PORT="$port" SERVER_ADDRESS=127.0.0.1 WORKER_TOKEN="$TOKEN" PERCHANCE_BASE_URL="$EMULATOR" \
      PERCHANCE_SITE_URL="$EMULATOR" BROWSER_ENGINE=chromium BROWSER_EXECUTABLE_PATH="$BROWSER" \
      BROWSER_HEADLESS=true BROWSER_PROFILE_DIR="$WORK/profiles-$name" WORKER_SESSIONS="$sessions" \
      PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    [ "$mode" = redis ] && export REDIS_URL="$REDIS_URL"
    exec java -jar "$WORKER_JAR" >"$WORK/$mode-$name.log" 2>&1
  ) &
  WORKER_PIDS+=($!)
  WORKER_URLS+=("http://127.0.0.1:$port")
}

# one_config SESSIONS MODE: starts workers and an API, warms up, measures, stops them.
one_config() {
  local sessions="$1" mode="$2" layout api_port api out
  WORKER_PIDS=()
  WORKER_URLS=()
  case "$sessions" in
    1) layout="1" ;;
    2) layout="1 1" ;;
    *) layout="$((sessions / 2)) $((sessions - sessions / 2))" ;;
  esac
  local i=0
  for s in $layout; do start_worker "w$i-$sessions" "$s" "$mode"; i=$((i + 1)); done
  for url in "${WORKER_URLS[@]}"; do await_http "$url/actuator/health/readiness"; done
  api_port=$(free_port)
  (
    export PORT="$api_port" SERVER_ADDRESS=127.0.0.1 WORKER_TOKEN="$TOKEN" ANON_GENERATIONS_PER_MINUTE=1000000 \
      ANON_MAX_CONCURRENT=1000 CLIENT_REQUESTS_PER_MINUTE=1000000 IMAGE_CACHE_SIZE=0
    if [ "$mode" = redis ]; then export REDIS_URL="$REDIS_URL"; else export PERCHANCE_WORKER_URL="$(IFS=,; echo "${WORKER_URLS[*]}")"; fi
    # shellcheck disable=SC2086
    MALLOC_ARENA_MAX="$API_ARENAS" exec java $API_JAVA_OPTS -jar "$API_JAR" >"$WORK/$mode-api-$sessions.log" 2>&1
  ) &
  local api_pid=$!
  api="http://127.0.0.1:$api_port"
  await_http "$api/readyz"
  local url="$api/generate?prompt=a+benchmark+lighthouse&seed=7&format=$FORMAT"
  loopback_only "$url"
  # Warm-up: every session has its key, and the JIT has compiled the path. At GENERATE_MS a session makes one image
  # a second, too few for the JIT, which compiles a method after some hundreds of calls: measured from cold, both
  # modes ran their per-request code interpreted (MONITOR showed 6-9 ms of API time between two Redis commands),
  # which a service that has run for an hour does not. So the warm-up runs at WARMUP_MS, then at GENERATE_MS again
  # until every session has had a job at that latency.
  emulator_latency "$WARMUP_MS"
  wrk -t1 -c"$sessions" -d"$WARMUP" --timeout 30s -H 'Cache-Control: no-cache' "$url" >/dev/null
  emulator_latency "$GENERATE_MS"
  wrk -t1 -c"$sessions" -d"$((GENERATE_MS * 2 / 1000 + 2))s" --timeout 30s -H 'Cache-Control: no-cache' "$url" >/dev/null
  out="$(wrk -t1 -c"$sessions" -d"$DURATION" --timeout 30s --latency -s "$WORK/exact.lua" -H 'Cache-Control: no-cache' "$url")"
  printf '%s %s\n%s\n' "$mode" "$sessions" "$out" >>"$WORK/wrk.txt"
  awk -v mode="$mode" -v s="$sessions" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } $1 == "exact" { mean = $2 / 1000; p50 = $3 / 1000; p99 = $4 / 1000; n = $6 }
    /Non-2xx/ { bad = $NF }
    END { printf "%s %s %s %.1f %.1f %.1f %d %d\n", mode, s, rps, mean, p50, p99, n, bad + 0 }' <<<"$out" >>"$WORK/runs"
  stop_pids "$api_pid" "${WORKER_PIDS[@]}"
  redis-cli -p "$REDIS_PORT" FLUSHALL >/dev/null
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for sessions in $SESSIONS; do
  for mode in $MODES; do
    echo "sessions=$sessions mode=$mode ..." >&2
    one_config "$sessions" "$mode"
  done
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$RESULTS"
python3 - "$WORK/runs" <<PY | tee "$RESULTS/$STAMP-redis-vs-direct.md"
import sys
runs = {}
for line in open(sys.argv[1]):
    mode, s, rps, mean, p50, p99, n, bad = line.split()
    runs[(mode, int(s))] = (float(rps), float(mean), float(p50), float(p99), int(n), int(bad))
print("Machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(uname -sr), $(java -version 2>&1 | head -1 | tr -d '"')")
print("Run $STAMP: emulator latency ${GENERATE_MS} ms, format $FORMAT, warm-up $WARMUP at ${WARMUP_MS} ms, wrk -t1 -c<sessions> -d$DURATION, Cache-Control: no-cache (every request generates), load average $LOAD_BEFORE -> $LOAD_AFTER")
print()
print("| sessions | mode | images/s (wrk) | images/s (sessions / mean) | ideal | ratio (target >= 0.9) | mean ms | p50 ms | p50 beyond the emulator ms | p99 ms | requests | non-2xx |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for s in sorted({k[1] for k in runs}):
    ideal = s * 1000.0 / $GENERATE_MS
    for mode in ("direct", "redis"):
        if (mode, s) not in runs:
            continue
        rps, mean, p50, p99, n, bad = runs[(mode, s)]
        little = s * 1000.0 / mean
        print(f"| {s} | {mode} | {rps:.2f} | {little:.2f} | {ideal:.2f} | {rps / ideal:.2f} / {little / ideal:.2f} | {mean:.0f} | {p50:.0f} | {p50 - $GENERATE_MS:.0f} | {p99:.0f} | {n} | {bad} |")
print()
for s in sorted({k[1] for k in runs}):
    if ("direct", s) in runs and ("redis", s) in runs:
        print(f"- {s} session(s): the Redis mode adds {runs[('redis', s)][2] - runs[('direct', s)][2]:.0f} ms p50 per job over the direct mode")
PY
