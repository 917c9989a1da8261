# Shared helpers of the bench/ scripts (sourced, not run). The caller sets SCRIPT (its name, for messages) and
# WORK (its scratch directory).

die() { printf '%s: %s\n' "${SCRIPT:-bench}" "$*" >&2; exit 1; }

# Only ever load this machine's loopback interface.
loopback_only() {
  local host
  host="$(sed -E 's#^[a-z]+://(\[[^]]*\]|[^/:]*).*#\1#' <<<"$1")"
  case "$host" in
    127.0.0.1 | localhost | "[::1]") ;;
    *) die "refusing a non-loopback target: $1" ;;
  esac
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

await_http() {
  for _ in $(seq 1 600); do curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0; sleep 0.1; done
  die "not ready: $1"
}

# CPU seconds (user + system) used so far by the given processes.
cpu_seconds() {
  local total=0 pid ticks
  for pid in "$@"; do
    ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + ticks))
  done
  awk -v t="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}

# kernel_seconds PID...: the system part of cpu_seconds (time in the kernel: syscalls, copies to and from sockets).
kernel_seconds() {
  local total=0 pid ticks
  for pid in "$@"; do
    ticks=$(awk '{print $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + ticks))
  done
  awk -v t="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}

# jit_seconds PID: CPU seconds (user + system) so far of the JVM's JIT compiler threads (C1, C2).
jit_seconds() {
  local total=0 task ticks
  for task in /proc/"$1"/task/*; do
    case "$(cat "$task/comm" 2>/dev/null)" in
      # The name has a space, so count the fields after it: utime and stime are the 12th and 13th there.
      C1\ CompilerThre* | C2\ CompilerThre*) ticks=$(sed 's/^.*) //' "$task/stat" 2>/dev/null | awk '{print $12 + $13}') ;;
      *) ticks=0 ;;
    esac
    total=$((total + ticks))
  done
  awk -v t="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}

rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# noise_png FILE SIDE: a valid SIDExSIDE RGB PNG of noise (noise does not compress: 384 gives ~450 KB).
noise_png() {
  python3 - "$1" "$2" <<'PY'
import struct, sys, zlib, random
w = h = int(sys.argv[2])
random.seed(42)
raw = b"".join(b"\x00" + bytes(random.getrandbits(8) for _ in range(w * 3)) for _ in range(h))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
}

# The API's JVM flags as run.sh sets them.
run_sh_api_flags() { sed -n 's/^API_JAVA_OPTS_DEFAULT="\(.*\)"$/\1/p' "$ROOT/run.sh"; }
# The malloc arenas run.sh gives the API's process (API_MALLOC_ARENA_MAX there), unless the caller set its own.
run_sh_api_arenas() { echo "${API_MALLOC_ARENA_MAX:-$(sed -n 's/^API_MALLOC_ARENA_MAX="${API_MALLOC_ARENA_MAX:-\([0-9]*\)}"$/\1/p' "$ROOT/run.sh")}"; }

machine_line() {
  printf 'Machine: %s cores, %s, %s, %s' "$(nproc)" "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)" \
    "$(uname -sr)" "$(java -version 2>&1 | head -1 | tr -d '"')"
}
