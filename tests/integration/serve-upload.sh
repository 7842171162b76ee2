#!/bin/bash
# Uploads from the command line into the reflector's results store
# (`--upload URL`, reflector/serve-upload.c) with a lab coturn: `rtcprobe turn
# ... --upload` lands one row (the label, rtcprobe's version, the report read
# back identical to the one written with --output); a replayed invite (403), a
# forged one (401), malformed JSON (400), JSON that is not a report (422) and
# an oversized body (413, refused on its Content-Length) write nothing;
# 30 uploads at once all land; past upload_burst a source gets 429; a
# reflector killed with SIGKILL during a burst restarts with every
# acknowledged result and `PRAGMA integrity_check` ok.
# Traffic: loopback only. Env: RTCPROBE. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET RTCPROBE_INVITE

rows() { sqlite3 "$DB" "SELECT count(*) FROM results${1:+ WHERE $1}"; }

start_serve() {
  "$RTCPROBE" serve --config "$w/serve.ini" 2>>"$w/serve.log" &
  SERVE_PID=$!
  lab_on_exit "lab_kill_pid $SERVE_PID"
  lab_wait_port 127.0.0.1 "$WS_PORT" tcp 5 || { cat "$w/serve.log" >&2; exit 1; }
}

# post INVITE_FILE BODY_FILE: prints the HTTP status.
post() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $(cat "$1")" \
    -H 'Content-Type: application/json' --data-binary "@$2" "$URL" || true
}

invite() { "$RTCPROBE" invite --config "$w/serve.ini" --label "$1" --uses "$2" | sed 's/.*#//'; }

main() {
  local w rc i n acked pids
  lab_require turnserver python3 sqlite3 curl
  lab_init
  w=$(lab_tmpdir)
  DB=$w/results.db
  lab_coturn_start "$w/coturn" --auth secret || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$w/coturn/env"
  (umask 077 && openssl rand -hex 24 >"$w/secret" && openssl rand -hex 24 >"$w/other-secret")
  WS_PORT=$(lab_free_port tcp)
  URL=http://127.0.0.1:$WS_PORT/rtcprobe/results
  cat >"$w/serve.ini" <<INI
[listen]
websocket = 127.0.0.1:$WS_PORT
[auth]
secret_file = $w/secret
[tester]
public_url = http://127.0.0.1:$WS_PORT/rtcprobe
[results]
database = $DB
max_report_size = 65536
upload_rate = 0.1
upload_burst = 40
INI
  sed "s#$w/secret#$w/other-secret#" "$w/serve.ini" >"$w/other.ini"
  start_serve

  invite "laptop" 1 >"$w/inv1"
  rc=0
  timeout 40 "$RTCPROBE" --label "home office" --timeout 15 --output "$w/turn.json" \
    --upload "$URL" --invite-file "$w/inv1" turn "turn:127.0.0.1:$LAB_TURN_PORT" \
    --secret-file "$LAB_TURN_SECRET_FILE" --user alice >/dev/null 2>"$w/turn.err" || rc=$?
  lab_check "turn --upload exits 0 (got $rc; $(head -c 200 "$w/turn.err"))" test "$rc" = 0
  lab_check "one row: label laptop, command turn, agent rtcprobe/<version>, address 127.0.0.1" \
    test "$(sqlite3 "$DB" "SELECT label, command, agent LIKE 'rtcprobe/%', address FROM results")" \
    = "laptop|turn|1|127.0.0.1"
  sqlite3 "$DB" "SELECT report FROM results" >"$w/db.json"
  lab_check "the stored report is the one --output wrote (parsed, equal)" \
    python3 -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]);
