#!/bin/bash
# The exporter's [watch NAME] streams (exporter/exporter-watch.c), in a
# network namespace of the test's own with coturn on its loopback:
#   - "udp" streams through coturn: /metrics carries its cumulative counters
#     and histograms (promtool check metrics passes), the packets sent grow
#     between two scrapes, the RTT histogram counts packets;
#   - nftables then drops everything to coturn for 14 s: the exporter says
#     nothing came back, starts the stream again once the path is back, and
#     the counters carry the loss; rtcprobe_watch_up is 1 again at the end;
#   - "closed" points at a port where nothing listens: the exporter says it
#     could not stream and tries again, up stays 0;
#   - SIGTERM stops the exporter and its streams within 5 s, status 0; its
#     peak RSS (VmHWM) stays under a bound.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
NS=rp-xw-$$
RSS_LIMIT_KB=150000
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

lab_require ip nft turnserver curl promtool
lab_init
lab_netns_make "$NS"
ip -n "$NS" link set lo up
W=$(lab_tmpdir)
P=$(lab_free_port both "$NS")
T=$(lab_free_port both "$NS")
CLOSED=$(lab_free_port udp "$NS")
EP=$(lab_free_port tcp "$NS")
lab_coturn_start "$W/coturn" --netns "$NS" --port "$P" --tls-port "$T" >/dev/null ||
  { echo "could not start coturn in $NS" >&2; exit 1; }
# shellcheck source=/dev/null
source "$W/coturn/env"
cat >"$W/exporter.ini" <<EOF
[listen]
address = 127.0.0.1:$EP
allow_targets = 127.0.0.1
[watch udp]
target = turn:127.0.0.1:$P?transport=udp
user = $LAB_TURN_USER
password_file = $LAB_TURN_PASSWORD_FILE
window = 2
timeout = 5
[watch closed]
target = turn:127.0.0.1:$CLOSED?transport=udp
user = $LAB_TURN_USER
password_file = $LAB_TURN_PASSWORD_FILE
window = 2
timeout = 5
EOF
# ip netns exec execs: PID is the exporter's.
ip netns exec "$NS" "$RTCPROBE" exporter --config "$W/exporter.ini" 2>"$W/exporter.err" &
PID=$!
lab_on_exit "lab_kill_pid $PID"
lab_wait_port 127.0.0.1 "$EP" tcp 10 "$NS" || { cat "$W/exporter.err" >&2; exit 1; }

scrape() { ip netns exec "$NS" curl -sS --max-time 5 "http://127.0.0.1:$EP/metrics" >"$1"; }
value() { # file, series (exact, with labels)
  awk -v s="$2" '$1 == s { print $2 }' "$1"
}

sleep 7
scrape "$W/m1"
sleep 2
scrape "$W/m2"
grep '^rtcprobe_watch' "$W/m2" | grep -v _bucket | sed 's/^/#   /'
lab_check "promtool check metrics passes on /metrics" promtool check metrics <"$W/m2"
s1=$(value "$W/m1" 'rtcprobe_watch_packets_sent_total{watch="udp"}')
s2=$(value "$W/m2" 'rtcprobe_watch_packets_sent_total{watch="udp"}')
lab_check "packets sent grow between scrapes ($s1 -> $s2)" test "${s2%.*}" -gt "${s1%.*}"
lab_check "the RTT histogram counts packets" \
  test "$(value "$W/m2" 'rtcprobe_watch_rtt_seconds_count{watch="udp"}')" -gt 20
lab_check "every RTT is under 10 ms on loopback" test \
  "$(value "$W/m2" 'rtcprobe_watch_rtt_seconds_bucket{watch="udp",le="0.01"}')" -eq \
  "$(value "$W/m2" 'rtcprobe_watch_rtt_seconds_count{watch="udp"}')"
lab_check "udp is up" test "$(value "$W/m2" 'rtcprobe_watch_up{watch="udp"}')" -eq 1
lab_check "closed is down" test "$(value "$W/m2" 'rtcprobe_watch_up{watch="closed"}')" -eq 0
lab_check "the exporter says it could not stream to closed" \
  grep -q '^rtcprobe exporter: \[watch closed\] could not stream: .*; trying again in [0-9]* s$' \
  "$W/exporter.err"

echo "== everything to coturn dropped for 14 s"
ip netns exec "$NS" nft -f - <<EOF
table inet rpxwatch {
  chain output {
    type filter hook output priority filter; policy accept;
    udp dport $P counter drop
  }
}
EOF
sleep 14
ip netns exec "$NS" nft delete table inet rpxwatch
for _ in $(seq 40); do
  sleep 1
  scrape "$W/m3"
  [[ $(value "$W/m3" 'rtcprobe_watch_up{watch="udp"}') == 1 &&
    $(value "$W/m3" 'rtcprobe_watch_stream_starts_total{watch="udp"}') -ge 2 ]] && break
done
grep '^rtcprobe_watch.*udp' "$W/m3" | grep -v _bucket | sed 's/^/#   /'
sed 's/^/#   stderr: /' "$W/exporter.err"
lab_check "the exporter says nothing came back" \
  grep -q '^rtcprobe exporter: \[watch udp\] nothing came back for 3 windows; trying again in' \
  "$W/exporter.err"
lab_check "the stream started again" \
  test "$(value "$W/m3" 'rtcprobe_watch_stream_starts_total{watch="udp"}')" -ge 2
lab_check "udp is up again" test "$(value "$W/m3" 'rtcprobe_watch_up{watch="udp"}')" -eq 1
lost=$(awk '$1 ~ /^rtcprobe_watch_packets_lost_total\{watch="udp"/ { n += $2 }
  END { print n + 0 }' "$W/m3")
lab_check "the counters carry the loss ($lost packets)" test "$lost" -ge 50
lab_check "promtool check metrics passes after the outage" promtool check metrics <"$W/m3"

rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$PID/status")
t0=$(date +%s%N)
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
lab_check "SIGTERM: status 0 (got $rc) within 5 s (took $ms ms)" test "$rc" -eq 0 -a "$ms" -le 5000
lab_check "it says it stopped" grep -q '^rtcprobe exporter: stopped$' "$W/exporter.err"
lab_check "peak RSS $rss kB under $RSS_LIMIT_KB kB" test "$rss" -le "$RSS_LIMIT_KB"
lab_check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error:' '$W/exporter.err'"
lab_finish
