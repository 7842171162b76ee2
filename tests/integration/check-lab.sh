#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# `rtcprobe check --profile` against the lab deployment (tests/lab/deployment.sh):
# coturn, nginx in front of the Socket.IO app and the LiveKit stand-in, all on
# loopback. The healthy lab must pass: exit 0, the verdict first and a pass,
# every group of the smoke list present, JSON, HTML and JUnit written in one
# run, the vantage filled; and without voice the whole run takes about a second.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"
RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
RTCPROBE=$(realpath -- "$RTCPROBE" 2>/dev/null || echo "$RTCPROBE")  # the runs cd to their work folder
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET RTCPROBE_LIVEKIT_SECRET

jqc() { # what, file, expr (chk(ID) available), [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

main() {
  lab_require turnserver nginx node jq openssl curl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  W=$(lab_tmpdir)
  lab_on_exit "$(printf '%q' "$HERE/../lab/deployment.sh") stop $(printf '%q' "$W/lab")"
  "$HERE/../lab/deployment.sh" start "$W/lab" || { echo "the lab deployment did not start" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/lab/env"

  echo "== the full run: JSON, HTML and JUnit in one go"
  local rc=0 t0 ms
  (cd "$W" && "$RTCPROBE" --label "lab loopback" --timeout 30 check --profile "$LAB_DEPLOY_PROFILE" \
    --output a.json --output a.html --output a.xml) || rc=$?
  lab_check "exit code 0 (got $rc)" test "$rc" -eq 0
  local j=$W/a.json
  jqc "the verdict opens the report and passes" "$j" \
    '.checks[0] | .id == "verdict" and .kind == "verdict" and .status == "pass"
     and (.summary | startswith("Everything works from here"))'
  jqc "no check failed or warned" "$j" '.summary.fail == 0 and .summary.warn == 0'
  for kind in dns port http websocket file stun turn relay ice voice; do
    jqc "checks of kind $kind present" "$j" '[.checks[] | select(.kind == $k)] | length > 0' --arg k "$kind"
  done
  jqc "every group of the smoke list passes in the verdict's details" "$j" \
    'chk("verdict").details | ."Web & API" == "pass" and .Realtime == "pass" and .Files == "pass"
     and .TURN == "pass" and .Voice == "pass" and .failing_groups == null'
  jqc "the health URL answered status ok" "$j" \
    '[.checks[] | select(.kind == "http" and (.target | endswith("/health")) and (.id | startswith("http.")))]
     | first | .status == "pass" and (.summary | test("JSON as expected"))'
  jqc "the file URL renders after the redirect to the CDN path" "$j" \
    '[.checks[] | select(.kind == "file")] | first | .status == "pass" and (.summary | test("after 1 redirect"))'
  jqc "Socket.IO connects over websocket, LiveKit validates the signed token" "$j" \
    'chk("socketio").status == "pass" and chk("livekit.validate").status == "pass" and chk("livekit.rtc").status == "pass"'
  jqc "TURN works on UDP, TCP and TLS with the relay data path" "$j" \
    '[chk("relay.udp"), chk("relay.tcp"), chk("relay.tls"), chk("turn.verdict")] | all(.status == "pass")'
  jqc "a voice stream ran on every transport" "$j" \
    '[.checks[] | select(.kind == "voice" and .status == "pass")] | length == 3'
  jqc "no audit without audit = true" "$j" '[.checks[] | select(.kind == "audit")] | length == 0'
  jqc "vantage: label, public address, local address and interface, time, version" "$j" \
    '.vantage | .label == "lab loopback" and .public_address == "127.0.0.1" and .local_address == "127.0.0.1"
     and .interface == "lo" and (.time | test("^[0-9-]+T")) and (.version | length > 0) and (.ipv6 | length > 0)'
  lab_check "HTML written with the verdict" grep -q "Everything works from here" "$W/a.html"
  lab_check "JUnit written, one testsuite, the verdict a testcase" \
    bash -c 'grep -q "<testsuite " "$0" && grep -q "name=\"verdict\"" "$0"' "$W/a.xml"

  echo "== text report without voice: grouped, and about a second"
  t0=$(date +%s%N)
  rc=0
  NO_COLOR=1 "$RTCPROBE" check --profile "$LAB_DEPLOY_PROFILE" --no-voice >"$W/a.txt" || rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  lab_check "exit code 0 without voice (got $rc)" test "$rc" -eq 0
  lab_check "without voice the run takes under 2.5 s (took $ms ms)" test "$ms" -lt 2500
  lab_check "the text report starts with the verdict" grep -q "^PASS  Everything works from here" <(head -n 1 "$W/a.txt")
  local g
  for g in "Web & API" Realtime Files TURN Voice; do
    lab_check "group '$g' in the text report" grep -qx "$g" "$W/a.txt"
  done
  lab_check "voice left out is a skip" grep -q "^SKIP  voice " "$W/a.txt"
  lab_finish
}

lab_init
main "$@"
