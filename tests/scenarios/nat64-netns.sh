#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# rtcprobe from an IPv6-only network behind NAT64 and DNS64, as many mobile
# carriers give phones: four namespaces joined by veth pairs.
#   server   IPv4 only (198.18.1.2), coturn
#   gateway  tayga (NAT64, 2001:db8:64::/96) masquerading to the server's side;
#            unbound with dns64 for the IPv6-only client, a plain unbound for
#            the dual-stack one, both answering only from their zone file
#   c6       IPv6 only (2001:db8:6::2), its resolver the DNS64 unbound
#   c46      dual stack (198.18.2.2, 2001:db8:46::2), the plain unbound
# Asserted:
#   1. c6: the vantage says IPv6-only, DNS64, NAT64 with prefix 2001:db8:64::/96,
#      no CLAT; `turn` by name works through NAT64 (allocation and relayed
#      data over UDP and TCP), and says which IPv4 address it reached.
#   2. c6: `turn`, `ports` and `stun` with the IPv4 literal fail at once (no
#      IPv4 route: under 2 s with --timeout 10), say "no IPv4 route from this
#      network", and the hint names the cause (IPv6-only behind NAT64, the
#      prefix, the literal) and the fix.
#   3. c46: the same runs work and the vantage says no NAT64, no DNS64 (no
#      false positive), with no IPv6-only words in any hint.
#   4. c6 with a CLAT (464XLAT, as Android's clatd: tayga in c6 holding
#      192.0.0.1 with the IPv4 default route, translating into the NAT64
#      prefix): the vantage says clat true, and the IPv4-literal TURN URI that
#      failed in 2 now allocates and relays, with no IPv6-only hint.
# Nothing leaves the namespaces: the gateway has no other link.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"
source "$HERE/../lab/nat64.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=6

NS_S=rp-n64s-$$
NS_G=rp-n64g-$$
NS_C6=rp-n64c6-$$
NS_C46=rp-n64d-$$
SRV4=198.18.1.2
GW4=198.18.1.1
GW6=2001:db8:6::1
C6=2001:db8:6::2
GW46_4=198.18.2.1
GW46_6=2001:db8:46::1
C46_4=198.18.2.2
C46_6=2001:db8:46::2
NAME=turn.example.test
# 198.18.1.2 under the lab's NAT64 prefix 2001:db8:64::/96 (RFC 6052 2.2).
SYNTH=2001:db8:64::c612:102
# The CLAT's IPv6 side (a /64 of its own, routed to c6 by the gateway).
CLAT6=2001:db8:c1a7::1
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET
# lab_init turns the vantage's ipv4only.arpa lookup off; here it goes to the
# namespaces' own unbound.
# shellcheck disable=SC2034  # read by lab_probe (tests/lab/lib.sh)
LAB_PROBE_ENV=(-u RTCPROBE_VANTAGE_DNS64)

preflight() {
  lab_require ip nft turnserver jq ss tayga unbound unbound-checkconf
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  [[ -c /dev/net/tun ]] || lab_skip "no /dev/net/tun for tayga"
  lab_netns_make "$NS_S" "$NS_G" "$NS_C6" "$NS_C46"
}

link() { # ns-a if-a ns-b if-b
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}

make_network() {
  local ns
  for ns in "$NS_S" "$NS_G" "$NS_C6" "$NS_C46"; do
    ip -n "$ns" link set lo up
  done
  link "$NS_S" ns$$ "$NS_G" gs$$
  link "$NS_C6" c6$$ "$NS_G" g6$$
  link "$NS_C46" cd$$ "$NS_G" gd$$
  ip -n "$NS_S" addr add "$SRV4/24" dev ns$$
  ip -n "$NS_S" route add default via "$GW4"
  ip -n "$NS_G" addr add "$GW4/24" dev gs$$
  ip -n "$NS_G" -6 addr add "$GW6/64" dev g6$$ nodad
  ip -n "$NS_G" addr add "$GW46_4/24" dev gd$$
  ip -n "$NS_G" -6 addr add "$GW46_6/64" dev gd$$ nodad
  ip -n "$NS_C6" -6 addr add "$C6/64" dev c6$$ nodad
  ip -n "$NS_C6" -6 route add default via "$GW6"
  ip -n "$NS_C46" addr add "$C46_4/24" dev cd$$
  ip -n "$NS_C46" route add default via "$GW46_4"
  ip -n "$NS_C46" -6 addr add "$C46_6/64" dev cd$$ nodad
  ip -n "$NS_C46" -6 route add default via "$GW46_6"
}

probe() { # ns, out, args...: lab_probe inside the namespace, the vantage's lookup on
  local ns=$1 out=$2
  shift 2
  LAB_PROBE_NETNS="$ns" LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" "$@"
}

