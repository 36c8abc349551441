#!/usr/bin/env python3
"""UDP datagrams with a chosen skb mark, and a receiver that says where each
arrived, for tests/lab/server_table.sh.

  marked_udp.py send DST PORT MARK TEXT [--sport P] [--no-check]
      one datagram carrying TEXT to [DST]:PORT from a socket with SO_MARK
      MARK (and, with --no-check, IPv4 without a UDP checksum); a datagram
      our own output hook drops is said on stderr, and is not an error
  marked_udp.py listen PORT...
      binds every PORT on IPv6 and IPv4, prints "ready", then one JSON line
      per datagram: {"to": port, "from": addr, "sport": port, "text": TEXT}
"""
import json
import select
import socket
import sys

SO_NO_CHECK = 11  # not in Python's socket module


def send(argv):
    dst, port, mark, text = argv[0], int(argv[1]), int(argv[2], 0), argv[3]
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
    if "--no-check" in argv:
        s.setsockopt(socket.SOL_SOCKET, SO_NO_CHECK, 1)
    if "--sport" in argv:
        s.bind(("", int(argv[argv.index("--sport") + 1])))
    try:
        s.sendto(text.encode(), (dst, port))
    except PermissionError:
        # Dropped by a rule on the way out (NF_DROP at LOCAL_OUT is EPERM).
        print("%s: dropped before it left" % text, file=sys.stderr)


def listen(argv):
    socks = {}
    for port in map(int, argv):
        s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s6.bind(("::", port))
        s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s4.bind(("0.0.0.0", port))
        socks[s6] = socks[s4] = port
    print("ready", flush=True)
    while True:
        for s in select.select(list(socks), [], [])[0]:
            data, src = s.recvfrom(65535)
            print(json.dumps({"to": socks[s], "from": src[0], "sport": src[1], "text": data.decode()}), flush=True)


if __name__ == "__main__":
    {"send": send, "listen": listen}[sys.argv[1]](sys.argv[2:])
