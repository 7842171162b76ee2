#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# rtcprobe `voice` measured against ground truth it does not produce itself:
# a client namespace and a server namespace joined by a veth pair, coturn in
# the server namespace relaying from its veth address.
#
#   1. Loss: nftables drops N % of the measured stream in ONE direction, on
#      the server's input chain (the receiving side). The stream over TURN is
#      A -> coturn -> relay A -> relay B -> coturn -> B and back, and every
#      hop between client and server crosses the one veth, so the rule tells
#      the directions apart by the ChannelData channel number (RFC 8656 12.4,
#      the first two payload octets, @th,64,16): A sends on 0x4000 (the
#      forward stream leaving the sender), B on 0x4001 (the reflected,
#      backward stream). Packets from the server to the clients carry the
#      same numbers but enter the client namespace, not the server's input.
#      The STAMP SSID (RFC 8972, payload octets 18-19, @th,208,16) is 0 on
#      the measured stream and 1 on the warm-up, so the kernel drops only
#      measured packets and its counter is the exact number lost.
#      Asserted: the direction's loss inside the binomial 99.9 % interval for
#      the packets sent, the other direction <= 0.5 %, the lost count equal
#      to the kernel's, and the verdict blaming that direction.
#   2. Delay and jitter: tests/lab/delay-relay between the probe and coturn
#      (in the server namespace, on its veth address), with known delay
#      distributions; a direct run in the same test is the baseline.
#   3. TURN over TCP through delay-relay's stream mode: RTT.
# Every probe run is bounded (--timeout and an outer timeout) and its wall
# time asserted. Nothing leaves the two namespaces.
# Env: RTCPROBE, DELAY_RELAY = the built binaries. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
DELAY_RELAY=${DELAY_RELAY:-$HERE/../../build/tests/lab/delay-relay}

NS_C=rp-vacc-$$
NS_S=rp-vacs-$$
VETH_C=rvc$$
VETH_S=rvs$$
# RFC 2544 benchmarking range: addresses that exist only inside these namespaces.
CLI4=198.18.0.1
SRV4=198.18.0.2
LOSS_PCT=10
LOSS_DURATION=20       # s: 1000 packets of 20 ms
DELAY_DURATION=6       # s: 300 packets, enough for a median
JITTER_DURATION=20     # s: 1000 jitter updates
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

preflight() {
  lab_require ip nft turnserver turnutils_stunclient jq ss openssl awk
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  [[ -x $DELAY_RELAY ]] || { echo "DELAY_RELAY=$DELAY_RELAY is not an executable" >&2; exit 1; }
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

# Run the probe's voice check from the client namespace with an outer limit.
# Usage: probe OUT DURATION URI. Sets RC and MS (wall time in ms).
probe() {
  local out=$1 duration=$2 uri=$3
  # Setup (< 10 s budget) + 1 s warm-up + the stream + 1 s drain, with room.
  PROBE_TIMEOUT=$((duration + 15))
  LAB_PROBE_NETNS="$NS_C" LAB_PROBE_LIMIT=$((PROBE_TIMEOUT + 10)) lab_probe "$out" --timeout "$PROBE_TIMEOUT" \
    voice --duration "$duration" --turn "$uri" --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  jq -r '.checks[] | "#   \(.id): \(.status): \(.summary)"' "$out" 2>/dev/null || true
}

# The one voice check of a report (voice.turn.udp or voice.turn.tcp).
VOICE_DEF='def voice: [.checks[] | select(.kind == "voice")] | first;'

jqc() { # what, file, expr (chk(ID) and voice available), [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $VOICE_DEF $expr" "$@"
}

metric() { # file, jq path under the voice check
  jq -r "$VOICE_DEF voice | $2" "$1"
}

# A run ends when its stream does: the wall time is bounded by the stream,
# not by the deadline, and nothing was cut short.
check_run() {
  local what=$1 r=$2 duration=$3 status=${4:-pass} limit
  limit=$(((duration + 6) * 1000))
  lab_check "$what: finished within $((limit / 1000)) s (took $MS ms)" test "$MS" -le "$limit"
  jqc "$what: one voice check, status $status, not cut short" "$r" \
    '[.checks[] | select(.kind == "voice")] | length == 1 and (.[0].status == $st) and (.[0].details.cut_short != true)' \
    --arg st "$status"
}

# ---------------------------------------------------------------- 1. loss

# Drops LOSS_PCT % of the measured packets on channel CHAN entering the
# server from the veth; the first rule counts every measured packet there.
loss_rules() {
  local chan=$1
  ip netns exec "$NS_S" nft -f - <<EOF
table inet rpvoice
delete table inet rpvoice
table inet rpvoice {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$VETH_S" udp dport $P @th,64,16 $chan @th,208,16 0 counter
    iifname "$VETH_S" udp dport $P @th,64,16 $chan @th,208,16 0 numgen random mod 100 < $LOSS_PCT counter drop
  }
}
EOF
}

