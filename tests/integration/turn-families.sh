#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# TURN address families against real coturn servers on loopback:
#   1. a dual-stack coturn (listening and relaying on 127.0.0.1 and ::1):
#      turn.<t>.ipv6 allocates IPv6 relays and forwards data between them
#      over IPv6 (UDP, TCP, TLS, and reached over IPv6 itself), turn.<t>.dual
#      gets one relayed address per family, in coturn's relay port range;
#   2. a coturn with an IPv4 relay only: 440 makes turn.<t>.ipv6/dual skip
#      with the reason and the relay-ip fix, exit 0; --relay-family ipv6 or
#      dual makes it a failure; ipv4 leaves them out; a bad value is a usage
#      error;
#   3. --audit on the permissive dual-stack coturn (allow-loopback-peers, no
#      denied ranges): the IPv6 forms (::1, fe80::1, fd00::1, 64:ff9b::
#      NAT64 forms) are granted and flagged with their denied-peer-ip fix;
#   4. --audit on a hardened dual-stack coturn (denied-peer-ip for every
#      range, IPv6 forms included): every category passes, the IPv6 forms
#      denied (coturn's log names the range), and on a coturn hardened for
#      IPv4 only the IPv6 forms stay open and fail;
#   5. --audit on the IPv4-only coturn: IPv6 peers are "not applicable" (no
#      IPv6 relay), never counted as refused;
#   1c. a dual-stack coturn that hides its SOFTWARE: no dual allocation (a
#      skip that says so, not "no IPv6 relay"), and the audit asks its IPv6
#      peers on a second, IPv6, allocation.
# Traffic: loopback only (127.0.0.1, ::1). The audit asks for permissions
# toward other addresses; that sends no packet to them.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=10
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

