#!/usr/bin/env bash
# Issue 11, the server's nftables table (netlink::ServerTable,
# netlink/nft_server.hpp) on this host's kernel, which has nf_tables but no
# GENEVE: node a holds the table (tests/tools/server_table, elements changed
# on command) and sends UDP datagrams to port 6081 from sockets with SO_MARK,
# standing in for the kernel device's packets marked by a client's tc filter;
# node b says on which port and from which source port each arrived. Transmit
# checksum offload is off on a's veth, so the sender sums in software and the
# table's port writes update the sum incrementally; receive offload is off on
# b's veth, so b's kernel verifies every UDP checksum (a datagram with a bad
# one is counted in InCsumErrors and never reaches the receiver).
#
# Asserted: mark tag|1 to an address with an element leaves to the element's
# port from the source port 6081 (IPv6 and IPv4); a replaced element's new
# port is used; no element for the mark and address, a removed element, or
# an IPv4 datagram without checksum: nothing leaves and the unmapped counter
# grows by one per datagram; unmarked, foreign-marked and tag|0 datagrams are
# untouched; `nft list` shows the elements; every probe batch that would
# name a missing piece is accepted; no checksum error at b; the table is
# gone with the process.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init st
TOOL="$BUILD_DIR/tests/server_table"
UDP=(/usr/bin/python3 "$(dirname "$0")/marked_udp.py")
[ -x "$TOOL" ] || { echo "no $TOOL (build the server_table target)"; exit 1; }
A6=2001:db8:57::a
B6=2001:db8:57::b
C6=2001:db8:57::c # on b too, but never given an element
A4=192.0.2.1
B4=192.0.2.2
TABLE=geneve_nat64_srvtest
SPORT=33333 # the senders' own source port

ns a >/dev/null
ns b >/dev/null
link a va b vb
on a ip addr add $A6/64 dev va nodad
on b ip addr add $B6/64 dev vb nodad
on b ip addr add $C6/64 dev vb nodad
on a ip addr add $A4/24 dev va
on b ip addr add $B4/24 dev vb
on a ethtool -K va tx off >/dev/null
on b ethtool -K vb rx off >/dev/null
# Neighbours resolved first, so that no datagram waits in a neighbour queue.
on a ping -c1 -W2 $B6 >/dev/null
on a ping -c1 -W2 $C6 >/dev/null
on a ping -c1 -W2 $B4 >/dev/null

daemon b "$LAB_TMP/rx.log" "${UDP[@]}" listen 6081 40001 40002 40003
wait_until 5 grep -q ready "$LAB_TMP/rx.log"

# The tool reads commands from one FIFO and answers on another; our ends
# stay open until we close its input at the end.
mkfifo "$LAB_TMP/cmd" "$LAB_TMP/answer"
ip netns exec "$LAB-a" "$TOOL" --table $TABLE --source-port 6081 <"$LAB_TMP/cmd" >"$LAB_TMP/answer" \
  2>"$LAB_TMP/tool.err" &
