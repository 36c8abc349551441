#!/usr/bin/env bash
# Issue 4: "for each lab topology (both gateways with the extension; only one
# side's; a direct IPv6 underlay), both ends run the same command and end up
# on the expected path; when the chosen path is cut, they move to another
# within 10 s if one exists".
#
# Both ends run geneve-auto with the defaults (keepalive 5 s, reply timeout
# 1 s, dead after 3 misses: a dead path is noticed 5..8 s after it dies).
#
#  (a) `symmetric`: PATH = the peer's gateway inside our NAT64 prefix.
#      Expected: both "symmetric"; ping and 2 MB each way.
#  (b) `client-server`: client4 (behind the CGN, IPv4 only) has PATH
#      192.0.2.7 (gw's pool; an IPv4 PATH: IPv4 socket). The server has no
#      path of its own to a client behind a CGN; geneve-auto still needs a
#      PATH, so it gets one where nothing answers: 2001:db8:64:5::198.18.0.1
#      (an unrouted benchmarking address inside gw's prefix). Its direct
#      candidate (REMOTE fd00:c4::1 via the default route) is dead too.
#      Expected: server side "server" (learned), client side "client".
#  (c) `symmetric` with `up --direct` (a veth a <-> b, routes to each
#      other's site address): direct and NAT64 paths both work. Expected:
#      both "direct". Then the direct link is cut (`scripts/lab symmetric
#      cut a b`) under a 10/s ping: both must report "symmetric" within 10 s
#      (measured and printed) and the ping is answered again after both
#      moved, its longest gap (counted to its end) under 10 s; after
#      `uncut` both return to "direct".
#
# ENDPOINT_ARGS="--dataplane kernel" (tests/vm/auto_kernel.sh) runs the
# endpoints of (a) and (c) and the server side of (b) on the kernel data
# plane, and checks that their status says so (client4's PATH is IPv4,
# which the kernel plane of auto mode does not send to: it stays on
# userspace).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
BIN="$BUILD_DIR"
VNI=42
read -r -a EXTRA <<<"${ENDPOINT_ARGS:-}"
KERNEL=""
[[ " ${ENDPOINT_ARGS:-} " == *" kernel "* ]] && KERNEL=1
dataplane_of() {  # dataplane_of NODE RUN-DIR: the single peer's data plane kind
  on "$1" "$BIN/geneve-ctl" show --json --run-dir "$2" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin); d = d[0] if isinstance(d, list) else d
print(d["peers"][0]["dataplane"]["kind"])'
}
on_kernel() { [ "$(dataplane_of "$1" "$2")" = kernel ]; }

mode_of() {  # mode_of NODE RUN-DIR: the single peer's mode
  on "$1" "$BIN/geneve-ctl" show --json --run-dir "$2" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin); d = d[0] if isinstance(d, list) else d
p = d["peers"][0]
print(p["mode"], p["path"]["kind"], "alive" if p["path"]["alive"] else "dead")'
}
mode_is() { [ "$(mode_of "$1" "$2" | cut -d' ' -f1)" = "$3" ]; }
candidates() {
  on "$1" "$BIN/geneve-ctl" show --json --run-dir "$2" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin); d = d[0] if isinstance(d, list) else d
p = d["peers"][0]
print("    %s: mode %s, path %s %s, peer uses %s; candidates: %s" % (sys.argv[1], p["mode"], p["path"]["kind"],
      p["path"]["target"], p["peer_uses"],
      ", ".join("%s %s %s" % (c["kind"], c["target"], "alive" if c["alive"] else "dead") for c in p["candidates"])))
' "$1"
}
both_modes() { mode_is "$1" "$2" "$3" && mode_is "$4" "$5" "$6"; }
stop() { for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }

