#!/bin/bash
# `rtcprobe exporter` scraped by a real Prometheus (Debian's package) on
# loopback: blackbox_exporter-style jobs for a stun and a turn module against
# the lab's coturn, and one whose target is outside allow_targets. Asserts
# through Prometheus' HTTP API that probe_success and
# rtcprobe_turn_transport_up{transport="udp"|"tcp"} are 1, that the refused
# target's scrapes fail (up 0) and are counted as forbidden in the exporter's
# own /metrics, and that every exposition passes `promtool check metrics`.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
lab_require turnserver prometheus promtool curl jq
lab_init
W=$(lab_tmpdir)

lab_coturn_start "$W/turn" >/dev/null || { echo "could not start coturn" >&2; exit 1; }
source "$W/turn/env"
EXP_PORT=$(lab_free_port tcp)
PROM_PORT=$(lab_free_port tcp)

cat >"$W/exporter.ini" <<EOF_INI
[listen]
address = 127.0.0.1:$EXP_PORT
allow_targets = 127.0.0.1
target_rate = 600
[module stun]
kind = stun
[module turn]
kind = turn
user = $LAB_TURN_USER
password_file = $LAB_TURN_PASSWORD_FILE
[module voice]
kind = voice
user = $LAB_TURN_USER
password_file = $LAB_TURN_PASSWORD_FILE
duration = 1
EOF_INI

"$RTCPROBE" exporter --config "$W/exporter.ini" 2>"$W/exporter.err" &
EXP_PID=$!
lab_on_exit "kill $EXP_PID"
lab_wait_port 127.0.0.1 "$EXP_PORT" tcp 10 || { cat "$W/exporter.err"; exit 1; }

# A blackbox_exporter scrape job: the target becomes __param_target.
job() { # name, module, target
  cat <<EOF_JOB
  - job_name: $1
    metrics_path: /probe
    params: {module: [$2]}
    static_configs: [{targets: ['$3']}]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: instance}
      - {target_label: __address__, replacement: '127.0.0.1:$EXP_PORT'}
EOF_JOB
}
{
  printf 'global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n'
  job stun stun "stun:127.0.0.1:$LAB_TURN_PORT"
  job turn turn "turn:127.0.0.1:$LAB_TURN_PORT"
  job forbidden stun "stun:127.0.0.2:$LAB_TURN_PORT"
  printf '  - job_name: exporter\n    static_configs: [{targets: ["127.0.0.1:%s"]}]\n' "$EXP_PORT"
} >"$W/prometheus.yml"
promtool check config "$W/prometheus.yml" >/dev/null

prometheus --config.file="$W/prometheus.yml" --storage.tsdb.path="$W/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$W/prometheus.log" 2>&1 &
PROM_PID=$!
lab_on_exit "kill $PROM_PID"
lab_wait_port 127.0.0.1 "$PROM_PORT" tcp 20 || { tail "$W/prometheus.log"; exit 1; }

# query PROMQL: the first sample's value, or nothing.
query() {
  curl -s --max-time 5 -G "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
    jq -r '.data.result[0].value[1] // empty' 2>/dev/null || true
}

# expect WHAT PROMQL VALUE: polls up to 30 s for the value.
expect() {
  local what=$1 q=$2 want=$3 got="" i
  for ((i = 0; i < 60; i++)); do
    got=$(query "$q")
    [[ $got == "$want" ]] && break
    sleep 0.5
  done
  lab_check "$what: $q == $want (got '${got}')" test "$got" == "$want"
}

echo "== Prometheus scrapes the exporter"
expect "stun module" 'probe_success{job="stun"}' 1
expect "turn module" 'probe_success{job="turn"}' 1
expect "turn over UDP up" 'rtcprobe_turn_transport_up{job="turn",transport="udp"}' 1
expect "turn over TCP up" 'rtcprobe_turn_transport_up{job="turn",transport="tcp"}' 1
expect "stun RTT in seconds, under 1 s" \
  'rtcprobe_rtt_seconds{job="stun",id="stun.udp"} < bool 1' 1
expect "target outside allow_targets: the scrape fails" 'up{job="forbidden"}' 0
expect "the refusals are counted" \
  'rtcprobe_exporter_probes_total{job="exporter",module="stun",outcome="forbidden"} > bool 0' 1
expect "the exporter's build info" 'rtcprobe_exporter_build_info{job="exporter"}' 1

echo "== promtool check metrics on every exposition"
for path in "probe?module=stun&target=stun:127.0.0.1:$LAB_TURN_PORT" \
  "probe?module=turn&target=turn:127.0.0.1:$LAB_TURN_PORT" \
  "probe?module=voice&target=turn:127.0.0.1:$LAB_TURN_PORT%3Ftransport%3Dudp" metrics; do
  curl -s --max-time 10 -H 'X-Prometheus-Scrape-Timeout-Seconds: 5' \
    "http://127.0.0.1:$EXP_PORT/$path" >"$W/exposition"
  [[ $path == *module=voice* ]] && cp "$W/exposition" "$W/exposition.voice"
  set +e
  promtool check metrics <"$W/exposition" >"$W/promtool.out" 2>&1
  RC=$?
  set -e
  sed 's/^/#   /' "$W/promtool.out" | head -n 10
  lab_check "promtool check metrics: /$path (exit $RC)" test "$RC" -eq 0
done
lab_check "the voice module's MOS is there" grep -q '^rtcprobe_mos{id="voice.turn.udp"' "$W/exposition.voice"

echo "== &debug=true answers the text report"
curl -s --max-time 10 "http://127.0.0.1:$EXP_PORT/probe?module=stun&target=stun:127.0.0.1:$LAB_TURN_PORT&debug=true" \
  >"$W/debug.txt"
lab_check "the text report names the check and its status" grep -qE '^PASS +stun.udp' "$W/debug.txt"
lab_check "and is not the exposition" bash -c "! grep -q '^probe_success' '$W/debug.txt'"

echo "== the exporter stops on SIGTERM"
kill "$EXP_PID"
for ((i = 0; i < 50; i++)); do lab_pid_alive "$EXP_PID" || break; sleep 0.1; done
lab_check "exporter exited within 5 s" bash -c "! kill -0 $EXP_PID 2>/dev/null"
lab_check "its log says it stopped" grep -q 'rtcprobe exporter: stopped' "$W/exporter.err"
lab_check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error:' '$W/exporter.err'"
lab_finish
