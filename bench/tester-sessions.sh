#!/bin/bash
# Benchmark: what one tester's browser session costs `rtcprobe serve`. K
# headless Chromium pages (tests/lab/tester-chromium.py, page mode) open the
# tester's page on loopback at once, each running the whole page (websocket,
# ICE with every candidate, a voice stream of VOICE s: 50 messages a second
# answered by the reflector); the reflector's CPU time (utime + stime from
# /proc, 10 ms ticks) and resident memory are read before and after, for
# K = 1 and K = 4, so the marginal cost per session shows.
# No TURN servers (the relay paths are not part of it). Not a test: it
# asserts nothing and is not registered in meson test.
# Usage: bench/tester-sessions.sh [RTCPROBE]
# Traffic: loopback only.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../tests/lab/lib.sh"

RTCPROBE=${1:-${RTCPROBE:-$HERE/../build/rtcprobe}}
VOICE=10
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

run_pages() { # K
  local k=$1 i pids=() hz c0 c1 r0 t0
  hz=$(getconf CLK_TCK)
  c0=$(cpu_ticks "$SERVE_PID")
  r0=$(rss_kb "$SERVE_PID")
  t0=$(date +%s%N)
  for ((i = 0; i < k; i++)); do
    TESTER_MODE=bench TESTER_PAGE_URL="http://127.0.0.1:$WS/rtcprobe/test" \
      timeout 120 python3 "$HERE/../tests/lab/tester-chromium.py" "$CHROMIUM" \
      "$(mktemp -d "$W/chromium.XXXXXX")" 0 "$W/secret" 0 >"$W/page-$k-$i.out" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
  c1=$(cpu_ticks "$SERVE_PID")
  printf 'K=%d pages at once: %s; reflector CPU %.2f s (%.3f s a session), RSS %d -> %d KB,' \
    "$k" "$(grep -h '^# page' "$W"/page-"$k"-*.out | sed 's/^# page: //' | sort | uniq -c |
      tr -s ' ' | tr '\n' ';' | sed 's/;$//')" "$(echo "($c1 - $c0) / $hz" | bc -l)" \
    "$(echo "($c1 - $c0) / $hz / $k" | bc -l)" "$r0" "$(rss_kb "$SERVE_PID")"
  printf ' peak %d KB; %d ms wall\n' "$(hwm_kb "$SERVE_PID")" $((($(date +%s%N) - t0) / 1000000))
}

lab_require python3 bc
[[ -n $CHROMIUM ]] || lab_skip "chromium not installed"
lab_init
W=$(lab_tmpdir)
(umask 077 && openssl rand -hex 24 >"$W/secret")
WS=$(lab_free_port tcp)
cat >"$W/serve.ini" <<EOF
[listen]
websocket = 127.0.0.1:$WS
trusted_proxies =
[auth]
secret_file = $W/secret
[ice]
loopback_only = true
[limits]
source_rate = 100
source_burst = 100
[tester]
public_url = http://127.0.0.1:$WS/rtcprobe
voice_duration = $VOICE
EOF
"$RTCPROBE" serve --config "$W/serve.ini" 2>"$W/serve.log" &
SERVE_PID=$!
lab_on_exit "lab_kill_pid $SERVE_PID"
lab_wait_port 127.0.0.1 "$WS" tcp 10
echo "# reflector at start: RSS $(rss_kb "$SERVE_PID") KB; $(nproc) CPUs here"
run_pages 1
run_pages 4
grep -c 'tester .* result:' "$W/serve.log" | sed 's/^/# results logged by the reflector: /'
