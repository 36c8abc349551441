#!/usr/bin/env bash
# Runs inside the VM. Kernel <-> kernel tunnels between two namespaces over
# an IPv6 veth, with the NAT64 routing option and without, and over IPv4. Inner ping, a transfer with
# matching sha256, control frames through the AF_PACKET socket, and on the
# wire (tshark): the option on every packet, the fixed source port, nonzero
# and correct UDP checksums.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init kt
. "$(dirname "$0")/kernel_lib.sh"
underlay
head -c 2000000 /dev/urandom >"$LAB_TMP/data"
head -c 1000000 /dev/urandom >"$LAB_TMP/data1"

echo "-- with the routing option (external GENEVE + tc)"
kt a "$LAB_TMP/a.log" gnv0 $VNI $A6 $B6 --route-option $B6 --mtu 1406 --address fd00:42::a/64 --send-control
PA=$LAST_PID
kt b "$LAB_TMP/b.log" gnv0 $VNI $B6 $A6 --route-option $A6 --mtu 1406 --address fd00:42::b/64
PB=$LAST_PID
check "both ends up" up_in "$LAB_TMP/a.log" && up_in "$LAB_TMP/b.log"
check "external device, source port pinned by nftables (6.1 has no GENEVE port range)" \
  grep -q "external=1 source-port-method=nftables" "$LAB_TMP/a.log"
capture_start a va "$LAB_TMP/opt.pcap"
check "inner ping A -> B" on a ping -q -c 3 -i 0.3 -W 3 fd00:42::b
check "inner ping B -> A" on b ping -q -c 3 -i 0.3 -W 3 fd00:42::a
check "full-size inner ping (1406), DF, no fragmentation" on a ping -q -c 2 -W 3 -M do -s $((1406 - 48)) fd00:42::b
check "2 MB A -> B with matching sha256" xfer a fd00:42::b b "$LAB_TMP/data"
check "control frames A -> B arrive on B's packet socket" grep -q "control frame received on gnv0" "$LAB_TMP/b.log"
# A third host on the underlay sends A a GENEVE control frame with our VNI:
# the ingress filter drops it. The same datagram from the peer gets through.
on b ip addr add 2001:db8:ab::c/64 dev vb nodad
dropped0=$(ingress_dropped a)
send_geneve b 2001:db8:ab::c $A6 $VNI
dropped_more() { [ "$(ingress_dropped a)" -gt "${dropped0:-0}" ]; }
wait_until 5 dropped_more || true
check "GENEVE from a stranger with our VNI: dropped by A's ingress filter ($dropped0 -> $(ingress_dropped a))" \
  bash -c "[ $(ingress_dropped a) -gt ${dropped0:-0} ] && ! grep -q 'control frame received' '$LAB_TMP/a.log'"
send_geneve b $B6 $A6 $((VNI + 1))
send_geneve b $B6 $A6 $VNI
check "from the peer: the frame with our VNI reaches A's packet socket, the other VNI does not" \
  wait_until 5 grep -q "control frame received on gnv0" "$LAB_TMP/a.log"
capture_stop
outer_fields "$LAB_TMP/opt.pcap" >"$LAB_TMP/opt.txt"
from_a=$(grep -c "^$A6|" "$LAB_TMP/opt.txt")
echo "    $from_a GENEVE packets from A captured; first: $(grep -m1 "^$A6|" "$LAB_TMP/opt.txt")"
check "captured packets from A" test "$from_a" -gt 50
# Counts packets from A that fail an awk condition.
# Counts packets from A that fail an awk condition; shows the first three.
bad_from_a() {
  awk -F'|' -v a=$A6 -v vni="$VNI_HEX" "\$1 == a && !($1)" "$2" | head -3 | sed 's/^/    bad: /' >&2
  awk -F'|' -v a=$A6 -v vni="$VNI_HEX" "\$1 == a && !($1)" "$2" | wc -l
}
VNI_HEX=$(printf '0x%06x' $VNI)
OPT_B=20010db800ab0000000000000000000b17c1ffff  # [2001:db8:ab::b]:6081, padding
check "every packet from A: sport 6081, dport 6081, VNI $VNI" \
  test "$(bad_from_a '$2 == 6081 && $3 == 6081 && $6 == vni' "$LAB_TMP/opt.txt")" -eq 0
check "every packet from A carries option 0x0162 type 0x01 length 24 naming [$B6]:6081" \
  test "$(bad_from_a '$7 == "0x0162" && $8 == "0x01" && $9 == 24 && $10 == "'$OPT_B'"' "$LAB_TMP/opt.txt")" -eq 0
