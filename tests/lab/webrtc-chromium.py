#!/usr/bin/env python3
"""WebRTC between headless Chromium and our peer (tests/lab/webrtc-echo).

Three scenarios, each with a fresh page and a fresh webrtc-echo:
  browser-offers     the page offers (below), our peer answers;
  we-offer           our peer offers, the page answers a=setup:active; the
                     channel our peer opens brings "hello" and echoes "ping";
  wrong-fingerprint  the page's offer reaches our peer with one hex digit of
                     its fingerprint changed: DTLS must fail with the
                     fingerprint named, and no channel may open.
  relay              (when WEBRTC_TURN=IP:PORT, WEBRTC_TURN_USER and
                     WEBRTC_TURN_PASSWORD_FILE name a TURN server) both sides
                     relay-only: the page's selected pair is relay to relay
                     and our relay candidates are trickled after the answer.
Each ends with webrtc-echo exiting cleanly at the end of its input.

In browser-offers, a blank page makes an RTCPeerConnection with two data channels, "ordered"
(reliable, ordered) and "voice" (ordered: false, maxRetransmits: 0), and
offers; this driver carries the offer, the answer and the trickled
candidates both ways between the page (DevTools protocol over
--remote-debugging-pipe) and webrtc-echo (JSON lines on its stdin/stdout).
Then the page sends 50 text messages on "ordered" (and one empty message),
which must come back complete and in order, and 50 voice test messages of
160 octets every 20 ms on "voice", whose replies must be as long as the
requests, echo their sequence numbers and carry the reflector's counters.
The channel "server" that webrtc-echo opens must reach the page with its
"hello". Last, the page closes "ordered" and both sides must see it
closed. Loopback only: Chromium may use the loopback interface
(--allow-loopback-in-peer-connection) and shows its addresses instead of
mDNS names; every host name resolves to nothing.

  webrtc-chromium.py CHROMIUM ECHO WORKDIR     exit 0 pass, 1 fail
"""
import json
import os
import select
import subprocess
import sys
import time

DEADLINE_S = 60
CONNECT_S = 20


class Fail(Exception):
    pass


class Pipe:
    """DevTools protocol over --remote-debugging-pipe: NUL-ended JSON."""

    def __init__(self, rfd, wfd):
        self.rfd, self.wfd = rfd, wfd
        self.buf = b''
        self.next_id = 0
        self.session = None

    def call(self, method, params=None, timeout=20):
        self.next_id += 1
        msg = {'id': self.next_id, 'method': method, 'params': params or {}}
        if self.session and not method.startswith('Target.'):
            msg['sessionId'] = self.session
        os.write(self.wfd, json.dumps(msg).encode() + b'\0')
        end = time.monotonic() + timeout
        while True:
            while b'\0' in self.buf:
                raw, self.buf = self.buf.split(b'\0', 1)
                reply = json.loads(raw)
                if reply.get('id') == self.next_id:
                    if 'error' in reply:
                        raise Fail(f'{method}: {reply["error"]}')
                    return reply['result']
            left = end - time.monotonic()
            if left <= 0:
                raise Fail(f'{method}: no answer from Chromium within {timeout} s')
            r, _, _ = select.select([self.rfd], [], [], left)
            if r:
                chunk = os.read(self.rfd, 1 << 16)
                if not chunk:
                    raise Fail('Chromium closed the DevTools pipe')
                self.buf += chunk

    def js(self, expr, timeout=20):
        res = self.call('Runtime.evaluate', {'expression': expr, 'awaitPromise': True,
                                             'returnByValue': True}, timeout)
        if 'exceptionDetails' in res:
            raise Fail('page: ' + json.dumps(res['exceptionDetails'])[:400])
        return res['result'].get('value')


PAGE_SETUP = r'''
(async () => {
  const T = window.T = {cands: [], gathered: false, ordered: [], voice: [], server: [],
                        serverLabel: null};
  const pc = window.pc = new RTCPeerConnection(CONFIG);
  pc.onicecandidate = e => {
    if (e.candidate && e.candidate.candidate) T.cands.push(e.candidate.candidate);
    else if (!e.candidate) T.gathered = true;
  };
  T.o = pc.createDataChannel('ordered');
  T.v = pc.createDataChannel('voice', {ordered: false, maxRetransmits: 0});
  T.o.binaryType = T.v.binaryType = 'arraybuffer';
  T.o.onmessage = m => T.ordered.push(m.data);
  T.v.onmessage = m => T.voice.push(new Uint8Array(m.data));
  pc.ondatachannel = e => {
    T.serverLabel = e.channel.label;
    e.channel.onmessage = m => T.server.push(m.data);
  };
  await pc.setLocalDescription(await pc.createOffer());
  return pc.localDescription.sdp;
})()
'''

