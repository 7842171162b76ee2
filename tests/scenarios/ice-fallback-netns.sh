#!/bin/bash
# rtcprobe `ice` from a client behind NAT, the way a caller on a restrictive
# network sees a deployment: three namespaces (client, masquerading router,
# server; tests/lab lab_nat_topology_start), coturn in the server namespace
# listening on its own address and relaying from it (relays are not
# loopback: no allow-loopback-peers), and the router's forward chain
# filtering what the client may send:
#   1. open: ICE completes through TURN over UDP, TCP and TLS.
#   2. all UDP from the client dropped: ice.udp fails, ice.tcp and ice.tls
#      connect (relay <-> relay through TURN over TCP/TLS), and the
#      verdict says voice falls back to TCP and TLS.
#   3. only TCP 443 open (coturn's TLS port is 443): only turns:...:443 works.
# The selected pair is asserted in each, and the router's drop counter proves
# the filter was hit. Every run is bounded by --timeout; wall time asserted.
# Traffic: only inside the namespaces made here.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=15
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

preflight() {
  [[ $(id -u) -eq 0 ]] || lab_skip "needs root for network namespaces"
  lab_require ip nft turnserver turnutils_stunclient jq ss openssl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  ip netns add "rp-icepre-$$" 2>/dev/null || lab_skip "ip netns add does not work here"
  ip netns exec "rp-icepre-$$" nft list tables >/dev/null 2>&1 || { ip netns del "rp-icepre-$$"; lab_skip "nftables unusable in a namespace"; }
  ip netns del "rp-icepre-$$"
}

probe() { # out, args...: lab_probe (tests/lab/lib.sh) inside the client namespace
  local out=$1
  shift
  LAB_PROBE_NETNS="$LAB_NS_CLIENT" LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" "$@"
}

