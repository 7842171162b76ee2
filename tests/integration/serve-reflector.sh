#!/bin/bash
# `rtcprobe serve` (the reflector) on loopback, attacked and used by a small
# independent client written here in Python's standard library (a websocket
# client, HMAC tokens and signed STAMP packets), so the server is judged by
# code it does not share:
#   - no hello (error "timeout"), a forged token, an expired token: refused, no session
#   - replies are never larger than requests (UDP and TCP, many sizes), and
#     unauthenticated or oversized packets get nothing at all
#   - the session cap, a connection flood and a packet flood from one source
#     (rate-limited) while a second source is still served
#   - SIGTERM: exit 0 within a second
# Then `rtcprobe ice --reflector` against it, with a lab coturn for the
# relay path: ice.reflector passes, and with --relay-only on a relay pair.
# Last, serve's own TLS (wss:// without a proxy): ice and voice through it,
# and the certificate reason when the client's CA did not sign it.
# Traffic: loopback only (127.0.0.1, 127.0.0.2, 127.0.0.3).
# Env: RTCPROBE = the built binary. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lab/lib.sh"

RTCPROBE=${RTCPROBE:-$HERE/../../build/rtcprobe}
unset RTCPROBE_REFLECTOR_SECRET RTCPROBE_TURN_SECRET RTCPROBE_TURN_PASSWORD

jqc() { # what, file, expr, [jq args]
  local what=$1 file=$2 expr=$3
  shift 3
  lab_jq_check "$what" "$file" "$LAB_JQ_DEFS $expr" "$@"
}

write_config() { # file, extra lines
  cat >"$1" <<EOF
[listen]
websocket = 127.0.0.1:$WS_PORT
udp = 127.0.0.1:$UDP_PORT
tcp = 127.0.0.1:$UDP_PORT
trusted_proxies =
[auth]
secret_file = $W/secret
max_token_ttl = 600
[ice]
loopback_only = true
[limits]
max_sessions = 3
hello_timeout = 2
session_packet_rate = 100
source_rate = 5
source_burst = 10
$2
EOF
}

start_serve() { # config
  "$RTCPROBE" serve --config "$1" 2>>"$W/serve.log" &
  SERVE_PID=$!
  lab_on_exit "lab_kill_pid $SERVE_PID"
  lab_wait_port 127.0.0.1 "$WS_PORT" tcp 5 || { cat "$W/serve.log" >&2; return 1; }
}

# The independent client: prints "ok - ..." / "FAIL - ..." lines.
write_client() {
  cat >"$W/client.py" <<'PY'
import base64, hashlib, hmac, json, os, socket, struct, sys, time

WS, UDP, SECRET = int(sys.argv[2]), int(sys.argv[3]), open(sys.argv[4], 'rb').read().strip()
fails = 0
def check(what, cond):
    global fails
    print(('ok   - ' if cond else 'FAIL - ') + what, flush=True)
    fails += 0 if cond else 1

def token(name, expiry):
    user = '%d:%s' % (expiry, name)
    return user, base64.b64encode(hmac.new(SECRET, user.encode(), hashlib.sha1).digest()).decode()

class Ws:
    def __init__(self, src='127.0.0.1'):
        self.s = socket.create_connection(('127.0.0.1', WS), timeout=5, source_address=(src, 0))
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(('GET /rtcprobe HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                        'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n' % (WS, key)).encode())
        head = b''
        while b'\r\n\r\n' not in head:
            b = self.s.recv(1)
            if not b: raise ConnectionError('closed during upgrade')
            head += b
        if not head.startswith(b'HTTP/1.1 101'): raise ConnectionError(head.split(b'\r\n')[0].decode())
    def send(self, obj):
        data, mask = json.dumps(obj).encode(), os.urandom(4)
        hdr = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0xfe]) + struct.pack('!H', len(data)))
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
    def _n(self, n):
        out = b''
        while len(out) < n:
            b = self.s.recv(n - len(out))
            if not b: raise ConnectionError('closed')
            out += b
        return out
    def recv(self):
        """A text message as a dict, ('close', code) for a close frame, None when the socket closes."""
        try:
            b0, b1 = self._n(2)
            n = b1 & 0x7f
            if n == 126: n = struct.unpack('!H', self._n(2))[0]
            elif n == 127: n = struct.unpack('!Q', self._n(8))[0]
            body = self._n(n)
        except (ConnectionError, socket.timeout, OSError):
            return None
        if b0 & 0x0f == 8: return ('close', struct.unpack('!H', body[:2])[0] if len(body) >= 2 else 0)
        return json.loads(body)
    def close(self): self.s.close()

