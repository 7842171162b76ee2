#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# rtcprobe `turn` the way a real deployment looks from a client behind a
# firewall: two network namespaces (client, server) joined by a veth pair,
# coturn in the server namespace listening on its veth address and relaying
# from that same address (so relay peers are not loopback: no
# allow-loopback-peers), and an nftables rule on the server's input chain that
# drops UDP to the TURN port, as a security list without the UDP rule does.
#   1. turn.udp fails with no answer, TURN over TCP and TLS (relay included)
#      work, and the verdict says voice falls back to TURN over TCP and TLS.
#   2. The same with a hardened coturn (denied-peer-ip for every internal
#      range) and --audit: the audit finds nothing open while relaying between
#      two clients still works, because the namespace addresses are in none
#      of the denied ranges.
# Every run is bounded with --timeout, and its wall time is asserted.
# Nothing here leaves the two namespaces: the client has no route but the veth.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=6

NS_C=rp-tcli-$$
NS_S=rp-tsrv-$$
VETH_C=rtc$$
VETH_S=rts$$
# RFC 2544 benchmarking range: addresses that exist only inside these namespaces.
SRV4=198.18.0.2
CLI4=198.18.0.1
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

preflight() {
  lab_require ip nft turnserver turnutils_stunclient jq ss openssl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  lab_netns_make "$NS_C" "$NS_S"
}

make_network() {
  ip link add "$VETH_C" netns "$NS_C" type veth peer name "$VETH_S" netns "$NS_S"
  ip -n "$NS_C" link set lo up
  ip -n "$NS_S" link set lo up
  ip -n "$NS_C" addr add "$CLI4/24" dev "$VETH_C"
  ip -n "$NS_S" addr add "$SRV4/24" dev "$VETH_S"
  ip -n "$NS_C" link set "$VETH_C" up
  ip -n "$NS_S" link set "$VETH_S" up
}

# Drop UDP to the TURN port on the receiving side, as a remote firewall would
# (see doc/internals/ARCHITECTURE.md, "The lab"). Counted, so the test can prove the rule was hit.
make_firewall() {
  ip netns exec "$NS_S" nft -f - <<EOF
table inet rplab {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$VETH_S" udp dport $P counter drop
  }
}
EOF
}

