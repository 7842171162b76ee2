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
#   --netns NS       run inside that namespace
#   --port P         STUN/TURN port, UDP and TCP (default: a free one)
#   --tls-port T     TLS port, also DTLS on UDP (default: a free one)
# then "--" and/or extra turnserver arguments (e.g. --listening-ip=::1).
# Credentials live in DIR/turnserver.conf (mode 0600), not on the command line,
# so they never show in ps. Writes DIR/env (sourceable) and DIR/turn-password.
lab_coturn_start() {
  local dir=$1
  shift
  local ip=127.0.0.1 ns="" port="" tls_port="" relay_min user pw realm=turn.lab.test pid
  while (($#)); do
    case $1 in
      --ip) ip=$2; shift 2 ;;
      --netns) ns=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      --tls-port) tls_port=$2; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  command -v turnserver >/dev/null || { lab_die "turnserver not installed"; return; }
  mkdir -p "$dir"
  chmod 700 "$dir"
  [[ -f $dir/ca/server.pem ]] || lab_make_ca "$dir/ca" || return
  [[ -n $port ]] || port=$(lab_free_port both "$ns") || return
  # The TLS port carries DTLS on UDP too.
  [[ -n $tls_port ]] || tls_port=$(lab_free_port both "$ns") || return
  relay_min=$(lab_free_port_range 64 udp "$ns") || return
  user="lab$RANDOM"
  pw=$(openssl rand -hex 16)
  (umask 077 && printf '%s\n' "$pw" >"$dir/turn-password")
  (
    umask 077
    cat >"$dir/turnserver.conf" <<EOF
# rtcprobe lab coturn: loopback or test namespace only.
listening-ip=$ip
relay-ip=$ip
listening-port=$port
tls-listening-port=$tls_port
alt-listening-port=0
alt-tls-listening-port=0
min-port=$relay_min
max-port=$((relay_min + 63))
lt-cred-mech
user=$user:$pw
realm=$realm
cert=$dir/ca/server.pem
pkey=$dir/ca/server.key
allow-loopback-peers
no-cli
no-multicast-peers
log-file=stdout
pidfile=$dir/turnserver.pid
userdb=$dir/turndb
EOF
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
    printf 'LAB_TURN_PORT=%q\n' "$port"
    printf 'LAB_TURN_TLS_PORT=%q\n' "$tls_port"
    printf 'LAB_TURN_USER=%q\n' "$user"
    printf 'LAB_TURN_PASSWORD_FILE=%q\n' "$dir/turn-password"
    printf 'LAB_TURN_REALM=%q\n' "$realm"
    printf 'LAB_TURN_RELAY_MIN=%q\n' "$relay_min"
    printf 'LAB_TURN_RELAY_MAX=%q\n' "$((relay_min + 63))"
    printf 'LAB_TURN_NETNS=%q\n' "$ns"
    printf 'LAB_TURN_PID=%q\n' "$pid"
    printf 'LAB_TURN_LOG=%q\n' "$dir/turn.log"
    printf 'LAB_CA_FILE=%q\n' "$dir/ca/ca.pem"
    printf 'LAB_OTHER_CA_FILE=%q\n' "$dir/ca/other-ca.pem"
    printf 'LAB_SELFSIGNED_CERT=%q\n' "$dir/ca/selfsigned.pem"
    printf 'LAB_EXPIRED_CERT=%q\n' "$dir/ca/expired.pem"
  } >"$dir/env"
  if ! lab_wait_port "$ip" "$port" tcp 10 "$ns" ||
    ! lab_wait_port "$ip" "$tls_port" tcp 5 "$ns" ||
    ! lab_wait_port "$ip" "$port" udp 5 "$ns"; then
    lab_log "turnserver did not come up; last log lines:"
    tail -n 20 "$dir/turn.log" >&2
    lab_coturn_stop "$dir"
    return 1
  fi
  if ! lab_stun_ping "$ip" "$port" "$ns"; then
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
  if jq . "$file" >/dev/null 2>&1; then
    jq . "$file" | head -n 120 | sed 's/^/       | /'
  else
    printf '       (not JSON:)\n'
    head -c 2000 "$file" | sed 's/^/       | /'
  fi
}

# Print the closing line and exit 0 or 1.
lab_finish() {
  local passed=$((LAB_CHECKS - LAB_FAILS))
  printf '%d passed, %d failed\n' "$passed" "$LAB_FAILS"
  ((LAB_FAILS == 0))
}