# ---------------------------------------------------------------- (a) symmetric
lab_topology symmetric
# Our own scratch directory: something on this shared machine has removed
# /tmp/gnlab-TOPOLOGY.* directories while a test ran.
rmdir "$LAB_TMP" 2>/dev/null || true
LAB_TMP=$(mktemp -d /tmp/gn-auto.XXXX)
KEY="$LAB_TMP/key"
"$BIN/geneve-ctl" genkey >"$KEY"
chmod 600 "$KEY"
start_sym() {
  daemon a "$LAB_TMP/a.log" "$BIN/geneve-auto" $VNI 2001:db8:a::1 2001:db8:64:a::203.0.113.90 2001:db8:b::1 \
    --ifname gnv0 --address fd00:42::a/64 --key-file "$KEY" --run-dir "$LAB_TMP/run-a" "${EXTRA[@]}"
  PID_A=$LAST_PID
  daemon b "$LAB_TMP/b.log" "$BIN/geneve-auto" $VNI 2001:db8:b::1 2001:db8:64:b::198.51.100.7 2001:db8:a::1 \
    --ifname gnv0 --address fd00:42::b/64 --key-file "$KEY" --run-dir "$LAB_TMP/run-b" "${EXTRA[@]}"
  PID_B=$LAST_PID
}
t0=$(now_ms)
start_sym
wait_until 20 both_modes a "$LAB_TMP/run-a" symmetric b "$LAB_TMP/run-b" symmetric || true
echo "    settled after $(($(now_ms) - t0)) ms"
candidates a "$LAB_TMP/run-a"
candidates b "$LAB_TMP/run-b"
check "(a) symmetric lab: a reports mode symmetric" mode_is a "$LAB_TMP/run-a" symmetric
check "(a) symmetric lab: b reports mode symmetric" mode_is b "$LAB_TMP/run-b" symmetric
if [ -n "$KERNEL" ]; then
  check "(a) a on the kernel data plane" on_kernel a "$LAB_TMP/run-a"
  check "(a) b on the kernel data plane" on_kernel b "$LAB_TMP/run-b"
fi
check "(a) inner ping a -> b and b -> a" bash -c "ip netns exec $LAB-a ping -q -c 3 -i 0.2 -W 2 fd00:42::b && ip netns exec $LAB-b ping -q -c 3 -i 0.2 -W 2 fd00:42::a"
head -c 2000000 /dev/urandom >"$LAB_TMP/data"
check "(a) 2 MB a -> b, sha256 matches" transfer_file a fd00:42::b b "$LAB_TMP/data"
check "(a) 2 MB b -> a, sha256 matches" transfer_file b fd00:42::a a "$LAB_TMP/data"
stop "$PID_A" "$PID_B"

# ------------------------------------------------------- (c) direct underlay
lab symmetric down
lab symmetric up --direct >/dev/null
t0=$(now_ms)
start_sym
wait_until 20 both_modes a "$LAB_TMP/run-a" direct b "$LAB_TMP/run-b" direct || true
echo "    settled after $(($(now_ms) - t0)) ms"
candidates a "$LAB_TMP/run-a"
candidates b "$LAB_TMP/run-b"
check "(c) direct underlay: a reports mode direct" mode_is a "$LAB_TMP/run-a" direct
check "(c) direct underlay: b reports mode direct" mode_is b "$LAB_TMP/run-b" direct
check "(c) inner ping a -> b over the direct path" on a ping -q -c 3 -i 0.2 -W 2 fd00:42::b
check "(c) the direct link carries the tunnel (to-b counters grow)" bash -c "
  before=\$(ip netns exec $LAB-a cat /sys/class/net/to-b/statistics/tx_packets)
  ip netns exec $LAB-a ping -q -c 20 -i 0.05 -W 2 fd00:42::b >/dev/null
  after=\$(ip netns exec $LAB-a cat /sys/class/net/to-b/statistics/tx_packets)
  [ \$((after - before)) -ge 20 ]"

# Cut the direct link under a steady ping (10/s, timestamps).
# ip netns exec itself (not the `on` function, whose subshell would get the
# SIGINT instead of ping): $! is ping.
ip netns exec "$LAB-a" ping -i 0.1 -W 1 -D -O fd00:42::b >"$LAB_TMP/ping.log" 2>&1 &
PING=$!
LAB_PIDS+=("$PING")
wait_until 10 replies_at_least "$LAB_TMP/ping.log" 10 || true
cut_at=$(now_ms)
lab symmetric cut a b
moved_a="" moved_b=""
both_moved() {  # records when each side first reports symmetric
  [ -n "$moved_a" ] || { mode_is a "$LAB_TMP/run-a" symmetric && moved_a=$(($(now_ms) - cut_at)); }
  [ -n "$moved_b" ] || { mode_is b "$LAB_TMP/run-b" symmetric && moved_b=$(($(now_ms) - cut_at)); }
  [ -n "$moved_a" ] && [ -n "$moved_b" ]
}
wait_until 15 both_moved || true
echo "    direct link cut: a moved to symmetric after ${moved_a:-never} ms, b after ${moved_b:-never} ms"
# The ping must answer again after both moved: wait for a reply later than
# that (at most 10 s), stop the ping, and take the longest gap up to the
# stop, so that a ping that never recovers shows its whole outage.
later=$((${moved_a:-15000} > ${moved_b:-15000} ? ${moved_a:-15000} : ${moved_b:-15000}))
moved_at=$((cut_at + later))
wait_until 10 reply_after "$LAB_TMP/ping.log" "$moved_at" || true
stopped_at=$(now_ms)
kill -INT "$PING"; wait "$PING" 2>/dev/null || true
gap=$(max_gap_ms "$LAB_TMP/ping.log" "$stopped_at")
echo "    ping: $(tail -2 "$LAB_TMP/ping.log" | head -1); longest gap ${gap} ms"
candidates a "$LAB_TMP/run-a"
candidates b "$LAB_TMP/run-b"
# When a side reports the move is read by a status query, which the loop
# makes for a, then b: under the VM's emulated CPU each takes about 0.5 s,
# so the figure lags the move by up to a second or more there
# (tests/vm/auto_kernel.sh allows 12 s). The data path itself is held to
# 10 s everywhere: the ping gap below.
MOVE_BOUND_MS=${AUTO_MOVE_BOUND_MS:-10000}
check "(c) after the cut a reports symmetric within $((MOVE_BOUND_MS / 1000)) s (${moved_a:-never} ms)" \
  test "${moved_a:-99999}" -le "$MOVE_BOUND_MS"
