#!/usr/bin/env bash
# doc/internals/CODE_STYLE.md, the parts a machine can check, over every C
# file of the source tree (the fuzz corpora aside):
#   - at most 100 columns, no tab characters, no trailing blanks;
#   - every file opens with a comment that says what it is for;
#   - every header has #pragma once;
#   - non-static functions defined in a .c file start with rp_ (or are main or
#     LLVMFuzzerTestOneInput), so an exported name always says it is ours.
#   check-style.sh [SOURCE_ROOT]     exit 0 clean, 1 with one line per fault
#   check-style.sh --self-test       proves that each rule catches its fault
set -euo pipefail

check_file() {
  local root=$1 f=$2
  awk -v f="$f" '
    FNR == 1 && $0 !~ /^\/\*/ { print f ":1: does not open with a comment saying what it is for" }
    length($0) > 100 { print f ":" FNR ": " length($0) " columns (at most 100)" }
    /\t/ { print f ":" FNR ": a tab character" }
    /[ \t]+$/ { print f ":" FNR ": trailing blanks" }
    /^#pragma once/ { pragma = 1 }
    # A definition: the return type alone on a line, then "name (" at the
    # start of the next line.
    prev ~ /^[A-Za-z_][A-Za-z0-9_ \*]*$/ && prev !~ /^(static|typedef|return|else|struct|enum|union)( |$)/ \
      && prev !~ /(^| )static( |$)/ && $0 ~ /^[a-z_][A-Za-z0-9_]* \(/ {
      name = $0; sub(/ \(.*/, "", name)
      if (f ~ /\.c$/ && name !~ /^rp_/ && name != "main" && name != "LLVMFuzzerTestOneInput")
        print f ":" FNR ": " name " is exported (not static) without the rp_ prefix"
    }
    { prev = $0 }
    END { if (f ~ /\.h$/ && !pragma) print f ": a header without #pragma once" }
  ' "$root/$f"
}

check_tree() {
  local root=$1 f out faults=0
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
  expect() {
    local want=$1 file=$2 text=$3 got
    printf '%b\n' "$text" >"$t/$file"
    got=$(check_file "$t" "$file")
    if [[ $want == clean && -n $got ]] || [[ $want != clean && $got != *"$want"* ]]; then
      echo "self-test: $file: expected '$want', got '${got:-clean}'"
      rc=1
    fi
  }
  expect clean a.c '/* ok */\nstatic int\nf (void)\n{\n  return 0;\n}\nint\nrp_g (void)\n{\n  return 1;\n}'
  expect "columns" a.c "/* x */\nint x = $(printf '%0100d' 0);"
  expect "tab character" a.c '/* x */\n\tint x;'
  expect "trailing blanks" a.c '/* x */\nint x; '
  expect "does not open" a.c 'int x;'
  expect "pragma once" a.h '/* x */\nint rp_x (void);'
  expect "without the rp_ prefix" a.c '/* x */\nint\nhelper (void)\n{\n  return 0;\n}'
  expect clean a.h '/* x */\n#pragma once\nint rp_x (void);'
  ((rc == 0)) && echo "self-test: every rule catches its fault"
  return $rc
}

case ${1:-} in
  --self-test) self_test ;;
  *) check_tree "${1:-$(cd "$(dirname "$0")/../.." && pwd)}" ;;
esac
