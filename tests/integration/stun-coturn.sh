#!/bin/bash
# rtcprobe `stun` against a real coturn on loopback, and against socat
# responders that answer garbage, truncated STUN or the wrong transaction id.
# Asserts on the JSON report (schema rtcprobe.report/1) with jq: statuses,
# mapped address, RTT, TLS verification with the right CA, the wrong CA and
# --insecure, ICMP-closed ports, exit codes and --output.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=10

probe() { # out, args...: lab_probe (tests/lab/lib.sh) on this host
  local out=$1
  shift
  LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" "$@"
}

expect_rc() { # what, expected
  lab_check "$1: exit code $2 (got $RC)" test "$RC" -eq "$2"
}

expect_within() { # what, seconds
  lab_check "$1: finished within ${2}s (took ${MS} ms)" test "$MS" -le $(($2 * 1000))
}

jqc() { # what, file, expr (chk(ID) available)
  lab_jq_check "$1" "$2" "$LAB_JQ_DEFS $3"
}

check_udp() {
  local r=$W/udp.json
  echo "== STUN over UDP to coturn"
  probe "$r" --timeout "$TIMEOUT" stun "stun:127.0.0.1:$LAB_TURN_PORT"
  expect_rc "udp" 0
  jqc "report schema is rtcprobe.report/1" "$r" '.schema == "rtcprobe.report/1"'
  # Other kinds (e.g. a skipped NAT check) may follow; one STUN check here.
  jqc "one stun check; summary pass=1 warn=0 fail=0" "$r" \
    '([.checks[] | select(.kind == "stun")] | length) == 1 and .summary.pass == 1 and .summary.warn == 0 and .summary.fail == 0'
  jqc "stun.udp: kind stun, status pass" "$r" 'chk("stun.udp") | .kind == "stun" and .status == "pass"'
  jqc "stun.udp: mapped_address is 127.0.0.1:<port>" "$r" \
    'chk("stun.udp").details.mapped_address | test("^127\\.0\\.0\\.1:[0-9]{1,5}$")'
  jqc "stun.udp: metrics.rtt_ms > 0" "$r" 'chk("stun.udp").metrics.rtt_ms > 0'
  jqc "stun.udp: details.software names coturn" "$r" \
    'chk("stun.udp").details.software | ascii_downcase | test("coturn")'
  jqc "stun.udp: duration_ms is a number" "$r" 'chk("stun.udp").duration_ms | type == "number"'
}

check_tcp() {
  local r=$W/tcp.json
  echo "== STUN over TCP to coturn"
  probe "$r" --timeout "$TIMEOUT" stun "stun:127.0.0.1:$LAB_TURN_PORT?transport=tcp"
  expect_rc "tcp" 0
  jqc "stun.tcp: status pass" "$r" 'chk("stun.tcp").status == "pass"'
  jqc "stun.tcp: mapped_address is 127.0.0.1:<port>" "$r" \
    'chk("stun.tcp").details.mapped_address | test("^127\\.0\\.0\\.1:[0-9]{1,5}$")'
}

