#!/bin/bash
# `./run build --portable`: one file, build-portable/rtcprobe-VERSION-linux-x86_64,
# that runs on a Linux machine without any of rtcprobe's libraries installed.
#  - Static where Debian ships a static library that no other library of ours
#    shares: OpenSSL, SQLite, usrsctp, nghttp2, zlib, libcap.
#  - Built static from Debian's source packages where Debian's build does not
#    fit: libwebsockets (its GLib loop is a plugin it dlopens from a fixed path),
#    libnice (without GUPnP and its XML and ICU stack; OpenSSL for crypto),
#    libcurl (HTTP and HTTPS only, no Kerberos, LDAP, SSH, RTMP).
#  - Bundled as shared objects: GLib and json-glib (Debian has json-glib
#    shared only, and json-glib must share its GLib with ours), their few
#    dependencies, and the C library with its loader, so that the host's C
#    library version does not matter.
# dist/portable/launcher.c unpacks the bundle once into a cache folder and runs
# it through the bundled loader (see there). Sources are fetched with apt-get
# source from the Debian mirror the system already uses.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$top/build-portable
src=$out/src
deps=$out/deps
arch=$(gcc -print-multiarch)
sys=/usr/lib/$arch
version=$(sed -n "s/^  version : '\(.*\)',$/\1/p" "$top/meson.build")
jobs=$(nproc)

say() { printf '==> portable: %s\n' "$*" >&2; }

# The Debian mirror of the system's own sources, as a deb-src entry of our own.
fetch_sources() {
  local uri apt=$out/apt
  [[ -f $src/.fetched ]] && return 0
  uri=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources \
    2>/dev/null | head -1)
  [[ -n $uri ]] || uri=$(sed -n 's/^deb \(http[^ ]*debian\)\/* .*/\1/p' /etc/apt/sources.list \
    2>/dev/null | head -1)
  [[ -n $uri ]] || { say "no Debian mirror found in /etc/apt/sources.list*"; exit 1; }
  mkdir -p "$apt/lists/partial" "$src"
  printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' "$uri" \
    "$(. /etc/os-release && echo "$VERSION_CODENAME")" \
    /usr/share/keyrings/debian-archive-keyring.gpg >"$apt/src.sources"
  local opts=(-o "Dir::Etc::sourcelist=$apt/src.sources" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$apt/lists" -o APT::Sandbox::User=root)
  say "fetching the source packages of libwebsockets, libnice and curl from $uri"
  apt-get "${opts[@]}" -qq update
  (cd "$src" && apt-get "${opts[@]}" -qq source --download-only libwebsockets libnice curl &&
    for d in *.dsc; do dpkg-source -q --no-check -x "$d"; done) >/dev/null
  touch "$src/.fetched"
}

srcdir() { find "$src" -maxdepth 1 -type d -name "$1-[0-9]*" | head -1; }

build_lws() {
  [[ -f $deps/lib/libwebsockets.a ]] && return 0
  say "building libwebsockets (static, GLib loop built in)"
  cmake -S "$(srcdir libwebsockets)" -B "$out/lws" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$deps" -DCMAKE_INSTALL_LIBDIR=lib -DLWS_WITH_GLIB=ON \
    -DLWS_WITH_EVLIB_PLUGINS=OFF -DLWS_WITH_SHARED=OFF -DLWS_WITH_STATIC=ON \
    -DLWS_WITHOUT_TESTAPPS=ON -DLWS_WITH_MINIMAL_EXAMPLES=OFF -DLWS_IPV6=ON -DLWS_UNIX_SOCK=ON \
    -DLWS_WITH_ZLIB=ON -DLWS_WITHOUT_EXTENSIONS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DCMAKE_C_FLAGS="-O2 -Wno-error=deprecated-declarations -fno-strict-aliasing" >/dev/null
  make -s -C "$out/lws" -j"$jobs" install >/dev/null
}

