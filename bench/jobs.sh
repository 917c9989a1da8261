#!/usr/bin/env bash
# Benchmark: what asynchronous jobs cost the API (issue 12): SUBSCRIBERS event streams on one job, then JOBS jobs
# retained. The API jar runs with run.sh's flags against a stub worker (python3) that answers every generation with
# one PNG of noise, except the first job's, which it holds until the subscribers are connected and measured. Reports
# the API's RSS and CPU at each step as a markdown table for docs/benchmarks.md; stops everything it started.
#
#   bench/jobs.sh                              1,000 subscribers, 1,000 jobs, ~450 KB images, about 2 minutes
#   IMAGE_SIDE=200 bench/jobs.sh               ~120 KB images (the size of a Perchance JPEG)
#   SUBSCRIBERS=200 JOBS=500 HOLD=20 bench/jobs.sh
#
# Needs: java 17+, python3, curl. The API jar is built when missing. Knobs: API_JAVA_OPTS (default: run.sh's API
# flags), SUBSCRIBERS (1000), JOBS (1000), HOLD (seconds the streams stay open and idle before the job ends, 20:
# past the API's 15 s keep-alive comment), IMAGE_SIDE (noise PNG side in pixels, 384), BENCH_TIMEOUT (600 s).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BENCH_TIMEOUT="${BENCH_TIMEOUT:-600}"
if [ -z "${JOBS_BENCH_BOUNDED:-}" ]; then
  JOBS_BENCH_BOUNDED=1 exec timeout --foreground -k 15 "$BENCH_TIMEOUT" "$0" "$@"
fi

SCRIPT=jobs.sh
# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"
API_JAVA_OPTS="${API_JAVA_OPTS:-$(run_sh_api_flags)}"
SUBSCRIBERS="${SUBSCRIBERS:-1000}"
JOBS="${JOBS:-1000}"
HOLD="${HOLD:-20}"
IMAGE_SIDE="${IMAGE_SIDE:-384}"
API_JAR="${API_JAR:-api-service/target/api-service-0.1.0-SNAPSHOT.jar}"
RESULTS="$ROOT/bench/results"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"

for tool in java python3 curl timeout; do command -v "$tool" >/dev/null || die "needs $tool"; done
[ -f "$API_JAR" ] || ./mvnw -B -q -pl api-service -DskipTests package

