# shellcheck shell=bash
# Lab pieces for an IPv6-only network behind NAT64 (source after lib.sh):
# Debian's tayga as the stateless NAT64 translator (RFC 7915, RFC 6052
# prefix below) with nftables masquerading its IPv4 pool behind the
# gateway's address, and Debian's unbound as the resolver, answering only
# from a zone file of its own (an auth-zone for the root, so nothing is ever
# asked outside), with or without its dns64 module (RFC 6147). Every address
# is inside namespaces the caller made: 198.18.0.0/15 and 2001:db8::/32.

# A network-specific prefix (RFC 6052 2.2): tayga follows RFC 6052 3.1 and
# refuses the well-known 64:ff9b::/96 with non-global IPv4 addresses, which
# the lab's 198.18.0.0/15 are; a carrier's servers are global addresses.
LAB_NAT64_PREFIX=2001:db8:64::/96
# Tayga's own IPv4 address and the pool IPv6 clients are mapped into.
LAB_NAT64_TAYGA4=198.19.255.1
LAB_NAT64_POOL=198.19.255.0/24
LAB_NAT64_TAYGA6=2001:db8:65::1

# lab_nat64_tayga_start NS DIR UPLINK: tayga in NS (its tun is "nat64"),
# IPv4 leaving through UPLINK masqueraded to UPLINK's address, forwarding on.
lab_nat64_tayga_start() {
  local ns=$1 dir=$2 uplink=$3 pid i
  mkdir -p "$dir/tayga"
  cat >"$dir/tayga.conf" <<EOF
tun-device nat64
ipv4-addr $LAB_NAT64_TAYGA4
ipv6-addr $LAB_NAT64_TAYGA6
prefix $LAB_NAT64_PREFIX
dynamic-pool $LAB_NAT64_POOL
data-dir $dir/tayga
EOF
  ip netns exec "$ns" tayga -c "$dir/tayga.conf" --mktun >"$dir/tayga.log" 2>&1 ||
    { cat "$dir/tayga.log" >&2; lab_die "tayga --mktun failed in $ns"; return 1; }
  ip -n "$ns" link set nat64 up
  ip -n "$ns" route add "$LAB_NAT64_POOL" dev nat64
  ip -n "$ns" -6 route add "$LAB_NAT64_PREFIX" dev nat64
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ip netns exec "$ns" nft -f - <<EOF
table ip rpnat64 {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "$uplink" masquerade
  }
}
EOF
  ip netns exec "$ns" tayga -c "$dir/tayga.conf" --nodetach </dev/null >>"$dir/tayga.log" 2>&1 &
  pid=$!
  lab_on_exit "lab_kill_pid $pid"
  for i in $(seq 20); do
    lab_pid_alive "$pid" || { cat "$dir/tayga.log" >&2; lab_die "tayga exited in $ns"; return 1; }
    ((i > 3)) && return 0
    sleep 0.1
  done
}

