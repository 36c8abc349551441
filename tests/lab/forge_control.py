#!/usr/bin/python3
"""Forge, capture-parse and replay GENEVE control messages (docs/protocol.md 6)
for the client-server attack lab test. Plain struct packing: everything is a
UDP payload.

  forge_control.py send --to A:P --bind A:P --vni N --sender S --receiver R
        [--type probe|reply] [--mac none|wrong|KEYFILE] [--probe-id ID]
        [--counter C] [--count N] [--route IPV6]
      sends N forged messages (counters C, C+1, ...; default: now in ns).
  forge_control.py replay --to A:P --bind A:P --pcap F --sender S [--max N]
      resends, unchanged, the UDP payloads of every control message from S
      found in the capture F; prints how many probes and replies.
  forge_control.py hijack --to A:P --bind A:P --vni N --sender S --receiver R
        [--route IPV6] [--wait SECS]
      the no-key attack: an unauthenticated probe, then answers the
      challenge probe the server sends back, echoing its probe id.
  forge_control.py check --pcap F --sender S --key KEYFILE
      rebuilds each captured message from S with this encoder and the key;
      prints how many are byte-identical to the endpoint's.
  forge_control.py listen --bind A:P --secs S
      counts datagrams arriving (prints "received N").
Every command prints one line per event, and a final JSON summary line.
"""
import argparse
import hashlib
import hmac
import base64
import ipaddress
import json
import socket
import struct
import sys
import time

CONTROL_MAC = bytes.fromhex("03474e363400")
ETHERTYPE = 0x88B5
MAGIC = b"GN64"
PROBE, REPLY = 1, 2
PROBE_FIELDS, REPLY_FIELDS = 52, 72
OPTION_CLASS, OPTION_TYPE = 0x0162, 0x01


def addr16(text):
    a = ipaddress.ip_address(text)
    if a.version == 4:
        return b"\0" * 10 + b"\xff\xff" + a.packed
    return a.packed


def endpoint(text):
    host, port = text.rsplit(":", 1)
    return host.strip("[]"), int(port)


