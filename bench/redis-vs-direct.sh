#!/usr/bin/env bash
# Benchmark: the Redis mode against the direct mode (issue 14's targets), side by side in one run.
# The emulator answers every generation after GENERATE_MS (default 1000 ms); 1, 2 and 4 browser sessions over
# 2 workers (1 = one worker with one session, 2 = two workers with one, 4 = two workers with two). The workers run
# in the Redis mode, which serves HTTP too, and two APIs use them at once: one in the direct mode
# (PERCHANCE_WORKER_URL lists the workers) and one in the Redis mode. Measured blocks alternate between the two
# (direct, redis, redis, direct, ...), each with as many concurrent clients as sessions, every request a real
# generation (Cache-Control: no-cache). Reports throughput against the ideal sessions / latency (target >= 0.9)
# and the p50 latency beyond the emulator's own, pooled over each mode's blocks; the Redis mode's added latency
# per job is the difference of the two p50s (target < 5 ms).
#
#   bench/redis-vs-direct.sh                  30 s per mode in 6 blocks of 5 s, after 60 s of warm-up, ~12 minutes
#   DURATION=60s SESSIONS="1 2" bench/redis-vs-direct.sh
#   FORMAT=jpeg bench/redis-vs-direct.sh      the same with JPEG answers (no PNG transcode on the worker)
#   BLOCKS=3 WARMUP=5s WARMUP_MS=1000 ...      fewer, longer blocks; a short warm-up at the measured latency
#
# wrk's own summary rounds latencies to 10 ms and counts only the requests that finished inside the run, which
# at ~1 s per request loses up to one request per connection and block. So the table takes its latencies from
# wrk's histogram in microseconds (a Lua done hook) and gives a second throughput beside wrk's: connections /
# mean latency, which for a closed loop without think time is the throughput (Little's law) without the cut-off
# at each block's end.
#
# Needs: java 17+, python3, redis-server, wrk, curl, Chromium (/usr/bin/chromium or BROWSER_EXECUTABLE_PATH).
# Jars are built when missing. Everything runs on free loopback ports and is stopped at the end; the whole run is
# bounded by BENCH_TIMEOUT (1500 s). Prints a markdown table for docs/benchmarks.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCRIPT=redis-vs-direct.sh
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

BENCH_TIMEOUT="${BENCH_TIMEOUT:-1500}"
if [ -z "${REDIS_BENCH_BOUNDED:-}" ]; then
  REDIS_BENCH_BOUNDED=1 exec timeout --foreground -k 15 "$BENCH_TIMEOUT" "$0" "$@"
fi

DURATION="${DURATION:-30s}"
BLOCKS="${BLOCKS:-6}"
SESSIONS="${SESSIONS:-1 2 4}"
GENERATE_MS="${GENERATE_MS:-1000}"
WARMUP="${WARMUP:-60s}"
WARMUP_MS="${WARMUP_MS:-20}"
FORMAT="${FORMAT:-png}"
seconds() { [[ "$2" =~ ^([0-9]+)s?$ ]] || die "$1 is whole seconds (30s)"; echo "${BASH_REMATCH[1]}"; }
DURATION_SECONDS="$(seconds DURATION "$DURATION")"
WARMUP_SECONDS="$(seconds WARMUP "$WARMUP")"
[[ "$BLOCKS" =~ ^[1-9][0-9]*$ ]] || die "BLOCKS is a positive number"
BLOCK_SECONDS=$((DURATION_SECONDS / BLOCKS))
[ "$BLOCK_SECONDS" -ge 2 ] || die "DURATION / BLOCKS is under 2 s"
case "$FORMAT" in png | jpeg) ;; *) die "FORMAT is png or jpeg" ;; esac
BROWSER="${BROWSER_EXECUTABLE_PATH:-/usr/bin/chromium}"
VERSION=0.1.0-SNAPSHOT
API_JAR="api-service/target/api-service-$VERSION.jar"
WORKER_JAR="worker-service/target/worker-service-$VERSION.jar"
EMULATOR_JAR="perchance-emulator/target/perchance-emulator-$VERSION-exec.jar"
API_JAVA_OPTS="${API_JAVA_OPTS:-$(run_sh_api_flags)}"
API_ARENAS="$(run_sh_api_arenas)"
RESULTS="$ROOT/bench/results"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"

