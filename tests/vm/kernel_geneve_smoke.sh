#!/usr/bin/env bash
# Runs inside the VM (scripts/vm-run): the kernel there has GENEVE, so this
# checks what the kernel data plane will rely on: GENEVE devices over IPv4
# and IPv6 that send nonzero, correct UDP checksums (asserted on the wire: a
# capture on the underlay, checked by tshark), an external (collect-metadata)
# device, one per namespace.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init vm
ns x >/dev/null
ns z >/dev/null
link x vx z vz
on x ip addr add 192.0.2.2/24 dev vx
on x ip addr add 2001:db8::2/64 dev vx nodad
on z ip addr add 192.0.2.1/24 dev vz
on z ip addr add 2001:db8::1/64 dev vz nodad
# Checksums computed in software, so the capture shows the real ones (with
# offload it sees a partial checksum).
on x ethtool -K vx tx off >/dev/null
check "geneve device over IPv4 with UDP checksums" \
  on x ip link add g4 type geneve id 42 remote 192.0.2.1 dstport 6081 udpcsum
# IPv6: checksums are on unless udp6zerocsumtx; said explicitly all the same.
check "geneve device over IPv6 with UDP checksums" \
  on x ip link add g6 type geneve id 43 remote 2001:db8::1 dstport 6082 noudp6zerocsumtx
check "the IPv4 device reports udpcsum" sh -c "ip -n $LAB-x -d link show g4 | grep -qw udpcsum"
check "the IPv6 device reports checksums on (noudp6zerocsumtx)" \
  sh -c "ip -n $LAB-x -d link show g6 | grep -qw noudp6zerocsumtx"

# On the wire: inner ARP and neighbour solicitations, encapsulated, seen in z.
on x ip link set g4 up
on x ip link set g6 up
on x ip addr add 10.42.0.1/24 dev g4
on x ip addr add fd00:43::1/64 dev g6 nodad
ip netns exec "$LAB-z" tcpdump -i vz -U -s 0 -w "$LAB_TMP/wire.pcap" udp >"$LAB_TMP/tcpdump.log" 2>&1 &
CAPTURE=$!
LAB_PIDS+=("$CAPTURE")
wait_until 10 grep -q "listening on" "$LAB_TMP/tcpdump.log"
on x ping -q -c 2 -i 0.2 -W 1 10.42.0.2 >/dev/null 2>&1
on x ping -q -c 2 -i 0.2 -W 1 fd00:43::2 >/dev/null 2>&1
# tshark: "destination port|checksum|status (1 good)" per GENEVE packet.
wire() {
  tshark -r "$LAB_TMP/wire.pcap" -o udp.check_checksum:TRUE -d udp.port==6082,geneve -Y geneve -T fields -E 'separator=|' \
    -e udp.dstport -e udp.checksum -e udp.checksum.status 2>/dev/null
}
both_seen() { wire | grep -q '^6081|' && wire | grep -q '^6082|'; }
wait_until 10 both_seen
kill -TERM "$CAPTURE"; wait "$CAPTURE" 2>/dev/null || true
wire | sort | uniq -c | sed 's/^/    /'
checksums_good() {  # checksums_good PORT: packets to PORT captured, all with a nonzero, correct checksum
  wire | grep -q "^$1|" && ! wire | grep "^$1|" | grep -qv '|0x[0-9a-f]*|1$' && ! wire | grep -q "^$1|0x0000|"
}
check "IPv4 device: GENEVE on the wire with nonzero, correct UDP checksums" checksums_good 6081
check "IPv6 device: GENEVE on the wire with nonzero, correct UDP checksums" checksums_good 6082

ns y >/dev/null
check "external (collect-metadata) geneve device" on y ip link add ge type geneve external
summary
