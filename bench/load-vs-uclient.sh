#!/bin/bash
# Benchmark: rtcprobe `load` against coturn's own `turnutils_uclient -m N`
# on one lab coturn on loopback, in the same run, for N = 10, 100 and 500
# (or the N given), same packet size (102 bytes, rtcprobe's Opus profile)
# and rate (one packet per 20 ms per sender):
#   - CPU time per datagram sent (perf stat -e task-clock; /usr/bin/time
#     user + sys without perf), as the marginal cost between a short and a
#     long run so start-up and set-up cancel out. Datagrams are what each
#     tool says it sent: rtcprobe's datagrams_sent (A's packets and B's
#     reflections), uclient's tot_send_msgs;
#   - coturn's own CPU over the long run (it shares the machine's cores);
#   - rtcprobe's schedule error p99 and loss at each N, and uclient's
#     figures for the same N;
#   - the kernel's floor for a datagram in the same run (bench/udp-floor.c:
#     one send and one receive, nothing else, on a socket per datagram as
#     TURN needs and batched on one socket), the cost no client can go under.
# Not a test: it asserts nothing and is not registered in meson test.
# Usage: bench/load-vs-uclient.sh [RTCPROBE [N...]]
# Traffic: loopback only.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../tests/lab/lib.sh"

RTCPROBE=${1:-${RTCPROBE:-$HERE/../build/rtcprobe}}
shift || true
SIZES=("$@")
((${#SIZES[@]})) || SIZES=(10 100 500)
SHORT=3
LONG=8

lab_require turnserver turnutils_uclient jq awk /usr/bin/time cc
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

# coturn's CPU seconds so far (utime + stime from /proc, in clock ticks).
coturn_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$LAB_TURN_PID/stat"; }

run_load() { # out-prefix, streams, seconds, [wrapper...]
  local out=$1 n=$2 d=$3
  shift 3
  "$@" "$RTCPROBE" --format json --timeout 60 load --streams "$n" --duration "$d" \
    --turn "turn:127.0.0.1:$LAB_TURN_PORT" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE" >"$out.json" 2>"$out.err" || true
}

run_uclient() { # out-prefix, clients, messages per client, [wrapper...]
  local out=$1 m=$2 n=$3
  shift 3
  # uclient takes the password on its command line only (a throw-away lab password).
  "$@" turnutils_uclient -y -c -l 102 -z 20 -m "$m" -n "$n" -p "$LAB_TURN_PORT" -u "$LAB_TURN_USER" \
    -w "$(cat "$LAB_TURN_PASSWORD_FILE")" 127.0.0.1 >"$out.out" 2>"$out.err" || true
}

probe_sent() { jq -r '.checks[-1].details.datagrams_sent // 0' "$1"; }
uclient_sent() { sed -n 's/.*start_mclient: tot_send_msgs=\([0-9]*\),.*/\1/p' "$1" | tail -n 1; }
marginal() { awk -v a="$1" -v b="$2" -v n="$3" -v m="$4" 'BEGIN { if (m > n) printf "%.6g", (b - a) / (m - n); else print 0 }'; }
us() { awk -v x="$1" 'BEGIN { printf "%.1f", x * 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

main() {
  local W n prev=""
  lab_init
  W=$(lab_tmpdir)
  cc -O2 -o "$W/udp-floor" "$HERE/udp-floor.c"
  echo "# coturn $(turnserver --version 2>/dev/null | head -n 1);" \
    "rtcprobe $("$RTCPROBE" --version | head -n 1); $(nproc) CPUs; $(uname -r); CPU by $CPU_HOW"
  for n in "${SIZES[@]}"; do
    local t c0 c1 pc uc ps pl us_ ul
    # A fresh coturn per N: a released allocation still counts against the
    # relay ports until coturn drops its session, and uclient does not
    # release its own. Two relays per stream, four runs.
    [[ -z $prev ]] || lab_coturn_stop "$prev"
    prev=$W/coturn-$n
    lab_coturn_start "$W/coturn-$n" --relay-ports $((8 * n + 64)) >/dev/null || { echo "coturn did not start" >&2; exit 2; }
    # shellcheck source=/dev/null
    source "$W/coturn-$n/env"
    echo "== N = $n: load --streams $n, uclient -m $n; ${SHORT} s and ${LONG} s (coturn on 127.0.0.1:$LAB_TURN_PORT)"
    for t in short long; do
      local d=$SHORT
      [[ $t == long ]] && d=$LONG
      cpu_wrap "$W/p$n-$t.time"
      c0=$(coturn_cpu)
      run_load "$W/p$n-$t" "$n" "$d" "${CPU_WRAP[@]}"
      c1=$(coturn_cpu)
      [[ $t == long ]] && echo "coturn CPU during rtcprobe's long run: $(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }') s"
      cpu_wrap "$W/u$n-$t.time"
      c0=$(coturn_cpu)
      run_uclient "$W/u$n-$t" "$n" $((50 * d)) "${CPU_WRAP[@]}"
      c1=$(coturn_cpu)
      [[ $t == long ]] && echo "coturn CPU during uclient's long run: $(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }') s"
    done
    ps=$(probe_sent "$W/p$n-short.json")
    pl=$(probe_sent "$W/p$n-long.json")
    us_=$(uclient_sent "$W/u$n-short.out")
    ul=$(uclient_sent "$W/u$n-long.out")
    pc=$(marginal "$(cpu_s "$W/p$n-short.time")" "$(cpu_s "$W/p$n-long.time")" "$ps" "$pl")
    uc=$(marginal "$(cpu_s "$W/u$n-short.time")" "$(cpu_s "$W/u$n-long.time")" "${us_:-0}" "${ul:-0}")
    printf 'cpu_s  rtcprobe %s / %s (%s / %s datagrams) | uclient %s / %s (%s / %s datagrams)\n' \
      "$(cpu_s "$W/p$n-short.time")" "$(cpu_s "$W/p$n-long.time")" "$ps" "$pl" \
      "$(cpu_s "$W/u$n-short.time")" "$(cpu_s "$W/u$n-long.time")" "${us_:-?}" "${ul:-?}"
    printf 'N=%s cpu per datagram: rtcprobe load %s us, uclient %s us, ratio rtcprobe/uclient %s\n' \
      "$n" "$(us "$pc")" "$(us "$uc")" "$(ratio "$pc" "$uc")"
    jq -r --arg n "$n" '.checks[-1] | "N=\($n) rtcprobe verdict: \(.summary)"' "$W/p$n-long.json" || true
    jq -r --arg n "$n" '[.checks[] | select(.id == "load.step.1")][0].metrics |
      "N=\($n) rtcprobe: established \(.streams_established), RTT p50 \(.rtt_ms_p50) p99 \(.rtt_ms_p99) ms, loss \(.loss_pct_fwd)/\(.loss_pct_bwd) %, schedule_error_ms p50 \(.schedule_error_ms_p50) p99 \(.schedule_error_ms_p99)"' \
      "$W/p$n-long.json" || true
    grep -h 'Total lost packets\|Average round trip delay\|Average jitter' "$W/u$n-long.out" \
      | sed "s/^[0-9]*: : /N=$n uclient: /" || true
    "$W/udp-floor" "$n" $((200000 / n)) 102 | awk -v n="$n" -v p="$pc" -v u="$uc" '
      { us[$1] = $4 }
      END { printf "N=%s kernel floor per datagram: own socket %.2f us, batched %.2f us;" \
              " rtcprobe %.1f x, uclient %.1f x the own-socket floor\n",
              n, us["own"], us["batched"], p * 1e6 / us["own"], u * 1e6 / us["own"] }'
  done
}

main "$@"
