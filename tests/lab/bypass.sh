#!/usr/bin/env bash
# Issue 14: the NAT64 bypass through real parts (scripts/lab bypass: an
# IPv6-only client, our gateway with --bypass, an IPv4 router, an IPv4-only
# server running geneve-bypass). Services on the server see the client's
# real IPv6 address; the server logs each flow as the handoff server did;
# a 20 MB transfer survives kill -9 and restart of the gateway; forged and
# malformed offers are counted and ignored; without geneve-bypass the
# server is translated as before; nothing is left behind.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
export BYPASS_ARGS="--flow-timeout 5"
lab_topology bypass
BIN="$BUILD_DIR"
S6=2001:db8:64:1::cb00:710a   # 2001:db8:64:1::203.0.113.10
CLIENT=2001:db8:c1::1
CONNLOG="$LAB_STATE/logs/bypass-connections.log"
FORGE="$(dirname "$0")/bypass_forge.py"

bypass_status() { on server "$BIN/geneve-bypass" status --json --tun bypass0 --run-dir "$LAB_STATE/run-bypass"; }
server_counter() { bypass_status | jq -r ".counters.$1"; }
gw_fate() { gw_status gw | jq -r ".fates.$1 // .events.$1"; }
accepted() { [ "$(gw_status gw | jq '.bypass.accepted | length')" -ge 1 ]; }
# peer_seen PROTO: asks the server's echo-the-peer service, prints the peer
# in its short form (socat writes "[2001:0db8:...]"; an IPv4-mapped address
# as the IPv4 address).
peer_seen() {
  local raw
  if [ "$1" = tcp ]; then
    raw=$(on client timeout 5 socat -T 3 - "TCP6:[$S6]:7001" </dev/null)
  else
    raw=$(echo ping | on client timeout 5 socat -T 2 - "UDP6:[$S6]:7002")
  fi
  python3 -c 'import ipaddress, sys
a = ipaddress.ip_address(sys.argv[1].strip().strip("[]"))
print(a.ipv4_mapped or a)' "$raw"
}

# Services that answer with the address they see (SOCAT_PEERADDR).
daemon server "$LAB_TMP/tcp-service.log" socat "TCP6-LISTEN:7001,reuseaddr,fork" SYSTEM:'echo $SOCAT_PEERADDR'
daemon server "$LAB_TMP/udp-service.log" socat "UDP6-RECVFROM:7002,reuseaddr,fork" SYSTEM:'echo $SOCAT_PEERADDR'
wait_until 5 on server sh -c "ss -ltnH 'sport = :7001' | grep -q ."

# The first packet is translated and brings the offer; the server accepts.
check "the server's first ping is answered (translated while the offer goes out)" \
  on client ping -c 1 -W 2 "$S6"
check "the gateway shows the server accepted" wait_until 10 accepted
check "the server adds its mapped address $S6 to bypass0" \
  wait_until 5 sh -c "ip -n gnlab-bypass-server -6 addr show dev bypass0 | grep -q '$S6'"
check "the connection log says Initialized 192.0.2.7" grep -q ' Initialized 192.0.2.7$' "$CONNLOG"

tcp_peer=$(peer_seen tcp || true)
udp_peer=$(peer_seen udp || true)
echo "    TCP service saw peer '$tcp_peer', UDP service saw '$udp_peer'"
check "the TCP service sees the client's real IPv6 address" test "$tcp_peer" = "$CLIENT"
check "the UDP service sees the client's real IPv6 address" test "$udp_peer" = "$CLIENT"
check "the connection log has Created [$CLIENT]:PORT" \
  grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} Created \[$CLIENT\]:[0-9]+$" "$CONNLOG"
check "after 5 s idle the flows are Deleted" \
  wait_until 15 grep -qE " Deleted \[$CLIENT\]:[0-9]+$" "$CONNLOG"
check "the gateway carried packets both ways without translating them" \
  test "$(gw_fate bypassed_to_server)" -gt 0 -a "$(gw_fate bypassed_from_server)" -gt 0

