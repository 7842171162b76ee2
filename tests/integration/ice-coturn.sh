#!/bin/bash
# rtcprobe `ice` against a real coturn on loopback (tests/lab): libnice
# gathers relay candidates over TURN/UDP, TURN/TCP and TURN/TLS (the last
# through rtcprobe's loopback TLS bridge), and two agents connect through
# each transport with a relay candidate on the selected pair. Then the
# failures: a wrong password (libnice says nothing; rtcprobe's TURN client
# explains the 401), a CA that does not trust the server's certificate (the
# bridge refuses it, in the `turn` wording), and --relay-only (both sides
# relay). Ground truth rtcprobe does not produce: the relay port range from
# turnserver.conf, and wall-clock time.
# Traffic: loopback only.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=15
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

probe() { # out, args...: lab_probe (tests/lab/lib.sh) on this host
  local out=$1
  shift
  LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" "$@"
}

jqc() { # what, file, expr (chk(ID) available), [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

secret_file() { (umask 077 && printf '%s\n' "$2" >"$1"); }

uris() {
  URIS=(--turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=tcp"
    --turn "turns:127.0.0.1:$LAB_TURN_TLS_PORT")
}

check_all_transports() {
  local r=$W/ice.json t
  echo "== 1. ICE through TURN over UDP, TCP and TLS"
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" ice "${URIS[@]}" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  lab_check "exit code 0 (got $RC)" test "$RC" -eq 0
  lab_check "finished within 10 s (took $MS ms)" test "$MS" -le 10000
  jqc "schema rtcprobe.report/1, command ice" "$r" '.schema == "rtcprobe.report/1" and .command == "ice"'
  jqc "ids: ice.gather.{udp,tcp,tls}, ice.{udp,tcp,tls}, ice.verdict" "$r" \
    '[.checks[].id] | sort == ["ice.gather.tcp", "ice.gather.tls", "ice.gather.udp", "ice.tcp", "ice.tls", "ice.udp",
                               "ice.verdict"]'
  jqc "every check passes, kind ice" "$r" 'all(.checks[]; .status == "pass" and .kind == "ice")'
  for t in udp tcp tls; do
    jqc "ice.gather.$t: relay_candidates >= 1, host_candidates >= 1, gather_ms > 0" "$r" \
      'chk($id).metrics | .relay_candidates >= 1 and .host_candidates >= 1 and .gather_ms > 0' --arg id "ice.gather.$t"
    # Ground truth from turnserver.conf: the relay range rtcprobe never saw.
    jqc "ice.gather.$t: candidates list a relay udp 127.0.0.1:<port in the relay range>" "$r" \
      '[chk($id).details.candidates | scan("relay udp 127\\.0\\.0\\.1:([0-9]+) prio [0-9]+ at [0-9.]+ ms")[0] | tonumber]
       | length >= 1 and all(. >= $min and . <= $max)' \
      --arg id "ice.gather.$t" --argjson min "$LAB_TURN_RELAY_MIN" --argjson max "$LAB_TURN_RELAY_MAX"
    jqc "ice.$t: connected, selected pair local type relay on a relay-range port" "$r" \
      'chk($id) | (.details.ice_state | IN("connected", "ready")) and .details.local_type == "relay"
       and (.details.local_address | capture(":(?<p>[0-9]+)$").p | tonumber | . >= $min and . <= $max)' \
      --arg id "ice.$t" --argjson min "$LAB_TURN_RELAY_MIN" --argjson max "$LAB_TURN_RELAY_MAX"
    jqc "ice.$t: the selected pair's family is IPv4 (coturn on 127.0.0.1)" "$r" \
      'chk($id).details.selected_family == "ipv4"' --arg id "ice.$t"
    jqc "ice.$t: relay_transport $t, 10 of 10 echoes back" "$r" \
      'chk($id).details | .relay_transport == $t and .packets_sent == 10 and .packets_received == 10' \
      --arg id "ice.$t" --arg t "$t"
    jqc "ice.$t: connect_ms, rtt_ms > 0 and rtt_min <= rtt <= rtt_max" "$r" \
      'chk($id).metrics | .connect_ms > 0 and .rtt_ms > 0 and .rtt_min_ms <= .rtt_ms and .rtt_ms <= .rtt_max_ms' \
      --arg id "ice.$t"
  done
  jqc "ice.tls: through the bridge, certificate verified" "$r" \
    'chk("ice.tls").details | (.tls_bridge | type == "string") and .tls_verified == true'
  jqc "ice.verdict: pass over UDP, TCP, TLS" "$r" 'chk("ice.verdict") | .status == "pass" and .details.fails == ""'
  lab_check "the password never appears in the report" bash -c '! grep -qF -- "$(cat "$1")" "$2"' _ \
    "$LAB_TURN_PASSWORD_FILE" "$r"
}