check_tls() {
  local r uri="stuns:127.0.0.1:$LAB_TURN_TLS_PORT"
  echo "== STUN over TLS, verified with the lab CA"
  r=$W/tls-ok.json
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" stun "$uri"
  expect_rc "tls with lab CA" 0
  jqc "stun.tls: status pass" "$r" 'chk("stun.tls").status == "pass"'
  jqc "stun.tls: details.tls_verified == true" "$r" 'chk("stun.tls").details.tls_verified == true'
  jqc "stun.tls: mapped_address is 127.0.0.1:<port>" "$r" \
    'chk("stun.tls").details.mapped_address | test("^127\\.0\\.0\\.1:[0-9]{1,5}$")'

  echo "== STUN over TLS with an unrelated CA: must not be trusted"
  r=$W/tls-other.json
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_OTHER_CA_FILE" stun "$uri"
  expect_rc "tls with other CA" 1
  jqc "stun.tls: status fail" "$r" 'chk("stun.tls").status == "fail"'
  jqc "stun.tls: hint mentions the certificate" "$r" \
    'chk("stun.tls").hint | ascii_downcase | test("certificate")'

  echo "== STUN over TLS with --insecure"
  r=$W/tls-insecure.json
  probe "$r" --timeout "$TIMEOUT" --insecure stun "$uri"
  expect_rc "tls --insecure" 0
  # The check completes, but an untrusted certificate is never a pass.
  jqc "stun.tls: status warn" "$r" 'chk("stun.tls").status == "warn"'
  jqc "stun.tls: details.tls_verified == false" "$r" 'chk("stun.tls").details.tls_verified == false'
  jqc "stun.tls: details.insecure == true" "$r" 'chk("stun.tls").details.insecure == true'
  jqc "stun.tls: hint names the unknown CA" "$r" 'chk("stun.tls").hint | test("CA")'
  jqc "stun.tls: tls_error unknown_ca" "$r" 'chk("stun.tls").details.tls_error == "unknown_ca"'

  # Without --ca-file the system store decides. OpenSSL's environment points
  # it at a hashed directory (read lazily) or at a bundle file: both ways the
  # lab CA is trusted when it is there, and only then.
  local certs=$W/system-certs
  mkdir -p "$certs" && cp "$LAB_CA_FILE" "$certs/lab-ca.pem" && openssl rehash "$certs" >/dev/null 2>&1
  echo "== STUN over TLS, no --ca-file, the lab CA in SSL_CERT_DIR (hashed)"
  r=$W/tls-dir.json
  LAB_PROBE_ENV=(-u SSL_CERT_FILE SSL_CERT_DIR="$certs")
  probe "$r" --timeout "$TIMEOUT" stun "$uri"
  jqc "SSL_CERT_DIR with the lab CA: pass, verified" "$r" \
    'chk("stun.tls") | .status == "pass" and .details.tls_verified == true'
  r=$W/tls-dir-empty.json
  LAB_PROBE_ENV=(-u SSL_CERT_FILE SSL_CERT_DIR="$W")
  probe "$r" --timeout "$TIMEOUT" stun "$uri"
  jqc "SSL_CERT_DIR without it: fail, unknown_ca" "$r" \
    'chk("stun.tls") | .status == "fail" and .details.tls_error == "unknown_ca"'
  r=$W/tls-file.json
  LAB_PROBE_ENV=(SSL_CERT_FILE="$LAB_CA_FILE" SSL_CERT_DIR="$W")
  probe "$r" --timeout "$TIMEOUT" stun "$uri"
  jqc "SSL_CERT_FILE naming the lab CA: pass, verified" "$r" \
    'chk("stun.tls") | .status == "pass" and .details.tls_verified == true'
  r=$W/tls-cafile-only.json
  LAB_PROBE_ENV=(-u SSL_CERT_FILE SSL_CERT_DIR="$certs")
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_OTHER_CA_FILE" stun "$uri"
  LAB_PROBE_ENV=()
  jqc "--ca-file is all that is trusted: the lab CA in SSL_CERT_DIR does not help" "$r" \
    'chk("stun.tls") | .status == "fail" and .details.tls_error == "unknown_ca"'
}

check_all_transports() {
  local r=$W/all.json
  echo "== UDP, TCP and TLS in one run"
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" stun \
    "stun:127.0.0.1:$LAB_TURN_PORT" "stun:127.0.0.1:$LAB_TURN_PORT?transport=tcp" \
    "stuns:127.0.0.1:$LAB_TURN_TLS_PORT"
  expect_rc "three transports" 0
  jqc "ids stun.udp, stun.tcp, stun.tls, all pass" "$r" \
    '[.checks[] | select(.kind == "stun")] | ([.[].id] | sort) == ["stun.tcp", "stun.tls", "stun.udp"] and all(.[]; .status == "pass")'
  jqc "summary pass=3 fail=0" "$r" '.summary.pass == 3 and .summary.fail == 0'
}

