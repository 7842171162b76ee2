#!/bin/bash
# Start or stop a lab coturn (turnserver) for the demo and for manual runs.
#   coturn.sh start DIR [--ip ADDR] [--ip6 ADDR6] [--netns NS] [--port P] [--tls-port T]
#                       [turnserver args]
#   coturn.sh stop DIR
# start leaves turnserver running and prints DIR/env (source it for the
# ports, user, password file and CA); stop ends it. DIR is kept for its log.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  sed -n '2,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

main() {
  (($# >= 2)) || usage
  local cmd=$1 dir=$2
  shift 2
  case $cmd in
    start)
      mkdir -p "$dir"
      dir=$(cd "$dir" && pwd)
      if [[ -f $dir/lab.pid ]] && kill -0 "$(cat "$dir/lab.pid")" 2>/dev/null; then
        echo "coturn already running in $dir (pid $(cat "$dir/lab.pid"))" >&2
        exit 1
      fi
      lab_coturn_start "$dir" "$@"
      # Port reservations belong to this short-lived shell; the running
      # server holds its ports from here on.
      lab_release_ports
      cat "$dir/env"
      ;;
    stop)
      lab_coturn_stop "$dir"
      ;;
    *) usage ;;
  esac
}

main "$@"
