#!/bin/bash
# shellcheck disable=SC2016  # jq programs: $names are jq variables
# rtcprobe `turn` against real coturn servers on loopback, each started by
# tests/lab with the turnserver.conf variation it needs: long-term
# credentials over UDP, TCP and TLS; wrong and missing credentials; TURN REST
# (use-auth-secret) with a secret file, the environment, a wrong secret and an
# expired credential; no-udp and no-tcp servers (fallback verdict); --audit
# against the lab server (loopback peers allowed) and a hardened one
# (denied-peer-ip ranges); a server that hands out relays without
# credentials; secrets never printed; dead and silent ports end in time.
# Asserts on the JSON report (schema rtcprobe.report/1) with jq, and where it
# can on ground truth rtcprobe does not produce (coturn's own log, the relay
# port range from turnserver.conf, wall-clock time).
# Traffic: loopback only. The audit asks for permissions toward other
# addresses; that sends no packet to them.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=10
# Credentials come only from what each case passes.
unset RTCPROBE_TURN_PASSWORD RTCPROBE_TURN_SECRET

probe() { # out, args...: lab_probe (tests/lab/lib.sh) on this host
  local out=$1
  shift
  LAB_PROBE_LIMIT=$((TIMEOUT + 10)) lab_probe "$out" "$@"
}

expect_rc() { # what, expected
  lab_check "$1: exit code $2 (got $RC)" test "$RC" -eq "$2"
}

expect_within_ms() { # what, milliseconds
  lab_check "$1: finished within $2 ms (took $MS ms)" test "$MS" -le "$2"
}

