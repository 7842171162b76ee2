#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# `rtcprobe voice --watch` finds an episode where the network made one:
# a client namespace and a server namespace joined by a veth pair, coturn in
# the server namespace (the topology of voice-accuracy-netns.sh). A 70 s
# watch in 10 s windows runs; from 25 s to 45 s after it starts, nftables
# drops half of the measured forward stream (ChannelData channel 0x4000,
# STAMP SSID 0, on the server's input: the uplink) and nothing else.
# Asserted: exactly one episode, loss on the uplink, whose start and end are
# within one window of when the rule was added and removed; no downlink or
# jitter episode, and no window blames the downlink (the next window's first
# answer settles where each window's last packets were lost); the summary
# counts it in words; the windows cover the watch; the terminal lines (one per window) when stderr is a terminal are
# not needed here, the report carries the same figures. Wall time and peak
# RSS are bounded. Nothing leaves the two namespaces.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}

NS_C=rp-vwc-$$
NS_S=rp-vws-$$
VETH_C=rwc$$
VETH_S=rws$$
# RFC 2544 benchmarking range: addresses that exist only inside these namespaces.
CLI4=198.18.0.1
SRV4=198.18.0.2
WATCH=70
WINDOW=10
LOSS_FROM=25          # s after the probe starts
LOSS_UNTIL=45
RSS_LIMIT_KB=120000
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

preflight() {
  lab_require ip nft turnserver jq awk
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  lab_netns_make "$NS_C" "$NS_S"
}

make_network() {
  ip link add "$VETH_C" netns "$NS_C" type veth peer name "$VETH_S" netns "$NS_S"
  ip -n "$NS_C" link set lo up
  ip -n "$NS_S" link set lo up
  ip -n "$NS_C" addr add "$CLI4/24" dev "$VETH_C"
  ip -n "$NS_S" addr add "$SRV4/24" dev "$VETH_S"
  ip -n "$NS_C" link set "$VETH_C" up
  ip -n "$NS_S" link set "$VETH_S" up
}

# Half of the measured forward stream dropped at the server's input.
loss_on() {
  ip netns exec "$NS_S" nft -f - <<EOF
table inet rpwatch {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$VETH_S" udp dport $P @th,64,16 0x4000 @th,208,16 0 \
      numgen random mod 100 < 50 counter drop
  }
}
EOF
}

loss_off() {
  ip netns exec "$NS_S" nft delete table inet rpwatch
}

now() { date +%s.%N; }

main() {
  local r rss t_on t_off started pid
  preflight
  make_network
  P=$(lab_free_port both "$NS_S")
  T=$(lab_free_port both "$NS_S")
  W=$(lab_tmpdir)
  lab_coturn_start "$W/coturn" --netns "$NS_S" --ip "$SRV4" --port "$P" --tls-port "$T" \
    --no-loopback-peers ||
    { echo "could not start coturn in $NS_S" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/coturn/env"
  echo "# $NS_S: coturn on $SRV4:$P; a $WATCH s watch, loss from $LOSS_FROM s to $LOSS_UNTIL s"
  r=$W/watch.json
  # The probe in the background (the rule changes while it runs), its peak RSS by time(1).
  (LAB_PROBE_NETNS="$NS_C"
    LAB_PROBE_LIMIT=$((WATCH + 40))
    LAB_PROBE_ENV=(/usr/bin/time -f %M -o "$W/rss")
    lab_probe "$r" --timeout 15 \
    voice --watch "${WATCH}s" --window "$WINDOW" --turn "turn:$SRV4:$P?transport=udp" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
    echo "$RC $MS" >"$W/rc") &
  pid=$!
  lab_on_exit "lab_kill_pid $pid"
  sleep "$LOSS_FROM"
  loss_on
  t_on=$(now)
  sleep $((LOSS_UNTIL - LOSS_FROM))
  loss_off
  t_off=$(now)
  wait "$pid" || true
  read -r RC MS <"$W/rc"
  rss=$(tail -n 1 "$W/rss")
  jq -r '.checks[] | "#   \(.id): \(.status): \(.summary)"' "$r" 2>/dev/null || true
  started=$(jq -r '[.checks[] | select(.kind == "voice")][0].details["watch.started"] |
    fromdateiso8601' "$r")
  # Truth in seconds from the stream's start (whole seconds: within 1 s).
  ON=$(awk -v a="$t_on" -v s="$started" 'BEGIN { printf "%.1f", a - s }')
  OFF=$(awk -v a="$t_off" -v s="$started" 'BEGIN { printf "%.1f", a - s }')
  echo "#   truth: loss from $ON s to $OFF s of the stream; episodes:" \
    "$(jq -r '[.checks[] | select(.kind == "voice")][0].details["watch.episodes"]' "$r")"
  echo "#   peak RSS ${rss} kB"

  lab_check "exit code 1: the whole run lost over 5 % (got $RC)" test "$RC" -eq 1
  lab_check "finished within $((WATCH + 15)) s (took $MS ms)" \
    test "$MS" -le $(((WATCH + 15) * 1000))
  lab_check "peak RSS ${rss} kB under $RSS_LIMIT_KB kB" test "$rss" -le "$RSS_LIMIT_KB"
  VOICE='[.checks[] | select(.kind == "voice")][0]'
  lab_jq_check "one voice check, not cut short" "$r" "$VOICE | .details.cut_short != true"
  lab_jq_check "exactly one episode counted" "$r" "$VOICE | .metrics.episodes == 1"
  lab_jq_check "the episode is loss on the uplink" "$r" \
    "$VOICE | .details[\"watch.episodes\"] | split(\";\") | length == 1 and
       (.[0] | split(\",\") | .[0] == \"loss\" and .[1] == \"uplink\")"
  lab_jq_check "its start is within one window of the truth ($ON s)" "$r" \
    "$VOICE | .details[\"watch.episodes\"] | split(\",\")[2] | tonumber |
       . >= (\$on - \$w) and . <= (\$on + \$w)" --argjson on "$ON" --argjson w "$WINDOW"
  lab_jq_check "its end is within one window of the truth ($OFF s)" "$r" \
    "$VOICE | .details[\"watch.episodes\"] | split(\",\")[3] | tonumber |
       . >= (\$off - \$w) and . <= (\$off + \$w)" --argjson off "$OFF" --argjson w "$WINDOW"
  lab_jq_check "its worst window lost 20-80 % of the uplink" "$r" \
    "$VOICE | .details[\"watch.episodes\"] | split(\",\")[4] | tonumber | . >= 20 and . <= 80"
  lab_jq_check "the summary counts it in words" "$r" \
    "$VOICE | .summary |
       test(\"^1 episode of loss over 5 % on the uplink, [0-9:]{8}-[0-9:]{8}; MOS \")"
  lab_jq_check "$((WATCH / WINDOW)) windows cover the watch" "$r" \
    "$VOICE | .details[\"series.window.start_s\"] | split(\",\") | map(tonumber) |
       length == \$n and .[0] == 0" --argjson n $((WATCH / WINDOW))
  lab_jq_check "the downlink lost nothing in any window, not even at window ends" "$r" \
    "$VOICE | .details[\"series.window.loss_pct_bwd\"] | split(\",\") | map(tonumber) | max == 0"
  lab_finish
}

lab_init
main "$@"
