#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# rtcprobe `load` measures loss injected into the middle of a run, per
# direction, against the kernel's own count: a client namespace and a server
# namespace joined by a veth pair, coturn in the server namespace.
#
# Each run ramps 10 more voice streams every STEP_S seconds up to 50 (five
# steps). Once the first ChannelData packet reaches the server (the run has
# begun), the script waits until the middle of step 3 and adds, in one nft
# transaction, a rule that drops LOSS_PCT % (numgen random) of ONE
# direction's ChannelData entering the server from the veth, and a rule that
# only counts the packets it applies to. Every hop between client and
# server crosses the one veth, so the rule tells the directions apart by the
# ChannelData channel number (RFC 8656 12.4, the first two payload octets,
# @th,64,16), as voice-accuracy-netns.sh does: A sends on 0x4000 (forward,
# A to B through the relays), B reflects on 0x4001 (backward); packets from
# the server to the clients enter the client namespace, not the server's
# input. STUN (set-ups of the streams added later) starts with 0b00 and is
# never matched.
#
# A step sets up its new streams first; its loss counts the packets sent
# from its window's start until a grace period before its end
# (probe/net/load-run.c); step 3 straddles the moment the
# rule arrives and is only bounded. Asserted, for a forward and then a
# backward run:
#   - steps 1-2 (before): at most a handful of packets lost either way;
#   - steps 4-5 (after): the lossy direction's loss, per step and over both,
#     inside the binomial 99.9 % interval around LOSS_PCT for the packets
#     counted (p +- 3.291 sqrt(p (1 - p) / n)); the other direction at most
#     a handful of packets;
#   - the kernel: its drop fraction is inside the same interval for the
#     packets it matched; the probe counted no more lost packets than the
#     kernel dropped, nor more packets than the kernel matched;
#   - the probe sent every datagram its streams made (the loss is the
#     network's), the sender kept its schedule (p50 <= 1 ms, p99 <= 10 ms
#     late at every step) and every step set up all its streams;
#   - the verdict says the sender was late exactly when a step up to the
#     knee was over 10 ms (half the packet interval) at p99 (with the step),
#     as check-load.c words it;
#   - the verdict names a loss knee at step 3 or 4 in the lossy direction's
#     words ("forward (A to B through the relays)" / "backward (B to A)").
# Nothing leaves the two namespaces: the client has no route but the veth.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}

NS_C=rp-ldcli-$$
NS_S=rp-ldsrv-$$
VETH_C=rdc$$
VETH_S=rds$$
# RFC 2544 benchmarking range: addresses that exist only inside these namespaces.
CLI4=198.18.0.1
SRV4=198.18.0.2
LOSS_PCT=5
STREAMS=50
RAMP=10
STEP_S=3
STEPS=$((STREAMS / RAMP))
LOSS_AT_MS=$((2500 * STEP_S))   # from the first packet: the middle of step 3
FIRST_LOSSY=4                   # the first step wholly after it
# Lost packets tolerated where nothing is dropped on purpose.
HANDFUL=5
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

preflight() {
  lab_require ip nft turnserver turnutils_stunclient jq ss openssl awk timeout
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

# The table for one run: a rule counting every ChannelData packet of channel
# $1 entering the server (it tells when the run has begun).
count_rules() {
  local chan=$1
  ip netns exec "$NS_S" nft -f - <<EOF
table inet rpload
delete table inet rpload
table inet rpload {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$VETH_S" udp dport $P @th,64,16 $chan counter comment "all"
  }
}
EOF
}

# Mid-run, in one transaction: count the packets of channel $1 from now on,
# and drop LOSS_PCT % of them. The nft that commits them is started before
# the run and waits on a FIFO: starting `ip netns exec ... nft` takes this
# 2-core machine 50-130 ms of CPU, and started mid-run it made the probe's
# sender late by as much in the step it landed in (seen in 3 runs of 16).
# Usage: loss_rules_prepare (sets NFT_PID), then loss_rules_commit CHAN.
loss_rules_prepare() {
  rm -f "$W/rules"
  mkfifo "$W/rules"
  ip netns exec "$NS_S" nft -f "$W/rules" &
  NFT_PID=$!
  lab_on_exit "lab_kill_pid $NFT_PID"
}

