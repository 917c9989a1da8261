#!/usr/bin/env bash
# Benchmark: starts the Perchance emulator, the worker (headless Chromium) and the API as separate
# processes on free loopback ports, measures start-up time and idle RSS, runs bounded load scenarios
# with bench/LoadGenerator.java, and stops everything it started. See docs/benchmarks.md.
#
#   bench/run-bench.sh              full run (about 4-6 minutes on 2 quiet cores)
#   bench/run-bench.sh --quick      small counts (about 2 minutes), to check that everything works
#
# Raw results: bench/results/<timestamp>.txt (gitignored). The markdown summary is printed at the end.
# Knobs (environment): JAVA_OPTS (service JVM flags, default -Xmx512m, as run.sh gives the worker and emulator; run.sh sizes the API with API_JAVA_OPTS_DEFAULT), BENCH_ARGS (extra
# LoadGenerator options, e.g. "--seq 60 --clients 16"), READY_TIMEOUT (s, default 180),
# BENCH_TIMEOUT (s, hard cap of the load generator, default 1200), CHROMIUM (default /usr/bin/chromium),
# JAR_DIR (take the three jars from there instead of the module target/ folders).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

QUICK=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-bench.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

JAVA_OPTS="${JAVA_OPTS:--Xmx512m}"
READY_TIMEOUT="${READY_TIMEOUT:-180}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-1200}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

API_JAR="${JAR_DIR:-api-service/target}/api-service-0.1.0-SNAPSHOT.jar"
WORKER_JAR="${JAR_DIR:-worker-service/target}/worker-service-0.1.0-SNAPSHOT.jar"
EMULATOR_JAR="${JAR_DIR:-perchance-emulator/target}/perchance-emulator-0.1.0-SNAPSHOT-exec.jar"

die() { printf 'run-bench.sh: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }

command -v java >/dev/null || die "needs java (17+)"
command -v curl >/dev/null || die "needs curl"
[ -x "$CHROMIUM" ] || die "no Chromium at $CHROMIUM (set CHROMIUM=...)"

# Copy the jars first: other people rebuild them while we run, and a jar rewritten under a running JVM
# breaks class loading. A jar that is missing or still being written is waited for (up to 2 minutes).
WORK="$(mktemp -d /tmp/imagegen-bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT   # replaced by stop_all once processes run
for jar in "$EMULATOR_JAR" "$WORKER_JAR" "$API_JAR"; do
  for _ in $(seq 1 24); do
    # Ready = a complete, executable jar (Spring Boot's repackage writes a plain jar first) whose
    # size has not changed for 3 seconds.
    if [ -f "$jar" ] && unzip -p "$jar" META-INF/MANIFEST.MF 2>/dev/null | grep -q '^Main-Class:'; then
      size="$(stat -c %s "$jar")"; sleep 3
      if [ "$size" = "$(stat -c %s "$jar" 2>/dev/null)" ] && unzip -tq "$jar" >/dev/null 2>&1; then break; fi
    fi
    echo "waiting for $jar (missing or being rewritten) ..." >&2
    sleep 5
  done
  [ -f "$jar" ] || die "$jar not found; build it with ./mvnw -B -DskipTests package"
  cp "$jar" "$WORK/"
  unzip -tq "$WORK/$(basename "$jar")" >/dev/null 2>&1 || die "$jar changed while it was copied; run again"
done

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS_DIR="$ROOT/bench/results"
mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/$STAMP.txt"
LOGS="$WORK/logs"
mkdir -p "$LOGS"

# ---- processes: each in its own session, stopped by the trap -------------------------------------
PIDS=()
NAMES=()
STOPPED=0
descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null || true); do echo "$child"; descendants "$child"; done
}
stop_all() {
  [ "$STOPPED" -eq 1 ] && return
  STOPPED=1
  trap - INT TERM EXIT
  local i pid leftovers=() deadline
  if [ -n "${GEN_PID:-}" ]; then kill -TERM "$GEN_PID" 2>/dev/null || true; fi
  for pid in "${PIDS[@]}"; do leftovers+=($(descendants "$pid")); done
  # TERM to the JVMs only (as docker/kubernetes do): a TERM to the whole group would also hit the worker's
  # Playwright driver and make it see a browser crash in the middle of its own orderly shutdown.
  # One after the other, in reverse start order (API, worker, emulator): the worker's last job still reaches
  # a living emulator, so it ends instead of retrying against a closed port.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid="${PIDS[$i]}"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 40))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${leftovers[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # Keep the service logs next to the results, then drop the copies of the jars.
  for name in "${NAMES[@]}"; do
    [ -f "$LOGS/$name.log" ] && cp "$LOGS/$name.log" "$RESULTS_DIR/$STAMP-$name.log" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

# A free loopback port: a random one in 20000-59999 that nothing listens on (checked twice).
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null \
        && ! ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
      echo "$port"; return 0
    fi
  done
  die "no free port found"
}

# start NAME JAR VAR=value... : starts the jar with extra environment; records the launch time.
declare -A LAUNCHED READY_MS
start() {
  local name="$1" jar="$2"; shift 2
  LAUNCHED[$name]="$(now_ms)"
  setsid env "$@" java $JAVA_OPTS -jar "$WORK/$(basename "$jar")" >"$LOGS/$name.log" 2>&1 </dev/null &
  PIDS+=("$!")
  NAMES+=("$name")
}

