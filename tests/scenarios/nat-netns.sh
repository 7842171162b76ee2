#!/bin/bash
# rtcprobe's RFC 5780 NAT behaviour discovery against ground truth the test
# builds itself: a client namespace behind a router namespace that NATs with
# nftables, and a server namespace where coturn listens on two addresses (so
# it offers OTHER-ADDRESS). Linux masquerade keeps one public port for every
# destination (endpoint-independent mapping) and conntrack admits only
# replies from the exact peer (address-and-port-dependent filtering); with
# "random" the router picks a new port for each destination, which is a
# symmetric NAT. A direct route without NAT must read as "no NAT".
# Nothing leaves the three namespaces. Env: RTCPROBE. Exit 0/1/77.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=10

NS_C=rp-natc-$$
NS_R=rp-natr-$$
NS_S=rp-nats-$$
# RFC 2544 benchmarking addresses, inside these namespaces only.
CLI=198.18.10.2
RTR_IN=198.18.10.1
RTR_OUT=198.18.20.1
SRV_A=198.18.20.2
SRV_B=198.18.20.3

preflight() {
  lab_require ip nft turnserver jq
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  lab_netns_make "$NS_C" "$NS_R" "$NS_S"
}

make_network() {
  ip link add rpnc$$ netns "$NS_C" type veth peer name rpnr$$ netns "$NS_R"
  ip link add rpns$$ netns "$NS_S" type veth peer name rpno$$ netns "$NS_R"
  for ns in "$NS_C" "$NS_R" "$NS_S"; do ip -n "$ns" link set lo up; done
  ip -n "$NS_C" addr add "$CLI/24" dev rpnc$$
  ip -n "$NS_R" addr add "$RTR_IN/24" dev rpnr$$
  ip -n "$NS_R" addr add "$RTR_OUT/24" dev rpno$$
  ip -n "$NS_S" addr add "$SRV_A/24" dev rpns$$
  ip -n "$NS_S" addr add "$SRV_B/24" dev rpns$$
  ip -n "$NS_C" link set rpnc$$ up
  ip -n "$NS_R" link set rpnr$$ up
  ip -n "$NS_R" link set rpno$$ up
  ip -n "$NS_S" link set rpns$$ up
  ip -n "$NS_C" route add default via "$RTR_IN"
  # Without NAT the server needs a route back to the client's network.
  ip -n "$NS_S" route add 198.18.10.0/24 via "$RTR_OUT"
  ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
}

# FLAGS: "" (plain masquerade), "random" (a new port per destination), or
# "none" (routing only).
set_nat() {
  local flags=$1
  ip netns exec "$NS_R" nft delete table ip rpnat 2>/dev/null || true
  ip netns exec "$NS_R" conntrack -F 2>/dev/null || true
  [[ $flags == none ]] && return 0
  ip netns exec "$NS_R" nft -f - <<NFT
table ip rpnat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "rpno$$" masquerade $flags
  }
}
NFT
}

probe() { # out, args...: lab_probe (tests/lab/lib.sh) inside the client namespace
  local out=$1
  shift
  LAB_PROBE_NETNS="$NS_C" LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" --timeout "$TIMEOUT" "$@"
}

nat_is() { # FILE WHAT MAPPING FILTERING STATUS
  lab_jq_check "$2: nat mapping $3, filtering $4, status $5" "$1" \
    '[.checks[] | select(.kind == "nat")][0] | .details.mapping == $m and .details.filtering == $f and .status == $s' \
    --arg m "$3" --arg f "$4" --arg s "$5"
}

main() {
  preflight
  make_network
  W=$(lab_tmpdir)
  P=$(lab_free_port both "$NS_S")
  # Two listening addresses and coturn's alternate port (P+1) make it an
  # RFC 5780 server: it answers CHANGE-REQUEST and sends OTHER-ADDRESS.
  lab_coturn_start "$W/turn" --netns "$NS_S" --ip "$SRV_A" --port "$P" -- \
    "--listening-ip=$SRV_B" "--alt-listening-port=$((P + 1))" ||
    { echo "could not start coturn in $NS_S" >&2; exit 1; }

  echo "== routing only: no NAT"
  set_nat none
  probe "$W/none.json" stun "stun:$SRV_A:$P"
  lab_jq_check "stun.udp passes and reports OTHER-ADDRESS $SRV_B:$((P + 1))" "$W/none.json" \
    '.checks[0].status == "pass" and .checks[0].details.other_address == $o' --arg o "$SRV_B:$((P + 1))"
  nat_is "$W/none.json" "no NAT" no-nat endpoint-independent pass
  lab_jq_check "no NAT: mapped address is the client's own $CLI" "$W/none.json" \
    '.checks[0].details.mapped_address | startswith($c + ":")' --arg c "$CLI"

  echo "== masquerade: endpoint-independent mapping, address-and-port-dependent filtering"
  set_nat ""
  probe "$W/masq.json" stun "stun:$SRV_A:$P"
  lab_jq_check "masquerade: mapped address is the router's $RTR_OUT" "$W/masq.json" \
    '.checks[0].details.mapped_address | startswith($r + ":")' --arg r "$RTR_OUT"
  nat_is "$W/masq.json" masquerade endpoint-independent address-and-port-dependent pass
  lab_check "masquerade: finished within $TIMEOUT s (took $MS ms)" test "$MS" -le $((TIMEOUT * 1000))

  echo "== masquerade random: a new public port per destination (symmetric NAT)"
  set_nat random
  probe "$W/random.json" stun "stun:$SRV_A:$P"
  nat_is "$W/random.json" "masquerade random" address-and-port-dependent address-and-port-dependent warn
  lab_jq_check "symmetric NAT: the hint says calls need the TURN relay" "$W/random.json" \
    '[.checks[] | select(.kind == "nat")][0].hint | test("TURN")'

  lab_finish
}

lab_init
main "$@"
