#!/usr/bin/env python3
"""Attacker and independent client for the direct ports of `rtcprobe serve`.

Python's standard library only. Every socket is on loopback (127.0.0.0/8),
every loop is bounded in count and time. Prints "ok   - ..." / "FAIL - ..."
lines and a closing "attacker: N failed" line; the shell driver counts them.

Modes (argv[1]):
  flood UDP SECONDS RATE SOURCES
      1-byte, garbage (random SSID, random length) and forged (valid shape,
      wrong HMAC) datagrams to the direct UDP port at RATE per second,
      round-robin from SOURCES addresses 127.0.N.M, each socket bound there.
      Prints what was sent and the rate reached.
  tcp-hold WS TCP SECRET SOURCE CONNS SECONDS DEADLINE
      From SOURCE, opens CONNS TCP connections, each with a partial RFC 4571
      frame (the length, then one octet), then trickles one more octet per
      connection every second for SECONDS. Meanwhile a client from another
      address opens a session and gets its TCP frame answered. Checks how
      many connections the source held and that none outlived the frame
      deadline by much.
  replay WS UDP SECRET
      A session's signed packets, answered from the address that first sent
      them, replayed from 63 other addresses and from another port of the
      first: no answer at all. The session's own address is answered after.
"""
import base64, hashlib, hmac, json, os, random, socket, struct, sys, time

fails = 0


def check(what, cond):
    global fails
    print(('ok   - ' if cond else 'FAIL - ') + what, flush=True)
    fails += 0 if cond else 1


def sources(n):
    """n loopback addresses 127.0.N.M, none of them 127.0.0.1."""
    return ['127.0.%d.%d' % (1 + i // 250, 2 + i % 250) for i in range(n)]


class Ws:
    """A minimal websocket client (RFC 6455), enough for the hello."""

    def __init__(self, port, src='127.0.0.1'):
        self.s = socket.create_connection(('127.0.0.1', port), timeout=10, source_address=(src, 0))
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
        body = self._n(n)
        return json.loads(body) if b0 & 0x0f == 1 else None

    def close(self):
        self.s.close()


def session(ws_port, secret, src='127.0.0.1', name='tester'):
    """(websocket, key, ssid) of a new session."""
    ws = Ws(ws_port, src)
    user = '%d:%s' % (int(time.time()) + 120, name)
    tok = base64.b64encode(hmac.new(secret, user.encode(), hashlib.sha1).digest()).decode()
    ws.send({'type': 'hello', 'version': 1, 'username': user, 'token': tok})
    w = ws.recv()
    if not isinstance(w, dict) or w.get('type') != 'welcome':
        raise ConnectionError('no welcome: %r' % (w,))
    return ws, base64.b64decode(w['key']), w['ssid']


def packet(key, ssid, seq, size):
    """A signed STAMP Session-Sender packet (RFC 8762, RFC 8972 4.8 HMAC TLV)."""
    body = struct.pack('!IQHH', seq, int(time.monotonic() * 2**32) & (2**64 - 1), 0x0C01, ssid) + bytes(28)
    body += bytes(size - 20 - len(body))
    return body + bytes([0, 8, 0, 16]) + hmac.new(key, body, hashlib.sha256).digest()[:16]


def signed_ok(key, p):
    return len(p) >= 64 and p[-20:-16] == bytes([0, 8, 0, 16]) and \
        hmac.compare_digest(hmac.new(key, p[:-20], hashlib.sha256).digest()[:16], p[-16:])


def drain(socks, wait):
    """Every datagram that reaches socks within wait seconds, as (sock index, bytes)."""
    got, end = [], time.time() + wait
    for s in socks:
        s.setblocking(False)
    while time.time() < end:
        idle = True
        for i, s in enumerate(socks):
            try:
                got.append((i, s.recv(70000)))
                idle = False
            except BlockingIOError:
                pass
        if idle:
            time.sleep(0.005)
    return got


def flood(udp, seconds, rate, nsrc):
    socks = []
    for a in sources(nsrc):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a, 0))
        s.setblocking(False)
        socks.append(s)
    rnd = random.Random(10)
    kinds = [b'x', None, None]   # None: made per packet
    sent, t0, dest = 0, time.monotonic(), ('127.0.0.1', udp)
    end = t0 + seconds
    limit = int(rate * seconds) + 1
    while sent < limit:
        now = time.monotonic()
        if now >= end:
            break
        due = min(limit, int((now - t0) * rate) + 1)
        while sent < due:
            k = sent % 3
            if k == 0:
                p = kinds[0]
            elif k == 1:
                p = os.urandom(rnd.randrange(64, 1473))
            else:
                p = packet(os.urandom(32), rnd.randrange(1, 65536), sent, 172)
            try:
                socks[sent % len(socks)].sendto(p, dest)
            except (BlockingIOError, ConnectionRefusedError):
                pass
            sent += 1
        time.sleep(0.002)
    took = time.monotonic() - t0
    answers = drain(socks, 0.3)
    print('# flood: %d datagrams from %d addresses in %.1f s (%.0f/s)' % (sent, nsrc, took, sent / took), flush=True)
    check('the flood reached at least half its rate (%.0f/s of %d/s)' % (sent / took, rate), sent / took >= rate / 2)
    check('the flood got nothing back (%d datagrams)' % len(answers), answers == [])