jqc() { # what, file, expr (chk(ID) available), [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

# Start a coturn in $W/NAME with lab_coturn_start options and source its env.
coturn() {
  local name=$1
  shift
  lab_coturn_start "$W/$name" "$@" || { echo "could not start coturn ($name)" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/$name/env"
  echo "# coturn '$name' on 127.0.0.1: $LAB_TURN_PORT udp/tcp, $LAB_TURN_TLS_PORT tls," \
    "relays $LAB_TURN_RELAY_MIN-$LAB_TURN_RELAY_MAX, auth $LAB_TURN_AUTH"
}

# A one-line file, mode 0600, for --password-file / --secret-file.
secret_file() { # path, content
  (umask 077 && printf '%s\n' "$2" >"$1")
}

# The TURN REST password for USERNAME under SECRET (coturn's HMAC-SHA1, base64).
rest_password() { # username, secret
  printf '%s' "$1" | openssl dgst -sha1 -hmac "$2" -binary | base64
}

# ------------------------------------------------------------------ 1

check_long_term_all_transports() {
  local r=$W/lt-all.json t
  echo "== 1. long-term credentials over UDP, TCP and TLS"
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" turn \
    "turn:127.0.0.1:$LAB_TURN_PORT" "turns:127.0.0.1:$LAB_TURN_TLS_PORT" --relay-family ipv4 \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  expect_rc "long-term, three transports" 0
  jqc "schema rtcprobe.report/1, command turn" "$r" '.schema == "rtcprobe.report/1" and .command == "turn"'
  jqc "exactly the ids turn.{udp,tcp,tls}.allocate, relay.{udp,tcp,tls}, turn.verdict" "$r" \
    '[.checks[].id] | sort == ["relay.tcp", "relay.tls", "relay.udp", "turn.tcp.allocate", "turn.tls.allocate",
                               "turn.udp.allocate", "turn.verdict"]'
  jqc "every check passes; summary pass=7 fail=0 warn=0" "$r" \
    'all(.checks[]; .status == "pass") and .summary.pass == 7 and .summary.fail == 0 and .summary.warn == 0'
  for t in udp tcp tls; do
    jqc "turn.$t.allocate: kind turn" "$r" 'chk($id).kind == "turn"' --arg id "turn.$t.allocate"
    jqc "turn.$t.allocate: unauthenticated/allocate/refresh/deallocate_ms and lifetime_s > 0" "$r" \
      'chk($id).metrics | [.unauthenticated_ms, .allocate_ms, .refresh_ms, .deallocate_ms, .lifetime_s]
       | all(type == "number" and . > 0)' --arg id "turn.$t.allocate"
    # Ground truth from turnserver.conf: the relay range rtcprobe never saw.
    jqc "turn.$t.allocate: relayed_address 127.0.0.1:<port in $LAB_TURN_RELAY_MIN-$LAB_TURN_RELAY_MAX>" "$r" \
      'chk($id).details.relayed_address | capture("^127\\.0\\.0\\.1:(?<p>[0-9]+)$").p | tonumber
       | . >= $min and . <= $max' \
      --arg id "turn.$t.allocate" --argjson min "$LAB_TURN_RELAY_MIN" --argjson max "$LAB_TURN_RELAY_MAX"
    jqc "turn.$t.allocate: realm is the lab realm ($LAB_TURN_REALM)" "$r" \
      'chk($id).details.realm == $realm' --arg id "turn.$t.allocate" --arg realm "$LAB_TURN_REALM"
    jqc "turn.$t.allocate: server_software mentions Coturn" "$r" \
      'chk($id).details.server_software | test("coturn"; "i")' --arg id "turn.$t.allocate"
    jqc "turn.$t.allocate: mapped_address is 127.0.0.1:<port>" "$r" \
      'chk($id).details.mapped_address | test("^127\\.0\\.0\\.1:[0-9]+$")' --arg id "turn.$t.allocate"
    jqc "relay.$t: kind relay, 20 of 20 packets back, loss 0" "$r" \
      'chk($id) | .kind == "relay" and .details.packets_sent == 20 and .details.packets_received == 20
       and .metrics.loss_pct == 0' --arg id "relay.$t"
    jqc "relay.$t: rtt_ms, permission_ms, channel_bind_ms > 0" "$r" \
      'chk($id).metrics | [.rtt_ms, .permission_ms, .channel_bind_ms] | all(type == "number" and . > 0)' \
      --arg id "relay.$t"
    jqc "relay.$t: two distinct relayed addresses, both in the relay range" "$r" \
      'chk($id).details | .relayed_a != .relayed_b and ([.relayed_a, .relayed_b]
       | all(capture("^127\\.0\\.0\\.1:(?<p>[0-9]+)$").p | tonumber | . >= $min and . <= $max))' \
      --arg id "relay.$t" --argjson min "$LAB_TURN_RELAY_MIN" --argjson max "$LAB_TURN_RELAY_MAX"
  done
  jqc "turn.udp.allocate: server_address 127.0.0.1:$LAB_TURN_PORT, no connect_ms over UDP" "$r" \
    'chk("turn.udp.allocate") | .details.server_address == $a and .metrics.connect_ms == null' \
    --arg a "127.0.0.1:$LAB_TURN_PORT"
  jqc "turn.tcp.allocate and turn.tls.allocate: connect_ms > 0" "$r" \
    '[chk("turn.tcp.allocate"), chk("turn.tls.allocate")] | all(.metrics.connect_ms > 0)'
  jqc "turn.tls.allocate: tls_ms > 0, tls_verified true, server_address :$LAB_TURN_TLS_PORT" "$r" \
    'chk("turn.tls.allocate") | .metrics.tls_ms > 0 and .details.tls_verified == true
     and .details.server_address == $a' --arg a "127.0.0.1:$LAB_TURN_TLS_PORT"
  jqc "turn.verdict: pass, every transport works, summary names UDP, TCP and TLS" "$r" \
    'chk("turn.verdict") | .status == "pass" and (.details | length == 3 and all(.[]; . == true))
     and (.summary | test("UDP") and test("TCP") and test("TLS"))'
}

# ------------------------------------------------------------------ 2

