#!/bin/bash
# A tester's browser against `rtcprobe serve` (reflector-tester.h), with a
# lab coturn (REST secret) as the deployment's TURN over UDP and TCP:
# refused invites (expired, forged, damaged, used up) get one sentence and no
# credentials, which the reflector's log confirms (no tester session opened
# for them, each refusal logged); a valid one gets minutes-long TURN REST
# credentials; headless Chromium then connects an RTCPeerConnection to the
# reflector's rtc/webrtc peer with every candidate and relay-only through
# each TURN transport, and gets every voice test message answered. A token
# client (`ice --reflector`) still works beside it. See
# tests/lab/tester-chromium.py for each assertion.
# Traffic: loopback only. Env: RTCPROBE. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET RTCPROBE_REFLECTOR_SECRET

# SIGTERM: the reflector stops cleanly, with no sanitizer report in its log.
stop_serve() {
  local rc=0
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID" || rc=$?
  lab_check "the reflector exits 0 on SIGTERM (got $rc)" test "$rc" = 0
  lab_check "no sanitizer report in the reflector's log" \
    bash -c '! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$1"' _ "$w/serve.log"
}

main() {
  local w rc=0
  lab_require chromium python3 turnserver jq
  lab_init
  w=$(lab_tmpdir)
  lab_coturn_start "$w/coturn" --auth secret || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$w/coturn/env"
  (umask 077 && openssl rand -hex 24 >"$w/secret")
  WS_PORT=$(lab_free_port tcp)
  cat >"$w/serve.ini" <<INI
[listen]
websocket = 127.0.0.1:$WS_PORT
trusted_proxies =
[auth]
secret_file = $w/secret
[turn]
servers = turn:127.0.0.1:$LAB_TURN_PORT?transport=udp;turn:127.0.0.1:$LAB_TURN_PORT?transport=tcp
secret_file = $LAB_TURN_SECRET_FILE
[ice]
loopback_only = true
[limits]
source_rate = 50
source_burst = 50
[tester]
public_url = http://127.0.0.1:$WS_PORT/rtcprobe
turn_ttl = 300
INI
  "$RTCPROBE" serve --config "$w/serve.ini" 2>>"$w/serve.log" &
  SERVE_PID=$!
  lab_on_exit "lab_kill_pid $SERVE_PID"
  lab_wait_port 127.0.0.1 "$WS_PORT" tcp 5 || { cat "$w/serve.log" >&2; exit 1; }

  timeout --kill-after=5 150 python3 "$HERE/../lab/tester-chromium.py" "$(command -v chromium)" \
    "$w" "$WS_PORT" "$w/secret" 2 || rc=$?
  lab_check "the driver's checks all passed (exit $rc)" test "$rc" = 0
  lab_check "reflector: each refused invite logged (expired, forged, malformed, used-up)" \
    bash -c 'for r in expired forged malformed used-up; do
               grep -q "refused: 127.0.0.1: invite $r" "$1" || exit 1; done' _ "$w/serve.log"
  lab_check "reflector: tester sessions only for the two valid invites (none for refused ones)" \
    test "$(grep -c 'tester .* open: ' "$w/serve.log")" = 2
  lab_check "reflector: the Chromium session's end line counts 3 peers connected, 150 replies" \
    grep -qE 'tester .* end: .* 3 peers, 3 connected; 150 voice replies' "$w/serve.log"
  lab_check "reflector: no invite, credential or key in the log" \
    bash -c '! grep -qiE "credential\":|rtcprobe-invite|\\.[A-Za-z0-9_-]{43}" "$1"' _ "$w/serve.log"
  LAB_PROBE_LIMIT=40 lab_probe "$w/ice.json" --timeout 20 ice \
    --reflector "ws://127.0.0.1:$WS_PORT/rtcprobe" --reflector-secret-file "$w/secret"
  lab_jq_check "a token client beside it: ice.reflector passes" "$w/ice.json" \
    '[.checks[] | select(.id == "ice.reflector")][0].status == "pass"'
  stop_serve
  if ((LAB_FAILS)); then
    echo '# serve.log (tail):'
    tail -n 30 "$w/serve.log" | sed 's/^/#   /'
  fi
  lab_finish
}

main "$@"
