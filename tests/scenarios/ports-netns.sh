#!/bin/bash
# rtcprobe `ports` across a firewall the test builds itself: two network
# namespaces (client, server) joined by a veth pair, coturn in the server
# namespace, and nftables rules on the server's input chain that drop or
# reject chosen ports the way a remote firewall does. Asserts every port's
# details.state and status, that an all-drop host ends within the deadline,
# and the same over IPv6 with -6.
# Nothing here leaves the two namespaces: the client has no route but the veth.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=8

NS_C=rp-cli-$$
NS_S=rp-srv-$$
VETH_C=rpc$$
VETH_S=rps$$
# RFC 2544 benchmarking range and a ULA prefix: addresses that exist only
# inside these namespaces.
SRV4=198.18.0.2
CLI4=198.18.0.1
DROP4=198.18.0.3 # on the server, every packet to it dropped
SRV6=fd72:7072:6f62::2
CLI6=fd72:7072:6f62::1
DROP6=fd72:7072:6f62::3

preflight() {
  lab_require ip nft turnserver turnutils_stunclient jq ss openssl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  lab_netns_make "$NS_C" "$NS_S"
}

# Two namespaces, one veth; the server gets an extra address behind a full drop.
make_network() {
  ip link add "$VETH_C" netns "$NS_C" type veth peer name "$VETH_S" netns "$NS_S"
  ip -n "$NS_C" link set lo up
  ip -n "$NS_S" link set lo up
  ip -n "$NS_C" addr add "$CLI4/24" dev "$VETH_C"
  ip -n "$NS_S" addr add "$SRV4/24" dev "$VETH_S"
  ip -n "$NS_S" addr add "$DROP4/24" dev "$VETH_S"
  # nodad: usable at once instead of after duplicate address detection.
  ip -n "$NS_C" addr add "$CLI6/64" dev "$VETH_C" nodad
  ip -n "$NS_S" addr add "$SRV6/64" dev "$VETH_S" nodad
  ip -n "$NS_S" addr add "$DROP6/64" dev "$VETH_S" nodad
  ip -n "$NS_C" link set "$VETH_C" up
  ip -n "$NS_S" link set "$VETH_S" up
  # ICMP errors must not be rate limited away: "closed" has to be seen every time.
  ip netns exec "$NS_S" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
}

# Impair on the receiving side, as a remote firewall would (see doc/internals/ARCHITECTURE.md, "The lab").
make_firewall() {
  ip netns exec "$NS_S" nft -f - <<EOF
table inet rplab {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$VETH_S" ip daddr $DROP4 drop
    iifname "$VETH_S" ip6 daddr $DROP6 drop
    iifname "$VETH_S" tcp dport $PD drop
    iifname "$VETH_S" tcp dport $PR reject with tcp reset
    iifname "$VETH_S" udp dport $PU reject with icmpx type port-unreachable
    iifname "$VETH_S" udp dport $PQ drop
  }
}
EOF
}

pick_ports() {
  P=$(lab_free_port both "$NS_S")   # coturn, UDP and TCP
  PD=$(lab_free_port tcp "$NS_S")   # tcp, dropped
  PR=$(lab_free_port tcp "$NS_S")   # tcp, rejected with RST
  PN=$(lab_free_port tcp "$NS_S")   # tcp, nothing listens
  PU=$(lab_free_port udp "$NS_S")   # udp, rejected with ICMP port unreachable
  PQ=$(lab_free_port udp "$NS_S")   # udp, dropped
  LIST="$P/tcp,$P/udp,$PD/tcp,$PR/tcp,$PN/tcp,$PU/udp,$PQ/udp"
}

probe() { # out, args...: lab_probe (tests/lab/lib.sh) inside the client namespace
  local out=$1
  shift
  LAB_PROBE_NETNS="$NS_C" LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" "$@"
}


# expect FILE PORT/PROTO STATE STATUS
expect() {
  local r=$1 id=port.$2 state=$3 status=$4
  lab_jq_check "$id: state $state, status $status" "$r" \
    "$LAB_JQ_DEFS chk(\$id) | .kind == \"port\" and .details.state == \$state and .status == \$status" \
    --arg id "$id" --arg state "$state" --arg status "$status"
}

