#!/bin/bash
# rtcprobe `ws` through a real nginx in front of a real Socket.IO server
# (npm socket.io) and a LiveKit signalling stand-in (tokens checked with
# livekit-server-sdk), all on loopback (tests/lab lab_web_start):
#   good          ws pass (101, accept verified, ping RTT), socketio pass
#   /private      the namespace middleware's CONNECT_ERROR ("44") reported
#   noupgrade     ws fail naming proxy_set_header Upgrade; polling works
#   shorttimeout  --hold 4: closed after ~2 s, hint names proxy_read_timeout
#   shorttimeout with pingInterval 1 s: held, and the masking is explained
#   LiveKit       validate 401 without key, 200 with the right key/secret,
#                 401 with a wrong one; /rtc 401 (good) vs 404 (noupgrade)
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=15

for p in node npm nginx openssl curl jq; do
  command -v "$p" >/dev/null || lab_skip "$p not installed"
done

probe() { # out, args...: lab_probe (tests/lab/lib.sh) on this host
  local out=$1
  shift
  LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" "$@"
}

expect_rc() { lab_check "$1: exit code $2 (got $RC)" test "$RC" -eq "$2"; }
jqc() { lab_jq_check "$1" "$2" "$LAB_JQ_DEFS $3"; }

# Start VARIANT in a fresh directory and load its env (extra env passes through).
start() {
  local dir
  dir=$(lab_tmpdir)
  lab_web_start "$dir/lab" "$1" || { echo "lab_web_start $1 failed"; exit 1; }
  lab_on_exit "lab_web_stop '$dir/lab'"
  # shellcheck disable=SC1091
  source "$dir/lab/env"
  URL="wss://127.0.0.1:$LAB_WEB_HTTPS_PORT/socket.io/"
  LK="wss://127.0.0.1:$LAB_WEB_LIVEKIT_PORT"
}

check_good() {
  local r=$W/good.json
  echo "== good: websocket + Socket.IO through nginx"
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" ws "$URL"
  expect_rc "good" 0
  jqc "ws: kind websocket, status pass" "$r" 'chk("ws") | .kind == "websocket" and .status == "pass"'
  jqc "ws: 101, Sec-WebSocket-Accept verified" "$r" \
    'chk("ws").details | .http_status == 101 and .accept_verified == true'
  jqc "ws: TLS verified with the lab CA" "$r" 'chk("ws").details.tls_verified == true'
  jqc "ws: upgrade_ms, connect_ms, tls_ms > 0" "$r" \
    'chk("ws").metrics | .upgrade_ms > 0 and .connect_ms > 0 and .tls_ms > 0'
  jqc "ws: 5 pings, ping_rtt_ms >= ping_rtt_min_ms > 0" "$r" \
    'chk("ws") | .details.pongs_received == 5 and .metrics.ping_rtt_min_ms > 0 and .metrics.ping_rtt_ms >= .metrics.ping_rtt_min_ms'
  jqc "ws: Engine.IO open packet in details (pingInterval 25000)" "$r" \
    'chk("ws").details | (.eio_sid | length > 0) and .ping_interval_ms == 25000 and .ping_timeout_ms == 20000'
  jqc "socketio: pass with sid and pingInterval" "$r" \
    'chk("socketio") | .status == "pass" and (.details.sid | length > 0) and .details.ping_interval_ms == 25000'

  r=$W/private.json
  echo "== good: namespace /private refuses with CONNECT_ERROR"
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" ws --engineio "wss://127.0.0.1:$LAB_WEB_HTTPS_PORT/private"
  expect_rc "private" 1
  jqc "ws still passes (the transport works)" "$r" 'chk("ws").status == "pass"'
  jqc "socketio: fail with the server's 44 message" "$r" \
    'chk("socketio") | .status == "fail" and .details.namespace == "/private" and (.details.connect_error | test("unauthorized")) and (.summary | test("unauthorized"))'

  r=$W/untrusted.json
  echo "== good: without the lab CA, TLS is not trusted"
  probe "$r" --timeout "$TIMEOUT" ws "$URL"
  expect_rc "untrusted" 1
  jqc "ws: fail in phase tls, unknown CA" "$r" \
    'chk("ws") | .status == "fail" and .details.failed_phase == "tls" and .details.tls_error == "unknown_ca"'
  r=$W/insecure.json
  probe "$r" --timeout "$TIMEOUT" --insecure ws "$URL"
  jqc "ws --insecure: warn, insecure reported, hint names the CA" "$r" \
    'chk("ws") | .status == "warn" and .details.insecure == true and .details.tls_verified == false and (.hint | test("CA"))'
}