PAGE_EXCHANGE = r'''
(async () => {
  const T = window.T, N = 50, LEN = 160;
  for (let i = 0; i < N; i++) T.o.send('m' + i);
  T.o.send('');
  const t0 = performance.timeOrigin;
  for (let i = 0; i < N; i++) {
    const b = new ArrayBuffer(LEN), d = new DataView(b);
    d.setUint8(0, 1); d.setUint8(1, 1); d.setUint32(4, i);
    d.setBigUint64(8, BigInt(Math.round((t0 + performance.now()) * 1000)));
    T.v.send(b);
    await new Promise(r => setTimeout(r, 20));
  }
  const end = performance.now() + 5000;
  while (performance.now() < end && (T.ordered.length < N + 1 || T.voice.length < N))
    await new Promise(r => setTimeout(r, 20));
  const replies = T.voice.map(u => {
    const d = new DataView(u.buffer);
    return {len: u.length, version: d.getUint8(0), type: d.getUint8(1), seq: d.getUint32(4),
            recv: Number(d.getBigUint64(16)), sent: Number(d.getBigUint64(24)),
            rseq: d.getUint32(32), received: d.getUint32(36)};
  });
  return {ordered: T.ordered, replies: replies, server: T.server, serverLabel: T.serverLabel,
          voiceOrdered: T.v.ordered, voiceMaxRetransmits: T.v.maxRetransmits,
          sctpMax: window.pc.sctp ? window.pc.sctp.maxMessageSize : null};
})()
'''


def start_chromium(chromium, workdir):
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()

    def child_fds():
        a, b = os.dup(to_r), os.dup(from_w)
        os.dup2(a, 3)
        os.dup2(b, 4)

    args = [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe',
            '--no-first-run', '--disable-background-networking', '--disable-component-update',
            '--disable-sync', '--disable-default-apps', '--no-pings', '--disable-quic',
            '--host-resolver-rules=MAP * ~NOTFOUND', '--allow-loopback-in-peer-connection',
            '--disable-features=WebRtcHideLocalIpsWithMdns',
            '--user-data-dir=' + os.path.join(workdir, 'profile'), 'about:blank']
    log = open(os.path.join(workdir, 'chromium.log'), 'wb')
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            preexec_fn=child_fds, pass_fds=(3, 4))
    os.close(to_r)
    os.close(from_w)
    return proc, Pipe(from_r, to_w)


class Echo:
    def __init__(self, path, workdir, name, extra=()):
        self.log = os.path.join(workdir, 'echo-%s.log' % name)
        self.proc = subprocess.Popen([path, '--timeout', str(DEADLINE_S)] + list(extra),
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=open(self.log, 'wb'))
        self.buf = b''
        self.events = []

    def send(self, obj):
        self.proc.stdin.write(json.dumps(obj).encode() + b'\n')
        self.proc.stdin.flush()

    def poll(self, timeout):
        """Lines that arrived within timeout seconds, parsed."""
        out = []
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if r:
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
            if not chunk:
                raise Fail('webrtc-echo exited: ' + str(self.proc.poll()))
            self.buf += chunk
        while b'\n' in self.buf:
            line, self.buf = self.buf.split(b'\n', 1)
            msg = json.loads(line)
            print('# echo: ' + json.dumps(msg)[:160])
            self.events.append(msg)
            out.append(msg)
        return out


def drain_until(echo, done, timeout=2.0):
    """Read the far end's lines until done() holds: its events may still be in the pipe
    when the page has already seen what they announce."""
    end = time.monotonic() + timeout
    while not done() and time.monotonic() < end:
        echo.poll(0.05)


CHECKS = [0, 0]


def check(what, ok, detail=''):
    CHECKS[0] += 1
    if ok:
        print('ok   - ' + what)
    else:
        CHECKS[1] += 1
        print('FAIL - ' + what + (': ' + detail if detail else ''))