WORK="$(mktemp -d "${TMPDIR:-/tmp}/imagegen-jobs-bench.XXXXXX")"
PIDS=()
cleanup() {
  touch "$WORK/release" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

noise_png "$WORK/img.png" "$IMAGE_SIDE"
IMAGE_BYTES=$(stat -c %s "$WORK/img.png")

# ---- stub worker (bench/stub_worker.py): /health UP, /progress 404 (the job follows its POST alone), the PNG
# at once, except a prompt starting with "hold", answered once $WORK/release exists ----------------------------
WORKER_PORT="$(free_port)"
python3 "$ROOT/bench/stub_worker.py" "$WORKER_PORT" "$WORK/img.png" "$WORK/release" >"$WORK/worker.log" 2>&1 &
PIDS+=("$!")
await_http "http://127.0.0.1:$WORKER_PORT/health"

# ---- the API ----------------------------------------------------------------------------------------------
API_PORT="$(free_port)"
API="http://127.0.0.1:$API_PORT"
loopback_only "$API"
PORT="$API_PORT" SERVER_ADDRESS=127.0.0.1 METRICS_TOKEN=bench PERCHANCE_WORKER_URL="http://127.0.0.1:$WORKER_PORT" \
  ANON_GENERATIONS_PER_MINUTE=1000000000 ANON_MAX_CONCURRENT=100000 CLIENT_REQUESTS_PER_MINUTE=1000000000 \
  MALLOC_ARENA_MAX="$(run_sh_api_arenas)" java $API_JAVA_OPTS -jar "$API_JAR" >"$WORK/api.log" 2>&1 </dev/null &
API_PID=$!
PIDS+=("$API_PID")
await_http "$API/actuator/health/readiness"
# Compile the load tool once (single-file source launch compiles on every start).
mkdir -p "$WORK/classes" "$RESULTS"
javac -d "$WORK/classes" bench/JobsLoad.java
LOAD=(java -Xmx512m -cp "$WORK/classes" JobsLoad)
sleep 2
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
IDLE_RSS=$(rss_mib "$API_PID")
# The idle API's own CPU over the same time (worker health checks, timers): what the streams' idle cost is above.
CPU_IDLE0=$(cpu_seconds "$API_PID")
sleep "$HOLD"
CPU_IDLE1=$(cpu_seconds "$API_PID")
# A Prometheus sample in MiB: metric_mib NAME_AND_LABEL_PREFIX (a regex).
metric_mib() {
  curl -fsS -H 'Authorization: Bearer bench' "$API/actuator/prometheus" 2>/dev/null \
    | awk -v m="^$1" '$0 ~ m { printf "%.0f", $NF / 1048576; found = 1; exit }
           END { if (!found) print "n/a" }'
}

# ---- 1. SUBSCRIBERS event streams on one job held by the worker ------------------------------------------
job="$(curl -fsS -X POST -H 'Content-Type: application/json' -d '{"prompt":"hold this one"}' "$API/jobs" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
JOB_URL="$API/jobs/$job"
loopback_only "$JOB_URL"
CPU0=$(cpu_seconds "$API_PID")
"${LOAD[@]}" subscribe "$JOB_URL" "$SUBSCRIBERS" >"$WORK/subscribe.out" 2>&1 &
SUB_PID=$!
PIDS+=("$SUB_PID")
for _ in $(seq 1 1200); do grep -q '^connected' "$WORK/subscribe.out" && break; sleep 0.1; done
grep -q "^connected $SUBSCRIBERS\$" "$WORK/subscribe.out" || die "subscribers did not connect: $(cat "$WORK/subscribe.out")"
CPU1=$(cpu_seconds "$API_PID")
SUB_RSS=$(rss_mib "$API_PID")
sleep "$HOLD"
CPU2=$(cpu_seconds "$API_PID")
HELD_RSS=$(rss_mib "$API_PID")
touch "$WORK/release"
wait "$SUB_PID" || die "not every subscriber saw the job end: $(cat "$WORK/subscribe.out")"
CPU3=$(cpu_seconds "$API_PID")
read -r _ SUB_ENDED SUB_TERMINAL SUB_COMMENTS SUB_SPREAD < <(grep '^ended' "$WORK/subscribe.out")

# ---- 2. JOBS jobs retained (each holds its image for JOB_RETENTION) --------------------------------------
sleep 2
JOBS_RSS0=$(rss_mib "$API_PID")
CPU4=$(cpu_seconds "$API_PID")
"${LOAD[@]}" retain "$API" "$JOBS" 16 >"$WORK/retain.out" 2>&1 || true
CPU5=$(cpu_seconds "$API_PID")
RETAIN="$(grep '^retained' "$WORK/retain.out" || cat "$WORK/retain.out")"
sleep 2
JOBS_RSS1=$(rss_mib "$API_PID")
JOBS_DIRECT=$(metric_mib 'jvm_buffer_memory_used_bytes\\{.*id="direct"')
IMAGES_HELD=$(metric_mib 'imagegen_image_memory_held_bytes')
IMAGES_BUDGET=$(metric_mib 'imagegen_image_memory_budget_bytes')
# The rest of the API must still work with the jobs' images held: a generation that misses the cache.
AFTER_STATUS=$(curl -s -o /dev/null -w '%{http_code}' "$API/generate?prompt=after+the+jobs&seed=7")
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - <<PY | tee "$RESULTS/$STAMP-jobs.md"
cpu = lambda a, b: float(b) - float(a)
retain = "$RETAIN".split()
submitted, succeeded, others = (int(retain[1]), int(retain[2]), retain[3:]) if retain[0] == "retained" else (0, 0, retain)
print("$(machine_line)")
print("Run $STAMP: image $IMAGE_BYTES bytes, load average $LOAD_BEFORE -> $LOAD_AFTER")
print("API flags: \`$API_JAVA_OPTS\`, defaults otherwise (IMAGE_CACHE_SIZE 256MB, MAX_JOBS 10000)")
print()
print("| step | API RSS | API CPU |")
print("|---|---:|---|")
print(f"| idle, ready | $IDLE_RSS MiB | {cpu('$CPU_IDLE0', '$CPU_IDLE1'):.2f} s in $HOLD s "
      f"({cpu('$CPU_IDLE0', '$CPU_IDLE1') * 100 / $HOLD:.1f} % of a core) |")
print(f"| $SUBSCRIBERS event streams on one running job, connected | $SUB_RSS MiB (+{$SUB_RSS - $IDLE_RSS}) "
      f"| {cpu('$CPU0', '$CPU1'):.2f} s to accept them ({cpu('$CPU0', '$CPU1') * 1000 / $SUBSCRIBERS:.2f} ms each) |")
print(f"| the same, idle for $HOLD s | $HELD_RSS MiB | {cpu('$CPU1', '$CPU2'):.2f} s "
      f"({cpu('$CPU1', '$CPU2') * 100 / $HOLD:.1f} % of a core); $SUB_COMMENTS keep-alive comments sent |")
print(f"| the job ends: terminal event to all | | {cpu('$CPU2', '$CPU3'):.2f} s; $SUB_TERMINAL of $SUBSCRIBERS "
      f"streams saw it, $SUB_ENDED ended, first to last {$SUB_SPREAD} ms |")
print(f"| $JOBS jobs submitted and ended | $JOBS_RSS1 MiB (from $JOBS_RSS0) | {cpu('$CPU4', '$CPU5'):.2f} s "
      f"({cpu('$CPU4', '$CPU5') * 1000 / max(1, submitted):.2f} ms per job) |")
print()
print(f"Jobs: {submitted} accepted, {succeeded} succeeded" + (f", {' '.join(others)}" if others else "")
      + f"; direct memory in use after them: $JOBS_DIRECT MiB; kept images $IMAGES_HELD MiB of a $IMAGES_BUDGET MiB "
      + "budget (held for JOB_RETENTION).")
print("A /generate miss after them: HTTP $AFTER_STATUS.")
PY