def session(src='127.0.0.1', name='tester'):
    ws = Ws(src)
    u, t = token(name, int(time.time()) + 120)
    ws.send({'type': 'hello', 'version': 1, 'username': u, 'token': t})
    return ws, ws.recv()

def packet(key, ssid, seq, size):
    body = struct.pack('!IQHH', seq, int(time.monotonic() * 2**32) & (2**64 - 1), 0x0C01, ssid) + bytes(28)
    body += bytes(size - 20 - len(body))
    tlv = bytes([0, 8, 0, 16])
    return body + tlv + hmac.new(key, body, hashlib.sha256).digest()[:16]

def signed_ok(key, p):
    return len(p) >= 64 and p[-20:-16] == bytes([0, 8, 0, 16]) and \
        hmac.compare_digest(hmac.new(key, p[:-20], hashlib.sha256).digest()[:16], p[-16:])

def udp_exchange(src, pkts, wait=0.3):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((src, 0))
    for p in pkts: u.sendto(p, ('127.0.0.1', UDP))
    got, end = [], time.time() + wait
    u.settimeout(0.05)
    while time.time() < end:
        try: got.append(u.recvfrom(70000)[0])
        except socket.timeout: pass
    u.close()
    return got

def refused(what, hello, code):
    ws = Ws()
    if hello is not None: ws.send(hello)
    m, c = ws.recv(), ws.recv()
    check('%s: error %s and a close, no welcome' % (what, code),
          isinstance(m, dict) and m.get('type') == 'error' and m.get('code') == code and c is not None and c[0] == 'close' and c[1] == 1008)
    ws.close()

test = sys.argv[1]
if test == 'auth':
    refused('a message before hello', {'type': 'answer', 'ufrag': 'abcd', 'pwd': 'a' * 22, 'candidates': []}, 'unauthorized')
    u, t = token('mallory', int(time.time()) + 120)
    forged = base64.b64encode(hmac.new(b'not-the-secret-at-all', u.encode(), hashlib.sha1).digest()).decode()
    refused('a forged token', {'type': 'hello', 'version': 1, 'username': u, 'token': forged}, 'unauthorized')
    u2, t2 = token('mallory', int(time.time()) + 120)
    refused('a token for another name', {'type': 'hello', 'version': 1, 'username': u2.replace('mallory', 'alice'), 'token': t2}, 'unauthorized')
    u, t = token('late', int(time.time()) - 5)
    refused('an expired token', {'type': 'hello', 'version': 1, 'username': u, 'token': t}, 'expired')
    u, t = token('greedy', int(time.time()) + 86400 * 30)
    refused('a token living longer than max_token_ttl', {'type': 'hello', 'version': 1, 'username': u, 'token': t}, 'expired')
    ws = Ws(); t0 = time.time(); m, c = ws.recv(), ws.recv()
    check('silence after the upgrade: error timeout and a close 1008 within hello_timeout + 1 s (%.1f s)' % (time.time() - t0),
          isinstance(m, dict) and m.get('type') == 'error' and m.get('code') == 'timeout' and c == ('close', 1008)
          and time.time() - t0 < 3.5)
    ws, w = session()
    check('a valid token: welcome with session, ssid, key, ufrag, pwd, candidates, direct ports',
          isinstance(w, dict) and w.get('type') == 'welcome' and len(base64.b64decode(w['key'])) == 32 and w['ssid'] > 0
          and len(w['pwd']) >= 22 and len(w['candidates']) >= 1 and w['direct']['udp'] == UDP)
    ws.close()