check_livekit() { # variant
  local r=$W/lk-$1.json
  echo "== $1: LiveKit stand-in without a key"
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" ws --livekit "$LK"
  jqc "livekit.http: 200 OK" "$r" 'chk("livekit.http") | .status == "pass" and .details.http_status == 200'
  jqc "livekit.validate: 401 without a token (up and routed)" "$r" \
    'chk("livekit.validate") | .status == "pass" and .details.http_status == 401'
  if [[ $1 == good ]]; then
    jqc "livekit.rtc: upgrade reaches LiveKit (401)" "$r" \
      'chk("livekit.rtc") | .status == "pass" and .details.http_status == 401'

    r=$W/lk-key.json
    echo "== good: LiveKit token signed with the right key/secret"
    probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" ws --livekit-key "$LAB_LIVEKIT_KEY" \
      --livekit-secret-file "$LAB_LIVEKIT_SECRET_FILE" "$LK"
    expect_rc "right key" 0
    jqc "livekit.validate: 200 with our token" "$r" \
      'chk("livekit.validate") | .status == "pass" and .details.http_status == 200'
    lab_check "the secret appears nowhere in the report" \
      bash -c '! grep -qF -- "$(cat "$1")" "$2"' _ "$LAB_LIVEKIT_SECRET_FILE" "$r"
    lab_check "no token in the report" bash -c '! grep -q "eyJ" "$1"' _ "$r"

    r=$W/lk-wrong.json
    echo "== good: LiveKit token signed with a wrong secret"
    RTCPROBE_LIVEKIT_SECRET=not-the-secret probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" \
      ws --livekit-key "$LAB_LIVEKIT_KEY" "$LK"
    expect_rc "wrong secret" 1
    jqc "livekit.validate: 401, hint says key/secret differ" "$r" \
      'chk("livekit.validate") | .status == "fail" and .details.http_status == 401 and (.hint | test("secret differs"))'
  else
    jqc "livekit.rtc: bare 404, hint names proxy_set_header Upgrade" "$r" \
      'chk("livekit.rtc") | .status == "fail" and .details.http_status == 404 and (.hint | test("proxy_set_header Upgrade"))'
  fi
}

check_noupgrade() {
  local r=$W/noupgrade.json
  echo "== noupgrade: nginx drops Upgrade/Connection"
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" ws "$URL"
  expect_rc "noupgrade" 1
  jqc "ws: fail, HTTP 400 in phase upgrade" "$r" \
    'chk("ws") | .status == "fail" and .details.http_status == 400 and .details.failed_phase == "upgrade"'
  jqc "ws: Engine.IO's {\"code\":3} reported" "$r" 'chk("ws").details.engineio_error | test("\"code\":3")'
  jqc "ws: polling works (open packet over long-polling)" "$r" \
    'chk("ws").details | .polling == "works" and (.polling_sid | length > 0)'
  jqc "ws: hint names proxy_set_header Upgrade and says polling works" "$r" \
    'chk("ws").hint | test("proxy_set_header Upgrade") and test("polling works, websocket does not")'
  jqc "socketio: warn, long-polling only" "$r" 'chk("socketio") | .status == "warn" and (.summary | test("long-polling"))'
}

check_shorttimeout() {
  local r=$W/short.json
  echo "== shorttimeout: proxy_read_timeout 2s, --hold 4"
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" ws --hold 4 "$URL"
  expect_rc "shorttimeout" 1
  jqc "ws: fail, closed during the hold after ~2 s without a close frame" "$r" \
    'chk("ws") | .status == "fail" and .details.closed_during_hold == true and .details.close_frame == false and .metrics.held_s >= 1.5 and .metrics.held_s <= 3'
  jqc "ws: hint names proxy_read_timeout and the pingInterval" "$r" \
    'chk("ws").hint | test("proxy_read_timeout") and test("pingInterval")'
  lab_check "shorttimeout: finished in under 4 s (took $MS ms)" test "$MS" -lt 4000

  r=$W/cut.json
  echo "== shorttimeout: --timeout shorter than --hold is said, not hidden"
  probe "$r" --timeout 5 --ca-file "$LAB_CA_FILE" ws --hold 10 "$URL"
  jqc "ws: the result still tells the 2 s close" "$r" 'chk("ws").details.closed_during_hold == true'
}

check_masked() {
  local r=$W/masked.json
  echo "== shorttimeout + pingInterval 1 s: Engine.IO pings hide the proxy limit"
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" ws --hold 4 "$URL"
  expect_rc "masked" 0
  jqc "ws: held 4 s, server pings answered" "$r" \
    'chk("ws") | .status == "pass" and .details.closed_during_hold == false and .metrics.held_s >= 3.9'
  jqc "ws: masking explained (pingInterval 1000)" "$r" \
    'chk("ws") | .details.keepalive_masks_idle_limit == true and .details.ping_interval_ms == 1000 and (.summary | test("hides"))'
}

check_timeout_shorter_than_hold() {
  local r=$W/hold-cut.json
  echo "== good: --timeout 3 with --hold 10"
  probe "$r" --timeout 3 --ca-file "$LAB_CA_FILE" ws --hold 10 "$URL"
  jqc "ws: warn, says --timeout cut the hold" "$r" \
    'chk("ws") | .status == "warn" and (.summary | test("--timeout")) and .metrics.held_s < 3'
  lab_check "hold cut: finished within 3.5 s (took $MS ms)" test "$MS" -le 3500
}

lab_init
lab_web_deps || lab_skip "npm packages for tests/lab/web unavailable"
W=$(lab_tmpdir)

start good
check_good
check_livekit good
check_timeout_shorter_than_hold

start noupgrade
check_noupgrade
check_livekit noupgrade

start shorttimeout
check_shorttimeout

LAB_SIO_PING_INTERVAL=1000 LAB_SIO_PING_TIMEOUT=1000 start shorttimeout
check_masked

lab_finish
