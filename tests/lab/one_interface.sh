#!/usr/bin/env bash
# Issue 12 acceptance: one server interface for many clients, in the
# `client-server` lab. One geneve-server --config with "interface" (gns0,
# fd01::1/48 and 10.77.0.1/16) serves three real geneve-client processes,
# each with its own key, VNI and allowed_ips:
#   c1 in client4  (IPv4 behind the CGN)        fd01:0:0:1::/64, 10.77.1.0/24
#   c2 in client6  (IPv6 only behind TAYGA)     fd01:0:0:2::/64, 10.77.2.0/24
#   c3 in attacker (public IPv4, no NAT)        fd01:0:0:3::/64, 10.77.3.0/24
# (two clients cannot share a node: a client listens on the port it sends
# to, 6081). Client i has fd01:0:0:i::2/48 and 10.77.i.2/16 on gnc<i>.
#
# Asserted: pings both ways over IPv6 and IPv4 and 20 MB each way with sha256
# for every client; the status lists every peer's allowed_ips, the one
# interface and the data plane carrying it; with the server's neighbour cache flushed and 200 pings of each
# family from the server to c1, captures on gnc2 and gnc3 hold no frame of
# c1's (its addresses, its MAC, ND or ARP for it) while gnc1's capture holds
# the pings and the neighbour solicitation and ARP request for its
# addresses (and the pings to c2 sent in the same window show at gnc2, so
# that capture did see traffic); c1 sending from c2's addresses
# (fd01:0:0:2::99, 10.77.2.99 added to gnc1, and ARP claiming 10.77.2.99),
# or an echo request from its link-local address: nothing of it reaches
# gns0 (nor the server's stack: its echo counters count c1's own pings only,
# it learns no neighbour 10.77.2.99) and c1's source_not_allowed rises by
# at least the number sent, c2's counters untouched; frames for an address
# no client owns reach no client and are counted no_peer; SIGTERM removes
# gns0 and leaves nothing of ours (GENEVE link, clsact, nftables table).
#
# The same assertions on either data plane (issue 11; the VM runs it with
# the server on kernel GENEVE, tests/vm/server_kernel.sh):
#   SERVER_ARGS       extra arguments of geneve-server ("--dataplane kernel")
#   CLIENT_ARGS       extra arguments of every geneve-client
#   CLIENT1_ARGS...   extra arguments of client i (after CLIENT_ARGS)
#   UP_WAIT           seconds the server and clients get to come up (default
#                     10; the VM's emulated CPU needs more: a kernel server
#                     took 8 s there)
# The server's plane is the one asked for (auto: the kernel where it has
# GENEVE), and every peer's status must say so. On the kernel, what the
# userspace plane counts itself is read from the tc filters on gns0: the
# spoofing drops of client i from its ingress chain i's final drop (pref
# 900), no_peer from the egress final drop (pref 900), a client's received
# frames from the chain-0 filter that admits it (handle i); and the kernel
# must carry each learned path: that filter's outer source and VNI, and an
# element (address . port) of the nftables map dport6/dport4 for it.
# A capture on gns0 sees frames before tc ingress drops them, so on the
# kernel "nothing reaches gns0" is the server stack's counters alone.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_topology client-server
BIN="$BUILD_DIR"
SERVER=2001:db8:5::1
NODES=(client4 client6 attacker)  # client i runs in ${NODES[i-1]}
TRANSFER_MB=20
read -ra S_ARGS <<<"${SERVER_ARGS:-}"
# plane_of ARGS...: the data plane these arguments ask for ("" for auto).
plane_of() {
  local a=" $* "
  case "$a" in
    *" --dataplane kernel "*) echo kernel ;;
    *" --dataplane userspace "*) echo userspace ;;
    *) echo "" ;;
  esac
}
S_PLANE=$(plane_of "${S_ARGS[@]}")
if [ -z "$S_PLANE" ]; then
  S_PLANE=userspace
  ! host_has_geneve server || S_PLANE=kernel
fi
echo "    server: ${S_ARGS[*]:-(no extra arguments)}: expecting the $S_PLANE data plane"

