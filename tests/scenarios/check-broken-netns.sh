#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# `rtcprobe check` against the lab deployment with the faults a deploy goes
# wrong with (tests/lab/deployment.sh start --broken): coturn in a server
# namespace behind an nftables rule that drops UDP to 3478 and 7882, nginx
# without the websocket Upgrade headers, a certificate that expires in 5 days.
# The probe runs in the client namespace; nothing leaves the two namespaces.
# The verdict must fail (exit 1) and name the blocked UDP and the proxy
# upgrade problem; TCP and TLS TURN must still work.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"
RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
RTCPROBE=$(realpath -- "$RTCPROBE" 2>/dev/null || echo "$RTCPROBE")  # the runs cd to their work folder
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET RTCPROBE_LIVEKIT_SECRET

jqc() {
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

main() {
  [[ $(id -u) -eq 0 ]] || lab_skip "needs root for network namespaces"
  lab_require ip nft turnserver nginx node jq openssl curl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  ip netns add "rp-chk-probe-$$" 2>/dev/null || lab_skip "ip netns add does not work here"
  ip netns del "rp-chk-probe-$$"
  W=$(lab_tmpdir)
  lab_on_exit "$(printf '%q' "$HERE/../lab/deployment.sh") stop $(printf '%q' "$W/lab")"
  "$HERE/../lab/deployment.sh" start "$W/lab" --broken || { echo "the broken lab did not start" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/lab/env"
  [[ -n $LAB_DEPLOY_NETNS ]] || { echo "no client namespace in $W/lab/env" >&2; exit 1; }

  local rc=0 t0 ms j=$W/b.json
  t0=$(date +%s%N)
  (cd "$W" && ip netns exec "$LAB_DEPLOY_NETNS" timeout --kill-after=2 40 \
    "$RTCPROBE" --timeout 25 check --profile "$LAB_DEPLOY_PROFILE" --duration 2 \
    --output b.json --output b.txt) || rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  echo "# check in $LAB_DEPLOY_NETNS -> exit $rc in $ms ms"
  sed -n '1,8p' "$W/b.txt" | sed 's/^/#   /'
  lab_check "exit code 1 (got $rc)" test "$rc" -eq 1
  # TURN over UDP knows silence after 5 requests (9.5 s): the run ends on its
  # evidence, not on the 25 s deadline.
  lab_check "the run ends on its evidence, long before --timeout 25 (took $ms ms)" test "$ms" -le 16000
  jqc "the verdict opens the report and fails" "$j" '.checks[0] | .id == "verdict" and .status == "fail"'
  jqc "the verdict names the blocked UDP ports" "$j" \
    'chk("verdict").summary | test("Voice works only through TURN over TCP and TLS on this network: UDP 3478 and 7882 are blocked")'
  jqc "the verdict names the proxy upgrade problem" "$j" \
    'chk("verdict").summary | test("proxy does not pass websocket upgrades: Socket.IO falls back to long-polling")'
  jqc "the verdict names the expiring certificate" "$j" \
    'chk("verdict").summary | test("certificate for 127.0.0.1 expires in 5 days")'
  jqc "the verdict's hint is the UDP one" "$j" 'chk("verdict").hint | test("3478/udp gets no answer")'
  jqc "the failing groups are listed" "$j" \
    'chk("verdict").details.failing_groups | test("Realtime") and test("TURN")'
  jqc "TURN over TCP and TLS still relays" "$j" '[chk("relay.tcp"), chk("relay.tls")] | all(.status == "pass")'
  jqc "turn.udp.allocate fails with no answer after 5 requests, and times no step it never saw answered" "$j" \
    'chk("turn.udp.allocate") | .status == "fail" and (.summary | test("no answer to Allocate over UDP .* [(]5 requests[)]"))
     and .metrics.unauthenticated_ms == null'
  jqc "the Socket.IO check says long-polling only" "$j" \
    'chk("socketio") | .status == "warn" and (.summary | test("long-polling"))'
  jqc "the health URL still answers (warned for the certificate only)" "$j" \
    '[.checks[] | select(.kind == "http" and (.target | endswith("/health")) and (.id | test("^http[.][0-9]+$")))]
     | first | .status == "warn" and (.summary | test("JSON as expected")) and .metrics.cert_days_left < 6'
  jqc "voice over TLS works" "$j" 'chk("voice.turn.tls").status == "pass"'
  jqc "the vantage saw the client's address through TURN over TCP" "$j" \
    '.vantage.public_address == "198.18.0.1"'
  lab_check "the text report opens with the verdict" grep -q "^FAIL  Voice works only" <(head -n 1 "$W/b.txt")
  lab_finish
}

lab_init
main "$@"
