#!/bin/bash
# rtcprobe `voice` through a real coturn on loopback (tests/lab): a short
# STAMP stream between two allocations over TURN/UDP, TURN/TCP and TURN/TLS
# must come back whole, with the metrics, per-direction figures and the
# chart series the reports use; the codec shapes the packets; bad options are
# usage errors; the password never reaches a report. Accuracy against ground
# truth (loss, delay, jitter) is tests/scenarios/voice-accuracy-netns.sh.
# Traffic: loopback only. Env: RTCPROBE. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

probe() { # out, args...: lab_probe (tests/lab/lib.sh) on this host
  local out=$1
  shift
  LAB_PROBE_LIMIT=40 lab_probe "$out" "$@"
}

jqc() {
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

main() {
  lab_require turnserver jq
  W=$(lab_tmpdir)
  lab_coturn_start "$W/turn" >/dev/null || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck disable=SC1091
  source "$W/turn/env"
  local creds=(--user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE")
  local r=$W/voice.json

  echo "== 1. two seconds over UDP, TCP and TLS"
  probe "$r" --timeout 30 --ca-file "$LAB_CA_FILE" voice --duration 2 "${creds[@]}" \
    --turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=tcp" \
    --turn "turns:127.0.0.1:$LAB_TURN_TLS_PORT"
  lab_check "exit 0 (got $RC)" test "$RC" -eq 0
  lab_check "runs 1 s warm-up + 2 s + 1 s drain, all at once (took $MS ms)" test "$MS" -le 8000
  jqc "ids voice.turn.{udp,tcp,tls}, all pass" "$r" \
    '[.checks[] | select(.kind == "voice")] | ([.[].id] | sort) == ["voice.turn.tcp", "voice.turn.tls", "voice.turn.udp"]
     and all(.[]; .status == "pass")'
  # 2 s at 50 packets/s: exactly 100 measured packets, all back on loopback.
  jqc "100 packets sent and received on each path" "$r" \
    'all(.checks[] | select(.kind == "voice"); .details.packets_sent == 100 and .details.packets_received == 100)'
  jqc "RTT percentiles ordered min <= p50 <= p95 <= p99 <= max, all > 0" "$r" \
    'all(.checks[] | select(.kind == "voice") | .metrics;
         .rtt_ms_min > 0 and .rtt_ms_min <= .rtt_ms_p50 and .rtt_ms_p50 <= .rtt_ms_p95
         and .rtt_ms_p95 <= .rtt_ms_p99 and .rtt_ms_p99 <= .rtt_ms_max)'
  jqc "loss 0 in both directions, MOS of a clean path (4.36: G.107 at 86.5 ms mouth-to-ear, the jitter buffer and Opus)" "$r" \
    'all(.checks[] | select(.kind == "voice") | .metrics;
         .loss_pct_fwd == 0 and .loss_pct_bwd == 0 and (.mos > 4.355 and .mos < 4.365))'
  jqc "jitter per direction present and small on loopback (< 5 ms)" "$r" \
    'all(.checks[] | select(.kind == "voice") | .metrics; .jitter_ms_fwd < 5 and .jitter_ms_bwd < 5)'
  jqc "the sender's own schedule error is reported (p99 < 20 ms)" "$r" \
    'all(.checks[] | select(.kind == "voice") | .metrics; .schedule_error_ms_p99 >= 0 and .schedule_error_ms_p99 < 20)'
  jqc "chart series: 100 RTT points, no lost points" "$r" \
    'all(.checks[] | select(.kind == "voice") | .details;
         (.["series.rtt_ms"] | split(",") | length) == 100 and .["series.lost"] == "")'
  jqc "opus by default: 102-byte packets every 20 ms" "$r" \
    'all(.checks[] | select(.kind == "voice"); .details.codec == "opus" and .details.packet_bytes == 102
         and .metrics.interval_ms == 20)'

  echo "== 2. a custom packet shape"
  probe "$r" --timeout 20 voice --duration 1 --codec 300@10 "${creds[@]}" --turn "turn:127.0.0.1:$LAB_TURN_PORT"
  lab_check "exit 0 (got $RC)" test "$RC" -eq 0
  jqc "300@10: 100 packets of 300 bytes in 1 s" "$r" \
    'chk("voice.turn.udp") | .details.packet_bytes == 300 and .details.packets_sent == 100 and .metrics.interval_ms == 10'

  echo "== 3. a stricter threshold turns the same path into a warning"
  probe "$r" --timeout 20 voice --duration 1 --threshold warn_mos=4.5 "${creds[@]}" --turn "turn:127.0.0.1:$LAB_TURN_PORT"
  lab_check "exit 0 with a warning (got $RC)" test "$RC" -eq 0
  jqc "warn_mos=4.5: status warn, hint present" "$r" 'chk("voice.turn.udp") | .status == "warn" and (.hint | length > 0)'

  echo "== 4. wrong password: no voice path, and why"
  printf 'not-the-password\n' >"$W/wrong"
  probe "$r" --timeout 20 voice --duration 1 --user "$LAB_TURN_USER" --password-file "$W/wrong" \
    --turn "turn:127.0.0.1:$LAB_TURN_PORT"
  lab_check "exit 1 (got $RC)" test "$RC" -eq 1
  jqc "fail 401 with a hint about the password" "$r" \
    'chk("voice.turn.udp") | .status == "fail" and .details.error_code == 401 and (.hint | test("password"))'
  lab_check "the password is in no report" bash -c "! grep -rqF -- \"\$(cat '$LAB_TURN_PASSWORD_FILE')\" '$W'/*.json"

  echo "== 5. usage errors"
  for bad in "--codec mp3" "--codec 10@20" "--duration 0.1" "--threshold warn_mos=x" "--threshold nope=1"; do
    # shellcheck disable=SC2086
    probe "$r" voice $bad "${creds[@]}" --turn "turn:127.0.0.1:$LAB_TURN_PORT"
    lab_check "voice $bad: exit 2 with one line on stderr (got $RC)" \
      bash -c "test $RC -eq 2 && test \$(wc -l < '$r.err') -eq 1"
  done
  lab_finish
}

lab_init
main "$@"
