#!/usr/bin/env bash
# Runs inside the VM: the endpoint commands themselves on the kernel data
# plane (`--dataplane kernel` / `auto`), against the userspace data plane:
#   1. geneve-symmetric, kernel (external GENEVE + tc, routing option) on a,
#      userspace on b: ping and transfers both ways, control messages
#      (probes/replies with a key) through the kernel device, the option and
#      the fixed source port on the wire from the kernel side;
#   2. the other way round, auto: b on the kernel without the option, a on
#      userspace;
#   3. cleanup: SIGTERM leaves nothing; SIGKILL leaves objects that the next
#      start removes; a start that fails half-way leaves nothing.
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init ek
. "$(dirname "$0")/kernel_lib.sh"
underlay
head -c 4000000 /dev/urandom >"$LAB_TMP/data"
"$BUILD_DIR/geneve-ctl" genkey >"$LAB_TMP/key" && chmod 600 "$LAB_TMP/key"
SYM="$BUILD_DIR/geneve-symmetric"

endpoint() {  # endpoint NODE LOG ARGS...: geneve-symmetric in NODE
  local n="$1" log="$2"
  shift 2
  daemon "$n" "$log" "$SYM" "$@" --key-file "$LAB_TMP/key" --run-dir "$LAB_TMP/run-$n"
}
status_of() { on "$1" "$BUILD_DIR/geneve-ctl" show --json --run-dir "$LAB_TMP/run-$1" 2>/dev/null; }
has_status() { status_of "$1" | grep -q '"peers"'; }
peer_field() {  # peer_field NODE PYTHON-EXPR(p, s)
  status_of "$1" | /usr/bin/python3 -c "import json,sys; s=json.load(sys.stdin)[0]; p=s['peers'][0]; print($2)"
}

# --- 1. kernel (with option) <-> userspace ---------------------------------
capture_start a va "$LAB_TMP/outer.pcap"
endpoint a "$LAB_TMP/a.log" $VNI $A6 $B6 $B6 --dataplane kernel --ifname gnv0 --address fd00:42::a/64
PA=$LAST_PID
endpoint b "$LAB_TMP/b.log" $VNI $B6 $A6 $A6 --dataplane userspace --ifname gnv0 --address fd00:42::b/64
PB=$LAST_PID
wait_until 20 has_status a
kind=$(peer_field a "s['dataplane']['kind']")
reason=$(peer_field a "s['dataplane']['reason']")
echo "    a: data plane $kind ($reason)"
check "a runs on the kernel data plane" test "$kind" = kernel
check "a's interface is a GENEVE device" bash -c "ip -n $LAB-a -d link show gnv0 | grep -qw geneve"
check "inner ping kernel -> userspace" on a ping -q -c 3 -i 0.3 -W 3 fd00:42::b
check "inner ping userspace -> kernel" on b ping -q -c 3 -i 0.3 -W 3 fd00:42::a
check "4 MB kernel -> userspace, sha256 matches" xfer a fd00:42::b b "$LAB_TMP/data"
check "4 MB userspace -> kernel, sha256 matches" xfer b fd00:42::a a "$LAB_TMP/data"
answered() { [ "$(peer_field "$1" "p['candidates'][0]['answered']")" = True ]; }
check "control through the kernel device: a's probes are answered" wait_until 15 answered a
echo "    a: $(peer_field a "p['candidates'][0]")"
echo "    b: $(peer_field b "p['candidates'][0]")"
check "b's probes are answered by the kernel end" test "$(peer_field b "p['candidates'][0]['answered']")" = True
check "b: no authentication or replay drops" test "$(peer_field b "sum(v for k, v in p['drops'].items() if k.startswith('control_'))")" = 0
check "a: kernel counters in status" test "$(peer_field a "int(p['rx_packets'] > 1000 and p['tx_packets'] > 1000)")" = 1
capture_stop
outer_fields "$LAB_TMP/outer.pcap" >"$LAB_TMP/outer.txt"
VNI_HEX=$(printf '0x%06x' $VNI)
from_a=$(grep -c "^$A6|" "$LAB_TMP/outer.txt")
bad=$(awk -F'|' -v a=$A6 -v vni="$VNI_HEX" '$1 == a && !($2 == 6081 && $5 == 1 && $6 == vni && $7 == "0x0162" && $8 == "0x01")' \
  "$LAB_TMP/outer.txt" | wc -l)
