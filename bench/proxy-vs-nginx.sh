#!/usr/bin/env bash
# Benchmark: the API against nginx, side by side in one run on this machine (issue 15's targets).
#   nginx serving the image file statically   vs  the API answering a fixed-seed cache hit
#   nginx proxy_pass to the stub worker        vs  the API's miss path (validation, client gate, worker call)
# plus the API's start-to-ready time, idle RSS and RSS after the runs, and CPU time per request of each server.
# A stub worker (python3) answers every generation with the same ~450 KB PNG; nginx (Debian's) and the API jar
# run with their own configuration on free loopback ports. Prints a markdown table of ratios, with the machine
# and its load average, for docs/benchmarks.md; stops everything it started.
#
#   bench/proxy-vs-nginx.sh                 15 s per run after 60 s of warm-up per API path, about 4 minutes
#   DURATION=10s bench/proxy-vs-nginx.sh
#   JFR=1 bench/proxy-vs-nginx.sh           also records the API with Java Flight Recorder (bench/results/)
#   API_JAVA_OPTS="... -XX:NativeMemoryTracking=summary" bench/proxy-vs-nginx.sh   also saves the API's NMT summary
#
# Needs: java 17+, python3, nginx (/usr/sbin/nginx), wrk, curl (apt-get install -y nginx wrk). The API jar is
# built when missing. Knobs: API_JAVA_OPTS (default: run.sh's API flags), THREADS (2), CONNECTIONS (16),
# DURATION (15s), WARMUP (per API path before the runs, 60s), BENCH_TIMEOUT (whole run, 600 s).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Bound the whole run: re-run this script under timeout(1) once.
BENCH_TIMEOUT="${BENCH_TIMEOUT:-600}"
if [ -z "${PROXY_BENCH_BOUNDED:-}" ]; then
  PROXY_BENCH_BOUNDED=1 exec timeout --foreground -k 15 "$BENCH_TIMEOUT" "$0" "$@"
fi

SCRIPT=proxy-vs-nginx.sh
# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"
API_JAVA_OPTS="${API_JAVA_OPTS:-$(run_sh_api_flags)}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-16}"
DURATION="${DURATION:-15s}"
WARMUP="${WARMUP:-60s}"
API_JAR="${API_JAR:-api-service/target/api-service-0.1.0-SNAPSHOT.jar}"
NGINX="${NGINX:-/usr/sbin/nginx}"
RESULTS="$ROOT/bench/results"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"

for tool in java python3 wrk curl timeout; do command -v "$tool" >/dev/null || die "needs $tool"; done
[ -x "$NGINX" ] || die "needs nginx at $NGINX (apt-get install -y nginx)"
[ -f "$API_JAR" ] || ./mvnw -B -q -pl api-service -DskipTests package

WORK="$(mktemp -d "${TMPDIR:-/tmp}/imagegen-proxy-bench.XXXXXX")"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# ---- the image: a valid 384x384 RGB PNG of noise (noise does not compress: ~450 KB) ---------------------
noise_png "$WORK/img.png" 384
IMAGE_BYTES=$(stat -c %s "$WORK/img.png")

# ---- stub worker (bench/stub_worker.py): GET /health UP; GET /generate (nginx) and POST /generate (the API) the PNG
WORKER_PORT="$(free_port)"
python3 "$ROOT/bench/stub_worker.py" "$WORKER_PORT" "$WORK/img.png" >"$WORK/worker.log" 2>&1 &
PIDS+=("$!")
await_http "http://127.0.0.1:$WORKER_PORT/health"

# ---- nginx: the file statically, and proxy_pass to the stub with pooled connections (as the API pools) ---
NGINX_PORT="$(free_port)"
mkdir -p "$WORK/www" "$WORK/nginx-tmp"
cp "$WORK/img.png" "$WORK/www/img.png"
# nginx started as root serves as its unprivileged user (www-data): let it read the file.
chmod 755 "$WORK" "$WORK/www"; chmod 644 "$WORK/www/img.png"; chmod 777 "$WORK/nginx-tmp"
cat >"$WORK/nginx.conf" <<NGINX
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path $WORK/nginx-tmp; proxy_temp_path $WORK/nginx-tmp; fastcgi_temp_path $WORK/nginx-tmp;
  uwsgi_temp_path $WORK/nginx-tmp; scgi_temp_path $WORK/nginx-tmp;
  types { image/png png; }
  upstream stub { server 127.0.0.1:$WORKER_PORT; keepalive 32; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    location /generate {
      proxy_pass http://stub;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffers 16 64k;
    }
  }
}
NGINX
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK"
await_http "http://127.0.0.1:$NGINX_PORT/img.png"
NGINX_PIDS=("$(cat "$WORK/nginx.pid")")
NGINX_PIDS+=($(pgrep -P "${NGINX_PIDS[0]}"))

