#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# ICE over IPv6 from an IPv6-only client behind a NAT66 router, through a
# dual-stack coturn: three namespaces joined by veth pairs.
#   server  198.18.48.2 and 2001:db8:48::2, coturn listening and relaying on
#           both, allocation-default-address-family=keep (an Allocate over
#           IPv6 without REQUESTED-ADDRESS-FAMILY gets an IPv6 relay: libnice
#           and browsers never send that attribute)
#   router  forwards IPv6 and masquerades it toward the server (nftables NAT66)
#   client  2001:db8:47::2 only, no IPv4 address or route
# Asserted:
#   1. `ice` gathers an IPv6 host, an IPv6 server-reflexive (the router's
#      address, so the NAT66 was seen) and an IPv6 relay candidate (coturn's
#      relay range), and connects with the selected pair's family ipv6,
#      10 of 10 echoes back.
#   2. The same coturn without `keep` (RFC 6156 4.2's default: an IPv4
#      relay when the Allocate names no family): the relay candidate is IPv4
#      although the client reached coturn over IPv6, and ICE connects relay
#      to relay over IPv4 (selected_family ipv4): an IPv6-only client still
#      reaches IPv4 peers through the relay.
# Nothing leaves the namespaces: the router has no other link.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=10

NS_S=rp-i6s-$$
NS_R=rp-i6r-$$
NS_C=rp-i6c-$$
SRV4=198.18.48.2
SRV6=2001:db8:48::2
RTR_S6=2001:db8:48::1
RTR_S4=198.18.48.1
RTR_C6=2001:db8:47::1
CLI6=2001:db8:47::2
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

preflight() {
  lab_require ip nft turnserver jq
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  lab_netns_make "$NS_S" "$NS_R" "$NS_C"
}

link() { # ns-a if-a ns-b if-b
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}

make_network() {
  local ns
  for ns in "$NS_S" "$NS_R" "$NS_C"; do
    ip -n "$ns" link set lo up
  done
  link "$NS_S" is$$ "$NS_R" rs$$
  link "$NS_C" ic$$ "$NS_R" rc$$
  ip -n "$NS_S" addr add "$SRV4/24" dev is$$
  ip -n "$NS_S" -6 addr add "$SRV6/64" dev is$$ nodad
  ip -n "$NS_S" -6 route add default via "$RTR_S6"
  ip -n "$NS_R" addr add "$RTR_S4/24" dev rs$$
  ip -n "$NS_R" -6 addr add "$RTR_S6/64" dev rs$$ nodad
  ip -n "$NS_R" -6 addr add "$RTR_C6/64" dev rc$$ nodad
  ip -n "$NS_C" -6 addr add "$CLI6/64" dev ic$$ nodad
  ip -n "$NS_C" -6 route add default via "$RTR_C6"
  ip netns exec "$NS_R" sysctl -qw net.ipv6.conf.all.forwarding=1
  ip netns exec "$NS_R" nft -f - <<EOF
table ip6 rpi6nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "rs$$" masquerade
  }
}
EOF
}

probe() { # out, args...
  local out=$1
  shift
  LAB_PROBE_NETNS="$NS_C" LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" "$@"
}

jqc() { # what, file, expr (chk(ID) available), [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

coturn() { # dir, extra lab_coturn_start options...
  local dir=$1
  shift
  lab_coturn_start "$dir" --netns "$NS_S" --ip "$SRV4" --ip6 "$SRV6" --port "$P" "$@" ||
    { echo "could not start coturn in $NS_S" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$dir/env"
}

ice_run() { # out
  probe "$1" --timeout "$TIMEOUT" ice --turn "turn:[$SRV6]:$P?transport=udp" --stun "stun:[$SRV6]:$P" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
}

ipv6_relay() {
  local r=$W/ice-keep.json
  echo "== 1. IPv6-only client behind NAT66, coturn keeps the client's family"
  coturn "$W/keep" --conf-line allocation-default-address-family=keep
  ice_run "$r"
  lab_check "exit 0 (got $RC)" test "$RC" -eq 0
  jqc "the vantage: IPv6-only, no IPv4 route" "$r" \
    '.vantage.network == "ipv6-only" and (.vantage.ipv4_route | startswith("none"))'
  jqc "ice.gather.udp: an IPv6 host candidate, $CLI6" "$r" \
    'chk("ice.gather.udp").details.candidates | test("host udp \\[" + $a + "\\]:[0-9]+ ")' --arg a "$CLI6"
  jqc "ice.gather.udp: an IPv6 server-reflexive candidate, the router's $RTR_S6 (NAT66 seen)" "$r" \
    'chk("ice.gather.udp").details.candidates | test("srflx udp \\[" + $a + "\\]:[0-9]+ ")' --arg a "$RTR_S6"
  jqc "ice.gather.udp: an IPv6 relay candidate, [$SRV6]:<port in the relay range>" "$r" \
    '[chk("ice.gather.udp").details.candidates | scan("relay udp \\[" + $a + "\\]:([0-9]+) ")[0] | tonumber]
     | length >= 1 and all(. >= $min and . <= $max)' \
    --arg a "$SRV6" --argjson min "$LAB_TURN_RELAY_MIN" --argjson max "$LAB_TURN_RELAY_MAX"
  jqc "ice.gather.udp: every candidate IPv6 (ipv6_candidates == all)" "$r" \
    'chk("ice.gather.udp").metrics | .ipv6_candidates >= 3
     and .ipv6_candidates == .host_candidates + .srflx_candidates + .relay_candidates'
  jqc "ice.udp: connected over IPv6 (selected_family ipv6), relay on [$SRV6], 10 of 10 back" "$r" \
    'chk("ice.udp") | .status == "pass" and .details.selected_family == "ipv6"
     and .details.local_type == "relay" and (.details.local_address | startswith("[" + $a + "]:"))
     and .details.packets_received == 10' --arg a "$SRV6"
  lab_coturn_stop "$W/keep"
}

ipv4_relay_only() {
  local r=$W/ice-default.json
  echo "== 2. the same coturn with RFC 6156's default: an IPv4 relay for an IPv6-only client"
  coturn "$W/default"
  ice_run "$r"
  lab_check "exit 0 (got $RC)" test "$RC" -eq 0
  jqc "ice.gather.udp: the relay candidate is IPv4 ($SRV4), no IPv6 relay" "$r" \
    'chk("ice.gather.udp").details.candidates | test("relay udp " + $a + ":[0-9]+ ")
     and (test("relay udp \\[") | not)' --arg a "$SRV4"
  jqc "ice.udp: relay to relay over IPv4 (selected_family ipv4), 10 of 10 back" "$r" \
    'chk("ice.udp") | .status == "pass" and .details.selected_family == "ipv4"
     and .details.local_type == "relay" and .details.remote_type == "relay"
     and .details.packets_received == 10'
  jq -r '.checks[] | select(.id == "ice.udp") | "#   ice.udp: \(.summary)"' "$r" || true
}

main() {
  preflight
  make_network
  W=$(lab_tmpdir)
  P=$(lab_free_port both "$NS_S")
  echo "# $NS_S: coturn on $SRV4 and [$SRV6]:$P; $NS_R: NAT66; $NS_C: IPv6 only ($CLI6)"
  ipv6_relay
  ipv4_relay_only
  lab_finish
}

lab_init
main "$@"