elif test == 'sizes':
    ws, w = session()
    key, ssid = base64.b64decode(w['key']), w['ssid']
    sizes = [64, 65, 100, 172, 500, 1000, 1472]
    got = udp_exchange('127.0.0.1', [packet(key, ssid, i, n) for i, n in enumerate(sizes)])
    check('UDP: every signed packet answered (%d of %d)' % (len(got), len(sizes)), len(got) == len(sizes))
    check('UDP: each answer exactly as long as its request (%s)' % sorted(len(g) for g in got), sorted(len(g) for g in got) == sizes)
    check('UDP: every answer carries a valid HMAC TLV and our SSID', all(signed_ok(key, g) and struct.unpack('!H', g[14:16])[0] == ssid for g in got))
    bad = [packet(key, ssid, 1, 100)[:-1] + b'\0', packet(os.urandom(32), ssid, 2, 200), packet(key, ssid ^ 1, 3, 100),
           os.urandom(64), os.urandom(1000), b'\0' * 44, b'x', packet(key, ssid, 4, 2000)]
    got = udp_exchange('127.0.0.1', bad)
    check('UDP: forged, wrongly keyed, other SSID, garbage, short and oversized packets get nothing (%d answers)' % len(got), got == [])
    ws.close()
    # The first session's direct path is bound to its UDP socket: TCP gets a session of its own.
    ws, w = session(name='tcp')
    key, ssid = base64.b64decode(w['key']), w['ssid']
    t = socket.create_connection(('127.0.0.1', UDP), timeout=2)
    ok = True
    for i, n in enumerate([64, 172, 1472]):
        p = packet(key, ssid, 100 + i, n)
        t.sendall(struct.pack('!H', n) + p)
        hdr = t.recv(2, socket.MSG_WAITALL)
        body = t.recv(n, socket.MSG_WAITALL) if len(hdr) == 2 else b''
        ok = ok and hdr == struct.pack('!H', n) and len(body) == n and signed_ok(key, body)
    check('TCP (RFC 4571 framing): answers as long as the requests, signed', ok)
    t.sendall(struct.pack('!H', 100) + packet(os.urandom(32), ssid, 9, 100))
    check('TCP: an unauthenticated frame closes the connection with nothing sent', t.recv(10) == b'')
    t.close()
    ws.close()
elif test == 'cap':
    held = []
    for i in range(3):
        ws, w = session(name='cap%d' % i)
        held.append(ws)
        check('session %d of the cap: welcome' % (i + 1), isinstance(w, dict) and w.get('type') == 'welcome')
    ws, m = session(name='one-too-many')
    c = ws.recv()
    check('one session over max_sessions: error busy, close 1013', isinstance(m, dict) and m.get('code') == 'busy' and c == ('close', 1013))
    for h in held: h.close()
elif test == 'flood':
    refused_n = 0
    for i in range(40):
        try:
            Ws('127.0.0.1').close()
        except (ConnectionError, OSError):
            refused_n += 1
    check('40 connections at once from 127.0.0.1: the ones over the burst are refused (%d refused)' % refused_n, refused_n >= 20)
    try:
        ws, w = session('127.0.0.2', 'second')
        ok = isinstance(w, dict) and w.get('type') == 'welcome'
    except (ConnectionError, OSError):
        ok = False
    check('meanwhile a client from 127.0.0.2 gets its welcome', ok)
    time.sleep(2.5)   # let 127.0.0.1's bucket refill for the next step
    wa, a = session('127.0.0.1', 'flooder')
    ka, sa = base64.b64decode(a['key']), a['ssid']
    got = udp_exchange('127.0.0.1', [packet(ka, sa, i, 172) for i in range(2000)], wait=0.5)
    check('2000 signed packets at once from one source: at most rate x time + burst answered (%d)' % len(got), len(got) <= 250)
    kb, sb = base64.b64decode(w['key']), w['ssid']
    got = udp_exchange('127.0.0.2', [packet(kb, sb, i, 172) for i in range(10)])
    check('right after, the second source is answered (%d of 10)' % len(got), len(got) == 10)
    check('all answers to the flood were the size of the request', all(len(g) == 172 for g in got))
