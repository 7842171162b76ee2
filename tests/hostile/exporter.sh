#!/bin/bash
# Hostile clients of `rtcprobe exporter` (exporter-attacker.py): malformed
# requests, unknown modules, targets outside allow_targets (403 and not one
# datagram at the target), a slow (silent) target under a short scrape
# timeout (answered within the timeout, nothing sent to the target after
# the answer), a scrape that gives up without a timeout header (its probe
# stops with it), a scrape storm against max_in_flight (bounded 503s, every
# request answered in time), the per-target rate (429), idle connections
# (max_connections, the 10 s head timeout) and a configuration without
# allow_targets (everything refused, said at start), a voice module with
# --watch's keys (refused at start). The storm's exporter
# stays under a peak RSS bound; every exporter stops cleanly with no
# sanitizer report.
# Everything listens on loopback. Env: RTCPROBE = the built binary.
# Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
lab_require python3 curl jq
lab_init
ATTACK=$HERE/exporter-attacker.py
W=$(lab_tmpdir)
# Peak RSS of the exporter through the whole test (about 10 MB; ASan more).
RSS_MAX_KB=${RSS_MAX_KB:-150000}

# start_exporter NAME TARGET_RATE [MAX_CONNECTIONS]: an exporter allowing
# 127.0.0.1 only.
start_exporter() {
  local name=$1 rate=$2 conns=${3:-64} pid
  PORT=$(lab_free_port tcp)
  cat >"$W/$name.ini" <<EOF_INI
[listen]
address = 127.0.0.1:$PORT
allow_targets = 127.0.0.1
max_in_flight = 2
target_rate = $rate
max_connections = $conns
[module stun]
kind = stun
EOF_INI
  "$RTCPROBE" exporter --config "$W/$name.ini" 2>"$W/$name.err" &
  pid=$!
  lab_on_exit "lab_kill_pid $pid"
  lab_wait_port 127.0.0.1 "$PORT" tcp 10 || { cat "$W/$name.err"; exit 1; }
  EXP_PID=$pid
}

# stop: SIGTERM to the exporter, then wait (bounded) for it to exit.
stop_exporter() {
  local rc=0
  kill "$EXP_PID"
  for ((i = 0; i < 50; i++)); do lab_pid_alive "$EXP_PID" || break; sleep 0.1; done
  if lab_pid_alive "$EXP_PID"; then
    kill -KILL "$EXP_PID"
    wait "$EXP_PID" 2>/dev/null || true
    rc=124
  else
    wait "$EXP_PID" || rc=$?
  fi
  lab_check "the exporter exited with status 0 on SIGTERM (got $rc)" test "$rc" -eq 0
}

# sink HOST NAME: a silent UDP port; sets SINK_PORT and SINK_REC.
sink() {
  local pid
  SINK_PORT=$(lab_free_port udp)
  SINK_REC=$W/sink.$2
  : >"$SINK_REC"
  python3 "$ATTACK" sink --host "$1" --port "$SINK_PORT" --record "$SINK_REC" --lifetime 120 &
  pid=$!
  lab_on_exit "lab_kill_pid $pid"
  lab_wait_port "$1" "$SINK_PORT" udp 10
}

# raw WHAT EXPECT-CODE EXPECT-WORDING DATA
raw() {
  local got
  got=$(python3 "$ATTACK" raw --port "$PORT" --data "$4")
  printf '#   %s -> %s\n' "$1" "$got"
  lab_check "$1: $2 '$3'" bash -c '[[ $0 == "$1 "* && $0 == *"$2"* ]]' "$got" "$2" "$3"
}

get() { # PATH: "CODE BODY" of GET PATH
  curl -s --max-time 10 -o "$W/body" -w '%{http_code}' "http://127.0.0.1:$PORT$1"
}

start_exporter main 6000
lab_check "the exporter says where it listens" \
  grep -q 'listening on http://127.0.0.1:' "$W/main.err"

echo "== malformed requests and unknown modules: 400, nothing run"
raw "bad escape" 400 "bad %-escape" 'GET /probe?module=stun&target=%zz HTTP/1.1\r\n\r\n'
raw "no module" 400 "give module=NAME" 'GET /probe?target=stun:127.0.0.1 HTTP/1.1\r\n\r\n'
raw "unknown module" 400 "unknown module" \
  'GET /probe?module=nope&target=stun:127.0.0.1 HTTP/1.1\r\n\r\n'