def geneve_header(vni, route=None, port=6081):
    opts = b""
    if route:
        opts = struct.pack("!HBB", OPTION_CLASS, OPTION_TYPE, 5) + addr16(route) + struct.pack("!H", port) + b"\xff\xff"
    return struct.pack("!BBH", len(opts) // 4, 0, 0x6558) + struct.pack("!I", vni << 8) + opts


def control_frame(vni, mtype, sender, receiver, counter, probe_id, sent_on=2, in_use=2, mac="none",
                  observed=("::", 0)):
    fields = PROBE_FIELDS if mtype == PROBE else REPLY_FIELDS
    with_mac = mac != "none"
    body = addr16(sender) + addr16(receiver) + struct.pack("!QQBBBB", counter, probe_id, sent_on, in_use,
                                                           1 if with_mac else 0, 0)
    if mtype == REPLY:
        body += addr16(observed[0]) + struct.pack("!HH", observed[1], 0)
    assert len(body) == fields
    header = MAGIC + struct.pack("!BBH", 1, mtype, fields + (32 if with_mac else 0))
    signed = header + body
    if mac == "wrong":
        tag = hmac.new(b"\x5a" * 32, struct.pack("!I", vni << 8) + signed, hashlib.sha512).digest()[:32]
        body += tag
    elif with_mac:
        key = base64.b64decode(open(mac).read().strip())
        body += hmac.new(key, struct.pack("!I", vni << 8) + signed, hashlib.sha512).digest()[:32]
    return CONTROL_MAC + b"\0" * 6 + struct.pack("!H", ETHERTYPE) + header + body


def parse(payload):
    """A GENEVE UDP payload -> dict describing the control message, or None."""
    if len(payload) < 8 or payload[0] >> 6 != 0:
        return None
    optlen = (payload[0] & 0x3F) * 4
    proto = struct.unpack("!H", payload[2:4])[0]
    vni = struct.unpack("!I", payload[4:8])[0] >> 8
    route = None
    off = 8
    while off + 4 <= 8 + optlen:
        cls, typ, ln = struct.unpack("!HBB", payload[off:off + 4])
        ln = (ln & 0x1F) * 4
        if cls == OPTION_CLASS and typ == OPTION_TYPE and ln >= 20:
            route = str(ipaddress.ip_address(payload[off + 4:off + 20]))
        off += 4 + ln
    f = payload[8 + optlen:]
    if proto != 0x6558 or len(f) < 22 or f[:6] != CONTROL_MAC or struct.unpack("!H", f[12:14])[0] != ETHERTYPE \
            or f[14:18] != MAGIC:
        return None
    ver, mtype, blen = struct.unpack("!BBH", f[18:22])
    b = f[22:22 + blen]
    if len(b) < PROBE_FIELDS:
        return None
    counter, probe_id, sent_on, in_use, flags, _ = struct.unpack("!QQBBBB", b[32:52])
    observed = None
    if mtype == REPLY and len(b) >= REPLY_FIELDS:
        observed = (str(ipaddress.ip_address(b[52:68])), struct.unpack("!H", b[68:70])[0])
    return {"frame": f, "observed": observed, "vni": vni, "type": "probe" if mtype == PROBE else "reply" if mtype == REPLY else mtype,
            "sender": str(ipaddress.ip_address(b[0:16])), "receiver": str(ipaddress.ip_address(b[16:32])),
            "counter": counter, "probe_id": probe_id, "sent_on": sent_on, "in_use": in_use,
            "mac": bool(flags & 1), "route": route}


def sock_for(bind):
    host, port = endpoint(bind)
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    return s


def linger(s, secs):
    """Counts (and prints) what arrives on s for secs seconds."""
    s.settimeout(0.1)
    n = 0
    end = time.time() + secs
    while time.time() < end:
        try:
            data, src = s.recvfrom(2048)
        except socket.timeout:
            continue
        n += 1
        m = parse(data)
        print("received from %s:%d: %s" % (src[0], src[1], {k: v for k, v in m.items() if k != "frame"} if m
                                            else "%d bytes, not a control message" % len(data)))
    return n


def cmd_send(a):
    s = sock_for(a.bind)
    counter = a.counter if a.counter is not None else time.time_ns()
    mtype = PROBE if a.type == "probe" else REPLY
    for i in range(a.count):
        pid = a.probe_id if a.probe_id is not None else int.from_bytes(struct.pack("!d", time.time()), "big") ^ i
        frame = control_frame(a.vni, mtype, a.sender, a.receiver, counter + i, pid, mac=a.mac,
                              observed=(a.bind.rsplit(":", 1)[0].strip("[]"), 6081))
        s.sendto(geneve_header(a.vni, a.route) + frame, endpoint(a.to))
        time.sleep(a.interval)
    got = linger(s, a.linger)
    print(json.dumps({"sent": a.count, "type": a.type, "mac": a.mac if a.mac in ("none", "wrong") else "key",
                      "first_counter": counter, "received": got}))


def pcap_udp_payloads(path):
    """UDP payloads of a pcap (tcpdump -w; Ethernet, Linux cooked v1/v2 or raw IP)."""
    data = open(path, "rb").read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:
            l3, et = pkt[14:], struct.unpack("!H", pkt[12:14])[0]
        elif linktype == 113:
            l3, et = pkt[16:], struct.unpack("!H", pkt[14:16])[0]
        elif linktype == 276:
            l3, et = pkt[20:], struct.unpack("!H", pkt[0:2])[0]
        else:
            l3, et = pkt, 0x86DD if pkt and pkt[0] >> 4 == 6 else 0x0800
        if et == 0x86DD and len(l3) >= 48 and l3[6] == 17:
            yield l3[48:]
        elif et == 0x0800 and len(l3) >= 20 and l3[9] == 17:
            ihl = (l3[0] & 0xF) * 4
            yield l3[ihl + 8:]


def cmd_replay(a):
    s = sock_for(a.bind)
    msgs = []
    for p in pcap_udp_payloads(a.pcap):
        m = parse(p)
        if m and m["sender"] == str(ipaddress.ip_address(a.sender)):
            msgs.append((p, m))
    msgs = msgs[-a.max:] if a.max else msgs
    for p, m in msgs:
        s.sendto(p, endpoint(a.to))
        print("replayed %s counter %d probe id %x mac %s route %s" % (m["type"], m["counter"], m["probe_id"], m["mac"],
                                                                   m["route"]))
        time.sleep(a.interval)
    got = linger(s, a.linger)
    print(json.dumps({"replayed": len(msgs), "probes": sum(m["type"] == "probe" for _, m in msgs),
                      "replies": sum(m["type"] == "reply" for _, m in msgs), "received": got}))


def cmd_check(a):
    """Rebuilds every captured control message from S with this script's
    encoder and the key: it must be byte-identical to what the endpoint sent
    (from the EtherType on), so forged messages differ only where meant to."""
    same = differ = 0
    for p in pcap_udp_payloads(a.pcap):
        m = parse(p)
        if not m or m["sender"] != str(ipaddress.ip_address(a.sender)):
            continue
        mine = control_frame(m["vni"], PROBE if m["type"] == "probe" else REPLY, m["sender"], m["receiver"],
                             m["counter"], m["probe_id"], m["sent_on"], m["in_use"], mac=a.key,
                             observed=m["observed"] or ("::", 0))
        n = len(mine)
        if mine[12:] == m["frame"][12:n]:
            same += 1
        else:
            differ += 1
            print("differs: %s\n  ours   %s\n  theirs %s" % (m["type"], mine[12:].hex(), m["frame"][12:n].hex()))
    print(json.dumps({"identical": same, "different": differ}))


def cmd_hijack(a):
    s = sock_for(a.bind)
    s.settimeout(0.2)
    to = endpoint(a.to)
    probe = control_frame(a.vni, PROBE, a.sender, a.receiver, time.time_ns(), 0x4242424242424242)
    s.sendto(geneve_header(a.vni, a.route) + probe, to)
    print("sent an unauthenticated probe")
    got_reply = challenge = None
    deadline = time.time() + a.wait
    while time.time() < deadline and challenge is None:
        try:
            data, src = s.recvfrom(2048)
        except socket.timeout:
            continue
        m = parse(data)
        print("received from %s:%d: %s" % (src[0], src[1], m and {k: v for k, v in m.items() if k != "frame"}))
        if m and m["type"] == "reply" and m["probe_id"] == 0x4242424242424242:
            got_reply = m
        elif m and m["type"] == "probe":
            challenge = m
    answered = False
    if challenge:
        # Echo the challenge's probe id in a reply, as the real client would.
        reply = control_frame(a.vni, REPLY, a.sender, a.receiver, time.time_ns(), challenge["probe_id"],
                              sent_on=2, in_use=2, observed=(to[0], to[1]))
        s.sendto(geneve_header(a.vni, a.route) + reply, to)
        answered = True
        print("answered the challenge (probe id %x)" % challenge["probe_id"])
    print(json.dumps({"reply_to_our_probe": got_reply is not None, "challenge": challenge is not None,
                      "answered": answered}))


def cmd_listen(a):
    print(json.dumps({"received": linger(sock_for(a.bind), a.secs)}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("check")
    p.add_argument("--pcap", required=True)
    p.add_argument("--sender", required=True)
    p.add_argument("--key", required=True)
    for name in ("send", "replay", "hijack", "listen"):
        p = sub.add_parser(name)
        p.add_argument("--bind", required=True)
        if name != "listen":
            p.add_argument("--to", required=True)
            p.add_argument("--interval", type=float, default=0.02)
            p.add_argument("--linger", type=float, default=0, help="then count what arrives for this long")
        if name in ("send", "hijack"):
            p.add_argument("--vni", type=int, required=True)
            p.add_argument("--sender", required=True)
            p.add_argument("--receiver", required=True)
            p.add_argument("--route", help="put the NAT64 routing option naming this IPv6 address, port 6081")
        if name == "send":
            p.add_argument("--type", choices=("probe", "reply"), default="probe")
            p.add_argument("--mac", default="none", help="none, wrong, or a key file")
            p.add_argument("--probe-id", type=lambda v: int(v, 0))
            p.add_argument("--counter", type=int)
            p.add_argument("--count", type=int, default=1)
        if name == "replay":
            p.add_argument("--pcap", required=True)
            p.add_argument("--sender", required=True)
            p.add_argument("--max", type=int, default=0)
        if name == "hijack":
            p.add_argument("--wait", type=float, default=3)
        if name == "listen":
            p.add_argument("--secs", type=float, default=5)
    a = ap.parse_args()
    {"check": cmd_check, "send": cmd_send, "replay": cmd_replay, "hijack": cmd_hijack, "listen": cmd_listen}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