# 20 MB client -> server, at 40 Mbit/s (about 4 s) so that the gateway's
# kill -9 and restart fall in the middle.
on inet tc qdisc add dev to-server root tbf rate 40mbit burst 64kb latency 400ms
head -c 20000000 /dev/urandom >"$LAB_TMP/data"
(
  wait_until 10 sh -c "[ \$(stat -c %s '$LAB_TMP/data.received.server' 2>/dev/null || echo 0) -gt 3000000 ]"
  size_at_kill=$(stat -c %s "$LAB_TMP/data.received.server")
  lab bypass kill gw KILL
  lab bypass restart gw
  echo "$size_at_kill" >"$LAB_TMP/size-at-kill"
) &
killer=$!
check "20 MB client -> server survives kill -9 and restart of the gateway, sha256 intact" \
  transfer_file client "$S6" server "$LAB_TMP/data"
wait "$killer" || true
at_kill=$(cat "$LAB_TMP/size-at-kill" 2>/dev/null || echo 0)
echo "    the gateway was killed with $at_kill of 20000000 bytes received"
check "the kill fell mid-transfer" test "$at_kill" -gt 0 -a "$at_kill" -lt 20000000
check "the restarted gateway accepted the server again" wait_until 10 accepted
on inet tc qdisc del dev to-server root

# Forged and malformed offers: counted, ignored, no harm.
before_untrusted=$(server_counter offer_untrusted)
on inet /usr/bin/python3 "$FORGE" offer --src 203.0.113.1 --dst 203.0.113.10
on inet /usr/bin/python3 "$FORGE" duplicated --src 192.0.2.7 --dst 203.0.113.10
on inet /usr/bin/python3 "$FORGE" bad-checksum --src 192.0.2.7 --dst 203.0.113.10
on inet /usr/bin/python3 "$FORGE" no-option --src 192.0.2.7 --dst 203.0.113.10
on inet /usr/bin/python3 "$FORGE" garbage --src 192.0.2.7 --dst 203.0.113.10
check "an offer from a host that is not a trusted gateway: offer_untrusted" \
  wait_until 5 test "$(server_counter offer_untrusted)" -gt "$before_untrusted"
check "two bypass options: bypass_option_duplicated" wait_until 5 test "$(server_counter bypass_option_duplicated)" -ge 1
check "a bad ICMPv6 checksum: offer_malformed" wait_until 5 test "$(server_counter offer_malformed)" -ge 1
check "an offer without the option: offer_no_option" wait_until 5 test "$(server_counter offer_no_option)" -ge 1
check "not GENEVE: not_geneve" wait_until 5 test "$(server_counter not_geneve)" -ge 1
check "the server still serves exactly the real gateway" \
  test "$(bypass_status | jq -r '[.gateways[].address] | join(",")')" = 192.0.2.7
check "and the client still reaches it with its own address" test "$(peer_seen tcp)" = "$CLIENT"

# A restart of geneve-bypass keeps the gateway (state directory).
lab bypass restart bypass
check "restarted geneve-bypass restores the gateway from its state directory" \
  wait_until 5 sh -c "grep -q 'restored gateway 192.0.2.7' '$LAB_STATE/logs/bypass.log'"
client_seen() { [ "$(peer_seen tcp)" = "$CLIENT" ]; }
check "and the client reaches the service through it again" wait_until 10 client_seen

# Without geneve-bypass: a leave, then ordinary translation; offers harmless.
lab bypass kill bypass TERM
check "geneve-bypass exits on SIGTERM" wait_until 10 sh -c "! kill -0 $(cat "$LAB_STATE/pids/bypass.pid") 2>/dev/null"
leave_taken() { [ "$(gw_status gw | jq '.bypass.accepted | length')" -eq 0 ]; }
check "the gateway took the leave: the server is no longer accepted" wait_until 5 leave_taken
check "geneve-bypass left no TUN device" sh -c "! ip -n gnlab-bypass-server link show bypass0 >/dev/null 2>&1"
check "geneve-bypass left no rule to table 6081" sh -c "! ip -n gnlab-bypass-server -6 rule show | grep -q 'lookup 6081'"
offers_before=$(gw_fate bypass_offers)
tcp_peer=$(peer_seen tcp || true)
echo "    without geneve-bypass the TCP service saw '$tcp_peer'"
check "without geneve-bypass the server is reached through ordinary translation (peer is the pool)" \
  test "$tcp_peer" = 192.0.2.7
check "and an offer went out that did no harm" test "$(gw_fate bypass_offers)" -ge "$offers_before"
check "ping still works" on client ping -c 2 -i 0.3 -W 2 "$S6"
summary