check "(c) after the cut b reports symmetric within $((MOVE_BOUND_MS / 1000)) s (${moved_b:-never} ms)" \
  test "${moved_b:-99999}" -le "$MOVE_BOUND_MS"
recovered() { reply_after "$LAB_TMP/ping.log" "$moved_at" && [ "$gap" -lt 10000 ]; }
check "(c) the ping flows again through NAT64 after the move (gap ${gap} ms < 10 s)" recovered
check "(c) inner ping after the move" on a ping -q -c 3 -i 0.2 -W 2 fd00:42::b
restored_at=$(now_ms)
lab symmetric uncut a b
back=""
both_back() { mode_is a "$LAB_TMP/run-a" direct && mode_is b "$LAB_TMP/run-b" direct && back=$(($(now_ms) - restored_at)); }
wait_until 15 both_back || true
echo "    direct link restored: both back on direct after ${back:-never} ms"
check "(c) after restoring the link both return to direct within 15 s" test -n "$back"
check "(c) inner ping after returning" on a ping -q -c 3 -i 0.2 -W 2 fd00:42::b
stop "$PID_A" "$PID_B"
lab symmetric down

# -------------------------------------------------------- (b) client-server
LAB_TOPO=client-server
LAB=gnlab-client-server
LAB_STATE=/run/geneve-nat64-lab/client-server
lab client-server down
lab client-server up >/dev/null
t0=$(now_ms)
daemon server "$LAB_TMP/server.log" "$BIN/geneve-auto" $VNI 2001:db8:5::1 2001:db8:64:5::198.18.0.1 fd00:c4::1 \
  --ifname gnv0 --address fd00:42::1/64 --key-file "$KEY" --run-dir "$LAB_TMP/run-s" "${EXTRA[@]}"
PID_S=$LAST_PID
daemon client4 "$LAB_TMP/client.log" "$BIN/geneve-auto" $VNI fd00:c4::1 192.0.2.7 2001:db8:5::1 \
  --ifname gnv0 --address fd00:42::2/64 --key-file "$KEY" --run-dir "$LAB_TMP/run-c"
PID_C=$LAST_PID
wait_until 20 both_modes server "$LAB_TMP/run-s" server client4 "$LAB_TMP/run-c" client || true
echo "    settled after $(($(now_ms) - t0)) ms"
candidates server "$LAB_TMP/run-s"
candidates client4 "$LAB_TMP/run-c"
check "(b) client-server lab: server side reports mode server" mode_is server "$LAB_TMP/run-s" server
check "(b) client-server lab: client side reports mode client" mode_is client4 "$LAB_TMP/run-c" client
if [ -n "$KERNEL" ]; then
  check "(b) the server side on the kernel data plane" on_kernel server "$LAB_TMP/run-s"
fi
check "(b) inner ping client -> server and server -> client" bash -c "ip netns exec $LAB-client4 ping -q -c 3 -i 0.2 -W 2 fd00:42::1 && ip netns exec $LAB-server ping -q -c 3 -i 0.2 -W 2 fd00:42::2"
check "(b) 2 MB client -> server, sha256 matches" transfer_file client4 fd00:42::1 server "$LAB_TMP/data"
stop "$PID_S" "$PID_C"
summary
