#!/bin/bash
# `rtcprobe results` over a real store: seven runs from four vantages are
# uploaded to `rtcprobe serve` (POST <path>/results), then read back in each
# format. Text: vantages with a failure first, one row per run; JSON: every
# run with its summary fields; Prometheus: per label runs, failures, last MOS
# and status, accepted by promtool; HTML: MOS/loss charts for vantages with
# several runs, the failing vantages' common cause, each run's report on the
# page, nothing that points to another origin, rendered by headless Chromium
# (screenshot kept with LAB_KEEP). --label and --since filter; junit and a
# config without [results] are usage errors.
# Traffic: loopback only. Env: RTCPROBE. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}

up() {
  local label=$1
  shift
  "$RTCPROBE" invite --config "$w/serve.ini" --label "$label" | sed 's/.*#//' >"$w/inv"
  python3 "$HERE/../data/results/make-report.py" "$@" >"$w/rep.json"
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$w/inv")" \
    --data-binary "@$w/rep.json" "http://127.0.0.1:$WS_PORT/rtcprobe/results"
}

main() {
  local w rc n
  lab_require python3 curl chromium promtool jq sqlite3
  lab_init
  w=$(lab_tmpdir)
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
database = $w/results.db
INI
  "$RTCPROBE" serve --config "$w/serve.ini" 2>>"$w/serve.log" &
  SERVE_PID=$!
  lab_on_exit "lab_kill_pid $SERVE_PID"
  lab_wait_port 127.0.0.1 "$WS_PORT" tcp 5 || { cat "$w/serve.log" >&2; exit 1; }
  n=0
  for args in "office|office ok 4.3 0.1 0 pass" "hotel A|hotel-a blocked 3.1 2 1 fail" \
    "4g|4g ok 4.1 0.4 0.3 pass" "hotel A|hotel-a blocked 2.9 6 1 fail" \
    "office|office ok 3.9 8 0.2 warn" "hotel B|hotel-b blocked 3.0 7 0.5 fail" \
    "office|office ok 4.2 0.5 0.1 pass"; do
    # shellcheck disable=SC2086
    [[ $(up "${args%%|*}" ${args#*|}) = 200 ]] && n=$((n + 1))
  done
  lab_check "seven runs uploaded ($n)" test "$n" = 7
  kill -TERM "$SERVE_PID" || true
  wait "$SERVE_PID" || true

  "$RTCPROBE" results --config "$w/serve.ini" >"$w/out.txt"
  lab_check "text: the failing vantages first (hotel-a, hotel-b), then 4g, office" \
    test "$(grep '^== ' "$w/out.txt" | tr '\n' ' ')" \
    = '== "hotel-a" == "hotel-b" == "4g" == "office" '
  lab_check "text: one row per run, the blocked transport named" \
    bash -c '[[ $(grep -cE "^(pass|warn|fail) " "$1") = 7 ]] &&
             grep -q "^fail .*turn ok: tcp  blocked: udp  path: turn.tcp" "$1"' _ "$w/out.txt"

  "$RTCPROBE" results --config "$w/serve.ini" --format json >"$w/out.json"
  lab_jq_check "json: 7 runs, 3 failing, office's MOS 4.3, 3.9, 4.2 in the order received" \
    "$w/out.json" '(.results | length) == 7
      and ([.results[] | select(.status == "fail")] | length) == 3
      and ([.results[] | select(.vantage == "office") | .mos] == [4.3, 3.9, 4.2])'

  "$RTCPROBE" results --config "$w/serve.ini" --format prometheus >"$w/out.prom"
  lab_check "prometheus: promtool check metrics accepts it" \
    bash -c 'promtool check metrics <"$1"' _ "$w/out.prom"
  lab_check "prometheus: hotel A ran twice, failed twice, last MOS 2.9, last status 2" \
    bash -c 'grep -qx "rtcprobe_results_runs{label=\"hotel A\"} 2" "$1" &&
             grep -qx "rtcprobe_results_failures{label=\"hotel A\"} 2" "$1" &&
             grep -qx "rtcprobe_results_last_mos{label=\"hotel A\"} 2.9" "$1" &&
             grep -qx "rtcprobe_results_last_status{label=\"hotel A\"} 2" "$1"' _ "$w/out.prom"

  "$RTCPROBE" results --config "$w/serve.ini" --format html >"$w/out.html"
  lab_check "html: the failing vantages' common cause in one line" \
    grep -q 'TURN over udp blocked for 2 of 2; uplink loss of 5 % or more for 2 of 2' \
    "$w/out.html"
  lab_check "html: charts for the two vantages with several runs (hotel-a, office)" \
    test "$(grep -c '<polyline class="mos"' "$w/out.html")" = 2
  lab_check "html: each row links to its report on the page" \
    bash -c '[[ $(grep -c "href=\"#run-" "$1") = 7 && $(grep -c "<details id=\"run-" "$1") = 7 ]]' \
    _ "$w/out.html"
  lab_check "html: CSP default-src 'none', no src= or href= to another origin" \
    bash -c 'grep -q "default-src '"'"'none'"'"'" "$1" && ! grep -qiE "(src|href)=\"[a-z]+:" "$1"' \
    _ "$w/out.html"
  rc=0
  timeout 60 chromium --headless --no-sandbox --disable-gpu --window-size=1400,1000 \
    --user-data-dir="$w/profile" --screenshot="$w/results.png" "file://$w/out.html" \
    >/dev/null 2>&1 || rc=$?
  n=$(stat -c %s "$w/results.png" 2>/dev/null || echo 0)
  lab_check "html: headless Chromium renders it (exit $rc, a screenshot of $n octets)" \
    bash -c '[[ $1 = 0 && $(stat -c %s "$2") -gt 20000 ]]' _ "$rc" "$w/results.png"

  "$RTCPROBE" results --config "$w/serve.ini" --label office >"$w/office.txt"
  lab_check "--label office: three rows" test "$(grep -cE '^(pass|warn|fail) ' "$w/office.txt")" = 3
  sqlite3 "$w/results.db" "UPDATE results SET received_at = received_at - 86400 * 10 WHERE id <= 2"
  "$RTCPROBE" results --config "$w/serve.ini" --since 7d --format json >"$w/since.json"
  lab_jq_check "--since 7d: the two older runs left out" "$w/since.json" '.results | length == 5' 
  rc=0
  "$RTCPROBE" results --config "$w/serve.ini" --format junit >/dev/null 2>"$w/err" || rc=$?
  lab_check "--format junit: exit 2 with the formats named" \
    bash -c '[[ $1 = 2 ]] && grep -q "text, json, html or prometheus" "$2"' _ "$rc" "$w/err"
  grep -v '^\[results\]\|^database' "$w/serve.ini" >"$w/plain.ini"
  rc=0
  "$RTCPROBE" results --config "$w/plain.ini" >/dev/null 2>"$w/err" || rc=$?
  lab_check "no [results] database: exit 2, said so" \
    bash -c '[[ $1 = 2 ]] && grep -q "has no \[results\] database" "$2"' _ "$rc" "$w/err"
  lab_finish
}

main "$@"