# await_ready NAME URL : polls every 100 ms until URL answers 200.
await_ready() {
  local name="$1" url="$2" pid="${PIDS[${#PIDS[@]} - 1]}"
  local deadline=$((SECONDS + READY_TIMEOUT))
  while :; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null)" = "200" ]; then
      READY_MS[$name]=$(( $(now_ms) - ${LAUNCHED[$name]} ))
      printf '%-9s ready after %5d ms (pid %s, %s)\n' "$name" "${READY_MS[$name]}" "$pid" "$url"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { tail -n 40 "$LOGS/$name.log" >&2; die "$name exited during start-up"; }
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 40 "$LOGS/$name.log" >&2; die "$name not ready after ${READY_TIMEOUT}s"; }
    sleep 0.1
  done
}

{
  echo "# imagegen benchmark $STAMP"
  echo "# host: $(uname -srm), $(nproc) cores; uptime: $(uptime)"
  echo "# jars: $(cd "$WORK" && ls -l --time-style=+%FT%T *.jar | awk '{print $6, $7}' | tr '\n' ' ')"
  echo "# JAVA_OPTS=$JAVA_OPTS"
} >>"$OUT"
echo "load before start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

EMU_PORT="$(free_port)"
start emulator "$EMULATOR_JAR" PORT="$EMU_PORT"
await_ready emulator "http://127.0.0.1:$EMU_PORT/__emulator/config"
EMU="http://127.0.0.1:$EMU_PORT"

WORKER_PORT="$(free_port)"
WORKER_TOKEN="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export METRICS_TOKEN="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
start worker "$WORKER_JAR" PORT="$WORKER_PORT" SERVER_ADDRESS=127.0.0.1 METRICS_TOKEN="$METRICS_TOKEN" \
  PERCHANCE_BASE_URL="$EMU" PERCHANCE_SITE_URL="$EMU" \
  BROWSER_ENGINE=chromium BROWSER_EXECUTABLE_PATH="$CHROMIUM" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
  BROWSER_ARGS="${BROWSER_ARGS:---no-sandbox,--disable-gpu,--disable-dev-shm-usage,--disable-background-networking,--disable-component-update,--disable-sync}" \
  BROWSER_PROFILE_DIR="$WORK/profiles" \
  WORKER_SESSIONS="${WORKER_SESSIONS:-1}" WORKER_TOKEN="$WORKER_TOKEN" \
  ${WORKER_QUEUE_CAPACITY:+WORKER_QUEUE_CAPACITY=$WORKER_QUEUE_CAPACITY}
await_ready worker "http://127.0.0.1:$WORKER_PORT/actuator/health/readiness"

API_PORT="$(free_port)"
start api "$API_JAR" PORT="$API_PORT" SERVER_ADDRESS=127.0.0.1 \
  PERCHANCE_WORKER_URL="http://127.0.0.1:$WORKER_PORT" WORKER_TOKEN="$WORKER_TOKEN" \
  ANON_GENERATIONS_PER_MINUTE=1000000 ANON_MAX_CONCURRENT=10000 CLIENT_REQUESTS_PER_MINUTE=100000000
await_ready api "http://127.0.0.1:$API_PORT/actuator/health/readiness"

# Spring Boot's own start-up time ("Started X in 4.2 seconds"), for comparison with launch-to-ready.
spring_started() { sed -n 's/.*Started .* in \([0-9.]*\) seconds.*/\1/p' "$LOGS/$1.log" | head -n 1; }
SPRING_STARTED="worker=$(spring_started worker),api=$(spring_started api)"

# Idle RSS: give the JVMs a few seconds to settle after start-up.
sleep 5
for i in "${!PIDS[@]}"; do
  echo "idle-rss ${NAMES[$i]} pid=${PIDS[$i]} rssKb=$(ps -o rss= -p "${PIDS[$i]}" | tr -d ' ')" >>"$OUT"
done
for n in emulator worker api; do echo "ready-ms $n ${READY_MS[$n]}" >>"$OUT"; done

if [ "$QUICK" -eq 1 ]; then
  PRESET="--warmup 2 --seq 8 --seq-slow 4 --seq-direct 4 --conc-requests 16 --burst 20 --cheap 200 --target-generations 60 --scenario-cap-s 60"
else
  PRESET="--warmup 5 --seq 40 --seq-slow 20 --seq-direct 20 --conc-requests 64 --burst 24 --cheap 1000 --target-generations 1000 --rss-every 100 --scenario-cap-s 150"
fi

set +e
# In the background + wait: a TERM/INT to this script then runs the trap at once instead of after the generator.
# shellcheck disable=SC2086
timeout --signal=TERM --kill-after=10 "$BENCH_TIMEOUT" java -Xmx512m -XX:+ExitOnOutOfMemoryError "$ROOT/bench/LoadGenerator.java" \
  --api "http://127.0.0.1:$API_PORT" --worker "http://127.0.0.1:$WORKER_PORT" --emulator "$EMU" \
  --token "$WORKER_TOKEN" --out "$OUT" --max-runtime-s "$((BENCH_TIMEOUT - 30))" \
  --pids "emulator=${PIDS[0]},worker=${PIDS[1]},api=${PIDS[2]}" \
  --startup "emulator=${READY_MS[emulator]},worker=${READY_MS[worker]},api=${READY_MS[api]}" \
  --spring-started "$SPRING_STARTED" --java-opts "$JAVA_OPTS" --sessions "${WORKER_SESSIONS:-1}" \
  $PRESET ${BENCH_ARGS:-} </dev/null &
GEN_PID=$!
wait "$GEN_PID"
rc=$?
GEN_PID=""
set -e

echo
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "raw results: $OUT (service logs: $RESULTS_DIR/$STAMP-*.log)"
exit "$rc"
