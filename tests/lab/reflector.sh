# shellcheck shell=bash
# Lab helper, sourced by lib.sh: a `rtcprobe serve` reflector on loopback for
# the direct path (websocket signalling and the direct UDP port, no TCP port,
# loopback-only ICE), with the [limits] lines the caller gives.
#
# lab_serve_start CONF LOG SECRET_FILE [LIMITS_LINE...]
#   writes CONF, starts $RTCPROBE serve with its stderr appended to LOG,
#   stops it at exit, and waits for its websocket port. Sets LAB_SERVE_PID
#   and LAB_SERVE_URL (ws://127.0.0.1:PORT/rtcprobe); returns 1 with the log
#   on stderr when the reflector does not come up.
lab_serve_start() {
  local conf=$1 log=$2 secret=$3 ws udp
  shift 3
  ws=$(lab_free_port tcp)
  udp=$(lab_free_port udp)
  printf '%s\n' "[listen]" "websocket = 127.0.0.1:$ws" "udp = 127.0.0.1:$udp" "tcp = off" \
    "trusted_proxies =" "[auth]" "secret_file = $secret" "max_token_ttl = 600" \
    "[ice]" "loopback_only = true" "[limits]" "$@" >"$conf"
  "$RTCPROBE" serve --config "$conf" 2>>"$log" &
  LAB_SERVE_PID=$!
  lab_on_exit "lab_kill_pid $LAB_SERVE_PID"
  LAB_SERVE_URL=ws://127.0.0.1:$ws/rtcprobe
  lab_wait_port 127.0.0.1 "$ws" tcp 10 || { cat "$log" >&2; return 1; }
}
