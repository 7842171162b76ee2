#!/bin/bash
# The direct UDP and TCP ports of `rtcprobe serve`, attacked from many
# loopback addresses (127.0.N.M) by tests/hostile/reflector-direct-attacker.py
# while legitimate clients measure:
#   1. a flood of 1-byte, garbage and forged datagrams from 64 addresses at
#      4000/s, four times the global packet budget, while `rtcprobe voice
#      --reflector` runs: unauthenticated datagrams use no budget, so both
#      voice paths pass with no loss, and the flood gets nothing back
#   2. one source opening 16 TCP connections, each with a partial RFC 4571
#      frame, then one octet a second: it keeps at most
#      tcp_connections_per_source of them, each is closed at
#      tcp_frame_timeout, and a client from another address is answered
#   3. a session's signed packets replayed from 63 other addresses and from
#      another port: not one answer (the direct path is bound to the address
#      that first proved the session)
# Each part: the expected outcome, no sanitizer report from serve or the
# probe, the probe within --timeout, peak RSS within a stated bound.
# Traffic: loopback only. Env: RTCPROBE. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
ATTACKER=$HERE/reflector-direct-attacker.py
unset RTCPROBE_REFLECTOR_SECRET RTCPROBE_TURN_SECRET RTCPROBE_TURN_PASSWORD
# Bounds for peak RSS (kB), with room for the sanitizer build's shadow memory.
SERVE_RSS_MAX=131072
PROBE_RSS_MAX=131072
SANITIZER_RE='ERROR: (Address|Leak)Sanitizer|runtime error:'

jqc() { # what, file, expr, [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

start_serve() { # name, extra [limits] lines
  local ini=$W/$1.ini
  WS_PORT=$(lab_free_port tcp)
  DIRECT_PORT=$(lab_free_port both)
  cat >"$ini" <<EOF
[listen]
websocket = 127.0.0.1:$WS_PORT
udp = 127.0.0.1:$DIRECT_PORT
tcp = 127.0.0.1:$DIRECT_PORT
trusted_proxies =
[auth]
secret_file = $W/secret
max_token_ttl = 600
[ice]
loopback_only = true
[limits]
$2
EOF
  SERVE_LOG=$W/$1.log
  "$RTCPROBE" serve --config "$ini" 2>"$SERVE_LOG" &
  SERVE_PID=$!
  lab_on_exit "lab_kill_pid $SERVE_PID"
  lab_wait_port 127.0.0.1 "$WS_PORT" tcp 10 || { cat "$SERVE_LOG" >&2; exit 1; }
}

# SIGTERM, then: exit 0, peak RSS (VmHWM, read just before), no sanitizer report.
stop_serve() {
  local rss rc
  rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVE_PID/status" 2>/dev/null || echo 0)
  lab_check "serve survived the attack" lab_pid_alive "$SERVE_PID"
  lab_check "serve's peak RSS ${rss} kB <= $SERVE_RSS_MAX kB" test "${rss:-0}" -le "$SERVE_RSS_MAX"
  kill -TERM "$SERVE_PID"
  set +e
  timeout 10 tail --pid="$SERVE_PID" -f /dev/null
  wait "$SERVE_PID"
  rc=$?
  set -e
  lab_check "serve exits 0 on SIGTERM (got $rc)" test "$rc" -eq 0
  lab_check "no sanitizer report from serve" bash -c '! grep -qE "$1" "$2"' _ "$SANITIZER_RE" "$SERVE_LOG"
}

# The log line serve writes every 10 s, within 12 s.
wait_log() { # what, extended regexp
  local what=$1 re=$2 i
  for i in $(seq 48); do
    grep -qE "$re" "$SERVE_LOG" && break
    sleep 0.25
  done
  lab_check "$what" grep -qE "$re" "$SERVE_LOG"
}

run_attacker() { # out file, args...
  local out=$1
  shift
  set +e
  timeout 60 python3 "$ATTACKER" "$@" >"$out" 2>&1
  set -e
}

count_attacker() { # out file
  grep -E '^(ok|FAIL) |^# ' "$1" || true
  LAB_CHECKS=$((LAB_CHECKS + $(grep -cE '^(ok|FAIL) ' "$1" || true)))
  LAB_FAILS=$((LAB_FAILS + $(grep -cE '^FAIL ' "$1" || true)))
  if ! grep -q '^attacker: ' "$1"; then
    printf 'FAIL - the attacker did not finish:\n%s\n' "$(cat "$1")"
    LAB_CHECKS=$((LAB_CHECKS + 1)) LAB_FAILS=$((LAB_FAILS + 1))
  fi
}

part_flood() {
  echo "== 1. voice --reflector during a flood of unauthenticated datagrams from 64 addresses"
  start_serve flood "global_packet_rate = 1000"
  local r=$W/voice.json att=$W/flood.out apid
  run_attacker "$att" flood "$DIRECT_PORT" 8 4000 64 &
  apid=$!
  sleep 1
  # env(1) runs time(1), which runs the probe under lab_probe's limit.
  LAB_PROBE_ENV=(/usr/bin/time -f %M -o "$W/voice.rss")
  LAB_PROBE_LIMIT=40 lab_probe "$r" --timeout 20 voice --reflector "ws://127.0.0.1:$WS_PORT/rtcprobe" \
    --reflector-secret-file "$W/secret" --duration 3
  LAB_PROBE_ENV=()
  wait "$apid" || true
  count_attacker "$att"
  lab_check "voice exits 0 (got $RC)" test "$RC" -eq 0
  lab_check "within --timeout 20 s (took $MS ms)" test "$MS" -le 21000
  jqc "voice.reflector and voice.ice both pass" "$r" \
    '[.checks[] | select(.kind == "voice") | .status] == ["pass", "pass"]'
  printf '# loss during the flood: %s\n' "$(jq -c '[.checks[] | select(.kind == "voice") |
    {id, loss_pct: .metrics.loss_pct, mos: .metrics.mos}]' "$r" 2>/dev/null)"
  jqc "no loss on either path (the flood does not touch the budget)" "$r" \
    'all(.checks[] | select(.kind == "voice"); .metrics.loss_pct <= 1 and .details.packets_sent == 150)'
  lab_check "the probe's peak RSS $(tail -1 "$W/voice.rss") kB <= $PROBE_RSS_MAX kB" \
    test "$(tail -1 "$W/voice.rss")" -le "$PROBE_RSS_MAX"
  lab_check "no sanitizer report from the probe" bash -c '! grep -qE "$1" "$2"' _ "$SANITIZER_RE" "$r.err"
  wait_log "serve counted the flood as unauthenticated datagrams" \
    'direct ports, last 10 s: [1-9][0-9]* unauthenticated packets'
  stop_serve
}

