#!/usr/bin/env bash
# Issue 4 acceptance: geneve-server / geneve-client in the `client-server`
# lab, with keys. One server process (--config, two clients with their own
# VNI, key, interface and addresses) behind our extension gateway gw serves
#   client4: IPv4 only behind the CGN (NAT444), PATH 192.0.2.7;
#   client6: IPv6 only behind TAYGA + masquerade (a NAT64 without the
#            extension), PATH 192.0.2.7 with --nat64-prefix 2001:db8:64:c::/96.
# For each: inner ping both ways, full-size DF ping, 50 MB each way with
# matching sha256; the server learned each client's path (the NAT's public
# address inside gw's prefix 2001:db8:64:5::/96); modes server/client; no
# drops once the tunnels are up; no fragments anywhere, on the IPv4 leg
# (inet <-> gw) or behind TAYGA; SIGTERM removes every interface.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_topology client-server
BIN="$BUILD_DIR"
SERVER=2001:db8:5::1

umask 077
"$BIN/geneve-ctl" genkey >"$LAB_TMP/key4"
"$BIN/geneve-ctl" genkey >"$LAB_TMP/key6"
cat >"$LAB_TMP/server.json" <<EOF
{"local": "$SERVER", "clients": [
  {"name": "client4", "vni": 42, "remote": "fd00:c4::1", "key_file": "$LAB_TMP/key4",
   "ifname": "gns4", "address": ["fd00:42::1/64"]},
  {"name": "client6", "vni": 43, "remote": "fd00:c6::1", "key_file": "$LAB_TMP/key6",
   "ifname": "gns6", "address": ["fd00:43::1/64"]}]}
EOF

# Everything between the IPv4 Internet and gw (both clients' traffic), and
# IPv6 fragments behind TAYGA, while the tunnels run.
ip netns exec "$LAB-inet" tcpdump -i to-gw -n -U -s 128 -w "$LAB_TMP/v4leg.pcap" "udp port 6081 or (ip[6:2] & 0x3fff != 0)" \
  >"$LAB_TMP/tcpdump-inet.log" 2>&1 &
CAP1=$!
ip netns exec "$LAB-nat64" tcpdump -i to-client6 -n -U -s 128 -w "$LAB_TMP/frag6.pcap" "ip6 and ip6[6] == 44" \
  >"$LAB_TMP/tcpdump-nat64.log" 2>&1 &
CAP2=$!
LAB_PIDS+=("$CAP1" "$CAP2")
wait_until 5 grep -q "listening on" "$LAB_TMP/tcpdump-inet.log"
wait_until 5 grep -q "listening on" "$LAB_TMP/tcpdump-nat64.log"

daemon server "$LAB_TMP/server.log" "$BIN/geneve-server" --config "$LAB_TMP/server.json" --run-dir "$LAB_TMP/run-s"
PID_S=$LAST_PID
daemon client4 "$LAB_TMP/client4.log" "$BIN/geneve-client" 42 fd00:c4::1 192.0.2.7 $SERVER \
  --key-file "$LAB_TMP/key4" --ifname gnc4 --address fd00:42::2/64 --run-dir "$LAB_TMP/run-c4"
PID_C4=$LAST_PID
daemon client6 "$LAB_TMP/client6.log" "$BIN/geneve-client" 43 fd00:c6::1 192.0.2.7 $SERVER \
  --nat64-prefix 2001:db8:64:c::/96 --key-file "$LAB_TMP/key6" --ifname gnc6 --address fd00:43::2/64 \
  --run-dir "$LAB_TMP/run-c6"
PID_C6=$LAST_PID

check "server and clients up: gns4, gns6 in server, gnc4 in client4, gnc6 in client6" \
  wait_until 5 bash -c "ip -n $LAB-server link show gns4 && ip -n $LAB-server link show gns6 &&
                        ip -n $LAB-client4 link show gnc4 && ip -n $LAB-client6 link show gnc6"
check "client4: tunnel carries traffic within 10 s" wait_until 10 on client4 ping -c 1 -W 1 fd00:42::1
check "client6: tunnel carries traffic within 10 s" wait_until 10 on client6 ping -c 1 -W 1 fd00:43::1

s_status() { on server "$BIN/geneve-ctl" show geneve-server --json --run-dir "$LAB_TMP/run-s"; }
c_status() { on "$1" "$BIN/geneve-ctl" show "gn$2" --json --run-dir "$LAB_TMP/run-$2"; }

# Drops while the tunnels came up (data before the path was learned) are
# expected; from here on nothing may be dropped.
s_status >"$LAB_TMP/status-before.json"
c_status client4 c4 >"$LAB_TMP/c4-before.json"
c_status client6 c6 >"$LAB_TMP/c6-before.json"
/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print("    start-up drops: server unattributed", {k: v for k, v in s["unattributed_drops"].items() if v},
      *["%s %s" % (p["name"], {k: v for k, v in p["drops"].items() if v}) for p in s["peers"]])
' "$LAB_TMP/status-before.json"