# A responder that answers with MODE; the probe must call it malformed.
check_bad_server() {
  local mode=$1 port r=$W/bad-$1.json
  echo "== UDP server answering '$mode'"
  port=$(lab_free_port udp)
  lab_garbage_udp_start "$port" "$mode"
  if [[ $mode == wrongtid ]]; then
    # A reply for another transaction is ignored, so this ends in a timeout:
    # keep it short, and prove the deadline holds.
    probe "$r" --timeout 3 stun "stun:127.0.0.1:$port"
    expect_rc "$mode" 1
    expect_within "$mode" 4
    jqc "stun.udp: status fail" "$r" 'chk("stun.udp").status == "fail"'
    jqc "stun.udp: summary says malformed or no answer" "$r" \
      'chk("stun.udp").summary | ascii_downcase | test("malformed|no (stun )?(answer|response|reply)|timed? ?out|timeout")'
    jqc "stun.udp: no mapped_address taken from the stray reply" "$r" \
      'chk("stun.udp").details.mapped_address == null'
    jqc "stun.udp: the stray replies are counted and named" "$r" \
      'chk("stun.udp") | (.summary | test("answered [0-9]+ times?, but never with the transaction id"))
                         and .details.stray_responses >= 1'
  else
    probe "$r" --timeout "$TIMEOUT" stun "stun:127.0.0.1:$port"
    expect_rc "$mode" 1
    expect_within "$mode" "$TIMEOUT"
    jqc "stun.udp: status fail" "$r" 'chk("stun.udp").status == "fail"'
    jqc "stun.udp: summary contains \"malformed\"" "$r" \
      'chk("stun.udp").summary | ascii_downcase | test("malformed")'
  fi
}

check_closed() {
  local port r=$W/closed.json
  echo "== UDP port with no listener (ICMP port unreachable)"
  port=$(lab_free_port udp)
  probe "$r" --timeout "$TIMEOUT" stun "stun:127.0.0.1:$port"
  expect_rc "closed" 1
  expect_within "closed" "$TIMEOUT"
  jqc "stun.udp: status fail" "$r" 'chk("stun.udp").status == "fail"'
  jqc "stun.udp: state closed, or summary says ICMP/refused/unreachable" "$r" \
    'chk("stun.udp") | .details.state == "closed" or (.summary | ascii_downcase | test("icmp|refused|unreachable"))'
}

check_mixed_and_output() {
  local port r=$W/mixed.json out=$W/out/report.json ino_before ino_after
  echo "== one passing and one failing URI, written with --output"
  port=$(lab_free_port udp)
  mkdir -p "$W/out"
  echo '{"stale": true}' >"$out"
  ino_before=$(stat -c %i "$out")
  probe "$r" --timeout "$TIMEOUT" --output "$out" stun \
    "stun:127.0.0.1:$LAB_TURN_PORT" "stun:127.0.0.1:$port"
  expect_rc "mixed pass and fail" 1
  lab_jq_check "--output file is valid JSON with the report schema" "$out" '.schema == "rtcprobe.report/1"'
  jqc "two stun checks with distinct ids stun.udp@host:port" "$out" \
    '[.checks[] | select(.kind == "stun")] | length == 2 and ([.[].id] | unique | length) == 2
     and all(.[]; .id | test("^stun\\.udp@127\\.0\\.0\\.1:[0-9]+$"))'
  jqc "summary pass=1 fail=1" "$out" '.summary.pass == 1 and .summary.fail == 1'
  ino_after=$(stat -c %i "$out" 2>/dev/null || echo none)
  # Written to a temporary file and renamed over: a new inode, no leftovers.
  lab_check "--output replaced the old file by rename (inode changed)" test "$ino_before" != "$ino_after"
  lab_check "--output left no temporary files" test "$(find "$W/out" -mindepth 1 | wc -l)" -eq 1
}

check_usage() {
  local r=$W/usage.json
  echo "== usage error"
  probe "$r" stun "notascheme:127.0.0.1"
  expect_rc "bad URI" 2
  # lab_probe gives --format json: a .txt file contradicts it.
  probe "$r" --output "$W/contradicts.txt" stun "stun:127.0.0.1:$LAB_TURN_PORT"
  expect_rc "--format json --output x.txt" 2
  lab_check "--format json --output x.txt: one line naming both" \
    test "$(wc -l <"$r.err")" -eq 1 -a -n "$(grep -e '--format json contradicts an --output file named .txt' "$r.err")"
  lab_check "--format json --output x.txt: no file written" test ! -e "$W/contradicts.txt"
}

main() {
  lab_require turnserver turnutils_stunclient jq socat openssl ss
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  lab_init
  W=$(lab_tmpdir)
  lab_coturn_start "$W/turn" || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/turn/env"
  echo "# coturn on 127.0.0.1: $LAB_TURN_PORT udp/tcp, $LAB_TURN_TLS_PORT tls (turnutils_stunclient answered)"

  check_udp
  check_tcp
  check_tls
  check_all_transports
  check_bad_server garbage
  check_bad_server truncated
  check_bad_server wrongtid
  check_closed
  check_mixed_and_output
  check_usage
  lab_finish
}

main "$@"
