#!/usr/bin/python3
"""Cross-checks our GENEVE codec against scapy's independent GENEVE layer.

Both directions: packets built by scapy are parsed by our codec
(geneve-codec-tool parse), and packets built by our codec are parsed by
scapy; every field must agree. Runs under Debian's /usr/bin/python3, which
has python3-scapy.

Usage: scapy_roundtrip.py PATH/TO/geneve-codec-tool
"""
import ipaddress
import json
import subprocess
import sys

from scapy.contrib.geneve import GENEVE, GeneveOptions
from scapy.layers.inet6 import IPv6, ICMPv6EchoRequest
from scapy.layers.l2 import Ether

# scapy 2.5's GeneveOptions has no extract_padding, so when it parses a list
# of options the first one swallows the rest as a Raw payload. Each option is
# self-delimiting (its length field), so the fix is to hand the remainder back.
GeneveOptions.extract_padding = lambda self, s: (b"", s)

TOOL = sys.argv[1]
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def route_data(addr, port):
    return ipaddress.IPv6Address(addr).packed + port.to_bytes(2, "big") + b"\xff\xff"


def ours_parse(raw):
    out = subprocess.run([TOOL, "parse", raw.hex()], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def ours_build(args):
    out = subprocess.run([TOOL, "build", *args], check=True, capture_output=True, text=True)
    return bytes.fromhex(out.stdout.strip())


inner = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
              IPv6(src="fd00::1", dst="fd00::2") / ICMPv6EchoRequest(data=b"x" * 40))

# --- scapy builds, we parse -------------------------------------------------
# scapy 2.5 masks an auto-computed optionlen with 0x2f, so it is set here.
scapy_vectors = [
    ("no options", GENEVE(vni=1, proto=0x6558, optionlen=0), None),
    ("route option", GENEVE(vni=42, proto=0x6558, optionlen=6,
                            options=[GeneveOptions(classid=0x0162, type=0x01, length=5,
                                                   data=route_data("2001:db8:b::1", 6081))]),
     ("2001:db8:b::1", 6081)),
    ("max vni, other port", GENEVE(vni=0xffffff, proto=0x6558, optionlen=6,
                                   options=[GeneveOptions(classid=0x0162, type=0x01, length=5,
                                                          data=route_data("2001:db8:64::cb00:715a", 7000))]),
     ("2001:db8:64::cb00:715a", 7000)),
    ("unknown option first", GENEVE(vni=7, proto=0x6558, optionlen=8,
                                    options=[GeneveOptions(classid=0x0100, type=0x10, length=1, data=b"\x01\x02\x03\x04"),
                                             GeneveOptions(classid=0x0162, type=0x01, length=5,
                                                           data=route_data("2001:db8::5", 6081))]),
     ("2001:db8::5", 6081)),
    ("oam bit", GENEVE(vni=9, proto=0x6558, oam=1, optionlen=0), None),
]
for name, hdr, route in scapy_vectors:
    raw = bytes(hdr / inner) if hdr.proto == 0x6558 else bytes(hdr)
    got = ours_parse(raw)
    check(name + ": parses", got["error"] == "ok", got)
    if got["error"] != "ok":
        continue
    check(name + ": vni", got["vni"] == hdr.vni, got["vni"])
    check(name + ": protocol", got["protocol"] == 0x6558, got["protocol"])
    check(name + ": oam", got["oam"] == bool(hdr.oam))
    check(name + ": payload", bytes.fromhex(got["payload"]) == inner)
    check(name + ": option count", len(got["options"]) == len(hdr.options))
    if route:
        check(name + ": route", got["route_state"] == "present" and
              ipaddress.IPv6Address(got["route_address"]) == ipaddress.IPv6Address(route[0]) and
              got["route_port"] == route[1], got)
    else:
        check(name + ": no route", got["route_state"] == "absent")

# A critical unknown option built by scapy is refused by us.
crit = GENEVE(vni=1, proto=0x6558, critical=1, optionlen=1,
              options=[GeneveOptions(classid=0x0162, type=0x81, length=0)]) / inner
check("critical unknown refused", ours_parse(bytes(crit))["error"] == "unknown critical option")

# --- we build, scapy parses -------------------------------------------------
our_vectors = [
    (["--vni", "42", "--route", "2001:db8:b::1", "6081"], 42, [("2001:db8:b::1", 6081)]),
    (["--vni", "16777215"], 0xffffff, []),
    (["--vni", "0", "--option", "0x0100", "0x10", "0102030405", "--route", "2001:db8:a::1", "6082"], 0,
     [None, ("2001:db8:a::1", 6082)]),
]
for args, vni, opts in our_vectors:
    raw = ours_build(args + ["--payload", inner.hex()])
    pkt = GENEVE(raw)
    name = " ".join(args)
    check(name + ": scapy vni", pkt.vni == vni, pkt.vni)
    check(name + ": scapy proto", pkt.proto == 0x6558)
    check(name + ": scapy version", pkt.version == 0)
    check(name + ": scapy optionlen", pkt.optionlen * 4 == sum(4 + len(o.data) for o in pkt.options))
    check(name + ": scapy option count", len(pkt.options) == len(opts), len(pkt.options))
    for o, want in zip(pkt.options, opts):
        if want is None:
            check(name + ": padding 0xff", o.data[5:] == b"\xff\xff\xff", o.data)
            continue
        check(name + ": class/type", o.classid == 0x0162 and o.type == 0x01)
        check(name + ": length 5", o.length == 5)
        check(name + ": address", ipaddress.IPv6Address(o.data[:16]) == ipaddress.IPv6Address(want[0]))
        check(name + ": port", int.from_bytes(o.data[16:18], "big") == want[1])
        check(name + ": padding", o.data[18:20] == b"\xff\xff")
    check(name + ": inner frame", bytes(pkt.payload) == inner)
    check(name + ": scapy sees Ethernet", pkt.haslayer(Ether) and pkt[IPv6].dst == "fd00::2")

print(f"scapy interop: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
