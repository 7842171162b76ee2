#!/bin/bash
# Gathers the portable bundle: the rtcprobe binary and every library the
# loader resolves for it, the C library and the loader itself included, into
# STAGE/bin and STAGE/lib, plus an empty OpenSSL configuration (the launcher
# points OPENSSL_CONF at it). Prints the bundle's key: the first 24 hex digits
# of the SHA-256 over every file's name and contents.
#   dist/portable/bundle.sh BINARY STAGE
set -euo pipefail

bin=$1 stage=$2
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/lib"
install -m 0755 "$bin" "$stage/bin/rtcprobe"
# "libfoo.so.1 => /path (0x...)" and the loader's own line "/lib64/ld-linux... (0x...)"
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
  while read -r lib; do
    install -m 0644 "$(readlink -f "$lib")" "$stage/lib/$(basename "$lib")"
  done
if [[ ! -f $stage/lib/ld-linux-x86-64.so.2 ]]; then
  echo "bundle: no loader in ldd's answer" >&2
  exit 1
fi
chmod 0755 "$stage/lib/ld-linux-x86-64.so.2"
printf '# rtcprobe portable: no OpenSSL configuration of the host applies\n' >"$stage/openssl.cnf"
(cd "$stage" && find . -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-24
