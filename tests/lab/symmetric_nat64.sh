#!/usr/bin/env bash
# Issue 3 core acceptance: geneve-symmetric between two IPv6-only sites, each
# behind its own geneve-nat64-gateway, across an IPv4 Internet (the
# `symmetric` lab). PATH is the peer gateway's pool address inside our own
# NAT64 prefix. Both start orders; inner ping both ways; 50 MB each way with
# matching sha256; the routing option seen on the IPv4 leg; no fragments;
# the gateways show the binding the extension created.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_topology symmetric
BIN="$BUILD_DIR"
VNI=42
# ENDPOINT_ARGS="--dataplane kernel" runs the endpoints on the kernel data
# plane (tests/vm/symmetric_nat64_kernel.sh, in the VM).
read -r -a EXTRA <<<"${ENDPOINT_ARGS:-}"

start_a() {
  daemon a "$LAB_TMP/a.log" "$BIN/geneve-symmetric" $VNI 2001:db8:a::1 2001:db8:64:a::203.0.113.90 2001:db8:b::1 \
    --ifname gnv0 --address fd00:42::a/64 --run-dir "$LAB_TMP/run-a" ${EXTRA[@]+"${EXTRA[@]}"}
  PID_A=$LAST_PID
  wait_until 5 on a ip link show gnv0
}
start_b() {
  daemon b "$LAB_TMP/b.log" "$BIN/geneve-symmetric" $VNI 2001:db8:b::1 2001:db8:64:b::198.51.100.7 2001:db8:a::1 \
    --ifname gnv0 --address fd00:42::b/64 --run-dir "$LAB_TMP/run-b" ${EXTRA[@]+"${EXTRA[@]}"}
  PID_B=$LAST_PID
  wait_until 5 on b ip link show gnv0
}
stop_endpoints() {
  kill -TERM "$PID_A" "$PID_B" 2>/dev/null || true
  wait "$PID_A" 2>/dev/null || true
  wait "$PID_B" 2>/dev/null || true
}

# ---- start order 1: b first (b's packets reach ga before a exists) --------
start_b
on b ping -q -c 5 -i 0.2 -W 1 fd00:42::a >/dev/null 2>&1 || true   # b sends into the void
start_a
check "b first: inner ping A -> B" on a ping -q -c 3 -i 0.2 -W 2 fd00:42::b
check "b first: inner ping B -> A" on b ping -q -c 3 -i 0.2 -W 2 fd00:42::a
check "b first: gb holds b's binding (outbound)" binding_is gb 2001:db8:b::1 outbound
check "b first: ga holds a's binding (extension)" binding_is ga 2001:db8:a::1 extension
stop_endpoints
# Fresh gateway state for the other order.
lab symmetric restart ga
lab symmetric restart gb

# ---- start order 2: a first, as in seed 004's example ---------------------
on inet tshark -i to-ga -f "udp port 6081 or ip[6:2] & 0x3fff != 0" -s 200 -w "$LAB_TMP/outer.pcap" -q >"$LAB_TMP/tshark.log" 2>&1 &
TSHARK=$!
LAB_PIDS+=("$TSHARK")
wait_until 60 grep -q "Capture started" "$LAB_TMP/tshark.log" || echo "    tshark has not started: $(tail -1 "$LAB_TMP/tshark.log")"
start_a
on a ping -q -c 5 -i 0.2 -W 1 fd00:42::b >/dev/null 2>&1 || true
start_b
wait_until 10 on a ping -c 1 -W 1 fd00:42::b || true
check "a first: inner ping A -> B" on a ping -q -c 3 -i 0.2 -W 2 fd00:42::b
check "a first: inner ping B -> A" on b ping -q -c 3 -i 0.2 -W 2 fd00:42::a
check "a first: ga holds a's binding (outbound)" binding_is ga 2001:db8:a::1 outbound
check "a first: gb holds b's binding (extension)" binding_is gb 2001:db8:b::1 extension
check "inner MTU is 1406" test "$(on a cat /sys/class/net/gnv0/mtu)" = 1406
check "full-size inner ping, DF, both ways" \
  bash -c "ip netns exec $LAB-a ping -q -c 2 -W 2 -M do -s 1358 fd00:42::b && ip netns exec $LAB-b ping -q -c 2 -W 2 -M do -s 1358 fd00:42::a"