check "UDP checksums from A are nonzero and correct (tshark verified)" \
  test "$(bad_from_a '$4 != "0x0000" && $5 == 1' "$LAB_TMP/opt.txt")" -eq 0
check "B's packets carry the option too (naming A)" grep -q "^$B6|.*|20010db800ab0000000000000000000a17c1ffff" "$LAB_TMP/opt.txt"
stop $PA; RA=$?
stop $PB
check "SIGTERM: exit 0" test "$RA" -eq 0
echo "    $(tail -1 "$LAB_TMP/a.log")"
check "nothing of ours left in A" nothing_of_ours a
check "nothing of ours left in B" nothing_of_ours b

echo "-- without the routing option; B has a second address its routes prefer"
echo "    B's route to A: $(on b ip -6 route get $A6 | head -1)"
kt a "$LAB_TMP/a2.log" gnv0 $VNI $A6 $B6 --mtu 1430 --address fd00:42::a/64
PA=$LAST_PID
kt b "$LAB_TMP/b2.log" gnv0 $VNI $B6 $A6 --mtu 1430 --address fd00:42::b/64
PB=$LAST_PID
check "both ends up" up_in "$LAB_TMP/a2.log" && up_in "$LAB_TMP/b2.log"
capture_start a va "$LAB_TMP/plain.pcap"
check "inner ping A -> B" on a ping -q -c 3 -i 0.3 -W 3 fd00:42::b
check "full-size inner ping (1430), DF" on a ping -q -c 2 -W 3 -M do -s $((1430 - 48)) fd00:42::b
check "2 MB B -> A with matching sha256" xfer b fd00:42::a a "$LAB_TMP/data"
capture_stop
outer_fields "$LAB_TMP/plain.pcap" >"$LAB_TMP/plain.txt"
check "every packet from A: sport 6081, no option, checksum correct" \
  test "$(bad_from_a '$2 == 6081 && $7 == "" && $5 == 1' "$LAB_TMP/plain.txt")" -eq 0
check "and there were such packets ($(grep -c "^$A6|" "$LAB_TMP/plain.txt"))" grep -q "^$A6|6081|6081" "$LAB_TMP/plain.txt"
check "B sends from LOCAL ($B6), not from the address routing prefers" \
  bash -c "grep -q '^$B6|' '$LAB_TMP/plain.txt' && ! grep -q '^2001:db8:ab::c|' '$LAB_TMP/plain.txt'"
stop $PA
stop $PB
check "nothing of ours left in A" nothing_of_ours a

echo "-- IPv4 underlay, with the routing option"
on a ip addr add 192.0.2.1/24 dev va
on b ip addr add 192.0.2.2/24 dev vb
kt a "$LAB_TMP/a4.log" gnv0 $VNI 192.0.2.1 192.0.2.2 --route-option $B6 --mtu 1406 --address fd00:42::a/64
PA=$LAST_PID
kt b "$LAB_TMP/b4.log" gnv0 $VNI 192.0.2.2 192.0.2.1 --route-option $A6 --mtu 1406 --address fd00:42::b/64
PB=$LAST_PID
check "both ends up" up_in "$LAB_TMP/a4.log" && up_in "$LAB_TMP/b4.log"
capture_start a va "$LAB_TMP/v4.pcap"
check "inner ping A -> B" on a ping -q -c 3 -i 0.3 -W 3 fd00:42::b
check "full-size inner ping (1406)" on a ping -q -c 2 -W 3 -M do -s $((1406 - 48)) fd00:42::b
check "1 MB A -> B with matching sha256" xfer a fd00:42::b b "$LAB_TMP/data1"
capture_stop
outer_fields "$LAB_TMP/v4.pcap" >"$LAB_TMP/v4.txt"
v4_from_a=$(awk -F'|' '$11 == "192.0.2.1"' "$LAB_TMP/v4.txt" | wc -l)
echo "    $v4_from_a packets from A; first: $(awk -F'|' '$11 == "192.0.2.1"' "$LAB_TMP/v4.txt" | head -1)"
check "IPv4: every packet from A has sport 6081, the option, a nonzero correct checksum" bash -c "
  [ $v4_from_a -gt 50 ] && [ \$(awk -F'|' '\$11 == \"192.0.2.1\" && !(\$2 == 6081 && \$7 == \"0x0162\" && \$4 != \"0x0000\" && \$5 == 1)' '$LAB_TMP/v4.txt' | wc -l) -eq 0 ]"
df=$(awk -F'|' '$11 == "192.0.2.1" {print $12}' "$LAB_TMP/v4.txt" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
echo "    IPv4 DF flag on A's packets (count value): $df (external devices on 6.1 cannot set DF)"
stop $PA
stop $PB
check "nothing of ours left in A" nothing_of_ours a
summary