# Packets counted by the rule that drops (drop) or only counts (all).
rule_packets() {
  ip netns exec "$NS_S" nft list chain inet rpvoice input |
    awk -v w="$1" '/counter packets/ && (w == "drop") == ($NF == "drop") {
      for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

# 99.9 % interval of the loss percentage for N packets at p = LOSS_PCT %
# (normal approximation of the binomial: p +- 3.291 sqrt(p (1 - p) / N)):
# wide enough that the kernel's own random draw fails the run once in a
# thousand, while the exact count below pins the measurement itself.
binomial_interval() {
  awk -v n="$1" -v p="$LOSS_PCT" 'BEGIN {
    p /= 100; h = 3.291 * sqrt(p * (1 - p) / n)
    printf "%.4f %.4f\n", 100 * (p - h), 100 * (p + h) }'
}

run_loss() { # direction (forward|backward), channel
  local dir=$1 chan=$2 me other r=$W/loss-$1.json lo hi sent lost dropped matched
  if [[ $dir == forward ]]; then me=fwd other=bwd; else me=bwd other=fwd; fi
  echo "== 1. loss: $LOSS_PCT % of channel $chan ($dir) dropped at the server's input"
  loss_rules "$chan"
  probe "$r" "$LOSS_DURATION" "turn:$SRV4:$P?transport=udp"
  # 10 % loss is over the fail line: exit 1 with a failed check is expected.
  lab_check "$dir loss: exit code 1 (got $RC)" test "$RC" -eq 1
  check_run "$dir loss" "$r" "$LOSS_DURATION" fail
  matched=$(rule_packets all)
  dropped=$(rule_packets drop)
  sent=$(metric "$r" .details.packets_sent)
  lost=$(($(metric "$r" .details.packets_sent) - $(metric "$r" .details.packets_received)))
  read -r lo hi < <(binomial_interval "$sent")
  echo "#   kernel: $matched measured packets on $chan, $dropped dropped ($(awk -v d="$dropped" -v m="$matched" \
    'BEGIN { printf "%.2f", m ? 100 * d / m : 0 }') %); probe: $sent sent, $lost lost," \
    "fwd $(metric "$r" .metrics.loss_pct_fwd) %, bwd $(metric "$r" .metrics.loss_pct_bwd) %;" \
    "99.9 % interval $lo-$hi %"
  lab_check "$dir loss: the rule saw every measured packet of the direction ($matched of $sent)" \
    test "$matched" -eq "$sent"
  lab_check "$dir loss: packets lost ($lost) == packets the kernel dropped ($dropped)" test "$lost" -eq "$dropped"
  jqc "$dir loss: loss_pct_$me in the binomial 99.9 % interval [$lo, $hi]" "$r" \
    'voice.metrics[$k] | . >= $lo and . <= $hi' \
    --arg k "loss_pct_$me" --argjson lo "$lo" --argjson hi "$hi"
  jqc "$dir loss: loss_pct_$other <= 0.5" "$r" 'voice.metrics[$k] <= 0.5' --arg k "loss_pct_$other"
  jqc "$dir loss: loss_pct_$me is the kernel's count over packets sent" "$r" \
    'voice | (.metrics[$k] * .details.packets_sent / 100 | round) >= ($d - 2)' \
    --arg k "loss_pct_$me" --argjson d "$dropped"
  jqc "$dir loss: blame says loss only $dir" "$r" \
    'voice.details.blame | test("^loss only " + $dir)' --arg dir "$dir"
}

