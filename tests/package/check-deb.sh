#!/bin/bash
# The Debian package as an operator meets it. Given build-deb/ from `./run package`:
#   - lintian found no error (its findings are in build-deb/lintian.txt);
#   - the package holds the binary, the man page, bash completion, the example configurations
#     and the two systemd units; each unit passes `systemd-analyze verify` once installed and
#     `systemd-analyze security --offline=true` rates it at or under 2.0 ("OK");
#   - `dpkg -i` creates the system user rtcprobe and /etc/rtcprobe (root:rtcprobe, 0750);
#   - the installed binary says its version and git revision, and `rtcprobe check` with it
#     passes against the lab deployment on loopback;
#   - the reflector runs as the service would (user rtcprobe, configuration and secret in
#     /etc/rtcprobe readable by its group only, the results database in /var/lib/rtcprobe);
#   - bash completion offers commands, a command's options and file names for FILE options;
#   - `dpkg --purge` leaves no file behind (the system user stays, as Debian does).
# This installs into the machine it runs on (CI's throwaway machine); it refuses to run when
# a package named rtcprobe is already installed. Root is needed. Traffic: loopback only.
# Usage: tests/package/check-deb.sh BUILD_DEB_DIR. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

DEBDIR=$(cd "${1:?usage: check-deb.sh BUILD_DEB_DIR}" && pwd)
DEB=$(ls "$DEBDIR"/rtcprobe_*_*.deb 2>/dev/null | head -n 1)
UNITDIR=/lib/systemd/system
WATCHED=(/etc /lib/systemd /usr/bin /usr/share/doc /usr/share/man /usr/share/bash-completion
  /var/lib)

preflight() {
  ((EUID == 0)) || lab_skip "installing a package needs root"
  lab_require dpkg dpkg-deb systemd-analyze jq runuser
  [[ -f $DEB ]] || { echo "no rtcprobe_*.deb in $DEBDIR: run ./run package" >&2; exit 1; }
  if dpkg-query -W -f='${Status}' rtcprobe 2>/dev/null | grep -q installed; then
    echo "a package rtcprobe is already installed here: not touching it" >&2
    exit 1
  fi
}

# dpkg's own database changes with every install: not watched.
snapshot() { find "${WATCHED[@]}" -xdev 2>/dev/null | grep -v '^/var/lib/dpkg/' | sort; }

# The exposure systemd-analyze gives a unit file, e.g. 1.1.
exposure() {
  systemd-analyze security --offline=true "$1" 2>/dev/null |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p'
}

check_contents() {
  local list
  list=$(dpkg-deb -c "$DEB" | awk '{print $6}')
  lab_check "lintian: no error" bash -c "! grep -q '^E:' '$DEBDIR/lintian.txt'"
  for f in ./usr/bin/rtcprobe ./usr/share/man/man1/rtcprobe.1.gz \
    ./usr/share/bash-completion/completions/rtcprobe \
    ./usr/share/doc/rtcprobe/examples/serve.ini ./usr/share/doc/rtcprobe/examples/exporter.ini \
    ./usr/share/doc/rtcprobe/examples/profile.ini ./usr/share/doc/rtcprobe/changelog.gz \
    ./usr/share/doc/rtcprobe/copyright \
    .$UNITDIR/rtcprobe-serve.service .$UNITDIR/rtcprobe-exporter.service; do
    lab_check "the package holds $f" grep -qxF -- "$f" <<<"$list"
  done
}

check_units() {
  local u e
  for u in rtcprobe-serve rtcprobe-exporter; do
    lab_check "$u.service: systemd-analyze verify" \
      systemd-analyze verify --man=no "$UNITDIR/$u.service"
    e=$(exposure "$UNITDIR/$u.service")
    echo "#   $u.service: exposure $e"
    lab_check "$u.service: exposure ${e:-?} at or under 2.0" \
      awk -v e="${e:-99}" 'BEGIN { exit !(e <= 2.0) }'
    lab_check "$u.service: installed, not enabled" \
      bash -c "[[ ! -e /etc/systemd/system/multi-user.target.wants/$u.service ]]"
  done
}

check_install() {
  local v
  lab_check "dpkg -i succeeds" dpkg -i "$DEB"
  lab_check "the system user rtcprobe exists" getent passwd rtcprobe
  lab_check "/etc/rtcprobe is root:rtcprobe 0750" \
    test "$(stat -c '%U:%G %a' /etc/rtcprobe 2>/dev/null)" = "root:rtcprobe 750"
  v=$(/usr/bin/rtcprobe --version)
  echo "$v" | sed 's/^/#   /'
  lab_check "--version names the version and a git revision" \
    grep -qE '^rtcprobe [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-f]{7,}' <<<"$v"
  lab_check "--version names the libraries" grep -q 'libnice .*OpenSSL\|OpenSSL .*libnice' <<<"$v"
}