for tool in java python3 redis-server redis-cli wrk curl timeout; do command -v "$tool" >/dev/null || die "needs $tool"; done
[ -x "$BROWSER" ] || die "needs Chromium at $BROWSER (apt-get install -y chromium)"
if [ ! -f "$API_JAR" ] || [ ! -f "$WORKER_JAR" ] || [ ! -f "$EMULATOR_JAR" ]; then
  ./mvnw -B -q -pl perchance-emulator,api-service,worker-service -am -DskipTests package
fi

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
# wrk's latencies in microseconds, after its summary: "exact <mean> <p50> <p99> <max> <requests>", then one
# "lat <microseconds> <count>" line per distinct latency, which the report pools over a mode's blocks.
cat >"$WORK/exact.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("exact %.0f %d %d %d %d\n", latency.mean, latency:percentile(50),
    latency:percentile(99), latency.max, summary.requests))
  for i = 1, #latency do
    local v, c = latency(i)
    io.write(string.format("lat %d %d\n", v, c))
  end
end
LUA

# start_worker NAME SESSIONS: a worker in the Redis mode (it pulls from the stream and serves HTTP as well); its
# base URL goes to WORKER_URLS, its pid to PIDS. Its sessions never relaunch their browsers as planned (every 500
# jobs by default, which the warm-up at 20 ms reaches): a relaunch costs a second or two of CPU and the jobs
# waiting meanwhile, whichever mode's block it falls into.
start_worker() {
  local name="$1" sessions="$2" port
  port=$(free_port)
  PORT="$port" SERVER_ADDRESS=127.0.0.1 WORKER_TOKEN="$TOKEN" PERCHANCE_BASE_URL="$EMULATOR" \
    PERCHANCE_SITE_URL="$EMULATOR" BROWSER_ENGINE=chromium BROWSER_EXECUTABLE_PATH="$BROWSER" \
    BROWSER_HEADLESS=true BROWSER_PROFILE_DIR="$WORK/profiles-$name" WORKER_SESSIONS="$sessions" \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 REDIS_URL="$REDIS_URL" \
    java -Dimagegen.worker.browser.recycle-after=0 -jar "$WORKER_JAR" >"$WORK/worker-$name.log" 2>&1 &
  PIDS+=($!)
  CONFIG_PIDS+=($!)
  WORKER_URLS+=("http://127.0.0.1:$port")
}

# start_api MODE SESSIONS: an API in the given mode over this configuration's workers; its base URL goes to
# API_URL[MODE]
declare -A API_URL
start_api() {
  local mode="$1" sessions="$2" port
  port=$(free_port)
  (
    export PORT="$port" SERVER_ADDRESS=127.0.0.1 WORKER_TOKEN="$TOKEN" ANON_GENERATIONS_PER_MINUTE=1000000 \
      ANON_MAX_CONCURRENT=1000 CLIENT_REQUESTS_PER_MINUTE=1000000 IMAGE_CACHE_SIZE=0
    if [ "$mode" = redis ]; then export REDIS_URL="$REDIS_URL"; else export PERCHANCE_WORKER_URL="$(IFS=,; echo "${WORKER_URLS[*]}")"; fi
    # shellcheck disable=SC2086
    MALLOC_ARENA_MAX="$API_ARENAS" exec java $API_JAVA_OPTS -jar "$API_JAR" >"$WORK/api-$mode-$sessions.log" 2>&1
  ) &
  PIDS+=($!)
  CONFIG_PIDS+=($!)
  API_URL[$mode]="http://127.0.0.1:$port"
}