jqc() { # what, file, expr (chk(ID) available), [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

probe() { # out, args...
  local out=$1
  shift
  LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" "$@"
  lab_check "$(basename "$out"): finished within $((TIMEOUT + 1)) s (took $MS ms)" \
    test "$MS" -le $(((TIMEOUT + 1) * 1000))
  lab_check "$(basename "$out"): no sanitizer report, no GLib critical" \
    test -z "$(grep -e 'Sanitizer' -e 'runtime error' -e 'CRITICAL' "$out.err")"
}

expect_rc() { # what, expected
  lab_check "$1: exit code $2 (got $RC)" test "$RC" -eq "$2"
}

# Start a coturn in $W/NAME with lab_coturn_start options and source its env.
coturn() {
  local name=$1
  shift
  lab_coturn_start "$W/$name" "$@" || { echo "could not start coturn ($name)" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/$name/env"
  CREDS=(--user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE")
  echo "# coturn '$name': $LAB_TURN_PORT udp/tcp, $LAB_TURN_TLS_PORT tls," \
    "relays $LAB_TURN_RELAY_MIN-$LAB_TURN_RELAY_MAX on 127.0.0.1${LAB_TURN_HOST6:+ and $LAB_TURN_HOST6}"
}

# jq: is "ADDR:PORT" / "[ADDR]:PORT" on that address, with the port in the relay range?
IN_RANGE='def in_range($a): (capture("^(?<h>.*):(?<p>[0-9]+)$") | .h == $a
  and (.p | tonumber) >= ($min | tonumber) and (.p | tonumber) <= ($max | tonumber));'

# ------------------------------------------------------------------ 1

check_dual_stack() {
  local r=$W/dual-stack.json t
  echo "== 1. dual-stack coturn: IPv6 relays with data through them, dual allocations"
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" turn "turn:127.0.0.1:$LAB_TURN_PORT" \
    "turns:127.0.0.1:$LAB_TURN_TLS_PORT" "${CREDS[@]}"
  expect_rc "dual stack, default families" 0
  jqc "ids: turn.{udp,tcp,tls}.ipv6 and turn.{udp,tcp,tls}.dual, kind turn, besides the IPv4 ones" "$r" \
    '[.checks[] | select(.id | test("^turn\\.(udp|tcp|tls)\\.(ipv6|dual)$"))] | length == 6 and all(.[]; .kind == "turn")'
  for t in udp tcp tls; do
    jqc "turn.$t.ipv6: pass, relayed [::1] in the relay range, peer [::1], 20 of 20 packets back" "$r" \
      "$IN_RANGE"' chk("turn.'$t'.ipv6") | .status == "pass" and .details.ipv6_relay == true
       and (.details.relayed_address | in_range("[::1]")) and (.details.peer_address | in_range("[::1]"))
       and .details.packets_sent == 20 and .details.packets_received == 20 and .metrics.loss_pct == 0
       and (.summary | test("^IPv6 relay over (UDP|TCP|TLS) works: relayed \\[::1\\]:[0-9]+, 20 of 20 packets forwarded to an IPv6 peer"))' \
      --arg min "$LAB_TURN_RELAY_MIN" --arg max "$LAB_TURN_RELAY_MAX"
    jqc "turn.$t.dual: pass, relayed_ipv4 127.0.0.1 and relayed_ipv6 [::1], both in the relay range" "$r" \
      "$IN_RANGE"' chk("turn.'$t'.dual") | .status == "pass" and .details.ipv6_relay == true
       and (.details.relayed_ipv4 | in_range("127.0.0.1")) and (.details.relayed_ipv6 | in_range("[::1]"))
       and .details.address_error_code == null and (.summary | test("^dual allocation over"))' \
      --arg min "$LAB_TURN_RELAY_MIN" --arg max "$LAB_TURN_RELAY_MAX"
  done
  jqc "the IPv4 checks are unchanged: turn.udp.allocate relays from 127.0.0.1" "$r" \
    'chk("turn.udp.allocate").details.relayed_address | startswith("127.0.0.1:")'

  # Ground truth: coturn relayed the data on its IPv6 relay socket.
  lab_check "coturn's log: ::1 is a relay address" grep -q "Relay address to use: ::1" "$LAB_TURN_LOG"

  r=$W/dual-stack-v6.json
  echo "== 1b. the same server reached over IPv6, --relay-family all"
  probe "$r" --timeout "$TIMEOUT" turn "turn:[::1]:$LAB_TURN_PORT?transport=udp" --relay-family all "${CREDS[@]}"
  expect_rc "reached over IPv6" 0
  jqc "turn.udp.ipv6 and turn.udp.dual pass with the server at [::1]" "$r" \
    '[chk("turn.udp.ipv6"), chk("turn.udp.dual")] | all(.status == "pass" and (.details.server_address | startswith("[::1]:")))'
}

check_no_software() {
  local r=$W/no-software.json
  echo "== 1c. dual-stack coturn with no-software-attribute: no dual allocation, IPv6 still relayed"
  # coturn reads ADDITIONAL-ADDRESS-FAMILY at its pre-RFC code point, which
  # rtcprobe sends only to a server that names itself coturn in SOFTWARE.
  coturn nosw --ip6 ::1 --conf-line no-software-attribute
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --audit "${CREDS[@]}"
  jqc "turn.udp.ipv6: pass (an IPv6 relay when asked for IPv6 alone)" "$r" 'chk("turn.udp.ipv6").status == "pass"'
  jqc "turn.udp.dual: skip, no dual allocation (not: no IPv6 relay), the hint points to turn.udp.ipv6" "$r" \
    'chk("turn.udp.dual") | .status == "skip" and .details.dual_allocation == false and .details.ipv6_relay == null
     and (.summary | test("^no dual allocation over UDP: .*ignores ADDITIONAL-ADDRESS-FAMILY"))
     and (.hint | test("turn\\.udp\\.ipv6 says whether it has an IPv6 relay") and test("no-software-attribute"))'
  jqc "the audit falls back to a second, IPv6, allocation and flags the IPv6 forms" "$r" \
    '(chk("audit.unauthenticated").details | .ipv6_relay == true and (.relayed_ipv6 | startswith("[::1]:")))
     and chk("audit.unique-local").status == "fail" and chk("audit.nat64").status == "fail"
     and (chk("audit.loopback").details.allowed | test("::1"))'
  lab_coturn_stop "$W/nosw"
}

# ------------------------------------------------------------------ 2

check_ipv4_only() {
  local r=$W/v4-default.json
  echo "== 2a. coturn with an IPv4 relay only, default families: 440 is a skip with the reason"
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" "${CREDS[@]}"
  expect_rc "IPv4-only coturn, default (skips do not fail)" 0
  jqc "turn.udp.allocate and relay.udp pass" "$r" '[chk("turn.udp.allocate"), chk("relay.udp")] | all(.status == "pass")'
  jqc "turn.udp.ipv6: skip, 440, says no IPv6 relay and Address Family not Supported" "$r" \
    'chk("turn.udp.ipv6") | .status == "skip" and .details.error_code == 440 and .details.ipv6_relay == false
     and (.summary | test("^no IPv6 relay over UDP: the server answered 440 \\(Address Family not Supported\\)"))
     and (.summary | test("fine if the server relays IPv4 only on purpose"))'
  jqc "turn.udp.ipv6: the hint names relay-ip, listening-ip/relay-ip pairs and --relay-family" "$r" \
    'chk("turn.udp.ipv6").hint | test("relay-ip=<the server.s IPv6 address>") and test("listening-ip/relay-ip pairs")
     and test("--relay-family ipv6")'
  jqc "turn.udp.dual: skip; the IPv4 relay granted, the IPv6 one refused with ADDRESS-ERROR-CODE 440" "$r" \
    'chk("turn.udp.dual") | .status == "skip" and (.details.relayed_ipv4 | startswith("127.0.0.1:"))
     and .details.relayed_ipv6 == null and .details.address_error_family == "IPv6"
     and .details.address_error_code == 440 and (.summary | test("IPv6 one was refused with 440"))'

  r=$W/v4-required.json
  echo "== 2b. --relay-family all: the missing IPv6 relay fails"
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=tcp" --relay-family all "${CREDS[@]}"
  expect_rc "IPv4-only coturn, IPv6 required" 1
  jqc "turn.tcp.ipv6 and turn.tcp.dual fail with 440 and the relay-ip fix" "$r" \
    '[chk("turn.tcp.ipv6"), chk("turn.tcp.dual")] | all(.status == "fail" and (.details.error_code == 440
     or .details.address_error_code == 440) and (.hint | test("relay-ip=") and test("--relay-family asked for it")))'
  jqc "the only failures are the two family checks" "$r" \
    '[.checks[] | select(.status == "fail") | .id] | sort == ["turn.tcp.dual", "turn.tcp.ipv6"]'

  r=$W/v4-ipv4.json
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --relay-family ipv4 "${CREDS[@]}"
  expect_rc "--relay-family ipv4" 0
  jqc "--relay-family ipv4: no turn.*.ipv6 or turn.*.dual" "$r" \
    '[.checks[].id] | sort == ["relay.udp", "turn.udp.allocate"]'

  r=$W/v4-bad.json
  probe "$r" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --relay-family 'ipv7
x' "${CREDS[@]}"
  expect_rc "--relay-family with a bad value" 2
  lab_check "a bad --relay-family: one line naming the value and the choices" \
    test "$(wc -l <"$r.err")" -eq 1 -a -n "$(grep -F 'is ipv4, ipv6, dual or all, not "ipv7\nx"' "$r.err")"
}

