#!/bin/bash
# A tester's browser gone bad against `rtcprobe serve`
# (reflector-tester-attacker.py: forged and damaged invites, an invite
# replayed past its uses, peers past their caps, candidate and timings
# floods, a result twice) while a legitimate `rtcprobe ice --reflector` run
# measures during the attack. Asserts the attacker's expectations, that the
# legitimate run passes, the reflector's log (refusals counted, foreign
# candidates not checked), then SIGTERM: exit 0 within a second, no
# sanitizer report, peak RSS of serve under $SERVE_RSS_KB, the attack within
# its time bound.
# Traffic: loopback only (127.0.0.1; 127.0.9.N as foreign candidates).
# Env: RTCPROBE = the binary under test, RTCPROBE_SOURCE = the source root.
# Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

SRC=${RTCPROBE_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
source "$SRC/tests/lab/lib.sh"
ATTACKER=$SRC/tests/hostile/reflector-tester-attacker.py
RTCPROBE=${RTCPROBE:-$SRC/build/rtcprobe}
unset RTCPROBE_REFLECTOR_SECRET
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$SRC/tests/data/lsan.supp}
SERVE_RSS_KB=200000          # peak RSS of serve
LIMIT=90                     # the attack's wall time, seconds

main() {
  local rc=0 t0 stop_t0
  lab_require python3 jq
  lab_init
  W=$(lab_tmpdir)
  (umask 077 && openssl rand -hex 24 >"$W/secret")
  WS_PORT=$(lab_free_port tcp)
  TURN_PORT=$(lab_free_port udp)   # nothing listens: the peers' allocations fail
  cat >"$W/serve.ini" <<EOF
[listen]
websocket = 127.0.0.1:$WS_PORT
trusted_proxies =
[auth]
secret_file = $W/secret
[turn]
servers = turn:127.0.0.2:$TURN_PORT?transport=udp
secret_file = $W/secret
[ice]
loopback_only = true
[limits]
max_sessions = 16
max_sessions_per_token = 3
source_rate = 500
source_burst = 500
EOF
  /usr/bin/time -f %M -o "$W/serve.rss" "$RTCPROBE" serve --config "$W/serve.ini" \
    2>"$W/serve.log" &
  TIME_PID=$!
  lab_on_exit "lab_kill_pid $TIME_PID"
  lab_wait_port 127.0.0.1 "$WS_PORT" tcp 10 || { cat "$W/serve.log" >&2; exit 1; }
  SERVE_PID=$(pgrep -P "$TIME_PID")

  t0=$SECONDS
  timeout --kill-after=2 "$LIMIT" python3 "$ATTACKER" "$WS_PORT" "$W/secret" \
    "$SRC/tests/data/sdp/chromium-156-offer.sdp" >"$W/attack.out" 2>&1 &
  local attacker=$!
  LAB_PROBE_LIMIT=40 lab_probe "$W/ice.json" --timeout 20 ice \
    --reflector "ws://127.0.0.1:$WS_PORT/rtcprobe" --reflector-secret-file "$W/secret"
  lab_jq_check "a legitimate ice --reflector during the attack passes" "$W/ice.json" \
    '[.checks[] | select(.id == "ice.reflector")][0].status == "pass"'
  wait "$attacker" || rc=$?
  grep -E '^(ok|FAIL) ' "$W/attack.out" || true
  LAB_CHECKS=$((LAB_CHECKS + $(grep -cE '^(ok|FAIL) ' "$W/attack.out" || true)))
  LAB_FAILS=$((LAB_FAILS + $(grep -cE '^FAIL ' "$W/attack.out" || true)))
  lab_check "the attacker ran to its end within $LIMIT s (exit $rc, $((SECONDS - t0)) s)" \
    grep -q '^attacker: done' "$W/attack.out"
  lab_check "the reflector logged refused invites, at most 30 lines for 400 (rate-limited)" \
    bash -c 'n=$(grep -c "refused: .*invite" "$1"); grep -q "invite forged" "$1" && ((n <= 30))' \
    _ "$W/serve.log"
  lab_check "of 200 foreign candidates 8 checked; relay candidates on our TURN server all checked" \
    grep -qE 'tester .* end: .* 192 candidates not checked' "$W/serve.log"
  stop_t0=$(date +%s%N)
  kill -TERM "$SERVE_PID"
  rc=0
  wait "$TIME_PID" || rc=$?
  lab_check "SIGTERM: exit 0 (got $rc) within a second" \
    test "$rc" = 0 -a $(( ($(date +%s%N) - stop_t0) / 1000000 )) -lt 1500
  lab_check "no sanitizer report from serve" \
    bash -c '! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$1"' _ "$W/serve.log"
  lab_check "peak RSS of serve $(cat "$W/serve.rss" 2>/dev/null) KB under $SERVE_RSS_KB KB" \
    test "$(cat "$W/serve.rss" 2>/dev/null || echo 999999999)" -lt "$SERVE_RSS_KB"
  if ((LAB_FAILS)); then
    echo '# serve.log (tail):'
    tail -n 25 "$W/serve.log" | sed 's/^/#   /'
  fi
  lab_finish
}

main "$@"