print('client: %d failed' % fails)
sys.exit(1 if fails else 0)
PY
}

run_client() { # test
  local out
  set +e
  out=$(timeout 60 python3 "$W/client.py" "$1" "$WS_PORT" "$UDP_PORT" "$W/secret" 2>&1)
  set -e
  printf '%s\n' "$out" | grep -E '^(ok|FAIL) ' || true
  LAB_CHECKS=$((LAB_CHECKS + $(grep -cE '^(ok|FAIL) ' <<<"$out" || true)))
  LAB_FAILS=$((LAB_FAILS + $(grep -cE '^FAIL ' <<<"$out" || true)))
  if ! grep -q '^client: ' <<<"$out"; then
    printf 'FAIL - the client for %s crashed:\n%s\n' "$1" "$out"
    LAB_CHECKS=$((LAB_CHECKS + 1)) LAB_FAILS=$((LAB_FAILS + 1))
  fi
}

check_hardening() {
  echo "== 1. authentication, sizes, caps and floods against rtcprobe serve"
  write_config "$W/serve.ini" ""
  start_serve "$W/serve.ini"
  run_client auth
  run_client sizes
  run_client cap
  run_client flood
  lab_check "the server is still running" lab_pid_alive "$SERVE_PID"
  lab_check "no secret, token or key in the log" bash -c '! grep -qF -- "$(cat "$1")" "$2" && ! grep -qiE "token=|key=" "$2"' _ "$W/secret" "$W/serve.log"
  lab_check "one line per session open and end in the log" bash -c 'o=$(grep -cE "session [0-9a-f]{16} open:" "$1"); e=$(grep -cE "session [0-9a-f]{16} end:" "$1"); [ "$o" -ge 5 ] && [ "$o" -eq "$e" ]' _ "$W/serve.log"
  echo "== 2. SIGTERM"
  local t0 ms rc
  t0=$(date +%s%N)
  kill -TERM "$SERVE_PID"
  set +e
  wait "$SERVE_PID"
  rc=$?
  set -e
  ms=$((($(date +%s%N) - t0) / 1000000))
  lab_check "exit status 0 after SIGTERM (got $rc)" test "$rc" -eq 0
  lab_check "exited within a second ($ms ms)" test "$ms" -lt 1000
  lab_check "the log says it stopped" grep -q "stopped after" "$W/serve.log"
}

probe() { # out, args...: lab_probe (tests/lab/lib.sh) on this host
  local out=$1
  shift
  LAB_PROBE_LIMIT=40 lab_probe "$out" --timeout 15 "$@"
}