check_wrong_password() {
  local r pw=$W/wrong-password
  echo "== 2. wrong password"
  secret_file "$pw" "not-the-$RANDOM-password"
  r=$W/wrong-pw-udp.json
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" \
    --user "$LAB_TURN_USER" --password-file "$pw"
  expect_rc "wrong password, UDP only" 1
  jqc "turn.udp.allocate: fail, error_code 401, failed_step Allocate" "$r" \
    'chk("turn.udp.allocate") | .status == "fail" and .details.error_code == 401 and .details.failed_step == "Allocate"'
  jqc "turn.udp.allocate: hint names user/password and the realm \"$LAB_TURN_REALM\"" "$r" \
    'chk("turn.udp.allocate").hint | test("user") and test("password") and contains("\"" + $realm + "\"")' \
    --arg realm "$LAB_TURN_REALM"
  jqc "relay.udp: skipped (no allocation)" "$r" 'chk("relay.udp").status == "skip"'
  # Ground truth: coturn itself says the credentials were wrong.
  lab_check "coturn's log says user $LAB_TURN_USER credentials are incorrect" \
    grep -q "user $LAB_TURN_USER credentials are incorrect" "$LAB_TURN_LOG"

  # The way a user types it: a bare turn: URI tests UDP and TCP, and the
  # verdict adds the fallback to each failed transport's hint.
  r=$W/wrong-pw-bare.json
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT" \
    --user "$LAB_TURN_USER" --password-file "$pw"
  expect_rc "wrong password, bare turn: URI" 1
  jqc "turn.udp.allocate and turn.tcp.allocate: fail with 401" "$r" \
    '[chk("turn.udp.allocate"), chk("turn.tcp.allocate")] | all(.status == "fail" and .details.error_code == 401)'
  jqc "turn.udp.allocate: hint still names user/password and the realm after the verdict amends it" "$r" \
    'chk("turn.udp.allocate").hint | test("^wrong user or password") and contains("\"" + $realm + "\"")
     and test("No other TURN transport works")' --arg realm "$LAB_TURN_REALM"
  jqc "turn.verdict: fail on every transport" "$r" 'chk("turn.verdict").status == "fail"'
}

# ------------------------------------------------------------------ 3

check_rest_secret() {
  local r ws=$W/wrong-secret secret user past future pwf
  echo "== 3. TURN REST credentials (use-auth-secret)"
  coturn rest --auth secret
  secret=$(cat "$LAB_TURN_SECRET_FILE")

  r=$W/rest-file.json
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT" --secret-file "$LAB_TURN_SECRET_FILE" --user alice
  expect_rc "--secret-file" 0
  jqc "--secret-file: turn.udp/tcp allocate and relay pass" "$r" \
    '[chk("turn.udp.allocate"), chk("relay.udp"), chk("turn.tcp.allocate"), chk("relay.tcp")] | all(.status == "pass")'
  jqc "--secret-file: realm is the lab realm" "$r" 'chk("turn.udp.allocate").details.realm == $realm' \
    --arg realm "$LAB_TURN_REALM"

  r=$W/rest-env.json
  LAB_PROBE_ENV=("RTCPROBE_TURN_SECRET=$secret")
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp"
  LAB_PROBE_ENV=()
  expect_rc "RTCPROBE_TURN_SECRET" 0
  jqc "RTCPROBE_TURN_SECRET: turn.udp.allocate and relay.udp pass" "$r" \
    '[chk("turn.udp.allocate"), chk("relay.udp")] | all(.status == "pass")'

  r=$W/rest-wrong.json
  secret_file "$ws" "not-the-secret-$RANDOM"
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --secret-file "$ws"
  expect_rc "wrong secret" 1
  jqc "wrong secret: turn.udp.allocate fail with 401" "$r" \
    'chk("turn.udp.allocate") | .status == "fail" and .details.error_code == 401'
  jqc "wrong secret: hint mentions static-auth-secret" "$r" 'chk("turn.udp.allocate").hint | test("static-auth-secret")'

  # A credential as an app would hand it out: "<expiry>:<name>" and the
  # HMAC password, pasted. First a fresh one (proves the HMAC is right)...
  future=$(($(date +%s) + 3600))
  user="$future:alice"
  pwf=$W/rest-fresh-password
  secret_file "$pwf" "$(rest_password "$user" "$secret")"
  r=$W/rest-pasted-fresh.json
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --user "$user" --password-file "$pwf"
  expect_rc "pasted fresh REST credential" 0
  jqc "pasted fresh REST credential: turn.udp.allocate pass" "$r" 'chk("turn.udp.allocate").status == "pass"'

  # ...then the same HMAC scheme with an expiry in the past.
  past=$(($(date +%s) - 600))
  user="$past:alice"
  pwf=$W/rest-expired-password
  secret_file "$pwf" "$(rest_password "$user" "$secret")"
  r=$W/rest-pasted-expired.json
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --user "$user" --password-file "$pwf"
  expect_rc "expired REST credential" 1
  jqc "expired REST credential: turn.udp.allocate fail with 401" "$r" \
    'chk("turn.udp.allocate") | .status == "fail" and .details.error_code == 401'
  jqc "expired REST credential: hint says it expired" "$r" 'chk("turn.udp.allocate").hint | test("expired")'
  jqc "expired REST credential: details.rest_expiry == $past" "$r" \
    'chk("turn.udp.allocate").details.rest_expiry == $p' --argjson p "$past"
  lab_coturn_stop "$W/rest"
}

