#!/bin/bash
# The portable rtcprobe as a remote tester meets it. Given the file `./run build --portable`
# made (build-portable/rtcprobe-VERSION-linux-x86_64):
#   - it is one file; `ldd` finds no library in it but the C library family (its launcher is
#     static: "not a dynamic executable");
#   - in an empty root (a mount namespace whose root holds only the file, /etc/ssl/certs,
#     /etc/resolv.conf, and what every Linux has: /proc, /dev/null, /dev/urandom and a /tmp)
#     it says its version, that it is the portable build, and which trust store it found;
#     with the lab's CA at Debian's bundle path and then at Fedora's, so the search across
#     distributions is used, not a compiled-in path;
#   - there, `rtcprobe check` passes against the lab deployment on loopback (coturn, nginx,
#     the Socket.IO app, the LiveKit stand-in) with no --ca-file: TURN over UDP, TCP and
#     TLS, HTTPS and websockets through the bundled libraries;
#   - a second run reuses the unpacked bundle; a truncated file and a cache folder it cannot
#     use each give one line on stderr and a non-zero exit.
# Root is needed (chroot, mount namespace). Traffic: loopback only.
# Usage: tests/package/check-portable.sh FILE. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

FILE=$(readlink -f "${1:?usage: check-portable.sh FILE}")
NAME=$(basename "$FILE")

# An empty root: the file, a resolver configuration, the CA at $1 (a path inside the root).
make_root() {
  local root=$1 ca_path=$2
  mkdir -p "$root/etc" "$root/proc" "$root/tmp" "$root/out" "$root/lab" "$root/dev" \
    "$root$(dirname "$ca_path")"
  chmod 1777 "$root/tmp"
  touch "$root/dev/null" "$root/dev/urandom"
  install -m 0755 "$FILE" "$root/$NAME"
  printf 'nameserver 127.0.0.1\n' >"$root/etc/resolv.conf"
  cp "$LAB_CA_FILE" "$root$ca_path"
}

# run_in ROOT ARGS...: the portable rtcprobe in a fresh mount namespace chrooted into ROOT,
# with an empty environment but PATH and the variables in RUN_ENV; stdout and stderr
# to ROOT/out/.
RUN_ENV=()
run_in() {
  local root=$1 chroot
  shift
  chroot=$(command -v chroot)
  unshare --mount --propagation private -- bash -c '
    root=$1; shift
    mount -t proc proc "$root/proc" && mount -t tmpfs -o mode=1777 tmpfs "$root/tmp" &&
      mount --bind /dev/null "$root/dev/null" && mount --bind /dev/urandom "$root/dev/urandom" &&
      exec "$@"' _ "$root" env -i PATH=/ "${RUN_ENV[@]}" "$chroot" "$root" "/$NAME" "$@" \
    >"$root/out/stdout" 2>"$root/out/stderr"
}

check_file() {
  local ldd_out size
  ldd_out=$(ldd "$FILE" 2>&1 || true)
  size=$(($(stat -c %s "$FILE") / 1024))
  echo "# $NAME: $size KiB"
  lab_check "ldd finds no library but the C library family ($(head -c 60 <<<"$ldd_out"))" \
    bash -c "grep -q 'not a dynamic executable' <<<'$ldd_out' ||
      ! grep -v -E '^\s*(linux-vdso|libc\.so|libm\.so|libpthread|libdl|librt|ld-linux)' <<<'$ldd_out' |
        grep -q ."
}

# The lab's profile, with its secret files copied into the root and no ca_file: the
# system store found in the root must be what trusts the lab's CA.
root_profile() {
  local root=$1
  cp "$(sed -n 's/^password_file = //p' "$LAB_DEPLOY_PROFILE")" "$root/lab/turn-password"
  cp "$(sed -n 's/^secret_file = //p' "$LAB_DEPLOY_PROFILE")" "$root/lab/livekit-secret"
  sed -e '/^ca_file/d' -e "s|^password_file = .*|password_file = /lab/turn-password|" \
    -e "s|^secret_file = .*|secret_file = /lab/livekit-secret|" \
    "$LAB_DEPLOY_PROFILE" >"$root/lab/profile.ini"
}

