#!/usr/bin/env python3
"""A tester's browser against `rtcprobe serve` (reflector-tester.h).

First, a small websocket client of our own (stdlib) with invites made here
from the reflector's secret (base64url payload, HMAC-SHA-256 over
"rtcprobe-invite\\n" + payload):
  expired, forged, damaged: error {code: "invite"} with one sentence that
    says why, then the close; no tester-welcome, so no TURN credentials;
  valid, 1 use: tester-welcome with one RTCIceServer per configured TURN
    URI, REST credentials expiring within turn_ttl; the same invite again:
    error "invite", used up.
Then headless Chromium (DevTools protocol over --remote-debugging-pipe, as
webrtc-chromium.py) on a blank page opens the websocket itself with a fresh
invite and, for each scenario, an RTCPeerConnection that offers a voice
channel (ordered: false, maxRetransmits: 0) to the reflector:
  all        every candidate (iceServers from the welcome);
  relay-udp  iceTransportPolicy relay through the TURN over UDP URI only;
  relay-tcp  the same through TURN over TCP.
Each must connect, and 50 voice test messages of 120 octets every 20 ms
must come back as 50 replies as long as their requests, with the
reflector's counters; relay scenarios must select a relay candidate.
Loopback only.

  tester-chromium.py CHROMIUM WORKDIR WS_PORT SECRET_FILE N_TURN   exit 0 pass, 1 fail
"""
import base64
import hashlib
import hmac
import importlib.util
import json
import os
import socket
import struct
import subprocess
import sys
import time

# The DevTools pipe, Chromium's flags and pages: webrtc-chromium.py's.
_spec = importlib.util.spec_from_file_location(
    'webrtc_chromium', os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    'webrtc-chromium.py'))
_wc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_wc)
Fail, new_page, Pipe = _wc.Fail, _wc.new_page, _wc.Pipe


def start_chromium(chromium, workdir, extra=()):
    """webrtc-chromium.py's flags, with the reflector's address (TESTER_HOST,
    default 127.0.0.1) kept out of the resolver rule (which also maps IP
    literals) so that the page reaches it; every host name still resolves
    to nothing."""
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()

    def child_fds():
        a, b = os.dup(to_r), os.dup(from_w)
        os.dup2(a, 3)
        os.dup2(b, 4)

    args = [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe',
            '--no-first-run', '--disable-background-networking', '--disable-component-update',
            '--disable-sync', '--disable-default-apps', '--no-pings', '--disable-quic',
            '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE '
            + os.environ.get('TESTER_HOST', '127.0.0.1'),
            '--allow-loopback-in-peer-connection',
            '--disable-features=WebRtcHideLocalIpsWithMdns',
            '--user-data-dir=' + os.path.join(workdir, 'profile')] + list(extra) + ['about:blank']
    log = open(os.path.join(workdir, 'chromium.log'), 'wb')
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            preexec_fn=child_fds, pass_fds=(3, 4))
    os.close(to_r)
    os.close(from_w)
    return proc, Pipe(from_r, to_w)

CHECKS = [0, 0]


def check(what, ok, detail=''):
    CHECKS[0] += 1
    if not ok:
        CHECKS[1] += 1
    print(('ok   - ' if ok else 'FAIL - ') + what + ('' if ok or not detail else ': ' + detail),
          flush=True)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def invite(secret, expiry, uses=1, label='lab tester', ident=None):
    ident = ident or os.urandom(8).hex()
    payload = ('1:%d:%d:%s:%s' % (expiry, uses, ident, label)).encode()
    mac = hmac.new(secret, b'rtcprobe-invite\n' + payload, hashlib.sha256).digest()
    return b64url(payload) + '.' + b64url(mac)


