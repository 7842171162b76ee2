#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# Hostile STUN/TURN servers against `rtcprobe stun` and `rtcprobe turn`: for
# every attack mode of tests/hostile/stun-peer.py, over UDP, TCP and TLS, one
# run of each command with --timeout. Each run must end with the expected
# exit status and wording (the check's summary), within --timeout plus a
# margin, under a peak RSS bound (/usr/bin/time -f %M), and with no
# sanitizer report on stderr (the suite runs against the ASan/UBSan build).
# Then the stun check's budget: it follows --timeout (over TCP a silent
# server is waited for until then), and over UDP the transaction timer names
# stray answers at 9.5 s.
# Traffic: loopback only (the peer refuses any other address).
# Env: RTCPROBE = the binary, RTCPROBE_SOURCE = the source root.
# Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE=${RTCPROBE_SOURCE:-$HERE/../..}
source "$SOURCE/tests/lab/lib.sh"

RTCPROBE=${RTCPROBE:-$SOURCE/build/rtcprobe}
TIMEOUT=4
MARGIN_MS=1500
# Peak RSS bound for one run. Measured: 16-20 MB for the normal build, 30-50
# MB for the ASan/UBSan one (the flood is the largest); an unbounded queue or
# buffer under the flood would pass the bound.
RSS_BOUND_KB=$((128 * 1024))
PEER=$HERE/stun-peer.py
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

lab_require python3 jq openssl
[[ -x /usr/bin/time ]] || lab_skip "/usr/bin/time not installed"
lab_init
W=$LAB_WORKDIR
lab_make_ca "$W/ca"
PASSWORD_FILE=$W/password
(umask 077 && openssl rand -hex 16 >"$PASSWORD_FILE")

PEER_PID=""
UDP_PORT="" TCP_PORT="" TLS_PORT=""

start_peer() { # mode
  local mode=$1 log=$W/peer-$1.log i
  UDP_PORT=$(lab_free_port udp)
  TCP_PORT=$(lab_free_port tcp)
  TLS_PORT=$(lab_free_port tcp)
  : >"$log"   # a mode may run twice: its earlier "ready" must not count
  python3 "$PEER" --mode "$mode" --host 127.0.0.1 --udp-port "$UDP_PORT" --tcp-port "$TCP_PORT" \
    --tls-port "$TLS_PORT" --cert "$W/ca/server.pem" --key "$W/ca/server.key" \
    --user hostile --password-file "$PASSWORD_FILE" --lifetime 120 >"$log" 2>&1 &
  PEER_PID=$!
  lab_on_exit "lab_kill_pid $PEER_PID"
  for i in $(seq 50); do
    grep -q '^ready$' "$log" 2>/dev/null && return 0
    lab_pid_alive "$PEER_PID" || break
    sleep 0.1
  done
  echo "the hostile peer ($mode) did not start:" >&2
  cat "$log" >&2
  exit 1
}

stop_peer() {
  lab_kill_pid "$PEER_PID"
  PEER_PID=""
}

uri_for() { # command, transport
  case $1:$2 in
    stun:udp) echo "stun:127.0.0.1:$UDP_PORT" ;;
    stun:tcp) echo "stun:127.0.0.1:$TCP_PORT?transport=tcp" ;;
    stun:tls) echo "stuns:127.0.0.1:$TLS_PORT" ;;
    turn:udp) echo "turn:127.0.0.1:$UDP_PORT?transport=udp" ;;
    turn:tcp) echo "turn:127.0.0.1:$TCP_PORT?transport=tcp" ;;
    turn:tls) echo "turns:127.0.0.1:$TLS_PORT" ;;
  esac
}

