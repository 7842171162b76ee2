#!/bin/bash
# The AAAA fault, made where the real world makes it: a dual-stack server
# namespace (198.18.x.x and 2001:db8::x) runs nginx with HTTPS (the web lab's
# CA), a client namespace resolves api.lab.test to both addresses through
# /etc/netns/<client>/hosts (which `ip netns exec` bind-mounts over
# /etc/hosts), and nftables in the server namespace drops TCP 443 over IPv6
# only. Asserts that `ports` and `check` name the AAAA fault with the family
# and the port, that HTTPS still succeeds over IPv4 with the happy-eyeballs
# time lost reported, that without the drop both families pass and the
# report says both were tested, and that a different certificate on the
# IPv6 address is called out.
# Nothing here leaves the two namespaces: the client has no route but the veth.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
TIMEOUT=10

NS_C=rp-aaaac-$$
NS_S=rp-aaaas-$$
VETH_C=rpac$$
VETH_S=rpas$$
NAME=api.lab.test
# RFC 2544 benchmarking range and the IPv6 documentation prefix: addresses
# that exist only inside these namespaces.
SRV4=198.18.44.2
CLI4=198.18.44.1
SRV6=2001:db8:44::2
CLI6=2001:db8:44::1

preflight() {
  lab_require ip nft nginx openssl jq
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  lab_netns_make "$NS_C" "$NS_S"
}

make_network() {
  ip link add "$VETH_C" netns "$NS_C" type veth peer name "$VETH_S" netns "$NS_S"
  ip -n "$NS_C" link set lo up
  ip -n "$NS_S" link set lo up
  ip -n "$NS_C" addr add "$CLI4/24" dev "$VETH_C"
  ip -n "$NS_S" addr add "$SRV4/24" dev "$VETH_S"
  # nodad: usable at once instead of after duplicate address detection.
  ip -n "$NS_C" addr add "$CLI6/64" dev "$VETH_C" nodad
  ip -n "$NS_S" addr add "$SRV6/64" dev "$VETH_S" nodad
  ip -n "$NS_C" link set "$VETH_C" up
  ip -n "$NS_S" link set "$VETH_S" up
  # The name, in the client namespace only: A and AAAA.
  mkdir -p "/etc/netns/$NS_C"
  lab_on_exit "rm -rf /etc/netns/$NS_C"
  printf '127.0.0.1 localhost\n%s %s\n%s %s\n' "$SRV6" "$NAME" "$SRV4" "$NAME" \
    >"/etc/netns/$NS_C/hosts"
}

# nginx in the server namespace, HTTPS on both families. V6_CERT: the leaf
# served on the IPv6 address (the same as IPv4's unless a test changes it).
nginx_conf() {
  local v6_cert=$1 v6_key=$2 ngx=$W/nginx
  mkdir -p "$ngx/logs" "$ngx/tmp"
  cat >"$ngx/nginx.conf" <<EOF
# rtcprobe AAAA scenario: inside namespace $NS_S only.
user root root;
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log info;
events { worker_connections 64; }
http {
  access_log $ngx/logs/access.log;
  client_body_temp_path $ngx/tmp/client_body;
  proxy_temp_path $ngx/tmp/proxy;
  fastcgi_temp_path $ngx/tmp/fastcgi;
  uwsgi_temp_path $ngx/tmp/uwsgi;
  scgi_temp_path $ngx/tmp/scgi;
  ssl_protocols TLSv1.2 TLSv1.3;
  # Plain HTTP on both families: only a redirect, as a deployment has.
  server {
    listen $SRV4:80;
    listen [$SRV6]:80;
    server_name $NAME;
    return 301 https://\$host\$request_uri;
  }
  server {
    listen $SRV4:443 ssl;
    server_name $NAME;
    ssl_certificate $W/ca/server.pem;
    ssl_certificate_key $W/ca/server.key;
    add_header Strict-Transport-Security "max-age=31536000" always;
    location /health { default_type application/json; return 200 '{"status":"ok"}'; }
    location / { default_type text/plain; return 200 "ok\n"; }
  }
  server {
    listen [$SRV6]:443 ssl;
    server_name $NAME;
    ssl_certificate $v6_cert;
    ssl_certificate_key $v6_key;
    add_header Strict-Transport-Security "max-age=31536000" always;
    location /health { default_type application/json; return 200 '{"status":"ok"}'; }
    location / { default_type text/plain; return 200 "ok\n"; }
  }
}
EOF
}

nginx_start() {
  nginx_conf "$@"
  ip netns exec "$NS_S" nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/logs/error.log" \
    -g 'daemon off;' </dev/null >"$W/nginx/stdout.log" 2>&1 &
  NGINX_PID=$!
  lab_on_exit "lab_kill_pid $NGINX_PID"
  lab_wait_port "$SRV4" 443 tcp 10 "$NS_S" && lab_wait_port "$SRV6" 443 tcp 10 "$NS_S" || {
    echo "nginx did not listen in $NS_S" >&2
    cat "$W/nginx/logs/error.log" "$W/nginx/stdout.log" >&2 || true
    exit 1
  }
}

