#!/usr/bin/env python3
"""A hostile STUN/TURN server for the probe's client side: one attack per
mode, over UDP, TCP and TLS at once, on loopback only. Python stdlib only.

Modes (what every request gets):
  silence         nothing (TLS: the handshake completes, then nothing)
  stall           TCP/TLS: the connection is accepted, not a byte is sent
                  (on the TLS port: the handshake never starts); UDP: silence
  wrongtid        a well-formed answer whose transaction id is not the request's
  no-mi           honest Binding; Allocate without credentials gets 401 (REALM,
                  NONCE); an authenticated request gets a success WITHOUT
                  MESSAGE-INTEGRITY
  bad-mi          as no-mi, but the success carries a MESSAGE-INTEGRITY made
                  with a key other than the user's
  truncated       a success whose last attribute runs past the message's end
  garbage-attrs   a consistently framed success whose address, error and string
                  attributes hold nonsense (bad family, short values, control
                  bytes)
  unknown-required  the honest answer plus an attribute of the
                  comprehension-required range that no client knows (0x7ffe)
  huge-length     a header claiming 65532 bytes of attributes, then 16 bytes
  endless-401     401 Unauthorized with a fresh NONCE to every request
  endless-438     401 to the first request, then 438 Stale Nonce with a fresh
                  NONCE to every authenticated one
  alternate-loop  300 Try Alternate naming this very server, to every request
  flood           at the first request from a client, responses with random
                  transaction ids as fast as the socket takes them (bounded in
                  count and time); never the real answer
  trickle         TCP/TLS: the honest answer, one byte every 0.3 s; UDP: silence

Usage: stun-peer.py --mode M --host 127.0.0.1 --udp-port P --tcp-port P
       --tls-port P --cert F --key F --realm R --user U --password-file F
       [--lifetime S]
Prints "ready" on stdout when every listener is bound. Exits after
--lifetime seconds (default 300) whatever happens: no test can leave it
running. Every address is the --host given, which must be loopback.
"""

import argparse
import binascii
import hashlib
import hmac
import ipaddress
import os
import select
import socket
import ssl
import struct
import sys
import threading
import time

COOKIE = 0x2112A442
BINDING, ALLOCATE, REFRESH, PERMISSION, CHANNEL_BIND = 0x001, 0x003, 0x004, 0x008, 0x009
REQUEST, SUCCESS, ERROR = 0x000, 0x100, 0x110
A_MAPPED, A_USERNAME, A_MI, A_ERROR = 0x0001, 0x0006, 0x0008, 0x0009
A_LIFETIME, A_REALM, A_NONCE, A_RELAYED = 0x000D, 0x0014, 0x0015, 0x0016
A_XOR_MAPPED, A_SOFTWARE, A_ALTERNATE, A_FINGERPRINT = 0x0020, 0x8022, 0x8023, 0x8028

MAX_CONNECTIONS = 32          # concurrent TCP/TLS connections
CONNECTION_LIFETIME = 60.0    # seconds a connection may live
FLOOD_PACKETS = 200000        # per client
FLOOD_SECONDS = 20.0
TRICKLE_INTERVAL = 0.3

ARGS = None
PASSWORD = b""
NONCE_COUNTER = [0]
LOCK = threading.Lock()
SLOTS = threading.BoundedSemaphore(MAX_CONNECTIONS)


def msg_type(method, klass):
    """RFC 8489 5: the method's bits around the two class bits."""
    return ((method & 0xF80) << 2) | ((method & 0x070) << 1) | (method & 0x00F) | klass


def split_type(t):
    klass = t & 0x0110
    method = ((t & 0x3E00) >> 2) | ((t & 0x00E0) >> 1) | (t & 0x000F)
    return method, klass


def pad4(n):
    return (n + 3) & ~3


def attr(t, value):
    return struct.pack("!HH", t, len(value)) + value + b"\0" * (pad4(len(value)) - len(value))


