#!/bin/bash
# Where `rtcprobe serve` takes the receive timestamp (T2) of its direct
# ports: the kernel's, when the datagram or segment arrived, not its own
# clock after it woke up. tests/integration/serve-direct-stamps.py, an
# independent STAMP client, stops the reflector (SIGSTOP) with one signed
# packet in its UDP socket, then in a TCP connection, continues it 300 ms
# later, and reads the answer's T3 - T2: it includes the stall (a T2 taken
# after the wake-up would not), while the client's round trip minus that
# residence stays far below it. Margins are wide (0.8 x the stall, half the
# stall) so a loaded CI machine does not fail it.
# Traffic: loopback only. Env: RTCPROBE. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
STALL_MS=300

main() {
  lab_require python3 openssl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  W=$(lab_tmpdir)
  (umask 077 && openssl rand -hex 24 >"$W/secret")
  WS_PORT=$(lab_free_port tcp)
  DIRECT_PORT=$(lab_free_port both)
  cat >"$W/serve.ini" <<EOF
[listen]
websocket = 127.0.0.1:$WS_PORT
udp = 127.0.0.1:$DIRECT_PORT
tcp = 127.0.0.1:$DIRECT_PORT
trusted_proxies =
[auth]
secret_file = $W/secret
max_token_ttl = 600
[ice]
loopback_only = true
EOF
  "$RTCPROBE" serve --config "$W/serve.ini" 2>>"$W/serve.log" &
  SERVE_PID=$!
  # SIGCONT first: a stopped reflector would not act on SIGTERM.
  lab_on_exit "kill -CONT $SERVE_PID 2>/dev/null; lab_kill_pid $SERVE_PID"
  lab_wait_port 127.0.0.1 "$WS_PORT" tcp 10 || { cat "$W/serve.log" >&2; exit 1; }

  echo "== the reflector stopped for $STALL_MS ms with a packet in flight, UDP then TCP"
  set +e
  timeout 60 python3 "$HERE/serve-direct-stamps.py" "$WS_PORT" "$DIRECT_PORT" "$DIRECT_PORT" \
    "$W/secret" "$SERVE_PID" "$STALL_MS" >"$W/stamps.out" 2>&1
  set -e
  kill -CONT "$SERVE_PID" 2>/dev/null || true
  grep -E '^(ok|FAIL) |^# ' "$W/stamps.out" || true
  LAB_CHECKS=$((LAB_CHECKS + $(grep -cE '^(ok|FAIL) ' "$W/stamps.out" || true)))
  LAB_FAILS=$((LAB_FAILS + $(grep -cE '^FAIL ' "$W/stamps.out" || true)))
  lab_check "the client finished (its last line)" grep -q '^stamps: ' "$W/stamps.out"
  grep -q '^stamps: ' "$W/stamps.out" || sed 's/^/#   /' "$W/stamps.out" | tail -n 20
  lab_check "serve is still running" lab_pid_alive "$SERVE_PID"
  lab_finish
}

lab_init
main "$@"
