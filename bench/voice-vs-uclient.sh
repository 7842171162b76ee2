#!/bin/bash
# Benchmark: rtcprobe `voice` against coturn's own turnutils_uclient on one
# lab coturn on loopback, in the same run, at the same packet size (102
# bytes, rtcprobe's Opus profile) and rate (one packet per 20 ms per
# sender, two senders: 100 datagrams/s either way):
#   - CPU time per datagram: task-clock (perf stat, software counter, us
#     precision; /usr/bin/time user + sys, 10 ms ticks, without perf) and instructions
#     (valgrind --tool=callgrind, repeatable), each as the marginal cost
#     between a short and a long run, so start-up and set-up cancel out;
#   - latency: the loopback RTT each tool reports, next to the kernel's own
#     (ping over 127.0.0.1, same run) as the floor;
#   - resolution of the figures each tool prints.
# Not a test: it asserts nothing and is not registered in meson test.
# Usage: bench/voice-vs-uclient.sh [RTCPROBE]   (env: BENCH_CALLGRIND=0 to skip valgrind)
# Traffic: loopback only.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../tests/lab/lib.sh"

RTCPROBE=${1:-${RTCPROBE:-$HERE/../build/rtcprobe}}
SHORT=5                # s of measured stream, rtcprobe (+ 1 s warm-up)
LONG=15
BENCH_CALLGRIND=${BENCH_CALLGRIND:-1}

lab_require turnserver turnutils_uclient jq awk ping /usr/bin/time
# CPU time of a whole run, in seconds, written to a file by a wrapper.
if perf stat -x, -e task-clock -o /dev/null true >/dev/null 2>&1; then
  CPU_HOW="perf stat -e task-clock"
  # shellcheck disable=SC2054  # -x, is perf's field separator, not an array comma
  cpu_wrap() { CPU_WRAP=(perf stat -x, -e task-clock -o "$1"); }
  cpu_s() { awk -F, '$3 == "task-clock" { print $1 / 1000 }' "$1"; }
else
  CPU_HOW="/usr/bin/time user + sys"
  cpu_wrap() { CPU_WRAP=(/usr/bin/time -f '%U %S' -o "$1"); }
  cpu_s() { awk '{ print $1 + $2 }' "$1"; }
fi
[[ -x $RTCPROBE ]] || { echo "$RTCPROBE is not an executable" >&2; exit 2; }

# Datagrams the tool's clients send in a run (each is also received once):
# rtcprobe sends (warm-up + measured) STAMP packets and reflects each one;
# uclient -y -m 1 runs two clients that each send N messages to the other.
probe_datagrams() { echo $((2 * 50 * ($1 + 1))); }
uclient_datagrams() { echo $((2 * $1)); }

run_probe() { # out-prefix, duration, [wrapper...]
  local out=$1 d=$2
  shift 2
  "$@" "$RTCPROBE" --format json --timeout $((d + 20)) voice --duration "$d" \
    --turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE" >"$out.json" 2>"$out.err" || true
}

run_uclient() { # out-prefix, messages per client, [wrapper...]
  local out=$1 n=$2
  shift 2
  # uclient takes the password on its command line only (a throw-away lab password).
  "$@" turnutils_uclient -y -c -l 102 -z 20 -m 1 -n "$n" -p "$LAB_TURN_PORT" -u "$LAB_TURN_USER" \
    -w "$(cat "$LAB_TURN_PASSWORD_FILE")" 127.0.0.1 >"$out.out" 2>"$out.err" || true
}