url_of() {
  local url="${API_URL[$1]}/generate?prompt=a+benchmark+lighthouse&seed=7&format=$FORMAT"
  loopback_only "$url"
  printf '%s' "$url"
}

# run_wrk MODE SESSIONS SECONDS [OUT]: one closed-loop run, every request a generation
run_wrk() {
  local out="${4:-/dev/null}"
  wrk -t1 -c"$2" -d"$3s" --timeout 30s --latency -s "$WORK/exact.lua" -H 'Cache-Control: no-cache' \
    "$(url_of "$1")" >"$out"
}

# one_config SESSIONS: starts the workers (Redis mode) and one API of each mode over them, warms both up, then
# measures in alternating blocks (direct, redis, redis, direct, direct, ...), and stops them. Both modes use the
# same Chromiums, JVMs and sessions, and the alternation spreads whatever drifts over a run (the machine's other
# load, the JIT, the page's state) over both, so the difference of their pooled p50s is Redis's own share.
# Separately started process sets, as this script used before, differed by 5-10 ms p50 among themselves.
one_config() {
  local sessions="$1" layout mode block
  WORKER_URLS=()
  CONFIG_PIDS=()
  case "$sessions" in
    1) layout="1" ;;
    2) layout="1 1" ;;
    *) layout="$((sessions / 2)) $((sessions - sessions / 2))" ;;
  esac
  local i=0
  for s in $layout; do start_worker "w$i-$sessions" "$s"; i=$((i + 1)); done
  for url in "${WORKER_URLS[@]}"; do await_http "$url/actuator/health/readiness"; done
  start_api direct "$sessions"
  start_api redis "$sessions"
  await_http "${API_URL[direct]}/readyz"
  await_http "${API_URL[redis]}/readyz"
  # Warm-up: every session has its key, and the JIT has compiled both paths. At GENERATE_MS a session makes one
  # image a second, too few for the JIT, which compiles a method after some hundreds of calls: measured from
  # cold, both modes ran their per-request code interpreted (MONITOR showed 6-9 ms of API time between two Redis
  # commands), which a service that has run for an hour does not. So the warm-up runs at WARMUP_MS, then at
  # GENERATE_MS again until every session has had a job at that latency. The Redis mode's API needs the longer
  # warm-up: after 20 s (some 200 jobs) it still spent 30-50 ms of CPU per PNG against the direct mode's 13-16 ms,
  # after another 60 s 11-17 ms, as the direct mode (not profiled: its own path, the 1.26 MB result through
  # Lettuce among it, is the part the direct mode does not run).
  emulator_latency "$WARMUP_MS"
  for mode in direct redis; do run_wrk "$mode" "$sessions" "$WARMUP_SECONDS"; done
  emulator_latency "$GENERATE_MS"
  for mode in direct redis; do run_wrk "$mode" "$sessions" "$((GENERATE_MS * 2 / 1000 + 2))"; settle; done
  for block in $(seq 0 $((BLOCKS * 2 - 1))); do
    # direct redis | redis direct | direct redis ...: each mode as often first as second
    if [ $(((block + block / 2) % 2)) -eq 0 ]; then mode=direct; else mode=redis; fi
    busy_before="$(busy_ticks)"
    run_wrk "$mode" "$sessions" "$BLOCK_SECONDS" "$WORK/wrk-$sessions-$mode-$block.txt"
    busy_after="$(busy_ticks)"
    awk -v mode="$mode" -v s="$sessions" -v secs="$BLOCK_SECONDS" -v busy=$((busy_after - busy_before)) '
      $1 == "exact" { printf "block %s %s %s %d %d\n", mode, s, secs, $6, busy }
      $1 == "lat" { printf "lat %s %s %s %s\n", mode, s, $2, $3 }
      /Non-2xx/ { printf "bad %s %s %d\n", mode, s, $NF }
      /Socket errors/ { printf "errors %s %s %s\n", mode, s, $0 }' "$WORK/wrk-$sessions-$mode-$block.txt" >>"$WORK/runs"
    settle
  done
  stop_pids "${CONFIG_PIDS[@]}"
  redis-cli -p "$REDIS_PORT" FLUSHALL >/dev/null
}

