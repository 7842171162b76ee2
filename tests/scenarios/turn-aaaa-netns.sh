#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# TURN/STUN reachable on IPv4 only: a dual-stack coturn (198.18.45.2 and
# 2001:db8:45::2, listening and relaying on both) in a server namespace, a
# client namespace that resolves turn.lab.test to both addresses through
# /etc/netns/<client>/hosts, and nftables in the server namespace dropping
# the TURN port's UDP over IPv6 only. `check` with a profile naming the
# TURN server by name, UDP and TCP. Asserted:
#   1. with the drop: STUN Binding runs on each family (stun.udp and its
#      sibling stun.udp.ipv4 or .ipv6), each saying its family; the family
#      comparison stun.P/udp.families fails with "TURN/STUN reachable on IPv4
#      only" naming the AAAA record, the port, both addresses and the fix;
#      the verdict leads with it; TURN over TCP still allocates an IPv6 relay
#      over the AAAA address (turn.tcp.ipv6 pass, family ipv6) and a dual
#      relay (turn.tcp.dual pass); turn.udp.ipv6 does not pass.
#   2. without the drop: stun.P/udp.families passes (both families answer)
#      and turn.udp.ipv6 / turn.udp.dual pass over the AAAA address.
#   3. -4: no IPv6 sibling, no relay-family checks, no family finding.
# Nothing here leaves the two namespaces: the client has no route but the veth.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=8

NS_C=rp-taac-$$
NS_S=rp-taas-$$
VETH_C=rptc$$
VETH_S=rpts$$
NAME=turn.lab.test
SRV4=198.18.45.2
CLI4=198.18.45.1
SRV6=2001:db8:45::2
CLI6=2001:db8:45::1

preflight() {
  lab_require ip nft turnserver jq
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  lab_netns_make "$NS_C" "$NS_S"
}

make_network() {
  ip link add "$VETH_C" netns "$NS_C" type veth peer name "$VETH_S" netns "$NS_S"
  ip -n "$NS_C" link set lo up
  ip -n "$NS_S" link set lo up
  ip -n "$NS_C" addr add "$CLI4/24" dev "$VETH_C"
  ip -n "$NS_S" addr add "$SRV4/24" dev "$VETH_S"
  ip -n "$NS_C" addr add "$CLI6/64" dev "$VETH_C" nodad
  ip -n "$NS_S" addr add "$SRV6/64" dev "$VETH_S" nodad
  ip -n "$NS_C" link set "$VETH_C" up
  ip -n "$NS_S" link set "$VETH_S" up
  mkdir -p "/etc/netns/$NS_C"
  lab_on_exit "rm -rf /etc/netns/$NS_C"
  printf '127.0.0.1 localhost\n%s %s\n%s %s\n' "$SRV6" "$NAME" "$SRV4" "$NAME" \
    >"/etc/netns/$NS_C/hosts"
}

# The remote firewall: the TURN port's UDP dropped over IPv6 only.
drop_v6_udp() {
  ip netns exec "$NS_S" nft -f - <<EOF
table inet rptaaaa {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$VETH_S" meta nfproto ipv6 udp dport $P drop
  }
}
EOF
}

undrop() {
  ip netns exec "$NS_S" nft delete table inet rptaaaa
}

write_profile() {
  cat >"$W/profile.ini" <<EOF
[turn]
uris = turn:$NAME:$P, turn:$NAME:$P?transport=tcp
user = $LAB_TURN_USER
password_file = $LAB_TURN_PASSWORD_FILE
[voice]
enabled = false
EOF
}

probe() { # out, args...
  local out=$1
  shift
  LAB_PROBE_NETNS="$NS_C" LAB_PROBE_LIMIT=$((TIMEOUT + 20)) lab_probe "$out" "$@"
}