jqc() { # what, file, expr (chk(ID) available), [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

start_coturn() { # name, tls port
  lab_coturn_start "$W/$1" --netns "$LAB_NS_SERVER" --ip "$LAB_SERVER_IP" --port "$P" --tls-port "$2" \
    --no-loopback-peers || { echo "could not start coturn ($1) in $LAB_NS_SERVER" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/$1/env"
  echo "# $LAB_NS_SERVER: coturn '$1' on $LAB_SERVER_IP: $P udp/tcp, $2 tls, relays $LAB_TURN_RELAY_MIN-$LAB_TURN_RELAY_MAX"
}

run_ice() { # report, tls port
  probe "$1" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" ice \
    --turn "turn:$LAB_SERVER_IP:$P?transport=udp" --turn "turn:$LAB_SERVER_IP:$P?transport=tcp" \
    --turn "turns:$LAB_SERVER_IP:$2" --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
}

# ice.$t passes with A's relay (from the server's address, in the relay
# range) on the selected pair, and the far side of one of the given types.
expect_ready() { # what, report, transport, remote types (jq array)
  jqc "$1: ice.$3 pass, connected, 10/10 echoes" "$2" \
    'chk($id) | .status == "pass" and (.details.ice_state | IN("connected", "ready")) and .details.packets_received == 10' --arg id "ice.$3"
  jqc "$1: ice.$3 selected pair: local relay on $LAB_SERVER_IP:<relay range>, remote one of $4" "$2" \
    'chk($id).details | .local_type == "relay" and (.remote_type as $rt | $types | index($rt) != null)
     and (.local_address | capture("^(?<a>[0-9.]+):(?<p>[0-9]+)$") | .a == $srv and (.p | tonumber) >= $min
          and (.p | tonumber) <= $max)' \
    --arg id "ice.$3" --argjson types "$4" --arg srv "$LAB_SERVER_IP" \
    --argjson min "$LAB_TURN_RELAY_MIN" --argjson max "$LAB_TURN_RELAY_MAX"
}

expect_fail() { # what, report, transport
  jqc "$1: ice.$3 fail, no relay candidate, ice.gather.$3 fail with relay_candidates 0" "$2" \
    'chk("ice." + $t) | .status == "fail" and (.summary | test("no relay candidate"))' --arg t "$3"
  jqc "$1: ice.gather.$3 fail with relay_candidates 0" "$2" \
    'chk("ice.gather." + $t) | .status == "fail" and .metrics.relay_candidates == 0' --arg t "$3"
}

scenario_open() {
  local r=$W/open.json t
  echo "== 1. open network behind NAT: ICE through UDP, TCP and TLS"
  lab_router_filter open
  run_ice "$r" "$T"
  lab_check "open: exit code 0 (got $RC)" test "$RC" -eq 0
  lab_check "open: finished within 10 s (took $MS ms)" test "$MS" -le 10000
  for t in udp tcp tls; do
    expect_ready "open" "$r" "$t" '["host", "srflx", "prflx", "relay"]'
    jqc "open: ice.gather.$t relay candidate from $LAB_SERVER_IP" "$r" \
      'chk($id).details.candidates | contains("relay udp " + $srv + ":")' --arg id "ice.gather.$t" --arg srv "$LAB_SERVER_IP"
  done
  # Through the NAT: the server-reflexive address is the router's WAN address.
  jqc "open: ice.gather.udp has a srflx candidate on the router's $LAB_ROUTER_WAN_IP" "$r" \
    'chk("ice.gather.udp") | .metrics.srflx_candidates >= 1 and (.details.candidates | contains("srflx udp " + $wan + ":"))' \
    --arg wan "$LAB_ROUTER_WAN_IP"
  jqc "open: ice.verdict pass" "$r" 'chk("ice.verdict").status == "pass"'
}

scenario_no_udp() {
  local r=$W/noudp.json before after
  echo "== 2. all UDP from the client dropped at the router: fallback to TURN over TCP and TLS"
  lab_router_filter no-udp
  before=$(lab_router_dropped)
  run_ice "$r" "$T"
  after=$(lab_router_dropped)
  lab_check "no-udp: exit code 1 (got $RC)" test "$RC" -eq 1
  # libnice gives up on UDP after about 4.5 s; our own client, started beside
  # it, has the explanation by about 7 s: the run must not wait for --timeout.
  lab_check "no-udp: ended on its own, $((TIMEOUT - 3)) s or less of the $TIMEOUT s deadline (took $MS ms)" \
    test "$MS" -le $(((TIMEOUT - 3) * 1000))
  lab_check "no-udp: the router dropped the client's UDP ($before -> $after packets)" test "$after" -gt "$before"
  expect_fail "no-udp" "$r" udp
  jqc "no-udp: ice.gather.udp says UDP gets no answer" "$r" \
    'chk("ice.gather.udp") | (.summary + " " + .hint) | test("no answer|gets no answer")'
  # Both agents are behind the same filter: only relay <-> relay is left.
  expect_ready "no-udp" "$r" tcp '["relay"]'
  expect_ready "no-udp" "$r" tls '["relay"]'
  jqc "no-udp: ice.verdict warn, voice falls back to TURN over TCP, TLS" "$r" \
    'chk("ice.verdict") | .status == "warn" and .details.works == "TCP, TLS" and .details.fails == "UDP"
     and (.summary | test("voice falls back to TCP, TLS"))'
}

scenario_tcp443_only() {
  local r=$W/tcp443.json before after
  echo "== 3. only TCP 443 open: only turns: on 443 works"
  lab_coturn_stop "$W/plain"
  start_coturn tls443 443
  lab_router_filter tcp443-only
  before=$(lab_router_dropped)
  run_ice "$r" 443
  after=$(lab_router_dropped)
  lab_check "tcp443: exit code 1 (got $RC)" test "$RC" -eq 1
  lab_check "tcp443: ended on its own, $((TIMEOUT - 3)) s or less of the $TIMEOUT s deadline (took $MS ms)" \
    test "$MS" -le $(((TIMEOUT - 3) * 1000))
  lab_check "tcp443: the router dropped the client's other traffic ($before -> $after packets)" test "$after" -gt "$before"
  expect_fail "tcp443" "$r" udp
  jqc "tcp443: ice.tcp fail (port $P/tcp filtered)" "$r" 'chk("ice.tcp").status == "fail"'
  jqc "tcp443: ice.gather.tcp fail, relay_candidates 0, the handshake filtered" "$r" \
    'chk("ice.gather.tcp") | .status == "fail" and .metrics.relay_candidates == 0 and .details.net == "filtered"
     and (.summary | test("filtered: no answer to the TCP handshake within"))'
  expect_ready "tcp443" "$r" tls '["relay"]'
  jqc "tcp443: ice.tls target is turns:$LAB_SERVER_IP:443, verified" "$r" \
    'chk("ice.tls") | (.target | endswith(":443")) and .details.tls_verified == true'
  jqc "tcp443: ice.verdict warn, only TLS works" "$r" \
    'chk("ice.verdict") | .status == "warn" and .details.works == "TLS" and (.summary | test("voice falls back to TLS"))'
}

main() {
  preflight
  W=$(lab_tmpdir)
  lab_nat_topology_start "rp-ice$$"
  P=$(lab_free_port both "$LAB_NS_SERVER")
  T=$(lab_free_port both "$LAB_NS_SERVER")
  # The server certificate must name the server's address for turns: to verify.
  export LAB_CERT_EXTRA_SAN="IP:$LAB_SERVER_IP"
  start_coturn plain "$T"
  scenario_open
  scenario_no_udp
  scenario_tcp443_only
  lab_finish
}

lab_init
main "$@"
