#!/usr/bin/env python3
"""An independent STAMP client for the direct ports of `rtcprobe serve`,
to prove where the reflector takes its receive timestamp (T2, RFC 8762 4.3).

Python's standard library only; every socket is on loopback, every wait is
bounded. For UDP and then TCP (RFC 4571 framing), each over a session of its
own:
  1. 20 signed packets, 10 ms apart: every answer verifies, T2 <= T3, and
     the residence T3 - T2 is small;
  2. the reflector is stopped (SIGSTOP, /proc shows it stopped), one packet
     is sent, STALL ms later it is continued (SIGCONT): the answer's
     residence includes the stall, since the kernel stamped the packet when
     it arrived, before the reflector could wake up. A T2 taken after the
     wake-up (the reflector's own clock when it read the packet) shows a
     residence of microseconds and fails this. What this client saw as the
     round trip minus that residence stays far below the stall.
Prints "ok   - ..." / "FAIL - ..." lines and a closing "stamps: N failed".

Usage: serve-direct-stamps.py WS_PORT UDP_PORT TCP_PORT SECRET_FILE SERVE_PID STALL_MS
"""
import base64, hashlib, hmac, json, os, signal, socket, struct, sys, time

fails = 0
SIZE = 112


def check(what, cond):
    global fails
    print(('ok   - ' if cond else 'FAIL - ') + what, flush=True)
    fails += 0 if cond else 1


class Ws:
    """A minimal websocket client (RFC 6455), enough for the hello."""

    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(('GET /rtcprobe HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n'
                        'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n'
                        % (port, key)).encode())
        head = b''
        while b'\r\n\r\n' not in head and len(head) < 4096:
            b = self.s.recv(1)
            if not b:
                raise ConnectionError('closed during upgrade')
            head += b
        if not head.startswith(b'HTTP/1.1 101'):
            raise ConnectionError(head.split(b'\r\n')[0].decode())

    def send(self, obj):
        data, mask = json.dumps(obj).encode(), os.urandom(4)
        hdr = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126
                               else bytes([0xfe]) + struct.pack('!H', len(data)))
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _n(self, n):
        out = b''
        while len(out) < n:
            b = self.s.recv(n - len(out))
            if not b:
                raise ConnectionError('closed')
            out += b
        return out

    def recv(self):
        b0, b1 = self._n(2)
        n = b1 & 0x7f
        if n == 126:
            n = struct.unpack('!H', self._n(2))[0]
        elif n == 127:
            n = struct.unpack('!Q', self._n(8))[0]
        return json.loads(self._n(n).decode())

    def close(self):
        self.s.close()


def session(ws_port, secret):
    """(websocket, key, ssid) of a new session."""
    ws = Ws(ws_port)
    user = '%d:stamps' % (int(time.time()) + 120)
    tok = base64.b64encode(hmac.new(secret, user.encode(), hashlib.sha1).digest()).decode()
    ws.send({'type': 'hello', 'version': 1, 'username': user, 'token': tok})
    w = ws.recv()
    if not isinstance(w, dict) or w.get('type') != 'welcome':
        raise ConnectionError('no welcome: %r' % (w,))
    return ws, base64.b64decode(w['key']), w['ssid']


def packet(key, ssid, seq):
    """A signed STAMP Session-Sender packet (RFC 8762 4.2, RFC 8972 4.8 HMAC TLV)."""
    body = struct.pack('!IQHH', seq, int(time.monotonic() * 2**32) & (2**64 - 1), 0x0C01, ssid) + bytes(28)
    body += bytes(SIZE - 20 - len(body))
    return body + bytes([0, 8, 0, 16]) + hmac.new(key, body, hashlib.sha256).digest()[:16]


def signed_ok(key, p):
    return len(p) == SIZE and p[-20:-16] == bytes([0, 8, 0, 16]) and \
        hmac.compare_digest(hmac.new(key, p[:-20], hashlib.sha256).digest()[:16], p[-16:])


def seconds(ts, ee):
    """A STAMP timestamp in seconds: NTP 32.32, or PTP (Z bit) seconds and nanoseconds."""
    if ee & 0x4000:
        return (ts >> 32) + (ts & 0xffffffff) / 1e9
    return ts / 2**32


