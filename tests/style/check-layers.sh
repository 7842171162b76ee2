#!/usr/bin/env bash
# The layer rule of doc/internals/ARCHITECTURE.md, checked: a source file may
# include the project's headers of its own folder and of folders of a lower
# rank, never of a higher rank or of another folder of the same rank, never
# another folder's *-private.h, and always by the full path from the source
# root. tests/ and bench/ may include any public header.
#   check-layers.sh [SOURCE_ROOT]      exit 0 clean, 1 with one line per fault
#   check-layers.sh --self-test        proves that each rule catches its fault
set -euo pipefail

# folder rank, lowest first
RANKS='
common 0
stun 1
rtc/voice 1
reports 1
stun/client 2
rtc/ice 3
reflector/protocol 4
rtc/webrtc 4
probe/core 5
probe/net 6
probe/checks 7
reflector 8
exporter 8
probe/cli 9
'

rank_of() {
  awk -v d="$1" '$1 == d { print $2 }' <<<"$RANKS"
}

# check_file ROOT FILE: print one line per fault in FILE (path relative to ROOT)
check_file() {
  local root=$1 f=$2 dir inc idir mine theirs lineno
  dir=$(dirname "$f")
  mine=$(rank_of "$dir")
  while IFS=: read -r lineno inc; do
    inc=${inc#*\"}
    inc=${inc%\"*}
    [[ $inc == rp-config.h || $inc == rp-revision.h ]] && continue
    if [[ $inc != */* ]]; then
      if [[ -f $root/$dir/$inc ]]; then
        echo "$f:$lineno: includes \"$inc\" by a relative path (write $dir/$inc)"
      else
        echo "$f:$lineno: includes \"$inc\": no such file under the source root"
      fi
      continue
    fi
    [[ -f $root/$inc ]] || {
      echo "$f:$lineno: includes \"$inc\": no such file under the source root"
      continue
    }
    idir=$(dirname "$inc")
    if [[ $inc == *-private.h && $idir != "$dir" ]]; then
      echo "$f:$lineno: includes $inc, private to $idir/"
      continue
    fi
    [[ -n $mine ]] || continue     # tests/, bench/: any public header
    [[ $idir == "$dir" ]] && continue
    theirs=$(rank_of "$idir")
    if [[ -z $theirs ]]; then
      echo "$f:$lineno: includes $inc from $idir/, which is not a layer"
    elif ((theirs > mine)); then
      echo "$f:$lineno: includes $inc: $idir/ (rank $theirs) is above $dir/ (rank $mine)"
    elif ((theirs == mine)); then
      echo "$f:$lineno: includes $inc: $idir/ and $dir/ share rank $mine and may not use each other"
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$root/$f" || true)
}

check_tree() {
  local root=$1 f faults=0 out
  while IFS= read -r f; do
    out=$(check_file "$root" "$f")
    if [[ -n $out ]]; then
      printf '%s\n' "$out"
      faults=1
    fi
  done < <(cd "$root" && find common stun rtc reports reflector probe tests bench \
             -name '*.[ch]' -not -path '*/corpus/*' 2>/dev/null | sort)
  return $faults
}

self_test() {
  local t rc=0
  t=$(mktemp -d)
  trap 'rm -rf "$t"' RETURN
  mkdir -p "$t/common" "$t/stun" "$t/probe/core" "$t/probe/net" "$t/reports" "$t/rtc/voice"
  echo '' >"$t/common/base.h"
  echo '' >"$t/probe/core/engine.h"
  echo '' >"$t/probe/net/net-private.h"
  echo '' >"$t/rtc/voice/stamp.h"
  echo '#include "common/base.h"' >"$t/stun/ok.c"
  expect() {
    local want=$1 file=$2 text=$3 got
    printf '%s\n' "$text" >"$t/$file"
    got=$(check_file "$t" "$file")
    if [[ $want == clean && -n $got ]] || [[ $want != clean && $got != *"$want"* ]]; then
      echo "self-test: $file ($text): expected '$want', got '${got:-clean}'"
      rc=1
    fi
    rm -f "$t/$file"
  }
  expect clean stun/a.c '#include "common/base.h"'
  expect "is above" common/a.c '#include "probe/core/engine.h"'
  expect "share rank" reports/a.c '#include "rtc/voice/stamp.h"'
  expect "private to" probe/core/a.c '#include "probe/net/net-private.h"'
  expect "relative path" common/a.c '#include "base.h"'
  expect "no such file" stun/a.c '#include "stun/missing.h"'
  expect clean probe/net/a.c '#include "probe/net/net-private.h"'
  expect clean stun/ok.c '#include "common/base.h"'
  ((rc == 0)) && echo "self-test: every rule catches its fault"
  return $rc
}

case ${1:-} in
  --self-test) self_test ;;
  *) check_tree "${1:-$(cd "$(dirname "$0")/../.." && pwd)}" ;;
esac
