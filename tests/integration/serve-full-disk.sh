#!/bin/bash
# The results store on a full disk: `rtcprobe serve` runs in a mount
# namespace of its own with [results] database on a 400 KiB tmpfs; 60 KB
# uploads are kept until the disk is full, then each is answered 507 with
# one line, the reflector keeps running and answers, the rows are exactly
# the acknowledged uploads and `PRAGMA integrity_check` is ok. Needs root
# (unshare, mount); skipped otherwise.
# Traffic: loopback only. Env: RTCPROBE. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}

main() {
  local w i acked=0 full=0 status rc
  lab_require unshare nsenter sqlite3 curl python3
  [[ $(id -u) = 0 ]] || lab_skip "needs root for a tmpfs in a mount namespace"
  unshare --mount true 2>/dev/null || lab_skip "unshare --mount is not allowed here"
  lab_init
  w=$(lab_tmpdir)
  mkdir "$w/db"
  openssl rand -hex 24 >"$w/secret"
  WS_PORT=$(lab_free_port tcp)
  cat >"$w/serve.ini" <<INI
[listen]
websocket = 127.0.0.1:$WS_PORT
[auth]
secret_file = $w/secret
[tester]
public_url = http://127.0.0.1:$WS_PORT/rtcprobe
[results]
database = $w/db/results.db
upload_burst = 100
INI
  unshare --mount --propagation private sh -c \
    'mount -t tmpfs -o size=400k tmpfs "$1" && exec "$2" serve --config "$3"' \
    _ "$w/db" "$RTCPROBE" "$w/serve.ini" 2>>"$w/serve.log" &
  SERVE_PID=$!
  lab_on_exit "lab_kill_pid $SERVE_PID"
  lab_wait_port 127.0.0.1 "$WS_PORT" tcp 5 || { cat "$w/serve.log" >&2; exit 1; }
  "$RTCPROBE" invite --config "$w/serve.ini" --label full --uses 50 | sed 's/.*#//' >"$w/inv"
  python3 -c 'import json; print(json.dumps({"schema": "rtcprobe.report/1", "command": "check",
    "started_at": "x", "checks": [{"id": "pad", "status": "pass", "summary": "x" * 60000}]}))' \
    >"$w/big.json"
  for i in $(seq 1 12); do
    status=$(curl -s -o "$w/answer" -w '%{http_code}' --max-time 10 \
      -H "Authorization: Bearer $(cat "$w/inv")" --data-binary "@$w/big.json" \
      "http://127.0.0.1:$WS_PORT/rtcprobe/results" || true)
    [[ $status = 200 ]] && acked=$((acked + 1))
    [[ $status = 507 ]] && full=$((full + 1))
  done
  lab_check "some uploads kept before the disk filled ($acked)" test "$acked" -ge 1
  lab_check "then 507 for the rest ($full; $acked + $full = 12)" test $((acked + full)) = 12
  lab_check "the last answer says the disk is full" grep -qx "the reflector's disk is full" \
    "$w/answer"
  lab_check "reflector: logged with the database's name" \
    grep -q 'results: not kept: .*results.db.*full' "$w/serve.log"
  lab_check "the reflector still answers (its page: 200)" \
    test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WS_PORT/rtcprobe/test")" = 200
  lab_check "rows: exactly the acknowledged uploads ($acked)" \
    test "$(nsenter -t "$SERVE_PID" -m sqlite3 "$w/db/results.db" \
      'SELECT count(*) FROM results')" = "$acked"
  lab_check "PRAGMA integrity_check: ok" \
    test "$(nsenter -t "$SERVE_PID" -m sqlite3 "$w/db/results.db" 'PRAGMA integrity_check')" = ok
  rc=0
  kill -TERM "$SERVE_PID" || true
  wait "$SERVE_PID" || rc=$?
  lab_check "the reflector exits 0 on SIGTERM (got $rc)" test "$rc" = 0
  lab_check "no sanitizer report in the reflector's log" \
    bash -c '! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$1"' _ "$w/serve.log"
  lab_finish
}

main "$@"