loss_rules_commit() {
  local chan=$1
  cat >"$W/rules" <<EOF
add rule inet rpload input iifname "$VETH_S" udp dport $P @th,64,16 $chan counter comment "seen"
add rule inet rpload input iifname "$VETH_S" udp dport $P @th,64,16 $chan numgen random mod 100 < $LOSS_PCT counter drop comment "drop"
EOF
  wait "$NFT_PID"
}

rule_packets() { # comment
  ip netns exec "$NS_S" nft -j list chain inet rpload input |
    jq --arg c "$1" '[.nftables[] | select(.rule.comment? == $c) | .rule.expr[] | .counter? | select(. != null) | .packets] | first // 0'
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# 99.9 % interval of the loss percentage for N packets at p = LOSS_PCT %
# (normal approximation of the binomial: n p is in the hundreds here).
binomial_interval() {
  awk -v n="$1" -v p="$LOSS_PCT" 'BEGIN {
    p /= 100; h = 3.291 * sqrt(p * (1 - p) / n)
    printf "%.4f %.4f\n", 100 * (p - h), 100 * (p + h) }'
}

jqc() { # what, file, expr (chk(ID) available), [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

# Packets lost in direction $2 over steps $3..$4 of report $1 (loss_pct is
# of the packets sent forward, of those that reached B backward; the sent
# count stands for both, the forward loss being a handful at most there).
lost_in() {
  jq --arg k "loss_pct_$2" --argjson a "$3" --argjson b "$4" \
    '[range($a; $b + 1) as $i | .checks[] | select(.id == "load.step.\($i)") | .metrics
      | .[$k] * .packets_sent / 100 | round] | add' "$1"
}

sent_in() {
  jq --argjson a "$2" --argjson b "$3" \
    '[range($a; $b + 1) as $i | .checks[] | select(.id == "load.step.\($i)") | .metrics.packets_sent] | add' "$1"
}

