#!/usr/bin/env bash
# Issue 2 acceptance: geneve-symmetric between two namespaces over a direct
# IPv6 underlay. Inner ping both ways, a 50 MB transfer with matching sha256,
# the outer packets decoded by tshark as GENEVE with the NAT64 routing
# option, no outer fragmentation at the default MTU, nothing left behind
# after SIGTERM.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init sd
BIN="$BUILD_DIR"
VNI=4242

ns a >/dev/null
ns b >/dev/null
link a va b vb
on a ip addr add 2001:db8:ab::a/64 dev va nodad
on b ip addr add 2001:db8:ab::b/64 dev vb nodad
# Offloads off on one side, so the kernel really checks UDP checksums.
on b ethtool -K vb tx off rx off >/dev/null

daemon a "$LAB_TMP/a.log" "$BIN/geneve-symmetric" $VNI 2001:db8:ab::a 2001:db8:ab::b 2001:db8:ab::b \
  --ifname gnv0 --address fd00:42::a/64 --run-dir "$LAB_TMP/run-a"
PID_A=$LAST_PID
daemon b "$LAB_TMP/b.log" "$BIN/geneve-symmetric" $VNI 2001:db8:ab::b 2001:db8:ab::a 2001:db8:ab::a \
  --ifname gnv0 --address fd00:42::b/64 --run-dir "$LAB_TMP/run-b"
PID_B=$LAST_PID
wait_until 5 on a ip link show gnv0 && wait_until 5 on b ip link show gnv0

# Capture the outer packets on A's underlay while the traffic runs. With the
# veth's UDP segmentation off the kernel splits our UDP_SEGMENT sends before
# the capture point, so the capture shows the datagrams a wire would carry.
on a ethtool -K va tx-udp-segmentation off >/dev/null
on b ethtool -K vb tx-udp-segmentation off >/dev/null
on a tshark -i va -f "udp port 6081" -s 160 -w "$LAB_TMP/outer.pcap" -q >"$LAB_TMP/tshark.log" 2>&1 &
TSHARK=$!
LAB_PIDS+=("$TSHARK")
wait_until 60 grep -q "Capture started" "$LAB_TMP/tshark.log" || echo "    tshark has not started: $(tail -1 "$LAB_TMP/tshark.log")"

check "inner ping A -> B" on a ping -q -c 3 -i 0.2 -W 2 fd00:42::b
check "inner ping B -> A" on b ping -q -c 3 -i 0.2 -W 2 fd00:42::a
check "default inner MTU is 1406 (1500 - 94)" test "$(on a cat /sys/class/net/gnv0/mtu)" = 1406
check "full-size inner ping, DF, no fragmentation" on a ping -q -c 2 -W 2 -M do -s $((1406 - 48)) fd00:42::b

head -c 50000000 /dev/urandom >"$LAB_TMP/data"
check "50 MB A -> B arrives with matching sha256" transfer_file a fd00:42::b b "$LAB_TMP/data"
check "50 MB B -> A arrives with matching sha256" transfer_file b fd00:42::a a "$LAB_TMP/data"

kill -TERM "$TSHARK"; wait "$TSHARK" 2>/dev/null || true
fields=$(tshark -r "$LAB_TMP/outer.pcap" -Y geneve -T fields -E separator=, \
  -e geneve.vni -e geneve.proto_type -e geneve.option.class -e geneve.option.type -e geneve.option.length 2>/dev/null | sort | uniq -c)
echo "$fields" | head -5
# tshark prints the VNI in hex and the option length in bytes (4 + 5 words).
VNI_HEX=$(printf '0x%06x' $VNI)
check "tshark decodes GENEVE VNI $VNI, Ethernet, option class 0x0162 type 0x01 length 24 bytes" \
  bash -c "echo '$fields' | grep -qE '^ *[0-9]+ $VNI_HEX,0x6558,0x0162,0x01,24'"
check "every outer packet is GENEVE VNI $VNI with the option" \
  bash -c "[ \$(echo '$fields' | grep -c .) -eq 1 ]"
frags=$(tshark -r "$LAB_TMP/outer.pcap" -Y "ipv6.fragment || ipv6.nxt == 44" 2>/dev/null | wc -l)
check "no outer IPv6 fragments ($frags)" test "$frags" -eq 0
maxlen=$(tshark -r "$LAB_TMP/outer.pcap" -T fields -E occurrence=f -e ipv6.plen 2>/dev/null | sort -n | tail -1)
check "largest outer packet fills the 1500-byte link (IPv6 payload $maxlen = 1460)" test "$maxlen" -eq 1460
check "UDP checksums on the wire are nonzero" \
  bash -c "! tshark -r '$LAB_TMP/outer.pcap' -T fields -e udp.checksum 2>/dev/null | grep -qx 0x0000"

status=$(on a "$BIN/geneve-ctl" show gnv0 --json --run-dir "$LAB_TMP/run-a")
# This host's kernel may lack GENEVE (these machines do): then auto must say so.
HOST_GENEVE=no-geneve
host_has_geneve a && HOST_GENEVE=geneve
check "the start-up log says which data plane and why" grep -q "data plane (" "$LAB_TMP/a.log"
check "status counts traffic and no drops" /usr/bin/python3 -c '
import json, sys
s = json.loads(sys.argv[1]); p = s["peers"][0]
assert s["dataplane"]["kind"] == "userspace", s
if sys.argv[2] == "no-geneve":  # --dataplane auto fell back, and says why
    assert "no GENEVE" in s["dataplane"]["reason"], s["dataplane"]
assert p["rx_packets"] > 30000 and p["tx_packets"] > 30000, p
assert sum(p["drops"].values()) == 0, p["drops"]
assert p["rx_route_option"] >= p["rx_packets"], p  # data and control carry it
' "$status" "$HOST_GENEVE"

kill -TERM "$PID_A" "$PID_B"
# Not a bare `wait`: under set -e a nonzero status would end the test here,
# before the check that reports it.
RC_A=0
wait "$PID_A" || RC_A=$?
wait "$PID_B" || true
check "SIGTERM exits 0" test "$RC_A" -eq 0
check "no interface left behind in A" bash -c "! ip -n $LAB-a link show gnv0 2>/dev/null"
check "no interface left behind in B" bash -c "! ip -n $LAB-b link show gnv0 2>/dev/null"
check "status socket gone" status_gone a "$LAB_TMP/run-a" gnv0
check "the log says why it stopped" grep -q "Terminated received, removing the tunnel" "$LAB_TMP/a.log"
summary
