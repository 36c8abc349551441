#!/usr/bin/python3
"""Forged NAT64 bypass traffic (docs/protocol.md 8) for lab.bypass: what a
host that is not a trusted gateway, or one that spoofs the gateway's
address, may send a geneve-bypass server. Built with scapy, an encoder
independent of ours.

  bypass_forge.py KIND --src A --dst S [--prefix P] [--vni N]
KIND: offer (a well-formed offer), duplicated (two bypass options),
      bad-checksum (an offer whose ICMPv6 checksum is wrong),
      no-option (an offer without the option), garbage (not GENEVE).
Prints one line: what was sent.
"""
import argparse
import ipaddress
import struct

from scapy.all import IP, UDP, Ether, IPv6, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, Raw, send, conf

conf.verb = 0
GW_MAC = "82:00:5e:00:53:01"


def geneve(vni, options, frame):
    opts = b""
    for _ in range(options):
        opts += struct.pack(">HBB", 0x0162, 0x00, 1) + b"hi\xff\xff"
    return struct.pack(">BBHI", len(opts) // 4, 0, 0x6558, vni << 8) + opts + frame


def offer(target, bad_checksum=False):
    t = ipaddress.IPv6Address(target)
    snm = "ff02::1:ff" + "%02x:%02x%02x" % tuple(t.packed[13:16])
    ns = ICMPv6ND_NS(tgt=target)
    if bad_checksum:
        ns.cksum = 0x1234
    f = (Ether(dst="33:33:ff:%02x:%02x:%02x" % tuple(t.packed[13:16]), src=GW_MAC)
         / IPv6(src="fe80::8000:5eff:fe00:5301", dst=snm, hlim=255) / ns / ICMPv6NDOptSrcLLAddr(lladdr=GW_MAC))
    return bytes(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["offer", "duplicated", "bad-checksum", "no-option", "garbage"])
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--prefix", default="2001:db8:64:1::")
    ap.add_argument("--vni", type=int, default=0x123456)
    a = ap.parse_args()
    target = str(ipaddress.IPv6Address(int(ipaddress.IPv6Address(a.prefix)) | int(ipaddress.IPv4Address(a.dst))))
    if a.kind == "garbage":
        payload = b"\x07" * 40
    else:
        options = {"offer": 1, "duplicated": 2, "bad-checksum": 1, "no-option": 0}[a.kind]
        payload = geneve(a.vni, options, offer(target, a.kind == "bad-checksum"))
    send(IP(src=a.src, dst=a.dst, flags="DF") / UDP(sport=6081, dport=6081) / Raw(payload))
    print(f"sent {a.kind} from {a.src} to {a.dst} (target {target})")


if __name__ == "__main__":
    main()
