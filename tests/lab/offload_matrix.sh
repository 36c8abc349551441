#!/usr/bin/env bash
# Issue 9 acceptance: the userspace data plane with its offloads (TAP
# TSO/USO through the virtio-net header, UDP GSO/GRO, TCP coalescing) moves
# bytes intact whatever the underlay's offloads are, never puts an outer
# packet on the wire larger than the path MTU, and keeps its control
# messages flowing while a transfer saturates it.
#
# Three underlays between two namespaces over direct IPv6:
#   default   veth offloads on both ends (GSO super-datagrams cross the veth whole)
#   off       tx/rx checksum offload off on both ends: every hop verifies
#             checksums, and the kernel refuses UDP_SEGMENT (EIO), so the
#             data plane falls back to one datagram per segment
#   ours-off  default veths, endpoints with --no-offload
# In each: 50 MB each way with matching sha256.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init om
BIN="$BUILD_DIR"
head -c 50000000 /dev/urandom >"$LAB_TMP/data"

status_of() { on "$1" "$BIN/geneve-ctl" show gnv0 --json --run-dir "$LAB_TMP/run-$1"; }

# up VARIANT [ENDPOINT ARGS...]
up() {
  local variant="$1"
  shift
  ns a >/dev/null
  ns b >/dev/null
  link a va b vb
  on a ip addr add 2001:db8:ab::a/64 dev va nodad
  on b ip addr add 2001:db8:ab::b/64 dev vb nodad
  if [ "$variant" = off ]; then
    on a ethtool -K va tx off rx off >/dev/null
    on b ethtool -K vb tx off rx off >/dev/null
  fi
  daemon a "$LAB_TMP/a-$variant.log" "$BIN/geneve-symmetric" 42 2001:db8:ab::a 2001:db8:ab::b 2001:db8:ab::b \
    --ifname gnv0 --address fd00:42::a/64 --run-dir "$LAB_TMP/run-a" --keepalive 1 "$@"
  PID_A=$LAST_PID
  daemon b "$LAB_TMP/b-$variant.log" "$BIN/geneve-symmetric" 42 2001:db8:ab::b 2001:db8:ab::a 2001:db8:ab::a \
    --ifname gnv0 --address fd00:42::b/64 --run-dir "$LAB_TMP/run-b" --keepalive 1 "$@"
  PID_B=$LAST_PID
  wait_until 10 on a ping -c 1 -W 1 fd00:42::b
}

down() {
  kill -TERM "$PID_A" "$PID_B" 2>/dev/null || true
  wait "$PID_A" 2>/dev/null || true
  wait "$PID_B" 2>/dev/null || true
  LAB_PIDS=()
  ip netns del "$LAB-a"
  ip netns del "$LAB-b"
  LAB_NAMESPACES=()
}

# --- default veth offloads ------------------------------------------------------
up default
# What goes on a wire: with the veths' UDP segmentation off (both ends: the
# capture sees both directions), the kernel splits our UDP_SEGMENT sends in
# software before the capture point, as a NIC would in hardware; the
# capture then shows the real datagrams.
on a ethtool -K va tx-udp-segmentation off >/dev/null
on b ethtool -K vb tx-udp-segmentation off >/dev/null
on a tshark -i va -f "udp port 6081" -s 100 -w "$LAB_TMP/wire.pcap" -q >/dev/null 2>&1 &
TSHARK=$!
LAB_PIDS+=("$TSHARK")
wait_until 10 test -s "$LAB_TMP/wire.pcap"
check "default offloads: 50 MB A -> B, sha256 matches" transfer_file a fd00:42::b b "$LAB_TMP/data"
check "default offloads: 50 MB B -> A, sha256 matches" transfer_file b fd00:42::a a "$LAB_TMP/data"
kill -TERM "$TSHARK"; wait "$TSHARK" 2>/dev/null || true
read -r npkts maxlen < <(tshark -r "$LAB_TMP/wire.pcap" -T fields -e ipv6.plen 2>/dev/null |
  sort -n | awk '{n++; m=$1} END {print n+0, m+0}')
