#!/usr/bin/env bash
# Issue 4: the server follows its client through NAT rebinding, and the
# tunnel survives a reboot of the server's gateway, without restarting
# either endpoint. Client-server lab, client4 behind the CGN, with a key.
#  (a) During a 20/s ping through the tunnel, the CGN's mapping for the
#      client moves to another public port: a masquerade rule with a port
#      range is put before the lab's plain one and the CGN's conntrack is
#      flushed, so the next packet gets a new port (asserted: the CGN's
#      conntrack and the server's learned path both show it). The server
#      must learn the new path (challenge, reply) and traffic resume within
#      10 s; the gap between echo replies is printed.
#  (b) gw is killed (-9) and restarted during the ping; traffic resumes
#      within 10 s (gap printed), the server's learned path is unchanged.
#
#   SERVER_ARGS, CLIENT_ARGS  extra arguments of geneve-server, geneve-client
#   ONE_INTERFACE=1           the server from a --config with one interface
#                             (gns, fd00:42::1/64) and the client's
#                             allowed_ips fd00:42::2/128: the layout a server
#                             on kernel GENEVE needs (issue 11)
#   MAX_GAP_MS                the longest outage (a) may cause (default
#                             10000; issue 11 asks 3000 of the kernel
#                             server); (b) is bounded by gw's restart (9 s
#                             in the VM) and keeps 10000
#   UP_WAIT                   seconds for the tunnel to come up (default 10)
# With --dataplane kernel in SERVER_ARGS the kernel must follow too: the
# nftables port map holds exactly one element for the client, at the new
# port after (a), and gns's ingress admits the client's address (tests/vm/
# server_kernel_rebind.sh runs it so).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
lab_topology client-server
BIN="$BUILD_DIR"
SERVER=2001:db8:5::1
MAX_GAP_MS=${MAX_GAP_MS:-10000}
REBOOT_MAX_GAP_MS=10000
read -ra S_ARGS <<<"${SERVER_ARGS:-}"
read -ra C_ARGS <<<"${CLIENT_ARGS:-}"
KERNEL=""
[[ " ${S_ARGS[*]} " != *" --dataplane kernel "* ]] || KERNEL=1
UP_WAIT=${UP_WAIT:-10}

umask 077
"$BIN/geneve-ctl" genkey >"$LAB_TMP/key"
server_for_client4 "$LAB_TMP/server.log" "$LAB_TMP/run-s" --key-file "$LAB_TMP/key" "${S_ARGS[@]}"
PID_S=$LAST_PID
daemon client4 "$LAB_TMP/client4.log" "$BIN/geneve-client" 42 fd00:c4::1 192.0.2.7 $SERVER \
  --key-file "$LAB_TMP/key" --ifname gnc --address fd00:42::2/64 --run-dir "$LAB_TMP/run-c" "${C_ARGS[@]}"
PID_C=$LAST_PID
check "tunnel up within $UP_WAIT s" wait_until "$UP_WAIT" on client4 ping -c 1 -W 1 fd00:42::1

# learned_target: the server's chosen path target, e.g. [2001:db8:64:5::cb00:7102]:6081
learned_target() {
  on server "$BIN/geneve-ctl" show gns --json --run-dir "$LAB_TMP/run-s" |
    /usr/bin/python3 -c 'import json, sys; p = json.load(sys.stdin)["peers"][0]; print(p["path"]["kind"], p["path"]["target"])'
}
# cgn_port: the public source port the CGN gives client4's 6081 flow to gw.
cgn_port() {
  on cgn conntrack -L -p udp --orig-src 100.64.0.2 --orig-port-src 6081 2>/dev/null |
    sed -n 's/.*dst=203\.0\.113\.2 sport=[0-9]* dport=\([0-9]*\).*/\1/p' | head -1
}

