#!/usr/bin/env python3
# A hostile client of `rtcprobe serve`'s websocket signalling, one mode per
# attack (python3 standard library only). It holds valid tokens (made from
# the reflector's secret as a tester's token would be) and misbehaves after
# the welcome, holds many sessions with one token, aims ICE checks at
# addresses of its choosing, or never says hello. It prints "ok   - ..." or
# "FAIL - ..." per assertion and "attacker: N failed" last.
# Usage: reflector-ws-attacker.py MODE WS_PORT SECRET_FILE [ARG]
# Every address is on loopback; every loop is bounded in count, every wait
# in time (the driver also runs it under timeout).
import base64, hashlib, hmac, itertools, json, os, select, socket, struct, sys, time

MODE, WS, SECRET = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], 'rb').read().strip()
ARG = sys.argv[4] if len(sys.argv) > 4 else ''
fails = 0
# Each connection from its own loopback source: the per-source upgrade rate
# is not what is under test here.
sources = ('127.0.%d.%d' % (n // 250 + 1, n % 250 + 1) for n in itertools.count())


def check(what, cond):
    global fails
    print(('ok   - ' if cond else 'FAIL - ') + what, flush=True)
    fails += 0 if cond else 1


TOKENS = {}


def token(name):
    """One token per name for the whole run (the same username each time)."""
    if name not in TOKENS:
        user = '%d:%s' % (int(time.time()) + 300, name)
        mac = hmac.new(SECRET, user.encode(), hashlib.sha1).digest()
        TOKENS[name] = user, base64.b64encode(mac).decode()
    return TOKENS[name]


class Ws:
    def __init__(self, src=None):
        self.src = src or next(sources)
        self.s = socket.create_connection(('127.0.0.1', WS), timeout=5,
                                          source_address=(self.src, 0))
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(('GET /rtcprobe HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n'
                        'Upgrade: websocket\r\nConnection: Upgrade\r\n'
                        'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n'
                        % (WS, key)).encode())
        head = b''
        while b'\r\n\r\n' not in head and len(head) < 4096:
            b = self.s.recv(1)
            if not b:
                raise ConnectionError('closed during upgrade')
            head += b
        if not head.startswith(b'HTTP/1.1 101'):
            raise ConnectionError(head.split(b'\r\n')[0].decode())

    def frame(self, opcode, data):
        mask = os.urandom(4)
        n = len(data)
        hdr = bytes([0x80 | opcode])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0xfe]) + struct.pack('!H', n)
        else:
            hdr += bytes([0xff]) + struct.pack('!Q', n)
        try:
            self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
        except OSError:
            pass   # the server may close first; what it said is read next

    def send(self, obj):
        self.frame(1, json.dumps(obj).encode())

    def _n(self, n):
        out = b''
        while len(out) < n:
            b = self.s.recv(n - len(out))
            if not b:
                raise ConnectionError('closed')
            out += b
        return out

    def recv(self, timeout=5):
        """A text message as a dict, ('close', code) for a close frame, None
        when the connection closes or stays silent."""
        self.s.settimeout(timeout)
        try:
            b0, b1 = self._n(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack('!H', self._n(2))[0]
            elif n == 127:
                n = struct.unpack('!Q', self._n(8))[0]
            body = self._n(n)
        except (ConnectionError, socket.timeout, OSError):
            return None
        if b0 & 0x0f == 8:
            return ('close', struct.unpack('!H', body[:2])[0] if len(body) >= 2 else 0)
        return json.loads(body)

    def until_close(self, timeout=5):
        """Messages up to and including the close frame (at most 8)."""
        got, end = [], time.time() + timeout
        for _ in range(8):
            m = self.recv(max(0.1, end - time.time()))
            if m is None:
                break
            got.append(m)
            if isinstance(m, tuple):
                break
        return got

    def close(self):
        self.s.close()


def session(name, src=None):
    ws = Ws(src)
    u, t = token(name)
    ws.send({'type': 'hello', 'version': 1, 'username': u, 'token': t})
    return ws, ws.recv(10)


def is_welcome(m):
    return isinstance(m, dict) and m.get('type') == 'welcome'


def errors_of(msgs):
    return [m for m in msgs if isinstance(m, dict) and m.get('type') == 'error']


def byes_of(msgs):
    return [m.get('reason') for m in msgs if isinstance(m, dict) and m.get('type') == 'bye']


def close_of(msgs):
    return msgs[-1][1] if msgs and isinstance(msgs[-1], tuple) else None


def answer(cands):
    return {'type': 'answer', 'ufrag': 'evil', 'pwd': 'abcdefghijklmnopqrstuvwxyz',
            'candidates': cands}


def cand(addr, port, i=1):
    return 'candidate:%d 1 udp %d %s %d typ host' % (i, 2130706431 - i, addr, port)


def deep():
    return ('{"type":"answer","x":' + '[' * 4000 + ']' * 4000 + '}').encode()


# kind -> (what to send after the welcome, error code, words in its message, close code)
def forty(ws):
    ws.send(answer([cand('127.0.9.%d' % (i + 1), 9, i) for i in range(40)]))


ATTACKS = {
    'valid JSON without a type':
        (lambda ws: ws.send({'hello': 'there'}), 'bad-request', 'no "type"', 1008),
    'valid JSON of no protocol type':
        (lambda ws: ws.send({'type': 'nonsense'}), 'bad-request', 'unexpected message', 1008),
    'a binary frame':
        (lambda ws: ws.frame(2, b'\x00\x01binary'), 'bad-request', 'text messages only', 1003),
    'a 17 KiB message':
        (lambda ws: ws.frame(1, b'{"type":"answer","x":"' + b'a' * 17000 + b'"}'),
         'bad-request', 'too big', 1009),
    'JSON nested 4000 deep':
        (lambda ws: ws.frame(1, deep()), 'bad-request', 'nests deeper than 8', 1008),
    '40 candidates': (forty, 'bad-request', 'more than 32 candidates', 1008),
    'invalid UTF-8 in a text frame':
        (lambda ws: ws.frame(1, b'{"type":"\xff\xfe"}'), None, None, 1007),
    'a close frame of its own':
        (lambda ws: ws.frame(8, struct.pack('!H', 1000)), None, None, 1000),
}


def after_welcome(rounds):
    """Each attack once per round, each from a session of its own token: more
    sessions than the cap, so a slot that does not come back shows."""
    n = 0
    for r in range(rounds):
        for kind, (send, code, words, close_code) in ATTACKS.items():
            n += 1
            ws, w = session('aw%d' % n)
            if not is_welcome(w):
                check('round %d, %s: welcome first (got %r)' % (r + 1, kind, w), False)
                ws.close()
                continue
            send(ws)
            got = ws.until_close()
            errs = errors_of(got)
            if code is None:
                ok = close_of(got) == close_code and not errs
                check('round %d, %s: close %d (got %r)' % (r + 1, kind, close_code, got), ok)
            else:
                ok = (len(errs) == 1 and errs[0].get('code') == code
                      and words in errs[0].get('message', '') and close_of(got) == close_code)
                check('round %d, %s: error %s "...%s..." and close %d (got %r)'
                      % (r + 1, kind, code, words, close_code, [str(m)[:90] for m in got]), ok)
            ws.close()
    # Every slot is back: ARG sessions open at once (4 per token).
    time.sleep(0.5)
    held, ok = [], 0
    for i in range(int(ARG or 15)):
        ws, w = session('after%d' % (i // 4))
        held.append(ws)
        ok += is_welcome(w)
    check('after %d attacks, all %d slots open again (%d welcomes)' % (n, len(held), ok),
          ok == len(held))
    for ws in held:
        ws.close()


def token_share():
    """One token, many sessions: its share (4) is served, the rest busy; the
    held ones are told when their lifetime ends; then the share is free."""
    held, busy, other = [], 0, []
    for i in range(20):
        ws, m = session('one-token-many')
        if is_welcome(m):
            held.append(ws)
            continue
        got = [m] + ws.until_close(3)
        e = errors_of(got)
        if (e and e[0].get('code') == 'busy' and 'token' in e[0].get('message', '')
                and close_of(got) == 1013):
            busy += 1
        else:
            other.append(got)
        ws.close()
    check('20 sessions with one token: 4 (the share) get a welcome (%d)' % len(held),
          len(held) == 4)
    check('the others: error busy naming the token, close 1013 (%d, other %r)' % (busy, other[:2]),
          busy == 20 - len(held) and not other)
    byes = []
    for ws in held:
        got = ws.until_close(int(ARG or 12))
        byes.append(byes_of(got) == ['lifetime'] and close_of(got) == 1000)
        ws.close()
    check('the held sessions end at their lifetime: bye lifetime, close 1000 (%d of %d)'
          % (sum(byes), len(byes)), all(byes) and byes)


def stun_username(data):
    """The USERNAME (RFC 8489 14.3) of a STUN message, or None."""
    if len(data) < 20 or data[0] >= 2:
        return None
    i = 20
    while i + 4 <= len(data):
        t, n = struct.unpack('!HH', data[i:i + 4])
        if t == 0x0006:
            return data[i + 4:i + 4 + n].decode(errors='replace')
        i += 4 + (n + 3) // 4 * 4
    return None


def foreign(nsessions):
    """nsessions sessions (4 per token), each answering with 30 candidates at
    127.0.9.N and one at the client's own address: count the checks each
    (session, address) receives. A session's checks carry its ufrag
    (RFC 8445 7.2.2: USERNAME is the peer's ufrag, a colon, the sender's)."""
    src = next(sources)
    socks = {}
    own = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    own.bind((src, 0))
    port = own.getsockname()[1]
    for i in range(30):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.9.%d' % (i + 1), port))
        socks[s] = '127.0.9.%d' % (i + 1)
    socks[own] = src
    others = sorted(set(socks.values()) - {src}, key=lambda a: int(a.split('.')[-1]))
    held, v4, t_start = [], 0, time.time()
    for k in range(nsessions):
        ws, w = session('foreign%d' % (k // 4), src)
        if not is_welcome(w):
            check('foreign session %d: welcome (got %r)' % (k + 1, w), False)
            ws.close()
            continue
        v4 = max(v4, len([c for c in w.get('candidates', []) if '.' in c.split()[4]]))
        a = answer([cand(src, port, 1)]
                   + [cand(addr, port, i + 2) for i, addr in enumerate(others)])
        a['ufrag'] = 'evil%02d' % k
        ws.send(a)
        held.append(ws)
    t_answers = time.time()
    pairs, own_checks, times, end = {}, 0, [], time.time() + float(ARG or 6)
    while time.time() < end:
        r, _, _ = select.select(list(socks), [], [], 0.1)
        for s in r:
            data, frm = s.recvfrom(2048)
            user = stun_username(data)
            if user is None:
                continue
            if socks[s] == src:
                own_checks += 1
                continue
            key = (user.split(':')[0], socks[s])
            pairs[key] = pairs.get(key, 0) + 1
            times.append(time.time())
    per_session = {}
    for (ufrag, addr) in pairs:
        per_session[ufrag] = per_session.get(ufrag, 0) + 1
    total = sum(pairs.values())
    peak = max((sum(1 for u in times if t <= u < t + 1) for t in times), default=0)
    bound = 32 + 16 * (t_answers - t_start + 1)
    print('# %d sessions: own address %d checks; %d (session, foreign address) pairs checked, '
          'at most %d in one session; %d foreign checks, peak %d/s; %d local IPv4 candidates'
          % (len(held), own_checks, len(pairs), max(per_session.values(), default=0), total,
             peak, v4), flush=True)
    check('foreign: the client\'s own address is checked (%d checks)' % own_checks, own_checks > 0)
    check('foreign: at most 8 other addresses per session get checks (%s)'
          % sorted(per_session.values()), all(n <= 8 for n in per_session.values()))
    check('foreign: at most 5 transmissions per pair and local candidate (max %d)'
          % max(pairs.values(), default=0), all(n <= 5 * max(1, v4) for n in pairs.values()))
    check('foreign: pairs within the budget of 32 + 16/s (%d <= %.0f)' % (len(pairs), bound),
          len(pairs) <= bound)
    check('foreign: at most 100 checks a second to other addresses (peak %d)' % peak, peak <= 100)
    for ws in held:
        ws.close()
    for s in socks:
        s.close()


def silent():
    """Five clients that never say hello: each is told (error timeout), then closed."""
    conns, t0 = [Ws() for _ in range(5)], time.time()
    hello_timeout = float(ARG or 2)
    for i, ws in enumerate(conns):
        got = ws.until_close(hello_timeout + 3)
        e = errors_of(got)
        ok = (e and e[0].get('code') == 'timeout' and close_of(got) == 1008
              and time.time() - t0 < hello_timeout + 1.5)
        check('no hello %d: error timeout, close 1008 within hello_timeout + 1.5 s (%.1f s, got %r)'
              % (i + 1, time.time() - t0, got), bool(ok))
        ws.close()


def hold_for_shutdown():
    """Three sessions open when SIGTERM comes: bye shutdown, close 1001."""
    held = []
    for i in range(3):
        ws, w = session('shutdown%d' % i)
        if is_welcome(w):
            held.append(ws)
    check('3 sessions held for the shutdown (%d)' % len(held), len(held) == 3)
    print('ready', flush=True)
    for i, ws in enumerate(held):
        got = ws.until_close(float(ARG or 15))
        ok = byes_of(got) == ['shutdown'] and close_of(got) == 1001
        check('shutdown %d: bye shutdown, close 1001 (got %r)' % (i + 1, got), ok)
        ws.close()


def load_sessions():
    """Load sessions (hello with streams, max_load_streams = 8 here): a bad
    count is bad-request, more than allowed is load-limit, an allowed one
    gets one distinct SSID a stream and no ICE; an answer to it (it has no
    agent) and every attack after its welcome end it with an error, and
    its slot comes back."""
    def hello(name, streams):
        ws = Ws()
        u, t = token(name)
        ws.send({'type': 'hello', 'version': 1, 'username': u, 'token': t, 'streams': streams})
        return ws
    for streams, code in ((0, 'bad-request'), (-3, 'bad-request'), ('8', 'bad-request'),
                          (2.5, 'bad-request'), (2001, 'bad-request'), (9, 'load-limit')):
        ws = hello('ls%s' % streams, streams)
        got = ws.until_close()
        errs = errors_of(got)
        check('hello with streams %r: error %s, close 1008 (got %r)' % (streams, code, got),
              len(errs) == 1 and errs[0].get('code') == code and close_of(got) == 1008)
        ws.close()
    ws = hello('load8', 8)
    w = ws.recv(10)
    ssids = w.get('load', {}).get('ssids', []) if is_welcome(w) else []
    check('8 streams: a welcome with 8 distinct SSIDs, the first its ssid, no ICE (got %r)'
          % str(w)[:120],
          len(set(ssids)) == 8 and all(1 <= x <= 65535 for x in ssids) and w.get('ssid') == ssids[0]
          and 'ufrag' not in w and not w.get('candidates'))
    ws.send(answer([cand('127.0.0.1', 9)]))
    got = ws.until_close()
    errs = errors_of(got)
    check('an answer to a load session: bad-request, close 1008 (got %r)' % got,
          len(errs) == 1 and errs[0].get('code') == 'bad-request' and close_of(got) == 1008)
    ws.close()
    n = 0
    for kind, (send, code, words, close_code) in ATTACKS.items():
        n += 1
        ws = hello('lw%d' % n, 8)
        if not is_welcome(ws.recv(10)):
            check('load, %s: welcome first' % kind, False)
            continue
        send(ws)
        got = ws.until_close()
        check('load, %s: closed %s (got %r)' % (kind, close_code, [str(m)[:60] for m in got]),
              close_of(got) == close_code)
        ws.close()
    time.sleep(0.5)
    held, ok = [], 0
    for i in range(int(ARG or 15)):
        ws = hello('lafter%d' % (i // 4), 8)
        held.append(ws)
        ok += is_welcome(ws.recv(10))
    check('after the load attacks, all %d slots open again as load sessions (%d welcomes)'
          % (len(held), ok), ok == len(held))
    for ws in held:
        ws.close()


MODES = {'after-welcome': lambda: after_welcome(3), 'token-share': token_share, 'load': load_sessions,
         'foreign': lambda: foreign(1), 'foreign-many': lambda: foreign(12),
         'silent': silent, 'hold': hold_for_shutdown}
MODES[MODE]()
print('attacker: %d failed' % fails, flush=True)
sys.exit(1 if fails else 0)