umask 077
for i in 1 2 3; do "$BIN/geneve-ctl" genkey >"$LAB_TMP/key$i"; done
/usr/bin/python3 - "$SERVER" "$LAB_TMP" >"$LAB_TMP/server.json" <<'EOF'
import json, sys
server, tmp = sys.argv[1], sys.argv[2]
print(json.dumps({"local": server, "interface": {"ifname": "gns0", "address": ["fd01::1/48", "10.77.0.1/16"]},
                  "clients": [{"name": "c%d" % i, "vni": 100 + i, "remote": "fd00:c%d::1" % i,
                               "key_file": "%s/key%d" % (tmp, i),
                               "allowed_ips": ["fd01:0:0:%d::/64" % i, "10.77.%d.0/24" % i]} for i in (1, 2, 3)]},
                 indent=1))
EOF

daemon server "$LAB_TMP/server.log" "$BIN/geneve-server" --config "$LAB_TMP/server.json" --run-dir "$LAB_TMP/run-s" \
  "${S_ARGS[@]}"
PID_S=$LAST_PID
PIDS=()
C_PLANE=()
for i in 1 2 3; do
  extra=()
  [ "${NODES[i - 1]}" != client6 ] || extra=(--nat64-prefix 2001:db8:64:c::/96)
  own="CLIENT${i}_ARGS"
  read -ra c_args <<<"${CLIENT_ARGS:-} ${!own:-}"
  C_PLANE[i]=$(plane_of "${c_args[@]}")
  [ ${#c_args[@]} -eq 0 ] || echo "    c$i: ${c_args[*]}"
  daemon "${NODES[i - 1]}" "$LAB_TMP/c$i.log" "$BIN/geneve-client" $((100 + i)) "fd00:c$i::1" 192.0.2.7 $SERVER \
    "${extra[@]}" --key-file "$LAB_TMP/key$i" --ifname "gnc$i" --address "fd01:0:0:$i::2/48" \
    --address "10.77.$i.2/16" --run-dir "$LAB_TMP/run-c$i" "${c_args[@]}"
  PIDS+=("$LAST_PID")
done

UP_WAIT=${UP_WAIT:-10}
check "server up with one interface gns0 (fd01::1/48, 10.77.0.1/16); gnc1, gnc2, gnc3 in their nodes" \
  wait_until "$UP_WAIT" bash -c "ip -n $LAB-server addr show dev gns0 | grep -q 'inet6 fd01::1/48' &&
    ip -n $LAB-server addr show dev gns0 | grep -q 'inet 10.77.0.1/16' &&
    ip -n $LAB-client4 link show gnc1 && ip -n $LAB-client6 link show gnc2 && ip -n $LAB-attacker link show gnc3"
for i in 1 2 3; do
  check "c$i (${NODES[i - 1]}): tunnel carries traffic within $UP_WAIT s" \
    wait_until "$UP_WAIT" on "${NODES[i - 1]}" ping -c 1 -W 1 fd01::1
done

s_status() { on server "$BIN/geneve-ctl" show geneve-server --json --run-dir "$LAB_TMP/run-s"; }

for i in 1 2 3; do
  n=${NODES[i - 1]}
  check "c$i: inner ping client -> server, IPv6 and IPv4" \
    bash -c "ip netns exec $LAB-$n ping -q -c 3 -i 0.2 -W 2 fd01::1 >/dev/null &&
             ip netns exec $LAB-$n ping -q -c 3 -i 0.2 -W 2 10.77.0.1 >/dev/null"
  check "c$i: inner ping server -> client, IPv6 and IPv4" \
    bash -c "ip netns exec $LAB-server ping -q -c 3 -i 0.2 -W 2 fd01:0:0:$i::2 >/dev/null &&
             ip netns exec $LAB-server ping -q -c 3 -i 0.2 -W 2 10.77.$i.2 >/dev/null"
done
head -c $((TRANSFER_MB * 1000000)) /dev/urandom >"$LAB_TMP/data"
for i in 1 2 3; do
  check "$TRANSFER_MB MB c$i -> server, matching sha256" transfer_file "${NODES[i - 1]}" fd01::1 server "$LAB_TMP/data"
  check "$TRANSFER_MB MB server -> c$i, matching sha256" transfer_file server "fd01:0:0:$i::2" "${NODES[i - 1]}" \
    "$LAB_TMP/data"
done

s_status >"$LAB_TMP/status.json"
check "status: the one interface gns0 for the server and each peer, each peer's allowed_ips as configured, a learned, alive path, on the $S_PLANE data plane" /usr/bin/python3 -c '
import ipaddress, json, sys
s = json.load(open(sys.argv[1]))
plane = sys.argv[2]
assert s["interface"] == "gns0", s["interface"]
for p in s["peers"]:
    assert p["interface"] == "gns0", (p["name"], p["interface"])
    i = int(p["name"][1:])
    want = [ipaddress.ip_network("fd01:0:0:%d::/64" % i), ipaddress.ip_network("10.77.%d.0/24" % i)]
    print("    %s (vni %d): allowed_ips %s, path %s %s alive %s; %s data plane (%s)" % (p["name"], p["vni"],
          p["allowed_ips"], p["path"]["kind"], p["path"]["target"], p["path"]["alive"], p["dataplane"]["kind"],
          p["dataplane"]["reason"]))
    assert [ipaddress.ip_network(a) for a in p["allowed_ips"]] == want, p["allowed_ips"]
    assert p["path"]["kind"] == "learned" and p["path"]["alive"], p["path"]
    assert p["dataplane"]["kind"] == plane, p["dataplane"]
assert sorted(p["name"] for p in s["peers"]) == ["c1", "c2", "c3"]
' "$LAB_TMP/status.json" "$S_PLANE"
for i in 1 2 3; do
  [ -n "${C_PLANE[i]}" ] || continue
  kind=$(on "${NODES[i - 1]}" "$BIN/geneve-ctl" show "gnc$i" --json --run-dir "$LAB_TMP/run-c$i" |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["dataplane"]["kind"])')
  check "c$i runs on the ${C_PLANE[i]} data plane, as asked ($kind)" test "$kind" = "${C_PLANE[i]}"
done
if [ "$S_PLANE" = kernel ]; then
  on server tc -s -j filter show dev gns0 ingress chain 0 >"$LAB_TMP/ingress0.json"
  on server nft -j list table inet geneve_nat64_gns0 >"$LAB_TMP/table.json"
  check "the kernel carries each learned path: gns0's ingress chain 0 admits it (filter handle i: VNI, outer source), to chain i; the table's dport map has its address and port" /usr/bin/python3 -c '
import ipaddress, json, sys
s, tc, nft = (json.load(open(f)) for f in sys.argv[1:4])
def target(t):  # "[addr]:port" -> (address, port)
    a, p = t.rsplit(":", 1)
    return ipaddress.ip_address(a.strip("[]")), int(p)
# The learned path, as the kernel sees the outer header: an IPv4-mapped
# target is an IPv4 outer source.
learned = {p["name"]: target(p["path"]["target"]) for p in s["peers"]}
elements = set()
for o in nft["nftables"]:
    m = o.get("map")
    if m and m["name"] in ("dport6", "dport4"):
        for key, port in m.get("elem", []):
            elements.add((ipaddress.ip_address(key["concat"][1]), port))
print("    dport map elements:", sorted((str(a), p) for a, p in elements))
filters = {f["options"]["handle"]: f for f in tc if "options" in f and f["pref"] in (10, 11)}
for p in s["peers"]:
    i = int(p["name"][1:])
    f = filters.get(i)
    assert f, ("no chain-0 filter with handle %d" % i, sorted(filters))
    k, a = f["options"]["keys"], f["options"]["actions"][0]["control_action"]
    print("    %s: chain 0 pref %d handle %d %s -> %s" % (p["name"], f["pref"], i, k, a))
    addr, port = learned[p["name"]]
    assert ipaddress.ip_address(k["enc_src_ip"]) == addr and k["enc_key_id"] == p["vni"], (k, addr)
    assert a == {"type": "goto", "chain": i}, a
    assert (addr, port) in elements, ((str(addr), port), elements)
assert len(elements) == len(s["peers"]), elements
' "$LAB_TMP/status.json" "$LAB_TMP/ingress0.json" "$LAB_TMP/table.json"
fi

# ---- confinement: what the server sends to c1 reaches c1 only ----------
MAC1=$(ip -n "$LAB-client4" -br link show gnc1 | awk '{print $3}')
on server ip neigh flush dev gns0
on server ip -6 neigh flush dev gns0
for i in 1 2 3; do
  capture "${NODES[i - 1]}" "gnc$i" "$LAB_TMP/gnc$i.pcap"
  CAPS[i]=$LAST_PID
done
on server ping -q -c 200 -i 0.01 -W 2 fd01:0:0:1::2 >/dev/null || true
on server ping -q -c 200 -i 0.01 -W 2 10.77.1.2 >/dev/null || true
on server ping -q -c 5 -i 0.05 -W 2 fd01:0:0:2::2 >/dev/null || true
for i in 1 2 3; do capture_stop "${CAPS[i]}"; done
# count PCAP FILTER: frames in PCAP that match the tshark display FILTER.
count() { tshark -r "$1" -Y "$2" 2>/dev/null | wc -l; }
C1="ipv6.addr == fd01:0:0:1::2 || ip.addr == 10.77.1.2 || eth.addr == $MAC1 || arp.dst.proto_ipv4 == 10.77.1.2 ||
    icmpv6.nd.ns.target_address == fd01:0:0:1::2 || icmpv6.nd.na.target_address == fd01:0:0:1::2"
echo6_1=$(count "$LAB_TMP/gnc1.pcap" "icmpv6.type == 128 && ipv6.dst == fd01:0:0:1::2")
echo4_1=$(count "$LAB_TMP/gnc1.pcap" "icmp.type == 8 && ip.dst == 10.77.1.2")
ns_1=$(count "$LAB_TMP/gnc1.pcap" "icmpv6.type == 135 && icmpv6.nd.ns.target_address == fd01:0:0:1::2")
arp_1=$(count "$LAB_TMP/gnc1.pcap" "arp.opcode == 1 && arp.dst.proto_ipv4 == 10.77.1.2")
echo6_2=$(count "$LAB_TMP/gnc2.pcap" "icmpv6.type == 128 && ipv6.dst == fd01:0:0:2::2")
leak2=$(count "$LAB_TMP/gnc2.pcap" "$C1")
leak3=$(count "$LAB_TMP/gnc3.pcap" "$C1")
ns_leak=$(count "$LAB_TMP/gnc2.pcap" "icmpv6.nd.ns.target_address == fd01:0:0:1::2")
ns_leak=$((ns_leak + $(count "$LAB_TMP/gnc3.pcap" "icmpv6.nd.ns.target_address == fd01:0:0:1::2")))
echo "    at gnc1: $echo6_1 IPv6 and $echo4_1 IPv4 echo requests, $ns_1 NS for fd01:0:0:1::2, $arp_1 ARP requests for 10.77.1.2;" \
  "at gnc2: $echo6_2 echo requests for c2, $leak2 frames of c1's; at gnc3: $leak3 frames of c1's"
check "gnc1 got the server's 200 + 200 echo requests ($echo6_1 IPv6, $echo4_1 IPv4)" \
  test "$echo6_1" -ge 200 -a "$echo4_1" -ge 200
check "gnc1 got the server's neighbour solicitation and ARP request for its addresses ($ns_1 NS, $arp_1 ARP)" \
  test "$ns_1" -ge 1 -a "$arp_1" -ge 1
check "gnc2's capture saw the 5 echo requests sent to c2 in the same window ($echo6_2)" test "$echo6_2" -ge 5
check "no frame meant for c1 at gnc2 ($leak2) or gnc3 ($leak3)" test "$leak2" -eq 0 -a "$leak3" -eq 0
check "ND for c1's address reached no other client ($ns_leak NS at gnc2 and gnc3)" test "$ns_leak" -eq 0

# ---- an address no client owns: dropped, counted, sent nowhere -----------
# Frames the server sends that no client owns: the kernel's egress final drop.
no_peer() {
  if [ "$S_PLANE" = kernel ]; then
    tc_packets server gns0 egress 0 900
  else
    s_status | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["unattributed_drops"]["no_peer"])'
  fi
}
np0=$(no_peer)
for i in 1 2 3; do
  capture "${NODES[i - 1]}" "gnc$i" "$LAB_TMP/nobody$i.pcap"
  CAPS[i]=$LAST_PID
done
on server ping -q -c 3 -i 0.2 -W 1 fd01:0:0:99::2 >/dev/null || true
on server ping -q -c 3 -i 0.2 -W 1 10.77.99.2 >/dev/null || true
for i in 1 2 3; do capture_stop "${CAPS[i]}"; done
np1=$(no_peer)
seen=0
NOBODY="ipv6.addr == fd01:0:0:99::2 || ip.addr == 10.77.99.2 || arp.dst.proto_ipv4 == 10.77.99.2 ||
        icmpv6.nd.ns.target_address == fd01:0:0:99::2"
for i in 1 2 3; do seen=$((seen + $(count "$LAB_TMP/nobody$i.pcap" "$NOBODY"))); done
echo "    no_peer drops $np0 -> $np1; frames for fd01:0:0:99::2 / 10.77.99.2 at the clients: $seen"
check "frames for fd01:0:0:99::2 and 10.77.99.2 (no client's) reach no client ($seen) and are counted no_peer" \
  test "$seen" -eq 0 -a "$np1" -gt "$np0"

# ---- spoofing: c1 sends from c2's addresses -----------------------------
on client4 ip addr add fd01:0:0:2::99/128 dev gnc1 nodad
on client4 ip addr add 10.77.2.99/32 dev gnc1
peer_field() {  # peer_field STATUS NAME FIELD...: a number from a peer's entry
  /usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1])); p = next(p for p in s["peers"] if p["name"] == sys.argv[2])