tool_pid=$!
LAB_PIDS+=("$tool_pid")
exec {TO_TOOL}>"$LAB_TMP/cmd" {FROM_TOOL}<"$LAB_TMP/answer"
read -r -t 10 line <&$FROM_TOOL || line="(nothing: $(cat "$LAB_TMP/tool.err"))"
[ "$line" = ready ] || { echo "server_table did not start: $line"; exit 1; }
# One command to the tool, its one-line answer on stdout.
cmd() {
  local reply
  echo "$*" >&$TO_TOOL
  read -r -t 10 reply <&$FROM_TOOL || reply="(no answer)"
  echo "$reply"
}
drops() { cmd drops | awk '{ print $2 }'; }
send() { on a "${UDP[@]}" send "$1" 6081 "$2" "$3" --sport $SPORT "${@:4}"; }
arrived() { grep -qF "\"text\": \"$1\"" "$LAB_TMP/rx.log"; }
# arrived_as TEXT PORT SPORT FROM: the datagram came to PORT from [FROM]:SPORT.
arrived_as() {
  wait_until 5 arrived "$1" || return 1
  grep -F "\"text\": \"$1\"" "$LAB_TMP/rx.log" | /usr/bin/python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
ok = (d["to"], d["sport"], d["from"]) == (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
print("    %s -> port %d from [%s]:%d" % (d["text"], d["to"], d["from"], d["sport"]))
sys.exit(0 if ok else 1)' "$2" "$3" "$4"
}
# dropped TEXT DST: an unmarked datagram sent after TEXT to DST arrived, TEXT did not.
dropped() {
  send "$2" 0 "after-$1"
  wait_until 5 arrived "after-$1" && ! arrived "$1"
}
# grep reads all of it: with -q it could quit first, and pipefail would then see nft die of SIGPIPE.
map_has() { on a nft list map inet $TABLE "$1" | grep -F "$2" >/dev/null; }

check "set_port 0x474e0001 . $B6 : 40001" test "$(cmd set 0x474e0001 $B6 40001)" = ok
check "set_port 0x474e0001 . $B4 : 40002" test "$(cmd set 0x474e0001 $B4 40002)" = ok
check "the same element again is no error" test "$(cmd set 0x474e0001 $B6 40001)" = ok
both_listed() { map_has dport6 "0x474e0001 . $B6 : 40001" && map_has dport4 "0x474e0001 . $B4 : 40002"; }
check "nft list shows both elements" both_listed
refused() { [[ "$1" == error:* ]]; }
check "a client 0 mark is refused" refused "$(cmd set 0x474e0000 $B6 40001)"

send $B6 0x474e0001 v6-mapped
check "IPv6, mark tag|1: to the element's port 40001, from source port 6081, checksum good" \
  arrived_as v6-mapped 40001 6081 $A6
send $B4 0x474e0001 v4-mapped
check "IPv4, mark tag|1: to the element's port 40002, from source port 6081, checksum good" \
  arrived_as v4-mapped 40002 6081 $A4

check "set_port 0x474e0001 . $B6 : 40003 replaces the element" test "$(cmd set 0x474e0001 $B6 40003)" = ok
new_port_only() { map_has dport6 "$B6 : 40003" && ! map_has dport6 "$B6 : 40001"; }
check "nft list shows the new port only" new_port_only
send $B6 0x474e0001 v6-replaced
check "after the replace: to port 40003" arrived_as v6-replaced 40003 6081 $A6

d0=$(drops)
send $B6 0x474e0002 v6-no-client
check "mark tag|2 has no element: nothing left" dropped v6-no-client $B6
send $C6 0x474e0001 v6-other-address
check "mark tag|1 toward an address without element: nothing left (fail closed)" dropped v6-other-address $C6
send $B4 0x474e0001 v4-no-checksum --no-check
check "IPv4 without checksum, though mapped: nothing left" dropped v4-no-checksum $B4
d1=$(drops)
check "the unmapped counter grew by 3 ($d0 -> $d1)" test "$d1" -eq $((d0 + 3))

send $B6 0 v6-unmarked
check "unmarked: untouched (port 6081, source port $SPORT)" arrived_as v6-unmarked 6081 $SPORT $A6
send $B4 0x1 v4-foreign-mark
check "a mark without our tag: untouched" arrived_as v4-foreign-mark 6081 $SPORT $A4
send $B6 0x474e0000 v6-control
check "tag|0 (our control messages): untouched" arrived_as v6-control 6081 $SPORT $A6

check "remove_port 0x474e0001 . $B6" test "$(cmd remove 0x474e0001 $B6)" = ok
v6_gone() { ! map_has dport6 "$B6" && map_has dport4 "$B4 : 40002"; }
check "nft list no longer shows it, the IPv4 element stays" v6_gone
check "removing it again is no error" test "$(cmd remove 0x474e0001 $B6)" = ok
d0=$(drops)
send $B6 0x474e0001 v6-removed
check "after the remove: nothing left" dropped v6-removed $B6
check "and the unmapped counter grew by 1" test "$(drops)" -eq $((d0 + 1))

check "this kernel lacks no piece of the table (every probe batch accepted)" \
  test "$(cmd probe geneve_nat64_probetest)" = "missing none"
check "and the probes left no table" bash -c "! ip netns exec $LAB-a nft list tables | grep -q probetest"
check "a probe under a name in use is an error, not a missing piece" \
  refused "$(cmd probe $TABLE)"

# The "Udp:" and "Udp6InCsumErrors" counters of b's namespace.
no_csum_errors() {
  on b awk '$1 == "Udp6InCsumErrors" && $2 != 0 { exit 1 }' /proc/net/snmp6 &&
    on b awk '$1 == "Udp:" { if (!n++) for (i = 1; i <= NF; i++) col[$i] = i; else if ($col["InCsumErrors"] != 0) exit 1 }' \
      /proc/net/snmp
}
check "b counted no UDP checksum error" no_csum_errors

# End of input: the tool deletes its table and exits.
exec {TO_TOOL}>&-
wait "$tool_pid" && rc=0 || rc=$?
check "server_table exited cleanly at end of input (exit $rc)" test "$rc" -eq 0
check "no table of ours is left" bash -c "! ip netns exec $LAB-a nft list tables | grep -q $TABLE"
summary