nginx_stop() {
  lab_kill_pid "$NGINX_PID"
}

# The remote firewall: TCP 443 dropped over IPv6 only, on the receiving side.
drop_v6_443() {
  ip netns exec "$NS_S" nft -f - <<EOF
table inet rpaaaa {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$VETH_S" meta nfproto ipv6 tcp dport 443 drop
  }
}
EOF
}

undrop() {
  ip netns exec "$NS_S" nft delete table inet rpaaaa
}

probe() { # out, args...: lab_probe inside the client namespace
  local out=$1
  shift
  LAB_PROBE_NETNS="$NS_C" LAB_PROBE_LIMIT=$((TIMEOUT + 20)) lab_probe "$out" "$@"
}

write_profile() {
  cat >"$W/profile.ini" <<EOF
[deployment]
ca_file = $W/ca/ca.pem
[web]
app_url = https://$NAME/
api_url = https://$NAME/
health_url = https://$NAME/health
[voice]
enabled = false
[ports]
host = $NAME
list = 443/tcp
EOF
}

PJ='def fam: .checks[] | select(.id == "port.443/tcp.families");'
HJ='def h: .checks[] | select(.id == "http");'

with_drop() {
  echo "== TCP 443 dropped over IPv6: ports"
  probe "$W/ports-drop.json" --timeout "$TIMEOUT" ports "$NAME" --ports 443/tcp
  lab_check "ports: exit code 1 (got $RC)" test "$RC" -eq 1
  lab_jq_check "ports: 443/tcp open over IPv4 ($SRV4)" "$W/ports-drop.json" \
    '.checks[] | select(.id == "port.443/tcp@" + $a) | .details.state == "open"
       and .details.family == "ipv4" and .details.host == $n' --arg a "$SRV4" --arg n "$NAME"
  lab_jq_check "ports: 443/tcp filtered over IPv6 ($SRV6)" "$W/ports-drop.json" \
    '.checks[] | select(.id == "port.443/tcp@" + $a) | .details.state == "filtered"
       and .details.family == "ipv6"' --arg a "$SRV6"
  lab_jq_check "ports: port.443/tcp.families fails and names the AAAA fault, IPv6, 443/tcp" \
    "$W/ports-drop.json" "$PJ"' fam | .status == "fail" and .details.broken_family == "ipv6"
       and (.summary | test("has an AAAA record but 443/tcp is filtered over IPv6"))
       and (.hint | test("security list.s IPv6 rules")) and (.hint | test("250-300 ms"))'
  lab_jq_check "ports: the finding comes before the per-address rows" "$W/ports-drop.json" \
    '[.checks[] | select(.kind == "port") | .id][0] == "port.443/tcp.families"'

  echo "== TCP 443 dropped over IPv6: http (happy eyeballs)"
  probe "$W/http-drop.json" --timeout "$TIMEOUT" --ca-file "$W/ca/ca.pem" http "https://$NAME/"
  lab_check "http: exit code 0, a warning (got $RC)" test "$RC" -eq 0
  lab_jq_check "http: nothing fails" "$W/http-drop.json" '.summary.fail == 0'
  lab_jq_check "http: answers over IPv4 after happy eyeballs, warns about IPv6" \
    "$W/http-drop.json" "$HJ"' h | .status == "warn" and .details.family == "ipv4"
       and .details.happy_eyeballs_winner == "ipv4" and .details.ipv4_status == 200
       and .details.families == "ipv6,ipv4" and .details.broken_family == "ipv6"
       and (.details.ipv6_error | test("no answer to the TCP handshake"))'
  lab_jq_check "http: time lost to the filtered IPv6 attempt reported (200-2000 ms)" \
    "$W/http-drop.json" "$HJ"' h | .metrics.happy_eyeballs_lost_ms >= 200
       and .metrics.happy_eyeballs_lost_ms < 2000
       and (.summary | test("clients lost [0-9.]+ ms before IPv4 answered"))'
  lab_jq_check "http: the hint names the AAAA record and 443/tcp over IPv6" "$W/http-drop.json" \
    "$HJ"' h | .hint | test("has an AAAA record but 443/tcp does not answer over IPv6")'
  jq -r "$HJ"' h | "#   http: \(.summary)"' "$W/http-drop.json" || true

  echo "== TCP 443 dropped over IPv6: ws (happy eyeballs)"
  # nginx here answers the upgrade with 200 (no websocket app behind it):
  # what counts is that the upgrade was asked over IPv4 after 250 ms.
  probe "$W/ws-drop.json" --timeout "$TIMEOUT" --ca-file "$W/ca/ca.pem" ws "wss://$NAME/ws"
  lab_jq_check "ws: gave IPv6 up after the happy-eyeballs delay, upgraded over IPv4" \
    "$W/ws-drop.json" '.checks[] | select(.kind == "websocket") | .details.family == "ipv4"
       and .details.happy_eyeballs_fallback_from == "[" + $a + "]:443"
       and .details.broken_family == "ipv6"
       and .metrics.happy_eyeballs_lost_ms >= 250 and .metrics.happy_eyeballs_lost_ms < 1000
       and (.summary | test("101") or test("200"))' --arg a "$SRV6"
  jq -r '.checks[] | select(.kind == "websocket") | "#   ws: \(.summary)"' "$W/ws-drop.json" || true

  echo "== TCP 443 dropped over IPv6: check"
  probe "$W/check-drop.json" --timeout "$TIMEOUT" check --profile "$W/profile.ini" --no-voice
  lab_jq_check "check: port.443/tcp.families names the AAAA fault" "$W/check-drop.json" \
    "$PJ"' fam | .status == "fail" and .details.broken_family == "ipv6"'
  jq -r '"#   verdict: \(.checks[0].summary)"' "$W/check-drop.json" || true
  lab_jq_check "check: the verdict leads with the AAAA fault" "$W/check-drop.json" \
    '.checks[0].id == "verdict"
       and (.checks[0].summary | test("^api.lab.test has an AAAA record but 443/tcp is filtered"))
       and (.checks[0].hint | test("IPv6 rules"))'
  lab_jq_check "check: the health URL still answers over IPv4" "$W/check-drop.json" \
    '[.checks[] | select(.kind == "http" and .details.happy_eyeballs_winner == "ipv4"
       and .details.ipv4_status == 200)] | length >= 1'
}

