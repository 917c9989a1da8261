#!/usr/bin/env bash
# Benchmark (superseded by bench/proxy-vs-nginx.sh, which also measures the miss path): the API's cache-hit path against nginx serving the same image file statically, side by side in
# one run on this machine. Starts a stub worker (python3, answers one generation with a ~450 KB PNG), the API
# jar, and Debian's nginx, each on a free loopback port; warms one fixed-seed image into the API's cache;
# then runs wrk against nginx, the API, and nginx again; prints req/s, the ratio, latency percentiles and the
# API's RSS; stops everything it started. Numbers go into docs/benchmarks.md.
#
#   bench/cache-vs-nginx.sh            20 s per run (about 2 minutes)
#   DURATION=10s bench/cache-vs-nginx.sh
#
# Needs: java 17+, python3, nginx (/usr/sbin/nginx), wrk (apt-get install -y nginx wrk). The API jar is built
# when missing. Knobs: JAVA_OPTS (default the same as run.sh), THREADS (2), CONNECTIONS (16), DURATION (20s).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

JAVA_OPTS="${JAVA_OPTS:-$(sed -n 's/^API_JAVA_OPTS_DEFAULT="\(.*\)"$/\1/p' run.sh)}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-16}"
DURATION="${DURATION:-20s}"
API_JAR="api-service/target/api-service-0.1.0-SNAPSHOT.jar"
NGINX="${NGINX:-/usr/sbin/nginx}"

die() { printf 'cache-vs-nginx.sh: %s\n' "$*" >&2; exit 1; }
for tool in java python3 wrk curl; do command -v "$tool" >/dev/null || die "needs $tool"; done
[ -x "$NGINX" ] || die "needs nginx at $NGINX (apt-get install -y nginx)"
[ -f "$API_JAR" ] || ./mvnw -B -q -pl api-service -am -DskipTests package

WORK="$(mktemp -d "${TMPDIR:-/tmp}/imagegen-cache-bench.XXXXXX")"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
await_http() {
  for _ in $(seq 1 240); do curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0; sleep 0.5; done
  die "not ready: $1"
}

# ---- the image: a valid 384x384 RGB PNG of noise (noise does not compress: ~450 KB) ---------------------
python3 - "$WORK/img.png" <<'PY'
import os, struct, sys, zlib, random
w = h = 384
random.seed(42)
raw = b"".join(b"\x00" + bytes(random.getrandbits(8) for _ in range(w * 3)) for _ in range(h))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
IMAGE_BYTES=$(stat -c %s "$WORK/img.png")

# ---- stub worker: /health UP, POST /generate -> the PNG ------------------------------------------------
WORKER_PORT="$(free_port)"
python3 - "$WORKER_PORT" "$WORK/img.png" >"$WORK/worker.log" 2>&1 <<'PY' &
import http.server, sys
port, image = int(sys.argv[1]), open(sys.argv[2], "rb").read()
class Stub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def answer(self, status, kind, body, extra=()):
        self.send_response(status); self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra: self.send_header(k, v)
        self.end_headers(); self.wfile.write(body)
    def do_GET(self):
        self.answer(200, "application/json", b'{"status":"UP","sessions":[],"queue":{"depth":0,"capacity":16}}')
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.answer(200, "image/png", image, [("X-Seed", "1")])
http.server.ThreadingHTTPServer(("127.0.0.1", port), Stub).serve_forever()
PY
PIDS+=("$!")
await_http "http://127.0.0.1:$WORKER_PORT/health"

# ---- nginx serving the same file ----------------------------------------------------------------------
NGINX_PORT="$(free_port)"
mkdir -p "$WORK/www" "$WORK/nginx-tmp"
cp "$WORK/img.png" "$WORK/www/img.png"
# nginx started as root serves as its unprivileged user (www-data): let it read the file.
chmod 755 "$WORK" "$WORK/www"; chmod 644 "$WORK/www/img.png"
cat >"$WORK/nginx.conf" <<EOF
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
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www; }
}
EOF
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK"
await_http "http://127.0.0.1:$NGINX_PORT/img.png"

# ---- the API --------------------------------------------------------------------------------------------
API_PORT="$(free_port)"
PORT="$API_PORT" SERVER_ADDRESS=127.0.0.1 PERCHANCE_WORKER_URL="http://127.0.0.1:$WORKER_PORT" \
  IMAGE_CACHE_SIZE=256MB ANON_GENERATIONS_PER_MINUTE=1000000 ANON_MAX_CONCURRENT=10000 \
  CLIENT_REQUESTS_PER_MINUTE=1000000000 \
  java $JAVA_OPTS -jar "$API_JAR" >"$WORK/api.log" 2>&1 </dev/null &
API_PID=$!
PIDS+=("$API_PID")
await_http "http://127.0.0.1:$API_PORT/livez"
URL="http://127.0.0.1:$API_PORT/generate?prompt=a+red+fox&seed=1"
[ "$(curl -fsS -o /dev/null -w '%{http_code}' "$URL")" = 200 ] || die "warm-up generation failed (log: $WORK/api.log)"
[ "$(curl -fsS -D - -o /dev/null "$URL" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache"{print $2}')" = HIT ] \
  || die "the second request was not a cache hit"

run_wrk() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$1"; }
summary() { # label, wrk output -> "label req/s p50 p99"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$2")
  p50=$(awk '$1=="50%" {print $2}' <<<"$2")
  p99=$(awk '$1=="99%" {print $2}' <<<"$2")
  printf '%-22s %10s req/s   p50 %8s   p99 %8s\n' "$1" "$rps" "$p50" "$p99"
  echo "$rps" >"$WORK/rps-$1"
}

echo "image: $IMAGE_BYTES bytes; wrk -t$THREADS -c$CONNECTIONS -d$DURATION; API JAVA_OPTS: $JAVA_OPTS"
wrk -t"$THREADS" -c"$CONNECTIONS" -d5s "$URL" >/dev/null   # JIT warm-up of the hit path
summary nginx-static-1 "$(run_wrk "http://127.0.0.1:$NGINX_PORT/img.png")"
summary api-cache-hit "$(run_wrk "$URL")"
summary nginx-static-2 "$(run_wrk "http://127.0.0.1:$NGINX_PORT/img.png")"
RSS_KB=$(ps -o rss= -p "$API_PID" | tr -d ' ')
python3 - "$WORK" "$RSS_KB" <<'PY'
import sys
work, rss = sys.argv[1], int(sys.argv[2])
read = lambda name: float(open(f"{work}/rps-{name}").read())
nginx = (read("nginx-static-1") + read("nginx-static-2")) / 2
api = read("api-cache-hit")
print(f"ratio api-cache-hit / nginx-static (mean of both nginx runs): {api / nginx:.2f}  (target >= 0.5)")
print(f"API RSS after the runs: {rss / 1024:.0f} MiB")
PY