jqc() { # what, file, expr (chk(ID) available), [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

with_drop() {
  local r=$W/check-drop.json
  echo "== UDP $P dropped over IPv6: check"
  probe "$r" --timeout "$TIMEOUT" check --profile "$W/profile.ini" --no-voice
  lab_check "check: exit 1 (got $RC)" test "$RC" -eq 1
  jqc "check: stun.udp and its other family's row, one per family, each saying it" "$r" \
    '[.checks[] | select(.kind == "stun" and (.id | test("^stun\\.udp(\\.ipv[46])?$")))]
     | length == 2 and (map(.details.family) | sort) == ["ipv4", "ipv6"]
     and all(.details.host == $n and .details.port == $p + "/udp")' \
    --arg n "$NAME" --arg p "$P"
  jqc "check: STUN answers over IPv4, silent over IPv6" "$r" \
    '[.checks[] | select(.kind == "stun" and .details.state != null)]
     | (map(select(.details.family == "ipv4"))[0] | .status == "pass" and .details.state == "open")
       and (map(select(.details.family == "ipv6"))[0] | .status == "fail"
            and .details.state == "open|filtered" and .details.server_address == "[" + $a + "]:" + $p)' \
    --arg a "$SRV6" --arg p "$P"
  jqc "check: stun.$P/udp.families names TURN/STUN reachable on IPv4 only, the AAAA record" "$r" \
    'chk("stun." + $p + "/udp.families") | .status == "fail" and .details.broken_family == "ipv6"
     and (.summary | startswith("TURN/STUN reachable on IPv4 only: " + $n + " has an AAAA record but "
       + $p + "/udp is silent (open|filtered) over IPv6 (" + $a6 + "), STUN answers over IPv4 (" + $a4 + ")"))
     and (.hint | test("security list.s IPv6 rules") and test("AAAA record of " + $n))' \
    --arg p "$P" --arg n "$NAME" --arg a6 "$SRV6" --arg a4 "$SRV4"
  jq -r '"#   verdict: \(.checks[0].summary)"' "$r" || true
  jqc "check: the verdict leads with it" "$r" \
    '.checks[0].id == "verdict" and (.checks[0].summary | startswith("TURN/STUN reachable on IPv4 only"))'
  jqc "check: the verdict says UDP is blocked over IPv6, not everywhere" "$r" \
    '.checks[0].summary | test("UDP [0-9]+ is blocked over IPv6")'
  jqc "check: turn.tcp.ipv6 passes over the AAAA address (family ipv6), data relayed" "$r" \
    'chk("turn.tcp.ipv6") | .status == "pass" and .details.family == "ipv6"
     and .details.server_address == "[" + $a + "]:" + $p and .details.ipv6_relay == true' \
    --arg a "$SRV6" --arg p "$P"
  jqc "check: turn.tcp.dual passes (a relay of each family)" "$r" \
    'chk("turn.tcp.dual") | .status == "pass" and .details.family == "ipv6"'
  jqc "check: turn.udp.ipv6 does not pass (UDP over IPv6 is dropped)" "$r" \
    'chk("turn.udp.ipv6") | .status != "pass"'
  jqc "check: turn.*.allocate say their family" "$r" \
    '[.checks[] | select(.id | test("^turn\\.(udp|tcp)\\.allocate$"))]
     | length == 2 and all(.details.family == "ipv4" or .details.family == "ipv6")'
}

without_drop() {
  local r=$W/check-ok.json
  echo "== no drop: check"
  probe "$r" --timeout "$TIMEOUT" check --profile "$W/profile.ini" --no-voice
  jqc "check: stun.$P/udp.families passes, STUN answers over both families" "$r" \
    'chk("stun." + $p + "/udp.families") | .status == "pass"
     and (.summary | test("answers STUN over IPv4 .* and IPv6"))' --arg p "$P"
  jqc "check: turn.udp.ipv6 and turn.udp.dual pass over the AAAA address" "$r" \
    '[chk("turn.udp.ipv6"), chk("turn.udp.dual")]
     | all(.status == "pass" and .details.family == "ipv6")'
  jqc "check: no TURN/STUN family fault in the verdict" "$r" \
    '.checks[0].summary | test("reachable on IPv4 only") | not'

  r=$W/check-4.json
  echo "== -4: one family asked"
  probe "$r" --timeout "$TIMEOUT" -4 check --profile "$W/profile.ini" --no-voice
  jqc "-4: one stun.udp over IPv4, no sibling, no relay-family check, no family finding" "$r" \
    '[.checks[] | select(.kind == "stun")] | length >= 1
     and all(.id | test("ipv6|families") | not)'
  jqc "-4: no turn.<t>.ipv6 / .dual" "$r" \
    '[.checks[] | select(.id | test("^turn\\.[a-z]+\\.(ipv6|dual)$"))] | length == 0'
}

main() {
  preflight
  make_network
  W=$(lab_tmpdir)
  P=$(lab_free_port both "$NS_S")
  lab_coturn_start "$W/coturn" --netns "$NS_S" --ip "$SRV4" --ip6 "$SRV6" --port "$P" ||
    { echo "could not start coturn in $NS_S" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/coturn/env"
  write_profile
  echo "# $NS_S: coturn on $SRV4:$P and [$SRV6]:$P; $NS_C resolves $NAME to both"
  drop_v6_udp
  with_drop
  undrop
  without_drop
  lab_finish
}

lab_init
main "$@"