check_wrong_password() {
  local r=$W/wrongpw.json t
  echo "== 2. wrong password: libnice gets no relay, rtcprobe's TURN client explains the 401"
  secret_file "$W/wrong-password" "not-the-password"
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" ice "${URIS[@]}" \
    --user "$LAB_TURN_USER" --password-file "$W/wrong-password"
  lab_check "exit code 1 (got $RC)" test "$RC" -eq 1
  lab_check "finished within 10 s (took $MS ms)" test "$MS" -le 10000
  for t in udp tcp tls; do
    jqc "ice.gather.$t: fail, relay_candidates 0, 401 explained" "$r" \
      'chk($id) | .status == "fail" and .metrics.relay_candidates == 0 and .details.error_code == 401
       and (.summary | test("no relay candidate.*401")) and (.hint | test("wrong user or password"))' \
      --arg id "ice.gather.$t"
    jqc "ice.$t: fail, no relay candidate, points at ice.gather.$t" "$r" \
      'chk($id) | .status == "fail" and (.summary | test("no relay candidate")) and (.hint | contains("ice.gather." + $t))' \
      --arg id "ice.$t" --arg t "$t"
  done
  jqc "ice.verdict: fail" "$r" 'chk("ice.verdict").status == "fail"'
}

check_untrusted_ca() {
  local r=$W/otherca.json
  echo "== 3. turns: with a CA that did not issue the server's certificate"
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_OTHER_CA_FILE" ice --turn "turns:127.0.0.1:$LAB_TURN_TLS_PORT" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  lab_check "exit code 1 (got $RC)" test "$RC" -eq 1
  lab_check "finished within 5 s: the bridge reports at once (took $MS ms)" test "$MS" -le 5000
  jqc "ice.gather.tls: fail, unknown CA in the stun/turn wording" "$r" \
    'chk("ice.gather.tls") | .status == "fail" and (.hint | test("CA this machine does not trust"))
     and .details.tls_verify == "unknown_ca" and .details.tls_verified == false'
  jqc "ice.tls: fail, certificate issued by an unknown CA" "$r" \
    'chk("ice.tls") | .status == "fail" and (.summary | test("unknown CA"))'
}

check_relay_only() {
  local r=$W/relayonly.json t
  echo "== 4. --relay-only: both agents relay"
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" ice "${URIS[@]}" --relay-only \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  lab_check "exit code 0 (got $RC)" test "$RC" -eq 0
  for t in udp tcp tls; do
    jqc "ice.$t: pass, selected pair relay <-> relay" "$r" \
      'chk($id) | .status == "pass" and .details.local_type == "relay" and .details.remote_type == "relay"' \
      --arg id "ice.$t"
  done
}

# Relays coturn allocated and has not closed yet, from its verbose log: a
# session is closed after a Refresh with LIFETIME 0, when its TCP or TLS
# connection ends, or when its lifetime runs out (600 s here, far beyond
# the test).
open_allocations() { # log
  local s open=0
  for s in $(grep -oE 'session [0-9]+: realm <[^>]*> user <[^>]*>: incoming packet ALLOCATE processed, success' "$1" |
    awk '{ print $2 }' | sort -u); do
    grep -qF "session $s closed (2nd stage)" "$1" || open=$((open + 1))
  done
  echo "$open"
}

check_no_allocation_left() {
  local r run open i
  echo "== 5. no relay left on the server: a user quota of 3 allocations, two runs in a row"
  # Its own coturn: verbose (allocations and their end are logged) and a
  # quota one run fills (gathering, and the two agents of the pair).
  lab_coturn_start "$W/quota" --conf-line verbose --conf-line user-quota=3 ||
    { echo "could not start coturn (quota)" >&2; exit 1; }
  # Last section: the quota server's settings replace the first server's.
  # shellcheck source=/dev/null
  source "$W/quota/env"
  for run in 1 2; do
    r=$W/quota-$run.json
    probe "$r" --timeout "$TIMEOUT" ice --turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" \
      --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
    lab_check "run $run: exit code 0 (got $RC)" test "$RC" -eq 0
    lab_check "run $run: finished within 5 s, deallocations included (took $MS ms)" test "$MS" -le 5000
    jqc "run $run: ice.udp passes" "$r" 'chk("ice.udp").status == "pass"'
    # coturn logs the close a moment after the Refresh; allow it 3 s.
    for i in $(seq 30); do
      open=$(open_allocations "$LAB_TURN_LOG")
      ((open == 0)) && break
      sleep 0.1
    done
    lab_check "run $run: coturn holds no allocation after the run ($open open)" test "$open" -eq 0
  done
  lab_coturn_stop "$W/quota"
}

main() {
  lab_require turnserver turnutils_stunclient jq openssl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  W=$(lab_tmpdir)
  lab_coturn_start "$W/coturn" || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/coturn/env"
  echo "# coturn on 127.0.0.1: $LAB_TURN_PORT udp/tcp, $LAB_TURN_TLS_PORT tls, relays $LAB_TURN_RELAY_MIN-$LAB_TURN_RELAY_MAX"
  uris
  check_all_transports
  check_wrong_password
  check_untrusted_ca
  check_relay_only
  check_no_allocation_left
  lab_finish
}

lab_init
main "$@"
