#!/bin/bash
# WebRTC data channels between headless Chromium and our peer (rtc/webrtc/)
# on loopback: SDP offer/answer and trickled candidates carried by
# tests/lab/webrtc-chromium.py, ICE, DTLS with the SDP fingerprints, SCTP,
# DCEP in both directions, ordered echo and voice test messages on an
# unordered maxRetransmits 0 channel; our peer offering too; a forged
# fingerprint refused; both sides relay-only through coturn on loopback.
# See the driver for each assertion.
# Env: RTCPROBE_WEBRTC_ECHO = tests/lab/webrtc-echo. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

main() {
  local w rc
  lab_require chromium python3 turnserver
  [[ -x ${RTCPROBE_WEBRTC_ECHO:-} ]] || {
    echo "RTCPROBE_WEBRTC_ECHO=${RTCPROBE_WEBRTC_ECHO:-} is not an executable" >&2
    exit 1
  }
  lab_init
  w=$(lab_tmpdir)
  lab_coturn_start "$w/coturn" || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$w/coturn/env"
  set +e
  WEBRTC_TURN=127.0.0.1:$LAB_TURN_PORT WEBRTC_TURN_USER=$LAB_TURN_USER \
    WEBRTC_TURN_PASSWORD_FILE=$LAB_TURN_PASSWORD_FILE timeout --kill-after=5 100 python3 "$HERE/../lab/webrtc-chromium.py" \
    "$(command -v chromium)" "$RTCPROBE_WEBRTC_ECHO" "$w"
  rc=$?
  set -e
  if ((rc != 0)); then
    echo '# chromium.log (tail):'
    tail -n 5 "$w/chromium.log" | sed 's/^/#   /'
  fi
  return "$rc"
}

main "$@"
