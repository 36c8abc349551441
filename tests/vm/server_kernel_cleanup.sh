#!/usr/bin/env bash
# Runs inside the VM (issue 11): a geneve-server on kernel GENEVE (one
# interface gns0 for its clients, a client in b on the userspace plane)
# leaves nothing of ours: after SIGTERM no link, qdisc, filter, tc action,
# nftables table or NFLOG binding; after SIGKILL the owner-flagged table and
# the NFLOG binding go with the process and the device stays, and the next
# start removes it (a foreign GENEVE device untouched), carries the client
# again, and after its own SIGTERM leaves nothing either. Last, the client's
# veth leaves its checksums to offload (the default, as for a container on
# the same host): the server must learn it all the same.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init skc
. "$(dirname "$0")/kernel_lib.sh"
underlay
# The client's checksums computed in software until the last part: a
# partial checksum (offload) is that part's subject.
on b ethtool -K vb tx off >/dev/null
"$BUILD_DIR/geneve-ctl" genkey >"$LAB_TMP/key" && chmod 600 "$LAB_TMP/key"
cat >"$LAB_TMP/server.json" <<JSON
{"local": "$A6", "interface": {"ifname": "gns0", "address": ["fd01::1/48"]},
 "clients": [{"name": "c1", "vni": 101, "remote": "fd00:c1::1", "allowed_ips": ["fd01:0:0:1::/64"]}]}
JSON
server() {  # server LOG: geneve-server on the kernel in a ($LAST_PID)
  daemon a "$1" "$BUILD_DIR/geneve-server" --config "$LAB_TMP/server.json" --key-file "$LAB_TMP/key" \
    --dataplane kernel --run-dir "$LAB_TMP/run-a"
}
# Everything of ours in a that a server on the kernel makes, one a line
# (the foreign device aside).
ours_all() {
  ours a | grep -v gforeign
  on a tc filter show dev gns0 ingress 2>/dev/null | grep -m1 filter
  on a tc filter show dev gns0 egress 2>/dev/null | grep -m1 filter
  on a tc actions ls action tunnel_key 2>/dev/null | grep -m1 action
  on a tc actions ls action skbedit 2>/dev/null | grep -m1 action
  on a sed 's/^/nflog group /' /proc/net/netfilter/nfnetlink_log 2>/dev/null
}
nothing_at_all() {
  local left
  left=$(ours_all)
  [ -z "$left" ] || { echo "$left" | sed 's/^/    left: /'; return 1; }
}
carried() { on b ping -q -c 1 -W 2 fd01::1 >/dev/null; }
learned_and_carried() { learned && carried; }
kernel_counters() {
  on a "$BUILD_DIR/geneve-ctl" show --json --run-dir "$LAB_TMP/run-a" 2>/dev/null |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["dataplane"].get("kernel"))'
}
learned() {
  on a "$BUILD_DIR/geneve-ctl" show --json --run-dir "$LAB_TMP/run-a" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
p = json.load(sys.stdin)[0]["peers"][0]
sys.exit(0 if p["dataplane"]["kind"] == "kernel" and p["path"]["kind"] == "learned" and p["path"]["alive"] else 1)'
}

on a ip link add gforeign type geneve id 7 remote 2001:db8:ab::77 dstport 7000
server "$LAB_TMP/s1.log"
PS=$LAST_PID
daemon b "$LAB_TMP/c1.log" "$BUILD_DIR/geneve-client" 101 fd00:c1::1 $A6 $A6 --key-file "$LAB_TMP/key" \
  --dataplane userspace --ifname gnc1 --address fd01:0:0:1::2/48 --run-dir "$LAB_TMP/run-b"
PC=$LAST_PID
check "server up on the kernel, the client learned, its traffic carried" wait_until 60 learned_and_carried
check "while up: gns0 (alias marks it ours), clsact, filters, the owner-flagged table, an NFLOG group" bash -c "
  ip -n $LAB-a -d link show gns0 | grep -q 'alias geneve-nat64 pid=$PS ' &&
  tc -n $LAB-a filter show dev gns0 ingress | grep -q flower &&
  ip netns exec $LAB-a nft list table inet geneve_nat64_gns0 | grep -q 'comment \"geneve-nat64 pid=$PS ' &&
  ip netns exec $LAB-a grep -q . /proc/net/netfilter/nfnetlink_log"
ours_all | sed 's/^/    ours: /'
stop $PS
rc=$?
check "SIGTERM: exit 0" test "$rc" -eq 0
check "SIGTERM: no link, qdisc, filter, action, table or NFLOG group of ours" nothing_at_all
check "SIGTERM: the foreign device kept" bash -c "ip -n $LAB-a link show gforeign >/dev/null"

server "$LAB_TMP/s2.log"
PS=$LAST_PID
check "up again, the client carried again" wait_until 60 learned_and_carried
kill -KILL $PS
wait $PS 2>/dev/null
check "SIGKILL: the table and the NFLOG group went with the process" bash -c "
  ! ip netns exec $LAB-a nft list table inet geneve_nat64_gns0 2>/dev/null &&
  ! ip netns exec $LAB-a grep -q . /proc/net/netfilter/nfnetlink_log"
check "SIGKILL: the device stays until the next start" on a ip link show gns0
server "$LAB_TMP/s3.log"
PS=$LAST_PID
check "the next start removes what the killed one left" wait_until 60 grep -q "left by a process that is gone" "$LAB_TMP/s3.log"
grep "left by a process" "$LAB_TMP/s3.log" | sed 's/^/    /'
check "and carries the client again" wait_until 60 learned_and_carried
check "the foreign device is still there" bash -c "ip -n $LAB-a link show gforeign >/dev/null"
stop $PS
rc=$?
check "SIGTERM after the restart: exit 0" test "$rc" -eq 0
check "and nothing of ours left" nothing_at_all

on b ethtool -K vb tx on >/dev/null
server "$LAB_TMP/s4.log"
PS=$LAST_PID
check "the client's veth with transmit checksum offload: the server learns it and carries it" \
  wait_until 60 learned_and_carried
echo "    the server's control channel: $(kernel_counters)"
stop $PS
check "and nothing of ours left after SIGTERM" nothing_at_all
kill -TERM $PC
wait $PC
on a ip link del gforeign
summary