frags=$(tshark -r "$LAB_TMP/wire.pcap" -Y "ipv6.nxt == 44" 2>/dev/null | wc -l)
echo "    captured $npkts outer packets, largest IPv6 payload $maxlen, $frags fragments"
check "on the wire: $npkts outer packets, none above the 1500-byte path MTU (largest payload $maxlen <= 1460)" \
  test "$npkts" -gt 30000 -a "$maxlen" -le 1460 -a "$maxlen" -ge 1400
check "on the wire: no outer fragments" test "$frags" -eq 0
SA=$(status_of a)
SB=$(status_of b)
check "status: TAP offloads, UDP GSO and GRO in use, segments sent in GSO batches and coalesced on receive" \
  python3 -c '
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for s in (a, b):
    o = s["dataplane"]["offloads"]
    assert o["tap"]["vnet_header"] and o["tap"]["tso"] and o["tap"]["checksum"], o
    assert all(k["gro"] for k in o["sockets"]), o
    assert sum(s["peers"][0]["drops"].values()) == 0, s["peers"][0]["drops"]
assert a["dataplane"]["offloads"]["stats"]["gso_sends"] > 1000, a["dataplane"]["offloads"]
assert b["dataplane"]["offloads"]["stats"]["coalesced_writes"] > 1000, b["dataplane"]["offloads"]
' "$SA" "$SB"

# Keepalives during a saturating transfer: with --keepalive 1, a probe a
# second; the replies keep coming and the path stays alive.
before=$(echo "$SA" | python3 -c 'import json,sys; print(json.load(sys.stdin)["peers"][0]["control"]["replies_received"])')
on b iperf3 -s -1 -p 5299 >/dev/null 2>&1 &
IPERF_S=$!
wait_until 5 on b sh -c "ss -ltnH 'sport = :5299' | grep -q ."
on a iperf3 -c fd00:42::b -p 5299 -t 6 -P 4 >"$LAB_TMP/iperf.txt" 2>&1 || true
wait "$IPERF_S" 2>/dev/null || true
SA=$(status_of a)
read -r after alive < <(echo "$SA" | python3 -c 'import json,sys
p=json.load(sys.stdin)["peers"][0]; print(p["control"]["replies_received"], int(p["path"]["alive"]))')
rate=$(grep -E "SUM.*receiver|  receiver" "$LAB_TMP/iperf.txt" | tail -1 | awk '{print $(NF-2), $(NF-1)}')
echo "    6 s of 4 TCP streams at $rate: $((after - before)) keepalive replies"
check "keepalives flow during a saturating transfer ($((after - before)) replies in ~6 s, path alive)" \
  test $((after - before)) -ge 4 -a "$alive" -eq 1
down

# --- checksum offload off on both veths ---------------------------------------
up off
check "veth offloads off: 50 MB A -> B, sha256 matches" transfer_file a fd00:42::b b "$LAB_TMP/data"
check "veth offloads off: 50 MB B -> A, sha256 matches" transfer_file b fd00:42::a a "$LAB_TMP/data"
SA=$(status_of a)
# Older kernels refuse UDP_SEGMENT through a device that cannot checksum
# (EIO); 6.18 segments and checksums in software. Either way nothing is lost,
# and a refusal is reported with its reason.
check "veth offloads off: nothing dropped; GSO in use, or refused with the reason in status and log" python3 -c '
import json, sys
s = json.loads(sys.argv[1]); k = s["dataplane"]["offloads"]["sockets"][0]
assert k["gso"] or ("EIO" in k["reason"] and "refused" in open(sys.argv[2]).read()), k
assert sum(s["peers"][0]["drops"].values()) == 0, s["peers"][0]["drops"]
' "$SA" "$LAB_TMP/a-off.log"
down

# --- our offloads off ------------------------------------------------------------
up ours-off --no-offload
check "--no-offload: 50 MB A -> B, sha256 matches" transfer_file a fd00:42::b b "$LAB_TMP/data"
check "--no-offload: 50 MB B -> A, sha256 matches" transfer_file b fd00:42::a a "$LAB_TMP/data"
SA=$(status_of a)
check "--no-offload: status says the TAP has no virtio-net header and why" python3 -c '
import json, sys
o = json.loads(sys.argv[1])["dataplane"]["offloads"]
assert not o["requested"] and not o["tap"]["vnet_header"] and "no-offload" in o["tap"]["reason"], o
' "$SA"
down
summary
