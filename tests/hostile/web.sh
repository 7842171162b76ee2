#!/bin/bash
# Hostile HTTP(S), websocket and Engine.IO servers (web-server.py, one mode
# per attack) against `rtcprobe http` and `rtcprobe ws`. Each case asserts
# the exit status and the wording, that the run ended within its --timeout
# (plus a margin), its peak RSS (GNU time's %M, of the probe and the timeout
# wrapper that runs it) and that no sanitizer reported anything. Everything
# listens on 127.0.0.1; each server ends by itself after SERVER_LIFETIME s.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"
lab_require python3 jq openssl /usr/bin/time
lab_init

SERVER=$HERE/web-server.py
SERVER_LIFETIME=60
# Peak RSS bound for every run. An unbounded Engine.IO ping flood reached
# 533 MB in 5 s; a bounded run stays near 20 MB (about 60 MB under ASan).
RSS_MAX_KB=${RSS_MAX_KB:-150000}
# How far past --timeout a run may end (start-up, writing the report).
MARGIN_MS=1500
SECRET_HEADER='X-Rtcprobe-Hostile: only-for-the-first-origin'
DIR=$(lab_tmpdir)
lab_make_ca "$DIR/pki"

# start MODE [ARGS...]: the server on PORT (and its recorder on PORT2).
start() {
  local mode=$1 pid
  shift
  PORT=$(lab_free_port tcp)
  PORT2=$(lab_free_port tcp)
  RECORD=$DIR/record.$mode
  : >"$RECORD"
  python3 "$SERVER" --mode "$mode" --port "$PORT" --port2 "$PORT2" --record "$RECORD" \
    --lifetime "$SERVER_LIFETIME" --cert "$DIR/pki/server.pem" --key "$DIR/pki/server.key" "$@" \
    >"$DIR/server.$mode.log" 2>&1 &
  pid=$!
  lab_on_exit "lab_kill_pid $pid"
  lab_wait_port 127.0.0.1 "$PORT" tcp 10 || lab_die "the $mode server did not start"
  lab_wait_port 127.0.0.1 "$PORT2" tcp 10 || lab_die "the $mode recorder did not start"
  STOP_PID=$pid
}

# probe NAME TIMEOUT ARGS...: rtcprobe --format json --timeout TIMEOUT ARGS
# under GNU time; sets OUT (the report), RC, MS and RSS (KiB).
probe() {
  local name=$1 timeout=$2
  shift 2
  OUT=$DIR/$name.json
  LAB_PROBE_ENV=(/usr/bin/time -f %M -o "$OUT.rss")
  LAB_PROBE_LIMIT=$((timeout + 10)) lab_probe "$OUT" --timeout "$timeout" "$@"
  # shellcheck disable=SC2034 # read by lab_probe
  LAB_PROBE_ENV=()
  RSS=$(tail -n 1 "$OUT.rss")
  printf '# peak RSS %s KiB\n' "$RSS"
  TIMEOUT_S=$timeout
}

no_sanitizer_report() { ! grep -qE 'Sanitizer|runtime error:' "$OUT.err"; }
# summary ID: the summary of check ID in the last report.
summary() { jq -r --arg id "$1" '.checks[] | select(.id == $id) | .summary' "$OUT"; }

# common NAME STATUS: what every run must hold.
common() {
  local name=$1 status=$2
  lab_check "$name: exit status $status (got $RC)" test "$RC" -eq "$status"
  lab_check "$name: ended within --timeout $TIMEOUT_S s + margin (took $MS ms)" \
    test "$MS" -le $((TIMEOUT_S * 1000 + MARGIN_MS))
  lab_check "$name: peak RSS $RSS KiB under $RSS_MAX_KB KiB" test "$RSS" -lt "$RSS_MAX_KB"
  lab_check "$name: no sanitizer report" no_sanitizer_report
}

stop() { lab_kill_pid "$STOP_PID"; }

# has ID REGEX: the summary of check ID matches the extended regex.
has() {
  local got
  got=$(summary "$1")
  lab_check "$1 says /$2/ (got: $got)" grep -qE -- "$2" <<<"$got"
}
lacks() {
  local got
  got=$(summary "$1")
  # shellcheck disable=SC2016 # expanded by the inner shell
  lab_check "$1 does not say /$2/" bash -c '! grep -qE -- "$0" <<<"$1"' "$2" "$got"
}

# ---- 1. Engine.IO ping flood: bounded memory, a finding
start ping-flood
probe ping-flood 5 ws --engineio "ws://127.0.0.1:$PORT/socket.io/"
common ping-flood 1
has ws 'the server outpaces us: [0-9]+ Engine.IO pings'
has socketio 'flooded'
stop