def xor_address(t, ip, port, tid):
    addr = ipaddress.ip_address(ip)
    xport = port ^ (COOKIE >> 16)
    if addr.version == 4:
        x = int(addr) ^ COOKIE
        return attr(t, struct.pack("!BBHI", 0, 1, xport, x))
    key = struct.pack("!I", COOKIE) + tid
    raw = bytes(a ^ b for a, b in zip(addr.packed, key))
    return attr(t, struct.pack("!BBH", 0, 2, xport) + raw)


def message(method, klass, tid, attrs, integrity_key=None, fingerprint=True):
    body = b"".join(attrs)
    if integrity_key is not None:
        head = struct.pack("!HHI", msg_type(method, klass), len(body) + 24, COOKIE) + tid
        mac = hmac.new(integrity_key, head + body, hashlib.sha1).digest()
        body += attr(A_MI, mac)
    if fingerprint:
        head = struct.pack("!HHI", msg_type(method, klass), len(body) + 8, COOKIE) + tid
        crc = (binascii.crc32(head + body) & 0xFFFFFFFF) ^ 0x5354554E
        body += attr(A_FINGERPRINT, struct.pack("!I", crc))
    return struct.pack("!HHI", msg_type(method, klass), len(body), COOKIE) + tid + body


def error_attr(code, reason):
    return attr(A_ERROR, struct.pack("!HBB", 0, code // 100, code % 100) + reason.encode())


def fresh_nonce():
    with LOCK:
        NONCE_COUNTER[0] += 1
        n = NONCE_COUNTER[0]
    return ("hostile-nonce-%d-%s" % (n, os.urandom(4).hex())).encode()


def long_term_key():
    return hashlib.md5(b"%s:%s:%s" % (ARGS.user.encode(), ARGS.realm.encode(), PASSWORD)).digest()


def parse(data):
    """(method, klass, tid, {type: value}) or None for anything not STUN."""
    if len(data) < 20 or data[0] & 0xC0:
        return None
    t, length, cookie = struct.unpack("!HHI", data[:8])
    if cookie != COOKIE or 20 + length > len(data):
        return None
    method, klass = split_type(t)
    attrs = {}
    pos = 20
    while pos + 4 <= 20 + length:
        at, al = struct.unpack("!HH", data[pos:pos + 4])
        attrs.setdefault(at, data[pos + 4:pos + 4 + al])
        pos += 4 + pad4(al)
    return method, klass, data[8:20], attrs


def honest_success(method, tid, peer, attrs, key, extra=()):
    """What a plain server would answer to an accepted request (plus extra attributes)."""
    out = [attr(A_SOFTWARE, b"hostile-stun-peer")] + list(extra)
    if method == BINDING:
        out.append(xor_address(A_XOR_MAPPED, peer[0], peer[1], tid))
        return message(BINDING, SUCCESS, tid, out)
    if method == ALLOCATE:
        out.append(xor_address(A_RELAYED, ARGS.host, 9, tid))
        out.append(xor_address(A_XOR_MAPPED, peer[0], peer[1], tid))
        out.append(attr(A_LIFETIME, struct.pack("!I", 600)))
    elif method == REFRESH:
        out.append(attr(A_LIFETIME, struct.pack("!I", 600)))
    return message(method, SUCCESS, tid, out, integrity_key=key)


def challenge(method, tid, code=401, reason="Unauthorized"):
    return message(method, ERROR, tid, [error_attr(code, reason), attr(A_REALM, ARGS.realm.encode()),
                                        attr(A_NONCE, fresh_nonce())])


def answer(data, peer, own_port):
    """The bytes this mode sends for one request, or None."""
    req = parse(data)
    if req is None:
        return None
    method, klass, tid, attrs = req
    if klass != REQUEST:
        return None
    authenticated = A_MI in attrs
    mode = ARGS.mode
    if mode in ("silence", "stall", "flood"):
        return None
    if mode == "wrongtid":
        other = bytes(b ^ 0x5A for b in tid)
        return honest_success(method, other, peer, attrs, long_term_key() if authenticated else None)
    if mode in ("no-mi", "bad-mi"):
        if method == BINDING:
            return honest_success(method, tid, peer, attrs, None)
        if not authenticated:
            return challenge(method, tid)
        key = None if mode == "no-mi" else hashlib.md5(b"not the user's key").digest()
        return honest_success(method, tid, peer, attrs, key)
    if mode == "truncated":
        good = honest_success(method, tid, peer, attrs, None)
        # The last attribute (FINGERPRINT) claims 40 bytes where 4 follow.
        return good[:-8] + struct.pack("!HH", A_FINGERPRINT, 40) + good[-4:]
    if mode == "garbage-attrs":
        out = [attr(A_XOR_MAPPED, b"\x00\x07\x12"),                  # bad family, short
               attr(A_MAPPED, b"\x00\x02\x00\x01" + b"\x7f" * 3),    # IPv6 family, 3 bytes
               attr(A_RELAYED, b""),
               attr(A_ERROR, b"\x00"),
               attr(A_SOFTWARE, b"\x1b[2J\x00\xff\xfe\r\nfake: line"),
               attr(A_LIFETIME, b"\x01")]
        return message(method, SUCCESS, tid, out)
    if mode == "unknown-required":
        if method != BINDING and not authenticated:
            return challenge(method, tid)
        return honest_success(method, tid, peer, attrs, None, [attr(0x7FFE, b"required but unknown")])
    if mode == "huge-length":
        return struct.pack("!HHI", msg_type(method, SUCCESS), 0xFFFC, COOKIE) + tid + os.urandom(16)
    if mode == "endless-401":
        return challenge(method, tid)
    if mode == "endless-438":
        if not authenticated and method != BINDING:
            return challenge(method, tid)
        return challenge(method, tid, 438, "Stale Nonce")
    if mode == "alternate-loop":
        return message(method, ERROR, tid, [error_attr(300, "Try Alternate"), alternate_attr(own_port)])
    if mode == "trickle":
        return honest_success(method, tid, peer, attrs, long_term_key() if authenticated else None)
    return None


def alternate_attr(port):
    """ALTERNATE-SERVER is a plain (not XOR'd) address (RFC 8489 14.15)."""
    addr = ipaddress.ip_address(ARGS.host)
    family = 1 if addr.version == 4 else 2
    return attr(A_ALTERNATE, struct.pack("!BBH", 0, family, port) + addr.packed)


def flood_bytes(peer):
    tid = os.urandom(12)
    return message(BINDING, SUCCESS, tid, [xor_address(A_XOR_MAPPED, peer[0], peer[1], tid)])


# ------------------------------------------------------------------ UDP

def serve_udp(sock):
    flooded = {}
    while True:
        data, peer = sock.recvfrom(65536)
        if ARGS.mode == "flood" and peer not in flooded:
            flooded[peer] = True
            threading.Thread(target=flood_udp, args=(sock, peer), daemon=True).start()
            continue
        if ARGS.mode in ("trickle", "stall"):
            continue
        out = answer(data, peer, ARGS.udp_port)
        if out is not None:
            sock.sendto(out, peer)


def flood_udp(sock, peer):
    end = time.monotonic() + FLOOD_SECONDS
    for i in range(FLOOD_PACKETS):
        if i % 256 == 0 and time.monotonic() > end:
            return
        try:
            sock.sendto(flood_bytes(peer), peer)
        except OSError:
            time.sleep(0.001)


# ------------------------------------------------------------------ TCP / TLS

def frames(conn):
    """STUN frames and ChannelData read from a stream, until it closes."""
    buf = b""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        buf += data
        while len(buf) >= 4:
            if buf[0] & 0xC0 == 0x40:                      # ChannelData, padded on streams
                need = 4 + pad4(struct.unpack("!H", buf[2:4])[0])
            else:
                need = 20 + struct.unpack("!H", buf[2:4])[0]
            if len(buf) < need:
                break
            frame, buf = buf[:need], buf[need:]
            yield frame


def serve_stream(conn, peer, own_port):
    conn.settimeout(CONNECTION_LIFETIME)
    deadline = time.monotonic() + CONNECTION_LIFETIME
    flooded = False
    for frame in frames(conn):
        if time.monotonic() > deadline:
            return
        if ARGS.mode == "flood" and not flooded:
            flooded = True
            end = time.monotonic() + FLOOD_SECONDS
            for i in range(FLOOD_PACKETS // 8):
                if time.monotonic() > min(end, deadline):
                    break
                conn.sendall(flood_bytes(peer))
            continue
        out = answer(frame, peer, own_port)
        if out is None:
            continue
        if ARGS.mode == "trickle":
            for b in out:
                if time.monotonic() > deadline:
                    return
                conn.sendall(bytes([b]))
                time.sleep(TRICKLE_INTERVAL)
            continue
        conn.sendall(out)


def handle_connection(raw, peer, tls_ctx, own_port):
    try:
        raw.settimeout(CONNECTION_LIFETIME)
        if ARGS.mode == "stall":
            # Accepted, never a byte: wait (bounded) for the client to give up.
            end = time.monotonic() + CONNECTION_LIFETIME
            while time.monotonic() < end:
                r, _, _ = select.select([raw], [], [], 1.0)
                if r and not raw.recv(4096):
                    return
            return
        conn = raw
        if tls_ctx is not None:
            conn = tls_ctx.wrap_socket(raw, server_side=True)
        serve_stream(conn, peer, own_port)
    except (OSError, ssl.SSLError, ValueError):
        pass
    finally:
        try:
            raw.close()
        except OSError:
            pass
        SLOTS.release()


def serve_listener(lsock, tls_ctx, own_port):
    while True:
        raw, peer = lsock.accept()
        if not SLOTS.acquire(blocking=False):
            raw.close()
            continue
        threading.Thread(target=handle_connection, args=(raw, peer, tls_ctx, own_port), daemon=True).start()


def main():
    global ARGS, PASSWORD
    p = argparse.ArgumentParser(description="hostile STUN/TURN server (loopback only)")
    p.add_argument("--mode", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--udp-port", type=int, required=True)
    p.add_argument("--tcp-port", type=int, required=True)
    p.add_argument("--tls-port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--realm", default="hostile.lab.test")
    p.add_argument("--user", default="hostile")
    p.add_argument("--password-file", required=True)
    p.add_argument("--lifetime", type=float, default=300.0)
    ARGS = p.parse_args()
    if not ipaddress.ip_address(ARGS.host).is_loopback:
        sys.exit("stun-peer.py: --host must be a loopback address")
    with open(ARGS.password_file, "rb") as f:
        PASSWORD = f.read().strip()
    family = socket.AF_INET6 if ":" in ARGS.host else socket.AF_INET

    udp = socket.socket(family, socket.SOCK_DGRAM)
    udp.bind((ARGS.host, ARGS.udp_port))
    listeners = []
    for port in (ARGS.tcp_port, ARGS.tls_port):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ARGS.host, port))
        s.listen(16)
        listeners.append(s)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)

    threading.Thread(target=serve_udp, args=(udp,), daemon=True).start()
    threading.Thread(target=serve_listener, args=(listeners[0], None, ARGS.tcp_port), daemon=True).start()
    threading.Thread(target=serve_listener, args=(listeners[1], ctx, ARGS.tls_port), daemon=True).start()
    print("ready", flush=True)
    time.sleep(ARGS.lifetime)


if __name__ == "__main__":
    main()
