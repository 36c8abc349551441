#!/usr/bin/env bash
# Issue 4: "at least 200 clients connected to one server at once in the lab,
# each exchanging traffic; report the server's memory and CPU", and issue 12:
# 10,000 clients of a server on one interface.
#
# `client-server` lab. geneve-server in node server serves N clients
# (MANY_CLIENTS, default 200) from a JSON config (VNI 1000+i, identity
# fd00:c8::i, one shared key) in one of two modes (MANY_CLIENTS_MODE;
# default one-interface above 1000 clients, per-client up to 1000):
#   per-client     one TAP each, gc<i> with fd01:0:0:i::1/64;
#   one-interface  one TAP gns0 with fd01::1/48 for all of them, client i
#                  with allowed_ips fd01:0:0:i::/64.
# tests/tools/many_clients in node client4 (behind the CGN) acts as the N
# clients: each has its own UDP socket (own CGN mapping), probes the server
# through gw's pool 192.0.2.7 with the routing option, answers the server's
# challenges and keepalives, answers the server kernel's neighbour
# solicitations for its fd01:0:0:i::2 and pings the server (fd01:0:0:i::1,
# or fd01::1 on one interface) every 500 ms (above 1000 clients every N ms,
# so that the lab carries at most about 2,000 pings a second;
# MANY_CLIENTS_PING_MS sets it).
#
# Asserted: every peer on the server has a learned, alive path; every client
# got echo replies; `geneve-ctl show --json` returns the whole document; the
# server's peak RSS and CPU time per client stay under generous bounds. On
# one interface also issue 12's bounds: server up within 10 s, every client
# learned within 30 s, RSS at most 100 MB, each peer's allowed_ips listed.
# Printed: time to set up, the server's RSS/HWM and CPU time, totals.
# SERVER_ARGS adds arguments to geneve-server: "--dataplane kernel" in the
# VM (tests/vm/server_kernel_scale.sh), where every peer must then report the
# kernel data plane and the kernel's slab memory is printed.
#
# gw's extension rate limit (10 per second per IPv4 source) does not slow
# this down although all N clients share the CGN's address: only the first
# client's packet creates the binding [2001:db8:5::1]:6081 <-> pool:6081
# through the routing option; the others get sessions on that binding
# (gw counters printed at the end: extension_delivered 1, sessions 200).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
N=${MANY_CLIENTS:-200}
MODE=${MANY_CLIENTS_MODE:-$([ "$N" -gt 1000 ] && echo one-interface || echo per-client)}
case "$MODE" in
  one-interface | per-client) ;;
  *) echo "MANY_CLIENTS_MODE must be one-interface or per-client, not '$MODE'"; exit 2 ;;
