#!/usr/bin/env python3
"""A hostile HTTP/HTTPS/websocket/Engine.IO server, one mode per attack, for
the hostile suite (web.sh). Python standard library only. It listens on
loopback only, serves for at most --lifetime seconds, and every loop is
bounded in count and time.

Modes:
  ping-flood       websocket upgrade, Engine.IO open, then "2" (ping) frames
                   as fast as the socket takes them; never reads
  control-flood    websocket upgrade, then RFC 6455 ping frames (each wants a
                   pong) as fast as the socket takes them; never reads
  redirect-port    302 to the same host on --port2 (the recorder)
  redirect-http    302 to http://127.0.0.1:--port2/ (run with --tls: a downgrade)
  redirect-data    302 to a data: URL
  redirect-javascript  302 to a javascript: URL
  redirect-file    302 to a file: URL
  tls-silent       accepts TCP, reads the ClientHello, never answers
  huge-header      a response header line of 200 KiB
  trickle          response headers one byte every 0.5 s (slowloris in reverse)
  eio-bad-utf8     websocket upgrade; Engine.IO open and Socket.IO CONNECT
                   answers whose JSON strings decode to bytes that are not UTF-8
  garbage-frames   websocket upgrade, then frames with reserved bits and
                   opcodes, absurd lengths and random bytes
The recorder on --port2 (any mode) answers 200 and appends each request's
header block to --record.
"""
import argparse
import base64
import hashlib
import os
import random
import socket
import socketserver
import ssl
import sys
import threading
import time

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OPEN = ('0{"sid":"hostile","upgrades":[],"pingInterval":25000,'
        '"pingTimeout":20000,"maxPayload":1000000}')
DEADLINE = 0.0
ARGS = None


def left():
    return DEADLINE - time.monotonic()


def read_head(sock, limit=65536):
    """The request's header block, or b'' (bounded in size and time)."""
    data = b""
    sock.settimeout(max(0.1, min(10.0, left())))
    while b"\r\n\r\n" not in data and len(data) < limit:
        try:
            chunk = sock.recv(4096)
        except (OSError, socket.timeout):
            return b""
        if not chunk:
            return b""
        data += chunk
    return data


def send(sock, data):
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def frame(payload, opcode=1):
    """An unmasked server frame (RFC 6455 5.2)."""
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 127]) + n.to_bytes(8, "big")
    return head + payload


def upgrade(sock, head):
    key = ""
    for line in head.decode("latin-1").split("\r\n"):
        if line.lower().startswith("sec-websocket-key:"):
            key = line.split(":", 1)[1].strip()
    accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    return send(sock, ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())


def answer_frames(sock, on_text, rounds=2000):
    """Reads client frames for a bounded time; answers pings with pongs."""
    buf = b""
    sock.settimeout(0.2)
    for _ in range(rounds):
        if left() <= 0:
            return
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return
        if not chunk:
            return
        buf += chunk
        while len(buf) >= 2:
            opcode, n, pos = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, pos = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, pos = int.from_bytes(buf[2:10], "big"), 10
            masked = buf[1] & 0x80
            if len(buf) < pos + (4 if masked else 0) + n:
                break
            mask = buf[pos:pos + 4] if masked else b"\0\0\0\0"
            pos += 4 if masked else 0
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(buf[pos:pos + n]))
            buf = buf[pos + n:]
            if opcode == 9:
                send(sock, frame(payload, 10))
            elif opcode == 8:
                send(sock, frame(payload[:2], 8))
                return
            elif opcode == 1:
                on_text(payload)


def mode_ping_flood(sock, head):
    if not upgrade(sock, head) or not send(sock, frame(OPEN.encode())):
        return
    burst = frame(b"2") * 4096
    for _ in range(200000):
        if left() <= 0 or not send(sock, burst):
            return


def mode_control_flood(sock, head):
    if not upgrade(sock, head):
        return
    burst = frame(b"flood", 9) * 4096
    for _ in range(200000):
        if left() <= 0 or not send(sock, burst):
            return


def mode_eio_bad_utf8(sock, head):
    if not upgrade(sock, head):
        return
    send(sock, frame(b'0{"sid":"a\\222b","upgrades":["web\\ud800x"],'
                     b'"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'))

    def on_text(payload):
        if payload.startswith(b"40"):
            send(sock, frame(b'40{"sid":"\\ud800x\\377y"}'))
    answer_frames(sock, on_text)


