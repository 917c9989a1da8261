#!/usr/bin/env bash
# Runs imagegen on this machine: the worker and the API, and with --offline also the Perchance
# emulator (the worker then talks to it instead of perchance.org). Ctrl-C stops everything.
#
#   ./run.sh               against the real Perchance (needs the internet)
#   ./run.sh --offline     with the local emulator: no internet, no Perchance, a system Chromium
#
# Ports: API_PORT (8080), WORKER_PORT (8081), EMULATOR_PORT (8090). Logs: var/log/. Any service
# variable (docs/configuration.md) set in the environment is passed on, e.g.
#   BROWSER_ENGINE=chromium BROWSER_EXECUTABLE_PATH=/usr/bin/chromium ./run.sh
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: ./run.sh [--offline] [--build]

  --offline   also start the Perchance emulator and point the worker at it (no internet needed;
              uses a system Chromium: /usr/bin/chromium, chromium or google-chrome on PATH; as root
              on Debian/Ubuntu it installs Debian's chromium with apt-get when none is there)
  --build     rebuild the jars first (otherwise only when one is missing)
  -h, --help  this text

Environment: API_PORT (8080), WORKER_PORT (8081), EMULATOR_PORT (8090), READY_TIMEOUT seconds (240),
STOP_GRACE seconds each service gets to stop on Ctrl-C (60),
and any service variable from docs/configuration.md (WORKER_SESSIONS, BROWSER_ENGINE, ...).
EOF
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

OFFLINE=0
BUILD=0
for arg in "$@"; do
  case "$arg" in
    --offline) OFFLINE=1 ;;
    --build) BUILD=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

API_PORT="${API_PORT:-8080}"
WORKER_PORT="${WORKER_PORT:-8081}"
EMULATOR_PORT="${EMULATOR_PORT:-8090}"
READY_TIMEOUT="${READY_TIMEOUT:-240}"
# Longer than the worker's drain (GENERATION_TIMEOUT bounds a job; the shutdown phase is 45 s).
STOP_GRACE="${STOP_GRACE:-60}"

# The jars Maven's package phase writes (system-tests checks these paths against the POMs).
API_JAR="api-service/target/api-service-0.1.0-SNAPSHOT.jar"
WORKER_JAR="worker-service/target/worker-service-0.1.0-SNAPSHOT.jar"
EMULATOR_JAR="perchance-emulator/target/perchance-emulator-0.1.0-SNAPSHOT-exec.jar"

# The API's JVM, sized deliberately (docs/benchmarks.md, "JVM settings"): a small heap, since kept images live
# off-heap in direct buffers (the cache's, OpenAI URLs' and retained jobs' images, within MaxDirectMemorySize less a
# fifth, at least 64 MB, left to Netty's buffers: 256 MB here, the default IMAGE_CACHE_SIZE; a dropped image is freed
# as soon as no answer still writes it); survivor spaces large enough (SurvivorRatio=2) for the images of the requests
# in flight, which otherwise are promoted, fill the old generation and make it grow; the serial collector, whose
# footprint is the smallest and whose pauses are short on a heap this size; bounded metaspace and code cache; the C
# heap trimmed every 5 s (TrimNativeHeapInterval, JDK 17.0.9+, dropped below that) and, outside this line, two malloc
# arenas (API_MALLOC_ARENA_MAX), so that freed native memory leaves the RSS. Raise MaxDirectMemorySize with a larger
# cache. API_JAVA_OPTS (or JAVA_OPTS, for every service) overrides.
API_JAVA_OPTS_DEFAULT="-XX:+UseSerialGC -Xms32m -Xmx128m -XX:SurvivorRatio=2 -XX:MaxMetaspaceSize=128m -XX:ReservedCodeCacheSize=64m -XX:MaxDirectMemorySize=320m -XX:TrimNativeHeapInterval=5000 -XX:+ExitOnOutOfMemoryError"
API_MALLOC_ARENA_MAX="${API_MALLOC_ARENA_MAX:-2}"

LOG_DIR="$ROOT/var/log"
PROFILE_DIR="${BROWSER_PROFILE_DIR:-$ROOT/var/profiles}"

