#!/bin/bash
# rtcprobe `ice` on a machine whose network interface is not up yet, as
# right after boot, resume or a VPN reconnect: two namespaces (client,
# server) joined by a veth, coturn in the server namespace, and the client's
# end of the veth down when ice starts.
#   1. The link comes up 0.5 s after ice starts: ice waits for an address
#      libnice can gather from and then passes over UDP and TCP (before, it
#      failed at once with "no usable local address?").
#   2. The link never comes up: ice gives up after about 4 s and says this
#      machine has no address; no hint blames the network.
# Every run is bounded by --timeout; wall time asserted.
# Traffic: only inside the namespaces made here.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=15
CLIENT_IP=198.18.11.2
SERVER_IP=198.18.11.1
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

jqc() { # what, file, expr (chk(ID) available), [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

probe() { # out, args...: lab_probe (tests/lab/lib.sh) inside the client namespace
  local out=$1
  shift
  LAB_PROBE_NETNS=$NS_C LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" "$@"
}

run_ice() { # report
  probe "$1" --timeout "$TIMEOUT" ice --turn "turn:$SERVER_IP:$LAB_TURN_PORT?transport=udp" \
    --turn "turn:$SERVER_IP:$LAB_TURN_PORT?transport=tcp" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
}

check_link_comes_up() {
  local r=$W/up.json up t
  echo "== 1. the client's link comes up 0.5 s after ice starts"
  ip -n "$NS_C" link set "$IF_C" down
  (sleep 0.5 && ip -n "$NS_C" link set "$IF_C" up) &
  up=$!
  run_ice "$r"
  wait "$up"
  lab_check "exit code 0 (got $RC)" test "$RC" -eq 0
  lab_check "finished within 8 s (took $MS ms)" test "$MS" -le 8000
  for t in udp tcp; do
    jqc "ice.gather.$t: pass with a relay candidate" "$r" \
      'chk("ice.gather." + $t) | .status == "pass" and .metrics.relay_candidates >= 1' --arg t "$t"
    jqc "ice.$t: pass, waited for the address (local_address_wait_ms >= 300)" "$r" \
      'chk("ice." + $t) | .status == "pass" and .metrics.local_address_wait_ms >= 300' --arg t "$t"
  done
  jqc "ice.verdict: pass" "$r" 'chk("ice.verdict").status == "pass"'
}

check_link_stays_down() {
  local r=$W/down.json
  echo "== 2. the client's link stays down"
  ip -n "$NS_C" link set "$IF_C" down
  run_ice "$r"
  lab_check "exit code 1 (got $RC)" test "$RC" -eq 1
  lab_check "gave up after the 4 s wait, within 6 s (took $MS ms)" test "$MS" -ge 4000 -a "$MS" -le 6000
  jqc "ice.gather.udp and ice.udp: this machine has no usable IPv4 address" "$r" \
    '[chk("ice.gather.udp"), chk("ice.udp")] | all(.status == "fail" and .details.no_local_address == true
       and (.summary | test("no usable IPv4 address")))'
  jqc "no hint blames the network, the server or a firewall" "$r" \
    '[.checks[] | select(.kind == "ice") | .hint // ""] | all(test("on this network|firewall|blocked|does not answer") | not)'
  jqc "ice.verdict: fail, hint says this machine had no address" "$r" \
    'chk("ice.verdict") | .status == "fail" and (.hint | test("no usable network address"))'
}

main() {
  lab_require ip turnserver turnutils_stunclient jq openssl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  NS_C=rp-linkc-$$
  NS_S=rp-links-$$
  IF_C=lc$$
  IF_S=ls$$
  lab_netns_make "$NS_C" "$NS_S"
  ip -n "$NS_C" link set lo up
  ip -n "$NS_S" link set lo up
  ip link add "$IF_C" netns "$NS_C" type veth peer name "$IF_S" netns "$NS_S"
  ip -n "$NS_C" addr add "$CLIENT_IP/24" dev "$IF_C"
  ip -n "$NS_S" addr add "$SERVER_IP/24" dev "$IF_S"
  ip -n "$NS_S" link set "$IF_S" up
  W=$(lab_tmpdir)
  lab_coturn_start "$W/coturn" --netns "$NS_S" --ip "$SERVER_IP" --no-loopback-peers ||
    { echo "could not start coturn in $NS_S" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/coturn/env"
  echo "# $NS_S: coturn on $SERVER_IP:$LAB_TURN_PORT; $NS_C: $CLIENT_IP on $IF_C (down until the test says)"
  check_link_comes_up
  check_link_stays_down
  lab_finish
}

lab_init
main "$@"