def residence_ms(p):
    """T3 - T2 of a reflected packet (RFC 8762 4.3.1: T3 at 4, EE at 12, T2 at 16)."""
    t3, ee, t2 = struct.unpack_from('!QH', p, 4) + struct.unpack_from('!Q', p, 16)
    return (seconds(t3, ee) - seconds(t2, ee)) * 1000


class Udp:
    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(('127.0.0.1', 0))
        self.s.connect(('127.0.0.1', port))
        self.s.settimeout(5)

    def send(self, p):
        self.s.send(p)

    def recv(self):
        return self.s.recv(70000)


class Tcp:
    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port), timeout=5)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, p):
        self.s.sendall(struct.pack('!H', len(p)) + p)

    def recv(self):
        n = struct.unpack('!H', self.s.recv(2, socket.MSG_WAITALL))[0]
        return self.s.recv(n, socket.MSG_WAITALL)


def state(pid):
    with open('/proc/%d/stat' % pid) as f:
        return f.read().rsplit(')', 1)[1].split()[0]


def stopped(pid, wait=2.0):
    end = time.monotonic() + wait
    while time.monotonic() < end:
        if state(pid) in ('T', 't'):
            return True
        time.sleep(0.002)
    return False


def run(name, conn, key, ssid, pid, stall_ms):
    res = []
    for i in range(20):
        conn.send(packet(key, ssid, i))
        a = conn.recv()
        if not signed_ok(key, a):
            break
        res.append(residence_ms(a))
        time.sleep(0.01)
    check('%s: 20 answers, each signed with the session key (%d)' % (name, len(res)), len(res) == 20)
    res.sort()
    print('# %s: residence T3 - T2 idle: min %.3f ms, median %.3f ms, max %.3f ms'
          % (name, res[0], res[len(res) // 2], res[-1]) if res else '# no answer', flush=True)
    check('%s: T2 <= T3 in every answer, the residence of an idle reflector under 50 ms' % name,
          bool(res) and res[0] >= 0 and res[-1] < 50)
    os.kill(pid, signal.SIGSTOP)
    try:
        check('%s: the reflector is stopped (/proc state T)' % name, stopped(pid))
        t0 = time.monotonic()
        conn.send(packet(key, ssid, 100))
        time.sleep(stall_ms / 1000)
    finally:
        os.kill(pid, signal.SIGCONT)
    try:
        a = conn.recv()
    except OSError as e:
        a = b''
        print('# %s: no answer after the stall: %s' % (name, e), flush=True)
    rtt = (time.monotonic() - t0) * 1000
    ok = signed_ok(key, a)
    check('%s: the packet sent while the reflector was stopped is answered' % name, ok)
    if not ok:
        return
    r = residence_ms(a)
    print('# %s: stopped for %d ms with the packet in its socket: residence %.3f ms, round trip %.3f ms,'
          ' round trip minus residence %.3f ms' % (name, stall_ms, r, rtt, rtt - r), flush=True)
    check('%s: the residence T3 - T2 includes the stall: %.1f ms >= 0.8 x %d ms (T2 is the kernel\'s stamp)'
          % (name, r, stall_ms), r >= 0.8 * stall_ms)
    check('%s: and is not more than the round trip this client saw (%.1f <= %.1f ms)' % (name, r, rtt),
          r <= rtt + 1)
    check('%s: round trip minus residence %.1f ms < half the stall: the stall is not path'
          % (name, rtt - r), rtt - r < stall_ms / 2)


def main():
    ws_port, udp, tcp = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    secret = open(sys.argv[4], 'rb').read().strip()
    pid, stall_ms = int(sys.argv[5]), int(sys.argv[6])
    ws, key, ssid = session(ws_port, secret)
    run('udp', Udp(udp), key, ssid, pid, stall_ms)
    ws.close()
    ws, key, ssid = session(ws_port, secret)
    run('tcp', Tcp(tcp), key, ssid, pid, stall_ms)
    ws.close()
    print('stamps: %d failed' % fails, flush=True)
    sys.exit(1 if fails else 0)


main()
