#!/usr/bin/env bash
# Runs inside the VM. The kernel data plane leaves nothing behind: after
# SIGTERM; after SIGKILL once `kernel_tunnel cleanup` ran (remove_stale_objects),
# which never touches a live tunnel's objects or a foreign GENEVE device;
# and after a start that fails half-way (link, tc and nftables already
# made). Also the support check and the port rule.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init kc
. "$(dirname "$0")/kernel_lib.sh"
underlay

check "support check: supported here" on a "$KT" probe gnv0 $VNI $A6 $B6 --route-option $B6
on a "$KT" up gnv0 $VNI $A6 $B6 --peer-port 6082 >"$LAB_TMP/port.log" 2>&1
check "peer port != listen port: unsupported (exit 3), says why" \
  bash -c "[ $? -eq 3 ] && grep -q 'sends to the port it listens on' '$LAB_TMP/port.log'"

# A foreign GENEVE device and a live tunnel of ours in the same namespace.
on a ip link add gforeign type geneve id 7 remote 2001:db8:ab::77 dstport 7000
kt a "$LAB_TMP/live.log" gnlive 8 $A6 $B6 --port 6090
PLIVE=$LAST_PID
check "a second (live) tunnel up" up_in "$LAB_TMP/live.log"

kt a "$LAB_TMP/term.log" gnv0 $VNI $A6 $B6 --route-option $B6 --address fd00:42::a/64
P=$LAST_PID
check "up" up_in "$LAB_TMP/term.log"
check "while up: link (alias marks it ours), clsact, nftables table" bash -c "
  ip -n $LAB-a -d link show gnv0 | grep -q 'alias geneve-nat64 pid=$P ' &&
  tc -n $LAB-a qdisc show dev gnv0 | grep -q clsact &&
  ip netns exec $LAB-a nft list table inet geneve_nat64_gnv0 | grep -q 'comment \"geneve-nat64 pid=$P '"
stop $P
check "SIGTERM: gnv0, its qdisc and its table gone" bash -c "! ip -n $LAB-a link show gnv0 2>/dev/null && ! ip netns exec $LAB-a nft list table inet geneve_nat64_gnv0 2>/dev/null"

kt a "$LAB_TMP/kill.log" gnv0 $VNI $A6 $B6 --route-option $B6 --address fd00:42::a/64
P=$LAST_PID
check "up again" up_in "$LAB_TMP/kill.log"
kill -KILL $P; wait $P 2>/dev/null
check "SIGKILL: the owner-flagged nftables table went with the process" \
  bash -c "! ip netns exec $LAB-a nft list table inet geneve_nat64_gnv0 2>/dev/null"
check "SIGKILL: the link stays until cleanup" on a ip link show gnv0
on a "$KT" cleanup >"$LAB_TMP/cleanup.log" 2>&1
cat "$LAB_TMP/cleanup.log" | sed 's/^/    /'
check "cleanup removed gnv0" bash -c "! ip -n $LAB-a link show gnv0 2>/dev/null"
check "cleanup removed exactly one link" grep -q "removed 1 links" "$LAB_TMP/cleanup.log"
check "cleanup left the foreign device" on a ip link show gforeign
check "cleanup left the live tunnel's link and table" bash -c "
  ip -n $LAB-a link show gnlive >/dev/null && ip netns exec $LAB-a nft list table inet geneve_nat64_gnlive >/dev/null"
# A stale table without the owner flag (as a kernel that refused the flag
# would leave): cleanup removes it by its mark.
on a nft add table inet geneve_nat64_old "{ comment \"geneve-nat64 pid=999999 start=1\"; }"
on a nft add table inet geneve_nat64_other "{ comment \"someone else\"; }"
on a "$KT" cleanup >/dev/null 2>&1
check "cleanup removed the stale marked table, kept the unmarked one" bash -c "
  ! ip netns exec $LAB-a nft list table inet geneve_nat64_old 2>/dev/null &&
  ip netns exec $LAB-a nft list table inet geneve_nat64_other >/dev/null"
on a nft delete table inet geneve_nat64_other

on a "$KT" up gnv0 $VNI $A6 $B6 --route-option $B6 --address fd00:42::a/64 --address fd00:42::a/64 \
  >"$LAB_TMP/half.log" 2>&1
RC=$?
sed 's/^/    /' "$LAB_TMP/half.log"
check "a start failing half-way (second, duplicate address) exits 1 naming the address" \
  bash -c "[ $RC -eq 1 ] && grep -q 'fd00:42::a/64' '$LAB_TMP/half.log'"
check "and leaves no link and no table" bash -c "! ip -n $LAB-a link show gnv0 2>/dev/null && ! ip netns exec $LAB-a nft list table inet geneve_nat64_gnv0 2>/dev/null"
on a "$KT" up gnv0 $VNI $A6 $B6 --mtu 10 >"$LAB_TMP/mtu.log" 2>&1
RC=$?
sed 's/^/    /' "$LAB_TMP/mtu.log"
check "a bad MTU fails (exit 1) naming the interface, leaves nothing" \
  bash -c "[ $RC -eq 1 ] && grep -q gnv0 '$LAB_TMP/mtu.log' && ! ip -n $LAB-a link show gnv0 2>/dev/null"

stop $PLIVE
on a ip link del gforeign
check "at the end nothing of ours in the namespace" nothing_of_ours a
summary
