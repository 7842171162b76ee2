#!/usr/bin/env python3
"""A tester's browser gone bad against `rtcprobe serve` (reflector-tester.h),
with invites made from the reflector's secret (tests/lab/tester-chromium.py's
client and invite maker). One run, every attack after the other, each with
what the reflector must answer:
  - 300 forged and 100 damaged invites on fresh connections: error "invite"
    each, never a tester-welcome;
  - one invite of 3 uses presented 6 times at once: 3 welcomes (its share
    of max_sessions_per_token holds 3), the rest "invite" (used up) or
    "busy", never more than 3 welcomes;
  - in one session: 8 offers of garbage SDP (each peer-state failed), then
    a 9th: peer-state failed "as many peers as it may"; a fresh session:
    2 real offers (Chromium's) that stay live, a 3rd: failed "close a peer
    connection"; 200 candidates at addresses other than ours for a live pc
    (accepted without error, the reflector checks at most 8), then 5 relay
    candidates on the configured TURN server (all checked);
  - timings of 401 rows: error bad-request and the close; result twice: the
    second is bad-request; a candidate for an unknown pc and a close of
    one: ignored (the session lives on: a ping still gets its pong).
Prints "ok - ..."/"FAIL - ..." lines, then "attacker: done".

  reflector-tester-attacker.py WS_PORT SECRET_FILE OFFER_SDP
"""
import importlib.util
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    'tester_chromium', os.path.join(HERE, '..', 'lab', 'tester-chromium.py'))
tc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tc)


def ok(what, cond, detail=''):
    print(('ok   - ' if cond else 'FAIL - ') + what + ('' if cond else ': ' + detail), flush=True)


def until(ws, pred, limit=10.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        m = ws.recv()
        if m is None or (isinstance(m, tuple) and m[0] == 'close'):
            return m
        if pred(m):
            return m
    return None


def forged(port, secret):
    now, welcomed, refused = int(time.time()), 0, 0
    for i in range(400):
        inv = tc.invite(b'not the secret', now + 600) if i < 300 else \
            tc.invite(secret, now + 600)[:-(1 + i % 7)]
        try:
            ws, first, _ = tc.hello(port, inv)
            ws.s.close()
        except Exception:
            continue
        if isinstance(first, dict):
            welcomed += first.get('type') == 'tester-welcome'
            refused += first.get('code') == 'invite'
    ok('400 forged or damaged invites: no tester-welcome (%d refused with "invite")' % refused,
       welcomed == 0 and refused >= 350, 'welcomed %d' % welcomed)


def replay(port, secret):
    inv = tc.invite(secret, int(time.time()) + 600, uses=3)
    held, answers = [], []
    for _ in range(6):
        ws, first, _ = tc.hello(port, inv)
        held.append(ws)
        answers.append(first.get('type') if first.get('type') != 'error' else first.get('code'))
    ok('one 3-use invite 6 times at once: 3 welcomes, the rest refused (%s)' % answers,
       answers.count('tester-welcome') == 3
       and all(a in ('tester-welcome', 'invite', 'busy') for a in answers))
    for ws in held:
        ws.s.close()


def peers(port, secret, offer):
    ws, first, _ = tc.hello(port, tc.invite(secret, int(time.time()) + 600, uses=5))
    fails = []
    for pc in range(1, 9):
        ws.send({'type': 'offer', 'pc': pc, 'sdp': 'v=0\r\nnot an offer\r\n'})
        m = until(ws, lambda m: m.get('type') == 'peer-state' and m.get('pc') == pc)
        fails.append(isinstance(m, dict) and m.get('state') == 'failed')
    ws.send({'type': 'offer', 'pc': 9, 'sdp': offer})
    m = until(ws, lambda m: m.get('type') == 'peer-state' and m.get('pc') == 9)
    ok('8 garbage offers each fail; a 9th peer is refused ("as many peers as it may")',
       all(fails) and isinstance(m, dict) and 'as many peers' in (m.get('reason') or ''),
       '%r %r' % (fails, m))
    ws.s.close()
    ws, first, _ = tc.hello(port, tc.invite(secret, int(time.time()) + 600))
    answers = []
    for pc in (1, 2):
        ws.send({'type': 'offer', 'pc': pc, 'sdp': offer})
        answers.append(until(ws, lambda m: m.get('type') == 'answer' and m.get('pc') == pc))
    ws.send({'type': 'offer', 'pc': 3, 'sdp': offer})
    m = until(ws, lambda m: m.get('type') == 'peer-state' and m.get('pc') == 3)
    ok('2 live peers answered; a 3rd at once is refused ("close a peer connection")',
       all(isinstance(a, dict) for a in answers) and isinstance(m, dict)
       and 'close a peer connection' in (m.get('reason') or ''), '%r' % m)
    for i in range(200):
        ws.send({'type': 'candidate', 'pc': 1, 'candidate':
                 'candidate:%d 1 udp 2122260223 127.0.9.%d %d typ host' % (i, 1 + i % 200,
                                                                           40000 + i)})
    # Relay candidates on the deployment's TURN server (127.0.0.2 here) are
    # where a browser's relayed path ends: never charged to that bound.
    for i in range(5):
        ws.send({'type': 'candidate', 'pc': 1, 'candidate':
                 'candidate:%d 1 udp 16777215 127.0.0.2 %d typ relay raddr 127.0.0.1 rport 9'
                 % (300 + i, 50000 + i)})
    ws.send({'type': 'candidate', 'pc': 42, 'candidate': None})
    ws.send({'type': 'close', 'pc': 43})
    ws.send({'type': 'ping', 't': 7})
    m = until(ws, lambda m: m.get('type') == 'pong')
    ok('200 foreign candidates, a candidate and a close for unknown pcs: the session lives on',
       isinstance(m, dict) and m.get('t') == 7, repr(m))
    ws.s.close()


def measured(port, secret):
    ws, first, _ = tc.hello(port, tc.invite(secret, int(time.time()) + 600))
    ws.send({'type': 'timings', 'id': 'voice.ice', 'sent': list(range(401)), 'replies': []})
    m = until(ws, lambda m: m.get('type') == 'error')
    ok('timings of 401 rows: error bad-request', isinstance(m, dict)
       and m.get('code') == 'bad-request', repr(m))
    ws.s.close()
    ws, first, _ = tc.hello(port, tc.invite(secret, int(time.time()) + 600))
    result = {'type': 'result', 'ws': {}, 'gather': [], 'ice': []}
    ws.send(result)
    r1 = until(ws, lambda m: m.get('type') in ('report', 'error'))
    ws.send(result)
    r2 = until(ws, lambda m: m.get('type') == 'error')
    ok('result: a report (verdict "%s"); the same result again: bad-request'
       % (r1.get('verdict') if isinstance(r1, dict) else None),
       isinstance(r1, dict) and r1.get('type') == 'report' and isinstance(r2, dict)
       and r2.get('code') == 'bad-request', '%r %r' % (r1, r2))
    ws.s.close()


def main():
    port, secret = int(sys.argv[1]), open(sys.argv[2], 'rb').read().strip()
    offer = open(sys.argv[3]).read()
    for attack in (forged, replay, lambda p, s: peers(p, s, offer), measured):
        try:
            attack(port, secret)
        except Exception as e:
            ok('the attack ran to its end', False, repr(e)[:300])
    print('attacker: done', flush=True)


if __name__ == '__main__':
    main()
