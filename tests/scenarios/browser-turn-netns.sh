#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# A real browser against rtcprobe's TURN verdict, on the same networks.
# Two namespaces (client, server) joined by a veth pair, the lab's coturn in
# the server namespace (certificate from the lab CA, which the browser trusts
# through an NSS database made here), and nftables in the server namespace
# for each network condition:
#   open       nothing dropped
#   udp-drop   UDP to the TURN port dropped (a security list without UDP)
#   tls-only   UDP and TCP to the TURN port dropped: only TURN over TLS
#   udp-loss   10 % of UDP dropped at random each way
#   untrusted  nothing dropped, but the browser does not trust the lab CA and
#              rtcprobe runs with --insecure and no --ca-file: the TLS relay
#              must not count as working for either
# In each, headless Chromium (driven over the DevTools protocol by
# tests/lab/browser/cdp-turn.py) runs tests/lab/browser/turn-relay.html: per
# TURN URI (UDP, TCP, TLS) two peer connections with iceTransportPolicy
# 'relay' and only that server, a data channel and an echo through it. Then
# `rtcprobe turn` runs on the same URIs in the same namespace. The test fails
# when the transports the browser connected through differ from those
# turn.verdict says work, and checks each condition's expected set, so that
# a verdict a browser would contradict is caught.
# Traffic: only inside the two namespaces (the client has no route but the
# veth; in the browser every host name but the server's address resolves to
# nothing).
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
BROWSER_DIR=$HERE/../lab/browser
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
TIMEOUT=15
BROWSER_WAIT_MS=8000
CONDITIONS=${CONDITIONS:-open udp-drop tls-only udp-loss untrusted}

NS_C=rp-bcli-$$
NS_S=rp-bsrv-$$
VETH_C=rbc$$
VETH_S=rbs$$
# RFC 2544 benchmarking range: addresses that exist only inside these namespaces.
SRV4=198.18.0.2
CLI4=198.18.0.1
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

preflight() {
  lab_require ip nft turnserver turnutils_stunclient jq ss openssl python3 certutil
  [[ -n $CHROMIUM ]] || lab_skip "chromium not installed"
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

# The rules of one condition, in the receiving side's input hook of each
# namespace (a drop on output would fail the sender's send() instead).
set_condition() {
  local cond=$1 srv_rule="" cli_rule=""
  case $cond in
    open | untrusted) ;;
    udp-drop) srv_rule="iifname \"$VETH_S\" udp dport $P counter drop" ;;
    tls-only) srv_rule="iifname \"$VETH_S\" th dport $P counter drop" ;;
    udp-loss)
      srv_rule="iifname \"$VETH_S\" meta l4proto udp numgen random mod 10 0 counter drop"
      cli_rule="iifname \"$VETH_C\" meta l4proto udp numgen random mod 10 0 counter drop"
      ;;
  esac
  ip netns exec "$NS_S" nft -f - <<EOF
table inet rplab
delete table inet rplab
table inet rplab {
  chain input {
    type filter hook input priority filter; policy accept;
    $srv_rule
  }
}
EOF
  ip netns exec "$NS_C" nft -f - <<EOF
table inet rplab
delete table inet rplab
table inet rplab {
  chain input {
    type filter hook input priority filter; policy accept;
    $cli_rule
  }
}
EOF
}

# The browser trusts the lab CA through its NSS database ($HOME/.pki/nssdb).
make_browser_home() {
  BHOME=$W/home
  mkdir -p "$BHOME/.pki/nssdb" "$W/home-untrusted/.pki/nssdb"
  certutil -N -d "sql:$W/home-untrusted/.pki/nssdb" --empty-password
  certutil -N -d "sql:$BHOME/.pki/nssdb" --empty-password
  certutil -A -d "sql:$BHOME/.pki/nssdb" -n "rtcprobe lab CA" -t "C,," -i "$LAB_CA_FILE"
  # The credentials go to the page through the DevTools pipe, from this file.
  (umask 077 && jq -n --arg u "$LAB_TURN_USER" --rawfile p "$LAB_TURN_PASSWORD_FILE" \
    --arg a "turn:$SRV4:$P?transport=udp" --arg b "turn:$SRV4:$P?transport=tcp" \
    --arg c "turns:$SRV4:$T?transport=tcp" --argjson t "$BROWSER_WAIT_MS" --arg h "$SRV4" \
    '{uris: [$a, $b, $c], host: $h, username: $u, credential: ($p | rtrimstr("\n")), timeout_ms: $t}' >"$W/browser.json")
}