# ------------------------------------------------------------------ 4

check_no_credentials() {
  local r=$W/no-creds.json
  echo "== 4. no credentials at all"
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp"
  expect_rc "no credentials" 1
  jqc "turn.udp.allocate: fail with 401" "$r" \
    'chk("turn.udp.allocate") | .status == "fail" and .details.error_code == 401'
  jqc "turn.udp.allocate: hint says credentials are required" "$r" \
    'chk("turn.udp.allocate").hint | test("requires credentials")'
  jqc "turn.udp.allocate: realm still reported from the challenge" "$r" \
    'chk("turn.udp.allocate").details.realm == $realm' --arg realm "$LAB_TURN_REALM"
}

# ------------------------------------------------------------------ 5

check_no_udp() {
  local r=$W/no-udp.json
  echo "== 5a. coturn with no-udp: UDP refused, voice falls back to TCP"
  coturn noudp --conf-line no-udp
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  expect_rc "no-udp" 1
  jqc "turn.udp.allocate: fail, refused or no answer" "$r" \
    'chk("turn.udp.allocate") | .status == "fail" and (.summary | test("refused|no answer"))'
  jqc "turn.udp.allocate: hint is about UDP" "$r" 'chk("turn.udp.allocate").hint | test("UDP|udp")'
  jqc "turn.udp.allocate: hint says TURN over TCP works" "$r" 'chk("turn.udp.allocate").hint | test("TURN over TCP works")'
  jqc "relay.udp: skip" "$r" 'chk("relay.udp").status == "skip"'
  jqc "turn.tcp.allocate and relay.tcp pass" "$r" '[chk("turn.tcp.allocate"), chk("relay.tcp")] | all(.status == "pass")'
  jqc "turn.verdict: warn, voice falls back to TURN over TCP" "$r" \
    'chk("turn.verdict") | .status == "warn" and (.summary | test("voice falls back to TURN over TCP"))
     and .details.UDP == false and .details.TCP == true'
  lab_coturn_stop "$W/noudp"
}

check_no_tcp() {
  local r=$W/no-tcp.json
  echo "== 5b. coturn with no-tcp (TLS still on): TCP refused"
  coturn notcp --conf-line no-tcp
  probe "$r" --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" turn \
    "turn:127.0.0.1:$LAB_TURN_PORT" "turns:127.0.0.1:$LAB_TURN_TLS_PORT" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  expect_rc "no-tcp" 1
  jqc "turn.tcp.allocate: fail, refused (net refused)" "$r" \
    'chk("turn.tcp.allocate") | .status == "fail" and .details.net == "refused" and (.summary | test("refused"))'
  jqc "turn.tcp.allocate: hint names no-tcp" "$r" 'chk("turn.tcp.allocate").hint | test("no-tcp")'
  jqc "turn.udp.allocate, relay.udp, turn.tls.allocate, relay.tls pass" "$r" \
    '[chk("turn.udp.allocate"), chk("relay.udp"), chk("turn.tls.allocate"), chk("relay.tls")] | all(.status == "pass")'
  jqc "turn.verdict: warn, TCP false, UDP and TLS true" "$r" \
    'chk("turn.verdict") | .status == "warn" and .details.TCP == false and .details.UDP == true and .details.TLS == true'
  lab_coturn_stop "$W/notcp"
}

# ------------------------------------------------------------------ 6

AUDIT_IDS='["audit.ipv4-mapped", "audit.link-local", "audit.loopback", "audit.metadata", "audit.multicast",
  "audit.nat64", "audit.private", "audit.self", "audit.shared", "audit.unauthenticated", "audit.unique-local",
  "audit.unspecified"]'