# lab_unbound_start NS DIR LISTEN MODULES NAME=IPV4...: unbound in NS on
# LISTEN port 53 (MODULES "dns64 iterator" or "iterator"), answering from
# DIR/root.zone: each NAME with its A record, and ipv4only.arpa with
# 192.0.0.170 and 192.0.0.171 (RFC 7050). Names not there are NXDOMAIN.
lab_unbound_start() {
  local ns=$1 dir=$2 listen=$3 modules=$4 pid i rr name
  shift 4
  mkdir -p "$dir"
  {
    printf '. 3600 IN SOA ns.lab.test. host.lab.test. 1 3600 600 86400 60\n'
    printf '. 3600 IN NS ns.lab.test.\n'
    printf 'ns.lab.test. 3600 IN AAAA %s\n' "$listen"
    printf 'ipv4only.arpa. 60 IN A 192.0.0.170\n'
    printf 'ipv4only.arpa. 60 IN A 192.0.0.171\n'
    for rr in "$@"; do
      name=${rr%%=*}
      printf '%s. 60 IN A %s\n' "$name" "${rr#*=}"
    done
  } >"$dir/root.zone"
  cat >"$dir/unbound.conf" <<EOF
server:
  interface: $listen
  port: 53
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "$dir"
  pidfile: "$dir/unbound.pid"
  logfile: ""
  use-syslog: no
  verbosity: 1
  access-control: 2001:db8::/32 allow
  access-control: 198.18.0.0/15 allow
  module-config: "$modules"
  dns64-prefix: $LAB_NAT64_PREFIX
  do-not-query-localhost: yes
  # The default local zone for test. would answer NXDOMAIN before the zone file.
  local-zone: "test." nodefault
  local-zone: "arpa." nodefault
remote-control:
  control-enable: no
auth-zone:
  name: "."
  zonefile: "$dir/root.zone"
  for-downstream: no
  for-upstream: yes
  fallback-enabled: no
EOF
  ip netns exec "$ns" unbound-checkconf "$dir/unbound.conf" >"$dir/unbound.log" 2>&1 ||
    { cat "$dir/unbound.log" >&2; lab_die "unbound-checkconf refused $dir/unbound.conf"; return 1; }
  ip netns exec "$ns" unbound -d -c "$dir/unbound.conf" </dev/null >>"$dir/unbound.log" 2>&1 &
  pid=$!
  lab_on_exit "lab_kill_pid $pid"
  for i in $(seq 50); do
    lab_pid_alive "$pid" || { cat "$dir/unbound.log" >&2; lab_die "unbound exited in $ns"; return 1; }
    ip netns exec "$ns" ss -Hlun | grep -qF "$listen]:53" && return 0
    sleep 0.1
  done
  lab_die "unbound does not listen on [$listen]:53 in $ns"
}

# lab_netns_resolver NS ADDR: NS's /etc/resolv.conf names ADDR (ip netns
# exec bind-mounts /etc/netns/NS/resolv.conf); removed at exit.
lab_netns_resolver() {
  local ns=$1 addr=$2
  mkdir -p "/etc/netns/$ns"
  printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$addr" >"/etc/netns/$ns/resolv.conf"
  lab_on_exit "rm -rf /etc/netns/$(printf '%q' "$ns")"
}

# lab_clat_start NS DIR CLAT6: a CLAT (the customer side of 464XLAT,
# RFC 6877) in NS, as Android's clatd: tayga on a tun named "clat" holding
# 192.0.0.1 from RFC 7335's 192.0.0.0/29 with the IPv4 default route, IPv4
# destinations translated into LAB_NAT64_PREFIX (the PLAT's, RFC 6052) and the
# IPv4 source mapped to CLAT6 (a /64 of its own, which the caller routes to NS
# on the PLAT's side). Forwarding on in NS: translated packets leave by its
# IPv6 default route.
lab_clat_start() {
  local ns=$1 dir=$2 clat6=$3 pid i
  mkdir -p "$dir/tayga"
  cat >"$dir/tayga.conf" <<EOF2
tun-device clat
ipv4-addr 192.0.0.2
ipv6-addr ${clat6%::*}::2
prefix $LAB_NAT64_PREFIX
map 192.0.0.1 $clat6
data-dir $dir/tayga
EOF2
  ip netns exec "$ns" tayga -c "$dir/tayga.conf" --mktun >"$dir/tayga.log" 2>&1 ||
    { cat "$dir/tayga.log" >&2; lab_die "tayga --mktun (CLAT) failed in $ns"; return 1; }
  ip -n "$ns" link set clat up
  ip -n "$ns" addr add 192.0.0.1/29 dev clat
  ip -n "$ns" route add default dev clat
  ip -n "$ns" -6 route add "${clat6%::*}::/64" dev clat
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1
  ip netns exec "$ns" tayga -c "$dir/tayga.conf" --nodetach </dev/null >>"$dir/tayga.log" 2>&1 &
  pid=$!
  lab_on_exit "lab_kill_pid $pid"
  for i in $(seq 20); do
    lab_pid_alive "$pid" || { cat "$dir/tayga.log" >&2; lab_die "tayga (CLAT) exited in $ns"; return 1; }
    ((i > 3)) && return 0
    sleep 0.1
  done
}