run_loss() { # direction (forward|backward), channel
  local dir=$1 chan=$2 me other words r=$W/load-$1.json pid t0 t1 t2 waited
  local matched dropped all_before lo hi n lost s l slo shi
  if [[ $dir == forward ]]; then
    me=fwd other=bwd words="forward (A to B through the relays)"
  else
    me=bwd other=fwd words="backward (B to A)"
  fi
  echo "== $dir: $LOSS_PCT % of channel $chan dropped at the server's input from the middle of step 3"
  count_rules "$chan"
  loss_rules_prepare
  # Setup (a few seconds at most here), STEPS x STEP_S of streams, the release.
  t0=$(now_ms)
  ip netns exec "$NS_C" timeout --kill-after=2 40 "$RTCPROBE" --format json --timeout 35 \
    load --streams "$STREAMS" --ramp "$RAMP/$STEP_S" --turn "turn:$SRV4:$P" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE" >"$r" 2>"$r.err" &
  pid=$!
  lab_on_exit "lab_kill_pid $pid"
  # The run's start: the first packet of the channel at the server.
  t1=""
  for _ in $(seq 500); do
    if (($(rule_packets all) > 0)); then
      t1=$(now_ms)
      break
    fi
    lab_pid_alive "$pid" || break
    sleep 0.02
  done
  lab_check "$dir: the first packet of channel $chan reached the server (after $((${t1:-$t0} - t0)) ms)" \
    test -n "$t1"
  if [[ -n $t1 ]]; then
    waited=$((LOSS_AT_MS - ($(now_ms) - t1)))
    ((waited > 0)) && sleep "$(awk -v ms="$waited" 'BEGIN { printf "%.3f", ms / 1000 }')"
    all_before=$(rule_packets all)
    t2=$(now_ms)
    loss_rules_commit "$chan"
    echo "#   loss rule added $(($(now_ms) - t1)) ms after the first packet ($all_before packets before it;" \
      "nft took $(($(now_ms) - t2)) ms)"
  fi
  set +e
  wait "$pid"
  RC=$?
  set -e
  MS=$(($(now_ms) - t0))
  echo "# [$NS_C] rtcprobe load --streams $STREAMS --ramp $RAMP/$STEP_S -> exit $RC in $MS ms"
  sed 's/^/#   stderr: /' "$r.err" | head -n 5
  jq -r '.checks[] | "#   \(.id): \(.status): \(.summary)"' "$r" 2>/dev/null || true

  lab_check "$dir: exit 0, a knee is a finding (got $RC)" test "$RC" -eq 0
  lab_check "$dir: finished within $((STEPS * STEP_S + 8)) s (took $MS ms)" test "$MS" -le $(((STEPS * STEP_S + 8) * 1000))
  lab_check "$dir: no sanitizer report" test -z "$(grep -e 'Sanitizer' -e 'runtime error' "$r.err")"
  jqc "$dir: $STEPS steps of $RAMP..$STREAMS streams, all set up, none failed, all released" "$r" \
    '[.checks[] | select(.id | startswith("load.step.")) | .metrics] as $m
     | ($m | length) == $steps and all($m[]; .streams_established == .streams_attempted and .setup_failures == 0)
     and ([$m[].streams_attempted] == [range(1; $steps + 1) | . * $ramp])
     and chk("load.verdict").details.released == $streams and chk("load.verdict").details.release_failures == 0' \
    --argjson steps "$STEPS" --argjson ramp "$RAMP" --argjson streams "$STREAMS"
  # 50 packets/s per stream over the step less its 0.5 s grace (the
  # streams it adds are set up before its window).
  jqc "$dir: each step counted the packets of its streams (>= 97 %, <= 102 % of streams x $((STEP_S * 1000 - 500)) ms x 50/s)" "$r" \
    'all(.checks[] | select(.id | startswith("load.step.")) | .metrics;
         .packets_sent >= 0.97 * .streams_attempted * ($len - 0.5) * 50
         and .packets_sent <= 1.02 * .streams_attempted * ($len - 0.5) * 50)' --argjson len "$STEP_S"
  jqc "$dir: every datagram the streams made was sent (no send error, none left without a slot)" "$r" \
    'chk("load.verdict").details | .send_errors == 0 and .datagrams_not_sent == 0'
  # This 2-core VM wakes any process (a sleep loop in Python as much) up to
  # about 4 ms late at p99: the bound is half the 20 ms packet interval, so
  # every packet still leaves in order and inside its step.
  jqc "$dir: the sender kept its schedule at every step (late p50 <= 1 ms, p99 <= 10 ms)" "$r" \
    'all(.checks[] | select(.id | startswith("load.step.")) | .metrics;
         .schedule_error_ms_p50 <= 1 and .schedule_error_ms_p99 <= 10)'
  # Over 10 ms (half the interval) at p99 at or before the knee, the verdict
  # must say the probe was late and where; otherwise it must not.
  jqc "$dir: the verdict says whether the sender was late (p99 over 10 ms) by the knee" "$r" \
    '[.checks[] | select(.id | startswith("load.step.")) | .metrics.schedule_error_ms_p99] as $p
     | chk("load.verdict") | .details.knee_step as $k
     | ([$p[:$k] | to_entries[] | select(.value > 10) | .key + 1] | first) as $late
     | if $late == null then (.details.probe_limited != true) and (.hint | test("schedule error") | not)
       else .details.probe_limited == true
            and (.hint | test("schedule error p99 was [0-9.]+ ms at step \($late) \\(over 10 ms"))
       end'
  [[ -n $t1 ]] || return 0

  matched=$(rule_packets seen)
  dropped=$(rule_packets drop)
  read -r lo hi < <(binomial_interval "$matched")
  echo "#   kernel: $matched packets of channel $chan after the rule, $dropped dropped" \
    "($(awk -v d="$dropped" -v m="$matched" 'BEGIN { printf "%.3f", m ? 100 * d / m : 0 }') %)," \
    "99.9 % interval $lo-$hi %"
  lab_check "$dir: the kernel dropped $LOSS_PCT % of what it matched: $dropped of $matched in [$lo, $hi] %" \
    awk -v d="$dropped" -v m="$matched" -v lo="$lo" -v hi="$hi" \
    'BEGIN { x = m ? 100 * d / m : -1; exit !(m > 1000 && x >= lo && x <= hi) }'

  for s in 1 2; do
    jqc "$dir: step $s (before the rule): lost at most $HANDFUL packets each way" "$r" \
      'chk("load.step." + $s).metrics | (.loss_pct_fwd * .packets_sent / 100 | round) <= $h
       and (.loss_pct_bwd * .packets_sent / 100 | round) <= $h' --arg s "$s" --argjson h "$HANDFUL"
  done
  n=$(sent_in "$r" 3 3)
  read -r slo shi < <(binomial_interval "$n")
  jqc "$dir: step 3 (straddles the rule): loss_pct_$me between 0 and $shi" "$r" \
    'chk("load.step.3").metrics[$k] | . >= 0 and . <= $hi' --arg k "loss_pct_$me" --argjson hi "$shi"
  for s in $(seq "$FIRST_LOSSY" "$STEPS"); do
    n=$(sent_in "$r" "$s" "$s")
    read -r slo shi < <(binomial_interval "$n")
    echo "#   step $s: $n sent, loss $(jq -r --arg s "$s" "$LAB_JQ_DEFS"' chk("load.step." + $s).metrics
      | "\(.loss_pct_fwd) % fwd, \(.loss_pct_bwd) % bwd"' "$r"); 99.9 % interval $slo-$shi %"
    jqc "$dir: step $s: loss_pct_$me in the binomial 99.9 % interval [$slo, $shi] for $n packets" "$r" \
      'chk("load.step." + $s).metrics[$k] | . >= $lo and . <= $hi' \
      --arg s "$s" --arg k "loss_pct_$me" --argjson lo "$slo" --argjson hi "$shi"
    jqc "$dir: step $s: loss_pct_$other at most $HANDFUL packets" "$r" \
      'chk("load.step." + $s).metrics | (.[$k] * .packets_sent / 100 | round) <= $h' \
      --arg s "$s" --arg k "loss_pct_$other" --argjson h "$HANDFUL"
  done
  n=$(sent_in "$r" "$FIRST_LOSSY" "$STEPS")
  lost=$(lost_in "$r" "$me" "$FIRST_LOSSY" "$STEPS")
  l=$(lost_in "$r" "$me" 3 "$STEPS")
  read -r lo hi < <(binomial_interval "$n")
  echo "#   steps $FIRST_LOSSY-$STEPS: $lost of $n lost $dir" \
    "($(awk -v d="$lost" -v m="$n" 'BEGIN { printf "%.3f", 100 * d / m }') %), 99.9 % interval $lo-$hi %;" \
    "steps 3-$STEPS: $l lost, kernel $dropped dropped"
  lab_check "$dir: steps $FIRST_LOSSY-$STEPS: $lost of $n lost in [$lo, $hi] %" \
    awk -v d="$lost" -v m="$n" -v lo="$lo" -v hi="$hi" 'BEGIN { x = 100 * d / m; exit !(x >= lo && x <= hi) }'
  lab_check "$dir: the probe lost no more than the kernel dropped after the rule ($l <= $dropped + $HANDFUL)" \
    test "$l" -le $((dropped + HANDFUL))
  lab_check "$dir: the probe counted no more packets than the kernel matched ($n <= $matched)" \
    test "$n" -le "$matched"

  jqc "$dir: the verdict names a loss knee at step 3 or 4, $words" "$r" \
    'chk("load.verdict") | .details.knee_step as $k | .status == "warn" and .details.knee_reason == "loss"
     and ($k == 3 or $k == 4) and (.summary | startswith("knee at step \($k) ("))
     and (.summary | endswith(" % " + $w + ", over 1 %"))' --arg w "$words"
}

main() {
  preflight
  make_network
  P=$(lab_free_port both "$NS_S")
  W=$(lab_tmpdir)
  # 50 streams hold 100 relay ports.
  lab_coturn_start "$W/coturn" --netns "$NS_S" --ip "$SRV4" --port "$P" --relay-ports 128 \
    --no-loopback-peers >/dev/null ||
    { echo "could not start coturn in $NS_S" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/coturn/env"
  echo "# $NS_S: coturn on $SRV4:$P"
  run_loss forward 0x4000
  run_loss backward 0x4001
  lab_finish
}

lab_init
main "$@"
