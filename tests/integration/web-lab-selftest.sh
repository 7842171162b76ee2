#!/bin/bash
# Self-test of the web lab (tests/lab/web + lab_web_start in tests/lab/lib.sh):
# starts every nginx VARIANT in front of the real Socket.IO app and the LiveKit
# stand-in, and checks with curl (and socket.io-client from npm) that the lab
# behaves as documented. It runs no rtcprobe code, so a broken lab shows up
# here and not as a mysterious failure of the `http` / `ws` tests.
# Loopback only. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lab/lib.sh
source "$HERE/../lab/lib.sh"

# RFC 6455 section 1.3's example key and the accept value it must produce.
WS_KEY='dGhlIHNhbXBsZSBub25jZQ=='
WS_ACCEPT='s3pPLMBiTxaQ9kYGzzhZRbK+xOo='

# curl with the lab CA and a hard limit; never fails the script by itself.
# Usage: c OUTPREFIX [curl args...]; writes OUTPREFIX.h (headers),
# OUTPREFIX.b (body) and sets RC, CODE, MS.
c() {
  local out=$1 t0
  shift
  t0=$(date +%s%N)
  set +e
  CODE=$(curl -sS --max-time 10 --cacert "$LAB_CA_FILE" -D "$out.h" -o "$out.b" \
    -w '%{http_code}' "$@" 2>"$out.err")
  RC=$?
  set -e
  MS=$((($(date +%s%N) - t0) / 1000000))
}

# A websocket upgrade request with curl (HTTP/1.1; curl shows the raw bytes).
# Usage: ws OUTPREFIX MAXTIME URL [curl args...]
ws() {
  local out=$1 maxtime=$2 url=$3
  shift 3
  c "$out" --http1.1 -N --max-time "$maxtime" \
    -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' -H "Sec-WebSocket-Key: $WS_KEY" "$@" "$url"
}

# Value of header NAME in a header file (last response, case-insensitive).
hdr() {
  awk -v n="${2,,}" '
    /^HTTP\// { v = "" }
    { line = $0; sub(/\r$/, "", line); i = index(line, ":") }
    i > 0 && tolower(substr(line, 1, i - 1)) == n { v = substr(line, i + 1); sub(/^[ \t]+/, "", v) }
    END { print v }' "$1"
}

has_hdr() { grep -qi "^$2:" "$1"; }

eq() { [[ $1 == "$2" ]]; }
match() { [[ $1 =~ $2 ]]; }

# The certificate nginx serves on PORT (PEM).
served_cert() {
  openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null 2>/dev/null |
    openssl x509 2>/dev/null
}

# Whole days until the certificate served on PORT expires.
cert_days_left() {
  local end
  end=$(served_cert "$1" | openssl x509 -noout -enddate | cut -d= -f2)
  echo $((($(date -d "$end" +%s) - $(date +%s)) / 86400))
}

cert_fingerprint() {
  served_cert "$1" | openssl x509 -noout -fingerprint -sha256 2>/dev/null
}

# socket.io-client (npm) against URL: connects to "/" and "/private" with
# TRANSPORT (websocket|polling) and prints one JSON line with what happened.
sio_client() {
  local url=$1 transport=$2
  NODE_PATH=$LAB_WEB_SRC/node_modules timeout 20 node -e '
const fs = require("node:fs");
const { io } = require("socket.io-client");
const [url, transport, caFile] = process.argv.slice(1);
const opts = { transports: [transport], upgrade: false, reconnection: false, timeout: 5000,
  ca: fs.readFileSync(caFile), forceNew: true };
const out = {};
const done = () => { console.log(JSON.stringify(out)); process.exit(0); };
const root = io(url + "/", opts);
root.on("connect_error", (e) => { out.root = "connect_error: " + e.message; root.close(); priv(); });
root.on("connect", () => {
  out.transport = root.io.engine.transport.name;
  root.emit("echo", { lab: 1 }, (r) => { out.root = "connected"; out.echo = r; root.close(); priv(); });
});
function priv() {
  const p = io(url + "/private", opts);
  p.on("connect", () => { out.private = "connected"; p.close(); done(); });
  p.on("connect_error", (e) => { out.private = "connect_error: " + e.message; p.close(); done(); });
}
' "$url" "$transport" "$LAB_CA_FILE" 2>&1 || echo '{"error":"node client failed"}'
}

jqt() { # what, json-string, jq expression
  # shellcheck disable=SC2016 # expanded by the inner bash
  lab_check "$1" bash -c 'jq -e "$1" <<<"$0" >/dev/null' "$2" "$3"
}