sys.exit(0 if a == b and a["command"] == "turn" else 1)' "$w/db.json" "$w/turn.json"
  lab_check "the row's vantage carries --label" \
    test "$(sqlite3 "$DB" "SELECT json_extract(vantage, '\$.label') FROM results")" = "home office"

  rc=0
  RTCPROBE_INVITE=$(cat "$w/inv1") "$RTCPROBE" --timeout 5 --upload "$URL" turn \
    "turn:127.0.0.1:$LAB_TURN_PORT" --secret-file "$LAB_TURN_SECRET_FILE" --user alice \
    >/dev/null 2>"$w/replay.err" || rc=$?
  lab_check "replayed invite: exit 3, HTTP 403 named (got $rc: $(cat "$w/replay.err"))" \
    bash -c '[[ $1 = 3 ]] && grep -q "upload refused (HTTP 403)" "$2"' _ "$rc" "$w/replay.err"
  "$RTCPROBE" invite --config "$w/other.ini" --label forged --uses 5 | sed 's/.*#//' >"$w/forged"
  lab_check "forged invite: 401" test "$(post "$w/forged" "$w/turn.json")" = 401
  invite "bad bodies" 10 >"$w/inv10"
  printf '{"schema": "rtcprobe.report/1", "checks": [' >"$w/malformed.json"
  printf '{"schema": "something/else", "command": "x"}' >"$w/other.json"
  head -c 70000 /dev/zero | tr '\0' ' ' >"$w/big.json"
  lab_check "malformed JSON: 400" test "$(post "$w/inv10" "$w/malformed.json")" = 400
  lab_check "JSON that is not a report: 422" test "$(post "$w/inv10" "$w/other.json")" = 422
  lab_check "over max_report_size: 413" test "$(post "$w/inv10" "$w/big.json")" = 413
  lab_check "nothing written by the refused uploads" test "$(rows)" = 1

  invite "burst" 100 >"$w/inv100"
  pids=()
  for i in $(seq 1 30); do
    post "$w/inv100" "$w/turn.json" >"$w/burst.$i" &
    pids+=($!)
  done
  wait "${pids[@]}"
  lab_check "30 uploads at once: all 200" \
    test "$(grep -lx 200 "$w"/burst.* | wc -l)" = 30
  lab_check "30 uploads at once: 30 rows" test "$(rows "label = 'burst'")" = 30
  n=0
  for i in $(seq 1 6); do [[ $(post "$w/inv100" "$w/turn.json") = 429 ]] && n=$((n + 1)); done
  # 36 uploads so far, upload_burst 40 (upload_rate 0.1 a minute adds nothing here)
  lab_check "past upload_burst the source gets 429 ($n of 6, 2 expected)" test "$n" = 2
  lab_check "reflector: the rate refusal logged" grep -q "refused: 127.0.0.1: upload rate" \
    "$w/serve.log"

  # SIGKILL during a burst: every acknowledged result survives the restart.
  kill -TERM "$SERVE_PID" || true
  wait "$SERVE_PID" || true
  start_serve
  invite "killed" 100 >"$w/invk"
  pids=()
  for i in $(seq 1 20); do
    post "$w/invk" "$w/turn.json" >"$w/kill.$i" &
    pids+=($!)
  done
  sleep 0.05
  kill -KILL "$SERVE_PID" || true
  wait "${pids[@]}" || true
  wait "$SERVE_PID" 2>/dev/null || true
  acked=$( (grep -lx 200 "$w"/kill.* || true) | wc -l)
  start_serve
  lab_check "after SIGKILL: every acknowledged upload is a row ($acked acknowledged)" \
    test "$(rows "label = 'killed'")" -ge "$acked"
  lab_check "after SIGKILL: PRAGMA integrity_check ok" \
    test "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok
  rc=0
  kill -TERM "$SERVE_PID" || true
  wait "$SERVE_PID" || rc=$?
  lab_check "the reflector exits 0 on SIGTERM (got $rc)" test "$rc" = 0
  lab_check "no invite in the reflector's log" \
    bash -c '! grep -qF "$(cat "$2")" "$1"' _ "$w/serve.log" "$w/inv100"
  lab_check "no sanitizer report in the reflector's log" \
    bash -c '! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$1"' _ "$w/serve.log"
  if ((LAB_FAILS)); then
    echo '# serve.log (tail):'
    tail -n 30 "$w/serve.log" | sed 's/^/#   /'
  fi
  lab_finish
}

main "$@"