esac
PING_MS=${MANY_CLIENTS_PING_MS:-$([ "$N" -gt 1000 ] && echo "$N" || echo 500)}
# About 4.5 times a normal run (44 kB and 2.2 ms of CPU per client with 200):
# a loaded machine stretches the wall time, not the server's work, so these
# hold there, and a tenfold growth per client still fails them.
# An ASan/UBSan build (the suite runs this test on it too) costs shadow
# memory, quarantine and instrumented code: measured 409 kB per client, so
# there the bounds are six times as wide, still well short of a tenfold
# growth of an ASan run.
BIN="$BUILD_DIR"
SCALE=1
if ldd "$BIN/geneve-server" 2>/dev/null | grep -q libasan; then SCALE=6; fi
MAX_KB_PER_CLIENT=${MAX_KB_PER_CLIENT:-$((200 * SCALE))}
MAX_CPU_US_PER_CLIENT=${MAX_CPU_US_PER_CLIENT:-$((10000 * SCALE))}
# Issue 12's acceptance for one interface (10,000 clients): up <= 10 s, all
# learned <= 30 s, RSS <= 100 MB. Wide for the modest CI count; an ASan
# build gets the same factor as above.
MAX_UP_MS=${MAX_UP_MS:-$((10000 * SCALE))}
MAX_LEARNED_MS=${MAX_LEARNED_MS:-$((30000 * SCALE))}
MAX_RSS_KB=$((102400 * SCALE))
DRIVER_BIN="$BIN/tests/many_clients"
[ -x "$DRIVER_BIN" ] || { echo "no $DRIVER_BIN (build the many_clients target)"; exit 1; }
lab_topology client-server
# The kernel's neighbour tables are shared by every namespace, and the server
# kernel keeps one entry per client it answers: above gc_thresh3 (1024 by
# default) it refuses new ones ("neighbour table overflow"), above gc_thresh2
# it evicts. Raised to twice N for the run when N needs it, restored on exit.
NEIGH=/proc/sys/net/ipv6/neigh/default
if [ "$(cat "$NEIGH/gc_thresh3")" -lt $((2 * N)) ]; then
  NEIGH_SAVED="$(cat "$NEIGH/gc_thresh2") $(cat "$NEIGH/gc_thresh3")"
  restore_neigh() {
    read -r t2 t3 <<<"$NEIGH_SAVED"
    echo "$t3" >"$NEIGH/gc_thresh3"
    echo "$t2" >"$NEIGH/gc_thresh2"
  }
  trap 'restore_neigh; lab_topology_cleanup' EXIT
  echo $((2 * N)) >"$NEIGH/gc_thresh3"
  echo $((2 * N)) >"$NEIGH/gc_thresh2"
  echo "    IPv6 neighbour table gc_thresh2/3 raised from $NEIGH_SAVED to $((2 * N)) for the run"
fi
# Our own scratch directory: something on this shared machine has removed
# /tmp/gnlab-TOPOLOGY.* directories while a test ran.
rmdir "$LAB_TMP" 2>/dev/null || true
LAB_TMP=$(mktemp -d /tmp/gn-many.XXXX)

"$BIN/geneve-ctl" genkey >"$LAB_TMP/key"
chmod 600 "$LAB_TMP/key"
/usr/bin/python3 - "$N" "$MODE" "$LAB_TMP/server.json" <<'EOF'
import json, sys
n, mode, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
clients = [{"name": "c%d" % i, "vni": 1000 + i, "remote": "fd00:c8::%x" % i} for i in range(1, n + 1)]
doc = {"local": "2001:db8:5::1", "clients": clients}
for i, c in enumerate(clients, 1):
    if mode == "per-client":
        c.update({"ifname": "gc%d" % i, "address": ["fd01:0:0:%x::1/64" % i]})
    else:
        c["allowed_ips"] = ["fd01:0:0:%x::/64" % i]
if mode == "one-interface":
    doc["interface"] = {"ifname": "gns0", "address": ["fd01::1/48"]}
# Compact: geneve-server reads at most 1 MiB of config (util/file.hpp), and
# 10,000 clients take 0.89 MB so (1.24 MB indented).
json.dump(doc, open(out, "w"), separators=(",", ":"))
EOF

RUN="$LAB_TMP/run-server"
t0=$(now_ms)
read -r -a SERVER_EXTRA <<<"${SERVER_ARGS:-}"
daemon server "$LAB_TMP/server.log" "$BIN/geneve-server" --config "$LAB_TMP/server.json" --key-file "$LAB_TMP/key" \
  --run-dir "$RUN" "${SERVER_EXTRA[@]}"
SERVER=$LAST_PID
wait_until 30 status_up server "$RUN" geneve-server || { tail -20 "$LAB_TMP/server.log"; exit 1; }
t1=$(now_ms)
up_ms=$((t1 - t0))
if [ "$MODE" = per-client ]; then
  echo "    server with $N TAP interfaces up in $up_ms ms"
  DRIVER_ARGS=()
else
  echo "    server with one interface for $N clients up in $up_ms ms"
  check "server up within $MAX_UP_MS ms ($up_ms ms)" test "$up_ms" -le "$MAX_UP_MS"
  # Before any client or status request: what the N peers themselves cost.
  up_rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status")
  check "server RSS once up, before any client, at most $MAX_RSS_KB kB ($up_rss_kb kB)" test "$up_rss_kb" -le "$MAX_RSS_KB"
  check "the one interface gns0 is there with fd01::1/48" \
    bash -c "ip -n $LAB-server -6 addr show dev gns0 | grep -q 'inet6 fd01::1/48'"
  DRIVER_ARGS=(--server-inner fd01::1)