# kernel_path: what the kernel carries for the client: the elements of the
# nftables port maps ("element address port", one a line) and the outer
# source address and VNI of gns's ingress filter for client 1 (iproute2 6.1
# does not show the filter's source port).
kernel_path() {
  on server nft -j list table inet geneve_nat64_gns | /usr/bin/python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    m = o.get("map")
    if m and m["name"] in ("dport6", "dport4"):
        for key, port in m.get("elem", []): print("element", key["concat"][1], port)'
  on server tc -j filter show dev gns ingress chain 0 | /usr/bin/python3 -c '
import json, sys
for f in json.load(sys.stdin):
    o = f.get("options")
    if o and f["pref"] in (10, 11) and o["handle"] == 1: print("ingress", o["keys"]["enc_src_ip"], o["keys"]["enc_key_id"])'
}
# kernel_follows TARGET: the kernel carries TARGET ("learned [addr]:port")
# and nothing else for the client.
kernel_follows() {
  local t=${1#learned } got
  local addr=${t%:*} port=${t##*:}
  addr=${addr#[}
  addr=${addr%]}
  got=$(kernel_path)
  echo "    kernel: $(echo "$got" | tr '\n' ';')"
  [ "$got" = "element $addr $port"$'\n'"ingress $addr 42" ]
}

# ---- (a) NAT rebinding ------------------------------------------------------
before=$(learned_target)
port0=$(cgn_port)
echo "    before: server path $before; CGN maps client4:6081 to 203.0.113.2:$port0"
check "server learned client4 at the CGN's address (port $port0)" \
  bash -c "[[ '$before' == 'learned ['*':cb00:7102]:$port0' || '$before' == 'learned [2001:db8:64:5::203.0.113.2]:$port0' ]]"
[ -z "$KERNEL" ] || check "the kernel carries that path (one port map element, the ingress filter)" kernel_follows "$before"

log="$LAB_TMP/ping-rebind.log"
on client4 ping -D -i 0.05 -W 1 -w 16 fd00:42::1 >"$log" 2>&1 &
ping_pid=$!
LAB_PIDS+=("$ping_pid")
wait_until 5 replies_at_least "$log" 10 || true
# New mappings of the tunnel's flow get a port from 30000-30999; flushing
# conntrack drops the old mapping, the client's next packet makes a new one.
on cgn nft insert rule ip lab_nat postrouting oifname to-inet udp sport 6081 masquerade to :30000-30999
t_flush=$(now_ms)
on cgn conntrack -F 2>/dev/null
# The server's learned path follows (challenge answered from the new port).
moved=""
path_moved() { moved=$(learned_target) && [ "$moved" != "$before" ]; }
wait_until 15 path_moved || moved=""
t_moved=$(now_ms)
wait "$ping_pid" || true
port1=$(cgn_port)
gap=$(max_gap_ms "$log")
last=$(last_reply_ms "$log")
echo "    after: server path ${moved:-unchanged} $((t_moved - t_flush)) ms after the flush; CGN maps client4:6081 to 203.0.113.2:$port1"
echo "    rebinding: largest gap between echo replies $gap ms; $(grep -E 'packets transmitted' "$log")"
check "the CGN really moved the mapping to another port ($port0 -> $port1)" \
  bash -c "[ -n '$port1' ] && [ '$port1' != '$port0' ] && [ '$port1' -ge 30000 ] && [ '$port1' -le 30999 ]"
check "the server's path moved to the new port ($moved)" \
  bash -c "[[ '$moved' == 'learned ['*':cb00:7102]:$port1' || '$moved' == 'learned [2001:db8:64:5::203.0.113.2]:$port1' ]]"
check "rebinding: traffic resumed, gap $gap ms < $MAX_GAP_MS ms" \
  test "$gap" -gt 0 -a "$gap" -lt $MAX_GAP_MS -a "$last" -gt "$t_moved"
[ -z "$KERNEL" ] || check "the kernel follows: the one port map element at the new port, the old gone" kernel_follows "$moved"
grep -E "new source|path to" "$LAB_TMP/server.log" | tail -3 | sed 's/^/    server log: /'

# ---- (b) gateway reboot ------------------------------------------------------
before=$(learned_target)
log="$LAB_TMP/ping-reboot.log"
on client4 ping -D -i 0.05 -W 1 -w 14 fd00:42::1 >"$log" 2>&1 &
ping_pid=$!
LAB_PIDS+=("$ping_pid")
wait_until 5 replies_at_least "$log" 10 || true
t_kill=$(now_ms)
lab client-server kill gw KILL
lab client-server restart gw >/dev/null
t_up=$(now_ms)
wait "$ping_pid" || true
gap=$(max_gap_ms "$log")
last=$(last_reply_ms "$log")
after=$(learned_target)
echo "    gw: kill -9 at +0 ms, back at +$((t_up - t_kill)) ms; largest gap between echo replies $gap ms"
echo "    gw: $(grep -E 'packets transmitted' "$log")"
check "gw rebooted: traffic resumed, gap $gap ms < $REBOOT_MAX_GAP_MS ms" \
  test "$gap" -gt 0 -a "$gap" -lt $REBOOT_MAX_GAP_MS -a "$last" -gt "$t_up"
check "gw rebooted: the server's path is unchanged ($before -> $after)" test "$before" = "$after"
[ -z "$KERNEL" ] || check "the kernel still carries it" kernel_follows "$after"
check "gw rebuilt the server's binding on pool:6081" binding_is gw $SERVER any

head -c 5000000 /dev/urandom >"$LAB_TMP/data"
check "5 MB server -> client4 after both events, matching sha256" transfer_file server fd00:42::2 client4 "$LAB_TMP/data"
check "neither endpoint was restarted" bash -c "kill -0 $PID_S && kill -0 $PID_C"
summary
