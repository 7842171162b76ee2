#!/usr/bin/env python3
"""Drive headless Chromium over the DevTools protocol (--remote-debugging-pipe:
JSON messages separated by NUL, Chromium reads fd 3 and writes fd 4) to run
turn-relay.html's runTurnTest(config) and print its result as JSON.

usage: cdp-turn.py CHROMIUM PAGE CONFIG.json PROFILE_DIR DEADLINE_S

CONFIG holds the TURN URIs, the server's address (host: the one name the
browser may resolve), user name, credential and per-URI timeout; it is
read from a file (mode 0600) and handed to the page by Runtime.evaluate, so
no secret is on a command line. Every wait is bounded by DEADLINE_S; on any
failure the browser is killed and the exit status is 1. Stdlib only."""
import fcntl
import json
import os
import select
import subprocess
import sys
import time

FLAGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-domain-reliability',
    '--no-pings', '--remote-debugging-pipe',
]


class Browser:
    def __init__(self, chromium, profile, host, deadline):
        self.deadline = deadline
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        # Out of the way of 3 and 4 before the child's dup2.
        to_child_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        from_child_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)

        def child_fds():
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        # Every name resolves to nothing; only the TURN server's address
        # literal passes (TURN over TCP and TLS goes through the resolver).
        rules = '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ' + host
        self.proc = subprocess.Popen([chromium, *FLAGS, rules, '--user-data-dir=' + profile, 'about:blank'],
                                     preexec_fn=child_fds, pass_fds=(3, 4), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=sys.stderr)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b''
        self.next_id = 0

    def left(self):
        return self.deadline - time.monotonic()

    def call(self, method, params=None, session=None):
        self.next_id += 1
        msg = {'id': self.next_id, 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        os.write(self.to_child, json.dumps(msg).encode() + b'\0')
        while True:
            reply = self.read_message()
            if reply.get('id') == self.next_id:
                if 'error' in reply:
                    raise RuntimeError('%s: %s' % (method, reply['error']))
                return reply['result']

    def read_message(self):
        while b'\0' not in self.buf:
            if self.left() <= 0:
                raise TimeoutError('no answer from the browser before the deadline')
            ready, _, _ = select.select([self.from_child], [], [], min(self.left(), 1.0))
            if ready:
                chunk = os.read(self.from_child, 65536)
                if not chunk:
                    raise RuntimeError('the browser closed the DevTools pipe')
                self.buf += chunk
        raw, self.buf = self.buf.split(b'\0', 1)
        return json.loads(raw)

    def close(self):
        try:
            if self.proc.poll() is None and self.left() > 0:
                os.write(self.to_child, json.dumps({'id': 0, 'method': 'Browser.close'}).encode() + b'\0')
                self.proc.wait(timeout=min(5, max(self.left(), 1)))
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)


def run(browser, page, cfg):
    target = browser.call('Target.createTarget', {'url': 'file://' + page})['targetId']
    session = browser.call('Target.attachToTarget', {'targetId': target, 'flatten': True})['sessionId']
    ready = "document.readyState === 'complete' && typeof runTurnTest === 'function'"
    while not browser.call('Runtime.evaluate', {'expression': ready, 'returnByValue': True},
                           session)['result'].get('value'):
        if browser.left() <= 0:
            raise TimeoutError('the page did not load')
        time.sleep(0.1)
    res = browser.call('Runtime.evaluate', {'expression': 'runTurnTest(%s)' % json.dumps(cfg),
                                            'awaitPromise': True, 'returnByValue': True}, session)
    if 'exceptionDetails' in res:
        raise RuntimeError('the page threw: %s' % res['exceptionDetails'].get('text'))
    return res['result']['value']


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    chromium, page, cfg_file, profile, deadline_s = sys.argv[1:]
    with open(cfg_file, encoding='utf-8') as f:
        cfg = json.load(f)
    browser = Browser(chromium, profile, cfg['host'], time.monotonic() + float(deadline_s))
    try:
        print(json.dumps(run(browser, os.path.abspath(page), cfg)))
    except (OSError, RuntimeError, TimeoutError, ValueError, KeyError) as e:
        print('cdp-turn: %s' % e, file=sys.stderr)
        sys.exit(1)
    finally:
        browser.close()


if __name__ == '__main__':
    main()