collected() { sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$1" | tail -n 1; }
# (long - short) / (datagrams long - datagrams short)
marginal() { awk -v a="$1" -v b="$2" -v n="$3" -v m="$4" 'BEGIN { printf "%.6g", (b - a) / (m - n) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

main() {
  local W t p_short p_long u_short u_long
  lab_init
  W=$(lab_tmpdir)
  lab_coturn_start "$W/coturn" || { echo "coturn did not start" >&2; exit 2; }
  # shellcheck source=/dev/null
  source "$W/coturn/env"
  p_short=$(probe_datagrams $SHORT)
  p_long=$(probe_datagrams $LONG)
  # The same datagram counts for uclient.
  u_short=$((p_short / 2))
  u_long=$((p_long / 2))
  echo "# coturn $(turnserver --version 2>/dev/null | head -n 1) on 127.0.0.1:$LAB_TURN_PORT;" \
    "rtcprobe $("$RTCPROBE" --version | head -n 1); $(nproc) CPUs; $(uname -r)"

  echo "== CPU: $CPU_HOW, $p_short and $p_long datagrams per tool"
  for t in short long; do
    local d=$SHORT n=$u_short
    [[ $t == long ]] && d=$LONG n=$u_long
    cpu_wrap "$W/probe-$t.time"
    run_probe "$W/probe-$t" "$d" "${CPU_WRAP[@]}"
    cpu_wrap "$W/uc-$t.time"
    run_uclient "$W/uc-$t" "$n" "${CPU_WRAP[@]}"
  done
  local pc uc
  pc=$(marginal "$(cpu_s "$W/probe-short.time")" "$(cpu_s "$W/probe-long.time")" "$p_short" "$p_long")
  uc=$(marginal "$(cpu_s "$W/uc-short.time")" "$(cpu_s "$W/uc-long.time")" "$p_short" "$p_long")
  printf 'cpu_s  rtcprobe short %s long %s | uclient short %s long %s\n' \
    "$(cpu_s "$W/probe-short.time")" "$(cpu_s "$W/probe-long.time")" \
    "$(cpu_s "$W/uc-short.time")" "$(cpu_s "$W/uc-long.time")"
  printf 'cpu per datagram: rtcprobe %s us, uclient %s us, ratio rtcprobe/uclient %s\n' \
    "$(awk -v x="$pc" 'BEGIN { printf "%.1f", x * 1e6 }')" "$(awk -v x="$uc" 'BEGIN { printf "%.1f", x * 1e6 }')" \
    "$(ratio "$pc" "$uc")"

  if [[ $BENCH_CALLGRIND == 1 ]] && command -v valgrind >/dev/null; then
    echo "== instructions: valgrind --tool=callgrind, same runs"
    for t in short long; do
      local d=$SHORT n=$u_short
      [[ $t == long ]] && d=$LONG n=$u_long
      run_probe "$W/cgp-$t" "$d" valgrind --tool=callgrind --callgrind-out-file="$W/cgp-$t.cg"
      run_uclient "$W/cgu-$t" "$n" valgrind --tool=callgrind --callgrind-out-file="$W/cgu-$t.cg"
    done
    local pi ui
    pi=$(marginal "$(collected "$W/cgp-short.err")" "$(collected "$W/cgp-long.err")" "$p_short" "$p_long")
    ui=$(marginal "$(collected "$W/cgu-short.err")" "$(collected "$W/cgu-long.err")" "$p_short" "$p_long")
    printf 'instructions  rtcprobe short %s long %s | uclient short %s long %s\n' \
      "$(collected "$W/cgp-short.err")" "$(collected "$W/cgp-long.err")" \
      "$(collected "$W/cgu-short.err")" "$(collected "$W/cgu-long.err")"
    printf 'instructions per datagram: rtcprobe %.0f, uclient %.0f, ratio rtcprobe/uclient %s\n' \
      "$pi" "$ui" "$(ratio "$pi" "$ui")"
    jq -r '.checks[0] | "  (rtcprobe under valgrind: \(.details.packets_received)/\(.details.packets_sent) back, schedule_error_ms_p99 \(.metrics.schedule_error_ms_p99))"' \
      "$W/cgp-long.json" 2>/dev/null || true
  fi

  echo "== latency: the RTT each tool reports on loopback, and the kernel's (ping, same run)"
  local ping_out pr_p50 pr_min pr_mean ping_avg ping_min uc_rtt uc_line
  ping_out=$(ping -n -q -c 200 -i 0.02 127.0.0.1 | tail -n 1)
  ping_min=$(awk -F'[/ ]' '/rtt/ { print $7 }' <<<"$ping_out")
  ping_avg=$(awk -F'[/ ]' '/rtt/ { print $8 }' <<<"$ping_out")
  pr_p50=$(jq -r '.checks[0].metrics.rtt_ms_p50' "$W/probe-long.json")
  pr_min=$(jq -r '.checks[0].metrics.rtt_ms_min' "$W/probe-long.json")
  pr_mean=$(jq -r '.checks[0].details["series.rtt_ms"] | split(",") | map(select(. != "") | tonumber) | add / length' \
    "$W/probe-long.json")
  uc_line=$(grep -h 'Average round trip delay' "$W/uc-long.out" "$W/uc-long.err" | tail -n 1 || true)
  uc_rtt=$(sed -n 's/.*Average round trip delay \([0-9.]*\) ms.*/\1/p' <<<"$uc_line")
  echo "ping 127.0.0.1: $ping_out"
  echo "rtcprobe: rtt_ms_min $pr_min, rtt_ms_p50 $pr_p50, mean $pr_mean"
  echo "uclient: ${uc_line#*: : }"
  printf 'rtcprobe p50 / ping avg: %s; rtcprobe min / ping min: %s; uclient avg / ping avg: %s\n' \
    "$(ratio "$pr_p50" "$ping_avg")" "$(ratio "$pr_min" "$ping_min")" "$(ratio "${uc_rtt:-0}" "$ping_avg")"
  jq -r '.checks[0] | "rtcprobe loss \(.metrics.loss_pct) %, schedule_error_ms_p99 \(.metrics.schedule_error_ms_p99), schedule_precise \(.details.schedule_precise)"' \
    "$W/probe-long.json"
  grep -h 'Total lost packets\|Average jitter' "$W/uc-long.out" "$W/uc-long.err" | sed 's/^[0-9]*: : /uclient: /' || true

  echo "== resolution"
  echo "rtcprobe: microsecond timestamps (kernel SO_TIMESTAMPNS receive times); percentiles from a log histogram" \
    "within 1/128 relative (about 0.3 ms at 40 ms, 1.5 us at 0.2 ms); printed with 3 decimals in ms"
  echo "uclient: RTT min/max and jitter min/max in whole milliseconds, averages of whole-millisecond samples"
}

main "$@"