def connect(page, echo, workdir, config='{}'):
    offer = page.js(PAGE_SETUP.replace('CONFIG', config))
    with open(os.path.join(workdir, 'offer.sdp'), 'w') as f:
        f.write(offer)
    check('the page offers one m=application UDP/DTLS/SCTP webrtc-datachannel section',
          'm=application 9 UDP/DTLS/SCTP webrtc-datachannel' in offer, offer[:300])
    echo.send({'type': 'offer', 'sdp': offer})
    answer, browser_done = None, False
    start = time.monotonic()
    end = start + CONNECT_S
    while time.monotonic() < end:
        for msg in echo.poll(0.05):
            if msg.get('type') == 'answer':
                answer = msg['sdp']
                page.js('pc.setRemoteDescription({type: "answer", sdp: %s})' % json.dumps(answer))
            elif 'candidate' in msg and msg['candidate']:
                page.js('pc.addIceCandidate({candidate: %s, sdpMLineIndex: 0})'
                        % json.dumps(msg['candidate']))
            elif msg.get('event') == 'error':
                raise Fail('webrtc-echo: ' + msg.get('message', ''))
        if answer is not None and not browser_done:
            got = page.js('({c: T.cands.splice(0), g: T.gathered})')
            for c in got['c']:
                echo.send({'candidate': c})
            if got['g']:
                echo.send({'candidate': ''})
                browser_done = True
        state = page.js('[T.o.readyState, T.v.readyState, pc.connectionState]')
        if state[0] == 'open' and state[1] == 'open':
            print('# from the offer to both channels open: %.0f ms (driver polling included)'
                  % ((time.monotonic() - start) * 1000))
            return answer
        if state[2] == 'failed':
            raise Fail('the page says the connection failed')
    raise Fail('the channels did not open within %d s' % CONNECT_S)


def exchange(page, echo):
    r = page.js(PAGE_EXCHANGE, timeout=30)
    echo.poll(0.2)
    expected = ['m%d' % i for i in range(50)] + ['']
    check('ordered: 50 messages and an empty one come back complete and in order',
          r['ordered'] == expected, json.dumps(r['ordered'])[:300])
    replies = r['replies']
    check('voice: replies to at least 45 of 50 requests (unordered, maxRetransmits 0)',
          len(replies) >= 45, str(len(replies)))
    check('voice: every reply is exactly as long as its request (160 octets)',
          all(x['len'] == 160 for x in replies))
    check('voice: every reply is a version 1 reply echoing a sequence number sent',
          all(x['version'] == 1 and x['type'] == 2 and 0 <= x['seq'] < 50 for x in replies)
          and len({x['seq'] for x in replies}) == len(replies))
    check('voice: the reflector counts its replies and the requests it received',
          sorted(x['rseq'] for x in replies) == list(range(len(replies)))
          and max(x['received'] for x in replies) == len(replies))
    check('voice: reflector send time is not before its receive time',
          all(x['sent'] >= x['recv'] > 0 for x in replies))
    check('the page sees its voice channel as unordered with maxRetransmits 0',
          r['voiceOrdered'] is False and r['voiceMaxRetransmits'] == 0)
    check('the channel the far end opened reaches the page with its message',
          r['serverLabel'] == 'server' and r['server'] == ['hello'],
          json.dumps([r['serverLabel'], r['server']]))
    opens = {e['label']: e for e in echo.events if e.get('event') == 'open'}
    v, o = opens.get('voice', {}), opens.get('ordered', {})
    check('the far end read DCEP: "voice" unordered, maxRetransmits 0',
          v.get('ordered') is False and v.get('maxRetransmits') == 0
          and v.get('maxPacketLifeTime') is None, json.dumps(v))
    check('the far end read DCEP: "ordered" reliable and ordered',
          o.get('ordered') is True and o.get('maxRetransmits') is None
          and o.get('maxPacketLifeTime') is None, json.dumps(o))
    check('the far end took odd stream ids (the DTLS server, RFC 8832 6) for its channel',
          opens.get('server', {}).get('id', 0) % 2 == 1, json.dumps(opens.get('server')))


PAGE_CLOSE = r'''
(async () => {
  T.o.close();
  const end = performance.now() + 5000;
  while (T.o.readyState !== 'closed' && performance.now() < end)
    await new Promise(r => setTimeout(r, 20));
  return T.o.readyState;
})()
'''


def close(page, echo):
    state = page.js(PAGE_CLOSE, timeout=15)
    end = time.monotonic() + 5
    while time.monotonic() < end and not any(
            e.get('event') == 'closed' for e in echo.events):
        echo.poll(0.1)
    check('the page closes "ordered": both sides reset their streams (RFC 8831 6.7)',
          state == 'closed' and any(e.get('event') == 'closed' and e.get('label') == 'ordered'
                                    for e in echo.events), state)