without_drop() {
  echo "== no drop: both families"
  probe "$W/ports-ok.json" --timeout "$TIMEOUT" ports "$NAME" --ports 443/tcp
  lab_check "ports: exit code 0 (got $RC)" test "$RC" -eq 0
  lab_jq_check "ports: port.443/tcp.families passes and says both were tested" \
    "$W/ports-ok.json" "$PJ"' fam | .status == "pass" and .details.families == "ipv4,ipv6"
       and (.summary | test("open over IPv4 .* and IPv6"))'
  probe "$W/http-ok.json" --timeout "$TIMEOUT" --ca-file "$W/ca/ca.pem" http "https://$NAME/"
  lab_check "http: exit code 0 (got $RC)" test "$RC" -eq 0
  lab_jq_check "http: passes, IPv6 first and won, both answer with one certificate" \
    "$W/http-ok.json" "$HJ"' h | .status == "pass" and .details.happy_eyeballs_winner == "ipv6"
       and .details.ipv4_status == 200 and .details.ipv6_status == 200
       and .details.ipv4_cert_sha256 == .details.ipv6_cert_sha256
       and .metrics.happy_eyeballs_lost_ms == 0
       and (.summary | test("IPv6 and IPv4 both answer 200 with the same certificate"))'
  jq -r "$HJ"' h | "#   http: \(.summary)"' "$W/http-ok.json" || true
  probe "$W/http-4.json" --timeout "$TIMEOUT" -4 --ca-file "$W/ca/ca.pem" http "https://$NAME/"
  lab_jq_check "-4: http passes over IPv4 without family evidence" "$W/http-4.json" \
    "$HJ"' h | .status == "pass" and .details.family == "ipv4" and .details.families == null'
}

# A second valid leaf from the same CA: what an old host or another server
# block still holding the AAAA address serves.
make_other_leaf() {
  (
    cd "$W/ca"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout other.key -out other.csr -subj "/CN=$NAME" 2>/dev/null
    openssl x509 -req -in other.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 397 \
      -extfile server.ext -out other.pem 2>/dev/null
  )
}

other_cert_on_v6() {
  echo "== another certificate on the IPv6 address"
  make_other_leaf
  nginx_stop
  nginx_start "$W/ca/other.pem" "$W/ca/other.key"
  probe "$W/http-cert.json" --timeout "$TIMEOUT" --ca-file "$W/ca/ca.pem" http "https://$NAME/"
  lab_jq_check "http: warns that the certificates differ, naming both fingerprints" \
    "$W/http-cert.json" "$HJ"' h | .status == "warn"
       and (.summary | test("certificate over IPv6 differs from the one over IPv4"))
       and .details.ipv4_cert_sha256 != .details.ipv6_cert_sha256
       and (.details.ipv4_cert_sha256 as $a | .details.ipv6_cert_sha256 as $b
            | .hint | contains($a) and contains($b))'
}

main() {
  preflight
  make_network
  W=$(lab_tmpdir)
  lab_web_make_certs "$W/ca"
  write_profile
  nginx_start "$W/ca/server.pem" "$W/ca/server.key"
  echo "# $NS_S: nginx HTTPS on $SRV4:443 and [$SRV6]:443; $NS_C resolves $NAME to both"
  drop_v6_443
  with_drop
  undrop
  without_drop
  other_cert_on_v6
  lab_finish
}

lab_init
main "$@"
