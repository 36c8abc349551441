#!/usr/bin/env bash
# Issue 3: the `client-server` lab carries plain UDP on both client paths:
# client4 behind a CGN (NAT444) and client6 behind a NAT64 without the
# extension (TAYGA + masquerade) reach gw's public IPv4 side and get the
# reply. The lab NATs drop unsolicited inbound packets (no conntrack entry
# is confirmed, the mapping keeps its port). The attacker on the IPv4
# Internet reaches gw but sees none of the clients' traffic.
# (The GENEVE client/server modes come later.)
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_topology client-server
GW4=192.0.2.2            # gw's public (link) address; 192.0.2.7 is its pool

# UDP echo on gw that answers with the address and port it saw.
daemon gw "$LAB_TMP/echo.log" socat UDP4-RECVFROM:7000,bind=$GW4,fork SYSTEM:'read l; echo "$l from $SOCAT_PEERADDR:$SOCAT_PEERPORT"'
wait_until 5 on gw sh -c "ss -lunH 'sport = :7000' | grep -q ."

# Everything the attacker's link sees while the clients talk (but the
# kernel's own IPv6 multicast chatter, MLD, on link-up).
ip netns exec "$LAB-attacker" tcpdump -i to-inet -n -U -w "$LAB_TMP/attacker.pcap" not arp and not ip6 multicast >"$LAB_TMP/tcpdump.log" 2>&1 &
TCPDUMP=$!
LAB_PIDS+=("$TCPDUMP")
wait_until 5 grep -q "listening on" "$LAB_TMP/tcpdump.log"

r4=$(echo hello4 | on client4 timeout 5 socat -t 2 - UDP4:$GW4:7000,sourceport=40000 || true)
echo "    client4 got: $r4"
check "UDP client4 -> CGN -> gw ($GW4:7000) and back, seen from the CGN's address" \
  bash -c "[[ '$r4' == 'hello4 from 203.0.113.2:'* ]]"
r6=$(echo hello6 | on client6 timeout 5 socat -t 2 - "UDP6:[2001:db8:64:c::$GW4]:7000" || true)
echo "    client6 got: $r6"
check "UDP client6 -> TAYGA + masquerade -> gw (2001:db8:64:c::$GW4) and back, seen from 198.51.100.2" \
  bash -c "[[ '$r6' == 'hello6 from 198.51.100.2:'* ]]"
check "ping client6 -> 2001:db8:64:c::$GW4 through TAYGA" on client6 ping -q -c 2 -i 0.2 -W 2 2001:db8:64:c::$GW4
check "ping client4 -> $GW4 through the CGN" on client4 ping -q -c 2 -i 0.2 -W 2 $GW4

# Unsolicited inbound at the CGN: dropped before conntrack confirms it. The
# probes must be seen arriving at the CGN and at the NAT64 node (captured
# there, before netfilter), or "no conntrack entry" would also pass for
# probes never sent.
port4=${r4##*:}
for n in cgn nat64; do
  ip netns exec "$LAB-$n" tcpdump -i to-inet -n -U -w "$LAB_TMP/probe-$n.pcap" udp and src 192.0.2.66 \
    >"$LAB_TMP/probe-$n.log" 2>&1 &
  LAB_PIDS+=("$!")
  wait_until 5 grep -q "listening on" "$LAB_TMP/probe-$n.log"
done
echo probe | on attacker socat -u - UDP4:203.0.113.2:"$port4",sourceport=4444 || true
echo probe | on attacker socat -u - UDP4:198.51.100.2:7000,sourceport=4444 || true
probe_arrived() {  # probe_arrived NODE DST.PORT: NODE's capture holds the probe to DST.PORT
  tcpdump -r "$LAB_TMP/probe-$1.pcap" -n 2>/dev/null | grep -q "192.0.2.66.4444 > $2:"
}
check "the probe to the CGN's mapping (203.0.113.2:$port4) arrived at the CGN" \
  wait_until 5 probe_arrived cgn "203.0.113.2.$port4"
check "the probe to 198.51.100.2:7000 arrived at the NAT64 node" wait_until 5 probe_arrived nat64 198.51.100.2.7000
check "CGN keeps no conntrack entry for the attacker's probe" bash -c "! ip netns exec $LAB-cgn conntrack -L 2>/dev/null | grep -q 192.0.2.66"
check "NAT64 node keeps no conntrack entry for the attacker's probe" bash -c "! ip netns exec $LAB-nat64 conntrack -L 2>/dev/null | grep -q 192.0.2.66"
r4b=$(echo again | on client4 timeout 5 socat -t 2 - UDP4:$GW4:7000,sourceport=40000 || true)
check "client4's mapping kept its port ($port4) after the probe (${r4b##*:})" test "${r4b##*:}" = "$port4"

kill -TERM "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true
seen=$(tcpdump -r "$LAB_TMP/attacker.pcap" -n 2>/dev/null | grep -v '192.0.2.66' | wc -l || true)
total=$(tcpdump -r "$LAB_TMP/attacker.pcap" -n 2>/dev/null | wc -l || true)
echo "    attacker's link: $total packets captured, $seen not its own"
tcpdump -r "$LAB_TMP/attacker.pcap" -n 2>/dev/null | grep -v '192.0.2.66' | head -5 || true
# Its own two probes prove that the capture worked.
check "the attacker sees none of the clients' traffic ($seen packets; its own probes: $((total - seen)))" \
  test "$seen" -eq 0 -a "$((total - seen))" -ge 2
check "the attacker reaches gw's public address" on attacker ping -q -c 2 -i 0.2 -W 2 $GW4
check "the attacker reaches gw's pool address (answered by the gateway)" on attacker ping -q -c 2 -i 0.2 -W 2 192.0.2.7
check "gw's gateway and TAYGA are running" bash -c "lab() { BUILD_DIR=$BUILD_DIR $LAB_CMD \"\$@\"; }; lab client-server status | grep -c ': running' | grep -qx 2"
summary