check_audit_lab() {
  local r=$W/audit-lab.json
  echo "== 6a. --audit against the lab coturn (allow-loopback-peers)"
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --audit \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  expect_rc "audit, lab coturn" 1
  jqc "all twelve audit.* checks present, kind audit" "$r" \
    "[.checks[] | select(.id | startswith(\"audit.\"))] | ([.[].id] | sort) == $AUDIT_IDS and all(.[]; .kind == \"audit\")"
  jqc "audit.loopback: fail, allowed has 127.0.0.1, hint names allow-loopback-peers" "$r" \
    'chk("audit.loopback") | .status == "fail" and (.details.allowed | test("127\\.0\\.0\\.1"))
     and (.hint | test("allow-loopback-peers"))'
  # 127.0.0.1 is both the server's and the relay's address: relay-to-relay
  # calls need that permission, so it passes with a note about UDP services.
  jqc "audit.self: pass, only the relay address 127.0.0.1 allowed, with a note" "$r" \
    'chk("audit.self") | .status == "pass" and (.details.allowed | test("127\\.0\\.0\\.1")) and (.details.note | test("UDP"))'
  jqc "audit.unauthenticated: pass (401 without credentials)" "$r" 'chk("audit.unauthenticated").status == "pass"'
  jqc "audit.ipv4-mapped: not fail" "$r" 'chk("audit.ipv4-mapped").status != "fail"'
  # The lab config denies nothing but multicast: these are genuinely open.
  jqc "audit.private: fail, allowed lists 10.0.0.1, 172.16.0.1, 192.168.0.1" "$r" \
    'chk("audit.private") | .status == "fail" and (.details.allowed | test("10\\.0\\.0\\.1") and test("172\\.16\\.0\\.1")
     and test("192\\.168\\.0\\.1"))'
  jqc "audit.metadata: fail, allowed has 169.254.169.254" "$r" \
    'chk("audit.metadata") | .status == "fail" and (.details.allowed | test("169\\.254\\.169\\.254"))'
  jqc "audit.multicast: pass (no-multicast-peers), 224.0.0.1 denied" "$r" \
    'chk("audit.multicast") | .status == "pass" and (.details.denied | test("224\\.0\\.0\\.1"))'
  jqc "turn.udp.allocate and relay.udp still pass" "$r" '[chk("turn.udp.allocate"), chk("relay.udp")] | all(.status == "pass")'
}

# denied-peer-ip ranges for a hardened server. coturn 4.6.1 takes ranges, not
# CIDR ("Wrong address format: 10.0.0.0/8"), and a denied-peer-ip of the IPv6
# unspecified address (::, ::0, ::-::) denies every peer, IPv4 too: left out.
HARDENED=(
  --no-loopback-peers
  --conf-line denied-peer-ip=0.0.0.0-0.255.255.255
  --conf-line denied-peer-ip=10.0.0.0-10.255.255.255
  --conf-line denied-peer-ip=100.64.0.0-100.127.255.255
  --conf-line denied-peer-ip=127.0.0.0-127.255.255.255
  --conf-line denied-peer-ip=169.254.0.0-169.254.255.255
  --conf-line denied-peer-ip=172.16.0.0-172.31.255.255
  --conf-line denied-peer-ip=192.168.0.0-192.168.255.255
  --conf-line denied-peer-ip=::1
  --conf-line denied-peer-ip=fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff
  --conf-line denied-peer-ip=::ffff:0.0.0.0-::ffff:255.255.255.255
)