raw "no target" 400 "give a target" 'GET /probe?module=stun HTTP/1.1\r\n\r\n'
raw "target not a URI" 400 "is not a URI" 'GET /probe?module=stun&target=a+b HTTP/1.1\r\n\r\n'
raw "target of another kind" 400 "is not a stun:" \
  'GET /probe?module=stun&target=http://127.0.0.1/ HTTP/1.1\r\n\r\n'
raw "bad scrape timeout" 400 "not a positive number" \
  'GET /probe?module=stun&target=stun:127.0.0.1 HTTP/1.1\r\nX-Prometheus-Scrape-Timeout-Seconds: -3\r\n\r\n'
raw "control character" 400 "control character" \
  'GET /probe?module=stun&target=stun:127.0.0.1%0d%0aX:y HTTP/1.1\r\n\r\n'
raw "binary request" 400 "binary" '\x16\x03\x01\x00\xff\r\n\r\n'
raw "TLS hello" 400 "not an HTTP/1.x request line" '\x16\x03\x01\x02\xff\r\n\r\n'
raw "POST" 405 "only GET" 'POST /probe HTTP/1.1\r\nContent-Length: 0\r\n\r\n'
# Exactly the 8 KiB the exporter reads, with no end: all read, then 431.
raw "head of 8 KiB without an end" 431 "too long" \
  "GET /$(head -c 8176 /dev/zero | tr '\0' a) HTTP/1.1\\r\\n"
raw "unknown path" 404 "no such page" 'GET /admin HTTP/1.1\r\n\r\n'

echo "== targets outside allow_targets: 403, not one datagram"
sink 127.0.0.2 forbidden
for t in "stun:127.0.0.2:$SINK_PORT" "stun:localhost:$SINK_PORT" "stun:[::1]:$SINK_PORT"; do
  code=$(get "/probe?module=stun&target=$t")
  lab_check "$t: 403 (got $code)" test "$code" == 403
  lab_check "$t: the answer says nothing was sent" grep -q 'nothing was sent' "$W/body"
done
sleep 0.5
lab_check "the forbidden target received nothing" test ! -s "$SINK_REC"

echo "== a silent target under a 1.5 s scrape timeout"
sink 127.0.0.1 slow
t0=$(date +%s%N)
code=$(curl -s --max-time 5 -o "$W/body" -w '%{http_code}' \
  -H 'X-Prometheus-Scrape-Timeout-Seconds: 1.5' \
  "http://127.0.0.1:$PORT/probe?module=stun&target=stun:127.0.0.1:$SINK_PORT")
ms=$((($(date +%s%N) - t0) / 1000000))
sent_at_answer=$(wc -l <"$SINK_REC")
printf '#   answered %s in %d ms; %d datagrams reached the target\n' "$code" "$ms" "$sent_at_answer"
lab_check "answered 200 (got $code)" test "$code" == 200
lab_check "within the scrape timeout: $ms ms <= 1500" test "$ms" -le 1500
lab_check "probe_success 0" grep -qx 'probe_success 0' "$W/body"
lab_check "the probe did send to the target" test "$sent_at_answer" -gt 0
sleep 1.5
lab_check "nothing sent after the answer ($(wc -l <"$SINK_REC") datagrams)" \
  test "$(wc -l <"$SINK_REC")" -eq "$sent_at_answer"
get /metrics >/dev/null
lab_check "no probe in flight after the answer" \
  grep -qx 'rtcprobe_exporter_probes_in_flight 0' "$W/body"

echo "== a scrape that gives up without a timeout header: the probe stops with it"
: >"$SINK_REC"
t0=$(date +%s%N)
curl -s --max-time 0.5 -o /dev/null \
  "http://127.0.0.1:$PORT/probe?module=stun&target=stun:127.0.0.1:$SINK_PORT" || true
sleep 0.3
get /metrics >/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
lab_check "no probe in flight ${ms} ms after the client left (30 s budget)" \
  grep -qx 'rtcprobe_exporter_probes_in_flight 0' "$W/body"
sent=$(wc -l <"$SINK_REC")
sleep 1.5
lab_check "nothing sent to the target after ($sent, then $(wc -l <"$SINK_REC") datagrams)" \
  test "$(wc -l <"$SINK_REC")" -eq "$sent"

echo "== a scrape storm: 200 requests, 40 at a time, max_in_flight 2"
storm=$(python3 "$ATTACK" storm --port "$PORT" --count 200 --parallel 40 --timeout 1 \
  --path "/probe?module=stun&target=stun:127.0.0.1:$SINK_PORT")