for c in 4 6; do
  check "client$c: inner ping client -> server" on client$c ping -q -c 3 -i 0.2 -W 2 fd00:4$((c == 4 ? 2 : 3))::1
  check "client$c: inner ping server -> client" on server ping -q -c 3 -i 0.2 -W 2 fd00:4$((c == 4 ? 2 : 3))::2
done
check "inner MTU 1406 on all four interfaces" bash -c "
  [ \$(ip netns exec $LAB-server cat /sys/class/net/gns4/mtu) = 1406 ] &&
  [ \$(ip netns exec $LAB-server cat /sys/class/net/gns6/mtu) = 1406 ] &&
  [ \$(ip netns exec $LAB-client4 cat /sys/class/net/gnc4/mtu) = 1406 ] &&
  [ \$(ip netns exec $LAB-client6 cat /sys/class/net/gnc6/mtu) = 1406 ]"
check "full-size inner ping (1406, DF) both ways on both tunnels" bash -c "{
  ip netns exec $LAB-client4 ping -q -c 2 -W 2 -M do -s 1358 fd00:42::1 &&
  ip netns exec $LAB-server ping -q -c 2 -W 2 -M do -s 1358 fd00:42::2 &&
  ip netns exec $LAB-client6 ping -q -c 2 -W 2 -M do -s 1358 fd00:43::1 &&
  ip netns exec $LAB-server ping -q -c 2 -W 2 -M do -s 1358 fd00:43::2; } >/dev/null"

head -c 50000000 /dev/urandom >"$LAB_TMP/data"
check "50 MB client4 -> server, matching sha256" transfer_file client4 fd00:42::1 server "$LAB_TMP/data"
check "50 MB server -> client4, matching sha256" transfer_file server fd00:42::2 client4 "$LAB_TMP/data"
check "50 MB client6 -> server, matching sha256" transfer_file client6 fd00:43::1 server "$LAB_TMP/data"
check "50 MB server -> client6, matching sha256" transfer_file server fd00:43::2 client6 "$LAB_TMP/data"

s_status >"$LAB_TMP/status.json"
c_status client4 c4 >"$LAB_TMP/c4.json"
c_status client6 c6 >"$LAB_TMP/c6.json"
check "server: mode server, each client's path learned from its NAT's public address in gw's prefix" /usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["mode"] == "server", s["mode"]
import ipaddress
want = {"client4": "2001:db8:64:5::203.0.113.2", "client6": "2001:db8:64:5::198.51.100.2"}
for p in s["peers"]:
    path = p["path"]
    print("    server peer %s (%s, vni %d): mode %s, path %s %s alive %s; %s" % (
        p["name"], p["interface"], p["vni"], p["mode"], path["kind"], path["target"], path["alive"], path["reason"]))
    assert p["mode"] == "server" and path["kind"] == "learned" and path["alive"], p
    addr = ipaddress.ip_address(path["target"].rsplit(":", 1)[0].strip("[]"))
    assert addr == ipaddress.ip_address(want[p["name"]]), (path["target"], want[p["name"]])
    assert p["authenticated"] and p["control"]["probes_received"] > 0 and p["control"]["replies_received"] > 0, p
assert sorted(p["name"] for p in s["peers"]) == ["client4", "client6"]
' "$LAB_TMP/status.json"
for c in 4 6; do
  check "client$c: mode client, NAT64 path 192.0.2.7 alive, sees itself as its NAT's public address" /usr/bin/python3 -c '
import ipaddress, json, sys
s = json.load(open(sys.argv[1])); p = s["peers"][0]; want_path, want_obs = sys.argv[2], sys.argv[3]
ep = lambda t: (ipaddress.ip_address(t.rsplit(":", 1)[0].strip("[]")), t.rsplit(":", 1)[1])
print("    %s: mode %s, path %s %s alive %s, rtt %s ms, observed %s, control %s" % (
    sys.argv[4], p["mode"], p["path"]["kind"], p["path"]["target"], p["path"]["alive"],
    p["candidates"][0]["rtt_ms"], p["observed"], p["control"]))
assert s["mode"] == "client" and p["mode"] == "client", (s["mode"], p["mode"])
assert p["path"]["kind"] == sys.argv[5] and ep(p["path"]["target"]) == ep(want_path) and p["path"]["alive"], p["path"]
assert p["authenticated"] and p["observed"] and ep(p["observed"])[0] == ipaddress.ip_address(want_obs), p["observed"]
' "$LAB_TMP/c$c.json" "$([ $c = 4 ] && echo 192.0.2.7:6081 || echo '[2001:db8:64:c::192.0.2.7]:6081')" \
    "$([ $c = 4 ] && echo 2001:db8:64:5::203.0.113.2 || echo 2001:db8:64:5::198.51.100.2)" client$c \
    "$([ $c = 4 ] && echo ipv4 || echo nat64-prefix)"
done
check "no drops anywhere since the tunnels came up (server, client4, client6)" /usr/bin/python3 -c '
import json, sys
def drops(doc):
    d = {"unattributed " + k: v for k, v in doc["unattributed_drops"].items()}
    for p in doc["peers"]:
        d.update({p["name"] + " " + k: v for k, v in p["drops"].items()})
    return d