check_ice() {
  echo "== 3. ice --reflector with a lab coturn on both sides"
  lab_coturn_start "$W/coturn" --auth secret || { echo "could not start coturn" >&2; exit 1; }
  # shellcheck source=/dev/null
  source "$W/coturn/env"
  local turn_udp="turn:127.0.0.1:$LAB_TURN_PORT?transport=udp" turn_tcp="turn:127.0.0.1:$LAB_TURN_PORT?transport=tcp"
  write_config "$W/serve2.ini" "[turn]
servers = $turn_udp;$turn_tcp
secret_file = $LAB_TURN_SECRET_FILE"
  start_serve "$W/serve2.ini"
  local url="ws://127.0.0.1:$WS_PORT/rtcprobe" r=$W/ice.json
  probe "$r" ice --reflector "$url" --reflector-secret-file "$W/secret" --turn "$turn_udp" --secret-file "$LAB_TURN_SECRET_FILE"
  lab_check "exit code 0 (got $RC)" test "$RC" -eq 0
  jqc "ice.reflector passes with a selected pair, 10 packets back, connect_ms and rtt_ms" "$r" \
    'chk("ice.reflector") | .status == "pass" and .kind == "ice" and (.details.selected_pair | type == "string")
     and .details.packets_received >= 9 and .metrics.connect_ms > 0 and .metrics.rtt_ms > 0
     and .metrics.rtt_min_ms <= .metrics.rtt_ms and .details.path != null'
  jqc "the reflector reported its own selected pair" "$r" 'chk("ice.reflector").details.reflector_selected_pair | type == "string"'
  r=$W/relay.json
  probe "$r" ice --reflector "$url" --reflector-secret-file "$W/secret" --turn "$turn_udp" --secret-file "$LAB_TURN_SECRET_FILE" --relay-only
  lab_check "--relay-only: exit code 0 (got $RC)" test "$RC" -eq 0
  # Ground truth rtcprobe did not produce: the relay range in turnserver.conf.
  jqc "--relay-only: path relay over udp via the --turn URI, local relay address in coturn's relay range" "$r" \
    'chk("ice.reflector") | .status == "pass" and .details.path == "relay" and .details.local_type == "relay"
     and .details.path_transport == "udp" and .details.turn_uri == $uri
     and (.details.local_address | capture(":(?<p>[0-9]+)$").p | tonumber | . >= $min and . <= $max)' \
    --arg uri "$turn_udp" --argjson min "$LAB_TURN_RELAY_MIN" --argjson max "$LAB_TURN_RELAY_MAX"
  r=$W/relaytcp.json
  probe "$r" ice --reflector "$url" --reflector-secret-file "$W/secret" --turn "$turn_tcp" --secret-file "$LAB_TURN_SECRET_FILE" --relay-only
  jqc "--relay-only over TURN/TCP: path relay, path_transport tcp" "$r" \
    'chk("ice.reflector") | .status == "pass" and .details.path == "relay" and .details.path_transport == "tcp"'
  r=$W/wrong.json
  printf 'wrong-secret-0123456789\n' >"$W/wrong-secret"
  probe "$r" ice --reflector "$url" --reflector-secret-file "$W/wrong-secret"
  lab_check "a wrong secret: exit code 1 (got $RC)" test "$RC" -eq 1
  jqc "a wrong secret: fail, reflector_error unauthorized, hint names the secret" "$r" \
    'chk("ice.reflector") | .status == "fail" and .details.reflector_error == "unauthorized" and (.hint | test("secret"))'
  lab_check "the secrets never appear in the reports" bash -c '! grep -rqF -- "$(cat "$1")" "$2"/*.json' _ "$W/secret" "$W"
}

