#!/usr/bin/env bash
# Issue 13: TCP through geneve-nat64-gateway. In the `symmetric` lab, site A
# (IPv6 only) opens TCP connections through ga to the IPv4 host on inet:
# 50 MB up and 50 MB down with sha256 checks (as TSO super-packets with
# LAB_OFFLOADS=on, packet by packet without); path MTU discovery through an
# IPv4 hop smaller than the IPv6 side; the sessions' RFC 6146 states in the
# gateway's status; an IPv4-initiated connection refused; a UDP datagram
# too big for either side, in fragments both ways.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
# A usage log line every 2 s (the default is 300), to see it here.
export GATEWAY_ARGS="--usage-log-interval 2"
lab_topology symmetric
HOST4=192.0.2.1                 # inet's "Internet host" (lo)
HOST6=2001:db8:64:a::192.0.2.1  # the same, inside ga's prefix
MB=${GATEWAY_TCP_MB:-50}
head -c $((MB * 1000000)) /dev/urandom >"$LAB_TMP/data"

# download PORT: inet serves the file on PORT, a fetches it over TCP6
# through ga; succeeds if the sha256 matches.
download() {
  local port="$1" t0 t1
  on inet socat -u "OPEN:$LAB_TMP/data" "TCP4-LISTEN:$port,bind=$HOST4,reuseaddr" &
  local srv=$!
  wait_until 5 on inet sh -c "ss -ltnH 'sport = :$port' | grep -q ."
  t0=$(now_ms)
  on a timeout 120 socat -u "TCP6:[$HOST6]:$port" "CREATE:$LAB_TMP/down" || true
  wait "$srv" || true
  t1=$(now_ms)
  echo "    $MB MB inet -> a in $((t1 - t0)) ms ($((MB * 8000 / (t1 - t0 + 1))) Mbit/s)"
  [ "$(sha256sum <"$LAB_TMP/data")" = "$(sha256sum <"$LAB_TMP/down")" ]
}
# upload PORT: a sends the file to inet's listener over TCP6 through ga.
upload() {
  local port="$1" t0 t1
  on inet socat -u "TCP4-LISTEN:$port,bind=$HOST4,reuseaddr" "CREATE:$LAB_TMP/up" &
  local srv=$!
  wait_until 5 on inet sh -c "ss -ltnH 'sport = :$port' | grep -q ."
  t0=$(now_ms)
  on a timeout 120 socat -u "OPEN:$LAB_TMP/data" "TCP6:[$HOST6]:$port" || true
  wait "$srv" || true
  t1=$(now_ms)
  echo "    $MB MB a -> inet in $((t1 - t0)) ms ($((MB * 8000 / (t1 - t0 + 1))) Mbit/s)"
  [ "$(sha256sum <"$LAB_TMP/data")" = "$(sha256sum <"$LAB_TMP/up")" ]
}
fate() { gw_status ga | python3 -c "import json,sys; print(json.load(sys.stdin)['fates']['$1'])"; }
ga_events() { gw_status ga | python3 -c "import json,sys; print(json.load(sys.stdin)['events']['$1'])"; }

check "$MB MB download over TCP, inet -> a through ga, sha256 matches" download 8001
check "$MB MB upload over TCP, a -> inet through ga, sha256 matches" upload 8002
# With the veths' offloads on (LAB_OFFLOADS=on: lab.gateway_tcp_offload)
# the kernel hands ga TSO super-packets, translated whole; with them off
# (scripts/lab's default) no packet can be one.
SUPER=$(ga_events super_packets_translated)
echo "    super-packets translated whole: $SUPER"
if [ "${LAB_OFFLOADS:-off}" = on ]; then
  check "ga translated TSO super-packets whole (offloads on)" test "$SUPER" -gt 0
else
  check "ga saw no super-packet (offloads off on every veth)" test "$SUPER" -eq 0
fi