# ------------------------------------------------------------------ checks

check_app_routes() {
  local H=https://127.0.0.1:$LAB_WEB_HTTPS_PORT o=$T/r
  c "$o" "$H/health"
  lab_check "/health: 200" eq "$CODE" 200
  lab_check "/health: application/json" match "$(hdr "$o.h" content-type)" '^application/json'
  lab_check '/health: {"status":"ok"}' bash -c "jq -e '.status == \"ok\"' '$o.b' >/dev/null"
  c "$o" "$H/health/degraded"
  lab_check '/health/degraded: 200 {"status":"degraded"}' bash -c "[[ $CODE == 200 ]] && jq -e '.status == \"degraded\"' '$o.b' >/dev/null"
  c "$o" "$H/health/text"
  lab_check "/health/text: 200 text/plain OK" bash -c "[[ $CODE == 200 && \$(cat '$o.b') == OK ]] && grep -qi '^content-type: text/plain' '$o.h'"
  c "$o" "$H/health/500"
  lab_check "/health/500: 500" eq "$CODE" 500
  c "$o" "$H/nothing-here"
  lab_check "unknown path: 404" eq "$CODE" 404

  c "$o" "$H/api/v1/files/d41d8cd98f00b204"
  lab_check "/api/v1/files/<hash>: 302" eq "$CODE" 302
  lab_check "/api/v1/files/<hash>: Location /cdn/<hash>" eq "$(hdr "$o.h" location)" /cdn/d41d8cd98f00b204
  c "$o" -L "$H/api/v1/files/d41d8cd98f00b204"
  lab_check "files -> cdn followed: 200 image/png" bash -c "[[ $CODE == 200 ]] && grep -qi '^content-type: image/png' '$o.h'"
  lab_check "cdn: Content-Length matches the body" eq "$(hdr "$o.h" content-length)" "$(stat -c %s "$o.b")"
  lab_check "cdn: Cache-Control public, max-age=31536000, immutable" \
    eq "$(hdr "$o.h" cache-control)" "public, max-age=31536000, immutable"
  lab_check "cdn: body is a PNG" eq "$(head -c 8 "$o.b" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a

  # TLS: the lab CA verifies, an unrelated CA does not (curl 60).
  set +e
  curl -s --max-time 5 --cacert "$LAB_OTHER_CA_FILE" -o /dev/null "$H/health"
  RC=$?
  set -e
  lab_check "TLS with an unrelated CA fails verification (curl exit 60, got $RC)" eq "$RC" 60

  # The app directly, without nginx.
  c "$o" "http://127.0.0.1:$LAB_APP_PORT/health"
  lab_check "app.js direct: /health 200, no HSTS" bash -c "[[ $CODE == 200 ]] && ! grep -qi '^strict-transport-security' '$o.h'"
}

check_cors() {
  local H=https://127.0.0.1:$LAB_WEB_HTTPS_PORT o=$T/cors
  c "$o" -H "Origin: $LAB_CORS_ORIGIN" "$H/health"
  lab_check "CORS: allowed Origin is echoed" eq "$(hdr "$o.h" access-control-allow-origin)" "$LAB_CORS_ORIGIN"
  lab_check "CORS: allowed Origin gets credentials true" eq "$(hdr "$o.h" access-control-allow-credentials)" true
  c "$o" -H "Origin: https://evil.lab.test" "$H/health"
  lab_check "CORS: other Origin gets no Access-Control-Allow-Origin" bash -c "! grep -qi '^access-control-allow-origin' '$o.h'"
  c "$o" -X OPTIONS -H "Origin: $LAB_CORS_ORIGIN" -H 'Access-Control-Request-Method: GET' \
    -H 'Access-Control-Request-Headers: authorization' "$H/health"
  lab_check "CORS preflight: 204 with the allowed Origin and methods" bash -c \
    "[[ $CODE == 204 && '$(hdr "$o.h" access-control-allow-origin)' == '$LAB_CORS_ORIGIN' ]] && grep -qi '^access-control-allow-methods:.*GET' '$o.h'"
  c "$o" -H "Origin: https://evil.lab.test" "$H/cors/reflect/health"
  lab_check "CORS reflect (bad): any Origin echoed with credentials" bash -c \
    "[[ '$(hdr "$o.h" access-control-allow-origin)' == https://evil.lab.test && '$(hdr "$o.h" access-control-allow-credentials)' == true && $CODE == 200 ]]"
  c "$o" -H "Origin: https://evil.lab.test" "$H/cors/star/health"
  lab_check "CORS star (bad): * with credentials true" bash -c \
    "[[ '$(hdr "$o.h" access-control-allow-origin)' == '*' && '$(hdr "$o.h" access-control-allow-credentials)' == true ]]"
}