check_wss_direct() {
  echo "== 4. wss:// served by rtcprobe serve itself (tls_cert/tls_key), no proxy"
  lab_make_ca "$W/ca"
  # The earlier reflector keeps its ports: this one gets its own.
  WS_PORT=$(lab_free_port tcp)
  UDP_PORT=$(lab_free_port both)
  write_config "$W/serve3.ini" "[listen]
tls_cert = $W/ca/server.pem
tls_key = $W/ca/server.key"
  start_serve "$W/serve3.ini"
  local url="wss://127.0.0.1:$WS_PORT/rtcprobe" r=$W/wss.json
  probe "$r" --ca-file "$W/ca/ca.pem" ice --reflector "$url" --reflector-secret-file "$W/secret"
  lab_check "wss: exit code 0 (got $RC)" test "$RC" -eq 0
  jqc "wss: ice.reflector passes over the direct TLS websocket, host path" "$r" \
    'chk("ice.reflector") | .status == "pass" and .details.path == "host" and .details.packets_received >= 9'
  r=$W/wss-voice.json
  probe "$r" --ca-file "$W/ca/ca.pem" voice --reflector "$url" --reflector-secret-file "$W/secret" --duration 2
  lab_check "wss voice: exit code 0 (got $RC)" test "$RC" -eq 0
  jqc "wss voice: voice.reflector over the direct port and voice.ice pass with a MOS" "$r" \
    'chk("voice.reflector").status == "pass" and (chk("voice.ice") | .status == "pass" and .metrics.mos > 4)'
  # Without --ca-file, the system store: the lab CA in a hashed SSL_CERT_DIR
  # is trusted; with --ca-file, only that file is (lws's own OS store is off).
  local certs=$W/system-certs
  mkdir -p "$certs" && cp "$W/ca/ca.pem" "$certs/" && openssl rehash "$certs" >/dev/null 2>&1
  r=$W/wss-system.json
  LAB_PROBE_ENV=(-u SSL_CERT_FILE SSL_CERT_DIR="$certs")
  probe "$r" ice --reflector "$url" --reflector-secret-file "$W/secret"
  jqc "wss, no --ca-file, the lab CA in SSL_CERT_DIR: pass" "$r" 'chk("ice.reflector").status == "pass"'
  r=$W/wss-cafile-only.json
  probe "$r" --ca-file "$W/ca/other-ca.pem" ice --reflector "$url" --reflector-secret-file "$W/secret"
  LAB_PROBE_ENV=()
  jqc "wss, --ca-file of another CA: fail, although SSL_CERT_DIR has the right one" "$r" \
    'chk("ice.reflector") | .status == "fail" and (.summary | test("certificate not trusted"))'
  r=$W/wss-untrusted.json
  probe "$r" --ca-file "$W/ca/other-ca.pem" ice --reflector "$url" --reflector-secret-file "$W/secret"
  lab_check "wss, a CA that did not sign the certificate: exit code 1 (got $RC)" test "$RC" -eq 1
  jqc "wss untrusted: the reason is the certificate (unknown CA), as in \`rtcprobe ws\`" "$r" \
    'chk("ice.reflector") | .status == "fail" and (.summary | test("certificate not trusted: issued by an unknown CA"))
     and .details.tls_error != null and (.hint | test("--ca-file"))'
  # A plain GET (what a proxy without Upgrade/Connection forwards): 426 with
  # Upgrade: websocket on the reflector's path, no answer anywhere else.
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$W/ca/ca.pem" "https://127.0.0.1:$WS_PORT/rtcprobe" || true)
  lab_check "a plain GET on the path: 426 Upgrade Required (got $code)" test "$code" = 426
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$W/ca/ca.pem" "https://127.0.0.1:$WS_PORT/other" || true)
  lab_check "a plain GET elsewhere: no answer at all (got $code)" test "$code" = 000
  r=$W/ws-to-tls.json
  probe "$r" ice --reflector "ws://127.0.0.1:$WS_PORT/rtcprobe" --reflector-secret-file "$W/secret"
  jqc "ws:// to the TLS port: fail, the hint says use wss://" "$r" \
    'chk("ice.reflector") | .status == "fail" and (.hint | test("use wss://"))'
}

main() {
  lab_require python3 jq turnserver openssl
  [[ -x $RTCPROBE ]] || { echo "RTCPROBE=$RTCPROBE is not an executable" >&2; exit 1; }
  W=$(lab_tmpdir)
  (umask 077 && openssl rand -hex 24 >"$W/secret")
  WS_PORT=$(lab_free_port tcp)
  UDP_PORT=$(lab_free_port both)
  write_client
  check_hardening
  check_ice
  check_wss_direct
  lab_finish
}

lab_init
main "$@"
