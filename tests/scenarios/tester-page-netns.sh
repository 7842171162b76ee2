#!/bin/bash
# The tester's page as a tester opens it: headless Chromium in a client
# namespace opens <public_url>/test#<invite> through nginx (TLS) in front of
# `rtcprobe serve`, with the lab's coturn (REST secret) as the deployment's
# TURN over UDP and TCP, all in a server namespace joined by a veth pair.
# tests/lab/tester-chromium.py drives the page (DevTools pipe, a 360x740
# window) and checks what it shows and the report it got:
#   open         nothing dropped: "Voice works from here.", every path
#                connects, voice.ice loses nothing, RTT p50 under 1 ms,
#                and a screenshot of the finished page goes to the log dir
#   expired      an expired invite: the page's one sentence; on the
#                reflector's side the refusal is logged and no tester
#                session (so no TURN credentials) opens
#   noupgrade    the page through a proxy that drops Upgrade/Connection: the
#                page names the proxy and the nginx lines that fix it
#   loss-fwd     10 % of the UDP datagrams from the client dropped at random
#                at the server: the page's voice.ice sees it forward only,
#                inside the binomial interval (3 sigma), and nothing backward
#   udp-blocked  every UDP datagram from the client dropped at the server:
#                relay over TCP connects and the verdict says only TURN over
#                TCP works, this network blocks UDP
# Traffic: only inside the two namespaces. Env: RTCPROBE, RTCPROBE_LOG_DIR
# (where the screenshot goes). Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
NS_C=rp-tcli-$$
NS_S=rp-tsrv-$$
VETH_C=rtc$$
VETH_S=rts$$
# RFC 2544 benchmarking range: addresses that exist only inside these namespaces.
SRV4=198.18.0.2
CLI4=198.18.0.1
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET RTCPROBE_REFLECTOR_SECRET

make_network() {
  ip link add "$VETH_C" netns "$NS_C" type veth peer name "$VETH_S" netns "$NS_S"
  ip -n "$NS_C" link set lo up
  ip -n "$NS_S" link set lo up
  ip -n "$NS_C" addr add "$CLI4/24" dev "$VETH_C"
  ip -n "$NS_S" addr add "$SRV4/24" dev "$VETH_S"
  ip -n "$NS_C" link set "$VETH_C" up
  ip -n "$NS_S" link set "$VETH_S" up
}

set_condition() { # open | loss-fwd | udp-blocked: the server namespace's input hook
  local rule=""
  [[ $1 == udp-blocked ]] && rule="iifname \"$VETH_S\" meta l4proto udp counter drop"
  [[ $1 == loss-fwd ]] &&
    rule="iifname \"$VETH_S\" meta l4proto udp numgen random mod 10 0 counter drop"
  ip netns exec "$NS_S" nft -f - <<EOF
table inet rplab
delete table inet rplab
table inet rplab {
  chain input {
    type filter hook input priority filter; policy accept;
    $rule
  }
}
EOF
}

