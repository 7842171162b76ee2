#!/bin/bash
# rtcprobe `load --reflector` against a real `rtcprobe serve` on loopback:
# one load session, one SSID per stream on the direct UDP port. 40 streams
# ramped 20 + 20 come back whole, every packet the probe counted is one the
# reflector answered (its log), loss 0 both ways, RTT and jitter sane;
# the reflector's limits are named before a packet goes: max_load_streams
# (0: no load sessions; fewer than asked), global_packet_rate and
# session_lifetime; Ctrl-C reports what was measured and says bye; a load
# session leaves the reflector's other sessions alone (a voice --reflector
# beside it); bad combinations of options are one line and exit 2; the
# secret never reaches a report or the reflector's log.
# Traffic: loopback only. Env: RTCPROBE. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
unset RTCPROBE_REFLECTOR_SECRET

jqc() {
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

# serve NAME [limits lines...]: a reflector with its own config and log.
serve() {
  local name=$1
  shift
  lab_serve_start "$W/$name.ini" "$W/$name.log" "$W/secret" "$@" || exit 1
  eval "${name}_PID=$LAB_SERVE_PID"
  eval "${name}_URL=$LAB_SERVE_URL"
}

main() {
  lab_require jq openssl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  W=$(lab_tmpdir)
  (umask 077 && openssl rand -hex 24 >"$W/secret")
  local sec=(--reflector-secret-file "$W/secret") r=$W/load.json

  serve open "max_load_streams = 100" "global_packet_rate = 20000"
  echo "== 1. 40 streams, 20 more every 3 s, to the direct UDP port"
  LAB_PROBE_LIMIT=40 lab_probe "$r" --timeout 30 load --reflector "$open_URL" "${sec[@]}" \
    --streams 40 --ramp 20/3
  lab_check "exit 0 (got $RC)" test "$RC" -eq 0
  jqc "two steps, then the verdict" "$r" '[.checks[].id] == ["load.step.1", "load.step.2", "load.verdict"]'
  jqc "20 then 40 streams, none failed, on the reflector's direct path" "$r" \
    'chk("load.step.1").metrics.streams_established == 20 and chk("load.step.2").metrics.streams_established == 40
     and chk("load.step.2").metrics.setup_failures == 0 and chk("load.verdict").details.path == "reflector-direct-udp"
     and (chk("load.verdict").metrics | has("allocations") | not)'
  # 20 streams x 50/s x (3 s - 0.5 s grace), then 40 x 50 x 2.5.
  jqc "every stream counted from the step's start: 2500 and 5000 packets, within 10 %" "$r" \
    'chk("load.step.1").metrics.packets_sent >= 2250 and chk("load.step.1").metrics.packets_sent <= 2750
     and chk("load.step.2").metrics.packets_sent >= 4500 and chk("load.step.2").metrics.packets_sent <= 5500'
  jqc "no loss either way on loopback" "$r" \
    'all(.checks[] | select(.id | startswith("load.step")); .metrics.loss_pct_fwd == 0 and .metrics.loss_pct_bwd == 0)'
  jqc "RTT sane on loopback: 0 < p50 <= p95 <= p99 < 20 ms; jitter per direction below 5 ms" "$r" \
    'chk("load.step.2").metrics | .rtt_ms_p50 > 0 and .rtt_ms_p50 <= .rtt_ms_p95 and .rtt_ms_p95 <= .rtt_ms_p99
     and .rtt_ms_p99 < 20 and .jitter_ms_p95_fwd < 5 and .jitter_ms_p95_bwd < 5'
  jqc "verdict: no knee up to 40 streams, the direct address, kernel timestamps" "$r" \
    'chk("load.verdict") | (.summary | test("^no knee up to 40 streams")) and .details.rx_timestamps == "kernel"
     and (.details.server_address | test("^127[.]0[.]0[.]1:[0-9]+$"))'
  local echoed='' sent i
  for i in $(seq 20); do
    echoed=$(sed -n 's/.* end: bye after .* echoed 0 ice, \([0-9]*\) direct, dropped 0$/\1/p' \
      "$W/open.log" | tail -n 1)
    [[ -n $echoed ]] && break
    sleep 0.1
  done
  sent=$(jq '.checks[] | select(.id == "load.verdict") | .details.datagrams_sent' "$r")
  lab_check "the reflector answered every datagram sent, dropped none ($echoed of $sent)" \
    test "${echoed:-0}" -eq "$sent"
  lab_check "the reflector logged one load session, ended by bye" \
    grep -q 'name=rtcprobe load (1 of 16 sessions)' "$W/open.log"

  echo "== 2. a voice --reflector session beside a load session"
  local v=$W/voice.json
  "$RTCPROBE" --format json --timeout 30 load --reflector "$open_URL" "${sec[@]}" --streams 30 \
    --duration 6 >"$W/beside.json" 2>/dev/null &
  local lpid=$!
  sleep 1
  LAB_PROBE_LIMIT=30 lab_probe "$v" --timeout 20 voice --reflector "$open_URL" "${sec[@]}" --duration 3
  wait "$lpid" || true
  jqc "voice to the same reflector during the load: the direct path measured, no loss" "$v" \
    'chk("voice.reflector") | .status == "pass" and .metrics.loss_pct_fwd == 0 and .metrics.loss_pct_bwd == 0'
  jqc "the load beside it: 30 streams, no loss" "$W/beside.json" \
    'chk("load.step.1").metrics | .streams_established == 30 and .loss_pct_fwd == 0 and .loss_pct_bwd == 0'

  echo "== 3. the reflector's limits are named before a packet goes"
  serve off
  LAB_PROBE_LIMIT=20 lab_probe "$W/off.json" --timeout 10 load --reflector "$off_URL" "${sec[@]}" --streams 5
  lab_check "exit 1 (got $RC)" test "$RC" -eq 1
  jqc "default config: refused as load-limit, max_load_streams = 0 named, hint to raise it" "$W/off.json" \
    'chk("load.verdict") | .status == "fail" and .details.reflector_error == "load-limit"
     and (.summary | test("max_load_streams = 0")) and (.hint | test("max_load_streams"))'
  serve few "max_load_streams = 10" "global_packet_rate = 5000"
  LAB_PROBE_LIMIT=20 lab_probe "$W/few.json" --timeout 10 load --reflector "$few_URL" "${sec[@]}" --streams 11
  jqc "11 streams where 10 are allowed: the limit and the number asked" "$W/few.json" \
    'chk("load.verdict") | .status == "fail" and (.summary | test("at most 10 streams.*11 asked"))'
  serve slow "max_load_streams = 100" "global_packet_rate = 1000"
  LAB_PROBE_LIMIT=20 lab_probe "$W/slow.json" --timeout 10 load --reflector "$slow_URL" "${sec[@]}" --streams 21
  jqc "21 streams x 50/s over a global_packet_rate of 1000: refused, both rates named" "$W/slow.json" \
    'chk("load.verdict") | .status == "fail" and (.summary | test("1050 packets a second.*1000 in all"))
     and (.hint | test("global_packet_rate"))'
  lab_check "nothing was sent to it: the session ended with 0 direct echoed" \
    grep -q 'end: .* 0 direct' "$W/slow.log"
  serve brief "max_load_streams = 100" "session_lifetime = 5"
  LAB_PROBE_LIMIT=20 lab_probe "$W/brief.json" --timeout 40 load --reflector "$brief_URL" "${sec[@]}" \
    --streams 2 --duration 10
  jqc "a run longer than session_lifetime: refused, session_lifetime named" "$W/brief.json" \
    'chk("load.verdict") | .status == "fail" and (.hint | test("session_lifetime"))'

  echo "== 4. Ctrl-C: what was measured, then bye"
  local c=$W/ctrlc.json t0 pid byes
  byes=$(grep -c 'end: bye' "$W/open.log" || true)
  t0=$(date +%s%N)
  "$RTCPROBE" --format json --timeout 60 load --reflector "$open_URL" "${sec[@]}" --streams 10 \
    --duration 30 >"$c" 2>"$c.err" &
  pid=$!
  sleep 3
  kill -INT "$pid"
  set +e
  wait "$pid"
  RC=$?
  set -e
  MS=$((($(date +%s%N) - t0) / 1000000))
  lab_check "exit 0 after SIGINT (got $RC) within 6 s ($MS ms)" test "$RC" -eq 0 -a "$MS" -le 6000
  jqc "cut short, 10 streams measured" "$c" \
    'chk("load.verdict") | .details.cut_short == true and .metrics.streams_max_established == 10
     and (.summary | test("cut short"))'
  jqc "the step measured packets before the stop" "$c" 'chk("load.step.1").metrics.packets_sent > 500'
  sleep 0.5
  lab_check "the reflector saw the session end with bye" \
    bash -c "test \$(grep -c 'end: bye' '$W/open.log') -eq $((byes + 1))"

  echo "== 5. bad input"
  LAB_PROBE_LIMIT=10 lab_probe "$W/bad1.json" load --reflector "$open_URL" "${sec[@]}" --streams 5 \
    --turn turn:127.0.0.1:3478
  lab_check "--reflector with --turn: exit 2, one line" \
    bash -c "test $RC -eq 2 && test \$(wc -l <'$W/bad1.json.err') -eq 1 && grep -q 'no --turn' '$W/bad1.json.err'"
  LAB_PROBE_LIMIT=10 lab_probe "$W/bad2.json" load --reflector "$open_URL" "${sec[@]}" --streams 5 --allocations-only
  lab_check "--reflector with --allocations-only: exit 2" test "$RC" -eq 2
  LAB_PROBE_LIMIT=10 lab_probe "$W/bad3.json" load --reflector "http://127.0.0.1:1/" "${sec[@]}" --streams 5
  lab_check "an http:// URL: exit 2, names wss://" \
    bash -c "test $RC -eq 2 && grep -q 'wss://' '$W/bad3.json.err'"
  LAB_PROBE_LIMIT=10 lab_probe "$W/bad4.json" load --reflector "$open_URL" --streams 5
  lab_check "no secret: exit 2, says where it goes" \
    bash -c "test $RC -eq 2 && grep -q 'reflector-secret-file' '$W/bad4.json.err'"

  echo "== 6. the secret stays secret"
  local s
  s=$(cat "$W/secret")
  lab_check "not in any report, stderr or reflector log" \
    bash -c "! grep -rqF -- '$s' '$W'/*.json '$W'/*.err '$W'/*.log"
  lab_finish
}

lab_init
main "$@"
