#!/usr/bin/env bash
# Measures the worker by hand against the standalone emulator:
#   1. time from `java -jar` to readiness UP,
#   2. the worker's own overhead per image (client time minus the emulator's configured latency), PNG and JPEG,
#   3. the worker JVM's RSS after N generations.
# Usage: worker-service/scripts/measure.sh [generations per format, default 100]
# Needs: worker-service/target/worker-service-*.jar (mvn -pl worker-service package), the emulator's exec jar in
# ~/.m2 (or EMULATOR_JAR), /usr/bin/chromium (or BROWSER_EXECUTABLE_PATH), curl, python3.
set -euo pipefail

N="${1:-100}"
LATENCY_MS="${LATENCY_MS:-200}"
EMU_PORT="${EMU_PORT:-18090}"
WORKER_PORT="${WORKER_PORT:-18081}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
WORKER_JAR="$(ls "$HERE"/target/worker-service-*.jar | grep -v original | head -1)"
EMULATOR_JAR="${EMULATOR_JAR:-$(ls ~/.m2/repository/dev/imagegen/perchance-emulator/*/perchance-emulator-*-exec.jar | head -1)}"
WORK="$(mktemp -d)"
EMU_PID=""; WORKER_PID=""
cleanup() {
  [ -n "$WORKER_PID" ] && kill "$WORKER_PID" 2>/dev/null && wait "$WORKER_PID" 2>/dev/null || true
  [ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null || true
}
trap cleanup EXIT

PORT="$EMU_PORT" java -jar "$EMULATOR_JAR" > "$WORK/emulator.log" 2>&1 &
EMU_PID=$!
until curl -fs "http://127.0.0.1:$EMU_PORT/__emulator/config" > /dev/null; do sleep 0.2; done
curl -fs -X POST -H 'Content-Type: application/json' \
  -d "{\"generateLatencyMs\":$LATENCY_MS}" "http://127.0.0.1:$EMU_PORT/__emulator/config" > /dev/null

START_NS=$(date +%s%N)
PORT="$WORKER_PORT" PERCHANCE_BASE_URL="http://127.0.0.1:$EMU_PORT" PERCHANCE_SITE_URL="http://127.0.0.1:$EMU_PORT" \
BROWSER_ENGINE=chromium BROWSER_EXECUTABLE_PATH="${BROWSER_EXECUTABLE_PATH:-/usr/bin/chromium}" \
BROWSER_ARGS="--no-sandbox,--disable-gpu,--disable-dev-shm-usage,--disable-background-networking,--disable-component-update,--disable-sync,--no-first-run,--disable-quic" \
BROWSER_PROFILE_DIR="$WORK/profiles" \
  java ${JAVA_OPTS:-} -jar "$WORKER_JAR" > "$WORK/worker.log" 2>&1 &
WORKER_PID=$!
until curl -fs "http://127.0.0.1:$WORKER_PORT/actuator/health/readiness" 2>/dev/null | grep -q '"UP"'; do sleep 0.05; done
READY_NS=$(date +%s%N)
echo "start-to-ready: $(( (READY_NS - START_NS) / 1000000 )) ms"

python3 - "$WORKER_PORT" "$N" "$LATENCY_MS" <<'PY'
import json, sys, time, urllib.request
port, n, latency = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def run(fmt, i):
    body = json.dumps({"prompt": f"measure {fmt} {i}", "seed": i, "format": fmt}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/generate", body, {"Content-Type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as r:
        r.read()
        gen = int(r.headers["X-Generation-Ms"])
    return (time.perf_counter() - t) * 1000, gen
for fmt in ("png", "jpeg"):
    run(fmt, -1)  # warm-up, not counted
    totals, gens = [], []
    for i in range(n):
        total, gen = run(fmt, i)
        totals.append(total); gens.append(gen)
    totals.sort()
    mean = sum(totals) / n
    print(f"{fmt}: {n} images, client mean {mean:.0f} ms, p50 {totals[n//2]:.0f} ms, p95 {totals[int(n*0.95)-1]:.0f} ms;"
          f" overhead (mean - {latency} ms latency) {mean - latency:.0f} ms; X-Generation-Ms mean {sum(gens)/n:.0f} ms")
PY
RSS_KB=$(awk '/VmRSS/ {print $2}' "/proc/$WORKER_PID/status")
echo "worker JVM RSS after $((2 * N + 2)) generations: $((RSS_KB / 1024)) MiB"
BROWSER_KB=0
for pid in $(pgrep -f -- "$WORK/profiles" || true); do
  kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0); BROWSER_KB=$((BROWSER_KB + kb))
done
echo "browser processes RSS (sum, shared pages counted twice): $((BROWSER_KB / 1024)) MiB"
