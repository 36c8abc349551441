#!/usr/bin/env bash
# PATH given as a host name moves. In the `symmetric` lab (two IPv6-only
# sites behind our NAT64 gateways), client A's PATH "peer-b.test" first
# resolves to an address where nobody answers (2001:db8:64:a::203.0.113.99,
# through A's NAT64), so A's path dies; then the name is changed to server
# B's real address behind the NAT64s (…::203.0.113.90). A must look the name
# up again once the path is dead, move to the new address and carry
# traffic, without a restart and on the same interface. A client never
# learns a path from its peer's packets, so only the new lookup can make
# this work. ENDPOINT_ARGS="--dataplane kernel" runs the client on the
# kernel data plane (in the VM: tests/vm/reresolve_kernel.sh), where the
# device's path is moved in place (KernelDataplane::retarget).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_topology symmetric
BIN="$BUILD_DIR"
VNI=42
read -r -a EXTRA <<<"${ENDPOINT_ARGS:-}"
# `ip netns exec` binds /etc/netns/NS/hosts over /etc/hosts for what it
# runs: A's resolver sees this file, rewritten in place (same inode).
HOSTS_DIR="/etc/netns/$LAB-a"
mkdir -p "$HOSTS_DIR"
trap 'rm -rf "$HOSTS_DIR"; lab_topology_cleanup' EXIT
echo "2001:db8:64:a::203.0.113.99 peer-b.test" >"$HOSTS_DIR/hosts"

daemon a "$LAB_TMP/a.log" "$BIN/geneve-client" $VNI 2001:db8:a::1 peer-b.test 2001:db8:b::1 \
  --ifname gnv0 --address fd00:42::a/64 --run-dir "$LAB_TMP/run-a" --keepalive 1 --dead-after 2 \
  ${EXTRA[@]+"${EXTRA[@]}"}
PID_A=$LAST_PID
daemon b "$LAB_TMP/b.log" "$BIN/geneve-server" $VNI 2001:db8:b::1 2001:db8:a::1 \
  --ifname gnv0 --address fd00:42::b/64 --run-dir "$LAB_TMP/run-b" --keepalive 1 --dead-after 2
wait_until 10 on a ip link show gnv0
wait_until 10 on b ip link show gnv0
ifindex_before=$(on a cat /sys/class/net/gnv0/ifindex)

a_status() { on a "$BIN/geneve-ctl" show gnv0 --json --run-dir "$LAB_TMP/run-a"; }
path_is() {  # path_is TARGET ALIVE: A's chosen path
  /usr/bin/python3 -c '
import json, sys
p = json.loads(sys.argv[1])["peers"][0]["path"]
assert p["target"] == sys.argv[2] and p["alive"] == (sys.argv[3] == "true"), p
' "$(a_status)" "$1" "$2"
}
DEAD="[2001:db8:64:a::cb00:7163]:6081"
LIVE="[2001:db8:64:a::cb00:715a]:6081"
check "A starts on the address the name has" wait_until 10 path_is "$DEAD" false
check "no inner ping while PATH points nowhere" bash -c "! ip netns exec $LAB-a ping -q -c 2 -i 0.3 -W 1 fd00:42::b"

echo "2001:db8:64:a::203.0.113.90 peer-b.test" >"$HOSTS_DIR/hosts"
check "A looks PATH up again once it is dead, and moves" wait_until 30 path_is "$LIVE" true
check "A's log says why" grep -q "PATH peer-b.test now resolves to 2001:db8:64:a::cb00:715a" "$LAB_TMP/a.log"
check "inner ping A -> B" on a ping -q -c 3 -i 0.2 -W 2 fd00:42::b
check "inner ping B -> A" on b ping -q -c 3 -i 0.2 -W 2 fd00:42::a
check "the same interface carried on" test "$(on a cat /sys/class/net/gnv0/ifindex)" = "$ifindex_before"
check "A still runs" kill -0 "$PID_A"
summary