# ---------------------------------------------------------------- 2./3. delay

# Start delay-relay in the server namespace on SRV4:$1 in front of coturn.
# Usage: relay_start PORT MODE ARGS... Sets RELAY_PID and RELAY_LOG.
relay_start() {
  local port=$1 mode=$2
  shift 2
  RELAY_LOG=$W/relay-$port-$RANDOM.log
  ip netns exec "$NS_S" "$DELAY_RELAY" --mode "$mode" --listen "$SRV4:$port" --target "$SRV4:$P" \
    --max-seconds 120 --seed 20240611 "$@" >"$RELAY_LOG" 2>&1 &
  RELAY_PID=$!
  lab_on_exit "lab_kill_pid $RELAY_PID"
  lab_wait_port "$SRV4" "$port" "$mode" 5 "$NS_S" || {
    cat "$RELAY_LOG" >&2
    echo "delay-relay did not start" >&2
    exit 1
  }
}

# Stop it with SIGTERM (it must exit and print its counters), show them.
relay_stop() {
  local what=$1 t0 ok=0
  kill -TERM "$RELAY_PID"
  for _ in $(seq 50); do
    lab_pid_alive "$RELAY_PID" || { ok=1; break; }
    sleep 0.1
  done
  lab_check "$what: delay-relay exits on SIGTERM within 5 s" test "$ok" -eq 1
  wait "$RELAY_PID" 2>/dev/null || true
  sed 's/^/#   /' "$RELAY_LOG"
  lab_check "$what: delay-relay dropped nothing" \
    bash -c '! grep -Eq "dropped [1-9]" "$0"' "$RELAY_LOG"
}

# |a - b| <= tol, in awk.
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

