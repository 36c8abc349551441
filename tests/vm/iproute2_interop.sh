#!/usr/bin/env bash
# Runs inside the VM (issue 9): our userspace data plane against a plain
# Linux GENEVE device made with iproute2 alone, on one host over a veth with
# default offloads. The kernel sender leaves the inner TCP checksum to
# offload (CHECKSUM_PARTIAL crosses the veth), so its frames arrive with
# only the pseudo-header sum in the field; the endpoint must deliver them as
# the kernel's own GENEVE receive path would. TCP both ways, 20 MB, sha256.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init ip2
. "$(dirname "$0")/kernel_lib.sh"
ns a >/dev/null
ns b >/dev/null
link a va b vb   # default offloads: nothing turned off
on a ip addr add $A6/64 dev va nodad
on b ip addr add $B6/64 dev vb nodad
head -c 20000000 /dev/urandom >"$LAB_TMP/data"

# a: the kernel's GENEVE, iproute2 only (IPv6 underlay: UDP checksums on).
on a ip link add g0 type geneve id $VNI remote $B6
on a ip addr add fd00:42::a/64 dev g0 nodad
on a ip link set g0 up
# b: ours, on the userspace data plane with its offloads.
daemon b "$LAB_TMP/b.log" "$BUILD_DIR/geneve-symmetric" $VNI $B6 $A6 $A6 --dataplane userspace --ifname gnv0 \
  --address fd00:42::b/64 --run-dir "$LAB_TMP/run-b"
wait_until 30 on b ip link show gnv0

check "ping kernel GENEVE -> ours" on a ping -q -c 3 -i 0.3 -W 3 fd00:42::b
check "ping ours -> kernel GENEVE" on b ping -q -c 3 -i 0.3 -W 3 fd00:42::a
check "TCP 20 MB kernel GENEVE -> ours, sha256 matches" xfer a fd00:42::b b "$LAB_TMP/data"
check "TCP 20 MB ours -> kernel GENEVE, sha256 matches" xfer b fd00:42::a a "$LAB_TMP/data"
status=$(on b "$BUILD_DIR/geneve-ctl" show gnv0 --json --run-dir "$LAB_TMP/run-b")
check "ours: TAP offloads on, no data dropped" /usr/bin/python3 -c '
import json, sys
s = json.loads(sys.argv[1]); p = s["peers"][0]
assert s["dataplane"]["offloads"]["tap"]["vnet_header"], s["dataplane"]
# The kernel sender hands its GSO frames over the veth unsegmented, so few
# large frames arrive: count bytes, not frames.
assert p["rx_bytes"] > 20e6 and p["tx_bytes"] > 20e6, p
bad = {k: v for k, v in p["drops"].items() if v and not k.startswith("control")}
assert not bad, bad
' "$status"
summary
