#!/bin/bash
# Benchmark: `rtcprobe load` at 1,000 streams against one lab coturn on
# loopback, and 10 streams on the same idle path to compare with: both
# processes' CPU (utime + stime from /proc/PID/stat before and after), the
# sender's schedule error p50/p99, RTT, jitter and loss per direction,
# packets sent of those planned, how long set-up took before the window;
# where the CPU went: the probe's time waiting for a CPU
# (/proc/PID/schedstat), coturn's threads, the machine's idle time (/proc/stat), datagrams dropped at coturn's full
# listening sockets (/proc/net/udp, 6 s in); then a `perf record` of the
# probe at 1,000 streams to show where its time goes; last, the same 1,000
# streams against `rtcprobe serve`'s direct UDP port (`load --reflector`),
# which costs the far end far less per datagram than coturn, to show the
# probe's own headroom on the same two cores.
# Not a test: it asserts nothing and is not registered in meson test.
# Usage: bench/load-headroom.sh [RTCPROBE [N_BIG [N_IDLE [SECONDS]]]]
# HEADROOM_ONLY=coturn or reflector runs only that server's pair of runs.
# Traffic: loopback only.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../tests/lab/lib.sh"

RTCPROBE=${1:-${RTCPROBE:-$HERE/../build/rtcprobe}}
BIG=${2:-1000}
IDLE=${3:-10}
DUR=${4:-10}
HZ=$(getconf CLK_TCK)

lab_require turnserver jq awk openssl
[[ -x $RTCPROBE ]] || { echo "$RTCPROBE is not an executable" >&2; exit 2; }