class Ws:
    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(('GET /rtcprobe HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n'
                        'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
                        'Sec-WebSocket-Version: 13\r\n\r\n' % (port, key)).encode())
        head = b''
        while b'\r\n\r\n' not in head:
            b = self.s.recv(1)
            if not b:
                raise Fail('closed during upgrade')
            head += b
        if not head.startswith(b'HTTP/1.1 101'):
            raise Fail(head.split(b'\r\n')[0].decode())

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
        try:
            b0, b1 = self._n(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack('!H', self._n(2))[0]
            body = self._n(n)
        except (ConnectionError, socket.timeout, OSError):
            return None
        if b0 & 0x0f == 8:
            return ('close', struct.unpack('!H', body[:2])[0] if len(body) >= 2 else 0)
        return json.loads(body)


def hello(port, inv):
    ws = Ws(port)
    ws.send({'type': 'tester', 'version': 1, 'invite': inv})
    first = ws.recv()
    second = ws.recv() if isinstance(first, dict) and first.get('type') == 'error' else None
    return ws, first, second


def protocol(port, secret, n_turn):
    now = int(time.time())
    for name, inv, word in [('expired', invite(secret, now - 5), 'expired'),
                            ('forged', invite(b'not the reflector secret', now + 600),
                             'not made by this server'),
                            ('damaged', invite(secret, now + 600)[:-3], 'incomplete or damaged')]:
        _, first, second = hello(port, inv)
        check('%s invite: error "invite" saying "%s", then the close' % (name, word),
              isinstance(first, dict) and first.get('code') == 'invite'
              and word in first.get('message', '') and second == ('close', 1008),
              '%r %r' % (first, second))
    inv = invite(secret, now + 600)
    ws, first, _ = hello(port, inv)
    ok = isinstance(first, dict) and first.get('type') == 'tester-welcome'
    check('valid invite: tester-welcome with the label', ok and first.get('label') == 'lab tester',
          repr(first)[:300])
    servers = first.get('ice_servers', []) if ok else []
    expiries = [int(s['username'].split(':')[0]) for s in servers]
    check('one RTCIceServer per TURN URI, REST credentials for minutes (<= 300 s)',
          len(servers) == n_turn and all(0 < e - now <= 302 for e in expiries)
          and all(s.get('credential') for s in servers), json.dumps(servers)[:300])
    ws.send({'type': 'bye', 'reason': 'done'})
    _, first, second = hello(port, inv)
    check('the same one-use invite again: error "invite", used up',
          isinstance(first, dict) and first.get('code') == 'invite'
          and 'used as often' in first.get('message', ''), repr(first))


PAGE_OPEN = r'''
(async () => {
  const T = window.T = {msgs: [], welcome: null, error: null};
  const ws = T.ws = new WebSocket('ws://127.0.0.1:%(port)d/rtcprobe');
  T.waiters = [];
  ws.onmessage = e => {
    const m = JSON.parse(e.data);
    if (m.type === 'tester-welcome') T.welcome = m;
    else if (m.type === 'error') T.error = m;
    else T.msgs.push(m);
  };
  await new Promise((ok, ko) => { ws.onopen = ok; ws.onerror = () => ko('websocket error'); });
  ws.send(JSON.stringify({type: 'tester', version: 1, invite: '%(invite)s'}));
  const end = performance.now() + 5000;
  while (!T.welcome && !T.error && performance.now() < end)
    await new Promise(r => setTimeout(r, 20));
  return {welcome: T.welcome, error: T.error};
})()
'''

PAGE_RUN = r'''
(async () => {
  const T = window.T, ws = T.ws, n = %(pc)d, N = 50, LEN = 120;
  const servers = T.welcome.ice_servers.filter(s => %(filter)s);
  const pc = new RTCPeerConnection({iceServers: servers, iceTransportPolicy: '%(policy)s'});
  const replies = [];
  pc.onicecandidate = e => ws.send(JSON.stringify({type: 'candidate', pc: n,
    candidate: e.candidate && e.candidate.candidate ? e.candidate.candidate : null}));
  const v = pc.createDataChannel('voice', {ordered: false, maxRetransmits: 0});
  v.binaryType = 'arraybuffer';
  v.onmessage = m => replies.push(new Uint8Array(m.data));
  await pc.setLocalDescription(await pc.createOffer());
  ws.send(JSON.stringify({type: 'offer', pc: n, sdp: pc.localDescription.sdp}));
  let end = performance.now() + 15000, seen = 0;
  while (v.readyState !== 'open' && performance.now() < end) {
    for (; seen < T.msgs.length; seen++) {
      const m = T.msgs[seen];
      if (m.pc !== n) continue;
      if (m.type === 'answer') await pc.setRemoteDescription({type: 'answer', sdp: m.sdp});
      else if (m.type === 'candidate' && m.candidate)
        await pc.addIceCandidate({candidate: m.candidate, sdpMid: '0'});
    }
    await new Promise(r => setTimeout(r, 10));
  }
  if (v.readyState !== 'open')
    return {open: false, states: T.msgs.filter(m => m.pc === n && m.type === 'peer-state')};
  const t0 = performance.timeOrigin;
  for (let i = 0; i < N; i++) {
    const b = new ArrayBuffer(LEN), d = new DataView(b);
    d.setUint8(0, 1); d.setUint8(1, 1); d.setUint32(4, i);
    d.setBigUint64(8, BigInt(Math.round((t0 + performance.now()) * 1000)));
    v.send(b);
    await new Promise(r => setTimeout(r, 20));
  }
  end = performance.now() + 3000;
  while (replies.length < N && performance.now() < end) await new Promise(r => setTimeout(r, 20));
  let local = null;
  (await pc.getStats()).forEach(s => {
    if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated)
      local = s.localCandidateId;
  });
  let localType = null;
  (await pc.getStats()).forEach(s => { if (s.id === local) localType = s.candidateType; });
  pc.close();
  ws.send(JSON.stringify({type: 'close', pc: n}));
  return {open: true, localType: localType, replies: replies.map(u => {
    const d = new DataView(u.buffer);
    return {len: u.length, type: d.getUint8(1), seq: d.getUint32(4), received: d.getUint32(36)};
  })};
})()
'''


def browser(chromium, workdir, port, secret):
    proc, page = start_chromium(chromium, workdir)
    try:
        new_page(page)
        res = page.js(PAGE_OPEN % {'port': port, 'invite': invite(secret, int(time.time()) + 600,
                                                                  uses=2, label='chromium')})
        check('Chromium: tester-welcome over its own websocket', bool(res and res.get('welcome')),
              repr(res)[:300])
        scenarios = [(1, 'all', 'true', 'all'),
                     (2, 'relay-udp', "s.urls[0].endsWith('transport=udp')", 'relay'),
                     (3, 'relay-tcp', "s.urls[0].endsWith('transport=tcp')", 'relay')]
        for pc, name, flt, policy in scenarios:
            r = page.js(PAGE_RUN % {'pc': pc, 'filter': flt, 'policy': policy}, timeout=40)
            reps = r.get('replies', []) if r else []
            check('%s: the voice channel opens' % name, bool(r and r.get('open')), repr(r)[:400])
            check('%s: 50 replies, each as long as its request (120), counters 1..50' % name,
                  len(reps) == 50 and all(x['len'] == 120 and x['type'] == 2 for x in reps)
                  and sorted(x['received'] for x in reps) == list(range(1, 51)),
                  '%d replies' % len(reps))
            if policy == 'relay':
                check('%s: the selected pair is relayed on the page\'s side' % name,
                      r and r.get('localType') == 'relay', repr(r and r.get('localType')))
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except Exception:
            proc.kill()
            proc.wait()


PAGE_STATE = r'''
({progress: document.getElementById('progress').textContent,
  verdict: document.getElementById('verdict').textContent,
  hint: document.getElementById('hint').textContent,
  tell: document.getElementById('tell').textContent,
  report: typeof report === 'undefined' || !report ? null : report.report,
  bytes: document.documentElement.outerHTML.length})
'''


def page_run(chromium, workdir, url, spki, shot):
    """The page itself, as a tester opens it: the link in a phone-sized
    window until the verdict; returns what the page shows and the time."""
    extra = ['--ignore-certificate-errors-spki-list=' + spki] if spki else []
    proc, page = start_chromium(chromium, workdir, extra)
    try:
        new_page(page)
        page.call('Emulation.setDeviceMetricsOverride',
                  {'width': 360, 'height': 740, 'deviceScaleFactor': 1, 'mobile': True})
        t0 = time.monotonic()
        page.call('Page.navigate', {'url': url})
        got = None
        while time.monotonic() - t0 < 100:
            time.sleep(0.5)
            try:
                got = page.js(PAGE_STATE)
            except Fail:
                continue
            if got and got['progress'] in ('Done.', '') and got['verdict']:
                break
        took = time.monotonic() - t0
        print('# page: %r in %.1f s' % (got and got.get('verdict'), took), flush=True)
        if shot:
            png = page.call('Page.captureScreenshot', {'format': 'png'})['data']
            with open(shot, 'wb') as f:
                f.write(base64.b64decode(png))
            print('# screenshot (360x740): %s' % shot, flush=True)
        return got, took
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except Exception:
            proc.kill()
            proc.wait()


def checks_by_id(report):
    return {c['id']: c for c in (report or {}).get('checks', [])}


def metric(c, name):
    return (c or {}).get('metrics', {}).get(name)


def statuses(by):
    return json.dumps({i: c['status'] for i, c in by.items()})


def page_scenario(chromium, workdir, secret, url, spki, shot, scenario):
    expiry = int(time.time()) + (600 if scenario != 'expired' else -60)
    inv = invite(secret, expiry, label='page ' + scenario)
    got, took = page_run(chromium, workdir, url + '#' + inv, spki, shot)
    got = got or {}
    verdict, report = got.get('verdict', ''), got.get('report')
    by = checks_by_id(report)
    if scenario == 'noupgrade':
        check('noupgrade: the page names the proxy that drops the upgrade, and no report',
              'proxy does not pass websockets' in verdict and 'Upgrade' in verdict
              and report is None, repr(got)[:300])
        return
    if scenario == 'store-locked':
        check('store-locked: the page says the reflector could not keep the result, no report',
              'could not keep this result (503)' in got.get('verdict', '') + got.get('hint', '')
              and report is None, repr(got)[:300])
        return
    if os.environ.get('TESTER_REPORT_OUT') and report:
        with open(os.environ['TESTER_REPORT_OUT'], 'w') as f:
            json.dump(report, f)
    if scenario == 'expired':
        check('expired: the page says so in one sentence and shows no report',
              verdict == 'This test link has expired: ask the team for a new one.'
              and report is None, repr(got)[:300])
        return
    check('%s: the page reached a verdict (%.1f s from opening the link)' % (scenario, took),
          bool(report) and got.get('progress') == 'Done.', repr(got)[:400])
    check('%s: the page says what to tell the team and that the team has it' % scenario,
          'Tell the team' in got.get('tell', '') and 'has received' in got.get('tell', ''))
    if scenario == 'open':
        check('open: the verdict is "Voice works from here."', verdict == 'Voice works from here.',
              verdict)
        ice = [c for i, c in by.items() if i.startswith('ice.')]
        check('open: every path connects (ws, each gathering, ice.reflector, each relay)',
              by.get('ws.reflector', {}).get('status') == 'pass' and len(ice) >= 5
              and all(c['status'] == 'pass' for c in ice), statuses(by))
        v = by.get('voice.ice')
        check('open: voice.ice lost nothing in either direction',
              v is not None and metric(v, 'loss_pct') == 0 and metric(v, 'loss_pct_fwd') == 0
              and metric(v, 'loss_pct_bwd') == 0, json.dumps(v and v.get('metrics'))[:300])
        # Between namespaces on one host the browser's own hops (page thread,
        # network thread, its SCTP and DTLS) make most of the RTT: 0.5 to 1.4
        # ms at p50 from run to run, and the same with an older reflector build.
        # Under 2 ms still tells a path without a timer in it (a reflector
        # that answered on a tick, or the page's 4 ms clamped timers) and a
        # figure finer than whole milliseconds.
        p50 = metric(v, 'rtt_ms_p50')
        check('open: voice.ice RTT p50 under 2 ms between namespaces, not whole ms (%s ms)'
              % p50, p50 is not None and 0 < p50 < 2.0 and p50 != round(p50))
        check('open: a stream through the relay too (voice.turn.udp), nothing lost',
              metric(by.get('voice.turn.udp'), 'loss_pct') == 0,
              json.dumps(by.get('voice.turn.udp', {}).get('summary')))
        check('the page weighs under 100 KB (%d octets)' % got.get('bytes', 0),
              0 < got.get('bytes', 0) < 100 * 1024)
    elif scenario == 'loss-fwd':
        v = by.get('voice.ice') or {}
        sent = (v.get('details') or {}).get('packets_sent') or 0
        fwd, bwd = metric(v, 'loss_pct_fwd'), metric(v, 'loss_pct_bwd')
        sigma = 100 * (0.1 * 0.9 / sent) ** 0.5 if sent else 0
        check('loss-fwd: voice.ice forward loss %s %% of %d within 10 +- %.1f (3 sigma)'
              % (fwd, sent, 3 * sigma), sent >= 200 and fwd is not None
              and abs(fwd - 10) <= 3 * sigma, json.dumps(v.get('metrics'))[:300])
        check('loss-fwd: nothing lost backward (%s %%)' % bwd, bwd is not None and bwd <= 1.0)
    elif scenario == 'udp-blocked':
        check('udp-blocked: the verdict: only TURN over TCP/TLS, this network blocks UDP',
              verdict.startswith('Voice works from here only through TURN over TCP')
              and verdict.endswith('this network blocks UDP.'), verdict)
        check('udp-blocked: ice.udp fails, ice.tcp connects',
              by.get('ice.udp', {}).get('status') == 'fail'
              and by.get('ice.tcp', {}).get('status') == 'pass', statuses(by))
        check('udp-blocked: the voice stream ran through the relay over TCP or TLS',
              any(i in by for i in ('voice.turn.tcp', 'voice.turn.tls')), json.dumps(list(by)))


def main():
    chromium, workdir, port, secret_file, n_turn = sys.argv[1:6]
    secret = open(secret_file, 'rb').read().strip()
    mode = os.environ.get('TESTER_MODE', 'protocol')
    try:
        if mode == 'protocol':
            protocol(int(port), secret, int(n_turn))
            browser(chromium, workdir, int(port), secret)
        else:
            page_scenario(chromium, workdir, secret, os.environ['TESTER_PAGE_URL'],
                          os.environ.get('TESTER_SPKI', ''), os.environ.get('TESTER_SHOT', ''),
                          mode)
    except Fail as e:
        check('the run reached its end', False, str(e))
    print('%d passed, %d failed' % (CHECKS[0] - CHECKS[1], CHECKS[1]))
    return 1 if CHECKS[1] else 0


if __name__ == '__main__':
    sys.exit(main())