run_delay() {
  local r base_udp base_tcp base_jf base_jb p50 jf jb expect j_expect n
  local L U
  L=$(lab_free_port both "$NS_S")
  echo "== 2. delay: baseline (direct), then delay-relay constant 12 ms up, 8 ms down"
  r=$W/base-udp.json
  probe "$r" "$DELAY_DURATION" "turn:$SRV4:$P?transport=udp"
  check_run "baseline udp" "$r" "$DELAY_DURATION"
  base_udp=$(metric "$r" .metrics.rtt_ms_p50)
  base_jf=$(metric "$r" .metrics.jitter_ms_fwd)
  base_jb=$(metric "$r" .metrics.jitter_ms_bwd)

  # Each STAMP packet crosses the client<->server link twice per direction:
  # A -> coturn (up) and coturn -> B (down) forward, B -> coturn (up) and
  # coturn -> A (down) back; the relay-to-relay hop stays inside the server.
  # So RTT = 2 (up + down) + baseline = 2 (12 + 8) = 40 ms + baseline.
  relay_start "$L" udp --up const:12 --down const:8
  r=$W/const-udp.json
  probe "$r" "$DELAY_DURATION" "turn:$SRV4:$L?transport=udp"
  check_run "constant delay udp" "$r" "$DELAY_DURATION"
  relay_stop "constant delay udp"
  p50=$(metric "$r" .metrics.rtt_ms_p50)
  expect=$(awk -v b="$base_udp" 'BEGIN { printf "%.3f", 40 + b }')
  echo "#   RTT p50 $p50 ms; expected 40 + $base_udp (baseline) = $expect ms"
  lab_check "constant delay udp: RTT p50 $p50 ms within 1 ms of $expect ms" near "$p50" "$expect" 1

  echo "== 2. jitter: delay-relay uniform 10 +- 5 ms each way"
  # Ground truth for the RFC 3550 A.8 estimator. One-way transit of packet i
  # is X_i = c + U_i + V_i: U the up draw, V the down draw, independent,
  # uniform on [-a, a] around their mean (a = 5 ms). D_i = X_i - X_{i-1}
  # = (U_i - U_{i-1}) + (V_i - V_{i-1}) is a sum of four independent
  # U[-a, a] (a difference of two symmetric uniforms is the sum of two).
  # For one link crossing it would be two: E|D| = 2a/3. For four, with
  # S = 2a (I - 2), I the Irwin-Hall sum of four U[0, 1] (density on [2, 4]
  # (1/6)[(2-t)^3 - 4(1-t)^3] at 2 + t for t in [0, 1], (4-x)^3/6 on [3, 4]):
  # E|I - 2| = 2 (11/60 + 1/20) = 7/15, so E|D| = 14a/15 = 4.667 ms.
  # J_i = J_{i-1} + (|D_i| - J_{i-1})/16 converges to E|D| from J_0 = 0;
  # the probe reports the mean of J over n updates, whose expectation is
  # E|D| (1 - 15 (1 - (15/16)^n) / n). The loopback baseline jitter (about
  # 0.05 ms) is added, as an upper bound of its share.
  relay_start "$L" udp --delay uniform:10:5
  r=$W/uniform-udp.json
  probe "$r" "$JITTER_DURATION" "turn:$SRV4:$L?transport=udp"
  check_run "uniform delay udp" "$r" "$JITTER_DURATION"
  relay_stop "uniform delay udp"
  n=$(metric "$r" '.details.packets_received - 1')
  jf=$(metric "$r" .metrics.jitter_ms_fwd)
  jb=$(metric "$r" .metrics.jitter_ms_bwd)
  p50=$(metric "$r" .metrics.rtt_ms_p50)
  for U in fwd bwd; do
    local base=$base_jf got=$jf
    [[ $U == bwd ]] && base=$base_jb got=$jb
    j_expect=$(awk -v a=5 -v n="$n" -v b="$base" 'BEGIN {
      printf "%.4f", 14 * a / 15 * (1 - 15 * (1 - (15 / 16) ^ n) / n) + b }')
    echo "#   jitter_ms_$U $got ms; expected $j_expect ms (14a/15, a = 5 ms, $n updates, + baseline $base)"
    lab_check "uniform delay udp: jitter_ms_$U $got within 20 % of $j_expect" \
      near "$got" "$j_expect" "$(awk -v e="$j_expect" 'BEGIN { print 0.2 * e }')"
  done
  # The sum of eight symmetric draws: its median is its mean.
  expect=$(awk -v b="$base_udp" 'BEGIN { printf "%.3f", 40 + b }')
  lab_check "uniform delay udp: RTT p50 $p50 ms within 1 ms of $expect ms" near "$p50" "$expect" 1

  echo "== 3. TURN over TCP: baseline, then delay-relay's stream mode, constant 10 ms each way"
  r=$W/base-tcp.json
  probe "$r" "$DELAY_DURATION" "turn:$SRV4:$P?transport=tcp"
  check_run "baseline tcp" "$r" "$DELAY_DURATION"
  base_tcp=$(metric "$r" .metrics.rtt_ms_p50)
  relay_start "$L" tcp --delay const:10
  r=$W/const-tcp.json
  probe "$r" "$DELAY_DURATION" "turn:$SRV4:$L?transport=tcp"
  check_run "constant delay tcp" "$r" "$DELAY_DURATION"
  relay_stop "constant delay tcp"
  p50=$(metric "$r" .metrics.rtt_ms_p50)
  # Same path as UDP: 2 (10 + 10) = 40 ms over the baseline.
  expect=$(awk -v b="$base_tcp" 'BEGIN { printf "%.3f", 40 + b }')
  echo "#   RTT p50 $p50 ms; expected 40 + $base_tcp (baseline) = $expect ms"
  lab_check "constant delay tcp: RTT p50 $p50 ms within 1 ms of $expect ms" near "$p50" "$expect" 1
}

main() {
  preflight
  make_network
  P=$(lab_free_port both "$NS_S")
  T=$(lab_free_port both "$NS_S")
  W=$(lab_tmpdir)
  lab_coturn_start "$W/coturn" --netns "$NS_S" --ip "$SRV4" --port "$P" --tls-port "$T" --no-loopback-peers ||
    { echo "could not start coturn in $NS_S" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/coturn/env"
  echo "# $NS_S: coturn on $SRV4:$P, relays $LAB_TURN_RELAY_MIN-$LAB_TURN_RELAY_MAX"
  run_loss forward 0x4000
  run_loss backward 0x4001
  ip netns exec "$NS_S" nft delete table inet rpvoice
  run_delay
  lab_finish
}

lab_init
main "$@"