say() { printf '%s\n' "$*"; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# ---- prerequisites ---------------------------------------------------------------------------------
command -v java >/dev/null 2>&1 || die "needs Java 17 or newer (e.g. apt-get install -y openjdk-17-jdk-headless)"
java_major="$(java -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print (v[1] == "1") ? v[2] : v[1]; exit }')"
[ "${java_major:-0}" -ge 17 ] 2>/dev/null || die "needs Java 17 or newer; 'java' is version ${java_major:-unknown}"
# A JDK 17 older than 17.0.9 does not know the flag and would refuse to start.
java -XX:TrimNativeHeapInterval=5000 -version >/dev/null 2>&1 \
  || API_JAVA_OPTS_DEFAULT="${API_JAVA_OPTS_DEFAULT/ -XX:TrimNativeHeapInterval=5000/}"
command -v curl >/dev/null 2>&1 || die "needs curl (e.g. apt-get install -y curl)"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ports=("$API_PORT" "$WORKER_PORT")
[ "$OFFLINE" -eq 1 ] && ports+=("$EMULATOR_PORT")
for port in "${ports[@]}"; do
  if port_in_use "$port"; then
    die "port $port is already in use (set API_PORT / WORKER_PORT / EMULATOR_PORT to free ones)"
  fi
done

# ---- the upstream ----------------------------------------------------------------------------------
# Without the internet the worker would retry Perchance until READY_TIMEOUT: say so at once instead.
if [ "$OFFLINE" -eq 0 ]; then
  perchance_url="${PERCHANCE_BASE_URL:-https://image-generation.perchance.org}"
  # Any HTTP answer (Cloudflare's 403 included) proves the network path; only a transport failure stops here.
  if ! curl_error="$(curl -sS -o /dev/null --max-time 8 "$perchance_url/" 2>&1)"; then
    die "cannot reach Perchance at $perchance_url (${curl_error#curl: }).
  No network? Run the offline demo with the local emulator instead: ./run.sh --offline"
  fi
fi

# ---- the browser -----------------------------------------------------------------------------------
find_system_chromium() {
  local candidate
  if [ -x /usr/bin/chromium ]; then echo /usr/bin/chromium; return 0; fi
  for candidate in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$candidate" >/dev/null 2>&1; then command -v "$candidate"; return 0; fi
  done
  return 1
}

no_browser() {
  cat >&2 <<'EOF'
run.sh: no browser for the worker.
  Install a system Chromium, then run again:
    Debian/Ubuntu:  sudo apt-get install -y chromium        (Ubuntu may name it chromium-browser)
    Fedora:         sudo dnf install -y chromium
    macOS:          install Google Chrome, then
                    BROWSER_EXECUTABLE_PATH="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" ./run.sh --offline
  Or, with the internet, let Playwright fetch its own browsers: ./run.sh (without --offline).
EOF
  exit 1
}

# On Debian/Ubuntu as root, the offline demo installs what it needs itself (saying so first);
# anyone else is told the one command to run (no_browser).
install_chromium() {
  command -v apt-get >/dev/null 2>&1 || return 1
  local packages=(chromium)
  fc-list 2>/dev/null | grep -qi dejavu || packages+=(fonts-dejavu-core fontconfig)
  # Not root: no_browser names the command to run.
  [ "$(id -u)" -eq 0 ] || return 1
  say "no system Chromium: installing Debian's (apt-get install -y ${packages[*]}) ..." >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"; } \
    >"${TMPDIR:-/tmp}/run-sh-apt.log" 2>&1 || { tail -n 20 "${TMPDIR:-/tmp}/run-sh-apt.log" >&2; die "apt-get could not install ${packages[*]}"; }
  find_system_chromium
}

playwright_download_reachable() {
  # Any HTTP answer from Playwright's download hosts means the download can work.
  curl -sS -o /dev/null --max-time 5 https://cdn.playwright.dev/ 2>/dev/null \
    || curl -sS -o /dev/null --max-time 5 https://playwright.download.prss.microsoft.com/ 2>/dev/null
}

playwright_has_browsers() {
  local cache="${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"
  compgen -G "$cache/${1:-firefox}-*" >/dev/null 2>&1
}

browser_note=""
if [ -n "${BROWSER_EXECUTABLE_PATH:-}" ]; then
  [ -x "$BROWSER_EXECUTABLE_PATH" ] || die "BROWSER_EXECUTABLE_PATH=$BROWSER_EXECUTABLE_PATH is not an executable file"
  export BROWSER_ENGINE="${BROWSER_ENGINE:-chromium}" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  browser_note="$BROWSER_ENGINE at $BROWSER_EXECUTABLE_PATH (from BROWSER_EXECUTABLE_PATH)"
elif [ -n "${BROWSER_ENGINE:-}" ]; then
  browser_note="Playwright's own $BROWSER_ENGINE (from BROWSER_ENGINE)"
elif [ "$OFFLINE" -eq 1 ]; then
  # No internet needed: a system Chromium does the job (installed here on Debian/Ubuntu when missing).
  if chromium_path="$(find_system_chromium)"; then
    export BROWSER_ENGINE=chromium BROWSER_EXECUTABLE_PATH="$chromium_path" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    browser_note="system Chromium at $chromium_path"
  elif playwright_has_browsers firefox; then
    browser_note="Playwright's own Firefox (already downloaded)"
  elif chromium_path="$(install_chromium)" && [ -n "$chromium_path" ]; then
    export BROWSER_ENGINE=chromium BROWSER_EXECUTABLE_PATH="$chromium_path" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    browser_note="system Chromium at $chromium_path (just installed)"
  elif playwright_has_browsers chromium || playwright_download_reachable; then
    export BROWSER_ENGINE=chromium
    browser_note="Playwright's own Chromium (downloaded on first start)"
  else
    no_browser
  fi
else
  # With the internet: Playwright's own browsers, the worker's default engine (downloaded on first start).
  if playwright_has_browsers firefox || playwright_download_reachable; then
    browser_note="Playwright's own browsers (the worker's default engine, Firefox; downloaded on first start,
  which also needs the browser's system libraries - on Debian/Ubuntu see 'playwright install-deps firefox')"
  elif chromium_path="$(find_system_chromium)"; then
    export BROWSER_ENGINE=chromium BROWSER_EXECUTABLE_PATH="$chromium_path" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    browser_note="system Chromium at $chromium_path (Playwright's download site is unreachable)"
  else
    no_browser
  fi
fi

# ---- the jars --------------------------------------------------------------------------------------
jars=("$API_JAR" "$WORKER_JAR")
[ "$OFFLINE" -eq 1 ] && jars+=("$EMULATOR_JAR")
missing=0
for jar in "${jars[@]}"; do [ -f "$jar" ] || missing=1; done
if [ "$BUILD" -eq 1 ] || [ "$missing" -eq 1 ]; then
  say "building the jars: ./mvnw -B -q -DskipTests package (the first build downloads dependencies)"
  ./mvnw -B -q -DskipTests package || die "the build failed"
fi
for jar in "${jars[@]}"; do [ -f "$jar" ] || die "the build did not produce $jar"; done

# ---- processes -------------------------------------------------------------------------------------
# Every service runs in a session (and process group) of its own when setsid exists: stopping the
# group stops what the service started, and Ctrl-C reaches only this script, which stops the services
# in order. (Without setsid, background children ignore Ctrl-C and are stopped by pid.)
mkdir -p "$LOG_DIR" "$PROFILE_DIR"
PIDS=()
NAMES=()
STOPPING=0

descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null || true); do
    echo "$child"
    descendants "$child"
  done
}