check_socketio_polling() {
  local H=https://127.0.0.1:$LAB_WEB_HTTPS_PORT o=$T/poll sid ping
  c "$o" "$H/socket.io/?EIO=4&transport=polling"
  lab_check "Engine.IO polling handshake: 200" eq "$CODE" 200
  lab_check "Engine.IO polling handshake: open packet with sid and upgrades [websocket]" \
    bash -c "[[ \$(head -c 1 '$o.b') == 0 ]] && tail -c +2 '$o.b' | jq -e '(.sid | length) > 0 and .upgrades == [\"websocket\"]' >/dev/null"
  ping=$(tail -c +2 "$o.b" | jq -r '"\(.pingInterval)/\(.pingTimeout)"' 2>/dev/null || echo none)
  lab_check "Engine.IO pingInterval/pingTimeout = $LAB_SIO_PING_INTERVAL/$LAB_SIO_PING_TIMEOUT (got $ping)" \
    eq "$ping" "$LAB_SIO_PING_INTERVAL/$LAB_SIO_PING_TIMEOUT"
  sid=$(tail -c +2 "$o.b" | jq -r .sid 2>/dev/null || true)
  # Socket.IO CONNECT to /private: the middleware refuses, the reply is
  # CONNECT_ERROR (4) in an Engine.IO message (4).
  c "$o.post" -X POST -H 'Content-Type: text/plain;charset=UTF-8' --data-binary '40/private,' \
    "$H/socket.io/?EIO=4&transport=polling&sid=$sid"
  c "$o.get" "$H/socket.io/?EIO=4&transport=polling&sid=$sid"
  lab_check "Socket.IO CONNECT /private over polling: 44/private,{\"message\":...} (got $(head -c 80 "$o.get.b"))" \
    match "$(cat "$o.get.b")" '^44/private,\{"message":"unauthorized: lab private namespace"\}'
}

check_socketio_client() { # expectation for websocket: ok|fail
  local H=https://127.0.0.1:$LAB_WEB_HTTPS_PORT want=$1 out
  out=$(sio_client "$H" polling)
  echo "# socket.io-client polling: $out"
  jqt "socket.io-client over polling: / connects and echoes" "$out" '.root == "connected" and .echo == {"lab": 1}'
  jqt "socket.io-client over polling: /private refused by middleware" "$out" \
    '.private == "connect_error: unauthorized: lab private namespace"'
  out=$(sio_client "$H" websocket)
  echo "# socket.io-client websocket: $out"
  if [[ $want == ok ]]; then
    jqt "socket.io-client websocket-only: / connects over websocket and echoes" "$out" \
      '.root == "connected" and .transport == "websocket" and .echo == {"lab": 1}'
    jqt "socket.io-client websocket-only: /private refused by middleware" "$out" \
      '.private == "connect_error: unauthorized: lab private namespace"'
  else
    jqt "socket.io-client websocket-only: / cannot connect (websocket error)" "$out" \
      '.root | startswith("connect_error")'
  fi
}

# Websocket upgrade of Engine.IO through nginx. WANT: 101 or 400.
check_ws_upgrade() {
  local base=$1 want=$2 o=$T/ws
  ws "$o" 3 "$base/socket.io/?EIO=4&transport=websocket"
  if [[ $want == 101 ]]; then
    lab_check "ws upgrade $base: 101" eq "$CODE" 101
    lab_check "ws upgrade: Sec-WebSocket-Accept per RFC 6455" eq "$(hdr "$o.h" sec-websocket-accept)" "$WS_ACCEPT"
    lab_check "ws upgrade: Engine.IO open packet follows" bash -c "grep -qa '0{\"sid\"' '$o.b'"
  else
    lab_check "ws upgrade $base: 400 from Engine.IO (got $CODE)" eq "$CODE" 400
    lab_check 'ws upgrade: body {"code":3,"message":"Bad request"}' eq "$(cat "$o.b")" '{"code":3,"message":"Bad request"}'
  fi
}

