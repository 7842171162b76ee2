#!/bin/bash
# A token holder attacks `rtcprobe serve`'s websocket signalling
# (reflector-ws-attacker.py, one mode per attack) while legitimate
# `rtcprobe ice --reflector` and `voice --reflector` runs measure:
#   - after the welcome: valid JSON without a type or of no protocol type, a
#     binary frame, a 17 KiB message, JSON nested 4000 deep, 40 candidates,
#     invalid UTF-8, the client's own close; three rounds, more sessions than
#     max_sessions: each gets its error and close, and every slot comes back
#   - load sessions (hello with streams, max_load_streams 8): bad counts and
#     9 streams refused, an answer to one and every attack above end it,
#     and every slot comes back
#   - 20 sessions with one token: its share of 4, the rest "busy"; the held
#     ones end at their lifetime (bye "lifetime")
#   - 30 candidates at addresses other than the client's, from one session
#     and from 12 at once: checks reach at most 8 of them per session, at
#     most 5 per pair, and no more pairs than the reflector's budget
#   - clients that never say hello: error "timeout", close 1008
#   - SIGTERM with sessions open: bye "shutdown", exit 0 within a second
# Each phase asserts the attacker's expectations, that the legitimate runs
# pass, and at the end: no sanitizer report from serve or the probes, peak
# RSS of serve under $SERVE_RSS_KB, each phase within its time bound.
# Traffic: loopback only (127.0.0.1, 127.0.N.M as client sources, 127.0.9.N
# as the foreign candidates' addresses).
# Env: RTCPROBE = the binary under test, RTCPROBE_SOURCE = the source root.
# Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

SRC=${RTCPROBE_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
source "$SRC/tests/lab/lib.sh"
ATTACKER=$SRC/tests/hostile/reflector-ws-attacker.py
RTCPROBE=${RTCPROBE:-$SRC/build/rtcprobe}
unset RTCPROBE_REFLECTOR_SECRET
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$SRC/tests/data/lsan.supp}
SERVE_RSS_KB=150000          # peak RSS of serve (ASan build: about 52 MB measured)
LIFETIME=8 HELLO_TIMEOUT=2

write_config() {
  cat >"$W/serve.ini" <<EOF
[listen]
websocket = 127.0.0.1:$WS_PORT
udp = 127.0.0.1:$UDP_PORT
tcp = 127.0.0.1:$UDP_PORT
[auth]
secret_file = $W/secret
max_token_ttl = 600
[ice]
loopback_only = true
[limits]
max_sessions = 16
max_sessions_per_token = 4
max_load_streams = 8
session_lifetime = $LIFETIME
hello_timeout = $HELLO_TIMEOUT
EOF
}

start_serve() {
  /usr/bin/time -f %M -o "$W/serve.rss" "$RTCPROBE" serve --config "$W/serve.ini" 2>"$W/serve.log" &
  TIME_PID=$!
  lab_on_exit "lab_kill_pid $TIME_PID"
  lab_wait_port 127.0.0.1 "$WS_PORT" tcp 10 || { cat "$W/serve.log" >&2; return 1; }
  SERVE_PID=$(pgrep -P "$TIME_PID")
  lab_on_exit "lab_kill_pid $SERVE_PID"
}

# run_attacker MODE ARG OUT: the attacker, its lines into OUT as they come,
# its wall time bounded by LIMIT; report OUT then counts them as checks.
run_attacker() {
  local limit=${LIMIT:-60} t0=$SECONDS rc
  set +e
  timeout --kill-after=2 "$limit" python3 "$ATTACKER" "$1" "$WS_PORT" "$W/secret" "$2" >"$3" 2>&1
  rc=$?
  set -e
  echo "# attacker $1: exit $rc after $((SECONDS - t0)) s (limit $limit s)" >>"$3"
}

report() { # OUT
  grep -E '^(ok|FAIL|#) ' "$1" || true
  LAB_CHECKS=$((LAB_CHECKS + $(grep -cE '^(ok|FAIL) ' "$1" || true)))
  LAB_FAILS=$((LAB_FAILS + $(grep -cE '^FAIL ' "$1" || true)))
  lab_check "the attacker ran to its end in time" grep -q '^attacker: ' "$1"
}

attack() { # MODE ARG
  run_attacker "$1" "$2" "$W/$1.out"
  report "$W/$1.out"
}

# legit KIND OUT: a legitimate measurement, in the background.
legit() {
  local kind=$1 out=$2
  case $kind in
  ice) lab_probe "$out" --timeout 15 ice --reflector "ws://127.0.0.1:$WS_PORT/rtcprobe" \
         --reflector-secret-file "$W/secret" >"$out.line" ;;
  voice) lab_probe "$out" --timeout 15 voice --reflector "ws://127.0.0.1:$WS_PORT/rtcprobe" \
           --reflector-secret-file "$W/secret" --duration 2 >"$out.line" ;;
  esac
  echo "$RC" >"$out.rc"
}

