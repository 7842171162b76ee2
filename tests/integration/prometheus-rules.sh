#!/bin/bash
# doc/prometheus checked by Prometheus' promtool: the scrape configuration
# and the alerting rules load (`promtool check config`, `check rules`), and
# every alert fires on the series that should raise it, after its `for`,
# with its wording, and not on healthy ones (`promtool test rules`).
# Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"
lab_require promtool
DOC=$HERE/../../doc/prometheus

run() { # what, command...
  local what=$1 out rc
  shift
  set +e
  out=$("$@" 2>&1)
  rc=$?
  set -e
  sed 's/^/#   /' <<<"$out" | head -n 40
  lab_check "$what (exit $rc)" test "$rc" -eq 0
}

cd "$DOC"
run "promtool check config prometheus.yml" promtool check config prometheus.yml
run "promtool check rules rtcprobe-rules.yml" promtool check rules rtcprobe-rules.yml
run "promtool test rules rtcprobe-rules.test.yml" promtool test rules rtcprobe-rules.test.yml
lab_finish