for k in sys.argv[3:]: p = p[k]
print(p)' "$@"
}
# What of client i the server dropped for its inner source, and what of it
# the server took: on the kernel, chain i's final drop (link-local
# neighbour discovery is let through in chain i itself, so a link-local echo
# request ends there too), and the chain-0 filter that sends client i's
# frames to chain i.
source_not_allowed() {  # source_not_allowed I STATUS-FILE
  if [ "$S_PLANE" = kernel ]; then
    tc_packets server gns0 ingress "$1" 900
  else
    peer_field "$2" "c$1" drops source_not_allowed
  fi
}
rx_packets() {  # rx_packets I STATUS-FILE
  if [ "$S_PLANE" = kernel ]; then
    echo $(($(tc_packets server gns0 ingress 0 10 "$1") + $(tc_packets server gns0 ingress 0 11 "$1")))
  else
    peer_field "$2" "c$1" rx_packets
  fi
}
# echo_requests: the echo requests the server's stack took, IPv6 and IPv4.
echo_requests() {
  on server /usr/bin/python3 -c '
v6 = dict(l.split() for l in open("/proc/net/snmp6"))["Icmp6InEchos"]
icmp = [l.split()[1:] for l in open("/proc/net/snmp") if l.startswith("Icmp:")]
print(v6, dict(zip(*icmp))["InEchos"])'
}
MAC_S=$(ip -n "$LAB-server" -br link show gns0 | awk '{print $3}')
# c1 knows the server's MACs for good: a stale entry would be probed with a
# solicitation from the spoofed source, dropped, and the pings queued
# behind it never sent (as in the slow VM), so the count sent would not be
# the count that left.
on client4 ip neigh replace fd01::1 lladdr "$MAC_S" dev gnc1 nud permanent
on client4 ip neigh replace 10.77.0.1 lladdr "$MAC_S" dev gnc1 nud permanent
LL1=$(ip -n "$LAB-client4" -6 addr show dev gnc1 scope link | awk '/inet6/ {sub("/.*", "", $2); print $2}')
s_status >"$LAB_TMP/spoof-before.json"
sna0=$(source_not_allowed 1 "$LAB_TMP/spoof-before.json")
[ "$S_PLANE" != kernel ] || own0=$(tc_packets server gns0 ingress 1 900)
c2rx0=$(rx_packets 2 "$LAB_TMP/spoof-before.json")
read -r echo6_0 echo4_0 <<<"$(echo_requests)"
capture server gns0 "$LAB_TMP/spoof.pcap"
CAP_S=$LAST_PID
capture client4 gnc1 "$LAB_TMP/spoof-sent.pcap"
CAP_C=$LAST_PID
on client4 ping -q -c 20 -i 0.05 -W 1 -I fd01:0:0:2::99 fd01::1 >/dev/null || true
on client4 ping -q -c 20 -i 0.05 -W 1 -I 10.77.2.99 10.77.0.1 >/dev/null || true
# Written into gnc1 (scapy): ARP claiming c2's address (gnc1's own MAC,
# sender 10.77.2.99), as would poison the server's ARP cache; and echo
# requests from gnc1's link-local address to fd01::1: a link-local source
# passes only for ND and MLD.
on client4 /usr/bin/python3 -c '
import sys
from scapy.all import ARP, Ether, ICMPv6EchoRequest, IPv6, sendp
mac, mac_s, ll = sys.argv[1:4]
sendp(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac, psrc="10.77.2.99", pdst="10.77.0.1"),
      iface="gnc1", count=5, verbose=False)