check_in_root() {
  local root=$1 ca_path=$2 distro=$3 rc=0
  make_root "$root" "$ca_path"
  root_profile "$root"
  run_in "$root" --version || rc=$?
  lab_check "$distro root: --version exits 0 ($rc: $(head -c 200 "$root/out/stderr"))" \
    test "$rc" -eq 0
  lab_check "$distro root: it says it is the portable build" \
    grep -q '^portable: ' "$root/out/stdout"
  lab_check "$distro root: it found the trust store at $ca_path" \
    grep -q "^trust store: $ca_path (bundle, a common path)" "$root/out/stdout"
  rc=0
  run_in "$root" --quiet check --profile /lab/profile.ini --output /out/check.json || rc=$?
  lab_check "$distro root: rtcprobe check passes against the lab (exit $rc)" test "$rc" -eq 0
  lab_jq_check "$distro root: TURN over TLS, HTTPS and websockets pass with the found store" \
    "$root/out/check.json" '[.checks[] | select(.kind == "turn" or .kind == "http"
      or .kind == "websocket") | .status] as $s | ($s | length) >= 3
      and ($s | all(. == "pass" or . == "skip"))'
}

# The bundle is unpacked once per cache folder: a second run finds it and leaves it alone.
check_cache() {
  local root=$1 first second
  make_root "$root" /etc/ssl/certs/ca-certificates.crt
  install -d -m 0700 "$root/out/cache"
  RUN_ENV=(RTCPROBE_PORTABLE_CACHE=/out/cache)
  run_in "$root" --version || true
  first=$(stat -c '%i %Y' "$root"/out/cache/bundle-* 2>/dev/null || echo none)
  sleep 1.1
  run_in "$root" --version || true
  second=$(stat -c '%i %Y' "$root"/out/cache/bundle-* 2>/dev/null || echo none)
  RUN_ENV=()
  lab_check "a second run reuses the unpacked bundle ($first, then $second)" \
    bash -c "[[ '$first' != none && '$first' == '$second' ]] &&
      grep -q '^portable: .*/out/cache/bundle-' '$root/out/stdout'"
}

check_errors() {
  local root=$1 rc=0
  make_root "$root" /etc/ssl/certs/ca-certificates.crt
  head -c $(($(stat -c %s "$FILE") - 100)) "$FILE" >"$root/$NAME"
  run_in "$root" --version || rc=$?
  lab_check "a truncated file: exit 3 and one line ($(head -c 160 "$root/out/stderr"))" \
    bash -c "test $rc -eq 3 && test \$(wc -l <'$root/out/stderr') -eq 1 &&
      grep -q 'truncated' '$root/out/stderr'"
  install -m 0755 "$FILE" "$root/$NAME"
  rc=0
  RUN_ENV=(RTCPROBE_PORTABLE_CACHE=/etc/resolv.conf)
  run_in "$root" --version || rc=$?
  RUN_ENV=()
  lab_check "a cache folder it cannot use: exit 3 and one line naming it" \
    bash -c "test $rc -eq 3 && test \$(wc -l <'$root/out/stderr') -eq 1 &&
      grep -q 'RTCPROBE_PORTABLE_CACHE' '$root/out/stderr'"
}

main() {
  local lab
  ((EUID == 0)) || lab_skip "a chroot in a mount namespace needs root"
  lab_require unshare chroot ldd jq
  [[ -x $FILE ]] || { echo "$FILE: no such executable: run ./run build --portable" >&2; exit 1; }
  check_file
  lab=$(lab_tmpdir)
  "$HERE/../lab/deployment.sh" start "$lab/d" >"$lab/start.log" 2>&1 ||
    { cat "$lab/start.log" >&2; lab_check "the lab deployment starts" false; lab_finish; }
  lab_on_exit "'$HERE/../lab/deployment.sh' stop '$lab/d'"
  # shellcheck source=/dev/null
  source "$lab/d/env"
  LAB_CA_FILE=$(sed -n 's/^ca_file = //p' "$LAB_DEPLOY_PROFILE")
  check_in_root "$lab/debian" /etc/ssl/certs/ca-certificates.crt Debian-like
  check_in_root "$lab/fedora" /etc/pki/tls/certs/ca-bundle.crt Fedora-like
  check_cache "$lab/cache"
  check_errors "$lab/errors"
  lab_finish
}

lab_init
main "$@"