# A connection held open shows ESTABLISHED in the gateway; closed ones
# show the closing states (or are in TRANS).
on inet socat "TCP4-LISTEN:8003,bind=$HOST4,reuseaddr" SYSTEM:'sleep 30' &
wait_until 5 on inet sh -c "ss -ltnH 'sport = :8003' | grep -q ."
on a socat -u "TCP6:[$HOST6]:8003" /dev/null &
held=$!
state_of() {
  gw_status ga | python3 -c '
import json, sys
for b in json.load(sys.stdin)["bindings"]:
    for s in b["sessions"]:
        if b["protocol"] == "tcp" and s["remote"] == sys.argv[1]:
            print(s["state"])' "$1"
}
state_is() { [ "$(state_of "$1")" = "$2" ]; }
closed() { local s; s=$(state_of "$1"); echo "    state of $1: $s"; [ "$s" = v4_fin_v6_fin_rcv ] || [ "$s" = trans ]; }
check "an open connection is ESTABLISHED in ga's status" wait_until 5 state_is $HOST4:8003 established
kill "$held" 2>/dev/null || true
check "the finished download's session is closing or transitory" closed $HOST4:8001

# Nothing listens behind a NAT64: an IPv4-initiated connection is dropped.
before=$(fate no_session)
on a socat -u "TCP6-LISTEN:8004,reuseaddr" /dev/null &
on inet timeout 3 socat -u /dev/null "TCP4:198.51.100.7:8004,connect-timeout=2" 2>/dev/null || true
check "an IPv4 SYN to the pool address is dropped (no_session)" test "$(fate no_session)" -gt "$before"

# Path MTU discovery: ga's route to the IPv4 host carries at most 1300
# bytes. a's 1500-byte IPv6 segments become 1480-byte IPv4 packets with DF;
# ga's kernel answers Fragmentation Needed (MTU 1300) to the pool address,
# the gateway translates it into Packet Too Big (1320) for a, and a's TCP
# sends smaller segments. The download direction is unaffected.
on ga ip route replace $HOST4/32 via 198.51.100.1 mtu 1300
MB=5
head -c $((MB * 1000000)) /dev/urandom >"$LAB_TMP/data"
check "$MB MB upload after a 1300-byte IPv4 hop: PMTU discovery through the gateway" upload 8005
route=$(on a ip -6 route get $HOST6)
echo "    a: $route"
check "a learned the path MTU 1320 from the translated Packet Too Big" grep -q 'mtu 1320' <<<"$route"
# Fragments (RFC 7915 4 and 5.1, RFC 6146 3.4): a 3000-byte UDP datagram
# leaves a in IPv6 fragments; ga reassembles it, translates it whole and
# sends IPv4 fragments (DF clear) that inet reassembles. inet's echo comes
# back in IPv4 fragments without DF, which ga reassembles and sends on as
# IPv6 fragments of at most 1280 bytes.
on inet python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9000))
s.settimeout(20)
d, peer = s.recvfrom(65535)
s.sendto(d, peer)
' $HOST4 &
echo_srv=$!
wait_until 5 on inet sh -c "ss -lunH 'sport = :9000' | grep -q ."
held_before=$(fate fragment_held)
written_before=$(ga_events fragments_written)
udp_echo() {
  on a python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(5)
d = os.urandom(3000)
s.sendto(d, (sys.argv[1], 9000))
back, _ = s.recvfrom(65535)
print("    3000-byte datagram a -> inet, echoed back: %d bytes" % len(back))
sys.exit(0 if back == d else 1)
' $HOST6
}
check "a 3000-byte UDP datagram a -> inet and back, in fragments both ways" udp_echo
wait "$echo_srv" || true
check "ga held fragments to reassemble them" test "$(fate fragment_held)" -gt "$held_before"
check "ga wrote its translations as fragments" test "$(ga_events fragments_written)" -gt "$written_before"
check "the gateway dropped nothing as malformed or bad checksum" test "$(fate malformed)$(fate bad_checksum)" = 00

# The operator's accounting: per IPv6 /32 in status and the log, nothing
# finer (seed 001's privacy stance: no connection is ever logged).
check "ga's status counts a's traffic under 2001:db8::/32, and nothing finer" python3 -c '
import json, sys
u = json.loads(sys.argv[1])["usage"]
rows = {r["prefix"]: r for r in u["ipv6_per_32"]}
r = rows["2001:db8::/32"]
assert r["bytes_from"] > 55e6 and r["bytes_to"] > 50e6, r
assert "2001:db8:a::1" not in json.dumps(u), u
' "$(gw_status ga)"
check "ga logs its usage per /32 (--usage-log-interval 2)" wait_until 5 grep -q 'usage ipv6 2001:db8::/32: [1-9]' "$LAB_STATE/logs/ga.log"
check "ga's log names no connection: no IPv6 address of site a in it" bash -c "! grep -q '2001:db8:a::1' '$LAB_STATE/logs/ga.log'"
summary