sendp(Ether(src=mac, dst=mac_s) / IPv6(src=ll, dst="fd01::1") / ICMPv6EchoRequest(id=0x4c4c),
      iface="gnc1", count=5, verbose=False)' "$MAC1" "$MAC_S" "$LL1"
# c1's own address must arrive (named: source selection would pick the
# /128, whose prefix matches fd01::1 longer than the /48's length allows).
on client4 ping -q -c 5 -i 0.05 -W 1 -I fd01:0:0:1::2 fd01::1 >/dev/null || true
# The counter is read after the last spoofed ping's data has been through
# the server (the genuine pings after them were answered or timed out).
s_status >"$LAB_TMP/spoof-after.json"
sna1=$(source_not_allowed 1 "$LAB_TMP/spoof-after.json")
[ "$S_PLANE" != kernel ] || own1=$(tc_packets server gns0 ingress 1 900)
c2rx1=$(rx_packets 2 "$LAB_TMP/spoof-after.json")
read -r echo6_1 echo4_1 <<<"$(echo_requests)"
capture_stop "$CAP_S"
capture_stop "$CAP_C"
neigh=$(on server ip neigh show 10.77.2.99 dev gns0)
SPOOFED="ipv6.src == fd01:0:0:2::99 || ip.src == 10.77.2.99 || arp.src.proto_ipv4 == 10.77.2.99 ||
  (icmpv6.type == 128 && ipv6.src == fe80::/10)"