check_audit_hardened() {
  local r=$W/audit-hard.json
  echo "== 6b. --audit against a hardened coturn (denied-peer-ip ranges, no loopback peers)"
  coturn hard "${HARDENED[@]}"
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --audit \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  expect_rc "audit, hardened coturn (the loopback relay is refused)" 1
  # This coturn relays IPv4 only: the IPv6-only categories are not applicable (tests/integration/
  # turn-families.sh audits them on a dual-stack coturn).
  jqc "all twelve audit.* checks present; every one passes but unique-local and nat64 (skip: no IPv6 relay)" "$r" \
    "[.checks[] | select(.id | startswith(\"audit.\"))] | ([.[].id] | sort) == $AUDIT_IDS
     and all(.[]; if .id == \"audit.unique-local\" or .id == \"audit.nat64\"
                  then .status == \"skip\" and (.summary | test(\"no IPv6 relay\")) else .status == \"pass\" end)"
  jqc "no audit check reports an allowed peer" "$r" '[.checks[] | select(.kind == "audit") | .details.allowed] | all(. == null)'
  jqc "audit.loopback, audit.private, audit.metadata, audit.self: denied lists the tested IPv4 peers" "$r" \
    '(chk("audit.loopback").details.denied | test("127\\.0\\.0\\.1"))
     and (chk("audit.private").details.denied | test("10\\.0\\.0\\.1") and test("172\\.16\\.0\\.1") and test("192\\.168\\.0\\.1"))
     and (chk("audit.metadata").details.denied | test("169\\.254\\.169\\.254"))
     and (chk("audit.self").details.denied | test("127\\.0\\.0\\.1"))'
  # Ground truth: coturn logs each denial against a configured range.
  lab_check "coturn's log: 10.0.0.1 denied in the range 10.0.0.0-10.255.255.255" \
    grep -q "peer IP 10.0.0.1 denied in the range: 10.0.0.0-10.255.255.255" "$LAB_TURN_LOG"
  jqc "turn.udp.allocate: pass" "$r" 'chk("turn.udp.allocate").status == "pass"'
  jqc "relay.udp: fail, CreatePermission 403" "$r" \
    'chk("relay.udp") | .status == "fail" and .details.error_code == 403 and .details.failed_step == "CreatePermission"'
  jqc "relay.udp: hint mentions denied-peer-ip" "$r" 'chk("relay.udp").hint | test("denied-peer-ip")'
  lab_coturn_stop "$W/hard"
}

# ------------------------------------------------------------------ 7

check_no_auth() {
  local r=$W/no-auth.json
  echo "== 7. coturn with no-auth: relays without credentials"
  coturn noauth --auth none
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" --audit
  expect_rc "no-auth" 1
  jqc "audit.unauthenticated: fail, hint names lt-cred-mech" "$r" \
    'chk("audit.unauthenticated") | .status == "fail" and (.hint | test("lt-cred-mech"))'
  jqc "turn.udp.allocate: fail, summary says relays without credentials" "$r" \
    'chk("turn.udp.allocate") | .status == "fail" and (.summary | test("without credentials"))
     and .details.unauthenticated_allocation == true'
  jqc "turn.udp.allocate: hint names lt-cred-mech" "$r" 'chk("turn.udp.allocate").hint | test("lt-cred-mech")'
  jqc "audit.loopback: fail (the open allocation is audited too)" "$r" 'chk("audit.loopback").status == "fail"'
  lab_coturn_stop "$W/noauth"
}

# ------------------------------------------------------------------ 8

# FILE must not contain any of the strings after it.
no_secret_in() { # what, file, secrets...
  local what=$1 file=$2 s leaked=""
  shift 2
  [[ -s $file ]] || { lab_check "$what: output is not empty" false; return; }
  for s in "$@"; do
    grep -qF -- "$s" "$file" && leaked=yes
  done
  lab_check "$what: no secret in it" test -z "$leaked"
}

check_no_secret_leaks() {
  local pw secret wrong_pw wrong_secret rest_pw d=$W/leaks user
  echo "== 8. secrets never appear in text, JSON, --output or stderr"
  mkdir -p "$d"
  pw=$(cat "$LAB_TURN_PASSWORD_FILE")
  wrong_pw="leaky-password-$RANDOM$RANDOM"
  secret_file "$d/wrong-pw" "$wrong_pw"
  coturn leakrest --auth secret
  secret=$(cat "$LAB_TURN_SECRET_FILE")
  wrong_secret="leaky-secret-$RANDOM$RANDOM"
  secret_file "$d/wrong-secret" "$wrong_secret"
  user="$(($(date +%s) - 60)):bob"
  rest_pw=$(rest_password "$user" "$secret")
  secret_file "$d/rest-pw" "$rest_pw"
  local all=("$pw" "$wrong_pw" "$secret" "$wrong_secret" "$rest_pw")
  local rest_port=$LAB_TURN_PORT
  # shellcheck source=/dev/null
  source "$W/turn/env"   # back to the long-term lab server
  local lt_port=$LAB_TURN_PORT lt_tls=$LAB_TURN_TLS_PORT lt_user=$LAB_TURN_USER

  local n=0
  # Three runs each: --verbose text on stdout, --verbose JSON on stdout, and
  # JSON into an --output file; every one (and stderr) grepped for secrets.
  run_leak() { # label, args...
    local label=$1
    shift
    n=$((n + 1))
    set +e
    env ${LAB_PROBE_ENV[@]+"${LAB_PROBE_ENV[@]}"} timeout --kill-after=2 $((TIMEOUT + 10)) \
      "$RTCPROBE" --verbose --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" "$@" >"$d/$n.txt" 2>"$d/$n.err"
    env ${LAB_PROBE_ENV[@]+"${LAB_PROBE_ENV[@]}"} timeout --kill-after=2 $((TIMEOUT + 10)) \
      "$RTCPROBE" --format json --verbose --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" \
      "$@" >"$d/$n.json" 2>>"$d/$n.err"
    env ${LAB_PROBE_ENV[@]+"${LAB_PROBE_ENV[@]}"} timeout --kill-after=2 $((TIMEOUT + 10)) \
      "$RTCPROBE" --format json --verbose --timeout "$TIMEOUT" --ca-file "$LAB_CA_FILE" --output "$d/$n.out.json" \
      "$@" >>"$d/$n.err" 2>&1
    set -e
    no_secret_in "$label: --verbose text" "$d/$n.txt" "${all[@]}"
    no_secret_in "$label: --verbose JSON on stdout" "$d/$n.json" "${all[@]}"
    no_secret_in "$label: --output file" "$d/$n.out.json" "${all[@]}"
    lab_check "$label: stderr has no secret" bash -c '! grep -qF -e "$1" -e "$2" -e "$3" -e "$4" -e "$5" "$0"' \
      "$d/$n.err" "${all[@]}"
  }
  run_leak "long-term, right password" turn "turn:127.0.0.1:$lt_port" "turns:127.0.0.1:$lt_tls" --audit \
    --user "$lt_user" --password-file "$W/turn/turn-password"
  lab_jq_check "long-term, right password: the JSON run really allocated (relay.udp pass)" "$d/$n.json" \
    "$LAB_JQ_DEFS chk(\"relay.udp\").status == \"pass\""
  # (The leak check is only worth something if the report has content.)
  lab_check "long-term, right password: the text report shows relayed addresses" grep -q relayed "$d/$n.txt"
  run_leak "long-term, wrong password" turn "turn:127.0.0.1:$lt_port" --user "$lt_user" --password-file "$d/wrong-pw"
  lab_jq_check "long-term, wrong password: the JSON run got 401" "$d/$n.json" \
    "$LAB_JQ_DEFS chk(\"turn.udp.allocate\").details.error_code == 401"
  LAB_PROBE_ENV=("RTCPROBE_TURN_PASSWORD=$wrong_pw")
  run_leak "long-term, wrong password from the environment" turn "turn:127.0.0.1:$lt_port" --user "$lt_user"
  LAB_PROBE_ENV=()
  run_leak "REST, --secret-file" turn "turn:127.0.0.1:$rest_port" --audit --secret-file "$W/leakrest/turn-secret"
  lab_jq_check "REST, --secret-file: the JSON run really allocated (relay.udp pass)" "$d/$n.json" \
    "$LAB_JQ_DEFS chk(\"relay.udp\").status == \"pass\""
  run_leak "REST, wrong secret" turn "turn:127.0.0.1:$rest_port" --secret-file "$d/wrong-secret"
  LAB_PROBE_ENV=("RTCPROBE_TURN_SECRET=$secret")
  run_leak "REST, secret from the environment" turn "turn:127.0.0.1:$rest_port"
  LAB_PROBE_ENV=()
  run_leak "REST, pasted expired credential" turn "turn:127.0.0.1:$rest_port" --user "$user" --password-file "$d/rest-pw"
  lab_jq_check "REST, pasted expired credential: the JSON run got 401" "$d/$n.json" \
    "$LAB_JQ_DEFS chk(\"turn.udp.allocate\").details.error_code == 401"
  lab_coturn_stop "$W/leakrest"
}

# ------------------------------------------------------------------ 9

check_dead_ports() {
  local port r sport
  echo "== 9a. nothing listens: TCP refused, UDP ICMP port unreachable"
  port=$(lab_free_port both)
  r=$W/dead.json
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$port" --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  expect_rc "dead port" 1
  expect_within_ms "dead port (refused both ways)" 2000
  jqc "turn.udp.allocate: fail, refused" "$r" \
    'chk("turn.udp.allocate") | .status == "fail" and .details.net == "refused"'
  jqc "turn.tcp.allocate: fail, refused" "$r" \
    'chk("turn.tcp.allocate") | .status == "fail" and .details.net == "refused"'
  jqc "turn.udp.allocate: hint says nothing listens on this UDP port" "$r" \
    'chk("turn.udp.allocate").hint | test("nothing listens on this UDP port")'
  jqc "turn.verdict: fail" "$r" 'chk("turn.verdict").status == "fail"'

  echo "== 9b. a UDP port that swallows everything, --timeout 3"
  sport=$(lab_free_port udp)
  socat -u "UDP-RECV:$sport,bind=127.0.0.1" /dev/null </dev/null >/dev/null 2>&1 &
  lab_on_exit "lab_kill_pid $!"
  lab_wait_port 127.0.0.1 "$sport" udp 5 || { lab_check "socat bound 127.0.0.1:$sport/udp" false; return; }
  r=$W/silent.json
  probe "$r" --timeout 3 turn "turn:127.0.0.1:$sport?transport=udp" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  expect_rc "silent UDP port" 1
  expect_within_ms "silent UDP port, --timeout 3" 4000
  lab_check "silent UDP port: it did wait for the deadline (took $MS ms >= 2500)" test "$MS" -ge 2500
  jqc "turn.udp.allocate: fail, no answer" "$r" \
    'chk("turn.udp.allocate") | .status == "fail" and (.summary | test("no answer"))'
  jqc "turn.udp.allocate: hint says $sport/udp gets no answer" "$r" \
    'chk("turn.udp.allocate").hint | contains($p + "/udp gets no answer")' --arg p "$sport"
  jqc "relay.udp: not a pass" "$r" 'chk("relay.udp").status != "pass"'
}

# coturn's alternate-server answers every Allocate with 300 Try Alternate and
# an ALTERNATE-SERVER; the probe follows it once and says so.
check_alternate() {
  local r=$W/alternate.json
  echo "== 10. 300 Try Alternate is followed and reported"
  lab_coturn_start "$W/alt" --conf-line "alternate-server=127.0.0.1:$LAB_TURN_PORT" >/dev/null ||
    { lab_check "coturn with alternate-server started" false; return; }
  local alt_port
  alt_port=$(sed -n 's/^LAB_TURN_PORT=//p' "$W/alt/env")
  probe "$r" --timeout "$TIMEOUT" turn "turn:127.0.0.1:$alt_port?transport=udp" \
    --user "$LAB_TURN_USER" --password-file "$LAB_TURN_PASSWORD_FILE"
  expect_rc "alternate" 0
  jqc "turn.udp.allocate: pass on the alternate server 127.0.0.1:$LAB_TURN_PORT" "$r" \
    'chk("turn.udp.allocate") | .status == "pass" and .details.alternate_server == $a
     and .details.redirected_from == $f and (.summary | test("300 Try Alternate"))' \
    --arg a "127.0.0.1:$LAB_TURN_PORT" --arg f "127.0.0.1:$alt_port"
  jqc "relay.udp: pass through the alternate server" "$r" 'chk("relay.udp").status == "pass"'
  lab_coturn_stop "$W/alt"
}

main() {
  lab_require turnserver turnutils_stunclient jq socat openssl ss
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  lab_init
  W=$(lab_tmpdir)
  coturn turn

  check_long_term_all_transports
  check_wrong_password
  check_no_credentials
  check_audit_lab
  check_no_secret_leaks
  check_dead_ports
  check_alternate
  check_rest_secret
  check_no_udp
  check_no_tcp
  check_audit_hardened
  check_no_auth
  lab_finish
}

main "$@"