PAGE_ANSWER = r"""
(async (offer) => {
  const T = window.T = {cands: [], gathered: false, server: [], serverLabel: null,
                       pingedBy: null, serverChannel: null};
  const pc = window.pc = new RTCPeerConnection();
  pc.onicecandidate = e => {
    if (e.candidate && e.candidate.candidate) T.cands.push(e.candidate.candidate);
    else if (!e.candidate) T.gathered = true;
  };
  pc.ondatachannel = e => {
    const ch = e.channel;
    /* a message received proves the channel open: ping then too, in case
       the open event was dispatched before this handler could see it */
    const ping = why => {
      if (T.pingedBy === null && ch.readyState === 'open') { T.pingedBy = why; ch.send('ping'); }
    };
    T.serverLabel = ch.label;
    T.serverChannel = ch;
    ch.onmessage = m => { T.server.push(m.data); ping('message'); };
    ch.onopen = () => ping('open');
    ping('datachannel');
  };
  await pc.setRemoteDescription({type: 'offer', sdp: offer});
  await pc.setLocalDescription(await pc.createAnswer());
  return pc.localDescription.sdp;
})(%s)
"""


def finish_echo(echo):
    echo.proc.stdin.close()
    try:
        rc = echo.proc.wait(10)
    except subprocess.TimeoutExpired:
        rc = None
    err = open(echo.log, errors='replace').read()
    check('the far end exits cleanly at the end of its input, nothing on stderr',
          rc == 0 and err == '', 'exit %s; %s' % (rc, err[-600:]))


def new_page(page):
    page.session = None
    target = page.call('Target.createTarget', {'url': 'about:blank'})['targetId']
    page.session = page.call('Target.attachToTarget',
                             {'targetId': target, 'flatten': True})['sessionId']
    return target


def scenario_browser_offers(page, echo, workdir):
    print('# the page offers, our peer answers')
    answer = connect(page, echo, workdir)
    check('the answer says a=setup:passive to the page\'s actpass (RFC 8842)',
          'a=setup:passive' in answer)
    check('the far end reports the connection up',
          any(e.get('state') == 'connected' for e in echo.events))
    exchange(page, echo)
    close(page, echo)


def scenario_we_offer(page, echo, workdir):
    print('# our peer offers, the page answers')
    echo.send({'type': 'create-offer'})
    offer, sent_answer, browser_done = None, False, False
    end = time.monotonic() + CONNECT_S
    while time.monotonic() < end:
        for msg in echo.poll(0.05):
            if msg.get('type') == 'offer':
                offer = msg['sdp']
                answer = page.js(PAGE_ANSWER % json.dumps(offer))
                with open(os.path.join(workdir, 'answer.sdp'), 'w') as f:
                    f.write(answer)
                check('Chromium takes our offer and answers a=setup:active',
                      'a=setup:active' in answer, answer[:300])
                echo.send({'type': 'answer', 'sdp': answer})
                sent_answer = True
            elif 'candidate' in msg and msg['candidate']:
                page.js('pc.addIceCandidate({candidate: %s, sdpMLineIndex: 0})'
                        % json.dumps(msg['candidate']))
            elif msg.get('event') == 'error':
                raise Fail('webrtc-echo: ' + msg.get('message', ''))
        if sent_answer and not browser_done:
            got = page.js('({c: T.cands.splice(0), g: T.gathered})')
            for c in got['c']:
                echo.send({'candidate': c})
            if got['g']:
                echo.send({'candidate': ''})
                browser_done = True
        if sent_answer and page.js('T.server.length') >= 2:
            break
    server = page.js('[T.serverLabel, T.server]') if sent_answer else [None, []]
    seen = page.js('({by: T.pingedBy, state: T.serverChannel && T.serverChannel.readyState})') \
        if sent_answer else {}
    check('our channel reaches the page, says hello and echoes the page\'s ping',
          server == ['server', ['hello', 'ping']],
          '%s; page pinged on %s, channel %s' % (json.dumps(server), seen.get('by'),
                                                 seen.get('state')))
    drain_until(echo, lambda: any(e.get('event') == 'open' for e in echo.events))
    opened = [e for e in echo.events if e.get('event') == 'open']
    check('as the DTLS server (the page answered active) our channel id is odd',
          len(opened) == 1 and opened[0]['id'] % 2 == 1, json.dumps(opened))


