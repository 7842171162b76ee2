#!/bin/bash
# Benchmark: the RTT `rtcprobe voice --reflector` reports over the
# reflector's direct UDP port on loopback, against ping over 127.0.0.1 in the
# same run (started together, both about 10 s): ping's echo is answered by
# the kernel, so ping is the floor, and what rtcprobe reads above it is its
# self-added RTT (the probe's send and receive path, the reflector's path
# that T3 - T2 does not cover). Prints rtcprobe min/p50, ping min/avg, their
# ratio and the self-added RTT (p50 - ping avg), for each binary given:
# e.g. the build before a change and after it, each against its own serve.
# Not a test: it asserts nothing and is not registered in meson test.
# Usage: bench/direct-rtt-vs-ping.sh [RTCPROBE...]   (env: BENCH_RUNS=N runs each, default 3)
# Traffic: loopback only.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../tests/lab/lib.sh"

DURATION=10
RUNS=${BENCH_RUNS:-3}

lab_require jq awk ping openssl

one_run() { # rtcprobe, label, run number
  local bin=$1 label=$2 ws udp pid ppid out=$W/$2-$3
  ws=$(lab_free_port tcp)
  udp=$(lab_free_port udp)
  cat >"$out.ini" <<EOF
[listen]
websocket = 127.0.0.1:$ws
udp = 127.0.0.1:$udp
tcp = off
trusted_proxies =
[auth]
secret_file = $W/secret
max_token_ttl = 600
[ice]
loopback_only = true
EOF
  "$bin" serve --config "$out.ini" 2>"$out.serve.log" &
  pid=$!
  lab_wait_port 127.0.0.1 "$ws" tcp 10 || { cat "$out.serve.log" >&2; return 1; }
  # The same 10 s: ping starts with the stream (the 1 s warm-up and the
  # session set-up come first, so ping starts one second later).
  "$bin" --format json --timeout $((DURATION + 30)) voice --reflector "ws://127.0.0.1:$ws/rtcprobe" \
    --reflector-secret-file "$W/secret" --duration "$DURATION" >"$out.json" 2>"$out.err" &
  ppid=$!
  sleep 1
  ping -n -q -c 500 -i 0.02 127.0.0.1 >"$out.ping" 2>&1 || true
  wait "$ppid" || true
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local pmin pavg rmin rp50 rp95 got
  pmin=$(awk -F'[/ ]' '/^rtt|^round-trip/ { print $7 }' "$out.ping")
  pavg=$(awk -F'[/ ]' '/^rtt|^round-trip/ { print $8 }' "$out.ping")
  read -r rmin rp50 rp95 got < <(jq -r '.checks[] | select(.id == "voice.reflector") |
    "\(.metrics.rtt_ms_min) \(.metrics.rtt_ms_p50) \(.metrics.rtt_ms_p95) \(.details.packets_received)"' "$out.json")
  awk -v l="$label" -v rmin="$rmin" -v rp50="$rp50" -v rp95="$rp95" -v pmin="$pmin" -v pavg="$pavg" \
    -v got="$got" 'BEGIN {
      printf "%-8s rtcprobe min %.3f p50 %.3f p95 %.3f ms (%s back) | ping min %.3f avg %.3f ms |", \
        l, rmin, rp50, rp95, got, pmin, pavg
      printf " p50/avg %.2f min/min %.2f | self-added p50 - ping avg %.0f us\n", \
        rp50 / pavg, rmin / pmin, (rp50 - pavg) * 1000 }'
  echo "$label $rmin $rp50 $pmin $pavg" >>"$W/all"
}

main() {
  local bins=("$@") i b
  ((${#bins[@]} > 0)) || bins=("$HERE/../build/rtcprobe")
  lab_init
  W=$(lab_tmpdir)
  (umask 077 && openssl rand -hex 24 >"$W/secret")
  echo "# $(nproc) CPUs; $(uname -r); $DURATION s of voice --reflector (50 packets/s) and" \
    "ping -n -q -c 500 -i 0.02 127.0.0.1 in the same run, $RUNS runs per binary, alternating"
  for b in "${bins[@]}"; do
    [[ -x $b ]] || { echo "$b is not an executable" >&2; exit 2; }
    echo "# $b: $("$b" --version | head -n 1)"
  done
  for ((i = 1; i <= RUNS; i++)); do
    for b in "${!bins[@]}"; do
      one_run "${bins[$b]}" "bin$((b + 1))" "$i"
    done
  done
  echo "== medians over the runs"
  for b in "${!bins[@]}"; do
    awk -v l="bin$((b + 1))" '$1 == l { n++; a[n] = $3; m[n] = $2; pa[n] = $5; pm[n] = $4; d[n] = $3 - $5 }
      function med(x, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
          if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
        return k % 2 ? x[(k + 1) / 2] : (x[k / 2] + x[k / 2 + 1]) / 2 }
      END { if (n) printf "%-8s rtcprobe min %.3f p50 %.3f ms | ping min %.3f avg %.3f ms | self-added %.0f us\n",
        l, med(m, n), med(a, n), med(pm, n), med(pa, n), med(d, n) * 1000 }' "$W/all"
  done
}

main "$@"
