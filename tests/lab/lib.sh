# shellcheck shell=bash
# Lab library for rtcprobe tests and the demo: real servers (coturn, socat
# responders) on loopback or inside network namespaces the caller creates,
# on ephemeral ports, with a throw-away test CA. Source it, call lab_init once
# (installs the EXIT trap), then start what the test needs; lab_cleanup stops
# everything that was registered, even when the test fails half way.
#
# Traffic rule: every address used here is loopback or an address inside a
# namespace made by the caller. Nothing in this file talks to anything else.

LAB_WORKDIR=${LAB_WORKDIR:-}
LAB_PORT_LOCKS=${LAB_PORT_LOCKS:-${TMPDIR:-/tmp}/rtcprobe-lab-ports}
# The shell that owns reservations and cleanup; $$ is the same in subshells.
LAB_OWNER_PID=${LAB_OWNER_PID:-$$}

lab_log() { printf 'lab: %s\n' "$*" >&2; }
lab_die() { printf 'lab: error: %s\n' "$*" >&2; return 1; }

# Exit 77 (meson's "skipped") with the reason on stderr.
lab_skip() { printf 'SKIP: %s\n' "$*" >&2; exit 77; }

# Skip unless every named program exists.
lab_require() {
  local p
  for p in "$@"; do
    command -v "$p" >/dev/null 2>&1 || lab_skip "$p not installed"
  done
}

# ---------------------------------------------------------------- lifecycle

# Create the work directory and install the cleanup trap. The cleanup list is
# a file so that helpers run in $(...) subshells can register too.
lab_init() {
  if [[ -z $LAB_WORKDIR ]]; then
    LAB_WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/rtcprobe-lab.XXXXXX")
  fi
  : >"$LAB_WORKDIR/cleanup"
  # The vantage's ipv4only.arpa lookup would go to the host's resolver: off,
  # except where a test gives a namespace its own (tests/lab/nat64.sh).
  export RTCPROBE_VANTAGE_DNS64=off
  trap 'lab_cleanup' EXIT
  # A signal must still run the EXIT trap: turn it into an exit.
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Register a command line (one string, eval'd) to run at cleanup, newest first.
lab_on_exit() {
  [[ -n $LAB_WORKDIR && -f $LAB_WORKDIR/cleanup ]] || lab_die "lab_init not called" || return
  printf '%s\n' "$*" >>"$LAB_WORKDIR/cleanup"
}

lab_cleanup() {
  local rc=$? line
  trap - EXIT INT TERM
  set +e
  if [[ -n $LAB_WORKDIR && -f $LAB_WORKDIR/cleanup ]]; then
    while IFS= read -r line; do
      [[ -n $line ]] && eval "$line" >/dev/null 2>&1
    done < <(tac "$LAB_WORKDIR/cleanup")
  fi
  lab_release_ports
  if [[ -n $LAB_WORKDIR && -d $LAB_WORKDIR && -z ${LAB_KEEP:-} ]]; then
    rm -rf "$LAB_WORKDIR"
  elif [[ -n ${LAB_KEEP:-} ]]; then
    lab_log "kept $LAB_WORKDIR"
  fi
  return "$rc"
}

# A fresh directory. Under LAB_WORKDIR when lab_init ran (removed with it).
lab_tmpdir() {
  if [[ -n $LAB_WORKDIR && -d $LAB_WORKDIR ]]; then
    mktemp -d "$LAB_WORKDIR/tmp.XXXXXX"
  else
    mktemp -d "${TMPDIR:-/tmp}/rtcprobe-lab.XXXXXX"
  fi
}

# Alive and not a zombie (an orphan's zombie may wait long for its reaper).
lab_pid_alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ $state != Z ]]
}

# Stop a process we started and the children it forked (socat fork mode).
lab_kill_pid() {
  local pid=$1 i
  [[ -n $pid ]] || return 0
  lab_pid_alive "$pid" || return 0
  pkill -TERM -P "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do
    lab_pid_alive "$pid" || return 0
    sleep 0.1
  done
  pkill -KILL -P "$pid" 2>/dev/null || true
  kill -KILL "$pid" 2>/dev/null || true
}

# Run a command in namespace $1, or in the current one when $1 is empty.
lab_nsexec() {
  local ns=$1
  shift
  if [[ -n $ns ]]; then
    ip netns exec "$ns" "$@"
  else
    "$@"
  fi
}

# ---------------------------------------------------------------- ports

# Is PORT free for PROTO (tcp|udp|both) in namespace NS (empty = current)?
# Any local address counts: a wildcard bind would collide as well.
lab_port_is_free() {
  local port=$1 proto=$2 ns=${3:-} flags
  case $proto in
    tcp) flags=-tan ;;
    udp) flags=-uan ;;
    both) flags=-tuan ;;
    *) lab_die "lab_port_is_free: protocol tcp|udp|both, not '$proto'"; return ;;
  esac
  [[ -z $(lab_nsexec "$ns" ss -H "$flags" "sport = :$port" 2>/dev/null) ]]
}

# Print a port in 20000-59999 that is free for PROTO, and reserve it for this
# test run: a lock directory keeps parallel tests (and our own later calls)
# from picking the same one between the check and the bind. A reservation
# whose owner died is taken over.
lab_free_port() {
  local proto=${1:-both} ns=${2:-} port lock owner
  mkdir -p "$LAB_PORT_LOCKS" 2>/dev/null
  for _ in $(seq 200); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    lock="$LAB_PORT_LOCKS/$port"
    if ! mkdir "$lock" 2>/dev/null; then
      owner=$(cat "$lock/pid" 2>/dev/null)
      if [[ -n $owner ]] && kill -0 "$owner" 2>/dev/null; then
        continue
      fi
      rm -rf "$lock"
      mkdir "$lock" 2>/dev/null || continue
    fi
    echo "$LAB_OWNER_PID" >"$lock/pid"
    if lab_port_is_free "$port" "$proto" "$ns"; then
      echo "$port"
      return 0
    fi
    rm -rf "$lock"
  done
  lab_die "no free $proto port found"
}

# N consecutive ports free for PROTO (coturn's relay range). Prints the first.
lab_free_port_range() {
  local n=$1 proto=${2:-udp} ns=${3:-} base i ok
  for _ in $(seq 100); do
    base=$((20000 + (RANDOM * 32768 + RANDOM) % (40000 - n)))
    ok=1
    for ((i = 0; i < n; i++)); do
      if ! lab_port_is_free $((base + i)) "$proto" "$ns"; then
        ok=0
        break
      fi
    done
    if ((ok)); then
      echo "$base"
      return 0
    fi
  done
  lab_die "no free range of $n $proto ports"
}