# Packets the drop rule has swallowed so far.
dropped_packets() {
  ip netns exec "$NS_S" nft list chain inet rplab input | awk '/udp dport/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

probe() { # out, args...: lab_probe (tests/lab/lib.sh) inside the client namespace
  local out=$1
  shift
  LAB_PROBE_NETNS="$NS_C" LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" "$@"
}

jqc() { # what, file, expr (chk(ID) available), [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

start_coturn() { # name, extra lab_coturn_start options
  local name=$1
  shift
  lab_coturn_start "$W/$name" --netns "$NS_S" --ip "$SRV4" --port "$P" --tls-port "$T" --no-loopback-peers "$@" ||
    { echo "could not start coturn ($name) in $NS_S" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/$name/env"
  echo "# $NS_S: coturn '$name' on $SRV4: $P udp/tcp (udp dropped from the veth), $T tls," \
    "relays $LAB_TURN_RELAY_MIN-$LAB_TURN_RELAY_MAX"
}

# Assertions shared by both runs: UDP silent, TCP and TLS relay from $SRV4.
check_fallback() {
  local r=$1 what=$2 before=$3 t after
  lab_check "$what: exit code 1 (UDP fails) (got $RC)" test "$RC" -eq 1
  lab_check "$what: finished within $((TIMEOUT + 1)) s (took $MS ms)" test "$MS" -le $(((TIMEOUT + 1) * 1000))
  after=$(dropped_packets)
  lab_check "$what: the nft rule dropped the client's UDP requests ($before -> $after packets)" \
    test "$after" -gt "$before"
  jqc "$what: turn.udp.allocate fail, no answer" "$r" \
    'chk("turn.udp.allocate") | .status == "fail" and (.summary | test("no answer"))'
  jqc "$what: turn.udp.allocate hint says $P/udp gets no answer" "$r" \
    'chk("turn.udp.allocate").hint | contains($p + "/udp gets no answer")' --arg p "$P"
  jqc "$what: turn.udp.allocate hint says TURN over TCP and TLS works" "$r" \
    'chk("turn.udp.allocate").hint | test("TURN over TCP and TLS works")'
  jqc "$what: relay.udp not a pass" "$r" 'chk("relay.udp").status != "pass"'
  for t in tcp tls; do
    jqc "$what: turn.$t.allocate pass, relayed from $SRV4 in $LAB_TURN_RELAY_MIN-$LAB_TURN_RELAY_MAX" "$r" \
      'chk($id) | .status == "pass" and (.details.relayed_address | capture("^(?<a>[0-9.]+):(?<p>[0-9]+)$")
       | .a == $srv and (.p | tonumber) >= $min and (.p | tonumber) <= $max)' \
      --arg id "turn.$t.allocate" --arg srv "$SRV4" \
      --argjson min "$LAB_TURN_RELAY_MIN" --argjson max "$LAB_TURN_RELAY_MAX"
    jqc "$what: turn.$t.allocate mapped_address is the client's $CLI4" "$r" \
      'chk($id).details.mapped_address | startswith($cli + ":")' --arg id "turn.$t.allocate" --arg cli "$CLI4"
    jqc "$what: relay.$t pass, 20 of 20 back, rtt_ms > 0" "$r" \
      'chk($id) | .status == "pass" and .details.packets_received == 20 and .metrics.rtt_ms > 0' --arg id "relay.$t"
  done
  jqc "$what: turn.tls.allocate verified with the lab CA" "$r" 'chk("turn.tls.allocate").details.tls_verified == true'
  jqc "$what: turn.verdict warn, voice falls back to TURN over TCP and TLS" "$r" \
    'chk("turn.verdict") | .status == "warn" and (.summary | test("voice falls back to TURN over TCP and TLS"))'
}

run_fallback() {
  local r=$W/fallback.json before
  echo "== 1. UDP dropped at the server: fallback to TCP and TLS"
  start_coturn plain
  before=$(dropped_packets)
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" turn "turn:$SRV4:$P" "turns:$SRV4:$T" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  check_fallback "$r" "fallback" "$before"
  lab_coturn_stop "$W/plain"
}

# The internal ranges a deployment denies (coturn 4.6.1 takes ranges, not
# CIDR). 198.18.0.0/15, where the namespaces live, is in none of them.
HARDENED=(
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

run_hardened_audit() {
  local r=$W/hardened.json before
  echo "== 2. hardened coturn, --audit (over TLS: the first URI), UDP still dropped"
  start_coturn hard "${HARDENED[@]}"
  before=$(dropped_packets)
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" turn "turns:$SRV4:$T" "turn:$SRV4:$P" --audit \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  check_fallback "$r" "hardened" "$before"
  jqc "hardened: all twelve audit.* checks present" "$r" \
    '[.checks[] | select(.kind == "audit")] | length == 12'
  jqc "hardened: audit.unauthenticated pass" "$r" 'chk("audit.unauthenticated").status == "pass"'
  jqc "hardened: audit.loopback, private, shared, link-local, metadata pass with the IPv4 peers denied" "$r" \
    '[chk("audit.loopback"), chk("audit.private"), chk("audit.shared"), chk("audit.link-local"), chk("audit.metadata")]
     | all(.status == "pass" and (.details.denied | type == "string") and .details.allowed == null)'
  jqc "hardened: audit.unspecified, multicast, ipv4-mapped pass" "$r" \
    '[chk("audit.unspecified"), chk("audit.multicast"), chk("audit.ipv4-mapped")] | all(.status == "pass")'
  # The relay address is the server's own address: relaying between two
  # clients of this server needs a permission toward it, so coturn grants it
  # and audit.self passes with a note; any other own address would fail.
  jqc "hardened: audit.self pass, only the relay address $SRV4 is reachable" "$r" \
    'chk("audit.self") | .status == "pass" and (.details.allowed | test("^" + ($srv | gsub("\\."; "\\.")) + "( |$)"))
     and (.details.note | test("UDP"))' \
    --arg srv "$SRV4"
  jqc "hardened: relay.udp is skipped (no UDP allocation to relay through)" "$r" 'chk("relay.udp").status == "skip"'
  jqc "hardened: the only failing check is turn.udp.allocate" "$r" \
    '[.checks[] | select(.status == "fail") | .id] | sort == ["turn.udp.allocate"]'
  lab_coturn_stop "$W/hard"
}

main() {
  preflight
  make_network
  P=$(lab_free_port both "$NS_S")
  T=$(lab_free_port both "$NS_S")
  make_firewall
  W=$(lab_tmpdir)
  # The server certificate must name the veth address for turns: to verify.
  export LAB_CERT_EXTRA_SAN="IP:$SRV4"
  run_fallback
  run_hardened_audit
  lab_finish
}

lab_init
main "$@"