fi

daemon client4 "$LAB_TMP/driver.log" "$DRIVER_BIN" --count "$N" --key-file "$LAB_TMP/key" \
  --path 192.0.2.7 --server 2001:db8:5::1 --vni-base 1000 --identity-prefix fd00:c8:: --inner-prefix fd01:: \
  --ping-interval-ms "$PING_MS" --duration $((120 + N / 50)) --summary "$LAB_TMP/summary.json" "${DRIVER_ARGS[@]}"
DRIVER=$LAST_PID
t2=$(now_ms)

status() { on server "$BIN/geneve-ctl" show --json --run-dir "$RUN"; }
# all_learned: every peer's path is learned and alive.
all_learned() {
  status | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
d = d[0] if isinstance(d, list) else d
ok = [p for p in d["peers"] if p["path"]["kind"] == "learned" and p["path"]["alive"]]
sys.exit(0 if len(ok) == int(sys.argv[1]) else 1)' "$N"
}
learned=no
wait_until 60 all_learned && learned=yes
t3=$(now_ms)
learned_ms=$((t3 - t2))
[ ! -s "$LAB_TMP/driver.log" ] || echo "    driver: $(tail -1 "$LAB_TMP/driver.log")"
echo "    every server peer learned and alive: $learned, $learned_ms ms after the driver started"
check "all $N peers on the server have a learned, alive path" test "$learned" = yes
if [ "$MODE" = one-interface ]; then
  check "every client learned within $MAX_LEARNED_MS ms ($learned_ms ms)" test "$learned_ms" -le "$MAX_LEARNED_MS"
fi
echoing=no
wait_until $((30 + 3 * PING_MS / 1000)) grep -q "all $N clients have echo replies" "$LAB_TMP/driver.log" && echoing=yes
grep "all $N clients have echo replies" "$LAB_TMP/driver.log" | sed 's/^/    driver: /' || true
check "every client's pings are answered by the server" test "$echoing" = yes
sleep 5   # steady traffic: N clients x 2 pings/s, plus keepalives

status >"$LAB_TMP/status.json" 2>"$LAB_TMP/status.err" || true
check "geneve-ctl show --json returns the whole document with $N peers ($(stat -c %s "$LAB_TMP/status.json") bytes)" \
  /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d = d[0] if isinstance(d, list) else d
assert len(d["peers"]) == int(sys.argv[2]), len(d["peers"])' "$LAB_TMP/status.json" "$N"
if [ "$MODE" = one-interface ]; then
  check "status: every peer lists its allowed_ips (fd01:0:0:i::/64), the server and every peer are on gns0" \
    /usr/bin/python3 -c '
import ipaddress, json, sys
d = json.load(open(sys.argv[1]))
d = d[0] if isinstance(d, list) else d
want = lambda p: [ipaddress.ip_network("fd01:0:0:%x::/64" % int(p["name"][1:]))]
bad = [p["name"] for p in d["peers"] if [ipaddress.ip_network(a) for a in p["allowed_ips"]] != want(p)]
assert not bad, "peers with other allowed_ips: %s" % bad[:10]
assert d["interface"] == "gns0" and all(p["interface"] == "gns0" for p in d["peers"]), d["interface"]
' "$LAB_TMP/status.json"
fi
if [[ " ${SERVER_ARGS:-} " == *" kernel "* ]]; then
  check "status: the server and every peer on the kernel data plane" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); d = d[0] if isinstance(d, list) else d
print("    kernel: %s" % d["dataplane"].get("kernel"))
assert d["dataplane"]["kind"] == "kernel", d["dataplane"]
bad = [p["name"] for p in d["peers"] if p["dataplane"]["kind"] != "kernel"]
assert not bad, "peers not on the kernel: %s" % bad[:10]
' "$LAB_TMP/status.json"
fi