# The machine's busy CPU time so far, in clock ticks (every core: user, nice, system, irq, softirq, steal). Per
# block and image it is what the whole chain (API, workers, Chromiums, emulator, Redis, wrk) spends on one image.
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# After a block, the requests that wrk cut off are cancelled, but a generation already in the browser runs to its
# end: the next block starts when every session is free again.
settle() { sleep "$(awk -v ms="$GENERATE_MS" 'BEGIN { printf "%.1f", ms / 1000 + 1.5 }')"; }

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for sessions in $SESSIONS; do
  echo "sessions=$sessions ..." >&2
  one_config "$sessions"
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$RESULTS"
python3 - "$WORK/runs" <<PY | tee "$RESULTS/$STAMP-redis-vs-direct.md"
import sys
from collections import defaultdict
lat = defaultdict(lambda: defaultdict(int))   # (mode, sessions) -> {microseconds: count}
done = defaultdict(int)                         # (mode, sessions) -> requests wrk finished
secs = defaultdict(int)                         # (mode, sessions) -> seconds measured
busy = defaultdict(int)                         # (mode, sessions) -> busy CPU clock ticks of the machine
bad = defaultdict(int)
errors = defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split()
    key = (f[1], int(f[2]))
    if f[0] == "block":
        secs[key] += int(f[3]); done[key] += int(f[4]); busy[key] += int(f[5])
    elif f[0] == "lat":
        lat[key][int(f[3])] += int(f[4])
    elif f[0] == "bad":
        bad[key] += int(f[3])
    elif f[0] == "errors":
        errors[key].append(" ".join(f[3:]))
def stats(hist):
    values = sorted(hist.items())
    n = sum(c for _, c in values)
    def pct(p):
        rank, seen = p * n, 0
        for v, c in values:
            seen += c
            if seen >= rank:
                return v / 1000.0
    return n, sum(v * c for v, c in values) / n / 1000.0, pct(0.5), pct(0.99)
print("$(machine_line)")
print("Run $STAMP: emulator latency ${GENERATE_MS} ms, format $FORMAT, warm-up $WARMUP at ${WARMUP_MS} ms, $DURATION per mode in $BLOCKS alternating blocks of ${BLOCK_SECONDS} s (wrk -t1 -c<sessions>), Cache-Control: no-cache (every request generates), load average $LOAD_BEFORE -> $LOAD_AFTER")
print()
print("| sessions | mode | images/s (wrk) | images/s (sessions / mean) | ideal | ratio (target >= 0.9) | mean ms | p50 ms | p50 beyond the emulator ms | p99 ms | requests | non-2xx | machine CPU ms per image |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
p50s = {}
for s in sorted({k[1] for k in lat}):
    ideal = s * 1000.0 / $GENERATE_MS
    for mode in ("direct", "redis"):
        key = (mode, s)
        if key not in lat:
            continue
        n, mean, p50, p99 = stats(lat[key])
        p50s[key] = p50
        rps = done[key] / secs[key]
        little = s * 1000.0 / mean
        print(f"| {s} | {mode} | {rps:.2f} | {little:.2f} | {ideal:.2f} | {rps / ideal:.2f} / {little / ideal:.2f} | {mean:.1f} | {p50:.1f} | {p50 - $GENERATE_MS:.1f} | {p99:.0f} | {n} | {bad[key]} | {busy[key] * 1000.0 / $(getconf CLK_TCK) / max(done[key], 1):.0f} |")
print()
for s in sorted({k[1] for k in p50s}):
    if ("direct", s) in p50s and ("redis", s) in p50s:
        print(f"- {s} session(s): the Redis mode adds {p50s[('redis', s)] - p50s[('direct', s)]:.1f} ms p50 per job over the direct mode")
for key, lines in sorted(errors.items()):
    print(f"- {key[0]}, {key[1]} session(s): wrk {'; '.join(lines)}")
PY
