#!/usr/bin/env bash
# Runs every libFuzzer target of the instrumented build, one after the other,
# each for a time and/or execution budget, starting from the committed corpus
# tests/fuzz/corpus/NAME/. Inputs that add coverage are merged back into that
# corpus (libFuzzer -merge=1: only coverage-increasing files, so it stays
# small), crashes are kept under BUILDDIR/fuzz-run/NAME/artifacts/, and a
# table per target (executions, exec/s, cov, ft, corpus, crashes) is printed
# and written to BUILDDIR/fuzz-run/summary.md. Exit status 1 if any target
# crashed, 2 on a usage or build error.
#
# The targets are found by listing the fuzz-*-libfuzzer executables the build
# produced, so every target in tests/fuzz/meson.build is picked up.
#
# Usage: tests/fuzz/run-all.sh [-t SECONDS] [-n EXECUTIONS] [-B BUILDDIR] [NAME...]
#   -t SECONDS     time per target (default 60; 0 = no time limit, needs -n)
#   -n EXECUTIONS  stop a target after this many executions (default: none)
#   -B BUILDDIR    instrumented build directory (default: build-fuzz in the
#                  source root; configured with CC=clang -Dfuzzing=true when
#                  it does not exist yet)
#   NAME...        only these targets (e.g. stun http); default: all
set -euo pipefail

usage() {
  sed -n '/^# Usage:/,/^set /{/^set /d; s/^# \{0,1\}//p}' "$0" >&2
  exit 2
}

src=$(cd "$(dirname "$0")/../.." && pwd)
seconds=60
runs=0
build="$src/build-fuzz"
while getopts 't:n:B:h' opt; do
  case $opt in
    t) seconds=$OPTARG ;;
    n) runs=$OPTARG ;;
    B) build=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ $seconds =~ ^[0-9]+$ && $runs =~ ^[0-9]+$ ]] || usage
if (( seconds == 0 && runs == 0 )); then
  echo "run-all: -t 0 needs -n EXECUTIONS (a bound on every run)" >&2
  exit 2
fi

if [[ ! -d $build ]]; then
  CC=${CC:-clang} meson setup "$build" "$src" -Dfuzzing=true >/dev/null
elif ! meson configure "$build" | grep -Eq '^ *fuzzing +true'; then
  echo "run-all: $build is not configured with -Dfuzzing=true" >&2
  exit 2
fi
mapfile -t build_targets < <(ninja -C "$build" -t targets all |
  sed -n 's|^\(tests/fuzz/fuzz-[A-Za-z0-9_-]*-libfuzzer\): .*|\1|p' | sort -u)
if (( ${#build_targets[@]} == 0 )); then
  echo "run-all: the build has no fuzz-*-libfuzzer targets" >&2
  exit 2
fi
ninja -C "$build" "${build_targets[@]}" >/dev/null

names=()
if (( $# > 0 )); then
  names=("$@")
else
  for exe in "$build"/tests/fuzz/fuzz-*-libfuzzer; do
    n=${exe##*/fuzz-}
    names+=("${n%-libfuzzer}")
  done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/tests/data/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# A GLib critical or warning (such as an error set twice) is a defect too.
export G_DEBUG=fatal-warnings

out="$build/fuzz-run"
mkdir -p "$out"
summary="$out/summary.md"
{
  commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)
  echo "Fuzz run $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit," \
    "budget ${seconds} s / ${runs} executions per target (0: none)"
  echo
  echo "| target | executions | exec/s | cov | ft | corpus files | corpus KiB | crashes |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
} >"$summary"

# Field NAME of libFuzzer's final "stat::NAME: VALUE" lines, or 0.
final_stat() { sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$2" | tail -1 | grep . || echo 0; }
# The last "cov: N ft: M" of a log.
coverage() { grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$1" | tail -1 | awk '{print $2, $4}' | grep . ||
  echo "0 0"; }

crashed=0
for name in "${names[@]}"; do
  exe="$build/tests/fuzz/fuzz-$name-libfuzzer"
  corpus="$src/tests/fuzz/corpus/$name"
  work="$out/$name"
  if [[ ! -x $exe ]]; then
    echo "run-all: no target $exe" >&2
    exit 2
  fi
  mkdir -p "$corpus"
  rm -rf "$work"
  mkdir -p "$work/new" "$work/artifacts"
  before=$(find "$corpus" -type f | wc -l)
  args=(-artifact_prefix="$work/artifacts/" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048)
  (( seconds > 0 )) && args+=(-max_total_time="$seconds")
  (( runs > 0 )) && args+=(-runs="$runs")
  echo "run-all: $name (${seconds}s, ${runs} executions; corpus $before files)" >&2
  status=0
  # New inputs land in $work/new; the committed corpus is only read here.
  "$exe" "${args[@]}" "$work/new" "$corpus" >"$work/fuzz.log" 2>&1 || status=$?
  execs=$(final_stat number_of_executed_units "$work/fuzz.log")
  rate=$(final_stat average_exec_per_sec "$work/fuzz.log")
  read -r cov ft < <(coverage "$work/fuzz.log")
  crash="0"
  if (( status != 0 )); then
    crashed=1
    crash=$(find "$work/artifacts" -type f -printf '%f ' | sed 's/ $//')
    crash="exit $status: ${crash:-see $work/fuzz.log}"
    echo "run-all: $name failed, log $work/fuzz.log" >&2
  fi
  # Keep only the new inputs that add coverage to the committed corpus.
  if [[ -n $(ls -A "$work/new") ]]; then
    "$exe" -merge=1 -artifact_prefix="$work/artifacts/" "$corpus" "$work/new" \
      >"$work/merge.log" 2>&1 || echo "run-all: $name merge failed, $work/merge.log" >&2
  fi
  after=$(find "$corpus" -type f | wc -l)
  kib=$(du -sk --apparent-size "$corpus" | cut -f1)
  printf '| %s | %s | %s | %s | %s | %s (+%s) | %s | %s |\n' "$name" "$execs" "$rate" \
    "$cov" "$ft" "$after" $((after - before)) "$kib" "$crash" >>"$summary"
done
cat "$summary"
exit $crashed
