#!/bin/bash
# `rtcprobe exporter` at two vantage points under one Prometheus: three
# network namespaces, the server (coturn on 198.18.0.2) joined by one veth
# pair to vantage "open" and by another to vantage "blocked", whose UDP to
# the TURN port the server's input chain drops (as a security list without
# the UDP rule). An exporter runs in each vantage namespace; Debian's
# Prometheus runs in the server namespace and scrapes both, blackbox-style,
# with a `vantage` label. Asserted through Prometheus' HTTP API: TURN over
# UDP is up from "open" and down from "blocked", TURN over TCP is up from
# both, and probe_success tells the two apart; the drop rule counted the
# blocked vantage's packets. The open vantage's exporter also keeps a
# [watch] voice stream running through tests/lab/delay-relay in front of
# coturn (10 ms each way: 40 ms of round trip through the two relays), and
# Prometheus' histogram_quantile over its rtcprobe_watch_rtt_seconds lands
# in the bucket of the injected RTT. Nothing leaves the three namespaces.
# Env: RTCPROBE, DELAY_RELAY = the built binaries. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
DELAY_RELAY=${DELAY_RELAY:-$HERE/../../build/tests/lab/delay-relay}
NS_S=rp-xsrv-$$
NS_A=rp-xopen-$$
NS_B=rp-xblk-$$
# RFC 2544 benchmarking range: addresses that exist only inside these namespaces.
SRV4=198.18.0.2
A4=198.18.0.1
SRV_B4=198.18.1.2
B4=198.18.1.1
EXP_PORT=9830
PROM_PORT=9090
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

lab_require ip nft turnserver prometheus curl jq
lab_init
lab_netns_make "$NS_S" "$NS_A" "$NS_B"
W=$(lab_tmpdir)

ip link add "xa$$" netns "$NS_A" type veth peer name "xsa$$" netns "$NS_S"
ip link add "xb$$" netns "$NS_B" type veth peer name "xsb$$" netns "$NS_S"
for ns in "$NS_S" "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
ip -n "$NS_A" addr add "$A4/24" dev "xa$$"
ip -n "$NS_S" addr add "$SRV4/24" dev "xsa$$"
ip -n "$NS_B" addr add "$B4/24" dev "xb$$"
ip -n "$NS_S" addr add "$SRV_B4/24" dev "xsb$$"
ip -n "$NS_A" link set "xa$$" up
ip -n "$NS_S" link set "xsa$$" up
ip -n "$NS_B" link set "xb$$" up
ip -n "$NS_S" link set "xsb$$" up
# The blocked vantage reaches the server's $SRV4 over its own link.
ip -n "$NS_B" route add "$SRV4/32" via "$SRV_B4"

P=$(lab_free_port both "$NS_S")
T=$(lab_free_port tcp "$NS_S")
lab_coturn_start "$W/turn" --netns "$NS_S" --ip "$SRV4" --port "$P" --tls-port "$T" \
  --no-loopback-peers >/dev/null || { echo "could not start coturn in $NS_S" >&2; exit 1; }
# shellcheck source=/dev/null
source "$W/turn/env"
ip netns exec "$NS_S" nft -f - <<EOF
table inet rplab {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "xsb$$" udp dport $P counter drop
  }
}
EOF
# delay-relay in front of coturn for the watch: 10 ms each way.
L=$(lab_free_port udp "$NS_S")
ip netns exec "$NS_S" "$DELAY_RELAY" --mode udp --listen "$SRV4:$L" --target "$SRV4:$P" \
  --max-seconds 170 --seed 20240611 --delay const:10 >"$W/relay.log" 2>&1 &
lab_on_exit "lab_kill_pid $!"
lab_wait_port "$SRV4" "$L" udp 5 "$NS_S" || { cat "$W/relay.log" >&2; exit 1; }

