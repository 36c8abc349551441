#!/usr/bin/env bash
# Runs inside the VM. Interop both ways between the kernel data plane
# (kernel_tunnel, external GENEVE + tc with the routing option) and the
# userspace data plane (geneve-symmetric --dataplane userspace): inner ping,
# transfers with matching sha256 in both directions, and control frames
# from the userspace endpoint arriving on the kernel side's packet socket.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init ki
. "$(dirname "$0")/kernel_lib.sh"
underlay
head -c 2000000 /dev/urandom >"$LAB_TMP/data"

kt a "$LAB_TMP/a.log" gnv0 $VNI $A6 $B6 --route-option $B6 --mtu 1406 --address fd00:42::a/64 --send-control
PA=$LAST_PID
daemon b "$LAB_TMP/b.log" "$BUILD_DIR/geneve-symmetric" $VNI $B6 $A6 $A6 --dataplane userspace --keepalive 1 \
  --ifname gnv0 --address fd00:42::b/64 --run-dir "$LAB_TMP/run-b"
PB=$LAST_PID
check "kernel end up" up_in "$LAB_TMP/a.log"
check "userspace end up" wait_until 20 on b ip link show gnv0
check "inner ping kernel -> userspace" on a ping -q -c 3 -i 0.3 -W 3 fd00:42::b
check "inner ping userspace -> kernel" on b ping -q -c 3 -i 0.3 -W 3 fd00:42::a
check "full-size inner ping (1406) kernel -> userspace" on a ping -q -c 2 -W 3 -M do -s $((1406 - 48)) fd00:42::b
check "2 MB kernel -> userspace with matching sha256" xfer a fd00:42::b b "$LAB_TMP/data"
check "2 MB userspace -> kernel with matching sha256" xfer b fd00:42::a a "$LAB_TMP/data"
check "userspace control messages arrive on the kernel side's packet socket" \
  wait_until 10 grep -q "control frame received on gnv0" "$LAB_TMP/a.log"
status=$(on b "$BUILD_DIR/geneve-ctl" show gnv0 --json --run-dir "$LAB_TMP/run-b" 2>&1)
check "userspace end: traffic received with the routing option, no unexpected drops" /usr/bin/python3 -c '
import json, sys
s = json.loads(sys.argv[1]); p = s["peers"][0]
print("    userspace peer:", {k: p[k] for k in ("rx_packets", "tx_packets", "rx_route_option")}, "drops:", {k: v for k, v in p["drops"].items() if v})
assert p["rx_packets"] > 1000 and p["rx_route_option"] > 1000, p
# kernel_tunnel --send-control sends a bare control header (type 0, no
# body): the userspace end counts it malformed. Any other drop is a fault.
# The tolerated names must be real drop reasons (the status lists them all),
# or a misspelt one would silently tolerate nothing.
tolerated = {"control_malformed"}
unknown = tolerated - p["drops"].keys()
assert not unknown, "not drop reasons: %s (reasons: %s)" % (sorted(unknown), sorted(p["drops"]))
bad = {k: v for k, v in p["drops"].items() if v and k not in tolerated}
assert not bad, bad
' "$status"
stop $PA; RA=$?
kill -TERM $PB; wait $PB
check "kernel end: SIGTERM, exit 0" test "$RA" -eq 0
echo "    $(tail -1 "$LAB_TMP/a.log")"
check "nothing of ours left on the kernel side" nothing_of_ours a
summary
