#!/bin/bash
# `rtcprobe voice --reflector` against `rtcprobe serve` on loopback, with a
# lab coturn for the relay path:
#   - voice.reflector (the direct UDP port) and voice.ice (the pair ICE
#     selects) pass: 100 of 100 packets in 2 s, loss split by direction,
#     the same metric names as voice.turn, kernel vs userspace timestamps
#   - the reflector's own log counts what it echoed on each path (ground
#     truth the probe does not produce): the warm-up plus the 100 measured
#   - --relay-only --turn: voice.ice over a relay pair through that URI
#   - a wrong secret: both fail with the reason; secrets never in a report
#   - as root, in a namespace of its own: nftables drops 20 % of the direct
#     path's packets in one direction only, and the loss lands in that
#     direction (the kernel's drop counter bounds the count)
# Traffic: loopback only (the namespace's own loopback for the last part).
# Env: RTCPROBE. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
unset RTCPROBE_REFLECTOR_SECRET RTCPROBE_TURN_SECRET RTCPROBE_TURN_PASSWORD

jqc() { # what, file, expr, [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

probe() { # out, args...: lab_probe (tests/lab/lib.sh) on this host
  local out=$1
  shift
  LAB_PROBE_LIMIT=60 lab_probe "$out" --timeout 30 "$@"
}

# One direction of the direct path impaired by the kernel: $2 = dport
# (forward, to the reflector) or sport (backward, its answers).
lossy_run() {
  local ns=$1 dir=$2 r=$W/loss-$2.json dropped
  ip netns exec "$ns" nft -f - <<EOF
table inet rpvoice
delete table inet rpvoice
table inet rpvoice {
  chain input {
    type filter hook input priority 0;
    iifname "lo" udp $dir $UDP_PORT numgen random mod 100 < 20 counter drop
  }
}
EOF
  set +e
  timeout --kill-after=2 60 ip netns exec "$ns" "$RTCPROBE" --format json --timeout 30 voice \
    --reflector "ws://127.0.0.1:$WS_PORT/rtcprobe" --reflector-secret-file "$W/secret" --duration 2 >"$r" 2>"$r.err"
  RC=$?
  set -e
  dropped=$(ip netns exec "$ns" nft -j list table inet rpvoice | jq '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .packets] | add')
  printf '# in %s, 20 %% of udp %s %s dropped (%s packets): voice --reflector --duration 2 -> exit %d\n' \
    "$ns" "$dir" "$UDP_PORT" "$dropped" "$RC"
  # Packets lost after the last answer cannot be attributed (rtc/voice/stats.c):
  # five in a row at the end happen once in 3000 runs.
  if [[ $dir == dport ]]; then
    jqc "forward drops: loss_pct_fwd > 0 and the loss but for an unattributed tail, loss_pct_bwd 0" "$r" \
      'chk("voice.reflector").metrics | .loss_pct_fwd > 0 and .loss_pct_bwd == 0
       and .loss_pct_fwd <= .loss_pct and .loss_pct_fwd >= .loss_pct - 5'
  else
    jqc "backward drops: loss_pct_bwd > 0 and the loss but for an unattributed tail, loss_pct_fwd 0" "$r" \
      'chk("voice.reflector").metrics | .loss_pct_bwd > 0 and .loss_pct_fwd == 0
       and .loss_pct_bwd <= .loss_pct and .loss_pct_bwd >= .loss_pct - 5'
  fi
  # The kernel dropped the measured losses plus up to 50 warm-up packets.
  jqc "lost packets ($dir) within the kernel's drop count: lost <= $dropped <= lost + 50" "$r" \
    'chk("voice.reflector").details | (.packets_sent - .packets_received) as $l | $l <= $d and $d <= $l + 50' \
    --argjson d "${dropped:-0}"
  jqc "voice.ice, on another port, is untouched: 100/100" "$r" 'chk("voice.ice").details.packets_received == 100'
}

check_directions() {
  echo "== 5. loss in one direction, enforced by nftables in a private namespace"
  if [[ $(id -u) -ne 0 ]] || ! command -v ip >/dev/null || ! command -v nft >/dev/null; then
    echo "skip - needs root, ip and nft for a namespace with nftables"
    return 0
  fi
  local ns=rp-voicerefl-$$
  ip netns add "$ns" 2>/dev/null || { echo "skip - cannot make a network namespace"; return 0; }
  lab_on_exit "ip netns del $ns"
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" nft list tables >/dev/null 2>&1 || { echo "skip - nftables unusable in a namespace"; return 0; }
  sed '/^\[turn\]/,/^secret_file/d' "$W/serve.ini" >"$W/serve-ns.ini"
  ip netns exec "$ns" "$RTCPROBE" serve --config "$W/serve-ns.ini" 2>>"$W/serve-ns.log" &
  local pid=$!
  lab_on_exit "lab_kill_pid $pid"
  lab_wait_port 127.0.0.1 "$WS_PORT" tcp 5 "$ns" || { cat "$W/serve-ns.log" >&2; return 1; }
  lossy_run "$ns" dport
  lossy_run "$ns" sport
}

main() {
  lab_require jq turnserver openssl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  W=$(lab_tmpdir)
  (umask 077 && openssl rand -hex 24 >"$W/secret")
  WS_PORT=$(lab_free_port tcp)
  UDP_PORT=$(lab_free_port udp)
  lab_coturn_start "$W/coturn" --auth secret >/dev/null || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/coturn/env"
  local turn_udp="turn:127.0.0.1:$LAB_TURN_PORT?transport=udp"
  cat >"$W/serve.ini" <<EOF
[listen]
websocket = 127.0.0.1:$WS_PORT
udp = 127.0.0.1:$UDP_PORT
tcp = off
trusted_proxies =
[auth]
secret_file = $W/secret
max_token_ttl = 600
[turn]
servers = $turn_udp
secret_file = $LAB_TURN_SECRET_FILE
[ice]
loopback_only = true
[limits]
session_packet_rate = 100
EOF
  "$RTCPROBE" serve --config "$W/serve.ini" 2>>"$W/serve.log" &
  SERVE_PID=$!
  lab_on_exit "lab_kill_pid $SERVE_PID"
  lab_wait_port 127.0.0.1 "$WS_PORT" tcp 5 || { cat "$W/serve.log" >&2; exit 1; }
  local url="ws://127.0.0.1:$WS_PORT/rtcprobe" r=$W/voice.json
  local sec=(--reflector-secret-file "$W/secret")

  echo "== 1. voice --reflector: the direct port and the ICE pair, 2 s each"
  probe "$r" voice --reflector "$url" "${sec[@]}" --duration 2
  lab_check "exit 0 (got $RC)" test "$RC" -eq 0
  lab_check "1 s warm-up + 2 s + drain, both at once (took $MS ms)" test "$MS" -le 9000
  jqc "voice.reflector and voice.ice, both pass, kind voice" "$r" \
    '([.checks[] | select(.kind == "voice") | .id] | sort) == ["voice.ice", "voice.reflector"]
     and all(.checks[] | select(.kind == "voice"); .status == "pass")'
  jqc "100 packets sent and 100 back on each path" "$r" \
    'all(.checks[] | select(.kind == "voice"); .details.packets_sent == 100 and .details.packets_received == 100)'
  jqc "loss split by direction: loss_pct_fwd and loss_pct_bwd both 0 (the warm-up is not forward loss)" "$r" \
    'all(.checks[] | select(.kind == "voice") | .metrics; .loss_pct_fwd == 0 and .loss_pct_bwd == 0 and .loss_pct == 0)'
  jqc "voice.turn's metric names: RTT percentiles ordered, jitter per direction, MOS of a clean path" "$r" \
    'all(.checks[] | select(.kind == "voice") | .metrics;
         .rtt_ms_min > 0 and .rtt_ms_min <= .rtt_ms_p50 and .rtt_ms_p50 <= .rtt_ms_p95 and .rtt_ms_p95 <= .rtt_ms_p99
         and .rtt_ms_p99 <= .rtt_ms_max and .jitter_ms_fwd < 5 and .jitter_ms_bwd < 5 and .mos > 4.355 and .mos < 4.365)'
  jqc "series: 100 RTT points, none lost; opus 102-byte packets every 20 ms" "$r" \
    'all(.checks[] | select(.kind == "voice"); (.details["series.rtt_ms"] | split(",") | length) == 100
         and .details["series.lost"] == "" and .details.packet_bytes == 102 and .metrics.interval_ms == 20)'
  jqc "voice.reflector: kernel receive timestamps, the direct port from the welcome" "$r" \
    'chk("voice.reflector") | .details.rx_timestamps == "kernel" and .details.direct_address == $a' \
    --arg a "127.0.0.1:$UDP_PORT"
  jqc "voice.ice: userspace timestamps, a selected pair named (path, transport, both sides)" "$r" \
    'chk("voice.ice") | .details.rx_timestamps == "userspace" and (.details.path | IN("host", "srflx", "relay"))
     and (.details.path_transport | IN("udp", "tcp")) and (.details.selected_pair | type == "string")
     and .metrics.connect_ms > 0'
  # Ground truth: what serve itself counted, 50 warm-up + 100 measured per
  # path (on the ICE pair the first warm-up packet may beat the far end's
  # own READY: that is what the warm-up is for).
  sleep 0.5
  lab_check "serve echoed 150 packets direct, 100 + most of the warm-up over ICE, one session each" \
    bash -c 'grep -q "echoed 0 ice, 150 direct" "$1" && n=$(grep -oE "echoed [0-9]+ ice, 0 direct" "$1" | grep -oE "[0-9]+" | head -1) \
             && [ "$n" -gt 140 ] && [ "$n" -le 150 ]' _ "$W/serve.log"

  echo "== 2. --relay-only --turn: voice.ice over a relay pair"
  r=$W/relay.json
  probe "$r" voice --reflector "$url" "${sec[@]}" --duration 2 --relay-only --turn "$turn_udp" \
    --secret-file "$LAB_TURN_SECRET_FILE"
  lab_check "exit 0 (got $RC)" test "$RC" -eq 0
  jqc "only voice.ice, passing over a relay pair via the --turn URI, 100/100" "$r" \
    '([.checks[] | select(.kind == "voice") | .id]) == ["voice.ice"]
     and (chk("voice.ice") | .status == "pass" and .details.path == "relay" and .details.local_type == "relay"
          and .details.path_transport == "udp" and .details.turn_uri == $uri
          and .details.packets_received == 100 and .metrics.loss_pct_fwd == 0 and .metrics.loss_pct_bwd == 0
          and (.summary | test("relay over udp via")))' --arg uri "$turn_udp"
  # Ground truth rtcprobe did not produce: the relay range in coturn's config.
  jqc "the local relay address is in coturn's relay range" "$r" \
    'chk("voice.ice").details.local_address | capture(":(?<p>[0-9]+)$").p | tonumber | . >= $min and . <= $max' \
    --argjson min "$LAB_TURN_RELAY_MIN" --argjson max "$LAB_TURN_RELAY_MAX"

  echo "== 3. a wrong secret"
  r=$W/wrong.json
  printf 'wrong-secret-0123456789\n' >"$W/wrong-secret"
  probe "$r" voice --reflector "$url" --reflector-secret-file "$W/wrong-secret" --duration 1
  lab_check "exit 1 (got $RC)" test "$RC" -eq 1
  jqc "both fail: the reflector refused (unauthorized), the hint names the secret, nothing measured" "$r" \
    'all(.checks[] | select(.kind == "voice"); .status == "fail" and .details.reflector_error == "unauthorized"
         and (.summary | test("refused")) and (.hint | test("secret")) and .details.packets_sent == null)
     and ([.checks[] | select(.kind == "voice")] | length) == 2'

  echo "== 4. usage"
  probe "$r" voice --relay-only --turn "$turn_udp" --secret-file "$LAB_TURN_SECRET_FILE"
  lab_check "--relay-only without --reflector: exit 2 (got $RC)" test "$RC" -eq 2
  probe "$r" voice --reflector "http://127.0.0.1:$WS_PORT/" "${sec[@]}"
  lab_check "--reflector with an http URL: exit 2 (got $RC)" test "$RC" -eq 2
  lab_check "the secrets never appear in the reports" \
    bash -c '! grep -rqF -- "$(cat "$1")" "$2"/*.json && ! grep -rqF -- "$(cat "$3")" "$2"/*.json' \
    _ "$W/secret" "$W" "$LAB_TURN_SECRET_FILE"
  check_directions
  lab_finish
}

lab_init
main "$@"