stop_all() {
  [ "$STOPPING" -eq 1 ] && return
  STOPPING=1
  trap - INT TERM
  [ "${#PIDS[@]}" -eq 0 ] && return
  say ""
  say "stopping ${NAMES[*]} ..."
  local i pid deadline leftovers=()
  for pid in "${PIDS[@]}"; do leftovers+=($(descendants "$pid")); done
  leftovers+=("${PIDS[@]}")
  # One at a time in reverse start order: the API first, so that nothing sends work to a stopping worker;
  # then the worker, which drains its jobs. TERM goes to the JVM alone, not to its process group: the
  # Playwright driver and the browser are the JVM's to close, and killing them under a running job would
  # turn the documented drain into a "browser crashed" failure. Only what outlives its grace is killed.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    pid="${PIDS[$i]}"
    kill -TERM "$pid" 2>/dev/null || continue
    deadline=$((SECONDS + STOP_GRACE))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      say "${NAMES[$i]} did not stop within ${STOP_GRACE}s; killing it"
    fi
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  # Browsers run in process groups of their own: make sure none outlives its worker.
  for pid in "${leftovers[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  say "stopped."
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

# start NAME JAR VAR=value... : starts a jar with extra environment, output appended to var/log/NAME.log.
start() {
  local name="$1" jar="$2"
  shift 2
  printf '\n===== %s: starting %s =====\n' "$(date -u +%FT%TZ)" "$name" >>"$LOG_DIR/$name.log"
  local launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  local opts="${JAVA_OPTS:-}"
  if [ -z "$opts" ]; then
    case "$name" in
      api) opts="${API_JAVA_OPTS:-$API_JAVA_OPTS_DEFAULT}" ;;
      *) opts="-Xmx512m" ;;
    esac
  fi
  ${launcher[@]+"${launcher[@]}"} env "$@" java $opts -jar "$jar" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  PIDS+=("$!")
  NAMES+=("$name")
}

