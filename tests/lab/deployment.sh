#!/bin/bash
# A complete stand-in deployment for `rtcprobe check`, and its profile.
#   deployment.sh start DIR [--broken]
#   deployment.sh stop DIR
# start runs coturn, nginx in front of the Socket.IO app and the LiveKit
# stand-in (tests/lab/lib.sh), one CA for all of them, and writes
# DIR/profile.ini (ports, CA, credential files) and DIR/env (sourceable:
# LAB_DEPLOY_PROFILE, LAB_DEPLOY_NETNS, LAB_DEPLOY_MODE). Everything listens
# on loopback at free ports.
#
# --broken: the faults a deploy goes wrong with. coturn runs in a server
# namespace on 3478/5349 with an nftables rule that drops UDP to 3478 on
# its input (a security list without the UDP rule); the probe must run in
# the client namespace named by LAB_DEPLOY_NETNS, where the web lab runs on
# its own loopback: nginx without the websocket Upgrade headers
# (noupgrade) serving a certificate that expires in 5 days (expiring).
# The two namespaces are joined by one veth pair and nothing else.
#
# stop ends every process and removes the namespaces; DIR stays. The
# reflector (`rtcprobe serve`) is not started: the profile has no
# [reflector] section, so ICE uses the two-agent test.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"

SRV4=198.18.0.2
CLI4=198.18.0.1

usage() {
  sed -n '3,4s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

# One CA for web and TURN, so the profile names one ca_file.
make_certs() {
  local dir=$1
  lab_web_make_certs "$dir/web/ca" >/dev/null
  mkdir -p "$dir/turn"
  chmod 700 "$dir/turn"
  cp -r "$dir/web/ca" "$dir/turn/ca"
}

# The client namespace (probe + web) and the server namespace (coturn).
make_namespaces() {
  local dir=$1 tag=rpd$$
  local nsc=$tag-c nss=$tag-s vc=rpdc$$ vs=rpds$$
  ip netns add "$nsc"
  echo "$nsc" >>"$dir/netns"
  ip netns add "$nss"
  echo "$nss" >>"$dir/netns"
  ip link add "$vc" netns "$nsc" type veth peer name "$vs" netns "$nss"
  ip -n "$nsc" link set lo up
  ip -n "$nss" link set lo up
  ip -n "$nsc" addr add "$CLI4/24" dev "$vc"
  ip -n "$nss" addr add "$SRV4/24" dev "$vs"
  ip -n "$nsc" link set "$vc" up
  ip -n "$nss" link set "$vs" up
  # Dropped on the receiving side, as a remote firewall does (doc/internals/ARCHITECTURE.md, "The lab").
  ip netns exec "$nss" nft -f - <<EOF
table inet rplab {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$vs" udp dport { 3478, 7882 } counter drop
  }
}
EOF
  NS_CLIENT=$nsc
  NS_SERVER=$nss
}

write_profile() {
  local dir=$1 turn_host=$2 file_hash=$3
  # shellcheck source=/dev/null
  source "$dir/web/env"
  # shellcheck source=/dev/null
  source "$dir/turn/env"
  local https=https://127.0.0.1:$LAB_WEB_HTTPS_PORT
  cat >"$dir/profile.ini" <<EOF
# rtcprobe profile for the lab deployment in $dir (made by tests/lab/deployment.sh).
# Everything is on loopback at ephemeral ports; secrets stay in their files.

[deployment]
ca_file = $LAB_CA_FILE

[web]
# The lab's app has no page at /: its plain-text health route stands in for
# the web frontend.
app_url = $https/health/text
api_url = $https/
origin = $LAB_CORS_ORIGIN
http_urls = http://127.0.0.1:$LAB_WEB_HTTP_PORT/

[files]
file_hash = $file_hash

[turn]
uris = turn:$turn_host:$LAB_TURN_PORT; turns:$turn_host:$LAB_TURN_TLS_PORT
user = $LAB_TURN_USER
password_file = $LAB_TURN_PASSWORD_FILE
# The lab coturn must relay to loopback peers, which the audit rightly flags.
audit = false

[livekit]
url = wss://127.0.0.1:$LAB_WEB_LIVEKIT_PORT
key = $LAB_LIVEKIT_KEY
secret_file = $LAB_LIVEKIT_SECRET_FILE

[voice]
duration = 5
EOF
  if [[ $turn_host != 127.0.0.1 ]]; then
    # The UDP and TLS ports of the TURN server live in the server namespace.
    cat >>"$dir/profile.ini" <<EOF

[ports]
host = $turn_host
list = $LAB_TURN_PORT/udp, $LAB_TURN_PORT/tcp, $LAB_TURN_TLS_PORT/tcp, 7882/udp
EOF
  fi
}

start() {
  local dir=$1 mode=${2:-good} variant=good file_hash
  mkdir -p "$dir"
  chmod 700 "$dir"
  dir=$(cd "$dir" && pwd)
  [[ ! -f $dir/env ]] || { echo "a lab deployment is already in $dir (stop it first)" >&2; exit 1; }
  file_hash=lab$(openssl rand -hex 8)
  : >"$dir/netns"
  if [[ $mode == --broken ]]; then
    [[ $(id -u) -eq 0 ]] || { echo "--broken needs root (network namespaces)" >&2; exit 2; }
    export LAB_CERT_EXTRA_SAN="IP:$SRV4"
    make_certs "$dir"
    make_namespaces "$dir"
    lab_coturn_start "$dir/turn" --netns "$NS_SERVER" --ip "$SRV4" --port 3478 --tls-port 5349 \
      --no-loopback-peers >/dev/null
    # noupgrade, serving the certificate that expires in 5 days (the
    # expiring variant's fault on top of noupgrade's).
    cp "$dir/web/ca/expiring.pem" "$dir/web/ca/server.pem"
    cp "$dir/web/ca/expiring.key" "$dir/web/ca/server.key"
    # The web lab on the client's own loopback: the probe reaches it there.
    LAB_OWNER_PID=$$ ip netns exec "$NS_CLIENT" bash -c \
      'source "$0/lib.sh" && lab_web_start "$1" noupgrade' "$HERE" "$dir/web"
    variant=broken
  else
    make_certs "$dir"
    lab_coturn_start "$dir/turn" >/dev/null
    lab_web_start "$dir/web" good
  fi
  lab_release_ports
  write_profile "$dir" "$([[ $mode == --broken ]] && echo "$SRV4" || echo 127.0.0.1)" "$file_hash"
  {
    printf 'LAB_DEPLOY_DIR=%q\n' "$dir"
    printf 'LAB_DEPLOY_MODE=%q\n' "$variant"
    printf 'LAB_DEPLOY_PROFILE=%q\n' "$dir/profile.ini"
    printf 'LAB_DEPLOY_NETNS=%q\n' "${NS_CLIENT:-}"
    printf 'LAB_DEPLOY_SERVER_NETNS=%q\n' "${NS_SERVER:-}"
  } >"$dir/env"
}

stop() {
  local dir=$1 ns
  [[ -d $dir ]] || return 0
  lab_web_stop "$dir/web" 2>/dev/null || true
  lab_coturn_stop "$dir/turn" 2>/dev/null || true
  if [[ -f $dir/netns ]]; then
    while read -r ns; do
      [[ -n $ns ]] && ip netns del "$ns" 2>/dev/null || true
    done <"$dir/netns"
    rm -f "$dir/netns"
  fi
  rm -f "$dir/env"
}

main() {
  (($# >= 2)) || usage
  case $1 in
    start) start "$2" "${3:-}" ;;
    stop) stop "$2" ;;
    *) usage ;;
  esac
}

main "$@"