# Does nginx cut an idle websocket? WANT: cut (within ~2 s) or open (>= 5 s).
check_ws_idle() {
  local want=$1 o=$T/idle
  ws "$o" 6 "https://127.0.0.1:$LAB_WEB_HTTPS_PORT/socket.io/?EIO=4&transport=websocket"
  if [[ $want == cut ]]; then
    lab_check "idle websocket closed by nginx after ~2 s (101, closed after $MS ms, curl $RC)" \
      bash -c "[[ $CODE == 101 && $RC != 28 ]] && (($MS >= 1500 && $MS <= 4500))"
  else
    lab_check "idle websocket stays open for 6 s (101, curl timed out after $MS ms: $RC)" \
      bash -c "[[ $CODE == 101 && $RC == 28 ]]"
  fi
}

check_redirect_hsts() { # variant
  local v=$1 o=$T/hsts P=http://127.0.0.1:$LAB_WEB_HTTP_PORT
  c "$o" "$P/health?x=1"
  if [[ $v == cleartext ]]; then
    lab_check "plain http serves the app (cleartext): /health 200 JSON" bash -c \
      "[[ $CODE == 200 ]] && jq -e '.status == \"ok\"' '$o.b' >/dev/null"
    check_ws_upgrade "$P" 101
  else
    lab_check "plain http: 301" eq "$CODE" 301
    lab_check "plain http: Location https://127.0.0.1:<https port>/health?x=1" \
      eq "$(hdr "$o.h" location)" "https://127.0.0.1:$LAB_WEB_HTTPS_PORT/health?x=1"
  fi
  c "$o" "https://127.0.0.1:$LAB_WEB_HTTPS_PORT/health"
  case $v in
    nohsts) lab_check "https: no Strict-Transport-Security" bash -c "! grep -qi '^strict-transport-security' '$o.h'" ;;
    shorthsts) lab_check "https: HSTS max-age=86400" eq "$(hdr "$o.h" strict-transport-security)" max-age=86400 ;;
    *) lab_check "https: HSTS max-age=31536000" eq "$(hdr "$o.h" strict-transport-security)" max-age=31536000 ;;
  esac
}

check_cert() { # variant
  local days
  days=$(cert_days_left "$LAB_WEB_HTTPS_PORT")
  if [[ $1 == expiring ]]; then
    lab_check "certificate expires in 4-5 days (got $days)" bash -c "(($days >= 4 && $days <= 5))"
  else
    lab_check "certificate valid for more than 300 days (got $days)" bash -c "(($days > 300))"
  fi
  lab_check "the https port serves LAB_WEB_CERT" \
    eq "$(cert_fingerprint "$LAB_WEB_HTTPS_PORT")" "$(openssl x509 -noout -fingerprint -sha256 -in "$LAB_WEB_CERT")"
  lab_check "the livekit port serves the same certificate" \
    eq "$(cert_fingerprint "$LAB_WEB_LIVEKIT_PORT")" "$(cert_fingerprint "$LAB_WEB_HTTPS_PORT")"
}

check_livekit() { # variant
  local L=https://127.0.0.1:$LAB_WEB_LIVEKIT_PORT o=$T/lk tok kind
  c "$o" "$L/"
  lab_check "livekit /: 200 OK" bash -c "[[ $CODE == 200 && \$(cat '$o.b') == OK ]]"
  c "$o" "$L/rtc/validate"
  lab_check "livekit /rtc/validate without token: 401" eq "$CODE" 401
  lab_check "livekit /rtc/validate without token: a message" bash -c "[[ -s '$o.b' ]]"
  tok=$(lab_livekit_token "$LAB_WEB_DIR" valid)
  c "$o" "$L/rtc/validate?access_token=$tok"
  lab_check "livekit /rtc/validate, valid token as access_token: 200 success" \
    bash -c "[[ $CODE == 200 && \$(cat '$o.b') == success ]]"
  c "$o" -H "Authorization: Bearer $tok" "$L/rtc/validate"
  lab_check "livekit /rtc/validate, valid token as Bearer: 200" eq "$CODE" 200
  for kind in expired wrongsecret wrongkey nojoin; do
    c "$o" "$L/rtc/validate?access_token=$(lab_livekit_token "$LAB_WEB_DIR" "$kind")"
    lab_check "livekit /rtc/validate, $kind token: 401 ($(head -c 60 "$o.b"))" eq "$CODE" 401
  done
  c "$o" "http://127.0.0.1:$LAB_LIVEKIT_STANDIN_PORT/rtc/validate?access_token=$tok"
  lab_check "livekit stand-in direct: valid token 200" eq "$CODE" 200

  # Without the Upgrade header passed on, LiveKit sees a plain GET /rtc and
  # answers 404 before it looks at the token.
  local refused=401
  [[ $1 == noupgrade ]] && refused=404
  ws "$o" 3 "$L/rtc"
  lab_check "livekit /rtc upgrade without token: plain HTTP $refused (got $CODE)" eq "$CODE" $refused
  ws "$o" 3 "$L/rtc?access_token=$(lab_livekit_token "$LAB_WEB_DIR" wrongsecret)"
  lab_check "livekit /rtc upgrade with a bad token: $refused (got $CODE)" eq "$CODE" $refused
  ws "$o" 3 "$L/rtc?access_token=$tok"
  if [[ $1 == noupgrade ]]; then
    lab_check "livekit /rtc upgrade, valid token, no Upgrade headers passed: 404 (got $CODE)" eq "$CODE" 404
  else
    lab_check "livekit /rtc upgrade, valid token: 101 (got $CODE)" eq "$CODE" 101
    lab_check "livekit /rtc upgrade: Sec-WebSocket-Accept per RFC 6455" eq "$(hdr "$o.h" sec-websocket-accept)" "$WS_ACCEPT"
  fi
}

