#!/bin/bash
# WebRTC data channels between headless Chromium and our peer (rtc/webrtc/)
# on loopback: SDP offer/answer and trickled candidates carried by
# tests/lab/webrtc-chromium.py, ICE, DTLS with the SDP fingerprints, SCTP,
# DCEP in both directions, ordered echo and voice test messages on an
# unordered maxRetransmits 0 channel; our peer offering too; a forged
# fingerprint refused. See the driver for each assertion.
# Env: RTCPROBE_WEBRTC_ECHO = tests/lab/webrtc-echo. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

main() {
  local w rc
  lab_require chromium python3
  [[ -x ${RTCPROBE_WEBRTC_ECHO:-} ]] || {
    echo "RTCPROBE_WEBRTC_ECHO=${RTCPROBE_WEBRTC_ECHO:-} is not an executable" >&2
    exit 1
  }
  lab_init
  w=$(lab_tmpdir)
  set +e
  timeout --kill-after=5 90 python3 "$HERE/../lab/webrtc-chromium.py" \
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