# What each run must end with: "exit-status|summary regex". A key is
# command:mode:transport, or command:mode for all three transports.
declare -A EXPECT=(
  [stun:silence:udp]='1|^no answer to STUN Binding over UDP before the deadline$'
  [stun:silence:tcp]='1|^no answer to STUN Binding over TCP before the deadline$'
  [stun:silence:tls]='1|^no answer to STUN Binding over TLS before the deadline$'
  [stun:stall:udp]='1|^no answer to STUN Binding over UDP before the deadline$'
  [stun:stall:tcp]='1|^no answer to STUN Binding over TCP before the deadline$'
  [stun:stall:tls]='1|^TLS handshake with 127\.0\.0\.1:[0-9]+ did not finish before the deadline$'
  [stun:wrongtid]='1|the server answered [0-9]+ times?, but never with the transaction id of our request$'
  [stun:no-mi]='0|^Binding over (UDP|TCP|TLS) answered in'
  [stun:bad-mi]='0|^Binding over (UDP|TCP|TLS) answered in'
  [stun:truncated]='1|^malformed STUN response: STUN attribute runs past the end of the message'
  [stun:garbage-attrs]='1|^malformed STUN response: no \(XOR-\)MAPPED-ADDRESS in the Binding success$'
  [stun:unknown-required]='1|^malformed STUN response: it carries attribute 0x7ffe, comprehension-required and unknown to this client$'
  [stun:huge-length:udp]='1|^malformed STUN response: truncated STUN message \(36 bytes\)$'
  [stun:huge-length:tcp]='1|^no answer to STUN Binding over TCP before the deadline$'
  [stun:huge-length:tls]='1|^no answer to STUN Binding over TLS before the deadline$'
  [stun:endless-401]='1|^the server refused Binding over (UDP|TCP|TLS): 401 Unauthorized$'
  [stun:endless-438]='1|^the server refused Binding over (UDP|TCP|TLS): 438 Stale Nonce$'
  [stun:alternate-loop]='1|^the server refused Binding over (UDP|TCP|TLS): 300 Try Alternate$'
  [stun:flood]='1|the server answered [0-9]+ times?, but never with the transaction id of our request$'
  [stun:trickle:udp]='1|^no answer to STUN Binding over UDP before the deadline$'
  [stun:trickle]='1|^no answer to STUN Binding over (TCP|TLS) before the deadline$'

  [turn:silence]='1|^no answer to TURN Allocate over (UDP|TCP|TLS) before the deadline$'
  [turn:stall:tls]='1|^TLS handshake with 127\.0\.0\.1:[0-9]+ did not finish before the deadline$'
  [turn:stall]='1|^no answer to TURN Allocate over (UDP|TCP) before the deadline$'
  [turn:wrongtid]='1|the server answered [0-9]+ times?, but never with the transaction id of our request$'
  [turn:no-mi]='1|^Allocate: the server did not prove it knows the key \(no MESSAGE-INTEGRITY in the success response\)$'
  [turn:bad-mi]="1|^Allocate: the server did not prove it knows the key \\(the success response's MESSAGE-INTEGRITY does not match our credentials\\)$"
  [turn:truncated]='1|^Allocate: malformed STUN response: STUN attribute runs past the end of the message'
  [turn:garbage-attrs]='1|^Allocate: the Allocate success has no XOR-RELAYED-ADDRESS$'
  [turn:unknown-required]='1|^Allocate: malformed STUN response: it carries attribute 0x7ffe, comprehension-required and unknown to this client$'
  [turn:huge-length:udp]='1|^Allocate: malformed STUN response: truncated STUN message \(36 bytes\)$'
  [turn:huge-length]='1|^no answer to TURN Allocate over (TCP|TLS) before the deadline$'
  [turn:endless-401]='1|^Allocate refused: 401 Unauthorized$'
  [turn:endless-438]='1|^Allocate refused: 438 Stale Nonce$'
  [turn:alternate-loop]='1|^Allocate refused: 300 Try Alternate$'
  [turn:flood]='1|the server answered [0-9]+ times?, but never with the transaction id of our request$'
  [turn:trickle]='1|^no answer to TURN Allocate over (UDP|TCP|TLS) before the deadline$'
)

