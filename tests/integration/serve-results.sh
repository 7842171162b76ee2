#!/bin/bash
# The reflector's results store ([results], reflector/results-store.h) with
# the tester's page in headless Chromium, a lab coturn (REST secret) as the
# deployment's TURN: a tester's run lands as one row (label, address,
# User-Agent, the vantage, the report the page shows, read back identical),
# in a WAL database that passes `PRAGMA integrity_check`; while another
# process holds the database's write lock the page says the result could not
# be kept (503) and no row is written; the reflector stops cleanly.
# Traffic: loopback only. Env: RTCPROBE. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET RTCPROBE_REFLECTOR_SECRET

rows() { sqlite3 "$DB" "SELECT count(*) FROM results"; }

# One run of the page (scenario $1) against the reflector.
page() {
  env TESTER_MODE="$1" TESTER_PAGE_URL="http://127.0.0.1:$WS_PORT/rtcprobe/test" \
    TESTER_REPORT_OUT="$w/page-report.json" \
    timeout --kill-after=5 120 python3 "$HERE/../lab/tester-chromium.py" \
    "$(command -v chromium)" "$w" "$WS_PORT" "$w/secret" 2
}

main() {
  local w rc=0 lock_pid
  lab_require chromium python3 turnserver jq sqlite3
  lab_init
  w=$(lab_tmpdir)
  DB=$w/results.db
  lab_coturn_start "$w/coturn" --auth secret || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$w/coturn/env"
  (umask 077 && openssl rand -hex 24 >"$w/secret")
  WS_PORT=$(lab_free_port tcp)
  cat >"$w/serve.ini" <<INI
[listen]
websocket = 127.0.0.1:$WS_PORT
[auth]
secret_file = $w/secret
[turn]
servers = turn:127.0.0.1:$LAB_TURN_PORT?transport=udp;turn:127.0.0.1:$LAB_TURN_PORT?transport=tcp
secret_file = $LAB_TURN_SECRET_FILE
[ice]
loopback_only = true
[limits]
session_lifetime = 60
[tester]
public_url = http://127.0.0.1:$WS_PORT/rtcprobe
voice_duration = 2
[results]
database = $DB
retention = 30
max_results = 1000
INI
  "$RTCPROBE" serve --config "$w/serve.ini" 2>>"$w/serve.log" &
  SERVE_PID=$!
  lab_on_exit "lab_kill_pid $SERVE_PID"
  lab_wait_port 127.0.0.1 "$WS_PORT" tcp 5 || { cat "$w/serve.log" >&2; exit 1; }
  lab_check "reflector: the store is opened at start (schema version 1)" \
    grep -q "results: $DB (schema version 1" "$w/serve.log"
  lab_check "an empty store before any tester" test "$(rows)" = 0

  page stored || rc=$?
  lab_check "the page's run reached its verdict (exit $rc)" test "$rc" = 0
  lab_check "one row for the run" test "$(rows)" = 1
  sqlite3 "$DB" "SELECT report FROM results" >"$w/db-report.json"
  lab_check "the stored report reads back identical to the one the page shows" \
    python3 -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]);
sys.exit(0 if a == b and a["schema"] == "rtcprobe.report/1" else 1)' \
    "$w/db-report.json" "$w/page-report.json"
  lab_check "the row: label, the address seen, Chromium's User-Agent, command tester" \
    test "$(sqlite3 "$DB" "SELECT label, address, agent LIKE '%HeadlessChrome%', command
                            FROM results")" = "page stored|127.0.0.1|1|tester"
  lab_check "the row's vantage is the report's (label page stored)" \
    test "$(sqlite3 "$DB" "SELECT json_extract(vantage, '\$.label') FROM results")" \
    = "page stored"
  lab_check "the database is in WAL mode" test "$(sqlite3 "$DB" 'PRAGMA journal_mode')" = wal

  # Another process holds the write lock: the page is told, nothing is written.
  (echo 'BEGIN EXCLUSIVE;'; sleep 60) | sqlite3 "$DB" &
  lock_pid=$!
  lab_on_exit "lab_kill_pid $lock_pid"
  rc=0
  page store-locked || rc=$?
  lab_check "locked: the page says the result was not kept (exit $rc)" test "$rc" = 0
  lab_kill_pid "$lock_pid"
  wait "$lock_pid" 2>/dev/null || true
  lab_check "locked: no row written" test "$(rows)" = 1
  lab_check "reflector: the store error logged with the database's name" \
    grep -q "results: not kept: .*results.db.*locked" "$w/serve.log"

  rc=0
  kill -TERM "$SERVE_PID" || true
  wait "$SERVE_PID" || rc=$?
  lab_check "the reflector exits 0 on SIGTERM (got $rc)" test "$rc" = 0
  lab_check "PRAGMA integrity_check: ok" test "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok
  lab_check "no sanitizer report in the reflector's log" \
    bash -c '! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$1"' _ "$w/serve.log"
  if ((LAB_FAILS)); then
    echo '# serve.log (tail):'
    tail -n 30 "$w/serve.log" | sed 's/^/#   /'
  fi
  lab_finish
}

main "$@"