# The firewall map, from ADDR (the server's address for that family).
check_map() {
  local r=$1 addr=$2 fam=$3
  lab_check "$fam: exit code 1, some ports fail (got $RC)" test "$RC" -eq 1
  lab_check "$fam: finished within $((TIMEOUT + 1))s (took $MS ms)" test "$MS" -le $(((TIMEOUT + 1) * 1000))
  lab_jq_check "$fam: schema rtcprobe.report/1 with 7 port checks" "$r" \
    '.schema == "rtcprobe.report/1" and ([.checks[] | select(.kind == "port")] | length) == 7'
  expect "$r" "$P/tcp" open pass
  lab_jq_check "port.$P/tcp: metrics.connect_ms is a number >= 0" "$r" \
    "$LAB_JQ_DEFS chk(\$id).metrics.connect_ms | type == \"number\" and . >= 0" --arg id "port.$P/tcp"
  # The kernel's own handshake RTT (TCP_INFO): present, and never more than
  # the connect time the probe measured around it.
  lab_jq_check "port.$P/tcp: metrics.handshake_rtt_ms > 0 and <= connect_ms" "$r" \
    "$LAB_JQ_DEFS chk(\$id).metrics | .handshake_rtt_ms > 0 and .handshake_rtt_ms <= .connect_ms" --arg id "port.$P/tcp"
  expect "$r" "$P/udp" open pass
  expect "$r" "$PD/tcp" filtered fail
  expect "$r" "$PR/tcp" closed fail
  expect "$r" "$PN/tcp" closed fail
  expect "$r" "$PU/udp" closed fail
  expect "$r" "$PQ/udp" "open|filtered" warn
  lab_jq_check "$fam: every check names the address $addr" "$r" \
    'all(.checks[]; .details.address == $a)' --arg a "$addr"
  lab_jq_check "$fam: summary pass=2 warn=1 fail=4" "$r" \
    '.summary.pass == 2 and .summary.warn == 1 and .summary.fail == 4'
}

# Every packet to the host dropped: TCP filtered (fail), UDP open|filtered
# (warn), and the run still ends at the deadline.
check_all_drop() {
  local r=$1 fam=$2 t=4 id
  lab_check "$fam all-drop: exit code 1 (got $RC)" test "$RC" -eq 1
  lab_check "$fam all-drop: finished within $((t + 1))s (took $MS ms)" test "$MS" -le $(((t + 1) * 1000))
  for id in "$P/tcp" "$PD/tcp" "$PR/tcp" "$PN/tcp"; do
    expect "$r" "$id" filtered fail
  done
  for id in "$P/udp" "$PU/udp" "$PQ/udp"; do
    expect "$r" "$id" "open|filtered" warn
  done
}

main() {
  preflight
  make_network
  pick_ports
  make_firewall
  W=$(lab_tmpdir)
  lab_coturn_start "$W/turn" --netns "$NS_S" --ip "$SRV4" --port "$P" -- \
    "--listening-ip=$SRV6" "--relay-ip=$SRV6" || { echo "could not start coturn in $NS_S" >&2; exit 1; }
  echo "# $NS_S: coturn on $SRV4 and [$SRV6] port $P; drop tcp $PD, rst tcp $PR, none tcp $PN," \
    "icmp-reject udp $PU, drop udp $PQ; $DROP4 and $DROP6 drop everything"
  lab_check "coturn answers STUN on [$SRV6]:$P/udp (turnutils_stunclient)" \
    lab_stun_ping "$SRV6" "$P" "$NS_S"

  echo "== IPv4 port map"
  probe "$W/v4.json" --timeout "$TIMEOUT" ports "$SRV4" --ports "$LIST"
  check_map "$W/v4.json" "$SRV4" IPv4

  echo "== IPv4 host behind a full drop"
  probe "$W/v4-drop.json" --timeout 4 ports "$DROP4" --ports "$LIST"
  check_all_drop "$W/v4-drop.json" IPv4

  echo "== IPv6 port map (-6)"
  probe "$W/v6.json" --timeout "$TIMEOUT" -6 ports "$SRV6" --ports "$LIST"
  check_map "$W/v6.json" "$SRV6" IPv6

  echo "== IPv6 host behind a full drop (-6)"
  probe "$W/v6-drop.json" --timeout 4 -6 ports "$DROP6" --ports "$LIST"
  check_all_drop "$W/v6-drop.json" IPv6

  lab_finish
}

lab_init
main "$@"
