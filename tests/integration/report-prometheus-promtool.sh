#!/bin/bash
# The Prometheus report checked by Prometheus' own promtool: the golden
# output of the fixed report and a real `rtcprobe --format prometheus` run
# against loopback must parse and pass promtool's lint (metric naming, base
# units, HELP text); the golden output of hostile input (odd names, escaped
# label values, NaN and Inf) must parse, lint findings on those odd names
# being allowed. promtool exits 1 on a parse error and 3 on lint problems.
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
GOLDEN=$HERE/../data/golden

# promtool on file $2; sets RC, prints its findings as comments.
promcheck() {
  local what=$1 file=$2
  FINDINGS=$W/$(basename "$file").promtool
  set +e
  promtool check metrics <"$file" >"$FINDINGS" 2>&1
  RC=$?
  set -e
  printf '# promtool check metrics < %s (%s) -> exit %d\n' "$(basename "$file")" "$what" "$RC"
  sed 's/^/#   /' "$FINDINGS" | head -n 20
}

check_golden() {
  echo "== the fixed report's golden output"
  promcheck "golden" "$GOLDEN/report.prom"
  lab_check "golden: promtool finds nothing (exit 0)" test "$RC" -eq 0
}

check_hostile() {
  echo "== the hostile report's golden output"
  promcheck "hostile" "$GOLDEN/report-hostile.prom"
  lab_check "hostile: parses (exit 0, or 3 for lint only)" test "$RC" -eq 0 -o "$RC" -eq 3
  lab_check "hostile: no parsing error" bash -c "! grep -qi 'error' '$FINDINGS'"
}

check_real_run() {
  local out=$W/run.prom port rc
  echo "== a real run: ports on loopback, one open and one closed"
  port=$(lab_free_port tcp)
  # An open port: a listener that accepts and closes.
  socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" SYSTEM:true >/dev/null 2>&1 &
  lab_on_exit "kill $! 2>/dev/null"
  lab_wait_port 127.0.0.1 "$port" tcp 5 || { echo "socat did not listen on $port" >&2; exit 1; }
  set +e
  timeout --kill-after=2 30 "$RTCPROBE" --format prometheus --timeout 5 \
    ports 127.0.0.1 --ports "$port/tcp,1/tcp" >"$out" 2>"$out.err"
  rc=$?
  set -e
  printf '# rtcprobe --format prometheus ports 127.0.0.1 --ports %s/tcp,1/tcp -> exit %d\n' "$port" "$rc"
  sed 's/^/#   stderr: /' "$out.err" | head -n 5
  lab_check "real run: exit 1 (port 1 is closed)" test "$rc" -eq 1
  promcheck "real run" "$out"
  lab_check "real run: promtool finds nothing (exit 0)" test "$RC" -eq 0
  lab_check "real run: probe_success 0" grep -qx 'probe_success 0' "$out"
  lab_check "real run: port $port/tcp passed (status 0)" \
    grep -qE "^rtcprobe_check_status\\{id=\"port\\.$port/tcp(@[^\"]*)?\",.*transport=\"tcp\"\\} 0\$" "$out"
  lab_check "real run: port 1/tcp failed (status 2)" \
    grep -qE '^rtcprobe_check_status\{id="port\.1/tcp(@[^"]*)?",.*\} 2$' "$out"
  lab_check "real run: durations in seconds" grep -qE '^probe_duration_seconds [0-9.e+-]+$' "$out"
}

main() {
  lab_require promtool socat
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  lab_init
  W=$(lab_tmpdir)
  check_golden
  check_hostile
  check_real_run
  lab_finish
}

main "$@"