part_tcp() {
  echo "== 2. one source holding direct TCP slots with partial frames"
  start_serve tcp "max_tcp_connections = 8
tcp_connections_per_source = 4
tcp_frame_timeout = 2
tcp_idle_timeout = 30"
  local att=$W/tcp.out t0 ms
  t0=$(date +%s%N)
  run_attacker "$att" tcp-hold "$WS_PORT" "$DIRECT_PORT" "$W/secret" 127.0.0.9 16 8 2
  ms=$((($(date +%s%N) - t0) / 1000000))
  count_attacker "$att"
  lab_check "the attack ran its bounded course (${ms} ms <= 15000)" test "$ms" -le 15000
  wait_log "serve counted the refused connections and the frames past their deadline" \
    "[1-9][0-9]* TCP connections over a source's share, [1-9][0-9]* frames past"
  stop_serve
}

part_replay() {
  echo "== 3. signed packets replayed from other addresses"
  start_serve replay ""
  local att=$W/replay.out
  run_attacker "$att" replay "$WS_PORT" "$DIRECT_PORT" "$W/secret"
  count_attacker "$att"
  wait_log "serve counted the replays from other addresses" "[1-9][0-9]* from a peer their session is not bound to"
  stop_serve
}

main() {
  lab_require jq python3 openssl
  [[ -x /usr/bin/time ]] || lab_skip "/usr/bin/time not installed"
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  W=$(lab_tmpdir)
  (umask 077 && openssl rand -hex 24 >"$W/secret")
  case ${1:-all} in
    flood) part_flood ;;
    tcp) part_tcp ;;
    replay) part_replay ;;
    *) part_flood; part_tcp; part_replay ;;
  esac
  lab_finish
}

lab_init
main "$@"