spoofed=$(count "$LAB_TMP/spoof.pcap" "$SPOOFED")
spoof_sent=$(count "$LAB_TMP/spoof-sent.pcap" "$SPOOFED")
genuine=$(count "$LAB_TMP/spoof.pcap" "icmpv6.type == 128 && ipv6.src == fd01:0:0:1::2")
echo "    c1 source_not_allowed $sna0 -> $sna1 after 40 pings from c2's addresses, 5 forged ARP, 5 echo requests from link-local" \
  "($spoof_sent such frames left gnc1);" \
  "at gns0: $spoofed of those frames, $genuine of c1's own echo requests; c2 rx_packets $c2rx0 -> $c2rx1;" \
  "the server's stack took $((echo6_1 - echo6_0)) IPv6 and $((echo4_1 - echo4_0)) IPv4 echo requests;" \
  "its neighbour entry for 10.77.2.99: ${neigh:-none}"
if [ "$S_PLANE" = kernel ]; then
  check "c1's own pings reach gns0 ($genuine)" test "$genuine" -ge 5
else
  check "none of c1's frames from c2's addresses or link-local echo reaches gns0 ($spoofed frames), c1's own pings do ($genuine)" \
    test "$spoofed" -eq 0 -a "$genuine" -ge 5
fi
check "the server's stack took c1's own echo requests only ($((echo6_1 - echo6_0)) IPv6 of $genuine, $((echo4_1 - echo4_0)) IPv4) and no ARP claiming 10.77.2.99" \
  test $((echo6_1 - echo6_0)) -eq "$genuine" -a $((echo4_1 - echo4_0)) -eq 0 -a -z "$neigh"