def tcp_hold(ws_port, tcp, secret, src, conns, seconds, deadline):
    held = []
    for i in range(conns):
        try:
            c = socket.create_connection(('127.0.0.1', tcp), timeout=2, source_address=(src, 0))
            c.sendall(struct.pack('!H', 100) + b'\0')
            held.append(c)
        except OSError:
            break
    time.sleep(0.3)
    # Which of them the server kept: a closed one reads EOF or fails on send.
    alive = []
    for c in held:
        c.setblocking(False)
        try:
            gone = c.recv(1) == b''
        except BlockingIOError:
            gone = False
        except OSError:
            gone = True
        if not gone:
            alive.append(c)
    print('# tcp-hold: %d connections from %s, %d kept by the server' % (len(held), src, len(alive)), flush=True)
    check('one source holds at most its share of the TCP slots (%d of %d kept)' % (len(alive), conns), len(alive) <= 4)
    # A legitimate client from another address, while the source trickles.
    ok = False
    try:
        ws, key, ssid = session(ws_port, secret, '127.0.0.200', 'legit')
        t = socket.create_connection(('127.0.0.1', tcp), timeout=3, source_address=('127.0.0.200', 0))
        p = packet(key, ssid, 1, 172)
        t.sendall(struct.pack('!H', len(p)) + p)
        hdr = t.recv(2, socket.MSG_WAITALL)
        body = t.recv(172, socket.MSG_WAITALL) if hdr == struct.pack('!H', 172) else b''
        ok = signed_ok(key, body)
        t.close()
        ws.close()
    except OSError as e:
        print('# legitimate client: %s' % e, flush=True)
    check('meanwhile a client from another address connects and its frame is answered', ok)
    # Trickle: one octet per connection per second; the deadline still ends them.
    t0, closed_at = time.monotonic(), {}
    while time.monotonic() - t0 < seconds and len(closed_at) < len(alive):
        for i, c in enumerate(alive):
            if i in closed_at:
                continue
            try:
                if c.recv(1) == b'':
                    closed_at[i] = time.monotonic() - t0
                    continue
            except BlockingIOError:
                pass
            except OSError:
                closed_at[i] = time.monotonic() - t0
                continue
            try:
                c.send(b'\0')
            except OSError:
                closed_at[i] = time.monotonic() - t0
        time.sleep(1)
    worst = max(closed_at.values()) if closed_at else seconds
    print('# tcp-hold: %d of %d trickling connections closed, the last after %.1f s'
          % (len(closed_at), len(alive), worst), flush=True)
    check('every trickling connection closed within tcp_frame_timeout + 2 s (%d of %d, last %.1f s)'
          % (len(closed_at), len(alive), worst), len(closed_at) == len(alive) and worst <= deadline + 2)
    for c in held:
        c.close()


def replay(ws_port, udp, secret):
    ws, key, ssid = session(ws_port, secret)
    own = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    own.bind(('127.0.0.1', 0))
    captured = [packet(key, ssid, i, 172) for i in range(5)]
    for p in captured:
        own.sendto(p, ('127.0.0.1', udp))
    got = drain([own], 0.5)
    check('the session\'s own packets are answered (%d of 5)' % len(got),
          len(got) == 5 and all(signed_ok(key, g) for _, g in got))
    others = []
    for a in sources(63):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a, 0))
        others.append(s)
    second = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    second.bind(('127.0.0.1', 0))
    others.append(second)
    n = 0
    for rnd in range(3):
        for s in others:
            for p in captured:
                s.sendto(p, ('127.0.0.1', udp))
                n += 1
        time.sleep(0.05)
    got = drain(others + [own], 1.0)
    foreign = [g for i, g in got if i < len(others)]
    print('# replay: %d captured packets sent from %d other sources, %d answers to them, %d to the session\'s own'
          % (n, len(others), len(foreign), len(got) - len(foreign)), flush=True)
    check('replays from 63 other addresses and another port get no answer (%d answers)' % len(foreign), foreign == [])
    check('nor do they make the reflector answer the session\'s own address (%d)' % (len(got) - len(foreign)),
          len(got) == len(foreign))
    fresh = [packet(key, ssid, 100 + i, 172) for i in range(5)]
    for p in fresh:
        own.sendto(p, ('127.0.0.1', udp))
    got = drain([own], 0.5)
    check('the session\'s own address is still answered after (%d of 5)' % len(got), len(got) == 5)
    ws.close()


def main():
    mode = sys.argv[1]
    if mode == 'flood':
        flood(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif mode == 'tcp-hold':
        tcp_hold(int(sys.argv[2]), int(sys.argv[3]), open(sys.argv[4], 'rb').read().strip(), sys.argv[5],
                 int(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8]))
    elif mode == 'replay':
        replay(int(sys.argv[2]), int(sys.argv[3]), open(sys.argv[4], 'rb').read().strip())
    else:
        raise SystemExit('unknown mode %s' % mode)
    print('attacker: %d failed' % fails, flush=True)
    sys.exit(1 if fails else 0)


main()