# Drop the reservations this test run holds.
lab_release_ports() {
  local lock
  [[ -d $LAB_PORT_LOCKS ]] || return 0
  for lock in "$LAB_PORT_LOCKS"/*; do
    [[ -f $lock/pid && $(cat "$lock/pid" 2>/dev/null) == "$LAB_OWNER_PID" ]] && rm -rf "$lock"
  done
  return 0
}

# Wait until something listens on HOST:PORT. PROTO tcp connects (proves it
# accepts); udp looks for a bound socket (a UDP server answers only to its own
# protocol: use turnutils_stunclient for that). NS runs the check inside a
# namespace. Returns 1 after TIMEOUT seconds.
lab_wait_port() {
  local host=$1 port=$2 proto=${3:-tcp} timeout=${4:-10} ns=${5:-} deadline
  deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    case $proto in
      tcp)
        # Connect with bash's /dev/tcp; brackets are not wanted there for IPv6.
        if lab_nsexec "$ns" timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null; then
          return 0
        fi
        ;;
      udp)
        if [[ -n $(lab_nsexec "$ns" ss -Hlun "sport = :$port" 2>/dev/null) ]]; then
          return 0
        fi
        ;;
      *) lab_die "lab_wait_port: protocol tcp|udp, not '$proto'"; return ;;
    esac
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------- TLS material

# Make a throw-away PKI in DIR:
#   ca.pem ca.key             the lab CA
#   server.pem server.key     signed by it, SAN localhost, turn.lab.test, 127.0.0.1, ::1
#   other-ca.pem              an unrelated CA (verification must fail with it)
#   selfsigned.pem/.key       self-signed, same SAN
#   expired.pem/.key          signed by the lab CA, already expired
# EC P-256 keys: fast to make, and coturn serves them. Extra SAN entries for
# addresses inside namespaces can be passed in LAB_CERT_EXTRA_SAN ("IP:198.18.0.2").
lab_make_ca() {
  local dir=$1 san ext
  mkdir -p "$dir"
  san="DNS:localhost,DNS:turn.lab.test,IP:127.0.0.1,IP:::1${LAB_CERT_EXTRA_SAN:+,$LAB_CERT_EXTRA_SAN}"
  ext="$dir/server.ext"
  cat >"$ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
EOF
  (
    set -e
    cd "$dir"
    ossl() { openssl "$@" 2>/dev/null; }
    newca() { # name, subject
      ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$1.key" -out "$1.pem" -days 2 -subj "$2" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    }
    newleaf() { # name, CA name, days
      ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$1.key" -out "$1.csr" -subj "/CN=turn.lab.test"
      ossl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
        -days "$3" -extfile server.ext -out "$1.pem"
      rm -f "$1.csr"
    }
    newca ca "/CN=rtcprobe lab CA"
    newca other-ca "/CN=rtcprobe unrelated CA"
    newleaf server ca 2
    # -days -1: notAfter lies before now, so every verifier reports "expired".
    newleaf expired ca -1
    ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout selfsigned.key -out selfsigned.pem -days 2 -subj "/CN=turn.lab.test" \
      -addext "subjectAltName=$san"
    chmod 600 ./*.key
  ) || lab_die "making the lab CA in $dir failed"
}

# ---------------------------------------------------------------- coturn

# Start coturn's turnserver in DIR (created if missing). Lab options first:
#   --ip ADDR        listening and relay address (default 127.0.0.1)
#   --ip6 ADDR       also listen and relay on this IPv6 address (e.g. ::1):
#                    dual stack, IPv6 and dual allocations (RFC 6156/8656)
#   --netns NS       run inside that namespace
#   --port P         STUN/TURN port, UDP and TCP (default: a free one)
#   --tls-port T     TLS port, also DTLS on UDP (default: a free one)
#   --auth MODE      lt (default): lt-cred-mech with one user= line, password
#                    in DIR/turn-password;
#                    secret: use-auth-secret with static-auth-secret (TURN REST),
#                    the secret in DIR/turn-secret, no static user;
#                    none: no-auth, coturn hands out relays without credentials
#   --no-loopback-peers   leave out allow-loopback-peers (coturn then refuses
#                    loopback peers, so a loopback relay test fails with 403)
#   --relay-ports N  relay ports (default 64; two per load stream)
#   --conf-line LINE append LINE to turnserver.conf (repeatable), e.g.
#                    'no-udp', 'denied-peer-ip=10.0.0.0-10.255.255.255'.
#                    LAB_COTURN_CONF_LINES (newline-separated) appends too.
# then "--" and/or extra turnserver arguments (e.g. --listening-ip=::1).
# Credentials live in DIR/turnserver.conf (mode 0600), not on the command line,
# so they never show in ps. Writes DIR/env (sourceable) and DIR/turn-password
# or DIR/turn-secret (mode 0600). With no-udp / no-tcp / no-tls among the conf
# lines or arguments, readiness is checked on the listeners that remain.
lab_coturn_start() {
  local dir=$1
  shift
  local ip=127.0.0.1 ns="" port="" tls_port="" relay_min user="" pw realm=turn.lab.test pid
  local auth=lt loopback_peers=1 secret_file="" pw_file="" line ip6="" relay_n=64
  local -a conf_lines=()
  if [[ -n ${LAB_COTURN_CONF_LINES:-} ]]; then
    while IFS= read -r line; do
      [[ -n $line ]] && conf_lines+=("$line")
    done <<<"$LAB_COTURN_CONF_LINES"
  fi
  while (($#)); do
    case $1 in
      --ip) ip=$2; shift 2 ;;
      --ip6) ip6=$2; shift 2 ;;
      --netns) ns=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      --tls-port) tls_port=$2; shift 2 ;;
      --auth) auth=$2; shift 2 ;;
      --no-loopback-peers) loopback_peers=0; shift ;;
      --conf-line) conf_lines+=("$2"); shift 2 ;;
      --relay-ports) relay_n=$2; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  case $auth in lt | secret | none) ;; *) lab_die "lab_coturn_start: --auth lt|secret|none, not '$auth'"; return ;; esac
  # Which listeners will exist: the readiness checks below wait for those only.
  local want_udp=1 want_tcp=1 want_tls=1 opt
  for opt in "${conf_lines[@]}" "$@"; do
    case ${opt#--} in
      no-udp) want_udp=0 ;;
      no-tcp) want_tcp=0 ;;
      no-tls) want_tls=0 ;;
    esac
  done
  command -v turnserver >/dev/null || { lab_die "turnserver not installed"; return; }
  mkdir -p "$dir"
  chmod 700 "$dir"
  [[ -f $dir/ca/server.pem ]] || lab_make_ca "$dir/ca" || return
  [[ -n $port ]] || port=$(lab_free_port both "$ns") || return
  # The TLS port carries DTLS on UDP too.
  [[ -n $tls_port ]] || tls_port=$(lab_free_port both "$ns") || return
  relay_min=$(lab_free_port_range "$relay_n" udp "$ns") || return
  local auth_conf
  case $auth in
    lt)
      user="lab$RANDOM"
      pw=$(openssl rand -hex 16)
      pw_file=$dir/turn-password
      (umask 077 && printf '%s\n' "$pw" >"$pw_file")
      auth_conf="lt-cred-mech"$'\n'"user=$user:$pw"
      ;;
    secret)
      pw=$(openssl rand -hex 24)
      secret_file=$dir/turn-secret
      (umask 077 && printf '%s\n' "$pw" >"$secret_file")
      auth_conf="lt-cred-mech"$'\n'"use-auth-secret"$'\n'"static-auth-secret=$pw"
      ;;
    none)
      auth_conf="no-auth"
      ;;
  esac
  (
    umask 077
    cat >"$dir/turnserver.conf" <<EOF
# rtcprobe lab coturn: loopback or test namespace only.
listening-ip=$ip
relay-ip=$ip
${ip6:+listening-ip=$ip6
relay-ip=$ip6}
listening-port=$port
tls-listening-port=$tls_port
alt-listening-port=0
alt-tls-listening-port=0
min-port=$relay_min
max-port=$((relay_min + relay_n - 1))
$auth_conf
realm=$realm
cert=$dir/ca/server.pem
pkey=$dir/ca/server.key
$( ((loopback_peers)) && echo allow-loopback-peers)
no-cli
no-multicast-peers
log-file=stdout
pidfile=$dir/turnserver.pid
userdb=$dir/turndb
EOF
    if ((${#conf_lines[@]})); then
      printf '%s\n' "${conf_lines[@]}" >>"$dir/turnserver.conf"
    fi
  )
  # Foreground process (no -o), started as a simple command so that $! is
  # turnserver itself (ip netns exec execs).
  local pre=()
  [[ -z $ns ]] || pre=(ip netns exec "$ns")
  "${pre[@]}" turnserver -c "$dir/turnserver.conf" "$@" \
    </dev/null >"$dir/turn.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/lab.pid"
  if [[ -n $LAB_WORKDIR && -f $LAB_WORKDIR/cleanup ]]; then
    lab_on_exit "lab_coturn_stop $(printf '%q' "$dir")"
  fi
  {
    printf 'LAB_TURN_HOST=%q\n' "$ip"
    printf 'LAB_TURN_HOST6=%q\n' "$ip6"
    printf 'LAB_TURN_PORT=%q\n' "$port"
    printf 'LAB_TURN_TLS_PORT=%q\n' "$tls_port"
    printf 'LAB_TURN_USER=%q\n' "$user"
    printf 'LAB_TURN_PASSWORD_FILE=%q\n' "$pw_file"
    printf 'LAB_TURN_SECRET_FILE=%q\n' "$secret_file"
    printf 'LAB_TURN_AUTH=%q\n' "$auth"
    printf 'LAB_TURN_REALM=%q\n' "$realm"
    printf 'LAB_TURN_RELAY_MIN=%q\n' "$relay_min"
    printf 'LAB_TURN_RELAY_MAX=%q\n' "$((relay_min + relay_n - 1))"
    printf 'LAB_TURN_NETNS=%q\n' "$ns"
    printf 'LAB_TURN_PID=%q\n' "$pid"
    printf 'LAB_TURN_LOG=%q\n' "$dir/turn.log"
    printf 'LAB_CA_FILE=%q\n' "$dir/ca/ca.pem"
    printf 'LAB_OTHER_CA_FILE=%q\n' "$dir/ca/other-ca.pem"
    printf 'LAB_SELFSIGNED_CERT=%q\n' "$dir/ca/selfsigned.pem"
    printf 'LAB_EXPIRED_CERT=%q\n' "$dir/ca/expired.pem"
  } >"$dir/env"
  if { ((want_tcp)) && ! lab_wait_port "$ip" "$port" tcp 10 "$ns"; } ||
    { ((want_tls)) && ! lab_wait_port "$ip" "$tls_port" tcp 10 "$ns"; } ||
    { ((want_udp)) && ! lab_wait_port "$ip" "$port" udp 10 "$ns"; }; then
    lab_log "turnserver did not come up; last log lines:"
    tail -n 20 "$dir/turn.log" >&2
    lab_coturn_stop "$dir"
    return 1
  fi
  if ((want_udp)) && ! lab_stun_ping "$ip" "$port" "$ns"; then
    lab_log "turnserver does not answer STUN on $ip:$port/udp; last log lines:"
    tail -n 20 "$dir/turn.log" >&2
    lab_coturn_stop "$dir"
    return 1
  fi
}

lab_coturn_stop() {
  local dir=$1
  [[ -f $dir/lab.pid ]] || return 0
  lab_kill_pid "$(cat "$dir/lab.pid")"
  rm -f "$dir/lab.pid"
}

# One STUN Binding over UDP with coturn's own client: proves the server answers
# independently of rtcprobe. turnutils_stunclient retries on its own; bound it.
lab_stun_ping() {
  local host=$1 port=$2 ns=${3:-} out
  command -v turnutils_stunclient >/dev/null || return 0
  for _ in 1 2 3; do
    out=$(lab_nsexec "$ns" timeout 3 turnutils_stunclient -p "$port" "$host" 2>&1) || true
    if grep -q 'UDP reflexive addr' <<<"$out"; then
      return 0
    fi
    sleep 0.2
  done
  printf '%s\n' "$out" >&2
  return 1
}

# ---------------------------------------------------------------- bad servers

# A UDP responder on HOST:PORT (HOST default 127.0.0.1, NS optional) that
# answers every datagram with one bad reply, for the probe's error paths:
#   garbage    bytes that are not STUN at all (top bits set, no cookie)
#   truncated  a Binding success header that echoes the request's transaction
#              id but claims 12 attribute bytes and carries 4
#   wrongtid   a well-formed Binding success (XOR-MAPPED-ADDRESS 127.0.0.1:9)
#              with a fixed transaction id that matches no request
# Sets LAB_LAST_PID; the responder is stopped by lab_cleanup.
lab_garbage_udp_start() {
  local port=$1 mode=$2 host=${3:-127.0.0.1} ns=${4:-} dir script family=UDP4
  case $mode in garbage | truncated | wrongtid) ;; *) lab_die "mode garbage|truncated|wrongtid, not '$mode'"; return ;; esac
  command -v socat >/dev/null || { lab_die "socat not installed"; return; }
  [[ $host == *:* ]] && family=UDP6
  dir=$(lab_tmpdir)
  script="$dir/reply-$mode.sh"
  # socat sends each write of the child as one datagram: build the whole reply
  # and hand it over in one write (dd fullblock).
  cat >"$script" <<'EOF'
#!/bin/bash
set -eu
mode=$1
req=$(head -c 20 | od -An -tx1 -v | tr -d ' \n')
tid=${req:16:24}
[[ ${#tid} -eq 24 ]] || tid=000000000000000000000000
case $mode in
  garbage) hex=676172626167652c206e6f742053545554e2809420736f7272790a ;;
  truncated) hex=0101000c2112a442${tid}00200008 ;;
  # 127.0.0.1:9 XOR'd with the magic cookie (RFC 8489 14.2).
  wrongtid) hex=0101000c2112a442000102030405060708090a0b002000080001211b5e12a443 ;;
esac
printf "$(sed 's/../\\x&/g' <<<"$hex")" | dd bs=1024 count=1 iflag=fullblock status=none
EOF
  chmod 755 "$script"
  local pre=()
  [[ -z $ns ]] || pre=(ip netns exec "$ns")
  "${pre[@]}" socat -T 2 "$family-RECVFROM:$port,bind=$host,reuseaddr,fork" \
    "SYSTEM:bash $(printf '%q' "$script") $mode" </dev/null >"$dir/socat.log" 2>&1 &
  LAB_LAST_PID=$!
  if [[ -n $LAB_WORKDIR && -f $LAB_WORKDIR/cleanup ]]; then
    lab_on_exit "lab_kill_pid $LAB_LAST_PID"
  fi
  lab_wait_port "$host" "$port" udp 5 "$ns" || {
    lab_log "socat did not bind $host:$port/udp"
    cat "$dir/socat.log" >&2
    return 1
  }
}

# ---------------------------------------------------------------- namespaces

# lab_netns_make NS...: as root, create the namespaces (deleted on exit) and
# check nftables works in them; skip the test (77) where either is missing.
lab_netns_make() {
  local ns
  [[ $(id -u) -eq 0 ]] || lab_skip "needs root for network namespaces"
  for ns in "$@"; do
    ip netns add "$ns" 2>/dev/null || lab_skip "ip netns add does not work here"
    lab_on_exit "ip netns del $ns"
  done
  ip netns exec "$ns" nft list tables >/dev/null 2>&1 || lab_skip "nftables unusable in a namespace"
}

# ---------------------------------------------------------------- the probe

# lab_probe OUT ARGS...: run "$RTCPROBE --format json ARGS" with a hard outer
# limit, so no test can hang; the report goes to OUT, stderr to OUT.err (its
# first lines are shown). Sets RC (exit code) and MS (wall time in ms).
# Settings, as variables: LAB_PROBE_LIMIT (outer limit in s, default 40),
# LAB_PROBE_NETNS (run inside that namespace), LAB_PROBE_ENV (an array of
# env(1) arguments, e.g. (-u SSL_CERT_FILE SSL_CERT_DIR=/x)).
lab_probe() {
  local out=$1 t0 ns=${LAB_PROBE_NETNS:-}
  local pre=()
  shift
  [[ -n $ns ]] && pre=(ip netns exec "$ns")
  t0=$(date +%s%N)
  set +e
  ${pre[@]+"${pre[@]}"} env ${LAB_PROBE_ENV[@]+"${LAB_PROBE_ENV[@]}"} \
    timeout --kill-after=2 "${LAB_PROBE_LIMIT:-40}" "$RTCPROBE" --format json "$@" >"$out" 2>"$out.err"
  RC=$?
  set -e
  MS=$((($(date +%s%N) - t0) / 1000000))
  printf '# %srtcprobe --format json %s -> exit %d in %d ms\n' "${ns:+[$ns] }" "$*" "$RC" "$MS"
  if [[ -s $out.err ]]; then
    sed 's/^/#   stderr: /' "$out.err" | head -n 5
  fi
  return 0
}

# ---------------------------------------------------------------- assertions

LAB_FAILS=0
LAB_CHECKS=0

# lab_check "what" COMMAND...: run, print PASS/FAIL, count.
lab_check() {
  local what=$1
  shift
  LAB_CHECKS=$((LAB_CHECKS + 1))
  if "$@"; then
    printf 'ok   - %s\n' "$what"
  else
    printf 'FAIL - %s\n' "$what"
    LAB_FAILS=$((LAB_FAILS + 1))
  fi
}

# jq prelude for reports: chk("stun.udp") is the check with that id, or with
# id@address (the form used when several checks would share an id).
# shellcheck disable=SC2016,SC2034
LAB_JQ_DEFS='def chk($id): [.checks[] | select(.id == $id or (.id | startswith($id + "@")))] | first;'

# lab_jq_check "what" FILE JQ-EXPR [jq args]: the expression must give
# exactly one `true` (an empty or non-JSON file gives nothing: a failure).
# On the first failure for a FILE the report is shown (it is the evidence).
declare -A LAB_SHOWN=()
lab_jq_check() {
  local what=$1 file=$2 expr=$3 got
  shift 3
  LAB_CHECKS=$((LAB_CHECKS + 1))
  got=$(jq -c "$@" "$expr" "$file" 2>/dev/null) || got=error
  if [[ $got == true ]]; then
    printf 'ok   - %s\n' "$what"
    return 0
  fi
  printf 'FAIL - %s\n' "$what"
  LAB_FAILS=$((LAB_FAILS + 1))
  if [[ -n ${LAB_SHOWN[$file]:-} ]]; then
    printf '       (report %s shown above)\n' "$file"
    return 0
  fi
  LAB_SHOWN[$file]=1
  # head closes the pipe early on a long report: under pipefail and set -e
  # the SIGPIPE status must not end the calling test.
  if jq . "$file" >/dev/null 2>&1; then
    { jq . "$file" | head -n 120 | sed 's/^/       | /'; } || true
  else
    printf '       (not JSON:)\n'
    { head -c 2000 "$file" | sed 's/^/       | /'; } || true
  fi
}

# Print the closing line and exit 0 or 1.
lab_finish() {
  local passed=$((LAB_CHECKS - LAB_FAILS))
  printf '%d passed, %d failed\n' "$passed" "$LAB_FAILS"
  ((LAB_FAILS == 0))
}

# ================================================================ web lab
# (section owned by the web lab: Socket.IO app, LiveKit stand-in, nginx)
#
# tests/lab/web holds app.js (a real Socket.IO server from npm plus plain
# HTTP routes) and livekit-standin.js (LiveKit's signalling HTTP surface,
# tokens checked with livekit-server-sdk). lab_web_start puts Debian's nginx
# in front of both, in one of several configurations (VARIANTs), on loopback
# at free ports; everything lives in the caller's DIR.

LAB_WEB_SRC=${LAB_WEB_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/web}
LAB_WEB_VARIANTS="good noupgrade shorttimeout nohsts cleartext expiring shorthsts"

# Install the npm packages of tests/lab/web (package-lock.json, `npm ci`)
# when node_modules is missing. A lock keeps parallel tests from running two
# installs into the same tree.
lab_web_deps() {
  local src=$LAB_WEB_SRC lock=${TMPDIR:-/tmp}/rtcprobe-lab-npm.lock
  lab_web_deps_ok && return 0
  command -v npm >/dev/null || { lab_die "npm not installed"; return; }
  (
    exec 9>"$lock"
    flock -w 300 9 || exit 1
    lab_web_deps_ok && exit 0
    lab_log "npm ci --prefix $src"
    npm ci --prefix "$src" --no-audit --no-fund --loglevel=error >&2
  ) || { lab_die "npm ci in $src failed"; return; }
  lab_web_deps_ok || lab_die "node_modules in $src incomplete after npm ci"
}

lab_web_deps_ok() {
  local m
  for m in socket.io livekit-server-sdk ws socket.io-client; do
    [[ -f $LAB_WEB_SRC/node_modules/$m/package.json ]] || return 1
  done
}

# Certificates for the web lab in DIR, signed by a CA of its own:
#   ca.pem ca.key            the web lab CA (valid 10 years)
#   server.pem server.key    leaf valid ~13 months (a healthy deployment)
#   expiring.pem .key        leaf that expires in 5 days
#   expired.pem .key         leaf that expired yesterday
#   other-ca.pem             an unrelated CA
#   selfsigned.pem .key      self-signed leaf, same SAN
# SAN: localhost, app/api/cdn/livekit.lab.test, 127.0.0.1, ::1 (plus
# LAB_CERT_EXTRA_SAN). lab_make_ca's material is valid for 2 days only,
# which an expiry check would rightly flag, hence this separate PKI.
lab_web_make_certs() {
  local dir=$1 san
  mkdir -p "$dir"
  san="DNS:localhost,DNS:app.lab.test,DNS:api.lab.test,DNS:cdn.lab.test,DNS:livekit.lab.test,IP:127.0.0.1,IP:::1${LAB_CERT_EXTRA_SAN:+,$LAB_CERT_EXTRA_SAN}"
  cat >"$dir/server.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
EOF
  (
    set -e
    cd "$dir"
    ossl() { openssl "$@" 2>/dev/null; }
    newca() { # name, subject
      ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$1.key" -out "$1.pem" -days 3650 -subj "$2" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    }
    newleaf() { # name, days
      ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$1.key" -out "$1.csr" -subj "/CN=api.lab.test"
      ossl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
        -days "$2" -extfile server.ext -out "$1.pem"
      rm -f "$1.csr"
    }
    newca ca "/CN=rtcprobe web lab CA"
    newca other-ca "/CN=rtcprobe unrelated CA"
    newleaf server 397
    newleaf expiring 5
    newleaf expired -1
    ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout selfsigned.key -out selfsigned.pem -days 397 -subj "/CN=api.lab.test" \
      -addext "subjectAltName=$san"
    chmod 600 ./*.key
  ) || lab_die "making the web lab certificates in $dir failed"
}

# Write DIR/nginx/nginx.conf for VARIANT. Ports come from the caller's
# variables (app_port lk_port http_port https_port lkw_port).
lab_web_nginx_conf() {
  local dir=$1 variant=$2 ngx=$1/nginx cert key hsts="" upgrade="" timeout="" plain
  cert=$dir/ca/server.pem
  key=$dir/ca/server.key
  case $variant in
    good | noupgrade | shorttimeout | cleartext) hsts="max-age=31536000" ;;
    expiring) hsts="max-age=31536000"; cert=$dir/ca/expiring.pem; key=$dir/ca/expiring.key ;;
    shorthsts) hsts="max-age=86400" ;;
    nohsts) hsts="" ;;
  esac
  if [[ $variant != noupgrade ]]; then
    # shellcheck disable=SC2016 # nginx variables, not shell ones
    upgrade='proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;'
  fi
  [[ $variant == shorttimeout ]] && timeout='proxy_read_timeout 2s;'

  # Locations shared by the plain (cleartext variant) and TLS app servers.
  # With LAB_REFLECTOR_PORT set, /rtcprobe goes to an `rtcprobe serve`
  # listening there, as a deployment would put the reflector next to the API.
  local app_locations reflector_location=""
  if [[ -n ${LAB_REFLECTOR_PORT:-} ]]; then
    reflector_location="
    location /rtcprobe {
      proxy_pass http://127.0.0.1:$LAB_REFLECTOR_PORT;
      proxy_http_version 1.1;
      $upgrade
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_read_timeout 300s;
    }"
  fi
  app_locations="$reflector_location
    location /socket.io/ {
      proxy_pass http://lab_app;
      proxy_http_version 1.1;
      $upgrade
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      $timeout
    }
    location / {
      proxy_pass http://lab_app;
      proxy_http_version 1.1;
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      $timeout
    }"
  if [[ $variant == cleartext ]]; then
    plain=$app_locations
  else
    plain="
    location / {
      return 301 https://\$host:$https_port\$request_uri;
    }"
  fi

  mkdir -p "$ngx/logs" "$ngx/tmp"
  {
    echo "# rtcprobe web lab nginx, variant $variant: loopback only."
    # As root the workers would become www-data, which cannot enter DIR.
    if [[ $(id -u) == 0 ]]; then
      echo "user root root;"
    fi
    cat <<EOF
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log info;
events { worker_connections 256; }
http {
  access_log $ngx/logs/access.log;
  client_body_temp_path $ngx/tmp/client_body;
  proxy_temp_path $ngx/tmp/proxy;
  fastcgi_temp_path $ngx/tmp/fastcgi;
  uwsgi_temp_path $ngx/tmp/uwsgi;
  scgi_temp_path $ngx/tmp/scgi;
  default_type application/octet-stream;
  server_tokens on;

  map \$http_upgrade \$connection_upgrade {
    default upgrade;
    ''      close;
  }
  upstream lab_app { server 127.0.0.1:$app_port; }
  upstream lab_livekit { server 127.0.0.1:$lk_port; }

  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache off;

  # Plain HTTP: a redirect to HTTPS, or (cleartext) the app itself.
  server {
    listen 127.0.0.1:$http_port;
    server_name localhost;
    $plain
  }

  # The API + Socket.IO host over TLS.
  server {
    listen 127.0.0.1:$https_port ssl;
    server_name localhost;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    $( [[ -n $hsts ]] && printf 'add_header Strict-Transport-Security "%s" always;' "$hsts")
    $app_locations
  }

  # LiveKit signalling behind TLS, like wss://livekit.example:7880.
  server {
    listen 127.0.0.1:$lkw_port ssl;
    server_name localhost;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    location / {
      proxy_pass http://lab_livekit;
      proxy_http_version 1.1;
      $upgrade
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      $timeout
    }
  }
}
EOF
  } >"$ngx/nginx.conf"
}

# Start one node program in the background; its pid goes to PIDFILE.
# Usage: lab_web_node PIDFILE LOG SCRIPT ARGS... (environment inherited)
lab_web_node() {
  local pidfile=$1 log=$2
  shift 2
  node "$@" </dev/null >"$log" 2>&1 &
  echo $! >"$pidfile"
}

# Start the web lab in DIR (created) with nginx configured as VARIANT:
#   good          proxy_http_version 1.1 + Upgrade/Connection for websockets,
#                 plain port 301 -> https, HSTS max-age=31536000
#   noupgrade     good without the Upgrade/Connection headers (Engine.IO then
#                 answers the websocket transport with 400, polling works)
#   shorttimeout  good + proxy_read_timeout 2s (idle websockets cut after ~2 s)
#   nohsts        good without Strict-Transport-Security
#   cleartext     the plain port serves the app (no redirect)
#   expiring      good, but the certificate expires in 5 days
#   shorthsts     good with HSTS max-age=86400
# Environment read: LAB_SIO_PING_INTERVAL, LAB_SIO_PING_TIMEOUT (ms; Engine.IO
# defaults when unset), LAB_CORS_ORIGIN (default https://app.lab.test; set it
# empty for no CORS headers at all).
# Writes DIR/env (sourceable):
#   LAB_WEB_VARIANT LAB_WEB_HOST (127.0.0.1)
#   LAB_WEB_HTTP_PORT      nginx plain HTTP
#   LAB_WEB_HTTPS_PORT     nginx TLS, app + Socket.IO
#   LAB_WEB_LIVEKIT_PORT   nginx TLS in front of the LiveKit stand-in
#   LAB_APP_PORT           app.js directly (plain HTTP, no proxy)
#   LAB_LIVEKIT_STANDIN_PORT  the stand-in directly (plain HTTP, no proxy)
#   LAB_CA_FILE LAB_OTHER_CA_FILE LAB_WEB_CERT (the served leaf)
#   LAB_SELFSIGNED_CERT LAB_EXPIRED_CERT
#   LAB_LIVEKIT_KEY LAB_LIVEKIT_SECRET_FILE (0600)
#   LAB_CORS_ORIGIN LAB_SIO_PING_INTERVAL LAB_SIO_PING_TIMEOUT (effective)
#   LAB_WEB_NGINX_CONF LAB_WEB_NGINX_ERROR_LOG LAB_WEB_NGINX_ACCESS_LOG
#   LAB_APP_LOG LAB_LIVEKIT_LOG
# Stopped by lab_web_stop DIR, which lab_cleanup calls when lab_init ran.
lab_web_start() {
  local dir=$1 variant=${2:-good}
  local app_port lk_port http_port https_port lkw_port key secret_file
  local ping_interval=${LAB_SIO_PING_INTERVAL:-25000} ping_timeout=${LAB_SIO_PING_TIMEOUT:-20000}
  local cors=${LAB_CORS_ORIGIN-https://app.lab.test} p
  [[ -n $dir ]] || { lab_die "lab_web_start DIR VARIANT"; return; }
  case " $LAB_WEB_VARIANTS " in
    *" $variant "*) ;;
    *) lab_die "lab_web_start: variant one of: $LAB_WEB_VARIANTS; not '$variant'"; return ;;
  esac
  for p in node nginx openssl curl; do
    command -v "$p" >/dev/null || { lab_die "$p not installed"; return; }
  done
  lab_web_deps || return
  mkdir -p "$dir"
  chmod 700 "$dir"
  dir=$(cd "$dir" && pwd)
  [[ -f $dir/ca/server.pem ]] || lab_web_make_certs "$dir/ca" || return

  app_port=$(lab_free_port tcp) || return
  lk_port=$(lab_free_port tcp) || return
  http_port=$(lab_free_port tcp) || return
  https_port=$(lab_free_port tcp) || return
  lkw_port=$(lab_free_port tcp) || return

  key="APIlab$(openssl rand -hex 4)"
  secret_file=$dir/livekit-secret
  (umask 077 && openssl rand -hex 24 >"$secret_file")

  if [[ -n $LAB_WORKDIR && -f $LAB_WORKDIR/cleanup ]]; then
    lab_on_exit "lab_web_stop $(printf '%q' "$dir")"
  fi

  LAB_APP_HOST=127.0.0.1 LAB_SIO_PING_INTERVAL=$ping_interval \
    LAB_SIO_PING_TIMEOUT=$ping_timeout LAB_CORS_ORIGIN=$cors \
    lab_web_node "$dir/app.pid" "$dir/app.log" "$LAB_WEB_SRC/app.js" "$app_port"
  LAB_LIVEKIT_HOST=127.0.0.1 LAB_LIVEKIT_KEY=$key LAB_LIVEKIT_SECRET_FILE=$secret_file \
    lab_web_node "$dir/livekit.pid" "$dir/livekit.log" "$LAB_WEB_SRC/livekit-standin.js" "$lk_port"

  lab_web_nginx_conf "$dir" "$variant"
  if ! nginx -t -q -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/logs/error.log" \
    -g 'daemon off;' >"$dir/nginx/test.log" 2>&1; then
    lab_log "nginx rejects the $variant configuration:"
    cat "$dir/nginx/test.log" "$dir/nginx/logs/error.log" >&2 2>/dev/null
    lab_web_stop "$dir"
    return 1
  fi
  nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/logs/error.log" \
    -g 'daemon off;' </dev/null >"$dir/nginx/stdout.log" 2>&1 &
  echo $! >"$dir/nginx.lab.pid"

  {
    printf 'LAB_WEB_DIR=%q\n' "$dir"
    printf 'LAB_WEB_VARIANT=%q\n' "$variant"
    printf 'LAB_WEB_HOST=%q\n' 127.0.0.1
    printf 'LAB_WEB_HTTP_PORT=%q\n' "$http_port"
    printf 'LAB_WEB_HTTPS_PORT=%q\n' "$https_port"
    printf 'LAB_WEB_LIVEKIT_PORT=%q\n' "$lkw_port"
    printf 'LAB_APP_PORT=%q\n' "$app_port"
    printf 'LAB_LIVEKIT_STANDIN_PORT=%q\n' "$lk_port"
    printf 'LAB_CA_FILE=%q\n' "$dir/ca/ca.pem"
    printf 'LAB_OTHER_CA_FILE=%q\n' "$dir/ca/other-ca.pem"
    printf 'LAB_SELFSIGNED_CERT=%q\n' "$dir/ca/selfsigned.pem"
    printf 'LAB_EXPIRED_CERT=%q\n' "$dir/ca/expired.pem"
    if [[ $variant == expiring ]]; then
      printf 'LAB_WEB_CERT=%q\n' "$dir/ca/expiring.pem"
    else
      printf 'LAB_WEB_CERT=%q\n' "$dir/ca/server.pem"
    fi
    printf 'LAB_LIVEKIT_KEY=%q\n' "$key"
    printf 'LAB_LIVEKIT_SECRET_FILE=%q\n' "$secret_file"
    printf 'LAB_CORS_ORIGIN=%q\n' "$cors"
    printf 'LAB_SIO_PING_INTERVAL=%q\n' "$ping_interval"
    printf 'LAB_SIO_PING_TIMEOUT=%q\n' "$ping_timeout"
    printf 'LAB_WEB_NGINX_CONF=%q\n' "$dir/nginx/nginx.conf"
    printf 'LAB_WEB_NGINX_ERROR_LOG=%q\n' "$dir/nginx/logs/error.log"
    printf 'LAB_WEB_NGINX_ACCESS_LOG=%q\n' "$dir/nginx/logs/access.log"
    printf 'LAB_APP_LOG=%q\n' "$dir/app.log"
    printf 'LAB_LIVEKIT_LOG=%q\n' "$dir/livekit.log"
  } >"$dir/env"

  local what port
  for what in "app.js:$app_port" "livekit-standin.js:$lk_port" "nginx http:$http_port" \
    "nginx https:$https_port" "nginx livekit:$lkw_port"; do
    port=${what##*:}
    if ! lab_wait_port 127.0.0.1 "$port" tcp 15; then
      lab_log "${what%:*} did not listen on 127.0.0.1:$port; logs:"
      tail -n 20 "$dir/app.log" "$dir/livekit.log" "$dir/nginx/logs/error.log" \
        "$dir/nginx/stdout.log" >&2 2>/dev/null
      lab_web_stop "$dir"
      return 1
    fi
  done
  # The whole chain answers: TLS with the lab CA, nginx, app.js.
  if ! curl -sf --max-time 5 --cacert "$dir/ca/ca.pem" -o /dev/null \
    "https://127.0.0.1:$https_port/health"; then
    lab_log "https://127.0.0.1:$https_port/health does not answer 200; logs:"
    tail -n 20 "$dir/app.log" "$dir/nginx/logs/error.log" >&2 2>/dev/null
    lab_web_stop "$dir"
    return 1
  fi
}

lab_web_stop() {
  local dir=$1 f
  for f in nginx.lab.pid app.pid livekit.pid; do
    [[ -f $dir/$f ]] || continue
    lab_kill_pid "$(cat "$dir/$f")"
    rm -f "$dir/$f"
  done
}

# Print a LiveKit access token for the web lab in DIR (reads DIR/env), signed
# with livekit-server-sdk's AccessToken. KIND:
#   valid        roomJoin for ROOM, identity IDENTITY, 10 minutes (default)
#   expired      as valid, but expired a minute ago
#   wrongsecret  as valid, signed with another secret
#   wrongkey     as valid, for another API key (and secret)
#   nojoin       valid signature, but no roomJoin grant
# Usage: lab_livekit_token DIR [KIND] [ROOM] [IDENTITY]
lab_livekit_token() {
  local dir=$1 kind=${2:-valid} room=${3:-lab-room} identity=${4:-lab-probe}
  case $kind in valid | expired | wrongsecret | wrongkey | nojoin) ;; *)
    lab_die "lab_livekit_token: kind valid|expired|wrongsecret|wrongkey|nojoin, not '$kind'"; return ;;
  esac
  (
    # shellcheck source=/dev/null
    source "$dir/env" || exit 1
    cd "$LAB_WEB_SRC" || exit 1
    LAB_TOKEN_KIND=$kind LAB_TOKEN_ROOM=$room LAB_TOKEN_IDENTITY=$identity \
      LAB_LIVEKIT_KEY=$LAB_LIVEKIT_KEY LAB_LIVEKIT_SECRET_FILE=$LAB_LIVEKIT_SECRET_FILE \
      node -e '
const fs = require("node:fs");
const { AccessToken } = require("livekit-server-sdk");
const e = process.env;
let key = e.LAB_LIVEKIT_KEY;
let secret = fs.readFileSync(e.LAB_LIVEKIT_SECRET_FILE, "utf8").trim();
const kind = e.LAB_TOKEN_KIND;
if (kind === "wrongsecret" || kind === "wrongkey") secret = "not-the-lab-secret-" + secret.slice(0, 8);
if (kind === "wrongkey") key = "APIunknown";
const at = new AccessToken(key, secret, {
  identity: e.LAB_TOKEN_IDENTITY,
  ttl: kind === "expired" ? -60 : 600,
});
if (kind === "nojoin") at.addGrant({ roomList: true });
else at.addGrant({ roomJoin: true, room: e.LAB_TOKEN_ROOM });
at.toJwt().then((t) => console.log(t), (err) => { console.error(err.message); process.exit(1); });
'
  )
}

# ---------------------------------------------------------------- NAT topology (ICE)

# A client behind a masquerading router, and a server network, as three
# namespaces the test owns (removed by lab_cleanup):
#   <tag>-c  client   10.77.0.2/24, default route via the router
#   <tag>-r  router   10.77.0.1 (LAN) and 198.18.7.1 (WAN), forwarding, nft masquerade out of the WAN
#   <tag>-s  server   198.18.7.2/24 (RFC 2544 benchmarking range: exists only here),
#            default route via the router as on the Internet
# The router drops unsolicited packets from the server side to the client
# (a NAT's filtering: only answers to what the client sent get in), so the
# client's private address is as unreachable from the server as a real
# one; a server without a default route would instead get ENETUNREACH on
# its relay sockets, which no real server sees. Nothing leaves these
# namespaces: the router's only other link is the client. Sets LAB_NS_CLIENT,
# LAB_NS_ROUTER, LAB_NS_SERVER, LAB_CLIENT_IP, LAB_ROUTER_WAN_IP,
# LAB_SERVER_IP, LAB_ROUTER_LAN_IF. Needs root, ip and nft.
lab_nat_topology_start() {
  local tag=$1 lan_r lan_c wan_r wan_s
  LAB_NS_CLIENT=$tag-c
  LAB_NS_ROUTER=$tag-r
  LAB_NS_SERVER=$tag-s
  LAB_CLIENT_IP=10.77.0.2
  LAB_ROUTER_WAN_IP=198.18.7.1
  LAB_SERVER_IP=198.18.7.2
  # Interface names: at most 15 characters.
  lan_c=lc$$ lan_r=lr$$ wan_r=wr$$ wan_s=ws$$
  LAB_ROUTER_LAN_IF=$lan_r
  local ns
  for ns in "$LAB_NS_CLIENT" "$LAB_NS_ROUTER" "$LAB_NS_SERVER"; do
    ip netns add "$ns" || { lab_die "ip netns add $ns failed"; return; }
    lab_on_exit "ip netns del $ns"
    ip -n "$ns" link set lo up
  done
  ip link add "$lan_c" netns "$LAB_NS_CLIENT" type veth peer name "$lan_r" netns "$LAB_NS_ROUTER" &&
    ip link add "$wan_r" netns "$LAB_NS_ROUTER" type veth peer name "$wan_s" netns "$LAB_NS_SERVER" &&
    ip -n "$LAB_NS_CLIENT" addr add "$LAB_CLIENT_IP/24" dev "$lan_c" &&
    ip -n "$LAB_NS_ROUTER" addr add 10.77.0.1/24 dev "$lan_r" &&
    ip -n "$LAB_NS_ROUTER" addr add "$LAB_ROUTER_WAN_IP/24" dev "$wan_r" &&
    ip -n "$LAB_NS_SERVER" addr add "$LAB_SERVER_IP/24" dev "$wan_s" &&
    ip -n "$LAB_NS_CLIENT" link set "$lan_c" up &&
    ip -n "$LAB_NS_ROUTER" link set "$lan_r" up &&
    ip -n "$LAB_NS_ROUTER" link set "$wan_r" up &&
    ip -n "$LAB_NS_SERVER" link set "$wan_s" up &&
    ip -n "$LAB_NS_CLIENT" route add default via 10.77.0.1 &&
    ip -n "$LAB_NS_SERVER" route add default via "$LAB_ROUTER_WAN_IP" &&
    ip netns exec "$LAB_NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1 ||
    { lab_die "making the NAT topology failed"; return; }
  ip netns exec "$LAB_NS_ROUTER" nft -f - <<NFT || { lab_die "nft in $LAB_NS_ROUTER failed"; return; }
table ip rplabnat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "$wan_r" masquerade
  }
  chain inbound {
    type filter hook forward priority filter - 10; policy accept;
    iifname "$wan_r" oifname "$lan_r" ct state new counter drop
  }
}
table inet rplabfw {
  chain forward {
    type filter hook forward priority filter; policy accept;
  }
}
NFT
  lab_router_filter open
}

# The router's filter for what the client may send out (the forward chain,
# so the client's sendto() succeeds and the packet is lost, as behind a real
# firewall):
#   open         everything passes
#   no-udp       all UDP from the client is dropped
#   tcp443-only  only TCP to port 443 passes (a hotel or corporate network)
# Drops are counted (lab_router_dropped).
lab_router_filter() {
  local mode=$1 rules
  case $mode in
    open) rules="" ;;
    no-udp) rules="iifname \"$LAB_ROUTER_LAN_IF\" meta l4proto udp counter drop" ;;
    tcp443-only)
      rules="iifname \"$LAB_ROUTER_LAN_IF\" tcp dport 443 accept
    iifname \"$LAB_ROUTER_LAN_IF\" ct state established,related accept
    iifname \"$LAB_ROUTER_LAN_IF\" counter drop" ;;
    *) lab_die "lab_router_filter: open|no-udp|tcp443-only, not '$mode'"; return ;;
  esac
  ip netns exec "$LAB_NS_ROUTER" nft -f - <<NFT || { lab_die "nft filter $mode failed"; return; }
flush chain inet rplabfw forward
table inet rplabfw {
  chain forward {
    $rules
  }
}
NFT
}

# Packets the router's client filter has dropped so far (0 when open).
lab_router_dropped() {
  ip netns exec "$LAB_NS_ROUTER" nft list chain inet rplabfw forward |
    awk '/drop/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }'
}

# shellcheck source=tests/lab/reflector.sh
source "$(dirname "${BASH_SOURCE[0]}")/reflector.sh"