def scenario_wrong_fingerprint(page, echo, workdir):
    print('# the page offers, the fingerprint is altered on the way')
    offer = page.js(PAGE_SETUP.replace('CONFIG', '{}'))
    i = offer.index('a=fingerprint:sha-256 ') + len('a=fingerprint:sha-256 ')
    offer = offer[:i] + ('0' if offer[i] != '0' else '1') + offer[i + 1:]
    echo.send({'type': 'offer', 'sdp': offer})
    end = time.monotonic() + CONNECT_S + 10
    answered, browser_done, failed = False, False, None
    while time.monotonic() < end and failed is None:
        for msg in echo.poll(0.05):
            if msg.get('type') == 'answer':
                page.js('pc.setRemoteDescription({type: "answer", sdp: %s})'
                        % json.dumps(msg['sdp']))
                answered = True
            elif 'candidate' in msg and msg['candidate']:
                page.js('pc.addIceCandidate({candidate: %s, sdpMLineIndex: 0})'
                        % json.dumps(msg['candidate']))
            elif msg.get('state') in ('failed', 'connected'):
                failed = msg
        if answered and not browser_done:
            got = page.js('({c: T.cands.splice(0), g: T.gathered})')
            for c in got['c']:
                echo.send({'candidate': c})
            if got['g']:
                echo.send({'candidate': ''})
                browser_done = True
    check('a certificate that is not the offer\'s fingerprint fails DTLS, no channel opens',
          failed is not None and failed.get('state') == 'failed'
          and failed.get('reason') == 'DTLS: the peer\'s certificate is not the one its SDP '
                                      'fingerprint names'
          and not any(e.get('event') == 'open' for e in echo.events), json.dumps(failed))


PAGE_RELAY_CHECK = r'''
(async () => {
  T.o.send('through the relay');
  const end = performance.now() + 5000;
  while (T.ordered.length < 1 && performance.now() < end)
    await new Promise(r => setTimeout(r, 20));
  const stats = await pc.getStats();
  let pair = null;
  stats.forEach(s => { if (s.type === 'transport' && s.selectedCandidatePairId)
                         pair = stats.get(s.selectedCandidatePairId); });
  const local = pair ? stats.get(pair.localCandidateId) : null;
  const remote = pair ? stats.get(pair.remoteCandidateId) : null;
  return {echo: T.ordered, local: local && local.candidateType,
          remote: remote && remote.candidateType};
})()
'''


def scenario_relay(page, echo, workdir):
    print('# both sides relay-only through coturn on loopback')
    turn = os.environ['WEBRTC_TURN']
    user = os.environ['WEBRTC_TURN_USER']
    password = open(os.environ['WEBRTC_TURN_PASSWORD_FILE']).read().strip()
    config = json.dumps({'iceTransportPolicy': 'relay', 'iceServers': [
        {'urls': 'turn:%s?transport=udp' % turn, 'username': user, 'credential': password}]})
    connect(page, echo, workdir, config)
    r = page.js(PAGE_RELAY_CHECK, timeout=15)
    check('relay: a message comes back over the TURN relays',
          r['echo'] == ['through the relay'], json.dumps(r))
    check('relay: the page\'s selected pair is relay to relay',
          r['local'] == 'relay' and r['remote'] == 'relay', json.dumps(r))
    answer_at = next(i for i, e in enumerate(echo.events) if e.get('type') == 'answer')
    trickled = [e['candidate'] for e in echo.events[answer_at:]
                if e.get('candidate') and ' typ relay' in e['candidate']]
    check('relay: our relay candidates are trickled after the answer',
          len(trickled) >= 1 and all(' typ relay' in c for c in trickled
                                     if c), json.dumps(trickled))


def main():
    chromium, echo_path, workdir = sys.argv[1:4]
    proc, page = start_chromium(chromium, workdir)
    scenarios = [('browser-offers', scenario_browser_offers, []),
                 ('we-offer', scenario_we_offer, []),
                 ('wrong-fingerprint', scenario_wrong_fingerprint, [])]
    if os.environ.get('WEBRTC_TURN'):
        scenarios.append(('relay', scenario_relay,
                          ['--relay-only', '--turn', os.environ['WEBRTC_TURN'],
                           '--turn-user', os.environ['WEBRTC_TURN_USER'],
                           '--turn-password-file', os.environ['WEBRTC_TURN_PASSWORD_FILE']]))
    try:
        for name, run, extra in scenarios:
            echo = Echo(echo_path, workdir, name, extra)
            try:
                target = new_page(page)
                run(page, echo, workdir)
                finish_echo(echo)
                page.session = None
                page.call('Target.closeTarget', {'targetId': target})
            except Fail as e:
                check('%s: the scenario ran to its end' % name, False, str(e))
            finally:
                if echo.proc.poll() is None:
                    echo.proc.kill()
                    echo.proc.wait()
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    print('%d passed, %d failed' % (CHECKS[0] - CHECKS[1], CHECKS[1]))
    return 1 if CHECKS[1] else 0


if __name__ == '__main__':
    sys.exit(main())
