#!/usr/bin/env bash
# Issue 13: TCP through our gateway and TAYGA in series. In the
# `client-server` lab the IPv6-only server (behind our gateway gw) opens
# TCP connections to the IPv6-only client6 (behind TAYGA): server -> gw
# (IPv6 -> IPv4, from pool 192.0.2.7) -> the IPv4 Internet -> nat64's
# public address 198.51.100.2, forwarded (DNAT) to TAYGA's static map
# 192.168.254.10 -> TAYGA (IPv4 -> IPv6) -> client6 2001:db8:c::1. 20 MB
# each way with sha256; both translators count the traffic, and neither
# saw a malformed packet.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/lab.sh"
export TAYGA_MAPS="192.168.254.10 2001:db8:c::1"
lab_topology client-server
PUBLIC=198.51.100.2                    # nat64's address on the IPv4 Internet
VIA_GW=2001:db8:64:5::$PUBLIC          # the same, inside gw's prefix
PORTS=8100-8199
# The IPv4 Internet reaches client6 on PORTS: nat64 forwards them to the
# static map, TAYGA translates them to client6 (a port forward on a NAT64,
# as an operator would set one up). The accept goes into the lab's own
# forward chain: an accept in another base chain would not overrule its
# drop.
on nat64 nft -f - <<EOF
table ip series {
  chain prerouting {
    type nat hook prerouting priority -100;
    iifname "to-inet" tcp dport $PORTS dnat to 192.168.254.10
  }
}
EOF
on nat64 nft insert rule ip lab_nat forward ct status dnat accept
head -c 20000000 /dev/urandom >"$LAB_TMP/data"
fate() { gw_status gw | python3 -c "import json,sys; print(json.load(sys.stdin)['fates']['$1'])"; }
# listen PORT ADDRESSES...: client6 runs `socat -u ADDRESSES` and waits
# until it listens on PORT.
listen() {
  local port="$1"
  shift
  on client6 timeout 60 socat -u "$@" &
  LISTENER=$!
  wait_until 5 on client6 sh -c "ss -ltnH 'sport = :$port' | grep -q ."
}
# series up|down: 20 MB server -> client6 (up) or client6 -> server (down),
# always on a connection the server opens; succeeds if the sha256 matches.
series() {
  local dir="$1" port out="$LAB_TMP/$1" t0
  if [ "$dir" = up ]; then
    port=8101
    listen $port "TCP6-LISTEN:$port,reuseaddr" "CREATE:$out"
    set -- "OPEN:$LAB_TMP/data" "TCP6:[$VIA_GW]:$port"
  else
    port=8102
    listen $port "OPEN:$LAB_TMP/data" "TCP6-LISTEN:$port,reuseaddr"
    set -- "TCP6:[$VIA_GW]:$port" "CREATE:$out"
  fi
  t0=$(now_ms)
  on server timeout 60 socat -u "$@" || true
  wait "$LISTENER" || true
  echo "    20 MB $dir in $(($(now_ms) - t0)) ms"
  [ "$(sha256sum <"$LAB_TMP/data")" = "$(sha256sum <"$out")" ]
}
peer_seen() {  # the address client6 sees the server as
  # shellcheck disable=SC2016 # expanded by socat's shell, not ours
  on client6 timeout 15 socat -u TCP6-LISTEN:8103,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR >&2' 2>"$LAB_TMP/peer" &
  LISTENER=$!
  wait_until 5 on client6 sh -c "ss -ltnH 'sport = :8103' | grep -q ."
  on server timeout 10 socat -u /dev/null "TCP6:[$VIA_GW]:8103" || true
  wait "$LISTENER" || true
  echo "    client6 saw the server as $(cat "$LAB_TMP/peer")"
  # gw's pool 192.0.2.7, inside TAYGA's prefix (socat writes it in full).
  python3 -c '
import ipaddress, re, sys
seen = re.search(r"\[([0-9a-fA-F:]+)\]", open(sys.argv[1]).read())
sys.exit(0 if seen and ipaddress.ip_address(seen.group(1)) == ipaddress.ip_address("2001:db8:64:c::c000:207") else 1)
' "$LAB_TMP/peer"
}

check "client6 sees the server as gw's pool address in TAYGA's prefix" peer_seen
check "20 MB over TCP server -> gw -> IPv4 -> TAYGA -> client6, sha256 matches" series up
check "20 MB over TCP client6 -> TAYGA -> IPv4 -> gw -> server, sha256 matches" series down
check "gw translated the traffic as TCP sessions" python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert s["fates"]["translated_6to4"] > 1000 and s["fates"]["translated_4to6"] > 1000, s["fates"]
assert any(b["protocol"] == "tcp" for b in s["bindings"]), s["bindings"]
' "$(gw_status gw)"
check "gw dropped nothing as malformed or bad checksum" test "$(fate malformed)$(fate bad_checksum)" = 00
summary