# ---- the API ----------------------------------------------------------------------------------------------
API_PORT="$(free_port)"
mkdir -p "$RESULTS"
JFR_OPTS=""
[ -n "${JFR:-}" ] && JFR_OPTS="-XX:StartFlightRecording=filename=$RESULTS/$STAMP-api.jfr,settings=profile,dumponexit=true"
started=$(date +%s%N)
# A small cache: the hit needs one image; the miss path stores every image under its seed (the product's
# behaviour), so RSS after the runs includes a full cache of this size.
PORT="$API_PORT" SERVER_ADDRESS=127.0.0.1 PERCHANCE_WORKER_URL="http://127.0.0.1:$WORKER_PORT" \
  IMAGE_CACHE_SIZE="${IMAGE_CACHE_SIZE:-32MB}" ANON_GENERATIONS_PER_MINUTE=1000000000 ANON_MAX_CONCURRENT=10000 \
  CLIENT_REQUESTS_PER_MINUTE=1000000000 \
  MALLOC_ARENA_MAX="$(run_sh_api_arenas)" java $API_JAVA_OPTS $JFR_OPTS -jar "$API_JAR" >"$WORK/api.log" 2>&1 </dev/null &
API_PID=$!
PIDS+=("$API_PID")
await_http "http://127.0.0.1:$API_PORT/actuator/health/readiness"
READY_S=$(awk -v a="$started" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
sleep 2
IDLE_RSS=$(rss_mib "$API_PID")

HIT_URL="http://127.0.0.1:$API_PORT/generate?prompt=a+red+fox&seed=1"
MISS_URL="http://127.0.0.1:$API_PORT/generate?prompt=a+red+fox"
STATIC_URL="http://127.0.0.1:$NGINX_PORT/img.png"
PROXY_URL="http://127.0.0.1:$NGINX_PORT/generate?prompt=a+red+fox"
for url in "$HIT_URL" "$MISS_URL" "$STATIC_URL" "$PROXY_URL"; do loopback_only "$url"; done
[ "$(curl -fsS -o /dev/null -w '%{http_code}' "$HIT_URL")" = 200 ] || die "warm-up generation failed (log: $WORK/api.log)"
[ "$(curl -fsS -D - -o /dev/null "$HIT_URL" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache"{print $2}')" = HIT ] \
  || die "the second request was not a cache hit"
[ "$(curl -fsS -D - -o /dev/null "$MISS_URL" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache"{print $2}')" = MISS ] \
  || die "a random-seed request was not a miss"
[ "$(curl -fsS -o /dev/null -w '%{size_download}' "$PROXY_URL")" = "$IMAGE_BYTES" ] || die "nginx proxy_pass failed"

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
# run LABEL URL PID... : one wrk run; records req/s, p50, p99, non-2xx, CPU ms per request of the PIDs, and
# the share of that CPU spent in the kernel, and the share the JVM's JIT compilers took (0 for nginx): a JIT share
# well above a few percent means the run measured the compiler as much as the steady state.
run() {
  local label="$1" url="$2" out cpu0 cpu1 sys0 sys1 jit0=0 jit1=0
  shift 2
  loopback_only "$url"
  cpu0=$(cpu_seconds "$@")
  sys0=$(kernel_seconds "$@")
  [[ "$label" != api-* ]] || jit0=$(jit_seconds "$1")
  out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency "$url")"
  cpu1=$(cpu_seconds "$@")
  sys1=$(kernel_seconds "$@")
  [[ "$label" != api-* ]] || jit1=$(jit_seconds "$1")
  awk -v label="$label" -v c0="$cpu0" -v c1="$cpu1" -v s0="$sys0" -v s1="$sys1" -v j0="$jit0" -v j1="$jit1" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /requests in/ { n = $1 } /Non-2xx/ { bad = $NF }
    END { printf "%s %s %.2f %.2f %d %.3f %.3f %.3f\n", label, rps, p50, p99, bad + 0, (n > 0) ? (c1 - c0) * 1000 / n : 0,
          (c1 > c0) ? (j1 - j0) / (c1 - c0) : 0, (c1 > c0) ? (s1 - s0) / (c1 - c0) : 0 }' \
    <<<"$out" >>"$WORK/runs"
  printf '%s\n' "$out" >>"$WORK/wrk.txt"
}

echo "image: $IMAGE_BYTES bytes; wrk -t$THREADS -c$CONNECTIONS -d$DURATION; API flags: $API_JAVA_OPTS" >&2
# JIT warm-up of both API paths. On 2 cores, with wrk and the stub beside it, C2 is still compiling the
# WebFlux path after 15 s of load (its compiler thread took ~30 % of the API's CPU samples after a 5 s + 5 s
# warm-up): a shorter warm-up measures the compiler, not the steady state a long-running service is in.
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$HIT_URL" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$MISS_URL" >/dev/null
run nginx-static "$STATIC_URL" "${NGINX_PIDS[@]}"
run api-hit "$HIT_URL" "$API_PID"
run nginx-proxy "$PROXY_URL" "${NGINX_PIDS[@]}"
run api-miss "$MISS_URL" "$API_PID"
run nginx-static "$STATIC_URL" "${NGINX_PIDS[@]}"
run nginx-proxy "$PROXY_URL" "${NGINX_PIDS[@]}"
AFTER_RSS=$(rss_mib "$API_PID")
# With -XX:NativeMemoryTracking=summary in API_JAVA_OPTS: where the RSS is, next to the results.
if grep -q NativeMemoryTracking <<<"$API_JAVA_OPTS"; then
  jcmd "$API_PID" VM.native_memory summary >"$RESULTS/$STAMP-api-nmt.txt" 2>&1 || true
fi
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$WORK/runs" <<PY | tee "$RESULTS/$STAMP-proxy-vs-nginx.md"
import sys, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, rps, p50, p99, bad, cpu, jit, kernel = line.split()
    runs[label].append((float(rps), float(p50), float(p99), int(bad), float(cpu), float(jit), float(kernel)))
mean = lambda label, i: sum(r[i] for r in runs[label]) / len(runs[label])
print("$(machine_line)")
print("Run $STAMP: image $IMAGE_BYTES bytes, wrk -t$THREADS -c$CONNECTIONS -d$DURATION per run after a $WARMUP warm-up of each API path, load average $LOAD_BEFORE -> $LOAD_AFTER")
print("API flags: \`$API_JAVA_OPTS\`; IMAGE_CACHE_SIZE=${IMAGE_CACHE_SIZE:-32MB}")
print()
print("| path | nginx req/s | API req/s | ratio | target | nginx p50 / p99 | API p50 / p99 | CPU ms/request nginx / API | of it in the kernel, nginx / API | API CPU in its JIT |")
print("|---|---:|---:|---:|---:|---|---|---|---|---:|")
for name, ng, api, target in (("cache hit vs static file", "nginx-static", "api-hit", 0.5),
                              ("miss path vs proxy_pass", "nginx-proxy", "api-miss", 0.8)):
    ratio = mean(api, 0) / mean(ng, 0)
    bad = sum(r[3] for r in runs[api]) + sum(r[3] for r in runs[ng])
    print(f"| {name} | {mean(ng, 0):,.0f} | {mean(api, 0):,.0f} | **{ratio:.2f}** | {target} "
          f"{'met' if ratio >= target else 'not met'} | {mean(ng, 1):.2f} / {mean(ng, 2):.2f} ms "
          f"| {mean(api, 1):.2f} / {mean(api, 2):.2f} ms | {mean(ng, 4):.3f} / {mean(api, 4):.3f} "
          f"| {mean(ng, 6):.0%} / {mean(api, 6):.0%} | {mean(api, 5):.0%} |"
          + (f" ({bad} non-2xx!)" if bad else ""))
print()
print("nginx figures are the mean of a run before and after the API's. API: ready after ${READY_S} s, "
      "RSS idle ${IDLE_RSS} MiB, after the runs ${AFTER_RSS} MiB (target <= 256).")
PY