start_nginx() {
  mkdir -p "$W/nginx/logs"
  cat >"$W/nginx/nginx.conf" <<EOF
# rtcprobe lab: nginx in front of rtcprobe serve, inside the test's namespace.
daemon off;
worker_processes 1;
pid $W/nginx/nginx.pid;
error_log $W/nginx/logs/error.log;
events { worker_connections 64; }
http {
  access_log $W/nginx/logs/access.log;
  client_body_temp_path $W/nginx/body;
  proxy_temp_path $W/nginx/proxy;
  fastcgi_temp_path $W/nginx/fastcgi;
  uwsgi_temp_path $W/nginx/uwsgi;
  scgi_temp_path $W/nginx/scgi;
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  server {
    listen $SRV4:$HTTPS ssl;
    ssl_certificate $LAB_CA_DIR/server.pem;
    ssl_certificate_key $LAB_CA_DIR/server.key;
    location /rtcprobe {
      proxy_pass http://127.0.0.1:$WS;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_read_timeout 300s;
    }
  }
  # A proxy that drops the upgrade: no Upgrade/Connection headers passed on.
  server {
    listen $SRV4:$HTTPS_NOUPGRADE ssl;
    ssl_certificate $LAB_CA_DIR/server.pem;
    ssl_certificate_key $LAB_CA_DIR/server.key;
    location /rtcprobe {
      proxy_pass http://127.0.0.1:$WS;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
EOF
  ip netns exec "$NS_S" nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" </dev/null \
    >"$W/nginx/stdout" 2>&1 &
  lab_on_exit "lab_kill_pid $!"
  lab_wait_port "$SRV4" "$HTTPS" tcp 10 "$NS_S"
}

start_serve() {
  cat >"$W/serve.ini" <<INI
[listen]
websocket = 127.0.0.1:$WS
trusted_proxies = 127.0.0.1
[auth]
secret_file = $W/secret
[turn]
servers = turn:$SRV4:$P?transport=udp;turn:$SRV4:$P?transport=tcp
secret_file = $LAB_TURN_SECRET_FILE
[tester]
public_url = https://$SRV4:$HTTPS/rtcprobe
voice_duration = 6
turn_ttl = 300
INI
  # The reflector's peak RSS and CPU over the page runs, for the log.
  ip netns exec "$NS_S" /usr/bin/time -f '%M %U %S' -o "$W/serve.time" \
    "$RTCPROBE" serve --config "$W/serve.ini" 2>>"$W/serve.log" &
  TIME_PID=$!
  lab_on_exit "lab_kill_pid $TIME_PID"
  lab_wait_port 127.0.0.1 "$WS" tcp 10 "$NS_S" || { cat "$W/serve.log" >&2; return 1; }
  SERVE_PID=$(pgrep -P "$TIME_PID")
  lab_on_exit "lab_kill_pid $SERVE_PID"
}

# SIGTERM: the reflector stops cleanly, with no sanitizer report in its log.
stop_serve() {
  local rc=0 rss user sys
  kill -TERM "$SERVE_PID"
  wait "$TIME_PID" || rc=$?
  read -r rss user sys <"$W/serve.time" || true
  echo "# the reflector over the page runs: peak RSS ${rss:-?} KB, CPU ${user:-?} s user," \
    "${sys:-?} s system"
  lab_check "the reflector exits 0 on SIGTERM (got $rc)" test "$rc" = 0
  lab_check "no sanitizer report in the reflector's log" \
    bash -c '! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$1"' _ "$W/serve.log"
}

page() { # scenario, [screenshot]
  local rc=0 url
  url="https://$SRV4:$HTTPS/rtcprobe/test"
  [[ $1 == noupgrade ]] && url="https://$SRV4:$HTTPS_NOUPGRADE/rtcprobe/test"
  ip netns exec "$NS_C" env TESTER_MODE="$1" TESTER_HOST="$SRV4" TESTER_PAGE_URL="$url" TESTER_SPKI="$SPKI" \
    TESTER_SHOT="${2:-}" timeout --kill-after=5 150 python3 "$HERE/../lab/tester-chromium.py" \
    "$CHROMIUM" "$(mktemp -d "$W/chromium.XXXXXX")" 0 "$W/secret" 2 || rc=$?
  lab_check "$1: the page's checks passed (exit $rc)" test "$rc" = 0
}

main() {
  local opened shot_dir
  lab_require ip nft turnserver nginx openssl python3
  [[ -n $CHROMIUM ]] || lab_skip "chromium not installed"
  lab_netns_make "$NS_C" "$NS_S"
  W=$(lab_tmpdir)
  make_network
  P=$(lab_free_port both "$NS_S")
  T=$(lab_free_port both "$NS_S")
  WS=$(lab_free_port tcp "$NS_S")
  HTTPS=$(lab_free_port tcp "$NS_S")
  HTTPS_NOUPGRADE=$(lab_free_port tcp "$NS_S")
  lab_coturn_start "$W/coturn" --netns "$NS_S" --ip "$SRV4" --port "$P" --tls-port "$T" \
    --auth secret || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/coturn/env"
  LAB_CA_DIR=$W/coturn/ca
  SPKI=$(openssl x509 -in "$LAB_CA_DIR/server.pem" -pubkey -noout | openssl pkey -pubin -outform der |
    openssl dgst -sha256 -binary | base64)
  (umask 077 && openssl rand -hex 24 >"$W/secret")
  start_serve
  start_nginx || { cat "$W/nginx/logs/error.log" >&2; exit 1; }
  shot_dir=${RTCPROBE_LOG_DIR:-$W}
  mkdir -p "$shot_dir"

  echo "== open"
  set_condition open
  page open "$shot_dir/tester-page-360x740.png"
  lab_check "open: nginx served the page and carried the upgrade (200 /rtcprobe/test, 101)" \
    bash -c 'grep -q "GET /rtcprobe/test HTTP/1.1\" 200" "$1" && grep -q "\" 101 " "$1"' _ \
    "$W/nginx/logs/access.log"
  lab_check "open: the reflector logged one line for the result" \
    grep -q "tester .* result: label=\"page open\" verdict \"Voice works from here.\"" "$W/serve.log"

  echo "== expired"
  opened=$(grep -c 'tester .* open: ' "$W/serve.log" || true)
  page expired
  lab_check "expired: the reflector refused it (logged) and opened no session, no credentials" \
    bash -c 'grep -q "refused: $2: invite expired" "$1" &&
             [[ $(grep -c "tester .* open: " "$1") == "$3" ]]' _ "$W/serve.log" "$CLI4" "$opened"

  echo "== noupgrade"
  page noupgrade

  echo "== loss-fwd"
  set_condition loss-fwd
  page loss-fwd

  echo "== udp-blocked"
  set_condition udp-blocked
  page udp-blocked
  lab_check "udp-blocked: the reflector's result line names TURN over TCP" \
    grep -q 'verdict "Voice works from here only through TURN over TCP' "$W/serve.log"
  stop_serve
  if ((LAB_FAILS)); then
    echo '# serve.log (tail):'
    tail -n 20 "$W/serve.log" | sed 's/^/#   /'
  fi
  lab_finish
}

lab_init
main "$@"