# ---- 1b. websocket ping frames (lws answers them itself) as fast as it goes:
# the run still ends at its deadline and not when the server stops
start control-flood
probe control-flood 5 ws "ws://127.0.0.1:$PORT/"
common control-flood 0
has ws 'no pong came back'
stop

# ---- 2. --header to another port of the same host: not sent
start redirect-port
probe redirect-port 5 http -H "$SECRET_HEADER" "http://127.0.0.1:$PORT/"
common redirect-port 1
has http '200 OK .* after 1 redirect'
lab_check "the redirect was followed to port $PORT2" grep -q '^GET /next ' "$RECORD"
# shellcheck disable=SC2016 # expanded by the inner shell
lab_check "--header did not reach port $PORT2" \
  bash -c '! grep -qi "^X-Rtcprobe-Hostile" "$0"' "$RECORD"
stop

# ---- 3. https -> http downgrade: a finding, not followed, no header in clear
start redirect-http --tls
probe redirect-http 5 --ca-file "$DIR/pki/ca.pem" \
  http -H "$SECRET_HEADER" "https://127.0.0.1:$PORT/"
common redirect-http 1
has http 'redirect from https to cleartext http .*downgrade'
lab_check "nothing was sent in clear to port $PORT2" test ! -s "$RECORD"
stop

# ---- 4. redirects to schemes other than http(s)
for scheme in data javascript file; do
  start "redirect-$scheme"
  probe "redirect-$scheme" 5 http "http://127.0.0.1:$PORT/"
  common "redirect-$scheme" 1
  has http "302 redirect to a $scheme: URL .* refused"
  lacks http ':443'
  stop
done

# ---- 5. accepts TCP, never answers the ClientHello
start tls-silent
probe tls-silent-ws 3 ws "wss://127.0.0.1:$PORT/"
common tls-silent-ws 1
has ws 'TLS handshake silence'
lacks ws 'filtered'
lab_jq_check "ws stalled in phase tls" "$OUT" \
  '.checks[] | select(.id == "ws") | .details.stalled_phase == "tls"'
probe tls-silent-http 3 http "https://127.0.0.1:$PORT/"
common tls-silent-http 1
has http 'TLS handshake with 127.0.0.1:[0-9]+ did not finish'
stop

# ---- 6. a header line over curl's limit
start huge-header
probe huge-header 5 http "http://127.0.0.1:$PORT/"
common huge-header 1
has http 'header line longer than 100 KiB .*oversized header'
lacks http 'Out of memory'
stop

# ---- 7. headers trickled one byte every 0.5 s
start trickle
probe trickle 4 http "http://127.0.0.1:$PORT/"
common trickle 1
has http 'headers started .* but never finished|did not finish before the deadline'
probe trickle-ws 4 ws --engineio "ws://127.0.0.1:$PORT/socket.io/"
common trickle-ws 1
has ws 'no answer to the websocket upgrade .* before the deadline'
has socketio 'stalled in phase upgrade'
stop

# ---- 8. Engine.IO strings that json-glib decodes to bytes that are not UTF-8
# Such a string is absent: the open packet has no sid, the check says so, and
# nothing that is not UTF-8 reaches the report.
start eio-bad-utf8
probe eio-bad-utf8 6 ws --engineio "ws://127.0.0.1:$PORT/socket.io/"
common eio-bad-utf8 1
lab_check "the report is valid UTF-8" \
  python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$OUT"
lab_jq_check "no Engine.IO sid is taken from the bad escapes" "$OUT" \
  '[.checks[] | .details.eio_sid // empty] | length == 0'
has socketio 'malformed Engine.IO open packet: open packet has no sid'
stop

# ---- 9. garbage frames after the upgrade
start garbage-frames
probe garbage-frames 4 ws "ws://127.0.0.1:$PORT/"
common garbage-frames 1
lab_jq_check "ws fails with a reason" "$OUT" \
  '.checks[] | select(.id == "ws") | .status == "fail" and (.summary | length) > 0'
stop

# ---- 10. an escaped newline in a *_file path: a one-line error
printf '[deployment]\ndomain = lab.test\n[turn]\nuser = u\npassword_file = %s\n' \
  "$DIR/missing\\nsecond line" >"$DIR/newline.ini"
TIMEOUT_S=5
probe newline-path 5 check --profile "$DIR/newline.ini"
common newline-path 2
lab_check "the error is one line" test "$(wc -l <"$OUT.err")" -eq 1
lab_check "the path is shown escaped" grep -qF 'missing\nsecond line": No such file' "$OUT.err"

lab_finish