# await_ready NAME URL : polls URL until it answers 200, printing progress; gives up at the deadline
# or as soon as the process has exited.
await_ready() {
  local name="$1" url="$2" pid="${PIDS[${#PIDS[@]} - 1]}" start="$SECONDS" elapsed
  printf 'waiting for %s (%s) ' "$name" "$url"
  while :; do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
      printf ' ready after %ss\n' "$((SECONDS - start))"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      printf ' exited\n'
      tail -n 40 "$LOG_DIR/$name.log" >&2
      die "$name stopped during start-up (log: var/log/$name.log)"
    fi
    elapsed=$((SECONDS - start))
    if [ "$elapsed" -ge "$READY_TIMEOUT" ]; then
      printf ' timed out\n'
      tail -n 40 "$LOG_DIR/$name.log" >&2
      die "$name was not ready after ${READY_TIMEOUT}s (log: var/log/$name.log; raise READY_TIMEOUT?)"
    fi
    if [ $((elapsed % 5)) -eq 0 ]; then printf '%ss' "$elapsed"; else printf '.'; fi
    sleep 1
  done
}

# A fresh token per run: the worker accepts work only from this API.
WORKER_TOKEN="${WORKER_TOKEN:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}"
export WORKER_TOKEN
# Metrics are not public: the main port serves them only to this token's bearer.
METRICS_TOKEN="${METRICS_TOKEN:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}"
export METRICS_TOKEN

say "browser: $browser_note"
if [ "$OFFLINE" -eq 1 ]; then
  start emulator "$EMULATOR_JAR" PORT="$EMULATOR_PORT"
  await_ready emulator "http://127.0.0.1:$EMULATOR_PORT/__emulator/config"
  # Short waits make the demo snappy; the emulator's defaults mimic Perchance's real timings.
  curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d '{"generateLatencyMs":500,"turnstileDelayMs":300}' "http://127.0.0.1:$EMULATOR_PORT/__emulator/config" || true
  export PERCHANCE_BASE_URL="http://127.0.0.1:$EMULATOR_PORT" PERCHANCE_SITE_URL="http://127.0.0.1:$EMULATOR_PORT"
fi

# The worker listens on loopback only: the API is its sole client.
start worker "$WORKER_JAR" PORT="$WORKER_PORT" SERVER_ADDRESS=127.0.0.1 BROWSER_PROFILE_DIR="$PROFILE_DIR"
await_ready worker "http://127.0.0.1:$WORKER_PORT/actuator/health/readiness"

start api "$API_JAR" MALLOC_ARENA_MAX="$API_MALLOC_ARENA_MAX" PORT="$API_PORT" PERCHANCE_WORKER_URL="http://127.0.0.1:$WORKER_PORT"
await_ready api "http://127.0.0.1:$API_PORT/actuator/health/readiness"

cat <<EOF

imagegen is running$([ "$OFFLINE" -eq 1 ] && echo " (offline: images come from the local Perchance emulator)").
  API        http://localhost:$API_PORT/            (a form for people)
  generate   http://localhost:$API_PORT/generate?prompt=a+red+fox+in+the+snow&shape=portrait
  health     http://localhost:$API_PORT/health
  metrics    curl -H 'Authorization: Bearer $METRICS_TOKEN' http://localhost:$API_PORT/actuator/prometheus
  worker     http://127.0.0.1:$WORKER_PORT/health   (private; bearer token required for /generate)
$([ "$OFFLINE" -eq 1 ] && echo "  emulator   http://127.0.0.1:$EMULATOR_PORT/__emulator/config")
  logs       var/log/

Try:
  curl -sS -o fox.png -D - 'http://localhost:$API_PORT/generate?prompt=a+red+fox+in+the+snow&shape=portrait&seed=42'

Ctrl-C stops everything.
EOF

# Stay in the foreground; if a service dies on its own, stop the rest and say which one.
while :; do
  for i in "${!PIDS[@]}"; do
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
      say "${NAMES[$i]} exited unexpectedly; last lines of var/log/${NAMES[$i]}.log:"
      tail -n 20 "$LOG_DIR/${NAMES[$i]}.log" || true
      exit 1
    fi
  done
  sleep 1
done
