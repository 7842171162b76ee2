#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# --insecure never turns an untrusted TLS relay into a working transport.
# The lab's coturn on loopback serves a certificate from the lab CA, which
# the system store does not trust (no --ca-file here). With --insecure the
# TLS checks complete, but browsers refuse that certificate, so:
#   - `turn`: turn.tls.allocate warns (tls_verified false, "browsers refuse"),
#     and turn.verdict does not count TLS: "TURN works over UDP and TCP; TLS
#     fails", never "falls back to TLS";
#   - `ice`: ice.tls warns the same way, and ice.verdict lists TLS as failing;
#   - without --insecure the same TLS relay fails verification outright.
# Traffic: loopback only. Env: RTCPROBE = the built binary. Exit 0 pass, 1
# fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=10
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

jqc() { # what, file, expr (chk(ID) available), [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

probe() { # out, args...
  local out=$1
  shift
  LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" "$@"
  lab_check "$(basename "$out"): finished within $((TIMEOUT + 1)) s (took $MS ms)" \
    test "$MS" -le $(((TIMEOUT + 1) * 1000))
  lab_check "$(basename "$out"): exit code 0 or 1 (got $RC), no sanitizer report" \
    test "$RC" -le 1 -a -z "$(grep -e 'Sanitizer' -e 'runtime error' "$out.err")"
}

main() {
  local r
  lab_require turnserver turnutils_stunclient jq ss openssl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  W=$(lab_tmpdir)
  lab_coturn_start "$W/coturn" || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/coturn/env"
  local udp="turn:127.0.0.1:$LAB_TURN_PORT" tcp="turn:127.0.0.1:$LAB_TURN_PORT?transport=tcp"
  local tls="turns:127.0.0.1:$LAB_TURN_TLS_PORT"
  local creds=(--user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE")

  echo "== turn --insecure, certificate not trusted by the system store"
  r=$W/turn-insecure.json
  probe "$r" --timeout "$TIMEOUT" --insecure turn "$udp" "$tcp" "$tls" "${creds[@]}"
  lab_check "turn --insecure: exit code 0 (warnings) (got $RC)" test "$RC" -eq 0
  jqc "turn --insecure: turn.tls.allocate warns: not trusted, browsers refuse it" "$r" \
    'chk("turn.tls.allocate") | .status == "warn" and .details.tls_verified == false
     and (.summary | test("certificate is not trusted \\(--insecure\\): browsers refuse"))'
  jqc "turn --insecure: relay.tls itself forwards (the check may say the relay works)" "$r" \
    'chk("relay.tls").status == "pass"'
  jqc "turn --insecure: turn.verdict: works over UDP and TCP, TLS fails, TLS false" "$r" \
    'chk("turn.verdict") | .status == "warn" and (.summary | startswith("TURN works over UDP and TCP; TLS fails"))
     and .details.TLS == false and (.hint | test("TLS: the certificate is not trusted"))'
  jqc "turn --insecure: no result says anything falls back to TLS" "$r" \
    '[.checks[] | (.summary // "") + (.hint // "") | test("fall(s)? back to (TURN over )?TLS")] | any | not'

  echo "== ice --insecure"
  r=$W/ice-insecure.json
  probe "$r" --timeout "$TIMEOUT" --insecure ice --turn "$udp" --turn "$tcp" --turn "$tls" "${creds[@]}"
  jqc "ice --insecure: ice.tls warns: not trusted, browsers refuse it" "$r" \
    'chk("ice.tls") | .status == "warn" and .details.tls_verified == false
     and (.summary | test("browsers refuse"))'
  jqc "ice --insecure: ice.verdict lists TLS as failing, UDP and TCP as working, in that order" "$r" \
    'chk("ice.verdict") | .details.works == "UDP, TCP" and .details.fails == "TLS"'
  jqc "ice --insecure: ice.verdict never says it falls back to TLS" "$r" \
    'chk("ice.verdict").summary | test("TLS\\)?$") | not'

  echo "== turn without --insecure: the same relay fails verification"
  r=$W/turn-verify.json
  probe "$r" --timeout "$TIMEOUT" turn "$tls" "${creds[@]}"
  lab_check "turn: exit code 1 (got $RC)" test "$RC" -eq 1
  jqc "turn: turn.tls.allocate fails on the certificate" "$r" \
    'chk("turn.tls.allocate") | .status == "fail" and (.summary | test("certificate"))'
  lab_finish
}

lab_init
main "$@"