run_variant() {
  local v=$1
  echo "== variant $v"
  T=$W/$v.t
  mkdir -p "$T"
  # A previous variant's env file set these; start from the lab defaults.
  unset LAB_SIO_PING_INTERVAL LAB_SIO_PING_TIMEOUT LAB_CORS_ORIGIN
  # Keep the Engine.IO defaults for most variants; exercise the knob once.
  if [[ $v == nohsts ]]; then
    LAB_SIO_PING_INTERVAL=3000 LAB_SIO_PING_TIMEOUT=2000 lab_web_start "$W/$v" "$v" ||
      { lab_check "lab_web_start $v" false; return; }
  else
    lab_web_start "$W/$v" "$v" || { lab_check "lab_web_start $v" false; return; }
  fi
  # shellcheck source=/dev/null
  source "$W/$v/env"
  echo "# http $LAB_WEB_HTTP_PORT https $LAB_WEB_HTTPS_PORT livekit $LAB_WEB_LIVEKIT_PORT app $LAB_APP_PORT"
  lab_check "env: LiveKit secret file is mode 600" eq "$(stat -c %a "$LAB_LIVEKIT_SECRET_FILE")" 600
  lab_check "env: the secret is not on any command line" bash -c \
    "! grep -qaFf '$LAB_LIVEKIT_SECRET_FILE' /proc/[0-9]*/cmdline 2>/dev/null"

  check_redirect_hsts "$v"
  check_cert "$v"
  case $v in
    good)
      check_app_routes
      check_cors
      check_socketio_polling
      check_socketio_client ok
      check_ws_upgrade "https://127.0.0.1:$LAB_WEB_HTTPS_PORT" 101
      check_ws_idle open
      check_livekit "$v"
      ;;
    noupgrade)
      check_socketio_polling
      check_socketio_client fail
      check_ws_upgrade "https://127.0.0.1:$LAB_WEB_HTTPS_PORT" 400
      check_livekit "$v"
      ;;
    shorttimeout)
      check_ws_upgrade "https://127.0.0.1:$LAB_WEB_HTTPS_PORT" 101
      check_ws_idle cut
      check_socketio_polling
      ;;
    *)
      check_ws_upgrade "https://127.0.0.1:$LAB_WEB_HTTPS_PORT" 101
      check_socketio_polling
      c "$T/h" "https://127.0.0.1:$LAB_WEB_HTTPS_PORT/health"
      lab_check "https /health: 200" eq "$CODE" 200
      ;;
  esac
  lab_web_stop "$W/$v"
  lab_check "lab_web_stop: nothing listens on the lab ports any more" bash -c \
    "[[ -z \$(ss -Htln 'sport = :$LAB_WEB_HTTPS_PORT or sport = :$LAB_APP_PORT or sport = :$LAB_LIVEKIT_STANDIN_PORT') ]]"
}

main() {
  lab_require node nginx curl openssl jq ss
  if ! lab_web_deps_ok; then
    command -v npm >/dev/null || lab_skip "npm not installed and $LAB_WEB_SRC/node_modules missing"
  fi
  lab_init
  lab_web_deps || { echo "npm ci for the web lab failed" >&2; exit 1; }
  W=$(lab_tmpdir)
  local v variants=${*:-$LAB_WEB_VARIANTS}
  for v in $variants; do
    run_variant "$v"
  done
  lab_finish
}

main "$@"