check "c1's source_not_allowed rose by at least the 50 sent ($((sna1 - sna0)))" test $((sna1 - sna0)) -ge 50
[ "$S_PLANE" != kernel ] ||
  check "of which c1's own chain dropped at least the 45 from c2's addresses ($((own1 - own0)))" test $((own1 - own0)) -ge 45
check "c2's counters untouched by c1's spoofing (rx_packets $c2rx0 -> $c2rx1)" test "$c2rx1" -le $((c2rx0 + 10))
on client4 ip addr del fd01:0:0:2::99/128 dev gnc1
on client4 ip addr del 10.77.2.99/32 dev gnc1
on client4 ip neigh del fd01::1 dev gnc1
on client4 ip neigh del 10.77.0.1 dev gnc1

# SIGTERM: exit 0, the one interface gone.
kill -TERM "$PID_S" "${PIDS[@]}"
rc=""
for p in "$PID_S" "${PIDS[@]}"; do
  r=0
  wait "$p" || r=$?
  rc="$rc$r"
done
echo "    exit status after SIGTERM (server c1 c2 c3): $rc"
check "SIGTERM: server and clients exit 0" test "$rc" = 0000
check "SIGTERM: gns0 is gone" bash -c "! ip -n $LAB-server link show gns0 2>/dev/null"
for n in server "${NODES[@]}"; do
  check "SIGTERM: nothing of ours left in $n (GENEVE link, clsact, nftables table)" nothing_of_ours "$n"
done
summary
