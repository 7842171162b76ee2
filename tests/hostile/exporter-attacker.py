#!/usr/bin/env python3
"""Hostile clients of `rtcprobe exporter`, and a silent UDP target.

  raw  --port P --data BYTES     send BYTES (Python escapes, e.g. \\r\\n) as
                                 one request; print the status code and the
                                 first line of the body
  storm --port P --path PATH --count N --parallel K --timeout S
                                 N GETs of PATH, K at a time, each with
                                 X-Prometheus-Scrape-Timeout-Seconds: S; print
                                 JSON {status: count, "max_ms": slowest}
  idle --port P --count N --hold S
                                 N connections that send half a request line
                                 and wait; print JSON with how many the
                                 exporter closed within 1 s, how many later
                                 (and the latest close in ms), how many stayed
                                 open for S seconds
  sink --host H --port P --record FILE --lifetime S
                                 a UDP socket that never answers; appends one
                                 line per datagram received to FILE

Everything is on loopback; every loop is bounded in count and time.
"""
import argparse
import codecs
import json
import socket
import sys
import threading
import time


def request(port, data, timeout):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        buf = b""
        deadline = time.monotonic() + timeout
        while len(buf) < 1 << 20 and time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        return buf
    finally:
        s.close()


def status_of(reply):
    head, _, body = reply.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return code, body.split(b"\n", 1)[0].decode("utf-8", "replace")


def raw(args):
    data = codecs.escape_decode(args.data.encode())[0]
    try:
        code, line = status_of(request(args.port, data, 10))
    except OSError as e:
        code, line = 0, "connection error: %s" % e
    print("%d %s" % (code, line))


def storm(args):
    counts = {}
    slowest = [0.0]
    lock = threading.Lock()
    sem = threading.Semaphore(args.parallel)
    data = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "X-Prometheus-Scrape-Timeout-Seconds: %s\r\n\r\n" % (args.path, args.timeout)).encode()

    def one():
        t0 = time.monotonic()
        try:
            code, _ = status_of(request(args.port, data, float(args.timeout) + 5))
        except OSError:
            code = 0
        ms = (time.monotonic() - t0) * 1000
        with lock:
            counts[str(code)] = counts.get(str(code), 0) + 1
            slowest[0] = max(slowest[0], ms)
        sem.release()

    threads = []
    for _ in range(min(args.count, 2000)):
        sem.acquire()
        t = threading.Thread(target=one)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(30)
    counts["max_ms"] = round(slowest[0])
    print(json.dumps(counts))


def idle(args):
    conns = []
    t0 = time.monotonic()
    for _ in range(min(args.count, 500)):
        s = socket.create_connection(("127.0.0.1", args.port), timeout=5)
        s.sendall(b"GET /metrics HTT")
        s.setblocking(False)
        conns.append(s)
    closed = {}
    end = t0 + args.hold
    while time.monotonic() < end and len(closed) < len(conns):
        for i, s in enumerate(conns):
            if i in closed:
                continue
            try:
                if s.recv(4096) == b"":
                    closed[i] = time.monotonic() - t0
            except BlockingIOError:
                pass
            except OSError:
                closed[i] = time.monotonic() - t0
        time.sleep(0.05)
    for s in conns:
        s.close()
    fast = [t for t in closed.values() if t < 1]
    late = [t for t in closed.values() if t >= 1]
    print(json.dumps({"fast": len(fast), "late": len(late), "open": len(conns) - len(closed),
                      "latest_ms": round(max(late, default=0) * 1000)}))


def sink(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.host, args.port))
    s.settimeout(0.2)
    end = time.monotonic() + args.lifetime
    with open(args.record, "a", buffering=1) as rec:
        while time.monotonic() < end:
            try:
                data, peer = s.recvfrom(65536)
            except socket.timeout:
                continue
            rec.write("%.3f %d\n" % (time.time(), len(data)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["raw", "storm", "idle", "sink"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--data", default="")
    p.add_argument("--path", default="/")
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--parallel", type=int, default=10)
    p.add_argument("--timeout", default="2")
    p.add_argument("--record", default="/dev/null")
    p.add_argument("--lifetime", type=float, default=60)
    p.add_argument("--hold", type=float, default=15)
    args = p.parse_args()
    if not args.host.startswith("127.") and args.host != "::1":
        sys.exit("loopback only")
    {"raw": raw, "storm": storm, "idle": idle, "sink": sink}[args.mode](args)


if __name__ == "__main__":
    main()