# The server's memory and CPU while serving N clients.
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status")
hwm_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER/status")
tck=$(getconf CLK_TCK)
read -r ut st <<<"$(awk '{print $14, $15}' "/proc/$SERVER/stat")"
wall=$((($(now_ms) - t0) / 1000))
cpu_us=$(((ut + st) * 1000000 / tck))
echo "    server (pid $SERVER): VmRSS $rss_kb kB, VmHWM $hwm_kb kB ($((hwm_kb / N)) kB per client)," \
  "CPU user $((ut * 1000 / tck)) ms + system $((st * 1000 / tck)) ms over ${wall} s ($((cpu_us / N)) us per client)"
check "server peak RSS per client $((hwm_kb / N)) kB <= $MAX_KB_PER_CLIENT kB" test "$((hwm_kb / N))" -le "$MAX_KB_PER_CLIENT"
check "server CPU time per client $((cpu_us / N)) us <= $MAX_CPU_US_PER_CLIENT us" \
  test "$((cpu_us / N))" -le "$MAX_CPU_US_PER_CLIENT"
if [ "$MODE" = one-interface ]; then
  check "server RSS at most $MAX_RSS_KB kB, at its peak too (VmRSS $rss_kb kB, VmHWM $hwm_kb kB)" \
    test "$hwm_kb" -le "$MAX_RSS_KB"
fi

kill -TERM "$DRIVER"
wait "$DRIVER" 2>/dev/null || true
check "driver summary: every client sent probes, got replies, answered the server's probes and got echo replies" \
  /usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1])); c = s["clients"]; n = int(sys.argv[2])
tot = lambda k: sum(x[k] for x in c)
print("    clients %d: probes %d (missed %d), replies %d, server probes answered %d, echo %d sent / %d replies, "
      "NS answered %d, rejected control %d, bad datagrams %d, bad checksums %d" % (len(c), tot("probes_sent"),
      tot("probes_missed"), tot("replies_received"), tot("replies_sent"), tot("echo_sent"), tot("echo_replies"),
      tot("ns_answered"), tot("control_rejected"), s["bad_datagrams"], s["bad_checksums"]))
fr = sorted(x["first_reply_ms"] for x in c); fe = sorted(x["first_echo_reply_ms"] for x in c)
print("    first probe reply: median %.0f ms, last %.0f ms; first echo reply: median %.0f ms, last %.0f ms" %
      (fr[len(fr) // 2], fr[-1], fe[len(fe) // 2], fe[-1]))
print("    echo replies per client: min %d, max %d" % (min(x["echo_replies"] for x in c), max(x["echo_replies"] for x in c)))
ports = set(x["observed"] for x in c)
print("    distinct CGN mappings seen by the server: %d" % len(ports))
assert len(c) == n
bad = [x["index"] for x in c if not (x["replies_received"] > 0 and x["replies_sent"] > 0 and x["echo_replies"] > 0)]
assert not bad, "clients without replies: %s" % bad[:20]
assert len(ports) == n, "clients sharing a mapping"
assert s["bad_checksums"] == 0
' "$LAB_TMP/summary.json" "$N"
check "server: every peer has rx and tx packets counted (drops printed)" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); d = d[0] if isinstance(d, list) else d
drops = {}
for p in d["peers"]:
    for k, v in p["drops"].items():
        if v: drops[k] = drops.get(k, 0) + v
print("    server: rx %d, tx %d packets over %d peers; drops %s; unattributed %s" % (
    sum(p["rx_packets"] for p in d["peers"]), sum(p["tx_packets"] for p in d["peers"]), len(d["peers"]), drops,
    {k: v for k, v in d["unattributed_drops"].items() if v}))
assert all(p["rx_packets"] > 0 and p["tx_packets"] > 0 for p in d["peers"])
' "$LAB_TMP/status.json"
gw_status gw | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin); c = {**d["fates"], **d["events"]}
print("    gw: rate_limited %s, bindings created by extension etc: %s" % (c.get("rate_limited"),
      {k: v for k, v in c.items() if v and ("extension" in k or "session" in k or "binding" in k)}))' || true
echo "    total wall time $((($(now_ms) - t0) / 1000)) s"
summary