head -c 50000000 /dev/urandom >"$LAB_TMP/data"
check "50 MB A -> B through ga and gb, matching sha256" transfer_file a fd00:42::b b "$LAB_TMP/data"
check "50 MB B -> A through gb and ga, matching sha256" transfer_file b fd00:42::a a "$LAB_TMP/data"

kill -TERM "$TSHARK"; wait "$TSHARK" 2>/dev/null || true
fields=$(tshark -r "$LAB_TMP/outer.pcap" -Y "geneve" -T fields -E separator=, \
  -e ip.src -e ip.dst -e udp.srcport -e udp.dstport -e geneve.vni -e geneve.option.class -e geneve.option.type 2>/dev/null | sort | uniq -c)
echo "$fields"
check "IPv4 leg: GENEVE VNI 42, option class 0x0162 type 0x01, pool:6081 -> pool:6081 (a -> b)" \
  bash -c "echo '$fields' | grep -qE '^ *[0-9]+ 198.51.100.7,203.0.113.90,6081,6081,0x00002a,0x0162,0x01$'"
check "IPv4 leg: the same from b -> a" \
  bash -c "echo '$fields' | grep -qE '^ *[0-9]+ 203.0.113.90,198.51.100.7,6081,6081,0x00002a,0x0162,0x01$'"
check "IPv4 leg: nothing else on port 6081" bash -c "[ \$(echo '$fields' | grep -c .) -eq 2 ]"
frags=$(tshark -r "$LAB_TMP/outer.pcap" -Y "ip.flags.mf == 1 || ip.frag_offset > 0" 2>/dev/null | wc -l)
check "no IPv4 fragments on the IPv4 leg ($frags)" test "$frags" -eq 0
maxlen=$(tshark -r "$LAB_TMP/outer.pcap" -T fields -e ip.len 2>/dev/null | sort -n | tail -1)
check "largest outer IPv4 packet is 1480 bytes (1500-byte IPv6 packet translated)" test "$maxlen" -eq 1480
check "every outer IPv4 packet has DF" \
  bash -c "! tshark -r '$LAB_TMP/outer.pcap' -Y 'ip.len > 1280 && ip.flags.df == 0' 2>/dev/null | grep -q ."

status=$(on a "$BIN/geneve-ctl" show gnv0 --json --run-dir "$LAB_TMP/run-a")
check "endpoint a: traffic counted, no drops, every packet carried the option" /usr/bin/python3 -c '
import json, sys
s = json.loads(sys.argv[1]); p = s["peers"][0]
assert p["rx_packets"] > 30000 and p["tx_packets"] > 30000, p
assert sum(p["drops"].values()) == 0, p["drops"]
if p["dataplane"]["kind"] == "kernel":  # the kernel does not count options received
    assert p["kernel_drops"]["rx_errors"] == 0 and p["kernel_drops"]["tx_errors"] == 0, p
    assert s["dataplane"]["kind"] == "kernel", s["dataplane"]
else:
    assert p["rx_route_option"] >= p["rx_packets"], p  # data and control carry it
' "$status"
for g in ga gb; do
  check "$g: no fragments, conflicts, checksum or size drops" /usr/bin/python3 -c '
import json, sys
c = json.loads(sys.argv[1])["fates"]
bad = {k: c[k] for k in ("fragment", "fragment_held", "fragment_overlap", "fragment_invalid", "fragment_buffer_full", "binding_conflict", "bad_checksum", "malformed", "too_big_sent", "tun_write_failed")}
assert not any(bad.values()), bad
assert c["translated_6to4"] > 30000 and c["translated_4to6"] > 30000, c
' "$(gw_status $g)"
done
stop_endpoints
summary
