#!/usr/bin/env bash
# Issue 11, the control channel a server on the kernel data plane needs
# (docs/kernel.md, "Design ... server and auto mode on the kernel"), on this
# host's kernel: node a holds the GENEVE port with a socket that reads
# nothing (standing in for a kernel GENEVE device, which this kernel lacks);
# tests/tools/control_responder reads b's probes from an NFLOG group fed by
# our nftables capture table, with their outer source, and answers each
# through a raw socket from port 6081. b is a plain geneve-symmetric on the
# userspace data plane, with checksum offload off on its veth, so its kernel
# verifies every reply's UDP checksum.
#
# Asserted: the responder answered 3 probes, each from b's address and port
# 6081; b took the replies (its path is alive, replies counted, no control
# drops); with a host firewall rule dropping b's packets before our capture
# (input priority 0 < ours 10) the responder sees nothing; no table of ours
# is left.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_init cc
BIN="$BUILD_DIR"
VNI=4343
A=2001:db8:cc::a
B=2001:db8:cc::b
TOOL="$BIN/tests/control_responder"
[ -x "$TOOL" ] || { echo "no $TOOL (build the control_responder target)"; exit 1; }

ns a >/dev/null
ns b >/dev/null
link a va b vb
on a ip addr add $A/64 dev va nodad
on b ip addr add $B/64 dev vb nodad
on b ethtool -K vb tx off rx off >/dev/null
umask 077
"$BIN/geneve-ctl" genkey >"$LAB_TMP/key"

daemon b "$LAB_TMP/b.log" "$BIN/geneve-symmetric" $VNI $B $A $A --key-file "$LAB_TMP/key" --keepalive 1 \
  --ifname gnv0 --address fd00:43::b/64 --run-dir "$LAB_TMP/run-b"
out=$(on a timeout 40 "$TOOL" --local $A --remote $B --vni $VNI --key-file "$LAB_TMP/key" --replies 3 \
  --timeout 30 2>"$LAB_TMP/responder.log") || true
sed 's/^/    responder: /' "$LAB_TMP/responder.log" | tail -4
echo "    summary: $out"
check "the responder read 3 probes from NFLOG with b's outer source and answered each by raw socket" \
  /usr/bin/python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert s["replied"] >= 3, s
assert all(x == "[" + sys.argv[2] + "]:6081" for x in s["sources"]), s
assert s["rejected"] == 0 and s["overruns"] == 0, s' "$out" $B

b_status() { on b "$BIN/geneve-ctl" show gnv0 --json --run-dir "$LAB_TMP/run-b"; }
check "b accepted the replies (UDP checksum verified by b's kernel): path alive, replies counted, no drops" \
  /usr/bin/python3 -c '
import json, sys
s = json.loads(sys.argv[1]); p = s["peers"][0]
assert p["control"]["replies_received"] >= 3, p
assert any(c["answered"] for c in p["candidates"]), p["candidates"]
drops = {k: v for k, v in p["drops"].items() if v}
assert not drops, drops' "$(b_status)"
check "no table of ours is left after the responder exits" \
  bash -c "! ip netns exec $LAB-a nft list tables | grep -q geneve_nat64_ctltest"

# What the host's firewall drops before us, we never see.
on a nft add table inet hostfw
on a nft add chain inet hostfw input '{ type filter hook input priority 0; }'
on a nft add rule inet hostfw input ip6 saddr $B udp dport 6081 drop
probes() { b_status | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["peers"][0]["control"]["probes_sent"])'; }
before=$(probes)
out=$(on a timeout 20 "$TOOL" --local $A --remote $B --vni $VNI --key-file "$LAB_TMP/key" --replies 1 \
  --timeout 4 2>>"$LAB_TMP/responder.log") || true
echo "    with the host firewall dropping b: $out"
check "behind a host firewall drop the responder got no copy in 4 s (b probes every second)" \
  /usr/bin/python3 -c '
import json, sys
s = json.loads(sys.argv[1]); assert s["copies"] == 0 and s["replied"] == 0, s' "$out"
after=$(probes)
check "b kept probing meanwhile ($before -> $after probes sent)" test "$after" -ge $((before + 3))
summary
