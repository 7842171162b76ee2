#!/bin/bash
# `rtcprobe serve` where a deployment puts it: behind the same nginx as the
# API (tests/lab web lab, TLS with the lab CA) at /rtcprobe. `ice
# --reflector wss://…/rtcprobe` and `voice --reflector` must get through the
# proxy's websocket upgrade (nginx's own log shows the 101). Behind the
# lab's `noupgrade` proxy the same run must fail and say the proxy strips
# the upgrade.
# Traffic: loopback only. Env: RTCPROBE. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET RTCPROBE_REFLECTOR_SECRET

probe() { # out, args...: lab_probe (tests/lab/lib.sh) on this host
  local out=$1
  shift
  LAB_PROBE_LIMIT=40 lab_probe "$out" --timeout 20 "$@"
}

jqc() {
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

start_serve() {
  cat >"$W/serve.ini" <<INI
[listen]
websocket = 127.0.0.1:$WS_PORT
udp = 127.0.0.1:$UDP_PORT
trusted_proxies = 127.0.0.1
[auth]
secret_file = $W/secret
[ice]
loopback_only = true
INI
  "$RTCPROBE" serve --config "$W/serve.ini" 2>>"$W/serve.log" &
  lab_on_exit "lab_kill_pid $!"
  lab_wait_port 127.0.0.1 "$WS_PORT" tcp 5 || { cat "$W/serve.log" >&2; return 1; }
}

main() {
  lab_require nginx node turnserver jq openssl
  lab_web_deps_ok || lab_web_deps || lab_skip "the web lab's npm packages are not installed"
  W=$(lab_tmpdir)
  (umask 077 && openssl rand -hex 24 >"$W/secret")
  WS_PORT=$(lab_free_port tcp)
  UDP_PORT=$(lab_free_port both)
  start_serve

  echo "== 1. through nginx's websocket proxy (good)"
  LAB_REFLECTOR_PORT=$WS_PORT lab_web_start "$W/good" good >/dev/null ||
    { echo "could not start the web lab" >&2; exit 1; }
  local https ca url r=$W/ice.json
  https=$(sed -n 's/^LAB_WEB_HTTPS_PORT=//p' "$W/good/env")
  ca=$(sed -n 's/^LAB_CA_FILE=//p' "$W/good/env")
  url="wss://127.0.0.1:$https/rtcprobe"
  probe "$r" --ca-file "$ca" ice --reflector "$url" --reflector-secret-file "$W/secret"
  lab_check "ice --reflector through nginx: exit 0 (got $RC)" test "$RC" -eq 0
  jqc "ice.reflector passes through the proxy with a selected pair" "$r" \
    'chk("ice.reflector") | .status == "pass" and (.details.selected_pair | type == "string")'
  lab_check "nginx carried the upgrade (101 on /rtcprobe in its access log)" \
    grep -q '"GET /rtcprobe HTTP/1.1" 101' "$W/good/nginx/logs/access.log"
  lab_check "the reflector logged the session" grep -q "session .* open" "$W/serve.log"
  r=$W/voice.json
  probe "$r" --ca-file "$ca" voice --duration 1 --reflector "$url" --reflector-secret-file "$W/secret"
  lab_check "voice --reflector through nginx: exit 0 (got $RC)" test "$RC" -eq 0
  jqc "voice.reflector and voice.ice pass, 50/50 packets each" "$r" \
    '[.checks[] | select(.kind == "voice")] | length == 2 and all(.[]; .status == "pass" and .details.packets_received == 50)'
  lab_web_stop "$W/good"

  echo "== 2. a proxy without the upgrade headers"
  LAB_REFLECTOR_PORT=$WS_PORT lab_web_start "$W/bad" noupgrade >/dev/null ||
    { echo "could not start the web lab" >&2; exit 1; }
  https=$(sed -n 's/^LAB_WEB_HTTPS_PORT=//p' "$W/bad/env")
  ca=$(sed -n 's/^LAB_CA_FILE=//p' "$W/bad/env")
  r=$W/bad.json
  probe "$r" --ca-file "$ca" ice --reflector "wss://127.0.0.1:$https/rtcprobe" --reflector-secret-file "$W/secret"
  lab_check "noupgrade: exit 1 (got $RC)" test "$RC" -eq 1
  jqc "noupgrade: ice.reflector fails and the hint names the proxy's Upgrade header" "$r" \
    'chk("ice.reflector") | .status == "fail" and (.summary | test("upgrade refused: HTTP 426"))
     and .details.tls_verified == true and (.hint | test("Upgrade"))'
  lab_check "the secret is in no report" bash -c '! grep -rqF -- "$(cat "$1")" "$2"/*.json' _ "$W/secret" "$W"
  lab_finish
}

lab_init
main "$@"