printf '#   %s\n' "$storm"
n200=$(jq -r '."200" // 0' <<<"$storm")
n503=$(jq -r '."503" // 0' <<<"$storm")
max_ms=$(jq -r '.max_ms' <<<"$storm")
lab_check "every request answered 200 or 503 ($n200 + $n503 == 200)" test $((n200 + n503)) -eq 200
lab_check "most refused with 503 ($n503 >= 100)" test "$n503" -ge 100
lab_check "some probes ran ($n200 >= 2)" test "$n200" -ge 2
lab_check "the slowest answer within the timeout and a margin ($max_ms ms <= 2500)" \
  test "$max_ms" -le 2500
get /metrics >/dev/null
lab_check "the 503s are counted" \
  grep -qx "rtcprobe_exporter_probes_total{module=\"stun\",outcome=\"busy\"} $n503" "$W/body"
rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$EXP_PID/status")
printf '#   exporter peak RSS %s KiB\n' "$rss"
lab_check "peak RSS $rss KiB <= $RSS_MAX_KB" test "$rss" -le "$RSS_MAX_KB"

echo "== the exporter stops cleanly with connections open, with no sanitizer report"
python3 "$ATTACK" idle --port "$PORT" --count 3 --hold 3 >/dev/null &
IDLE_PID=$!
sleep 0.5
stop_exporter
wait "$IDLE_PID" || true
lab_check "stopped within 5 s" bash -c "! kill -0 $EXP_PID 2>/dev/null"
lab_check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error:' '$W/main.err'"

echo "== the per-target rate: target_rate 2"
start_exporter rate 2
codes=""
for i in 1 2 3; do
  codes+=$(curl -s --max-time 5 -o "$W/body" -w '%{http_code} ' \
    -H 'X-Prometheus-Scrape-Timeout-Seconds: 0.7' \
    "http://127.0.0.1:$PORT/probe?module=stun&target=stun:127.0.0.1:$SINK_PORT")
done
lab_check "two probes, then 429 ($codes)" test "$codes" == "200 200 429 "
lab_check "the 429 says why" grep -q 'target_rate' "$W/body"
stop_exporter
lab_check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error:' '$W/rate.err'"

echo "== idle connections: max_connections 8, the head read within 10 s"
start_exporter idle 6000 8
idle=$(python3 "$ATTACK" idle --port "$PORT" --count 20 --hold 14)
printf '#   %s\n' "$idle"
lab_check "12 over the cap closed at once" test "$(jq -r .fast <<<"$idle")" -eq 12
lab_check "the 8 admitted closed after the 10 s head timeout" \
  test "$(jq -r .late <<<"$idle")" -eq 8
lab_check "none held past it ($(jq -r .latest_ms <<<"$idle") ms <= 11500)" \
  test "$(jq -r .latest_ms <<<"$idle")" -le 11500
code=$(get /metrics)
lab_check "then the exporter answers again (got $code)" test "$code" == 200
stop_exporter
lab_check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error:' '$W/idle.err'"

echo "== without allow_targets nothing is probed, and the exporter says so"
sed -i '/^allow_targets/d' "$W/rate.ini"
PORT=$(lab_free_port tcp)
sed -i "s/^address = .*/address = 127.0.0.1:$PORT/" "$W/rate.ini"
"$RTCPROBE" exporter --config "$W/rate.ini" 2>"$W/none.err" &
EXP_PID=$!
lab_on_exit "lab_kill_pid $EXP_PID"
lab_wait_port 127.0.0.1 "$PORT" tcp 10
lab_check "it says allow_targets is empty at start" grep -q 'allow_targets is empty' "$W/none.err"
code=$(get "/probe?module=stun&target=stun:127.0.0.1:$SINK_PORT")
lab_check "a loopback target gets 403 (got $code)" test "$code" == 403
stop_exporter
lab_check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error:' '$W/none.err'"

echo "== a module with voice's watch is refused at start (a scrape runs a module once)"
printf '[listen]\naddress = 127.0.0.1:%s\nallow_targets = 127.0.0.1\n[module v]\nkind = voice\n' \
  "$(lab_free_port tcp)" >"$W/watch.ini"
printf 'watch = 2h\n' >>"$W/watch.ini"
set +e
timeout 10 "$RTCPROBE" exporter --config "$W/watch.ini" 2>"$W/watch.err"
rc=$?
set -e
lab_check "exit status 2 (got $rc)" test "$rc" -eq 2
WANT='rtcprobe: [module v] watch and window are for the command line: '
WANT+='a scrape runs a module once, within its timeout'
lab_check "one line naming the module and the keys" grep -qxF "$WANT" "$W/watch.err"
lab_check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error:' '$W/watch.err'"
lab_finish