cpu_of() { awk -v hz="$HZ" '{ print ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# Datagrams dropped so far on PID's UDP sockets (full receive buffers), and
# the largest receive queue among them (bytes).
udp_drops_of() {
  local inodes
  inodes=$(find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n')
  awk -v list="$inodes" 'BEGIN { n = split(list, a, "\n"); for (i = 1; i <= n; i++) own[a[i]] = 1 }
    NR > 1 && ($10 in own) { d += $13; split($5, q, ":"); rq = 0
      for (i = 1; i <= length(q[2]); i++) rq = rq * 16 + index("0123456789ABCDEF", substr(q[2], i, 1)) - 1
      if (rq > m) m = rq }
    END { printf "%d %d", d, m }' /proc/net/udp
}
idle_of() { awk -v hz="$HZ" '/^cpu / { print ($5 + $6) / hz }' /proc/stat; }

# The probe's last CPU ticks and schedstat while it runs, and the server's
# UDP drops DROPS_AT seconds in, into FILE: "ticks on-cpu-ns wait-ns drops
# queue". The observer runs at nice 19 and polls with shell builtins only
# (it waits on a FIFO nobody writes): one that forked an awk, a date and a
# sleep per poll showed in the probe's schedule error (p99 2 to 4 ms on an
# idle path).
observe() { # pid, file
  local pid=$1 ticks=0 sched="0 0" drops="0 0" t0=$EPOCHREALTIME st x tick
  renice -n 19 -p "$BASHPID" >/dev/null
  mkfifo "$2.tick"
  exec {tick}<>"$2.tick"
  while kill -0 "$pid" 2>/dev/null; do
    read -r -a st <"/proc/$pid/stat" 2>/dev/null && ticks=$((st[13] + st[14]))
    read -r x <"/proc/$pid/schedstat" 2>/dev/null && sched=${x% *}
    if [[ $drops == "0 0" && -n $DROPS_AT ]] && ((${EPOCHREALTIME%.*} - ${t0%.*} >= DROPS_AT)); then
      drops=$(udp_drops_of "$SERVER_PID")
    fi
    read -r -t 0.1 -u "$tick" x || true
  done
  exec {tick}>&-
  echo "$ticks $sched $drops" >"$2"
}
# coturn's drops are read 6 s in, while its relay sockets are open; the
# reflector's direct socket outlives the run, and is read after it, so that
# no find over its fds runs beside the probe.
DROPS_AT=6

# Runs load with N streams against TARGET (load's options naming the server)
# whose process is SERVER_PID; the probe's CPU is the observer's last reading
# before it exits, the server's from before and after.
run_load() { # out-prefix, streams, [extra wrapper...]
  local out=$1 n=$2 pid obs t0 c0 c1 i0 ticks run wait drops rq x
  shift 2
  i0=$(idle_of)
  c0=$(cpu_of "$SERVER_PID")
  t0=$(date +%s.%N)
  "$@" "$RTCPROBE" --format json --timeout $((DUR + 120)) load --streams "$n" --duration "$DUR" \
    "${TARGET[@]}" >"$out.json" 2>"$out.err" &
  pid=$!
  observe "$pid" "$out.observed" &
  obs=$!
  wait "$pid" || true
  wait "$obs"
  c1=$(cpu_of "$SERVER_PID")
  read -r ticks run wait drops rq <"$out.observed"
  [[ -n $DROPS_AT ]] || read -r drops rq <<<"$(udp_drops_of "$SERVER_PID")"
  echo "$(awk -v t="$ticks" -v hz="$HZ" 'BEGIN { print t / hz }') $(sub "$c0" "$c1")" \
    "$(sub "$t0" "$(date +%s.%N)") $(sub "$i0" "$(idle_of)")" \
    "$(awk -v a="$run" -v b="$wait" 'BEGIN { printf "%.2f %.2f", a / 1e9, b / 1e9 }') $drops $rq" \
    >"$out.cpu"
  for x in /proc/"$SERVER_PID"/task/*/stat; do awk -v hz="$HZ" '{ print ($14 + $15) / hz }' "$x"; done |
    awk '$1 > 0.05' | sort -rn | tr '\n' ' ' >"$out.threads"
}

report() { # label, out-prefix, server's name
  local server=${3:-coturn} pc cc wall idle run wait drops rq when="over the run"
  [[ -z $DROPS_AT ]] || when="$DROPS_AT s in"
  read -r pc cc wall idle run wait drops rq <"$2.cpu"
  jq -r --arg l "$1" --arg pc "$pc" --arg cc "$cc" --arg w "$wall" --arg sv "$server" \
    '[.checks[] | select(.id | startswith("load.step."))][-1] as $step | $step.metrics as $m |
     $step.details as $d |
     "\($l): established \($m.streams_established), rtcprobe CPU \($pc) s, \($sv) CPU \($cc) s" +
     " over \($w) s wall; schedule_error_ms p50 \($m.schedule_error_ms_p50) p99" +
     " \($m.schedule_error_ms_p99); RTT ms p50 \($m.rtt_ms_p50) p99 \($m.rtt_ms_p99);" +
     " loss % \($m.loss_pct_fwd)/\($m.loss_pct_bwd); datagrams_sent" +
     " \(.checks[-1].details.datagrams_sent // "?"); packets sent \($m.packets_sent) of" +
     " \($m.packets_planned // "?") planned; set-up before the window \($m.setup_ms // "?") ms," +
     " \($d.streams_setting_up // "?") streams not up when it opened"' \
    "$2.json" || { echo "$1: no report"; cat "$2.err" >&2; }
  echo "  CPU: machine idle $idle CPU-s of the run; the probe on a CPU $run s, runnable but" \
    "waiting for one $wait s; $server threads (CPU s) $(cat "$2.threads"); dropped at $server's" \
    "sockets $when: $drops datagrams, largest receive queue $rq bytes"
  jq -r '.checks[-1] | "  verdict: \(.summary)"' "$2.json" 2>/dev/null || true
}

# A fresh lab coturn in DIR for N streams (two relays each; released
# allocations still hold relay ports for a while): TARGET and SERVER_PID.
coturn_for() { # dir, streams
  lab_coturn_start "$1" --relay-ports $((8 * $2 + 64)) >/dev/null ||
    { echo "coturn did not start" >&2; exit 2; }
  # shellcheck source=/dev/null
  source "$1/env"
  SERVER_PID=$LAB_TURN_PID
  TARGET=(--turn "turn:127.0.0.1:$LAB_TURN_PORT" --user "$LAB_TURN_USER"
    --password-file "$LAB_TURN_PASSWORD_FILE")
  DROPS_AT=6
}

# `rtcprobe serve` with a direct UDP port that takes N streams in one load
# session at 50 packets a second each (and 20 % to spare): TARGET and
# SERVER_PID. The secret goes by file, as a user would pass it.
reflector_for() { # dir, streams
  mkdir -p "$1"
  (umask 077 && openssl rand -hex 24 >"$1/secret")
  lab_serve_start "$1/serve.ini" "$1/serve.log" "$1/secret" "max_load_streams = $2" \
    "global_packet_rate = $((60 * $2))" "session_lifetime = $((DUR + 300))" || exit 2
  SERVER_PID=$LAB_SERVE_PID
  TARGET=(--reflector "$LAB_SERVE_URL" --reflector-secret-file "$1/secret")
  DROPS_AT=
}

main() {
  local W
  lab_init
  W=$(lab_tmpdir)
  echo "# coturn $(turnserver --version 2>/dev/null | head -n 1);" \
    "rtcprobe $("$RTCPROBE" --version | head -n 1); $(nproc) CPUs; $(uname -r)"
  if [[ ${HEADROOM_ONLY:-} != reflector ]]; then
    coturn_for "$W/c-idle" "$IDLE"
    run_load "$W/idle" "$IDLE"
    report "N=$IDLE (idle path)" "$W/idle"
    lab_coturn_stop "$W/c-idle"
    coturn_for "$W/c-big" "$BIG"
    run_load "$W/big" "$BIG"
    report "N=$BIG" "$W/big"
    lab_coturn_stop "$W/c-big"
  fi
  if [[ -z ${HEADROOM_ONLY:-} ]] && perf record -o /dev/null true >/dev/null 2>&1; then
    coturn_for "$W/c-perf" "$BIG"
    run_load "$W/perf" "$BIG" perf record -q -g -o "$W/perf.data"
    # The CPU figure of this run is perf's own process, not the probe's.
    report "N=$BIG under perf record (CPU column: perf itself)" "$W/perf"
    echo "# the probe's samples by object at N=$BIG (perf report --sort dso)"
    perf report -i "$W/perf.data" --no-children -g none --sort dso --stdio 2>/dev/null |
      awk '/%/ && !/^#/ { print }' | head -n 8 || true
    echo "# top symbols (perf report --no-children --sort dso,symbol)"
    perf report -i "$W/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
      awk '/%/ && !/^#/ && !/^ *\|/ && !/--/ { print $1, $2, $4 }' | head -n 20 || true
    lab_coturn_stop "$W/c-perf"
  fi
  if [[ ${HEADROOM_ONLY:-} != coturn ]]; then
    reflector_for "$W/r-idle" "$IDLE"
    run_load "$W/r-idle" "$IDLE"
    report "N=$IDLE --reflector (idle path)" "$W/r-idle" "serve"
    lab_kill_pid "$SERVER_PID"
    reflector_for "$W/r-big" "$BIG"
    run_load "$W/r-big" "$BIG"
    report "N=$BIG --reflector" "$W/r-big" "serve"
    lab_kill_pid "$SERVER_PID"
  fi
}

main "$@"