jqc() { # what, file, expr (chk(ID) available), [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

creds() { echo --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"; }

run_ipv6_only() {
  local r=$W/c6-name.json l=$W/c6-literal.json t
  echo "== 1. IPv6-only client, TURN by name through NAT64"
  # shellcheck disable=SC2046
  probe "$NS_C6" "$r" --timeout "$TIMEOUT" turn "turn:$NAME:$P" "turn:$NAME:$P?transport=tcp" $(creds)
  lab_check "c6 by name: exit 0 (got $RC)" test "$RC" -eq 0
  lab_check "c6 by name: finished within $((TIMEOUT + 1)) s (took $MS ms)" test "$MS" -le $(((TIMEOUT + 1) * 1000))
  jqc "c6: vantage network ipv6-only, no IPv4 route" "$r" \
    '.vantage.network == "ipv6-only" and (.vantage.ipv4_route | startswith("none"))'
  jqc "c6: vantage ipv6_route is $C6" "$r" '.vantage.ipv6_route | startswith($a + " on ")' --arg a "$C6"
  jqc "c6: vantage dns64 true, answers synthesized under 2001:db8:64::" "$r" \
    '.vantage.dns64 == true and (.vantage.dns64_answers | contains("2001:db8:64::c000:aa"))'
  jqc "c6: vantage nat64 true with prefix 2001:db8:64::/96, no CLAT" "$r" \
    '.vantage.nat64 == true and .vantage.nat64_prefix == "2001:db8:64::/96" and .vantage.clat == false'
  for t in udp tcp; do
    jqc "c6: turn.$t.allocate pass through $SYNTH, reached $SRV4" "$r" \
      'chk($id) | .status == "pass" and (.details.server_address | contains($s)) and .details.nat64_ipv4 == $v4' \
      --arg id "turn.$t.allocate" --arg s "$SYNTH" --arg v4 "$SRV4"
    jqc "c6: relay.$t pass, 20 of 20 back" "$r" \
      'chk($id) | .status == "pass" and .details.packets_received == 20' --arg id "relay.$t"
  done
  jqc "c6: vantage nat64_reached names $SRV4" "$r" '.vantage.nat64_reached | contains($v4)' --arg v4 "$SRV4"

  echo "== 2. IPv6-only client, TURN by IPv4 literal"
  # shellcheck disable=SC2046
  # No IPv4 route: connect() fails at once, so the check must not wait out its timeout.
  probe "$NS_C6" "$l" --timeout 10 turn "turn:$SRV4:$P" "turn:$SRV4:$P?transport=tcp" $(creds)
  lab_check "c6 literal: exit 1 (got $RC)" test "$RC" -eq 1
  lab_check "c6 literal: failed fast, under 2 s with --timeout 10 (took $MS ms)" test "$MS" -lt 2000
  for t in udp tcp; do
    jqc "c6 literal: turn.$t.allocate fails with 'no IPv4 route from this network'" "$l" \
      'chk($id) | .status == "fail" and .details.net == "no_route"
       and .details.no_route_family == "ipv4" and (.summary | startswith("no IPv4 route from this network"))' \
      --arg id "turn.$t.allocate"
  done
  jqc "c6 literal: the hint names IPv6-only behind NAT64 and the prefix" "$l" \
    'chk("turn.udp.allocate").hint | contains("IPv6-only behind NAT64 (prefix 2001:db8:64::/96)")'
  jqc "c6 literal: the hint names the literal, CLAT and the fix" "$l" \
    'chk("turn.udp.allocate").hint | contains("your TURN URI uses the IPv4 literal " + $v4)
     and contains("without CLAT") and contains("use a host name") and contains($s)' \
    --arg v4 "$SRV4" --arg s "$SYNTH"
  jqc "c6 literal: the vantage still says NAT64" "$l" '.vantage.nat64 == true'
  local o=$W/c6-others.json
  probe "$NS_C6" "$o" --timeout 10 ports "$SRV4" --ports "$P/tcp,$P/udp"
  lab_check "c6 literal ports: failed fast, under 2 s with --timeout 10 (took $MS ms)" test "$MS" -lt 2000
  jqc "c6 literal ports: both ports say no IPv4 route, state no-route, with the NAT64 hint" "$o" \
    '[.checks[] | select(.kind == "port")] | length == 2 and all(.details.state == "no-route"
      and (.summary | startswith("no IPv4 route from this network"))
      and (.hint | contains("IPv6-only behind NAT64 (prefix 2001:db8:64::/96)")))'
  probe "$NS_C6" "$o" --timeout 10 stun "stun:$SRV4:$P"
  lab_check "c6 literal stun: failed fast, under 2 s with --timeout 10 (took $MS ms)" test "$MS" -lt 2000
  jqc "c6 literal stun: no IPv4 route, with the NAT64 hint" "$o" \
    'chk("stun.udp") | .status == "fail" and (.summary | startswith("no IPv4 route"))
     and (.hint | contains("your STUN URI uses the IPv4 literal"))'
}

run_dual_stack() {
  local r=$W/c46.json
  echo "== 3. dual-stack client with a plain resolver: no NAT64"
  # shellcheck disable=SC2046
  probe "$NS_C46" "$r" --timeout "$TIMEOUT" turn "turn:$SRV4:$P" "turn:$NAME:$P?transport=tcp" $(creds)
  lab_check "c46: exit 0 (got $RC)" test "$RC" -eq 0
  jqc "c46: vantage network dual-stack, IPv4 route from $C46_4" "$r" \
    '.vantage.network == "dual-stack" and (.vantage.ipv4_route | startswith($a + " on "))' --arg a "$C46_4"
  jqc "c46: vantage nat64 false, dns64 false, no prefix, no CLAT" "$r" \
    '.vantage.nat64 == false and .vantage.dns64 == false and .vantage.nat64_prefix == null
     and .vantage.clat == false and (.vantage.dns64_answers | startswith("no AAAA record"))'
  jqc "c46: both TURN allocations (UDP by literal, TCP by name) pass without NAT64" "$r" \
    '[.checks[] | select(.kind == "turn" and (.id | endswith(".allocate")))]
     | length >= 2 and all(.status == "pass" and .details.nat64_ipv4 == null)'
  # (turn's own 440 hint may name IPv6-only mobile networks: a fact about clients, not this one)
  jqc "c46: no hint says this network is IPv6-only" "$r" \
    '[.checks[].hint // "", .checks[].summary // "" | test("network is IPv6-only|this IPv6-only network")] | any | not'
}

run_clat() {
  local r=$W/c6-clat.json t
  echo "== 4. IPv6-only client with a CLAT (464XLAT), TURN by IPv4 literal"
  lab_clat_start "$NS_C6" "$W/clat" "$CLAT6"
  ip -n "$NS_G" -6 route add "${CLAT6%::*}::/64" via "$C6"
  # shellcheck disable=SC2046
  probe "$NS_C6" "$r" --timeout "$TIMEOUT" turn "turn:$SRV4:$P" "turn:$SRV4:$P?transport=tcp" $(creds)
  lab_check "c6+clat literal: exit 0 (got $RC)" test "$RC" -eq 0
  jqc "c6+clat: vantage clat true, NAT64 with prefix 2001:db8:64::/96" "$r" \
    '.vantage.clat == true and .vantage.nat64 == true and .vantage.nat64_prefix == "2001:db8:64::/96"'
  jqc "c6+clat: vantage ipv4_route is the CLAT's 192.0.0.1 on clat" "$r" \
    '.vantage.ipv4_route | startswith("192.0.0.1 on clat") and contains("CLAT")'
  for t in udp tcp; do
    jqc "c6+clat: turn.$t.allocate pass to the literal $SRV4, relay.$t 20 of 20 back" "$r" \
      'chk("turn." + $t + ".allocate").status == "pass"
       and (chk("turn." + $t + ".allocate").details.server_address | startswith($v4))
       and chk("relay." + $t).details.packets_received == 20' --arg t "$t" --arg v4 "$SRV4"
  done
  jqc "c6+clat: no hint says this network is IPv6-only" "$r" \
    '[.checks[].hint // "" | test("network is IPv6-only")] | any | not'
}

main() {
  preflight
  make_network
  W=$(lab_tmpdir)
  lab_nat64_tayga_start "$NS_G" "$W/nat64" gs$$
  lab_unbound_start "$NS_G" "$W/dns64" "$GW6" "dns64 iterator" "$NAME=$SRV4"
  lab_unbound_start "$NS_G" "$W/dns" "$GW46_6" "iterator" "$NAME=$SRV4"
  lab_netns_resolver "$NS_C6" "$GW6"
  lab_netns_resolver "$NS_C46" "$GW46_6"
  P=$(lab_free_port both "$NS_S")
  lab_coturn_start "$W/coturn" --netns "$NS_S" --ip "$SRV4" --port "$P" --no-loopback-peers ||
    { echo "could not start coturn in $NS_S" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/coturn/env"
  echo "# $NS_S: coturn on $SRV4:$P; $NS_G: tayga $LAB_NAT64_PREFIX, unbound dns64 on $GW6, plain on $GW46_6"
  run_ipv6_only
  run_dual_stack
  run_clat
  lab_finish
}

lab_init
main "$@"