MODES=(silence stall wrongtid no-mi bad-mi truncated garbage-attrs unknown-required huge-length
  endless-401 endless-438 alternate-loop flood trickle)

# One run: exit status, wording, wall time, peak RSS, no sanitizer report.
run_case() { # command, mode, transport, [--timeout]
  local cmd=$1 mode=$2 t=$3 timeout=${4:-$TIMEOUT} out=$W/$1-$2-$3-${4:-0}.json uri want rc_want re id t0
  want=${EXPECT[$cmd:$mode:$t]:-${EXPECT[$cmd:$mode]:-}}
  [[ -n $want ]] || { echo "no expectation for $cmd:$mode:$t" >&2; exit 1; }
  rc_want=${want%%|*}
  re=${want#*|}
  uri=$(uri_for "$cmd" "$t")
  id=$cmd.$t
  [[ $cmd == turn ]] && id=turn.$t.allocate
  local creds=()
  [[ $cmd == turn ]] && creds=(--user hostile --password-file "$PASSWORD_FILE")
  t0=$(date +%s%N)
  set +e
  /usr/bin/time -f %M -o "$out.rss" timeout --kill-after=2 $((timeout + 10)) \
    "$RTCPROBE" --format json --timeout "$timeout" --ca-file "$W/ca/ca.pem" "$cmd" "$uri" \
    "${creds[@]}" >"$out" 2>"$out.err"
  RC=$?
  set -e
  MS=$((($(date +%s%N) - t0) / 1000000))
  KB=$(tail -n 1 "$out.rss" 2>/dev/null | tr -dc 0-9)
  KB=${KB:-0}
  echo "# $cmd $mode over $t, --timeout $timeout: exit $RC in $MS ms, peak RSS $KB KB"
  lab_check "$cmd $mode/$t: exit status $rc_want (got $RC)" test "$RC" -eq "$rc_want"
  lab_jq_check "$cmd $mode/$t: $id says /$re/" "$out" \
    "$LAB_JQ_DEFS chk(\$id).summary | test(\$re)" --arg id "$id" --arg re "$re"
  lab_check "$cmd $mode/$t: within --timeout $timeout s + $MARGIN_MS ms (took $MS ms)" \
    test "$MS" -le $((timeout * 1000 + MARGIN_MS))
  lab_check "$cmd $mode/$t: peak RSS $KB KB under $RSS_BOUND_KB KB" test "$KB" -gt 0 -a "$KB" -le "$RSS_BOUND_KB"
  if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$out.err"; then
    lab_check "$cmd $mode/$t: no sanitizer report" false
    head -n 30 "$out.err" | sed 's/^/#   /'
  else
    lab_check "$cmd $mode/$t: no sanitizer report" true
  fi
}

for mode in "${MODES[@]}"; do
  echo "== hostile STUN/TURN peer: $mode"
  start_peer "$mode"
  for cmd in stun turn; do
    for t in udp tcp tls; do
      run_case "$cmd" "$mode" "$t"
    done
  done
  stop_peer
done

# The stun check's budget is --timeout (it was a fixed 8 s): over TCP a
# silent server is waited for until --timeout, and over UDP stray answers
# are named by the transaction timer itself at 9.5 s.
echo "== the stun check's budget follows --timeout"
start_peer silence
run_case stun silence tcp 10
lab_check "stun silence/tcp: waited until --timeout 10 s (took $MS ms)" test "$MS" -ge 9900
stop_peer
start_peer wrongtid
run_case stun wrongtid udp 12
lab_check "stun wrongtid/udp: the transaction timer ended it at 9.5 s, not the deadline (took $MS ms)" \
  test "$MS" -ge 9400 -a "$MS" -le 11000
lab_jq_check "stun wrongtid/udp: 5 requests, 5 stray answers counted" "$W/stun-wrongtid-udp-12.json" \
  "$LAB_JQ_DEFS"' chk("stun.udp") | .details.stray_responses == 5 and .details.retransmissions == 4'
stop_peer

lab_finish