# ------------------------------------------------------------------ 3

check_audit_permissive() {
  local r=$W/audit-permissive.json
  echo "== 3. --audit on the permissive dual-stack coturn: the IPv6 forms are flagged"
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --audit \
    --relay-family ipv4 "${CREDS[@]}"
  expect_rc "audit, permissive dual stack" 1
  jqc "audit.unauthenticated: the audit's allocation has an IPv6 relay [::1]" "$r" \
    'chk("audit.unauthenticated") | .status == "pass" and .details.ipv6_relay == true
     and (.details.relayed_ipv6 | startswith("[::1]:"))'
  jqc "audit.loopback: fail, ::1 granted (channel bound) as well as 127.0.0.1" "$r" \
    'chk("audit.loopback") | .status == "fail" and (.details.allowed | test("(^|, )::1 \\(channel bound\\)"))
     and (.details.allowed | test("127\\.0\\.0\\.1"))'
  jqc "audit.link-local: fail, fe80::1 granted" "$r" \
    'chk("audit.link-local") | .status == "fail" and (.details.allowed | test("fe80::1"))'
  jqc "audit.unique-local: fail, fd00::1 and fc00::1 granted, the fix is the fc00::/7 range" "$r" \
    'chk("audit.unique-local") | .status == "fail" and (.details.allowed | test("fd00::1") and test("fc00::1"))
     and (.hint | test("denied-peer-ip=fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))'
  jqc "audit.nat64: fail, the five NAT64 forms granted, the fix names 64:ff9b::7f00:0 and 64:ff9b:1::" "$r" \
    'chk("audit.nat64") | .status == "fail"
     and (.details.allowed | test("64:ff9b::7f00:1") and test("64:ff9b::a00:1") and test("64:ff9b::c0a8:1")
          and test("64:ff9b::a9fe:a9fe") and test("64:ff9b:1::a00:1"))
     and (.hint | test("denied-peer-ip=64:ff9b::7f00:0-64:ff9b::7fff:ffff")
          and test("denied-peer-ip=64:ff9b:1::-64:ff9b:1:ffff:ffff:ffff:ffff:ffff"))'
  jqc "audit.self: pass, the relay addresses 127.0.0.1 and ::1 only" "$r" \
    'chk("audit.self") | .status == "pass" and (.details.allowed | test("127\\.0\\.0\\.1") and test("::1"))'
  jqc "no audit category says not applicable: every IPv6 peer was asked on the IPv6 relay" "$r" \
    '[.checks[] | select(.kind == "audit") | .details.not_applicable] | all(. == null)'
}

# ------------------------------------------------------------------ 4

# coturn 4.6.1 takes ranges, not CIDR; see turn-coturn.sh for the IPv4 list.
HARD_V4=(
  --no-loopback-peers
  --conf-line denied-peer-ip=0.0.0.0-0.255.255.255
  --conf-line denied-peer-ip=10.0.0.0-10.255.255.255
  --conf-line denied-peer-ip=100.64.0.0-100.127.255.255
  --conf-line denied-peer-ip=127.0.0.0-127.255.255.255
  --conf-line denied-peer-ip=169.254.0.0-169.254.255.255
  --conf-line denied-peer-ip=172.16.0.0-172.31.255.255
  --conf-line denied-peer-ip=192.168.0.0-192.168.255.255
  --conf-line denied-peer-ip=::1
  --conf-line denied-peer-ip=fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff
  --conf-line denied-peer-ip=::ffff:0.0.0.0-::ffff:255.255.255.255
)
# The lines the audit's hints give for the IPv6 forms.
HARD_V6=(
  --conf-line denied-peer-ip=fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
  --conf-line denied-peer-ip=64:ff9b::7f00:0-64:ff9b::7fff:ffff
  --conf-line denied-peer-ip=64:ff9b::a00:0-64:ff9b::aff:ffff
  --conf-line denied-peer-ip=64:ff9b::ac10:0-64:ff9b::ac1f:ffff
  --conf-line denied-peer-ip=64:ff9b::c0a8:0-64:ff9b::c0a8:ffff
  --conf-line denied-peer-ip=64:ff9b::a9fe:0-64:ff9b::a9fe:ffff
  --conf-line denied-peer-ip=64:ff9b::6440:0-64:ff9b::647f:ffff
  --conf-line denied-peer-ip=64:ff9b::-64:ff9b::ff:ffff
  --conf-line denied-peer-ip=64:ff9b:1::-64:ff9b:1:ffff:ffff:ffff:ffff:ffff
)

check_audit_hardened() {
  local r=$W/audit-hard.json
  echo "== 4a. --audit on a dual-stack coturn hardened for both families"
  coturn hard --ip6 ::1 "${HARD_V4[@]}" "${HARD_V6[@]}"
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --audit \
    --relay-family ipv4 "${CREDS[@]}"
  # relay.udp fails: the relay pair's own loopback peers are refused too.
  expect_rc "audit, hardened dual stack" 1
  jqc "every audit.* check passes, none allows a peer, none is not applicable" "$r" \
    '[.checks[] | select(.kind == "audit")] | length == 12
     and all(.[]; .status == "pass" and .details.allowed == null and .details.not_applicable == null)'
  jqc "the IPv6 forms are denied: ::1, fe80::1, fd00::1, fc00::1, the five NAT64 forms, ::ffff:127.0.0.1" "$r" \
    '(chk("audit.loopback").details.denied | test("::1"))
     and (chk("audit.link-local").details.denied | test("fe80::1"))
     and (chk("audit.unique-local").details.denied | test("fd00::1") and test("fc00::1"))
     and (chk("audit.nat64").details.denied | test("64:ff9b::7f00:1") and test("64:ff9b::a00:1")
          and test("64:ff9b::c0a8:1") and test("64:ff9b::a9fe:a9fe") and test("64:ff9b:1::a00:1"))
     and (chk("audit.ipv4-mapped").details.denied | test("::ffff:127\\.0\\.0\\.1"))'
  # Ground truth: coturn names the configured range of each denial.
  lab_check "coturn's log: fd00::1 denied in the fc00::/7 range" \
    grep -q "peer IP fd00::1 denied in the range: fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" "$LAB_TURN_LOG"
  lab_check "coturn's log: 64:ff9b::7f00:1 denied in the NAT64 127/8 range" \
    grep -q "peer IP 64:ff9b::7f00:1 denied in the range: 64:ff9b::7f00:0-64:ff9b::7fff:ffff" "$LAB_TURN_LOG"
  lab_coturn_stop "$W/hard"

  r=$W/audit-hard-v4.json
  echo "== 4b. --audit on a dual-stack coturn hardened for IPv4 only: the IPv6 forms stay open"
  coturn hard4 --ip6 ::1 "${HARD_V4[@]}"
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --audit \
    --relay-family ipv4 "${CREDS[@]}"
  expect_rc "audit, hardened for IPv4 only" 1
  jqc "audit.unique-local and audit.nat64 fail; the IPv4 categories pass" "$r" \
    '(chk("audit.unique-local").status == "fail") and (chk("audit.nat64").status == "fail")
     and ([chk("audit.loopback"), chk("audit.private"), chk("audit.metadata"), chk("audit.link-local")]
          | all(.status == "pass"))'
  jqc "audit.nat64: the hint says who reaches it and how to close it" "$r" \
    'chk("audit.nat64").hint | test("^anyone with TURN credentials") and test("denied-peer-ip=64:ff9b::a9fe:0")'
  lab_coturn_stop "$W/hard4"
}

# ------------------------------------------------------------------ 5

check_audit_ipv4_only() {
  local r=$W/audit-v4.json
  echo "== 5. --audit on the IPv4-only coturn: IPv6 peers are not applicable, not refused"
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --audit \
    --relay-family ipv4 "${CREDS[@]}"
  jqc "audit.unauthenticated: no IPv6 relay" "$r" 'chk("audit.unauthenticated").details.ipv6_relay == false'
  jqc "audit.unique-local and audit.nat64: skip, not applicable, 440 to the dual Allocate" "$r" \
    '[chk("audit.unique-local"), chk("audit.nat64")] | all(.status == "skip"
     and (.summary | test("^not applicable: the server has no IPv6 relay \\(440 to the audit.s dual Allocate\\)")))'
  jqc "audit.loopback: ::1 is listed as not applicable (no IPv6 relay), never as denied" "$r" \
    'chk("audit.loopback") | (.details.not_applicable | test("::1 \\(no IPv6 relay\\)"))
     and ((.details.denied // "") | test("::1") | not) and (.details.allowed | test("127\\.0\\.0\\.1"))'
  jqc "audit.unspecified: 0.0.0.0 refused, :: not applicable; the summary says which" "$r" \
    'chk("audit.unspecified") | .status == "pass" and (.summary | test("refused \\(1 tested\\); not applicable: ::,"))'
}

main() {
  lab_require turnserver turnutils_stunclient jq ss openssl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/' || lab_skip "no ::1 on the loopback interface"
  W=$(lab_tmpdir)

  coturn dual --ip6 ::1
  check_dual_stack
  check_audit_permissive
  lab_coturn_stop "$W/dual"

  coturn v4
  check_ipv4_only
  check_audit_ipv4_only
  lab_coturn_stop "$W/v4"

  check_audit_hardened
  check_no_software
  lab_finish
}

lab_init
main "$@"
