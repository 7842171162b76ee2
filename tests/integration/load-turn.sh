#!/bin/bash
# rtcprobe `load` through real coturn servers on loopback (tests/lab): 20 voice
# streams (40 allocations) come back whole with the step and verdict shape
# the reports use; a coturn with total-quota=6 (three streams' worth) makes
# the quota the knee at step 4, allocation 7 refused with 486; allocations
# only reports the rate, latency and quota; Ctrl-C reports what was measured
# and releases every allocation; allocations granted 12 s are refreshed
# and outlive it; bad input is one line and a non-zero exit
# within --timeout; the password never reaches a report.
# Traffic: loopback only. Env: RTCPROBE. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

jqc() {
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

main() {
  lab_require turnserver jq
  W=$(lab_tmpdir)
  # 20 streams hold 40 relay ports.
  lab_coturn_start "$W/turn" --relay-ports 128 >/dev/null || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck disable=SC1091
  source "$W/turn/env"
  local creds=(--user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE")
  local uri="turn:127.0.0.1:$LAB_TURN_PORT" r=$W/load.json

  echo "== 1. 20 streams for 3 s"
  LAB_PROBE_LIMIT=40 lab_probe "$r" --timeout 20 load --streams 20 --duration 3 "${creds[@]}" --turn "$uri"
  lab_check "exit 0 (got $RC)" test "$RC" -eq 0
  lab_check "3 s held, set-up and release on top (took $MS ms)" test "$MS" -le 8000
  jqc "one step, then the verdict, all of kind load" "$r" \
    '[.checks[].id] == ["load.step.1", "load.verdict"] and all(.checks[]; .kind == "load")'
  jqc "all 20 established, none failed, 40 allocations, all released" "$r" \
    'chk("load.step.1").metrics.streams_established == 20 and chk("load.step.1").metrics.setup_failures == 0
     and chk("load.verdict").metrics.allocations == 40 and chk("load.verdict").details.released == 20
     and chk("load.verdict").details.release_failures == 0'
  # The streams are set up before the window opens: 20 streams at 50
  # packets/s for the 3 s less the 0.5 s grace, every one from the start
  # (a window timer that fires late adds a packet a stream per 20 ms).
  jqc "set up before the window (setup_ms > 0, none still setting up), 0 loss both ways" "$r" \
    'chk("load.step.1") | .metrics.setup_ms > 0 and .details.streams_setting_up == 0
     and .metrics.loss_pct_fwd == 0 and .metrics.loss_pct_bwd == 0'
  jqc "every stream sent through the whole window: 2500 planned, 2480..2600 sent" "$r" \
    'chk("load.step.1").metrics | .packets_planned >= 2490 and .packets_planned <= 2500
     and .packets_sent >= 2480 and .packets_sent <= 2600'
  jqc "RTT sane on loopback: 0 < p50 <= p95 <= p99 < 20 ms" "$r" \
    'chk("load.step.1").metrics | .rtt_ms_p50 > 0 and .rtt_ms_p50 <= .rtt_ms_p95
     and .rtt_ms_p95 <= .rtt_ms_p99 and .rtt_ms_p99 < 20'
  jqc "jitter per direction and the sender's schedule error are reported" "$r" \
    'chk("load.step.1").metrics | (.jitter_ms_p95_fwd >= 0) and (.jitter_ms_p95_bwd >= 0)
     and .jitter_ms_p95_fwd < 5 and .schedule_error_ms_p50 >= 0 and .schedule_error_ms_p99 >= .schedule_error_ms_p50'
  jqc "verdict: no knee, kernel timestamps, datagrams counted by the engine" "$r" \
    'chk("load.verdict") | (.summary | test("^no knee up to 20 streams")) and .details.rx_timestamps == "kernel"
     and .details.datagrams_sent >= 2 * 2000 and .details.alternate_server_followed == false
     and (.details | has("knee_step") | not)'
  lab_check "the text report renders the same run" \
    bash -c "'$RTCPROBE' --format text load --streams 2 --duration 1 --user '$LAB_TURN_USER' \
      --password-file '$LAB_TURN_PASSWORD_FILE' --turn '$uri' > '$W/load.txt' 2>/dev/null; \
      grep -q 'load.step.1' '$W/load.txt' && grep -q 'no knee up to 2 streams' '$W/load.txt'"

  echo "== 2. the quota knee: total-quota=6 is three streams"
  lab_coturn_start "$W/quota" --conf-line total-quota=6 >/dev/null || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck disable=SC1091
  source "$W/quota/env"
  local quri="turn:127.0.0.1:$LAB_TURN_PORT" q=$W/quota.json
  local qcreds=(--user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE")
  LAB_PROBE_LIMIT=40 lab_probe "$q" --timeout 20 load --streams 5 --ramp 1/2 "${qcreds[@]}" --turn "$quri"
  lab_check "exit 0: a knee is a finding, not an error (got $RC)" test "$RC" -eq 0
  jqc "five steps of 1..5 streams, 3 established at most" "$q" \
    '[.checks[] | select(.id | startswith("load.step.")) | .metrics.streams_attempted] == [1, 2, 3, 4, 5]
     and chk("load.verdict").metrics.streams_max_established == 3'
  jqc "steps 1-3 clean, step 4 refused with 486 at allocation 7" "$q" \
    'chk("load.step.3").status == "pass" and chk("load.step.4").status == "warn"
     and chk("load.step.4").details["failures.quota_486"] == 1 and chk("load.step.4").details.first_refused_allocation == 7'
  jqc "the verdict names the quota knee at step 4: allocation 7, quota 6" "$q" \
    'chk("load.verdict") | .status == "warn" and .details.knee_step == 4 and .details.knee_reason == "quota_486"
     and .details.quota == 6 and .details.knee_refused_allocation == 7
     and (.summary | test("refused allocation 7 with 486.*total-quota is 6")) and (.hint | test("total-quota"))'

  echo "== 3. allocations only, against a fresh coturn of the same quota"
  # coturn counts a released allocation against the quota until its session
  # is gone (seconds later): a fresh server, so the count starts at 0.
  lab_coturn_start "$W/quota2" --conf-line total-quota=6 >/dev/null || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck disable=SC1091
  source "$W/quota2/env"
  quri="turn:127.0.0.1:$LAB_TURN_PORT"
  qcreds=(--user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE")
  LAB_PROBE_LIMIT=30 lab_probe "$q" --timeout 20 load --allocations-only --streams 8 --ramp 4/1 "${qcreds[@]}" --turn "$quri"
  lab_check "exit 0 (got $RC)" test "$RC" -eq 0
  jqc "6 allocations held of 8, quota 6, a rate and the latency percentiles" "$q" \
    'chk("load.verdict") | .metrics.allocations == 6 and .details.quota == 6 and .metrics.allocations_per_s > 0
     and .metrics.allocate_ms_p50 > 0 and .metrics.allocate_ms_p99 >= .metrics.allocate_ms_p50
     and .details.released == 6'
  jqc "step 2 refused two allocations with 486" "$q" \
    'chk("load.step.2").details["failures.quota_486"] == 2 and chk("load.step.1").status == "pass"'

  echo "== 4. Ctrl-C: what was measured, and every allocation released"
  # shellcheck disable=SC1091
  source "$W/turn/env"
  local c=$W/cut.json t0
  t0=$(date +%s%N)
  "$RTCPROBE" --format json load --streams 4 --duration 30 "${creds[@]}" --turn "$uri" >"$c" 2>"$c.err" &
  local pid=$!
  sleep 2.5
  kill -INT "$pid"
  set +e
  wait "$pid"
  RC=$?
  set -e
  MS=$((($(date +%s%N) - t0) / 1000000))
  lab_check "exit 0 after SIGINT (got $RC)" test "$RC" -eq 0
  lab_check "stopped within 5 s of starting (took $MS ms)" test "$MS" -le 5000
  jqc "cut short, 4 streams measured and released" "$c" \
    'chk("load.verdict") | .details.cut_short == true and .details.released == 4 and .details.release_failures == 0
     and .metrics.streams_max_established == 4 and (.summary | test("cut short"))'
  jqc "the step measured packets before the stop" "$c" 'chk("load.step.1").metrics.packets_sent > 100'

  echo "== 5. refresh: allocations granted 12 s outlive it"
  lab_coturn_start "$W/short" --conf-line max-allocate-lifetime=12 >/dev/null || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck disable=SC1091
  source "$W/short/env"
  local s=$W/short.json
  LAB_PROBE_LIMIT=40 lab_probe "$s" --timeout 20 load --streams 2 --duration 20 --user "$LAB_TURN_USER" \
    --password-file "$LAB_TURN_PASSWORD_FILE" --turn "turn:127.0.0.1:$LAB_TURN_PORT"
  lab_check "exit 0 (got $RC)" test "$RC" -eq 0
  jqc "refreshed at half the lifetime (Refresh and ChannelBind), none failed" "$s" \
    'chk("load.verdict").details | .refreshes >= 4 and .refresh_failures == 0 and .released == 2'
  jqc "no loss past the 12 s the allocations were granted" "$s" \
    'chk("load.step.1").metrics | .packets_sent >= 1800 and .loss_pct_fwd == 0 and .loss_pct_bwd == 0'
  # shellcheck disable=SC1091
  source "$W/turn/env"

  echo "== 6. bad input: one line, non-zero exit, within --timeout"
  local bad
  for bad in "--streams 0" "--streams 100000" "--streams 5 --ramp garbage" "--streams 5 --ramp 0/5" \
    "--streams 5 --ramp 1/0" "--streams 5 --max-streams 4" "--streams 2 --codec 2000@20"; do
    # shellcheck disable=SC2086
    LAB_PROBE_LIMIT=10 lab_probe "$r" load $bad "${creds[@]}" --turn "$uri"
    lab_check "load $bad: exit 2 with one line on stderr (got $RC)" \
      bash -c "test $RC -eq 2 && test \$(wc -l < '$r.err') -eq 1"
  done
  LAB_PROBE_LIMIT=10 lab_probe "$r" load --streams 2 "${creds[@]}" --turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=tcp"
  lab_check "TCP: exit 2 with one line (got $RC)" bash -c "test $RC -eq 2 && test \$(wc -l < '$r.err') -eq 1"
  local closed
  closed=$(lab_free_port udp)
  LAB_PROBE_LIMIT=20 lab_probe "$r" --timeout 5 load --streams 3 --duration 2 "${creds[@]}" --turn "turn:127.0.0.1:$closed"
  lab_check "unreachable server: exit 1 within --timeout 5 (got $RC in $MS ms)" \
    bash -c "test $RC -eq 1 && test $MS -le 7000"
  jqc "unreachable: the verdict fails with one line and a hint" "$r" \
    'chk("load.verdict") | .status == "fail" and (.summary | test("no stream could be set up")) and (.summary | test("\n") | not)
     and (.hint | length > 0)'
  printf 'not-the-password\n' >"$W/wrong"
  LAB_PROBE_LIMIT=20 lab_probe "$r" --timeout 10 load --streams 2 --duration 1 --user "$LAB_TURN_USER" \
    --password-file "$W/wrong" --turn "$uri"
  jqc "wrong password: fail, counted as 401, hint about the password" "$r" \
    'chk("load.verdict").status == "fail" and chk("load.step.1").details["failures.unauthorized_401"] >= 1
     and (chk("load.verdict").hint | test("password"))'
  lab_check "the password is in no report" bash -c "! grep -rqF -- \"\$(cat '$LAB_TURN_PASSWORD_FILE')\" '$W'/*.json"
  lab_finish
}

lab_init
main "$@"