bad = {}
for before, after in zip(sys.argv[1::2], sys.argv[2::2]):
    b, a = drops(json.load(open(before))), drops(json.load(open(after)))
    bad.update({k: v - b.get(k, 0) for k, v in a.items() if v != b.get(k, 0)})
s = json.load(open(sys.argv[2]))
for p in s["peers"]:
    print("    server %s: rx %d packets %d MB, tx %d packets %d MB" % (p["name"], p["rx_packets"], p["rx_bytes"] // 10**6,
          p["tx_packets"], p["tx_bytes"] // 10**6))
    assert p["rx_packets"] > 30000 and p["tx_packets"] > 30000, p
print("    new drops:", bad)
assert not bad, bad
' "$LAB_TMP/status-before.json" "$LAB_TMP/status.json" "$LAB_TMP/c4-before.json" "$LAB_TMP/c4.json" \
  "$LAB_TMP/c6-before.json" "$LAB_TMP/c6.json"

kill -TERM "$CAP1" "$CAP2"; wait "$CAP1" "$CAP2" 2>/dev/null || true
frags4=$(tshark -r "$LAB_TMP/v4leg.pcap" -Y "ip.flags.mf == 1 || ip.frag_offset > 0" 2>/dev/null | wc -l)
frags6=$(tshark -r "$LAB_TMP/frag6.pcap" 2>/dev/null | wc -l)
total4=$(tshark -r "$LAB_TMP/v4leg.pcap" 2>/dev/null | wc -l)
maxlen=$(tshark -r "$LAB_TMP/v4leg.pcap" -T fields -e ip.len 2>/dev/null | sort -n | tail -1)
# The clients' side sets DF on everything (client4 itself; TAYGA for
# client6); gw translating IPv6 -> IPv4 sets DF above 1260 bytes (RFC 7915
# 5.1), and TAYGA's IPv4 -> IPv6 of a smaller packet needs no fragment.
nodf_c=$(tshark -r "$LAB_TMP/v4leg.pcap" -Y "ip.dst == 192.0.2.7 && ip.flags.df == 0" 2>/dev/null | wc -l)
nodf_gw=$(tshark -r "$LAB_TMP/v4leg.pcap" -Y "ip.src == 192.0.2.7 && ip.len > 1260 && ip.flags.df == 0" 2>/dev/null | wc -l)
echo "    IPv4 leg: $total4 packets, largest $maxlen bytes, $frags4 fragments; without DF: $nodf_c towards gw, $nodf_gw > 1260 bytes from gw; IPv6 fragments behind TAYGA: $frags6"
check "no IPv4 fragments between inet and gw ($frags4)" test "$frags4" -eq 0
check "no IPv6 fragments behind TAYGA ($frags6)" test "$frags6" -eq 0
check "largest IPv4 packet on the leg is 1480 bytes (a 1500-byte IPv6 packet translated) ($maxlen)" test "$maxlen" -eq 1480
check "DF on every IPv4 packet towards gw ($nodf_c without)" test "$nodf_c" -eq 0
check "DF on every IPv4 packet over 1260 bytes from gw ($nodf_gw without)" test "$nodf_gw" -eq 0
check "gw: no fragments, conflicts, checksum or size drops" /usr/bin/python3 -c '
import json, sys
c = json.loads(sys.argv[1])["fates"]
bad = {k: c[k] for k in ("fragment", "fragment_held", "fragment_overlap", "fragment_invalid", "fragment_buffer_full", "binding_conflict", "bad_checksum", "malformed", "too_big_sent", "tun_write_failed")}
print("    gw: translated 6to4 %d, 4to6 %d, extension_delivered %d" % (c["translated_6to4"], c["translated_4to6"], c["extension_delivered"]))
assert not any(bad.values()), bad
' "$(gw_status gw)"

# SIGTERM: exit 0, every interface gone.
kill -TERM "$PID_S" "$PID_C4" "$PID_C6"
rc_s=0 rc_4=0 rc_6=0
wait "$PID_S" || rc_s=$?
wait "$PID_C4" || rc_4=$?
wait "$PID_C6" || rc_6=$?
echo "    exit status after SIGTERM: server $rc_s, client4 $rc_4, client6 $rc_6"
check "SIGTERM: server and clients exit 0" test "$rc_s$rc_4$rc_6" = 000
check "SIGTERM: no tunnel interface left (gns4, gns6, gnc4, gnc6)" bash -c "
  ! ip -n $LAB-server link show gns4 2>/dev/null && ! ip -n $LAB-server link show gns6 2>/dev/null &&
  ! ip -n $LAB-client4 link show gnc4 2>/dev/null && ! ip -n $LAB-client6 link show gnc6 2>/dev/null"
check "SIGTERM: status sockets gone (server, client4, client6)" eval 'status_gone server "$LAB_TMP/run-s" geneve-server &&
  status_gone client4 "$LAB_TMP/run-c4" gnc4 && status_gone client6 "$LAB_TMP/run-c6" gnc6'
summary