legit_passed() { # kind out
  local ms
  cat "$2.line"
  ms=$(sed -n 's/.* in \([0-9]*\) ms$/\1/p' "$2.line")
  lab_check "legitimate $1 --reflector: exit 0 (got $(cat "$2.rc"))" test "$(cat "$2.rc")" = 0
  lab_check "legitimate $1 --reflector: within its --timeout 15 s + 1 ($ms ms)" test "${ms:-99999}" -lt 16000
  if [[ $1 == ice ]]; then
    lab_jq_check "legitimate ice: ice.reflector passes" "$2" \
      "$LAB_JQ_DEFS"' chk("ice.reflector").status == "pass"'
  else
    lab_jq_check "legitimate voice: voice.reflector and voice.ice pass" "$2" \
      "$LAB_JQ_DEFS"' chk("voice.reflector").status == "pass" and chk("voice.ice").status == "pass"'
  fi
}

sessions_balanced() {
  local o e
  o=$(grep -cE 'session [0-9a-f]{16} open: ' "$W/serve.log" || true)
  e=$(grep -cE 'session [0-9a-f]{16} end: ' "$W/serve.log" || true)
  lab_check "every session that opened ended, once ($o open, $e end)" \
    test "$o" -eq "$e" -a "$o" -gt 40
}

no_sanitizer_report() { # what file...
  local what=$1
  shift
  lab_check "$what: no sanitizer report" \
    bash -c '! grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: " "$@"' _ "$@"
}

main() {
  lab_require python3 jq
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  [[ -x /usr/bin/time ]] || lab_skip "/usr/bin/time (package time) is missing"
  W=$(lab_tmpdir)
  (umask 077 && openssl rand -hex 24 >"$W/secret")
  WS_PORT=$(lab_free_port tcp)
  UDP_PORT=$(lab_free_port both)
  write_config
  start_serve

  echo "== 1. misbehaviour after the welcome, three rounds, during a legitimate ice run"
  legit ice "$W/ice1.json" &
  local lpid=$!
  # 15 of the 16 slots at the end: one stays for the legitimate run.
  LIMIT=60 attack after-welcome 15
  wait "$lpid"
  legit_passed ice "$W/ice1.json"
  lab_check "serve is still running" lab_pid_alive "$SERVE_PID"

  echo "== 1b. load sessions: bad counts, over the limit, an answer, every attack after the welcome"
  LIMIT=60 attack load 15
  lab_check "serve is still running" lab_pid_alive "$SERVE_PID"

  echo "== 2. one token's share, foreign candidates, silent clients, during a legitimate voice run"
  legit voice "$W/voice.json" &
  lpid=$!
  LIMIT=30 run_attacker token-share $((LIFETIME + 4)) "$W/token-share.out" &
  local apid=$!
  LIMIT=20 attack foreign 6
  LIMIT=15 attack silent "$HELLO_TIMEOUT"
  wait "$apid" "$lpid"
  report "$W/token-share.out"
  legit_passed voice "$W/voice.json"
  lab_check "serve logged the foreign candidates it left out" \
    grep -q 'candidates not at .* not checked' "$W/serve.log"

  echo "== 3. 12 sessions of 30 foreign candidates each, during a legitimate ice run"
  legit ice "$W/ice2.json" &
  lpid=$!
  LIMIT=30 attack foreign-many 6
  wait "$lpid"
  legit_passed ice "$W/ice2.json"

  echo "== 4. afterwards: a legitimate ice run"
  legit ice "$W/ice3.json"
  legit_passed ice "$W/ice3.json"

  echo "== 5. SIGTERM with sessions open"
  LIMIT=20 run_attacker hold 10 "$W/hold.out" &
  apid=$!
  for _ in $(seq 100); do grep -q '^ready' "$W/hold.out" 2>/dev/null && break; sleep 0.1; done
  local t0 ms rc
  t0=$(date +%s%N)
  set +e
  kill -TERM "$SERVE_PID"
  wait "$TIME_PID"
  rc=$?
  set -e
  ms=$((($(date +%s%N) - t0) / 1000000))
  wait "$apid" || true
  report "$W/hold.out"
  lab_check "serve: exit 0 after SIGTERM (got $rc)" test "$rc" -eq 0
  lab_check "serve: exited within a second of SIGTERM ($ms ms)" test "$ms" -lt 1000
  sessions_balanced
  no_sanitizer_report "serve" "$W/serve.log"
  no_sanitizer_report "the legitimate probes" "$W"/*.json.err
  local rss
  rss=$(tail -n 1 "$W/serve.rss")
  lab_check "serve: peak RSS ${rss} KiB under ${SERVE_RSS_KB} KiB" test "$rss" -lt "$SERVE_RSS_KB"
  if ((LAB_FAILS > 0)); then
    echo "--- serve.log (sanitizer report or last 40 lines)"
    if grep -q 'ERROR: AddressSanitizer\|runtime error:' "$W/serve.log"; then
      grep -A 30 -m 1 'ERROR: AddressSanitizer\|runtime error:' "$W/serve.log"
    else
      tail -n 40 "$W/serve.log"
    fi
  fi
  lab_finish
}

lab_init
main "$@"