def mode_garbage_frames(sock, head):
    if not upgrade(sock, head):
        return
    rng = random.Random(10)
    junk = [bytes([0xF3, 0x05]) + b"hello",          # RSV bits and opcode 3
            bytes([0x8B, 0x00]),                      # reserved control opcode
            bytes([0x09, 0x7E, 0x00, 0x80]),          # fragmented ping, 128 bytes
            bytes([0x82, 0x7F]) + (2 ** 62).to_bytes(8, "big"),  # absurd length
            bytes(rng.getrandbits(8) for _ in range(4096))]
    send(sock, frame(b"\xff\xfe not utf-8", 1))
    for j in junk:
        if not send(sock, j):
            return
    answer_frames(sock, lambda p: None, rounds=50)


def redirect(sock, location):
    send(sock, ("HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n" % location).encode())


def mode_huge_header(sock, head):
    send(sock, b"HTTP/1.1 200 OK\r\nX-Huge: " + b"a" * (200 * 1024)
         + b"\r\nContent-Length: 2\r\n\r\nok")


def mode_trickle(sock, head):
    reply = b"HTTP/1.1 200 OK\r\nServer: trickle\r\n" + b"X-Slow: y\r\n" * 200 + b"\r\n"
    for b in reply:
        if left() <= 0 or not send(sock, bytes([b])):
            return
        time.sleep(0.5)


def mode_tls_silent(sock, head):
    sock.settimeout(0.5)
    for _ in range(int(ARGS.lifetime * 2) + 1):
        if left() <= 0:
            return
        try:
            if not sock.recv(4096):
                return
        except socket.timeout:
            continue
        except OSError:
            return


def serve_main(sock):
    if ARGS.mode == "tls-silent":
        mode_tls_silent(sock, b"")
        return
    head = read_head(sock)
    if not head:
        return
    if ARGS.mode == "redirect-port":
        redirect(sock, "http://127.0.0.1:%d/next" % ARGS.port2)
    elif ARGS.mode == "redirect-http":
        redirect(sock, "http://127.0.0.1:%d/next" % ARGS.port2)
    elif ARGS.mode == "redirect-data":
        redirect(sock, "data:text/plain,hello")
    elif ARGS.mode == "redirect-javascript":
        redirect(sock, "javascript:alert(1)")
    elif ARGS.mode == "redirect-file":
        redirect(sock, "file:///etc/passwd")
    else:
        {"ping-flood": mode_ping_flood, "control-flood": mode_control_flood,
         "eio-bad-utf8": mode_eio_bad_utf8,
         "garbage-frames": mode_garbage_frames, "huge-header": mode_huge_header,
         "trickle": mode_trickle}[ARGS.mode](sock, head)


def serve_recorder(sock):
    head = read_head(sock)
    if head:
        with open(ARGS.record, "ab") as f:
            f.write(head)
        send(sock, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def handler(work, tls):
    class H(socketserver.BaseRequestHandler):
        def handle(self):
            sock = self.request
            if tls is not None:
                sock.settimeout(5)
                try:
                    sock = tls.wrap_socket(sock, server_side=True)
                except (OSError, ssl.SSLError):
                    return
            try:
                work(sock)
            finally:
                try:
                    sock.close()
                except OSError:
                    pass
    return H


def main():
    global ARGS, DEADLINE
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--port2", type=int, default=0)
    ap.add_argument("--record", default=os.devnull)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--lifetime", type=float, default=60.0)
    ARGS = ap.parse_args()
    DEADLINE = time.monotonic() + ARGS.lifetime
    tls = None
    if ARGS.tls and ARGS.mode != "tls-silent":
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(ARGS.cert, ARGS.key)
    servers = [Server(("127.0.0.1", ARGS.port), handler(serve_main, tls))]
    if ARGS.port2:
        servers.append(Server(("127.0.0.1", ARGS.port2), handler(serve_recorder, None)))
    for s in servers:
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    print("ready", flush=True)
    time.sleep(max(0.0, left()))
    for s in servers:
        s.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