dropped() {
  ip netns exec "$NS_S" nft list chain inet rplab input |
    awk '/udp dport/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

# One exporter per vantage namespace, listening on its veth address.
start_exporter() { # namespace, address, [extra INI text]
  local ns=$1 addr=$2 pid
  cat >"$W/$ns.ini" <<EOF_INI
[listen]
address = $addr:$EXP_PORT
allow_targets = $SRV4
target_rate = 600
[module turn]
kind = turn
user = $LAB_TURN_USER
password_file = $LAB_TURN_PASSWORD_FILE
${3:-}
EOF_INI
  ip netns exec "$ns" "$RTCPROBE" exporter --config "$W/$ns.ini" 2>"$W/$ns.err" &
  pid=$!
  lab_on_exit "lab_kill_pid $pid"
  lab_wait_port "$addr" "$EXP_PORT" tcp 10 "$ns" || { cat "$W/$ns.err"; exit 1; }
}
start_exporter "$NS_A" "$A4" "[watch relay]
target = turn:$SRV4:$L?transport=udp
user = $LAB_TURN_USER
password_file = $LAB_TURN_PASSWORD_FILE
window = 2"
start_exporter "$NS_B" "$B4"

job() { # vantage, exporter address
  cat <<EOF_JOB
  - job_name: turn_$1
    metrics_path: /probe
    params: {module: [turn]}
    static_configs: [{targets: ['turn:$SRV4:$P'], labels: {vantage: $1}}]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: instance}
      - {target_label: __address__, replacement: '$2:$EXP_PORT'}
EOF_JOB
}
{
  printf 'global: {scrape_interval: 2s, scrape_timeout: 2s}\nscrape_configs:\n'
  job open "$A4"
  job blocked "$B4"
  printf '  - job_name: exporter_open\n    static_configs: [{targets: ["%s:%s"], %s}]\n' \
    "$A4" "$EXP_PORT" 'labels: {vantage: open}'
} >"$W/prometheus.yml"
before=$(dropped)
ip netns exec "$NS_S" prometheus --config.file="$W/prometheus.yml" --storage.tsdb.path="$W/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$W/prometheus.log" 2>&1 &
PROM_PID=$!
lab_on_exit "lab_kill_pid $PROM_PID"
lab_wait_port 127.0.0.1 "$PROM_PORT" tcp 20 "$NS_S" || { tail "$W/prometheus.log"; exit 1; }

query() {
  ip netns exec "$NS_S" curl -s --max-time 5 -G "http://127.0.0.1:$PROM_PORT/api/v1/query" \
    --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty' 2>/dev/null || true
}

expect() { # what, promql, value: polled for up to 40 s
  local got="" i
  for ((i = 0; i < 80; i++)); do
    got=$(query "$2")
    [[ $got == "$3" ]] && break
    sleep 0.5
  done
  lab_check "$1: $2 == $3 (got '${got}')" test "$got" == "$3"
}

echo "== one Prometheus, two vantage points"
expect "UDP up from the open vantage" 'rtcprobe_turn_transport_up{vantage="open",transport="udp"}' 1
expect "UDP down from the blocked vantage" \
  'rtcprobe_turn_transport_up{vantage="blocked",transport="udp"}' 0
expect "TCP up from the open vantage" 'rtcprobe_turn_transport_up{vantage="open",transport="tcp"}' 1
expect "TCP up from the blocked vantage" \
  'rtcprobe_turn_transport_up{vantage="blocked",transport="tcp"}' 1
expect "the open vantage's probe succeeds" 'probe_success{vantage="open"}' 1
expect "the blocked vantage's probe fails" 'probe_success{vantage="blocked"}' 0
expect "the failing check is turn.udp.allocate" \
  'rtcprobe_check_success{vantage="blocked",id="turn.udp.allocate"}' 0
echo "== the open vantage's watch through delay-relay (10 ms each way)"
expect "the watch is up" 'rtcprobe_watch_up{vantage="open",watch="relay"}' 1
Q='histogram_quantile(0.5, sum by (le) '
Q+='(rate(rtcprobe_watch_rtt_seconds_bucket{vantage="open"}[20s])))'
expect "the median RTT is in the bucket of the injected 40 ms (20-50 ms)" \
  "($Q > bool 0.02) * ($Q <= bool 0.05)" 1
echo "#   $Q = $(query "$Q") s"
after=$(dropped)
lab_check "the drop rule swallowed the blocked vantage's UDP ($before -> $after packets)" \
  test "$after" -gt "$before"
for ns in "$NS_A" "$NS_B"; do
  lab_check "$ns: no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error:' '$W/$ns.err'"
done
lab_finish