build_nice() {
  [[ -f $deps/lib/libnice.a ]] && return 0
  say "building libnice (static, OpenSSL, no UPnP)"
  meson setup "$out/nice" "$(srcdir libnice)" --prefix="$deps" --libdir=lib \
    --default-library=static --buildtype=release -Dcrypto-library=openssl -Dgupnp=disabled \
    -Dgstreamer=disabled -Dintrospection=disabled -Dtests=disabled -Dexamples=disabled >/dev/null
  ninja -C "$out/nice" install >/dev/null
}

build_curl() {
  [[ -f $deps/lib/libcurl.a ]] && return 0
  say "building libcurl (static, HTTP and HTTPS over OpenSSL, HTTP/2)"
  local d
  d=$(srcdir curl)
  (cd "$d" && ./configure -q --prefix="$deps" --libdir="$deps/lib" --disable-shared \
    --enable-static --with-pic --with-openssl --with-nghttp2 --without-libpsl \
    --without-librtmp --without-libssh2 --without-libidn2 --without-brotli --without-zstd \
    --without-gssapi --without-libgsasl --without-ca-bundle --without-ca-path --disable-ldap --disable-ldaps \
    --disable-dict --disable-file --disable-ftp --disable-gopher --disable-imap --disable-mqtt \
    --disable-pop3 --disable-rtsp --disable-smb --disable-smtp --disable-telnet --disable-tftp \
    --disable-manual >/dev/null &&
    make -s -C lib -j"$jobs" install >/dev/null && make -s -C include install >/dev/null)
}

# pkg-config files that name the static archives, ahead of the system's.
write_pc() {
  local pc=$deps/lib/pkgconfig ssl="$sys/libssl.a $sys/libcrypto.a -ldl -pthread"
  mkdir -p "$pc"
  pcfile() { # name version requires libs cflags
    printf 'Name: %s\nDescription: %s, static, for the portable build\nVersion: %s\n' \
      "$1" "$1" "$2" >"$pc/$1.pc"
    printf 'Requires: %s\nLibs: %s\nCflags: %s\n' "$3" "$4" "$5" >>"$pc/$1.pc"
  }
  pcfile openssl "$(pkg-config --modversion openssl)" "" "$ssl" ""
  pcfile sqlite3 "$(pkg-config --modversion sqlite3)" "" "$sys/libsqlite3.a -lm -ldl -pthread" ""
  pcfile usrsctp "$(pkg-config --modversion usrsctp)" "" "$sys/libusrsctp.a -pthread" ""
  pcfile libcurl "$(sed -n 's/^#define LIBCURL_VERSION "\(.*\)"$/\1/p' \
    "$deps/include/curl/curlver.h")" "" \
    "$deps/lib/libcurl.a $sys/libnghttp2.a $ssl $sys/libz.a" "-I$deps/include"
  pcfile libwebsockets "$(pkg-config --modversion libwebsockets)" "glib-2.0" \
    "$deps/lib/libwebsockets.a $ssl $sys/libz.a $sys/libcap.a" "-I$deps/include"
}

build_rtcprobe() {
  say "building rtcprobe against them"
  if [[ ! -f $out/meson/build.ninja ]]; then
    PKG_CONFIG_PATH=$deps/lib/pkgconfig meson setup "$out/meson" "$top" -Dtests=false \
      -Dportable=true --buildtype=release >/dev/null
  fi
  ninja -C "$out/meson" >/dev/null
}

main() {
  local key file
  mkdir -p "$out"
  fetch_sources
  build_lws
  build_nice
  build_curl
  write_pc
  build_rtcprobe
  key=$("$top/dist/portable/bundle.sh" "$out/meson/rtcprobe" "$out/stage")
  file=$out/rtcprobe-$version-linux-$(uname -m)
  "$out/meson/dist/portable/rtcprobe-pack" "$out/meson/dist/portable/rtcprobe-launcher" \
    "$out/stage" "$key" "$file"
  say "$file: $(($(stat -c %s "$file") / 1024)) KiB, bundle of $(du -sh "$out/stage" | cut -f1)"
  echo "$file"
}

main "$@"