# Run the page in the client namespace; the result (JSON array) goes to OUT.
browser_run() { # out, home
  local out=$1 home=$2 profile rc
  profile=$(mktemp -d "$W/profile.XXXXXX")
  set +e
  ip netns exec "$NS_C" env HOME="$home" timeout --kill-after=5 60 python3 "$BROWSER_DIR/cdp-turn.py" \
    "$CHROMIUM" "$BROWSER_DIR/turn-relay.html" "$W/browser.json" "$profile" 45 >"$out" 2>"$out.err"
  rc=$?
  set -e
  printf '# [%s] chromium turn-relay.html -> exit %d\n' "$NS_C" "$rc"
  [[ $rc -eq 0 ]] || grep -v -e '^$' "$out.err" | tail -n 5 | sed 's/^/#   /'
  return 0
}

# "UDP TCP TLS" style list of what the browser connected and echoed through.
browser_works() {
  jq -r '[.[] | select(.connected and .echo) | .uri
          | if startswith("turns:") then "TLS" elif test("transport=tcp") then "TCP" else "UDP" end]
         | join(" ")' "$1"
}

# The same list from rtcprobe's turn.verdict details.
probe_works() {
  jq -r '[.checks[] | select(.id == "turn.verdict") | .details | to_entries[]
          | select(.value == true) | .key] | join(" ")' "$1"
}

run_condition() {
  local cond=$1 expected=$2 b=$W/browser-$1.json r=$W/probe-$1.json bw pw home=$BHOME
  local trust=(--ca-file "$LAB_CA_FILE")
  echo "== $cond: expected to work: ${expected:-nothing}"
  set_condition "$cond"
  if [[ $cond == untrusted ]]; then
    home=$W/home-untrusted
    trust=(--insecure)
  fi
  browser_run "$b" "$home"
  LAB_PROBE_NETNS="$NS_C" LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$r" --timeout "$TIMEOUT" \
    "${trust[@]}" turn "turn:$SRV4:$P" "turn:$SRV4:$P?transport=tcp" "turns:$SRV4:$T" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  lab_check "$cond: rtcprobe finished within $((TIMEOUT + 1)) s (took $MS ms)" \
    test "$MS" -le $(((TIMEOUT + 1) * 1000))
  lab_check "$cond: rtcprobe exit code 0 or 1 (got $RC), no sanitizer report" \
    test "$RC" -le 1 -a -z "$(grep -e 'Sanitizer' -e 'runtime error' "$r.err")"
  bw=$(browser_works "$b" 2>/dev/null || echo "no browser result")
  pw=$(probe_works "$r" 2>/dev/null || echo "no report")
  echo "# $cond: browser connected through [$bw]; rtcprobe turn.verdict says [$pw] work"
  lab_jq_check "$cond: the browser ran all three URIs" "$b" 'length == 3'
  lab_jq_check "$cond: the browser used the transport of each URI it connected through" "$b" \
    'all(.[] | select(.connected); .relay_protocol == (.uri
         | if startswith("turns:") then "tls" elif test("transport=tcp") then "tcp" else "udp" end))'
  lab_check "$cond: the browser connected through [$expected] (got [$bw])" test "$bw" == "$expected"
  lab_check "$cond: rtcprobe's turn.verdict agrees with the browser ([$pw] vs [$bw])" test "$pw" == "$bw"
  lab_jq_check "$cond: turn.verdict says nothing falls back where the browser used UDP" "$r" \
    "$LAB_JQ_DEFS"'chk("turn.verdict") | ($bw | test("UDP") | not) or ((.summary + (.hint // "")) | test("falls? back") | not)' \
    --arg bw "$bw"
}

main() {
  local c
  preflight
  make_network
  P=$(lab_free_port both "$NS_S")
  T=$(lab_free_port both "$NS_S")
  W=$(lab_tmpdir)
  # The server certificate must name the veth address for turns: to verify.
  export LAB_CERT_EXTRA_SAN="IP:$SRV4"
  lab_coturn_start "$W/coturn" --netns "$NS_S" --ip "$SRV4" --port "$P" --tls-port "$T" --no-loopback-peers ||
    { echo "could not start coturn in $NS_S" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/coturn/env"
  echo "# $NS_S: coturn on $SRV4: $P udp/tcp, $T tls; browser: $("$CHROMIUM" --version 2>/dev/null || echo '?')"
  make_browser_home
  for c in $CONDITIONS; do
    case $c in
      open | udp-loss) run_condition "$c" "UDP TCP TLS" ;;
      udp-drop) run_condition "$c" "TCP TLS" ;;
      untrusted) run_condition "$c" "UDP TCP" ;;
      tls-only) run_condition "$c" "TLS" ;;
    esac
  done
  lab_finish
}

lab_init
main "$@"