echo "    $from_a GENEVE packets from the kernel end; first: $(grep -m1 "^$A6|" "$LAB_TMP/outer.txt")"
awk -F'|' -v a=$A6 -v vni="$VNI_HEX" '$1 == a && !($2 == 6081 && $5 == 1 && $6 == vni && $7 == "0x0162" && $8 == "0x01")' \
  "$LAB_TMP/outer.txt" | cut -d'|' -f2-9 | sort | uniq -c | sort -rn | head -3 | sed 's/^/    not: /'
check "from the kernel end ($from_a packets): all from port 6081, good checksum, VNI, option 0x0162/0x01 ($bad not)" \
  bash -c "[ $from_a -gt 1000 ] && [ $bad -eq 0 ]"
stop $PA; RA=$?
check "kernel end: SIGTERM exits 0" test "$RA" -eq 0
check "kernel end: nothing of ours left (link, tc, nftables)" nothing_of_ours a
kill -TERM $PB; wait $PB

# --- 2. the other way round: auto on the kernel, no routing option ---
endpoint a "$LAB_TMP/a2.log" $VNI $A6 $B6 $B6 --dataplane userspace --no-route-option --ifname gnv0 \
  --address fd00:42::a/64
PA=$LAST_PID
endpoint b "$LAB_TMP/b2.log" $VNI $B6 $A6 $A6 --no-route-option --ifname gnv0 --address fd00:42::b/64
PB=$LAST_PID
wait_until 20 has_status b
kind=$(peer_field b "s['dataplane']['kind']")
check "b (--dataplane auto, the default) chose the kernel ($kind)" test "$kind" = kernel
check "b's interface is a kernel GENEVE device" bash -c "ip -n $LAB-b -d link show gnv0 | grep -qw geneve"
check "inner ping userspace -> kernel (plain)" on a ping -q -c 3 -i 0.3 -W 3 fd00:42::b
check "4 MB kernel (plain) -> userspace, sha256 matches" xfer b fd00:42::a a "$LAB_TMP/data"

# --- 3. cleanup after SIGKILL and after a failed start -----------------------
kill -KILL $PB; wait $PB 2>/dev/null
something_of_ours() { [ -n "$(ours "$1")" ]; }
check "after SIGKILL our objects are still there (a crash)" something_of_ours b
endpoint b "$LAB_TMP/b3.log" $VNI $B6 $A6 $A6 --no-route-option --ifname gnv1 --address fd00:42::b/64
PB=$LAST_PID
check "the next start removes what the killed one left" wait_until 20 grep -q "left by a process that is gone" "$LAB_TMP/b3.log"
grep "left by a process" "$LAB_TMP/b3.log" | sed 's/^/    /'
# a still has the killed interface's MAC for fd00:42::b until neighbour
# discovery notices: allow it that long.
check "and runs: ping over the new interface" wait_until 60 on a ping -q -c 1 -W 1 fd00:42::b
stop $PB
check "nothing of ours left after SIGTERM" nothing_of_ours b
# The second, duplicate address fails after the link, tc and nftables exist.
on b "$SYM" $VNI $B6 $A6 $A6 --dataplane kernel --ifname gnv0 --address fd00:42::b/64 --address fd00:42::b/64 \
  --run-dir "$LAB_TMP/run-b" >"$LAB_TMP/b4.log" 2>&1
rc=$?
echo "    failed start: exit $rc: $(tail -1 "$LAB_TMP/b4.log")"
check "a start that fails half-way (bad address) exits non-zero" test "$rc" -ne 0
check "and leaves nothing of ours" nothing_of_ours b
kill -TERM $PA; wait $PA
summary