check_lab() {
  local lab rc=0
  lab=$(lab_tmpdir)
  "$HERE/../lab/deployment.sh" start "$lab/d" >"$lab/start.log" 2>&1 ||
    { cat "$lab/start.log" >&2; lab_check "the lab deployment starts" false; return; }
  lab_on_exit "'$HERE/../lab/deployment.sh' stop '$lab/d'"
  # shellcheck source=/dev/null
  source "$lab/d/env"
  /usr/bin/rtcprobe --quiet check --profile "$LAB_DEPLOY_PROFILE" --output "$lab/check.json" ||
    rc=$?
  lab_check "the installed rtcprobe check passes against the lab (exit $rc)" test "$rc" -eq 0
  lab_jq_check "its report has checks and no failure" "$lab/check.json" \
    '(.checks | length) > 10 and .summary.fail == 0'
  "$HERE/../lab/deployment.sh" stop "$lab/d" >/dev/null 2>&1 || true
}

# The reflector as its unit runs it: user rtcprobe, files in /etc/rtcprobe readable only by
# root and that group, the database in the state directory.
check_service_layout() {
  local port pid ok=0 i
  port=$(lab_free_port tcp)
  install -d -o rtcprobe -g rtcprobe -m 0750 /var/lib/rtcprobe
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >/etc/rtcprobe/reflector-secret
  cat >/etc/rtcprobe/serve.ini <<INI
[listen]
websocket = 127.0.0.1:$port
udp = off
tcp = off
[auth]
secret_file = /etc/rtcprobe/reflector-secret
[results]
database = /var/lib/rtcprobe/results.db
INI
  chown root:rtcprobe /etc/rtcprobe/serve.ini /etc/rtcprobe/reflector-secret
  chmod 0640 /etc/rtcprobe/serve.ini /etc/rtcprobe/reflector-secret
  lab_check "the secret is not readable by other users" \
    test "$(stat -c '%a' /etc/rtcprobe/reflector-secret)" = 640
  (cd /var/lib/rtcprobe &&
    exec runuser -u rtcprobe -- /usr/bin/rtcprobe serve --config /etc/rtcprobe/serve.ini) \
    >"$LAB_WORKDIR/serve.log" 2>&1 &
  pid=$!
  lab_on_exit "lab_kill_pid $pid"
  lab_wait_port 127.0.0.1 "$port" tcp 10 && ok=1
  lab_check "serve runs as rtcprobe from /etc/rtcprobe and listens" test "$ok" -eq 1
  for ((i = 0; i < 50; i++)); do
    [[ -s /var/lib/rtcprobe/results.db ]] && break
    sleep 0.1
  done
  lab_check "its results database is in /var/lib/rtcprobe, owned by rtcprobe" \
    test "$(stat -c '%U' /var/lib/rtcprobe/results.db 2>/dev/null)" = rtcprobe
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  lab_check "no secret in its log" bash -c "! grep -qF -- \"\$(cat /etc/rtcprobe/reflector-secret)\" '$LAB_WORKDIR/serve.log'"
}

# COMPREPLY for a command line typed so far (the last word is being completed).
complete_line() {
  bash -c '
    source /usr/share/bash-completion/bash_completion
    source /usr/share/bash-completion/completions/rtcprobe
    COMP_WORDS=($1); COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}
    [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _rtcprobe rtcprobe "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$1"
}

check_completion() {
  local d
  d=$(lab_tmpdir)
  : >"$d/peer-secret.txt"
  lab_check "completion: 'rtcprobe tu' gives turn" grep -qx turn <<<"$(complete_line 'rtcprobe tu')"
  lab_check "completion: every command at the top level" \
    test "$(complete_line 'rtcprobe ' | wc -l)" -ge 10
  lab_check "completion: 'rtcprobe turn --pass' gives --password-file=" \
    grep -qx -- '--password-file=' <<<"$(complete_line 'rtcprobe turn --pass')"
  lab_check "completion: --audit is a turn option, not a voice one" \
    bash -c "grep -qx -- --audit <<<\"\$1\" && ! grep -qx -- --audit <<<\"\$2\"" _ \
    "$(complete_line 'rtcprobe turn --au')" "$(complete_line 'rtcprobe voice --au')"
  lab_check "completion: a FILE option completes file names" \
    grep -qx -- "$d/peer-secret.txt" <<<"$(complete_line "rtcprobe turn --password-file $d/peer")"
}

check_purge() {
  lab_check "dpkg --purge succeeds" dpkg --purge rtcprobe
  snapshot >"$LAB_WORKDIR/after"
  lab_check "nothing stays behind after purge" diff -u "$LAB_WORKDIR/before" "$LAB_WORKDIR/after"
}

main() {
  preflight
  snapshot >"$LAB_WORKDIR/before"
  lab_on_exit "dpkg --purge rtcprobe"
  check_contents
  check_install
  check_units
  check_completion
  check_service_layout
  check_lab
  check_purge
  lab_finish
}

lab_init
main "$@"
